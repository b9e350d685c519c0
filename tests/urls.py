"""The site's URLs plus views that fail on purpose, to show the error pages."""

from django.db import OperationalError
from django.urls import path

from truffles.urls import handler500  # noqa: F401
from truffles.urls import urlpatterns as site_urlpatterns


def broken_view(request):
    raise RuntimeError("a bug, on purpose")


def database_down_view(request):
    raise OperationalError("connection refused, on purpose")


urlpatterns = [
    path("test-errors/bug/", broken_view),
    path("test-errors/database-down/", database_down_view),
    *site_urlpatterns,
]
