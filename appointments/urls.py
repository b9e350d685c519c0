from django.urls import path

from appointments import views

app_name = "appointments"

urlpatterns = [
    path("request/", views.request_start, name="request"),
    path("request/details/", views.request_details, name="details"),
    path("request/check-email/", views.check_email, name="check_email"),
    path("availability.json", views.availability_json, name="availability"),
    path("manage/<slug:token>/", views.manage, name="manage"),
    path("manage/<slug:token>/cancel/", views.cancel, name="cancel"),
    path("manage/<slug:token>/calendar.ics", views.calendar_file, name="calendar"),
]
