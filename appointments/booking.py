"""Every change to an appointment happens here, one function per step the clinic names.

Each step takes plain values, runs in one transaction and returns an `Outcome` that the caller
(a patient view, an admin view or action, a command) only has to show. PostgreSQL's exclusion
constraint has the last word on double booking; the checks here give people a clear answer first.
Patient messages hook on here, and `signals.time_freed` tells listeners (the waitlist) of time a step frees.
"""

import functools
from dataclasses import dataclass, field, replace
from datetime import timedelta

from django.conf import settings
from django.db import IntegrityError, connection, transaction
from django.utils import timezone
from django.utils.crypto import constant_time_compare, salted_hmac

from appointments import availability, notifications, protection
from appointments.models import Appointment, EmailCheck, Message, WorkingHours
from appointments.signals import time_freed
from appointments.tokens import submission_token_digest
from core import metrics

Status = Appointment.Status
NO_DOUBLE_BOOKING = "appointment_no_double_booking"
TAKEN = "That time was just taken. Choose another."
WRONG_CODE = "That code is not right. Check the latest email from us and type its 6 digits."
CODE_EXPIRED = "This code has expired and the time was released. Please choose a time again."
NO_MORE_CODES = "We have sent all the codes we can for this request. Check your spam folder, or call us."
ALREADY_BOOKED = "You already have upcoming visits with us. Please call us to arrange another."
# How far from now a chosen time may be; beyond it nothing is bookable (and dates overflow).
CHOICE_WINDOW = timedelta(days=366)


@dataclass(frozen=True)
class SlotChoice:
    """A time someone chose, with the provider and location it belongs to."""

    visit_type: object
    provider: object
    location: object
    start: object
    # The provider's working hours that day for this visit type, when known: `is_free` need not load them again.
    hours: tuple[availability.Block, ...] = field(default=(), compare=False)

    @property
    def end(self):
        return self.start + self.visit_type.duration

    @property
    def busy_until(self):
        return self.end + self.visit_type.buffer_after


@dataclass
class Outcome:
    """What a step did: the appointment, or why not (an error to show, or the time was taken)."""

    appointment: Appointment | None = None
    created: bool = False
    error: str = ""
    taken: bool = False
    alternatives: list = field(default_factory=list)

    @property
    def ok(self) -> bool:
        return self.appointment is not None and not self.error and not self.taken


class _Taken(Exception):
    """Internal: the time stopped being free inside the transaction."""


def choose_slot(visit_type, provider_id, start, policy: availability.Policy) -> SlotChoice | None:
    """The slot someone clicked, resolved to its provider and location; None if no such time exists.

    Whether it is still free is decided when it is booked, under the database's guarantee.
    """
    if visit_type is None or (policy.online_only and not visit_type.bookable_online):
        return None
    if start is None or timezone.is_naive(start) or abs(start - timezone.now()) > CHOICE_WINDOW:
        return None
    wall = timezone.localtime(start)
    day = list(
        WorkingHours.objects.select_related("provider", "location").filter(
            provider_id=provider_id, provider__active=True, provider__visit_types=visit_type, weekday=wall.weekday()
        )
    )
    hours = next((block for block in day if block.starts_at <= wall.time() < block.ends_at), None)
    if hours is None:
        return None
    blocks = tuple(availability.Block(block.provider_id, block.provider.name, block.location_id, block.weekday,
                                      block.starts_at, block.ends_at) for block in day)  # fmt: skip
    return SlotChoice(visit_type, hours.provider, hours.location, start, hours=blocks)


def choose_slot_by_key(visit_type, key, policy: availability.Policy) -> SlotChoice | None:
    """`choose_slot` for a `Slot.key` posted by a button or a radio."""
    parsed = availability.parse_slot_key(key)
    return choose_slot(visit_type, *parsed, policy) if parsed else None


def nearest_alternatives(slot: SlotChoice, count=5, policy=None):
    """Free slots closest in time to the one that was taken, any provider."""
    first_day = max(timezone.localdate(slot.start) - timedelta(days=3), timezone.localdate())
    slots = availability.find_slots(slot.visit_type, first_day, 14, policy=policy)
    slots.sort(key=lambda s: abs((s.start - slot.start).total_seconds()))
    return sorted(slots[:count], key=lambda s: s.start)


