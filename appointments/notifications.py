"""What the clinic tells patients (and its own inbox) about their appointments, and how it gets there:
by email and, for patients who chose and agreed to it, by text message.

`announce(appointment, event)` is the one way in: the booking functions call it inside the
transaction that changes the appointment. It writes one `Message` row per notification owed, keyed
by (appointment, kind, sequence, channel), and enqueues a task that carries only the row's id. Both
land in PostgreSQL with the change itself, so a rolled-back change sends nothing and a committed one
is never forgotten. The worker (`manage.py worker`) runs `deliver(id)`:

1. lock the row; skip it if it was sent, failed for good, or is no longer true (a reminder for a
   visit cancelled or moved since); a text waits for the morning in the quiet hours, and goes by
   email instead when the number opted out; otherwise mark it "sending" with the time, and commit;
2. send it (SMTP, or Twilio's API for a text), every step bounded by TRUFFLES_MAIL_TIMEOUT_SECONDS;
3. mark it sent, or put it back with a doubling wait (a new task with `run_after`), or, after
   TRUFFLES_MAIL_ATTEMPTS tries, mark it failed for staff to see. A text to a number that cannot
   receive texts is answered by the same notification by email.

A worker killed before step 3 leaves the row "sending"; once the claim is older than any honest
send could take (ten times the timeout), the next worker to start (or its sweep, once a minute)
puts it back in the queue. The one window left: a worker killed after the server accepted the
message and before the row says so (or a provider that took the text and never answered). Then the
patient can get it twice; two emails share one Message-ID, which lets most mail systems drop the
second. Neither SMTP nor Twilio's Messages API lets a sender make a send idempotent, so that window
(the milliseconds between the server's "OK" and our commit) cannot close.

Minimum necessary: a message names the visit, the time, the place, the reference and the patient's
page; never the date of birth, reasons, RLS answers, risk factors, notes or insurance. A text says
less still (appointments/texts.py). The clinic's inbox gets the reference, the time and a link to
the admin, nothing more.
"""

import logging
import smtplib
from datetime import datetime, timedelta

from django.apps import apps
from django.conf import settings
from django.core.mail import EmailMultiAlternatives
from django.db import transaction
from django.db.models import Q, QuerySet
from django.utils import timezone

from appointments import emails, sms, texts
from appointments.models import Appointment, EmailCheck, Message, TextOptOut

logger = logging.getLogger(__name__)

Kind = Message.Kind
State = Message.State
Channel = Message.Channel

# The events a booking step can announce; reminders and the clinic's notice follow from them.
EVENTS = {Kind.RECEIVED, Kind.CONFIRMED, Kind.DECLINED, Kind.CANCELLED, Kind.PATIENT_CANCELLED, Kind.MOVED}
CALLED_OFF = emails.CALLED_OFF
LONGEST_WAIT = timedelta(hours=6)
render = emails.render  # the email for a message (tests and the admin preview call it by this name)


def channels_for(appointment: Appointment) -> list[str]:
    """How the patient hears: by text when they chose it, agreed, and texting is set up; by email otherwise too."""
    if not (appointment.wants_texts and sms.enabled() and not TextOptOut.objects.stopped(appointment.phone)):
        return [Channel.EMAIL]
    return [Channel.EMAIL, Channel.TEXT] if appointment.wants_email else [Channel.TEXT]


