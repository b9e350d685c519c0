"""The clinic's steps on an appointment once it exists (or is booked by phone): move, confirm, decline,
cancel, attendance, check-in, erasure."""

from dataclasses import replace
from typing import Any

from django.db import IntegrityError, transaction
from django.utils import timezone

from appointments import availability, notifications
from appointments.booking.times import Outcome, SlotChoice, _hold, _Taken, _taken
from appointments.models import Appointment, Message
from appointments.signals import time_freed
from core import metrics

Status = Appointment.Status


@metrics.counts_bookings("phone")
def book_by_phone(slot: SlotChoice, answers: dict[str, Any]) -> Outcome:
    """Staff book a patient who called: confirmed at once, consent taken on the phone."""
    details = {**answers, "status": Status.CONFIRMED, "consent_version": "phone", "consented_at": timezone.now()}
    with transaction.atomic():
        outcome = _hold(slot, details, availability.Policy.for_staff())
        if outcome.created and outcome.appointment is not None:
            notifications.announce(outcome.appointment, Message.Kind.CONFIRMED)
        return outcome


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


def _move(appointment: Appointment, slot: SlotChoice, policy: availability.Policy, keep_status: bool) -> Outcome:
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
ANNOUNCED: dict[str, str] = {
    Status.CONFIRMED: Message.Kind.CONFIRMED,
    Status.DECLINED: Message.Kind.DECLINED,
    Status.CANCELLED: Message.Kind.CANCELLED,
}


# Steps after which the appointment's time is free for someone else (signals.time_freed), with the cause.
FREES_ITS_TIME: dict[str, str] = {Status.DECLINED: "declined", Status.CANCELLED: "cancelled"}


def _change_status(appointment: Appointment, status: str, reason: str, by_patient: bool = False) -> Outcome:
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


