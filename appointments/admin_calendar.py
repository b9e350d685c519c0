"""The calendar pages of the appointments admin: the day and week grid, and check-in from today's grid.

Methods of AppointmentAdmin (mixed in), so each page is wrapped by `admin_site.admin_view` and checks
the ModelAdmin's permissions. The grid itself is built by calendar_grid.py.
"""

from datetime import timedelta
from urllib.parse import urlencode

from django.contrib import messages
from django.core.exceptions import PermissionDenied
from django.http import HttpResponseBadRequest, HttpResponseNotAllowed, HttpResponseRedirect
from django.shortcuts import get_object_or_404
from django.template.response import TemplateResponse
from django.urls import reverse
from django.utils import formats, timezone

from appointments import booking
from appointments.calendar_grid import load_calendar
from appointments.models import Appointment, VisitType
from audit.trail import record_listing
from core.numbers import whole_number_or_none

SPANS = ("day", "week")
# Check-in from today's grid: step -> (the permission it needs, the booking step that records it).
CHECK_IN_STEPS = {
    "arrived": ("appointments.record_arrival", booking.record_arrival),
    "seen": ("appointments.record_attendance", booking.mark_completed),
    "no_show": ("appointments.record_attendance", booking.mark_no_show),
}


class CalendarPages:
    """AppointmentAdmin's calendar: `calendar_view` (GET) and `check_in_view` (POST from today's grid)."""

    def calendar_view(self, request):
        if not self.has_schedule_permission(request):
            raise PermissionDenied
        today = timezone.localdate()
        day = self.requested_day(request, today)
        span = request.GET.get("span") if request.GET.get("span") in SPANS else "day"
        visit_types = list(VisitType.objects.all())
        wanted = whole_number_or_none(request.GET.get("visit_type"))
        visit_type = next((v for v in visit_types if v.pk == wanted), visit_types[0] if visit_types else None)
        provider_id = whole_number_or_none(request.GET.get("provider"))
        calendar = load_calendar(day, span=span, visit_type=visit_type, provider_id=provider_id)
        provider = next((p for p in calendar.providers if p.pk == provider_id), None)
        # Who saw which visits on the grid (names, times), by id; never what they said.
        record_listing(request, f"calendar ({span})", calendar.appointment_ids)
        keep = {"span": span, "provider": provider.pk if provider else "",
                "visit_type": visit_type.pk if visit_type else ""}
        shown = f"week of {calendar.days[0]:%a %b %-d, %Y}" if span == "week" else f"{day:%a %b %-d, %Y}"
        title = f"Calendar, {shown}"
        context = {
            **self.admin_site.each_context(request), "opts": self.model._meta, "is_nav_sidebar_enabled": False,
            "title": f"{title}, {provider.name}" if provider else title, "calendar": calendar, "day": day,
            "span": span, "provider": provider, "visit_type": visit_type, "visit_types": visit_types, "keep": keep,
            "links": _links(day, span, today, keep), "mode": "book", "is_today": span == "day" and day == today,
            "can_book": self.has_booking_permission(request),
            "can_arrive": request.user.has_perm("appointments.record_arrival"),
            "can_attend": self.has_attendance_permission(request),
        }
        return TemplateResponse(request, "admin/appointments/appointment/calendar.html", context)

    def check_in_view(self, request):
        """Arrived, Seen or No-show from today's grid; the trigger audits the change. Back to the grid after."""
        if request.method != "POST":
            return HttpResponseNotAllowed(["POST"])
        step = CHECK_IN_STEPS.get(request.POST.get("step", ""))
        if step is None:
            return HttpResponseBadRequest("Unknown check-in step.")
        permission, take = step
        if not request.user.has_perm(permission):
            raise PermissionDenied
        appointment = get_object_or_404(Appointment, pk=whole_number_or_none(request.POST.get("appointment")) or 0)
        outcome = take(appointment)
        if outcome.ok:
            local = timezone.localtime(outcome.appointment.arrived_at or timezone.now())
            done = {"arrived": f"arrived at {formats.time_format(local, 'TIME_FORMAT')}", "seen": "seen (completed)",
                    "no_show": "marked no-show"}[request.POST["step"]]
            self.message_user(request, f"{appointment.reference}: {done}.", messages.SUCCESS)
        else:
            self.message_user(request, f"{appointment.reference}: {outcome.error}", messages.ERROR)
        query = {"date": timezone.localdate(appointment.starts_at).isoformat(), "span": "day"}
        for name in ("provider", "visit_type"):
            if whole_number_or_none(request.POST.get(name)):
                query[name] = request.POST[name]
        url = reverse("admin:appointments_appointment_calendar") + "?" + urlencode(query) + f"#appt-{appointment.pk}"
        return HttpResponseRedirect(url)


def _links(day, span, today, keep) -> dict[str, str]:
    """The grid's navigation: previous, today, next, and the same day as a day or a week."""
    step = timedelta(days=7 if span == "week" else 1)
    targets = {"previous": (day - step, span), "today": (today, span), "next": (day + step, span),
               "day": (day, "day"), "week": (day, "week")}
    return {name: "?" + urlencode({**keep, "date": target.isoformat(), "span": target_span})
            for name, (target, target_span) in targets.items()}