@metrics.counts_bookings("online")
def request_online(slot: SlotChoice, answers: dict, *, address: str, submission_token, browser: str,
                   source_article=None) -> Outcome:
    """A patient's request from the website: the limits, then the time is held and a code is emailed.

    Every request that passes the limits gets the same answer whatever the email's history: nothing
    here reads earlier visits (`prove_email` does, once the mailbox owner has entered the code). A
    resubmitted form (same submission token) returns its appointment only to the browser that made
    it (`browser`: the secret of that browser's cookie); to anyone else, an empty Outcome.
    """
    request_keys = protection.keys(address, answers["email"])
    token_hash = submission_token_digest(submission_token)
    policy = availability.Policy.for_patients()
    # Read before the limits' locks, which hold back a burst from one network or mail domain until it
    # commits, and acted on only after the limits; the exclusion constraint and the unique token still decide.
    free = _free_or_released(slot, policy)
    sent_before = Appointment.objects.filter(submission_token_hash=token_hash).exists()
    try:
        with transaction.atomic():
            verdict = protection.judge(request_keys, emailing=free and not sent_before)
            if verdict.refusal:
                return Outcome(error=verdict.refusal)
            details = _held_details(answers, token_hash, source_article)
            outcome = None if sent_before or not free else _store_hold(slot, details, policy)
            if outcome is None or outcome.taken:  # sent before (perhaps this very form, twice at once), or taken
                if existing := _request_sent_with(token_hash):
                    return _replayed(existing, browser)
                return outcome or _taken(None, slot, policy)
            _first_code(outcome.appointment, request_keys, browser, emailed=verdict.emails_code)
            return outcome
    except IntegrityError:
        existing = _request_sent_with(token_hash)
        if existing is None:
            raise
        return _replayed(existing, browser)


def _request_sent_with(token_hash: str) -> Appointment | None:
    return Appointment.objects.filter(submission_token_hash=token_hash).first()


def _held_details(answers: dict, token_hash: str, source_article) -> dict:
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
        if check is None or locked.status != Status.HELD:
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


def release_hold(appointment: Appointment) -> None:
    """The patient starts again (a mistyped address): the time and the typed details go at once."""
    with transaction.atomic():
        _release(Appointment.objects.filter(pk=appointment.pk, status=Status.HELD).values_list("pk", flat=True))


def release_expired_holds() -> int:
    """Free the times whose code was never entered (the worker calls this every minute; requests, lazily)."""
    with transaction.atomic():
        expired = list(
            Appointment.objects.select_for_update(skip_locked=True)
            .filter(pk__in=EmailCheck.objects.expired().values("appointment_id")[:500])
            .values_list("pk", flat=True)
        )
        return _release(expired)


def _release(ids) -> int:
    """Unproven requests end cancelled and erased: details nobody proved are not kept."""
    ids = list(ids)
    if ids:
        Appointment.objects.filter(pk__in=ids).update(status=Status.CANCELLED, updated_at=timezone.now())
        Appointment.objects.filter(pk__in=ids).erase_patient_details()
    return len(ids)


@metrics.counts_bookings("phone")
def book_by_phone(slot: SlotChoice, answers: dict) -> Outcome:
    """Staff book a patient who called: confirmed at once, consent taken on the phone."""
    details = {**answers, "status": Status.CONFIRMED, "consent_version": "phone", "consented_at": timezone.now()}
    with transaction.atomic():
        outcome = _hold(slot, details, availability.Policy.for_staff())
        if outcome.created:
            notifications.announce(outcome.appointment, Message.Kind.CONFIRMED)
        return outcome


def _hold(slot: SlotChoice, details: dict, policy) -> Outcome:
    """Create the appointment on the slot, or say it was taken (with the nearest free times)."""
    if not _free_or_released(slot, policy):
        return _taken(None, slot, policy)
    return _store_hold(slot, details, policy)


def _free_or_released(slot: SlotChoice, policy) -> bool:
    """Whether the slot is free, once holds whose code was never entered are released: lazily, so an
    abandoned hold does not keep a time the worker has not freed yet."""
    is_free = functools.partial(
        availability.is_free, slot.visit_type, slot.provider, slot.start, policy=policy, blocks=slot.hours or None
    )
    return is_free() or (release_expired_holds() > 0 and is_free())


