import logging
import re
import secrets
import sys
import time

from django.conf import settings
from django.db import DatabaseError
from django.utils.cache import add_never_cache_headers

from core import metrics
from core.logformat import REQUEST_ID

request_log = logging.getLogger("truffles.requests")
REQUEST_ID_PATTERN = re.compile(r"[A-Za-z0-9._-]{8,64}")


class PrivacyHeadersMiddleware:
    """Permissions-Policy on every response; no-store where a page can show or carry patient data.

    Browsers and shared caches keep nothing from the request flow, the manage pages (their URLs are
    the patient's key) or the admin, whatever each view remembers to say.
    """

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        response = self.get_response(request)
        response.headers.setdefault("Permissions-Policy", settings.PERMISSIONS_POLICY)
        if request.path.startswith(settings.NO_STORE_PATHS):
            add_never_cache_headers(response)
        return response


class RequestRecordMiddleware:
    """Outermost: one log line (request id, view, status, duration) and the metrics for every request.

    The line names the view, never the path: a patient's manage link carries its secret in the path.
    The request id comes from the proxy in front (X-Request-ID, nginx's $request_id) when it looks like
    one, else is made here; it is sent back and stamped on every line written for the request.
    """

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        given = request.META.get("HTTP_X_REQUEST_ID", "")
        request_id = given if REQUEST_ID_PATTERN.fullmatch(given) else secrets.token_hex(8)
        # Not reset afterwards: Django logs a 4xx/5xx (django.request) once this chain has returned, and
        # that line belongs to this request too. The next request in this thread sets its own.
        REQUEST_ID.set(request_id)
        started = time.perf_counter()
        response = self.get_response(request)
        duration = time.perf_counter() - started
        status = response.status_code
        match = request.resolver_match
        # A page served whole by the page cache never reached the URL resolver.
        view = match.view_name if match else "stored_page" if status in (200, 304) else "unresolved"
        metrics.count_request(view, status, duration)
        if settings.TRUFFLES_REQUEST_LOG:
            request_log.info(
                "%s %s %s %.1f ms", request.method, view, status, duration * 1000,
                extra={"method": request.method, "view": view, "status": status,
                       "duration_ms": round(duration * 1000, 1)},
            )  # fmt: skip
        response.headers["X-Request-ID"] = request_id
        return response


def count_database_errors(sender, request=None, **kwargs) -> None:
    """A request that ended in a database error (the 503 page): counted for /metrics by error class."""
    error = sys.exc_info()[1]
    if isinstance(error, DatabaseError):
        metrics.DATABASE_ERRORS.labels(type(error).__name__).inc()
