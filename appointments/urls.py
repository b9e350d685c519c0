from django.urls import path

from appointments import manage_views, views
from core.pagecache import public_page

app_name = "appointments"

urlpatterns = [
    # Kept per schedule version and booking clock: a hit needs no query (core/pagecache.py).
    path("request/", public_page(views.request_start, key=views.free_times_page_key, shared=False), name="request"),
    path("request/details/", views.request_details, name="details"),
    path("request/check-email/", views.check_email, name="check_email"),
    path("availability.json", public_page(views.availability_json, key=views.free_times_page_key, shared=False),
         name="availability"),
    path("manage/<slug:token>/", manage_views.manage, name="manage"),
    path("manage/<slug:token>/cancel/", manage_views.cancel, name="cancel"),
    path("manage/<slug:token>/calendar.ics", manage_views.calendar_file, name="calendar"),
]
