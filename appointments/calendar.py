"""An iCalendar file (RFC 5545) so patients can add their visit to any calendar app.

Built with the icalendar package: it folds long lines, escapes text and writes the clinic's
time zone (VTIMEZONE) for us. The UID never changes, SEQUENCE rises with every move (and once
more on cancellation) so calendar apps replace the old entry, and a cancelled or declined visit
comes as METHOD:CANCEL so they remove it. Only the visit, the place and the reference: nothing
about the patient's health.
"""

from zoneinfo import ZoneInfo

from django.conf import settings
from django.utils import timezone
from icalendar import Calendar, Event, vCalAddress

PRODID = "-//Truffles Vein Specialists//Appointments//EN"


def uid_for(appointment) -> str:
    return f"{appointment.reference}@truffles-veins"


def sequence_for(appointment) -> int:
    """How many times the entry has changed: once per move, plus one when it is called off."""
    from appointments.models import Message

    moves = Message.objects.filter(appointment=appointment, kind=Message.Kind.MOVED).count()
    return moves + (0 if appointment.is_active else 1)


def ics_for(appointment) -> str:
    zone = ZoneInfo(settings.TIME_ZONE)
    location = appointment.location
    active = appointment.is_active
    if not active:
        status = "CANCELLED"
    elif appointment.status == appointment.Status.CONFIRMED:
        status = "CONFIRMED"
    else:
        status = "TENTATIVE"
    organizer = vCalAddress(f"mailto:{location.email}")
    organizer.params["CN"] = settings.TRUFFLES_CLINIC["name"]
    event = Event.new(
        uid=uid_for(appointment),
        sequence=sequence_for(appointment),
        stamp=timezone.now(),
        start=appointment.starts_at.astimezone(zone),
        end=appointment.ends_at.astimezone(zone),
        summary=f"{appointment.visit_type.name} at {settings.TRUFFLES_CLINIC['name']}",
        location=f"{location.name}, {', '.join(location.address.splitlines())}",
        description=f"Reference {appointment.reference}. Questions: {location.phone}",
        status=status,
        organizer=organizer,
    )
    calendar = Calendar.new(prodid=PRODID, method="PUBLISH" if active else "CANCEL", subcomponents=[event])
    calendar.add_missing_timezones()
    return calendar.to_ical().decode()
