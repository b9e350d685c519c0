import functools
import json
import re
import secrets
import uuid
from datetime import date, datetime, timedelta
from http import HTTPStatus
from urllib.parse import quote, urlencode

from django.conf import settings
from django.contrib import messages
from django.http import HttpResponse, JsonResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils import timezone
from django.views.decorators.cache import never_cache
from django.views.decorators.http import require_GET

from appointments import availability, booking
from appointments.forms import AppointmentRequestForm, EmailCodeForm, SlotSearchForm
from appointments.manage_views import reschedule
from appointments.models import Appointment, EmailCheck, Provider, VisitType
from articles.models import Article
from core.client import client_address
from core.models import Version
from core.numbers import OverlongNumber, TooLong, whole_number, whole_number_or_none
from core.pagecache import LocalCache

MAX_DAYS = 31
# How far from today a date in a URL may point; beyond it, nothing is bookable anyway.
DATE_WINDOW = timedelta(days=366)
SLUG = re.compile(r"^[-a-zA-Z0-9_]{1,200}$")
# The cookie that names the browser a request came from (signed; only its keyed hash is stored).
BROWSER_COOKIE = "truffles_request_browser"
BROWSER_COOKIE_SALT = "truffles.appointments.request-browser-cookie"
BROWSER_COOKIE_AGE = 7 * 24 * 3600
# availability.json bodies this process built, by schedule version and the times they list.
_availability_bodies = LocalCache(256)


def _slug_or_blank(value) -> str:
    """A slug-shaped parameter, or "" for anything else (odd characters never reach the database)."""
    return value if isinstance(value, str) and SLUG.match(value) else ""


def _source_article(slug):
    slug = _slug_or_blank(slug)
    if not slug:
        return None
    return Article.objects.published().filter(slug=slug).only("id", "title", "slug").first()


@functools.cache
def _details_path():
    return reverse("appointments:details")


def _details_url(slot, visit_type, source="", reschedule=""):
    """The details step for a slot; its provider and start travel as separate, readable parameters.

    Built by hand, as urlencode would: a week or a fortnight of times makes hundreds of these, and
    the slugs are already URL-safe (visit types by their field, the others by _slug_or_blank).
    """
    start = quote(slot.start.isoformat(), safe="")
    url = f"{_details_path()}?visit_type={visit_type.slug}&provider={slot.provider_id}&start={start}"
    if source:
        url += f"&from={source}"
    if reschedule:
        url += f"&reschedule={reschedule}"
    return url


def free_times_page_key(request, now, versions):
    """Pages of free times are kept per schedule version and booking clock (core/pagecache.py).

    A booking, move or cancellation bumps the version in its own transaction, so each kept page
    loses that time at once. A reschedule link carries the patient's token: never kept.
    """
    schedule = versions.get(Version.SCHEDULE)
    if not schedule or "reschedule" in request.GET:
        return None
    return f"{schedule[0]}/{availability.clock_key(schedule[0], now)}"


@require_GET
def request_start(request):
    """Choose a visit type, optionally a specialist, and a free time a week at a time."""
    form = SlotSearchForm(_search_values(request.GET))
    context = {"form": form, "days": [], "reschedule": _slug_or_blank(request.GET.get("reschedule", ""))}
    if form.is_valid():
        context.update(_week_of_times(request, form.cleaned_data, context["reschedule"]))
    return render(request, "appointments/request_start.html", context)


def _search_values(params):
    """The query string as the search form takes it; a mangled week or article link counts as absent."""
    data = params.copy()
    if "from" in data and "source" not in data:
        data["source"] = data["from"]
    data["source"] = _slug_or_blank(data.get("source", ""))
    try:
        date.fromisoformat(data.get("week", ""))
    except ValueError:
        data.pop("week", None)
    if not data.get("visit_type"):
        first = VisitType.objects.filter(bookable_online=True).first()
        if first:
            data["visit_type"] = first.slug
    return data


