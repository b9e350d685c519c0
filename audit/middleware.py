import logging

from django.contrib import admin
from django.db import DatabaseError, connection
from django.shortcuts import render
from django.urls import reverse

from audit import trail
from core.client import client_address

logger = logging.getLogger(__name__)


class AuditContextMiddleware:
    """Tell the database who is acting, so the audit trigger can name them.

    Connections are persistent, so the context is cleared after every request; if that
    fails the connection is closed rather than reused with someone else's name on it.
    """

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        user = getattr(request, "user", None)
        if user is None or not user.is_authenticated:
            return self.get_response(request)
        trail.set_context(user.pk, user.get_username(), client_address(request))
        try:
            return self.get_response(request)
        finally:
            try:
                trail.clear_context()
            except DatabaseError:
                logger.exception("Could not clear the audit context; closing the connection")
                connection.close()


class CrossSiteStaffPageMiddleware:
    """A link from another site opens no staff page: it shows a page to open it from here instead.

    The session cookie is SameSite=Lax, so a link elsewhere would open a record in a signed-in staff
    member's browser, and the trail would say they viewed it. Browsers say where a navigation came
    from (Sec-Fetch-Site); from another site, nothing is shown and nothing is recorded until the staff
    member follows the link on our page (same-origin). Typed addresses and bookmarks say "none".
    """

    OUTSIDE = {"cross-site", "same-site"}

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        user = getattr(request, "user", None)
        if (
            request.method in ("GET", "HEAD")
            and request.headers.get("Sec-Fetch-Site") in self.OUTSIDE
            and request.path.startswith(reverse("admin:index"))
            and user is not None
            and user.is_authenticated
        ):
            return render(
                request, "audit/cross_site_link.html",
                {**admin.site.each_context(request), "title": "Open this staff page?", "url": request.get_full_path()},
            )  # fmt: skip
        return self.get_response(request)
