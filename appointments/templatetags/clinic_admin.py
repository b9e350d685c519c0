from datetime import datetime, time, timedelta

from django import template
from django.utils import timezone

from appointments.models import Appointment

register = template.Library()


@register.simple_tag
def clinic_today(request):
    """What the front desk needs first on the admin index; nothing for staff without access."""
    if not request.user.has_perm("appointments.view_appointment"):
        return None
    start = timezone.make_aware(datetime.combine(timezone.localdate(), time.min))
    return {
        "awaiting_triage": Appointment.objects.filter(status=Appointment.Status.REQUESTED).count(),
        "appointments": list(
            Appointment.objects.filter(starts_at__gte=start, starts_at__lt=start + timedelta(days=1))
            .exclude(status__in=[Appointment.Status.CANCELLED, Appointment.Status.DECLINED])
            .select_related("provider")
            .order_by("starts_at")
        ),
        "can_see_schedule": request.user.has_perm("appointments.view_schedule"),
    }
