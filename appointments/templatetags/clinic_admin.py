from urllib.parse import urlencode

from django import template
from django.urls import reverse
from django.utils import timezone

from appointments.models import Appointment
from audit.trail import record_listing

register = template.Library()


@register.simple_tag
def clinic_today(request):
    """What the front desk needs first on the admin index; nothing for staff without access."""
    if not request.user.has_perm("appointments.view_appointment"):
        return None
    today = list(
        Appointment.objects.on_local_days(timezone.localdate()).on_schedule().select_related("provider")
        .order_by("starts_at")
    )  # fmt: skip
    record_listing(request, "admin index", today)  # the box names today's patients
    return {
        "awaiting_triage": Appointment.objects.awaiting_triage().count(),
        "attendance_unrecorded": Appointment.objects.attendance_unrecorded().count(),
        "appointments": today,
        "can_see_schedule": request.user.has_perm("appointments.view_schedule"),
        "can_see_insights": request.user.has_perm("appointments.view_insights"),
    }


# How often the header's count asks the server again; a small JSON answer, one indexed COUNT.
TRIAGE_POLL_SECONDS = 30


@register.inclusion_tag("admin/appointments/triage_badge.html", takes_context=True)
def triage_badge(context):
    """The count of requests awaiting triage, on every admin page of staff who may see appointments."""
    request = context.get("request")
    user = getattr(request, "user", None)
    if user is None or not user.is_staff or not user.has_perm("appointments.view_appointment"):
        return {"count": None}
    return {
        "count": Appointment.objects.awaiting_triage().count(),
        "list_url": reverse("admin:appointments_appointment_changelist"),
        "source_url": reverse("admin:appointments_appointment_awaiting_triage"),
        "every_seconds": TRIAGE_POLL_SECONDS,
        "csp_nonce": context.get("csp_nonce"),  # the script runs under the page's CSP nonce
    }


@register.simple_tag
def phone_booking_url(slot, visit_type) -> str:
    """Book by phone with this free time chosen (the page still opens with the red-flag script)."""
    query = {"visit_type": visit_type.pk, "provider": slot.provider_id,
             "date": timezone.localdate(slot.start).isoformat(), "slot": slot.key}
    return reverse("admin:appointments_appointment_book") + "?" + urlencode(query)
