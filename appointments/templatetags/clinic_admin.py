from django import template
from django.utils import timezone

from appointments.models import Appointment

register = template.Library()


@register.simple_tag
def clinic_today(request):
    """What the front desk needs first on the admin index; nothing for staff without access."""
    if not request.user.has_perm("appointments.view_appointment"):
        return None
    return {
        "awaiting_triage": Appointment.objects.awaiting_triage().count(),
        "appointments": list(
            Appointment.objects.on_local_days(timezone.localdate())
            .on_schedule()
            .select_related("provider")
            .order_by("starts_at")
        ),
        "can_see_schedule": request.user.has_perm("appointments.view_schedule"),
    }
