from django.contrib import admin
from django.urls import include, path

from truffles import views

admin.site.site_header = "Truffles Vein Specialists — staff"
admin.site.site_title = "Truffles staff"
admin.site.index_title = "Clinic administration"

urlpatterns = [
    path("", views.home, name="home"),
    path("healthz", views.healthz, name="healthz"),
    path("robots.txt", views.robots_txt, name="robots_txt"),
    path("appointments/", include("appointments.urls")),
    path("admin/", admin.site.urls),
]

handler500 = "truffles.views.server_error"