def announce(appointment: Appointment, event: str) -> list[Message]:
    """Record and queue the notifications an appointment change owes. Call it inside the change's transaction.

    `appointment` carries its new state. Announcing the same event twice creates nothing new.
    """
    kind = Kind(event)
    if kind not in EVENTS:
        raise ValueError(f"{kind} follows from other events and cannot be announced on its own.")
    now = timezone.now()
    with transaction.atomic():
        moves = Message.objects.filter(appointment=appointment, kind=Kind.MOVED).values("sequence").distinct().count()
        sequence = moves + 1 if kind == Kind.MOVED else moves
        owed = [(kind, now)]
        if kind == Kind.MOVED or kind in CALLED_OFF:
            appointment.messages.filter(kind=Kind.REMINDER, state=State.PENDING).update(
                state=State.SKIPPED, last_error="Not sent: the visit was moved or called off."
            )
        if kind in (Kind.CONFIRMED, Kind.MOVED) and appointment.status == Appointment.Status.CONFIRMED:
            due = appointment.starts_at - timedelta(hours=settings.TRUFFLES_MESSAGES["REMINDER_HOURS"])
            if due > now:  # a visit confirmed at short notice needs no reminder beside the confirmation
                owed.append((Kind.REMINDER, due))
        channels = channels_for(appointment)
        wanted = [(owed_kind, channel, due) for owed_kind, due in owed for channel in channels]
        if kind == Kind.RECEIVED:
            wanted.append((Kind.CLINIC_NOTICE, Channel.EMAIL, now))
        return [message for args in wanted if (message := _owe(appointment, *args, sequence=sequence))]


def _owe(appointment: Appointment, kind: str, channel: str, send_after: datetime, *, sequence: int) -> Message | None:
    """The row for one notification on one channel, queued; None when it was owed already."""
    message, new = Message.objects.get_or_create(
        appointment=appointment, kind=kind, sequence=sequence, channel=channel, defaults={"send_after": send_after}
    )
    if new:
        _enqueue(message)
    return message if new else None


def fall_back_to_email(message: Message, why: str) -> None:
    """The same notification by email, when its text cannot go (opted out, or the number takes no texts)."""
    message.state, message.last_error = State.FAILED if message.attempts else State.SKIPPED, why[:200]
    message.save(update_fields=["state", "last_error"])
    fallback = _owe(message.appointment, message.kind, Channel.EMAIL, timezone.now(), sequence=message.sequence)
    if fallback:
        logger.info("Text %s for %s goes by email instead: %s", message.pk, message.appointment.reference, why)


def send_email_code(check: EmailCheck) -> Message:
    """Queue the email with the request's latest code (the number of codes sent is its sequence)."""
    message = Message.objects.create(
        appointment_id=check.appointment_id, kind=Kind.EMAIL_CODE, sequence=check.codes_sent
    )
    _enqueue(message)
    return message


def offer_time(appointment: Appointment, offer_id: int) -> Message:
    """Record and queue a waitlist offer (waitlist/offers.py) on the patient's channels, inside the offer's transaction.

    The offer's id is the message's sequence: one message per offer and channel, whatever retries happen.
    Returns the email when there is one (its link claims the offer), else the text (Y claims it).
    """
    made = [_owe(appointment, Kind.WAITLIST_OFFER, channel, timezone.now(), sequence=offer_id)
            for channel in channels_for(appointment)]  # fmt: skip
    return next(message for message in made if message)


def _enqueue(message: Message) -> None:
    from appointments.tasks import deliver_message

    task = deliver_message
    if message.send_after > timezone.now():
        task = task.using(run_after=message.send_after)
    task.enqueue(message.pk)


def stale_after() -> timedelta:
    """Longer than any honest send: each SMTP step may take up to the timeout, and there are about ten."""
    return timedelta(seconds=10 * settings.TRUFFLES_MESSAGES["TIMEOUT_SECONDS"])


def backoff(attempts: int) -> timedelta:
    wait = timedelta(seconds=settings.TRUFFLES_MESSAGES["RETRY_SECONDS"] * 2 ** max(attempts - 1, 0))
    return min(wait, LONGEST_WAIT)


def deliver(message_id: int) -> str:
    """Send one message at most once; returns what happened (the task's result, for the tasks admin)."""
    now = timezone.now()
    with transaction.atomic():
        message = (
            Message.objects.select_for_update(of=("self",))
            .select_related("appointment__visit_type", "appointment__provider", "appointment__location")
            .filter(pk=message_id)
            .first()
        )
        if message is None or message.state in (State.SENT, State.FAILED, State.SKIPPED):
            return message.state if message else "gone"
        if message.state == State.SENDING and message.claimed_at > now - stale_after():
            return "being sent by another worker"
        if message.send_after > now + timedelta(seconds=1):
            return "not due yet"  # a second task for this row; the row's own task runs when it is due
        reason = obsolete(message)
        if reason:
            message.state, message.last_error = State.SKIPPED, reason
            message.save(update_fields=["state", "last_error"])
            return State.SKIPPED
        if message.channel == Channel.TEXT:
            held = _hold_text(message, now)
            if held:
                return held
        outgoing = sms.render(message) if message.channel == Channel.TEXT else emails.render(message)
        message.state, message.claimed_at, message.attempts = State.SENDING, now, message.attempts + 1
        message.save(update_fields=["state", "claimed_at", "attempts"])
    if isinstance(outgoing, EmailMultiAlternatives):
        return _send_email(message, outgoing)
    return _send_text(message, outgoing)