def _store_hold(slot: SlotChoice, details: dict, policy) -> Outcome:
    """Create the appointment on a slot found free; the exclusion constraint has the last word."""
    risk_factors = details.pop("risk_factors", ())
    try:
        with transaction.atomic():
            appointment = Appointment.objects.create(
                visit_type=slot.visit_type, provider=slot.provider, location=slot.location, starts_at=slot.start,
                ends_at=slot.end, busy_until=slot.busy_until, **details,
            )
            if risk_factors:  # a new appointment has none to compare with: set() would ask first
                appointment.risk_factors.add(*risk_factors)
    except IntegrityError as error:
        return _taken(error, slot, policy)
    return Outcome(appointment, created=True)


def move_by_patient(appointment: Appointment, slot: SlotChoice) -> Outcome:
    """The patient moves their visit online: it goes back to "requested" for staff to confirm."""
    if not appointment.can_be_cancelled_by_patient():
        return Outcome(error="This appointment can no longer be moved online. Please call the clinic.")
    return _move(appointment, slot, availability.Policy.for_patients(), keep_status=False)


def move_by_staff(appointment: Appointment, slot: SlotChoice) -> Outcome:
    """Staff move a visit (the patient asked on the phone): it keeps its status."""
    return _move(appointment, slot, availability.Policy.for_staff(), keep_status=True)


def move_to_offered_time(appointment: Appointment, slot: SlotChoice) -> Outcome:
    """A waiting patient takes a freed time the clinic offered them: the visit moves and keeps its status.

    The minimum notice still applies; staff-only visit types may move (staff put those patients on the list).
    """
    policy = replace(availability.Policy.for_patients(), online_only=False)
    return _move(appointment, slot, policy, keep_status=True)


def _move(appointment, slot, policy, keep_status) -> Outcome:
    try:
        with transaction.atomic():
            locked = Appointment.objects.select_for_update().get(pk=appointment.pk)
            if not locked.is_active:
                return Outcome(error="Only requested or confirmed appointments can be moved.")
            if slot.visit_type != locked.visit_type:
                return Outcome(error="An appointment keeps its visit type when it moves.")
            if not availability.is_free(slot.visit_type, slot.provider, slot.start, policy=policy, ignore=locked.pk):
                raise _Taken
            old_time = {"provider_id": locked.provider_id, "location_id": locked.location_id,
                        "starts_at": locked.starts_at, "ends_at": locked.busy_until}  # fmt: skip
            locked.provider, locked.location = slot.provider, slot.location
            locked.starts_at, locked.ends_at, locked.busy_until = slot.start, slot.end, slot.busy_until
            if not keep_status:
                locked.status = Status.REQUESTED
            locked.save()
            notifications.announce(locked, Message.Kind.MOVED)
            time_freed.send(Appointment, **old_time, cause="moved", freed_by=locked)
    except (_Taken, IntegrityError) as error:
        return _taken(error, slot, policy)
    return Outcome(locked)


def confirm(appointment: Appointment, reason: str = "") -> Outcome:
    return _change_status(appointment, Status.CONFIRMED, reason)


def decline(appointment: Appointment, reason: str = "") -> Outcome:
    return _change_status(appointment, Status.DECLINED, reason)


def cancel(appointment: Appointment, reason: str = "") -> Outcome:
    return _change_status(appointment, Status.CANCELLED, reason)


def mark_completed(appointment: Appointment, reason: str = "") -> Outcome:
    return _change_status(appointment, Status.COMPLETED, reason)


def mark_no_show(appointment: Appointment, reason: str = "") -> Outcome:
    return _change_status(appointment, Status.NO_SHOW, reason)


# The step that takes an appointment to each status, for callers that offer them side by side.
STATUS_STEPS = {
    Status.CONFIRMED: confirm,
    Status.DECLINED: decline,
    Status.CANCELLED: cancel,
    Status.COMPLETED: mark_completed,
    Status.NO_SHOW: mark_no_show,
}


def record_arrival(appointment: Appointment) -> Outcome:
    """The front desk checks a patient in: the time is kept (and audited by the trigger), the status stays."""
    with transaction.atomic():
        locked = Appointment.objects.select_for_update().get(pk=appointment.pk)
        if not locked.can_arrive:
            if locked.arrived_at:
                return Outcome(error="This patient was already checked in.")
            return Outcome(error="Only a confirmed visit of today can be checked in.")
        locked.arrived_at = timezone.now()
        locked.save(update_fields=["arrived_at", "updated_at"])
    return Outcome(locked)


