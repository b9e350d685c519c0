"""An iCalendar file (RFC 5545) so patients can add their visit to any calendar app."""

from datetime import UTC

from django.conf import settings
from django.utils import timezone


def _escape(text: str) -> str:
    return text.replace("\\", "\\\\").replace(";", "\\;").replace(",", "\\,").replace("\n", "\\n")


def _utc(moment) -> str:
    return moment.astimezone(UTC).strftime("%Y%m%dT%H%M%SZ")


def ics_for(appointment) -> str:
    location = appointment.location
    status = "CONFIRMED" if appointment.status == appointment.Status.CONFIRMED else "TENTATIVE"
    if not appointment.is_active:
        status = "CANCELLED"
    lines = [
        "BEGIN:VCALENDAR",
        "VERSION:2.0",
        "PRODID:-//Truffles Vein Specialists//Appointments//EN",
        "METHOD:PUBLISH",
        "BEGIN:VEVENT",
        f"UID:{appointment.reference}@truffles-veins",
        f"DTSTAMP:{_utc(timezone.now())}",
        f"DTSTART:{_utc(appointment.starts_at)}",
        f"DTEND:{_utc(appointment.ends_at)}",
        f"SUMMARY:{_escape(appointment.visit_type.name + ' at ' + settings.CLINIC['name'])}",
        f"LOCATION:{_escape(location.name + ', ' + location.address.replace(chr(10), ', '))}",
        f"DESCRIPTION:{_escape('Reference ' + appointment.reference + '. Questions: ' + location.phone)}",
        f"STATUS:{status}",
        "END:VEVENT",
        "END:VCALENDAR",
    ]
    return "\r\n".join(lines) + "\r\n"