def _hold_text(message: Message, now: datetime) -> str:
    """Why a due text does not leave now (and what happens instead), or an empty string."""
    if not sms.enabled() or TextOptOut.objects.stopped(message.appointment.phone):
        fall_back_to_email(message, "Not texted: texting is off or the number opted out; sent by email.")
        return "by email instead"
    morning = texts.quiet_until(timezone.localtime(now), *settings.TRUFFLES_TEXTS["QUIET_HOURS"])
    if morning:
        message.send_after = morning
        message.save(update_fields=["send_after"])
        _enqueue(message)
        return "waits for the morning"
    return ""


def _send_email(message: Message, email: EmailMultiAlternatives) -> str:
    try:
        email.send()
    except (OSError, smtplib.SMTPException) as error:
        return _record_failure(message.pk, error, final=refused_for_good(error))
    Message.objects.filter(pk=message.pk).update(state=State.SENT, sent_at=timezone.now(), last_error="")
    logger.info("Sent %s message %s for %s", message.kind, message.pk, message.appointment.reference)
    return State.SENT


def _send_text(message: Message, text: sms.OutgoingText) -> str:
    try:
        provider_id = sms.send(text, status_callback=sms.status_callback_url(message.pk))
    except sms.TextNotSent as error:
        if error.cannot_receive:
            if error.summary == f"Twilio {sms.OPTED_OUT_AT_TWILIO}":  # the number told Twilio STOP: as if told us
                TextOptOut.objects.update_or_create(
                    number_digest=TextOptOut.digest(message.appointment.phone),
                    defaults={"opted_out": True, "keyword": "Twilio 21610"},
                )
            with transaction.atomic():
                fall_back_to_email(Message.objects.select_for_update().get(pk=message.pk), describe(error))
            return "by email instead"
        return _record_failure(message.pk, error, final=not error.worth_retrying)
    Message.objects.filter(pk=message.pk).update(provider_id=provider_id)
    # A delivery report may have come in already; it has the last word on the state.
    Message.objects.filter(pk=message.pk, state=State.SENDING).update(state=State.SENT, sent_at=timezone.now(),
                                                                     last_error="")  # fmt: skip
    logger.info("Texted %s message %s for %s", message.kind, message.pk, message.appointment.reference)
    return State.SENT


def refused_for_good(error: Exception) -> bool:
    """The server said no for good (a 5xx answer, e.g. an address that does not exist): retrying cannot help."""
    if isinstance(error, smtplib.SMTPRecipientsRefused):
        return all(code >= 500 for code, _ in error.recipients.values())
    return isinstance(error, smtplib.SMTPResponseException) and error.smtp_code >= 500


def _record_failure(message_id: int, error: Exception, final: bool = False) -> str:
    with transaction.atomic():
        message = Message.objects.select_for_update().select_related("appointment").get(pk=message_id)
        message.last_error = describe(error)
        if final or message.attempts >= settings.TRUFFLES_MESSAGES["ATTEMPTS"]:
            message.state = State.FAILED
            logger.warning(
                "Gave up on %s message %s for %s after %s attempts: %s",
                message.kind, message.pk, message.appointment.reference, message.attempts, message.last_error,
            )  # fmt: skip
        else:
            message.state = State.PENDING
            message.send_after = timezone.now() + max(backoff(message.attempts), getattr(error, "retry_after", None)
                                                      or timedelta(0))  # fmt: skip
            _enqueue(message)
            logger.info("Will retry %s message %s at %s: %s", message.kind, message.pk, message.send_after,
                        message.last_error)  # fmt: skip
        message.save(update_fields=["state", "last_error", "send_after"])
    return str(message.state)