def _week_of_times(request, cleaned, reschedule):
    """The week's day strip and the chosen day's free times, grouped morning and afternoon."""
    visit_type, provider, source = cleaned["visit_type"], cleaned["provider"], cleaned["source"]
    today = timezone.localdate()
    last_day = today + timedelta(days=settings.TRUFFLES_BOOKING["HORIZON_DAYS"])
    week = min(max(cleaned["week"] or today, today), last_day)
    slots = availability.cached_slots(visit_type, week, 7, provider=provider)
    closed = availability.closed_days(visit_type, week, 7, provider=provider)
    days = _group_by_day(slots, week, visit_type, source, reschedule, provider is None)
    for day in days:
        day["url"] = _week_url(request, week, day["date"])
        day["note"] = _day_note(day, closed)
        day["short"] = f"{len(day['slots'])} free" if day["slots"] else day["note"].split(" ", 1)[0].rstrip(":")
    chosen = _chosen_day(request.GET.get("day", ""), days)
    return {
        "visit_type": visit_type,
        "provider": provider,
        "week": week,
        "week_end": week + timedelta(days=6),
        "days": days,
        "day": chosen,
        "morning": [slot for slot in chosen["slots"] if slot["start"].hour < 12],
        "afternoon": [slot for slot in chosen["slots"] if slot["start"].hour >= 12],
        "previous_week": _week_url(request, week - timedelta(days=7)) if week > today else None,
        "next_week": _week_url(request, week + timedelta(days=7)) if week + timedelta(days=7) <= last_day else None,
        "source_article": _source_article(source),
    }


def _week_url(request, week, day=None):
    query = request.GET.copy()
    query["week"] = week.isoformat()
    query.pop("day", None)
    if day:
        query["day"] = day.isoformat()
    return "?" + query.urlencode()


def _day_note(day, closed):
    """What a day without free times tells the patient: why, in plain words."""
    if day["slots"]:
        return ""
    if day["date"] in closed:
        return f"Closed — {closed[day['date']]}" if closed[day["date"]] else "Closed"
    if day["date"] <= timezone.localtime(availability.Policy.for_patients().earliest).date():
        return "Call us: too soon to book online"
    return "Full: no free times left"


def _chosen_day(value, days):
    """The day whose times are shown: the one asked for, else the first with free times."""
    for day in days:
        if day["date"].isoformat() == value:
            return day
    return next((day for day in days if day["slots"]), days[0])


def _group_by_day(slots, first_day, visit_type, source, reschedule, one_per_time):
    """Seven days, each with its free times; with 'any specialist', one entry per time."""
    days = {first_day + timedelta(days=offset): [] for offset in range(7)}
    seen = set()
    for slot in slots:
        if one_per_time and slot.start in seen:
            continue
        seen.add(slot.start)
        local = timezone.localtime(slot.start)
        days[local.date()].append(
            {
                "start": local,
                "provider_name": slot.provider_name,
                "url": _details_url(slot, visit_type, source, reschedule),
            }
        )
    return [{"date": day, "slots": day_slots} for day, day_slots in days.items()]


class BadParameter(ValueError):
    def __init__(self, parameter, message, status=HTTPStatus.BAD_REQUEST):
        super().__init__(message)
        self.parameter, self.status = parameter, status


def _availability_query(params):
    """visit type, first day, days and provider from the query string, or BadParameter saying what is wrong."""
    slug = params.get("visit_type", "")
    if not slug:
        raise BadParameter("visit_type", "visit_type is required, e.g. visit_type=vein-evaluation.")
    if not _slug_or_blank(slug):
        raise BadParameter("visit_type", "visit_type must be a visit type's slug, e.g. vein-evaluation.")
    try:
        first_day = date.fromisoformat(params.get("date", ""))
    except ValueError:
        raise BadParameter("date", "date must be a calendar date in the form YYYY-MM-DD.") from None
    if abs(first_day - timezone.localdate()) > DATE_WINDOW:
        raise BadParameter("date", "date must be within a year of today.")
    days = whole_number_or_none(params.get("days", "7"), max_digits=2)
    if days is None or not 1 <= days <= MAX_DAYS:
        raise BadParameter("days", f"days must be a whole number from 1 to {MAX_DAYS}.")
    provider = None
    if params.get("provider"):
        try:
            provider = Provider.objects.get(pk=whole_number(params["provider"]), active=True)
        except TooLong:
            raise BadParameter("provider", "provider is too long to be a specialist's id.") from None
        except (ValueError, Provider.DoesNotExist):
            raise BadParameter("provider", "provider must be the id of an active specialist.") from None
    visit_type = VisitType.objects.with_schedule_version().filter(slug=slug, bookable_online=True).first()
    if visit_type is None:
        raise BadParameter("visit_type", f"No visit type called {slug!r}.", HTTPStatus.NOT_FOUND)
    return visit_type, first_day, days, provider


