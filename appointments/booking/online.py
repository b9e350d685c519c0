"""A patient's request from the website: the limits, a held time, and the emailed code that proves the mailbox."""

from datetime import timedelta
from typing import Any

from django.conf import settings
from django.db import IntegrityError, connection, transaction
from django.utils import timezone
from django.utils.crypto import constant_time_compare, salted_hmac

from appointments import availability, notifications, protection
from appointments.booking.times import Outcome, SlotChoice, _free_or_released, _release, _store_hold, _taken
from appointments.models import Appointment, EmailCheck, Message
from appointments.tokens import submission_token_digest
from core import metrics

Status = Appointment.Status
WRONG_CODE = "That code is not right. Check the latest email from us and type its 6 digits."
CODE_EXPIRED = "This code has expired and the time was released. Please choose a time again."
NO_MORE_CODES = "We have sent all the codes we can for this request. Check your spam folder, or call us."
ALREADY_BOOKED = "You already have upcoming visits with us. Please call us to arrange another."


@metrics.counts_bookings("online")
def request_online(slot: SlotChoice, answers: dict[str, Any], *, address: str, submission_token: object,
                   browser: str, source_article: object = None) -> Outcome:
    """A patient's request from the website: the limits, then the time is held and a code is emailed.

    Every request that passes the limits gets the same answer whatever the email's history: nothing
    here reads earlier visits (`prove_email` does, once the code is entered). A resubmitted form
    returns its appointment only to the browser that made it (`browser`, its cookie's secret).
    """
    request_keys = protection.keys(address, answers["email"])
    token_hash = submission_token_digest(submission_token)
    policy = availability.Policy.for_patients()
    # Read before the limits' locks (which hold back a burst from one network or mail domain), acted on
    # only after the limits; the exclusion constraint and the unique token still decide.
    free = _free_or_released(slot, policy)
    sent_before = Appointment.objects.filter(submission_token_hash=token_hash).exists()
    try:
        with transaction.atomic():
            verdict = protection.judge(request_keys, emailing=free and not sent_before)
            if verdict.refusal:
                return Outcome(error=verdict.refusal)
            details = _held_details(answers, token_hash, source_article)
            outcome = None if sent_before or not free else _store_hold(slot, details, policy)
            if outcome is None or outcome.appointment is None:  # sent before (this form twice at once?), or taken
                if existing := _request_sent_with(token_hash):
                    return _replayed(existing, browser)
                return outcome or _taken(None, slot, policy)
            _first_code(outcome.appointment, request_keys, browser, emailed=verdict.emails_code)
            return outcome
    except IntegrityError:
        if (existing := _request_sent_with(token_hash)) is None:
            raise
        return _replayed(existing, browser)


def _request_sent_with(token_hash: str) -> Appointment | None:
    return Appointment.objects.filter(submission_token_hash=token_hash).first()


def _held_details(answers: dict[str, Any], token_hash: str, source_article: object) -> dict[str, Any]:
    """The appointment's fields for an online request, held until its email code is entered."""
    return {
        **answers,
        "status": Status.HELD,
        "consent_version": settings.TRUFFLES_BOOKING["PRIVACY_NOTICE_VERSION"],
        "consented_at": timezone.now(),
        "source_article": source_article,
        "submission_token_hash": token_hash,
    }


def _first_code(held: Appointment, request_keys: dict[str, str], browser: str, emailed: bool) -> EmailCheck:
    """The held request's first code, emailed unless its mailbox had its day's share (`protection.judge`)."""
    now = timezone.now()
    check = EmailCheck.objects.create(
        appointment=held, browser_hash=browser_digest(browser), network_key=request_keys["network"],
        domain_key=request_keys["domain"], mailbox_key=request_keys["mailbox"], codes_sent=1, created_at=now,
        expires_at=now + timedelta(minutes=settings.TRUFFLES_BOOKING["HOLD_MINUTES"]),
    )  # fmt: skip
    if emailed:
        notifications.send_email_code(check)
    return check


