"""The email for one notification: subject, plain text and HTML from templates/emails/, calendar file."""

from urllib.parse import urlencode, urlsplit

from django.conf import settings
from django.core.mail import EmailMultiAlternatives
from django.template.loader import render_to_string
from django.urls import reverse
from django.utils import timezone

from appointments import calendar
from appointments.models import Appointment, Message
from core import dates

Kind = Message.Kind
CALLED_OFF = {Kind.DECLINED, Kind.CANCELLED, Kind.PATIENT_CANCELLED}
WITH_CALENDAR_FILE = {Kind.CONFIRMED, Kind.MOVED} | CALLED_OFF

SUBJECTS = {
    Kind.RECEIVED: "We have your request {reference}",
    Kind.CONFIRMED: "Your visit is confirmed: {when}",
    Kind.DECLINED: "We could not keep the time you asked for ({reference})",
    Kind.CANCELLED: "Your visit on {day} is cancelled",
    Kind.PATIENT_CANCELLED: "You cancelled your visit on {day}",
    Kind.MOVED: "Your visit has moved to {when}",
    Kind.REMINDER: "Reminder: your visit {when}",
    Kind.WAITLIST_OFFER: "An earlier time has opened",
    Kind.CLINIC_NOTICE: "New online request {reference}",
    Kind.EMAIL_CODE: "Your code to send your request",
}


def site_url(path: str) -> str:
    return settings.TRUFFLES_MESSAGES["SITE_URL"] + path


def patient_link(appointment: Appointment) -> str:
    """The patient's page, when it can be rebuilt: online requests derive it from their form's token
    (with the secret key). A visit booked by phone has no link anyone keeps, so its emails say to call."""
    try:
        return site_url(appointment.get_absolute_url())
    except ValueError:
        return ""


def context_for(message: Message) -> dict:
    """What an email's templates may show: the appointment as it is now, its links, and the kind's extras."""
    appointment = message.appointment
    choose = reverse("appointments:request") + "?" + urlencode({"visit_type": appointment.visit_type.slug})
    context = {
        "message": message,
        "appointment": appointment,
        "clinic": settings.TRUFFLES_CLINIC,
        "starts": timezone.localtime(appointment.starts_at),
        "manage_url": patient_link(appointment),
        "choose_url": site_url(choose),
        "admin_url": site_url(reverse("admin:appointments_appointment_change", args=[appointment.pk])),
        "reason": appointment.status_reason if message.kind in (Kind.DECLINED, Kind.CANCELLED) else "",
    }
    if message.kind == Kind.EMAIL_CODE:
        check = appointment.email_check
        context.update(code=check.code(message.sequence), expires=timezone.localtime(check.expires_at))
    if message.kind == Kind.WAITLIST_OFFER:
        context["offer"] = offer = getattr(message, "waitlist_offer", None)
        context["claim_url"] = site_url(offer.get_absolute_url()) if offer else ""
    return context


def render(message: Message) -> EmailMultiAlternatives:
    """The email for one message, from the appointment as it is now."""
    appointment, clinic, context = message.appointment, settings.TRUFFLES_CLINIC, context_for(message)
    starts = context["starts"]
    subject = SUBJECTS[message.kind].format(
        reference=appointment.reference, when=dates.visit_moment(starts), day=dates.weekday_date(starts)
    )
    template = f"emails/{message.kind}"
    recipient = appointment.email if message.to_patient else settings.TRUFFLES_MESSAGES["CLINIC_INBOX"]
    domain = urlsplit(settings.TRUFFLES_MESSAGES["SITE_URL"]).hostname or "truffles-veins"
    email = EmailMultiAlternatives(
        subject=f"{clinic['name']}: {subject}",
        body=render_to_string(f"{template}.txt", context),
        to=[recipient],
        reply_to=[clinic["email"]],
        headers={
            # One id per message row, kept across retries, so a second copy can be recognised.
            "Message-ID": f"<appointment-message-{message.pk}@{domain}>",
            "Auto-Submitted": "auto-generated",
        },
    )
    email.attach_alternative(render_to_string(f"{template}.html", context), "text/html")
    if message.to_patient and message.kind in WITH_CALENDAR_FILE:
        email.attach(f"{appointment.reference}.ics", calendar.ics_for(appointment), "text/calendar")
    return email