@require_GET
def availability_json(request):
    try:
        visit_type, first_day, days, provider = _availability_query(request.GET)
    except BadParameter as error:
        return JsonResponse({"error": str(error), "parameter": error.parameter}, status=error.status)
    slots = availability.cached_slots(visit_type, first_day, days, provider=provider)
    base = request.build_absolute_uri("/")[:-1]
    # The same schedule version and the same first time and count mean the same list of times.
    key = (visit_type.schedule_version, visit_type.pk, first_day, days, provider and provider.pk, base,
           slots[0].start if slots else None, len(slots))  # fmt: skip
    body = _availability_bodies.get(key) if visit_type.schedule_version is not None else None
    if body is None:
        body = json.dumps(
            {
                "timezone": settings.TIME_ZONE,
                "visit_type": visit_type.slug,
                "slots": [
                    {
                        "start": slot.start.isoformat(),
                        "end": slot.end.isoformat(),
                        "provider": {"id": slot.provider_id, "name": slot.provider_name},
                        "request_url": base + _details_url(slot, visit_type),
                    }
                    for slot in slots
                ],
            }
        ).encode()
        _availability_bodies.set(key, body)
    return HttpResponse(body, content_type="application/json")


def _chosen_slot(values):
    """The slot named by a form's visit_type, provider and start (or an alternative's key)."""
    visit_type = VisitType.objects.filter(slug=_slug_or_blank(values.get("visit_type", ""))).first()
    policy = availability.Policy.for_patients()
    if values.get("alternative"):
        return booking.choose_slot_by_key(visit_type, values["alternative"], policy)
    try:
        provider_id, start = whole_number(values.get("provider", "")), datetime.fromisoformat(values.get("start", ""))
    except TooLong:
        raise OverlongNumber("specialist number") from None
    except (ValueError, TypeError, OverflowError):
        return None
    return booking.choose_slot(visit_type, provider_id, start, policy)


@never_cache
def request_details(request):
    """Step 2: the patient's details and intake for the chosen time; books on submit."""
    values = request.POST if request.method == "POST" else request.GET
    slot = _chosen_slot(values)
    if slot is None:
        messages.error(request, "That time is not available. Please choose a time from the list.")
        return redirect("appointments:request")
    reschedule_token = _slug_or_blank(values.get("reschedule", ""))
    if reschedule_token:
        return reschedule(request, slot, reschedule_token)
    source = _slug_or_blank(values.get("from", ""))
    context = {"slot": slot, "source_article": _source_article(source), "source": source}
    browser = _browser_secret(request)
    if request.method != "POST":
        context["form"] = AppointmentRequestForm(
            initial={"submission_token": uuid.uuid4()}, visit_type=slot.visit_type
        )
        if not availability.is_free(slot.visit_type, slot.provider, slot.start):
            context.update(taken=True, alternatives=booking.nearest_alternatives(slot))
        return _remember_browser(render(request, "appointments/request_details.html", context), browser)
    return _remember_browser(_submit(request, slot, context, browser), browser)


def _browser_secret(request) -> str:
    """This browser's secret from its signed cookie (a new one if it has none): a resubmitted form
    finds its request only from the browser that sent it."""
    secret = request.get_signed_cookie(BROWSER_COOKIE, default="", salt=BROWSER_COOKIE_SALT)
    return secret or secrets.token_urlsafe(32)