def describe(error: Exception) -> str:
    """The kind of failure for staff; never the error's text, which can quote the recipient's address or number."""
    if isinstance(error, sms.TextNotSent):
        return error.summary[:200]
    detail = getattr(error, "smtp_code", None) or getattr(error, "strerror", None) or ""
    return f"{type(error).__name__} {detail}".strip()[:200]


def obsolete(message: Message) -> str:
    """Why a queued message should no longer go out, or an empty string.

    The patient hears the latest news only: a confirmation or a move overtaken by a cancellation
    or by another move is not sent (the newer message is on its way), nor is a stale reminder.
    """
    appointment = message.appointment
    if appointment.erased_at:
        return "Not sent: the patient's details were erased."
    if message.kind == Kind.EMAIL_CODE:
        return _obsolete_code(message)
    if message.kind == Kind.WAITLIST_OFFER:  # the offer's id is the sequence, for its email and its text alike
        offer = apps.get_model("waitlist", "Offer").objects.select_related("entry").filter(pk=message.sequence).first()
        if offer is None or not offer.is_open or offer.entry.state != offer.entry.State.WAITING:
            return "Not sent: the offer was taken or lapsed, or the patient left the waitlist."
        return ""
    if message.kind not in (Kind.CONFIRMED, Kind.MOVED, Kind.REMINDER):
        return ""
    if message.kind in (Kind.CONFIRMED, Kind.REMINDER) and appointment.status != Appointment.Status.CONFIRMED:
        return "Not sent: the visit is no longer confirmed."
    if not appointment.is_active:
        return "Not sent: the visit was called off."
    if Message.objects.filter(appointment=appointment, kind=Kind.MOVED).values("sequence").distinct().count() != (
        message.sequence
    ):
        return "Not sent: the visit moved since; the message for the new time goes instead."
    if message.kind == Kind.REMINDER and appointment.starts_at <= timezone.now():
        return "Not sent: the visit had begun."
    return ""


def _obsolete_code(message: Message) -> str:
    check = message.appointment.email_check
    if message.appointment.status != Appointment.Status.HELD or check.expires_at <= timezone.now():
        return "Not sent: the code was entered or has expired."
    if message.sequence != check.codes_sent:
        return "Not sent: a newer code was asked for."
    return ""


def send_again(queryset: QuerySet[Message]) -> int:
    """Staff's "send again" for messages that failed for good: a fresh set of attempts."""
    with transaction.atomic():
        failed = list(queryset.select_for_update().filter(state=State.FAILED))
        for message in failed:
            message.state, message.attempts, message.send_after = State.PENDING, 0, timezone.now()
            message.save(update_fields=["state", "attempts", "send_after"])
            _enqueue(message)
    return len(failed)


def requeue_abandoned() -> int:
    """Queue again what a killed worker left behind; returns how many messages that was.

    A claim older than `stale_after()` is abandoned. A message that has been due that long with no
    task waiting for it lost its task (a worker died between taking the task and claiming the row).
    Queueing one twice does no harm: `deliver` locks the row and sends it once.
    """
    from django_tasks_db.models import DBTaskResult

    cutoff = timezone.now() - stale_after()
    waiting = DBTaskResult.objects.filter(
        status="READY", task_path="appointments.tasks.deliver_message"
    ).values_list("args_kwargs__args__0", flat=True)
    with transaction.atomic():
        found = list(
            Message.objects.select_for_update(skip_locked=True).filter(
                Q(state=State.SENDING, claimed_at__lt=cutoff)
                | (Q(state=State.PENDING, send_after__lt=cutoff) & ~Q(pk__in=list(waiting)))
            )
        )
        for message in found:
            if message.state == State.SENDING:
                message.state = State.PENDING
                message.save(update_fields=["state"])
            _enqueue(message)
    if found:
        logger.warning("Queued %s abandoned message(s) again", len(found))
    return len(found)
