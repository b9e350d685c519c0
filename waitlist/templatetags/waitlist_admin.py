from django import template
from django.urls import reverse
from django.utils import timezone

from appointments.models import Appointment
from waitlist.models import WaitlistEntry

register = template.Library()


@register.inclusion_tag("admin/waitlist/summary.html")
def waitlist_section(appointment: Appointment) -> dict:
    """The appointment page's waitlist section: the entry, its offers, and a link to add or change it."""
    entry = WaitlistEntry.objects.filter(appointment=appointment).select_related("specialist").first()
    if entry is None:
        url = reverse("admin:waitlist_waitlistentry_add") + f"?appointment={appointment.pk}"
    else:
        url = reverse("admin:waitlist_waitlistentry_change", args=[entry.pk])
    return {
        "entry": entry, "url": url,
        "offers": entry.offers.select_related("opening__provider").order_by("-created_at") if entry else [],
        "can_wait": appointment.is_active and appointment.starts_at > timezone.now(),
    }  # fmt: skip