def browser_digest(browser: str) -> str:
    """What the database keeps of the browser's cookie secret; "" when the browser sent none."""
    if not browser:
        return ""
    return salted_hmac("truffles.appointments.request-browser", browser, algorithm="sha256").hexdigest()


def _replayed(existing: Appointment, browser: str) -> Outcome:
    """A form sent again: its own browser finds its request; a copied token opens nothing, changes nothing."""
    check = EmailCheck.objects.filter(appointment=existing).first()
    if check and browser and constant_time_compare(check.browser_hash, browser_digest(browser)):
        return Outcome(existing)
    return Outcome()


def _send_code(check: EmailCheck) -> bool:
    """A new code for the request (earlier ones stop working), emailed unless its mailbox had its day's share."""
    if check.codes_sent >= settings.TRUFFLES_BOOKING["CODE_EMAILS_PER_REQUEST"]:
        return False
    check.codes_sent += 1
    check.save(update_fields=["codes_sent"])
    if protection.may_email_code(check.mailbox_key):
        notifications.send_email_code(check)
    return True


def prove_email(appointment: Appointment, typed_code: str) -> Outcome:
    """The patient entered the emailed code: only now is the request linked to the patient's earlier visits.

    A right code makes the hold a request for staff (or, past the per-patient cap, releases it and
    asks the patient to call). Too many wrong codes, or too late, and the time is released.
    """
    with transaction.atomic():
        locked = Appointment.objects.select_for_update().filter(pk=appointment.pk).first()
        check = EmailCheck.objects.filter(appointment=locked).first() if locked else None
        if locked is None or check is None or locked.status != Status.HELD:
            return Outcome(locked) if check and check.proven_at else Outcome(error=CODE_EXPIRED)
        if check.expires_at <= timezone.now():
            _release([locked.pk])
            return Outcome(error=CODE_EXPIRED)
        if not check.matches(typed_code):
            check.wrong_tries += 1
            check.save(update_fields=["wrong_tries"])
            if check.wrong_tries >= settings.TRUFFLES_BOOKING["WRONG_CODES_PER_REQUEST"]:
                _release([locked.pk])
                return Outcome(error=CODE_EXPIRED)
            return Outcome(error=WRONG_CODE)
        check.proven_at = timezone.now()
        check.save(update_fields=["proven_at"])
        with connection.cursor() as cursor:  # one mailbox's codes entered at once are counted one by one
            cursor.execute("SELECT pg_advisory_xact_lock(hashtext(%s))", [check.mailbox_key])
        return _link_to_patient(locked)


def _link_to_patient(held: Appointment) -> Outcome:
    """A proved request joins the patient's record: returning or new, and within the cap on open visits."""
    mailbox = protection.normalised_email(held.email)
    upcoming = Appointment.objects.active().filter(date_of_birth=held.date_of_birth, starts_at__gte=timezone.now())
    if sum(protection.normalised_email(email) == mailbox for email in upcoming.values_list("email", flat=True)) >= (
        settings.TRUFFLES_BOOKING["MAX_OPEN_REQUESTS_PER_PATIENT"]
    ):
        held.status, held.status_reason = Status.CANCELLED, ALREADY_BOOKED
        held.save(update_fields=["status", "status_reason", "updated_at"])
        return Outcome(held, error=ALREADY_BOOKED)
    earlier = Appointment.objects.of_patient(held.email, held.date_of_birth).exclude(pk=held.pk)
    held.is_new_patient = not earlier.exists()
    held.status = Status.REQUESTED
    held.save(update_fields=["status", "is_new_patient", "updated_at"])
    notifications.announce(held, Message.Kind.RECEIVED)
    return Outcome(held)


def resend_code(appointment: Appointment) -> Outcome:
    """Another code for a request still waiting for one; the hold keeps its original end."""
    with transaction.atomic():
        locked = Appointment.objects.select_for_update().filter(pk=appointment.pk, status=Status.HELD).first()
        check = EmailCheck.objects.unproven().filter(appointment=locked).first() if locked else None
        if check is None:
            return Outcome(error=CODE_EXPIRED)
        if not _send_code(check):
            return Outcome(locked, error=NO_MORE_CODES)
        return Outcome(locked)