def erase_by_staff(appointment: Appointment, reason: str) -> Outcome:
    """Instead of deleting: erase the patient's details for a stated reason; the anonymous row and its
    trail stay. A visit still holding its time gives it up (cancelled, with nobody left to tell)."""
    if reason not in Appointment.ErasureReason.values or reason == Appointment.ErasureReason.RETENTION:
        return Outcome(error="Choose why these details are being erased.")
    with transaction.atomic():
        locked = Appointment.objects.select_for_update().get(pk=appointment.pk)
        if locked.erased_at:
            return Outcome(error="These details were already erased.")
        if locked.is_active:
            locked.status = Status.CANCELLED
            locked.save(update_fields=["status", "updated_at"])
            if locked.starts_at > timezone.now():
                time_freed.send(Appointment, provider_id=locked.provider_id, location_id=locked.location_id,
                                starts_at=locked.starts_at, ends_at=locked.busy_until, cause="cancelled",
                                freed_by=locked)  # fmt: skip
        Appointment.objects.filter(pk=locked.pk).erase_patient_details(reason)
    return Outcome(locked)


def cancel_by_patient(appointment: Appointment) -> Outcome:
    if not appointment.can_be_cancelled_by_patient():
        return Outcome(error="This appointment can no longer be cancelled online. Please call the clinic.")
    return _change_status(appointment, Status.CANCELLED, "Cancelled by the patient online.", by_patient=True)


# What the patient is told when a step takes their appointment to a status (attendance: nothing).
ANNOUNCED = {
    Status.CONFIRMED: Message.Kind.CONFIRMED,
    Status.DECLINED: Message.Kind.DECLINED,
    Status.CANCELLED: Message.Kind.CANCELLED,
}


# Steps after which the appointment's time is free for someone else (signals.time_freed), with the cause.
FREES_ITS_TIME = {Status.DECLINED: "declined", Status.CANCELLED: "cancelled"}


def _change_status(appointment: Appointment, status, reason: str, by_patient=False) -> Outcome:
    """Move an appointment along its lifecycle; refuses transitions that make no sense."""
    label = Status(status).label.lower()
    with transaction.atomic():
        locked = Appointment.objects.select_for_update().get(pk=appointment.pk)
        if not locked.can_change_to(status):
            return Outcome(error=f"A {locked.get_status_display().lower()} appointment cannot be marked {label}.")
        if status == Status.NO_SHOW and locked.arrived_at:
            return Outcome(error="The patient was checked in as arrived: this visit is not a no-show.")
        if status in (Status.COMPLETED, Status.NO_SHOW) and locked.starts_at > timezone.now() and not (
            status == Status.COMPLETED and locked.arrived_at
        ):
            # Marking a future visit done would free its time and tell the patient nothing (unless they came early).
            return Outcome(error=f"An appointment cannot be marked {label} before it starts.")
        locked.status = status
        if reason:
            locked.status_reason = reason
        locked.save(update_fields=["status", "status_reason", "updated_at"])
        if by_patient:
            notifications.announce(locked, Message.Kind.PATIENT_CANCELLED)
        elif status in ANNOUNCED:
            notifications.announce(locked, ANNOUNCED[status])
        if status in FREES_ITS_TIME:
            time_freed.send(Appointment, provider_id=locked.provider_id, location_id=locked.location_id,
                            starts_at=locked.starts_at, ends_at=locked.busy_until, cause=FREES_ITS_TIME[status],
                            freed_by=locked)  # fmt: skip
    return Outcome(locked)


def confirm_by_patient(appointment: Appointment) -> Outcome:
    """The patient answered the reminder "C": they are coming. Staff see it on the list and the schedule."""
    with transaction.atomic():
        locked = Appointment.objects.select_for_update().get(pk=appointment.pk)
        if not locked.is_active:
            return Outcome(error="Only requested or confirmed appointments can be confirmed by the patient.")
        if locked.patient_confirmed_at is None:
            locked.patient_confirmed_at = timezone.now()
            locked.save(update_fields=["patient_confirmed_at", "updated_at"])
    return Outcome(locked)


def _taken(error, slot, policy) -> Outcome:
    """The time was taken under us: by our own check, or by the database's exclusion constraint."""
    if isinstance(error, IntegrityError) and not _violates(error, NO_DOUBLE_BOOKING):
        raise error
    return Outcome(error=TAKEN, taken=True, alternatives=nearest_alternatives(slot, policy=policy))


def _violates(error: IntegrityError, constraint: str) -> bool:
    cause = error.__cause__
    return getattr(getattr(cause, "diag", None), "constraint_name", None) == constraint
