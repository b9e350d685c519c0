from django import template

from waitlist import openings
from waitlist.forms import WaitlistForm
from waitlist.models import WaitlistEntry

register = template.Library()


@register.inclusion_tag("waitlist/panel.html", takes_context=True)
def waitlist_panel(context, appointment):
    """"Tell me if an earlier time opens" on the patient's page: the form, or their place on the list."""
    entry = WaitlistEntry.objects.filter(appointment=appointment).first()
    shown = openings.is_enabled() and appointment.can_be_cancelled_by_patient()
    waiting = entry is not None and entry.state == WaitlistEntry.State.WAITING
    form = context.get("waitlist_form") or WaitlistForm.for_entry(entry if waiting else None, appointment)
    return {"appointment": appointment, "entry": entry, "waiting": waiting, "form": form, "shown": shown,
            "csrf_token": context.get("csrf_token"), "open_form": form.is_bound}  # fmt: skip
