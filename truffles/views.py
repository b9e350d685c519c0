import sys
from http import HTTPStatus

from django.conf import settings
from django.db import DatabaseError, InterfaceError, OperationalError
from django.http import Http404, HttpResponse, HttpResponseBadRequest, HttpResponseServerError, JsonResponse
from django.shortcuts import redirect, render
from django.template import loader
from django.templatetags.static import static
from django.utils import timezone
from django.views.decorators.cache import never_cache
from django.views.decorators.http import require_GET, require_safe
from prometheus_client import CONTENT_TYPE_LATEST

from articles.models import Article
from core import health, metrics
from core.numbers import OverlongNumber


def home(request):
    latest = Article.objects.published().for_cards().order_by("-published_at")[:3]
    return render(request, "home.html", {"latest_articles": latest})


@require_GET
def privacy(request):
    return render(request, "privacy.html", {"privacy_version": settings.TRUFFLES_BOOKING["PRIVACY_NOTICE_VERSION"]})


@require_GET
@never_cache
def healthz(request):
    """200 while the database answers ("degraded", with the reason, when no worker beat recently); else 503."""
    try:
        last_beat = health.latest_beat()
    except DatabaseError as error:
        metrics.DATABASE_ERRORS.labels(type(error).__name__).inc()
        # The reason names the failure class only: connection strings never leave the server.
        return JsonResponse(
            {"status": "unavailable", "reason": f"database unreachable ({type(error).__name__})"},
            status=HTTPStatus.SERVICE_UNAVAILABLE,
        )
    worker = health.worker_health(last_beat, timezone.now())
    return JsonResponse({"status": worker["status"], "worker": worker})


@require_GET
@never_cache
def prometheus_metrics(request):
    """The figures of deploy/prometheus-alerts.yml, for the monitoring server only (404 to anyone else)."""
    if not metrics.may_read(request):
        raise Http404
    return HttpResponse(metrics.exposition(), content_type=CONTENT_TYPE_LATEST)


@require_GET
def robots_txt(request):
    # The request start page is what a search for the clinic should find; the steps after it
    # (one URL per free time) and a patient's own booking page are not for crawlers.
    lines = [
        "User-agent: *",
        "Disallow: /admin/",
        "Disallow: /appointments/request/details/",
        "Disallow: /appointments/manage/",
        "Disallow: /appointments/availability.json",
        f"Sitemap: {request.build_absolute_uri('/sitemap.xml')}",
    ]
    return HttpResponse("\n".join(lines) + "\n", content_type="text/plain")


@require_safe
def favicon(request):
    """Browsers ask for /favicon.ico whatever the page says; send them to the hashed static file."""
    return redirect(static("icons/favicon.ico"), permanent=True)


def server_error(request):
    """500, or the 503 page when the database is unreachable (raised in a view or any middleware).

    Rendered without the request context: the failure may be in the database or a context processor.
    """
    error = sys.exc_info()[1]
    if isinstance(error, (OperationalError, InterfaceError)):
        response = HttpResponse(
            loader.render_to_string("503.html", {"clinic": settings.TRUFFLES_CLINIC}),
            status=HTTPStatus.SERVICE_UNAVAILABLE,
        )
        response["Retry-After"] = "60"
        return response
    return HttpResponseServerError(loader.render_to_string("500.html", {"clinic": settings.TRUFFLES_CLINIC}))


def bad_request(request, exception):
    """400: our own refusals say what was wrong; anything else (a forged host, a broken cookie) says nothing."""
    message = str(exception) if isinstance(exception, OverlongNumber) else ""
    page = loader.render_to_string("400.html", {"clinic": settings.TRUFFLES_CLINIC, "message": message})
    return HttpResponseBadRequest(page)
