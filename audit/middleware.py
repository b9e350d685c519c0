import logging

from django.db import DatabaseError, connection

from audit import trail
from truffles.client import client_address

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