def _remember_browser(response, secret: str):
    response.set_signed_cookie(
        BROWSER_COOKIE, secret, salt=BROWSER_COOKIE_SALT, max_age=BROWSER_COOKIE_AGE,
        secure=settings.SESSION_COOKIE_SECURE, httponly=True, samesite="Lax",
    )  # fmt: skip
    return response


def _submit(request, slot, context, browser):
    form = context["form"] = AppointmentRequestForm(request.POST, visit_type=slot.visit_type)
    if form.has_urgent_signs:
        # Stop here and store nothing: these signs need emergency care, not an appointment.
        return render(request, "appointments/urgent.html", status=HTTPStatus.OK)
    if form.is_bot:
        form.add_error(None, "Your request could not be sent. Please call the clinic to book.")
        return render(request, "appointments/request_details.html", context, status=HTTPStatus.BAD_REQUEST)
    if not form.is_valid():
        return render(request, "appointments/request_details.html", context, status=HTTPStatus.BAD_REQUEST)
    outcome = booking.request_online(
        slot, form.answers(), address=client_address(request), submission_token=form.cleaned_data["submission_token"],
        browser=browser, source_article=context["source_article"],
    )
    if outcome.taken:
        context.update(taken=True, alternatives=outcome.alternatives)
        return render(request, "appointments/request_details.html", context, status=HTTPStatus.CONFLICT)
    if outcome.error:
        form.add_error(None, outcome.error)
        return render(request, "appointments/request_details.html", context, status=HTTPStatus.TOO_MANY_REQUESTS)
    if outcome.appointment and outcome.appointment.status != Appointment.Status.HELD:
        return redirect(outcome.appointment)  # the same browser sent its proved request again
    # Every request gets this one answer: the outcome goes to the mailbox, never to the page.
    return redirect("appointments:check_email")


@never_cache
def check_email(request):
    """Step 3: the 6-digit code from the email proves the address; the chosen time is held meanwhile."""
    pending = _pending_request(request)
    form = EmailCodeForm(request.POST if request.POST.get("action") == "confirm" else None)
    context = {"form": form, "pending": pending, "hold_minutes": settings.TRUFFLES_BOOKING["HOLD_MINUTES"]}
    action = request.POST.get("action") if request.method == "POST" else ""
    if action == "start-again" and pending:
        booking.release_hold(pending.appointment)
        return redirect(_details_url_for(pending.appointment))
    if action == "resend" and pending:
        outcome = booking.resend_code(pending.appointment)
        messages.info(request, outcome.error or "We sent a new code. Only the newest code works.")
        return redirect("appointments:check_email")
    if action == "confirm" and form.is_valid():
        outcome = booking.prove_email(pending.appointment, form.cleaned_data["code"]) if pending else None
        if outcome is None or outcome.error == booking.WRONG_CODE:
            form.add_error("code", booking.WRONG_CODE)
        elif outcome.error == booking.ALREADY_BOOKED:
            return render(request, "appointments/check_email.html", {**context, "already_booked": True})
        elif outcome.error:
            context.update(expired=outcome.error, pending=None)
        else:
            messages.success(request, "Your request has been sent. Keep this page or note your reference.")
            return redirect(outcome.appointment)
    status = HTTPStatus.BAD_REQUEST if form.errors else HTTPStatus.OK
    return render(request, "appointments/check_email.html", context, status=status)


def _pending_request(request):
    """This browser's latest request still waiting for its code, if any."""
    secret = request.get_signed_cookie(BROWSER_COOKIE, default="", salt=BROWSER_COOKIE_SALT)
    if not secret:
        return None
    return (
        EmailCheck.objects.filter(browser_hash=booking.browser_digest(secret))
        .filter(appointment__status=Appointment.Status.HELD)
        .select_related("appointment")
        .order_by("-created_at")
        .first()
    )


def _details_url_for(appointment):
    query = urlencode({"visit_type": appointment.visit_type.slug, "provider": appointment.provider_id,
                       "start": appointment.starts_at.isoformat()})  # fmt: skip
    return f"{_details_path()}?{query}"
