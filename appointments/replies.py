"""Texts patients send us (POST /sms/inbound/) and Twilio's reports on the texts we send (POST /sms/status/).

A reply is about the sender's next visit, found by their number. One keyword, one handler:
`KEYWORDS` maps what a patient may text (trimmed, any case) to the function that answers it; a
new keyword is one handler and one entry there (the waitlist adds its "Y" with `add_keyword`).
STOP, START and HELP work for any number, known or not, as the carriers require.
"""

from collections.abc import Callable
from dataclasses import dataclass, replace

from django.conf import settings
from django.db import transaction
from django.utils import timezone

from appointments import booking, notifications, sms, texts
from appointments.models import Appointment, Message, TextOptOut, TextReply

Meaning = TextReply.Meaning
STOP_WORDS = {"STOP", "STOPALL", "UNSUBSCRIBE", "CANCEL", "END", "QUIT"}
START_WORDS = {"START", "UNSTOP"}
HELP_WORDS = {"HELP"}
# How far each delivery status has come; a late report never undoes a later one.
PROGRESS = {"accepted": 0, "queued": 0, "scheduled": 0, "sending": 1, "sent": 2, "delivered": 3, "undelivered": 3,
            "failed": 3, "read": 4}  # fmt: skip


@dataclass(frozen=True, slots=True, kw_only=True)
class InboundText:
    sid: str  # Twilio's id (SM…): a retried webhook carries the same one
    number: str  # the sender, E.164
    body: str  # what they wrote


Handler = Callable[[InboundText, Appointment], str]


def keyword_of(body: str) -> str:
    return body.strip().strip(".!").strip().upper()


def answer(text: InboundText) -> str:
    """What we text back (empty: nothing). Records what the reply did, once per Twilio id."""
    keyword = keyword_of(text.body)
    with transaction.atomic():
        if TextReply.objects.filter(provider_id=text.sid).exists():
            return ""  # Twilio retried a webhook we already answered
        if keyword in STOP_WORDS | START_WORDS:
            _record_opt_out(text.number, keyword, opted_out=keyword in STOP_WORDS)
        appointment = Appointment.objects.select_for_update(of=("self",)).filter(
            pk=getattr(Appointment.objects.next_visit_of_number(text.number), "pk", None)
        ).select_related("visit_type", "location").first()
        clinic = {"clinic": settings.TRUFFLES_CLINIC["name"], "phone": settings.TRUFFLES_CLINIC["phone"]}
        if appointment is None:
            if keyword in STOP_WORDS | START_WORDS | HELP_WORDS:
                return texts.answer(_GENERAL[_meaning(keyword)], **clinic)
            return texts.answer("unknown_number", **clinic)
        return KEYWORDS.get(keyword, not_understood)(text, appointment)


def _meaning(keyword: str) -> str:
    return Meaning.STOP if keyword in STOP_WORDS else Meaning.START if keyword in START_WORDS else Meaning.HELP


_GENERAL = {Meaning.STOP: "stopped", Meaning.START: "started", Meaning.HELP: "help"}


def _record_opt_out(number: str, keyword: str, *, opted_out: bool) -> None:
    TextOptOut.objects.update_or_create(
        number_digest=TextOptOut.digest(number),
        defaults={"opted_out": opted_out, "keyword": keyword, "changed_at": timezone.now()},
    )
    # Texts still queued for this number go by email instead when they fall due (notifications._hold_text).


def record_reply(
    text: InboundText, appointment: Appointment, meaning: str, answer_name: str, link: str = "", **fields: object
) -> str:
    """Record what a patient's text did, and the answer to text back."""
    TextReply.objects.create(appointment=appointment, provider_id=text.sid, meaning=meaning, **fields)
    facts = sms.facts_for(appointment)
    return texts.answer(answer_name, replace(facts, link=link) if link else facts)


def opt_out_or_in(text: InboundText, appointment: Appointment) -> str:
    meaning = _meaning(keyword_of(text.body))
    return record_reply(text, appointment, meaning, _GENERAL[meaning])


def confirm_coming(text: InboundText, appointment: Appointment) -> str:
    booking.confirm_by_patient(appointment)
    return record_reply(text, appointment, Meaning.CONFIRM, "confirmed")


def change_time(text: InboundText, appointment: Appointment) -> str:
    if not appointment.short_link_path():  # booked by phone: no link anyone keeps
        return record_reply(text, appointment, Meaning.CHANGE, "not_understood", needs_attention=True)
    link = sms.site_url(appointment.short_link_path(change=True))
    return record_reply(text, appointment, Meaning.CHANGE, "change", link)


def not_understood(text: InboundText, appointment: Appointment) -> str:
    return record_reply(text, appointment, Meaning.OTHER, "not_understood", body=text.body[:1600], needs_attention=True)


KEYWORDS: dict[str, Handler] = {
    **dict.fromkeys(STOP_WORDS | START_WORDS | HELP_WORDS, opt_out_or_in),
    "C": confirm_coming,
    "R": change_time,
}


def add_keyword(keyword: str, handler: Handler) -> None:
    """A keyword an app above this one answers (the waitlist's "Y"), added from its AppConfig.ready()."""
    KEYWORDS[keyword_of(keyword)] = handler


def record_delivery(notification_id: str, sid: str, status: str, error_code: str) -> None:
    """Twilio's report on one text: keep the furthest status; a failed text shows as failed, or goes by email."""
    with transaction.atomic():
        found = Message.objects.select_for_update().select_related("appointment").filter(channel=Message.Channel.TEXT)
        message = (found.filter(pk=int(notification_id)) if notification_id.isdigit() else found.none()).first()
        message = message or (found.filter(provider_id=sid).first() if sid else None)
        if message is None or PROGRESS.get(status, -1) < PROGRESS.get(message.delivery, -1):
            return
        message.delivery, message.provider_id = status, message.provider_id or sid[:40]
        fields = ["delivery", "provider_id"]
        if status in ("undelivered", "failed") and message.state != Message.State.FAILED:
            code = int(error_code) if error_code.isdigit() else None
            why = f"Twilio {code}" if code else f"Twilio {status}"
            if code in sms.CANNOT_RECEIVE:
                message.save(update_fields=fields)
                notifications.fall_back_to_email(message, f"{why}: the number takes no texts; sent by email.")
                return
            message.state, message.last_error = Message.State.FAILED, why
            fields += ["state", "last_error"]
        elif status in ("sent", "delivered", "read") and message.state == Message.State.SENDING:
            message.state, message.sent_at = Message.State.SENT, timezone.now()
            fields += ["state", "sent_at"]
        message.save(update_fields=fields)
