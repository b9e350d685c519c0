from django.urls import path

from waitlist import views

app_name = "waitlist"

urlpatterns = [
    path("<slug:token>/join/", views.join, name="join"),
    path("<slug:token>/leave/", views.leave, name="leave"),
    path("offers/<int:pk>/<slug:token>/", views.offer, name="offer"),
]
