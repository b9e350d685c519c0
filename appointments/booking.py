"""What happens to an appointment: each step is one function, one transaction.

Views and admin actions call these with plain values; patient messages can hook on here.
"""

from dataclasses import dataclass
from datetime import timedelta

from django.db import IntegrityError, transaction
from django.utils import timezone

from appointments import availability
from appointments.models import Appointment

NO_DOUBLE_BOOKING = "appointment_no_double_booking"


class SlotTaken(Exception):
    """The time was free when the patient chose it, and is not any more."""


class InvalidTransition(Exception):
    pass


@dataclass(frozen=True)
class SlotChoice:
    visit_type: object
    provider: object
    location: object
    start: object

    @property
    def end(self):
        return self.start + self.visit_type.duration

    @property
    def busy_until(self):
        return self.end + self.visit_type.buffer_after


def _violates(error: IntegrityError, constraint: str) -> bool:
    cause = error.__cause__
    return getattr(getattr(cause, "diag", None), "constraint_name", None) == constraint


def request_appointment(slot: SlotChoice, details: dict, risk_factors=(), submission_token=None,
                        policy=None) -> Appointment:
    """Create a requested appointment that holds the slot, or raise SlotTaken.

    The slot is re-checked inside the transaction; PostgreSQL's exclusion constraint is
    the final word when two patients submit the same time at once. A resubmitted form
    (same submission_token) returns the appointment it already created.
    """
    if submission_token:
        existing = Appointment.objects.filter(submission_token=submission_token).first()
        if existing:
            return existing
    try:
        with transaction.atomic():
            if not availability.is_free(slot.visit_type, slot.provider, slot.start, policy=policy):
                raise SlotTaken
            appointment = Appointment.objects.create(
                visit_type=slot.visit_type,
                provider=slot.provider,
                location=slot.location,
                starts_at=slot.start,
                ends_at=slot.end,
                busy_until=slot.busy_until,
                submission_token=submission_token,
                **details,
            )
            appointment.risk_factors.set(risk_factors)
            appointment.just_created = True  # callers send one confirmation, not one per resubmit
    except IntegrityError as error:
        if submission_token:
            existing = Appointment.objects.filter(submission_token=submission_token).first()
            if existing:
                return existing
        if _violates(error, NO_DOUBLE_BOOKING):
            raise SlotTaken from error
        raise
    return appointment


def nearest_alternatives(slot: SlotChoice, count=5):
    """Free slots closest in time to the one that was taken, any provider."""
    first_day = timezone.localdate(slot.start) - timedelta(days=3)
    today = timezone.localdate()
    first_day = max(first_day, today)
    slots = availability.find_slots(slot.visit_type, first_day, 14)
    slots.sort(key=lambda s: abs((s.start - slot.start).total_seconds()))
    return sorted(slots[:count], key=lambda s: s.start)


def change_status(appointment: Appointment, status, reason: str = "") -> Appointment:
    """Move an appointment along its lifecycle; refuses transitions that make no sense."""
    with transaction.atomic():
        locked = Appointment.objects.select_for_update().get(pk=appointment.pk)
        if not locked.can_change_to(status):
            raise InvalidTransition(
                f"A {locked.get_status_display().lower()} appointment cannot be marked "
                f"{Appointment.Status(status).label.lower()}."
            )
        if status in (Appointment.Status.COMPLETED, Appointment.Status.NO_SHOW) and locked.starts_at > timezone.now():
            # Marking a future visit done would free its time and tell the patient nothing.
            raise InvalidTransition(
                f"An appointment cannot be marked {Appointment.Status(status).label.lower()} before it starts."
            )
        locked.status = status
        if reason:
            locked.status_reason = reason
        locked.save(update_fields=["status", "status_reason", "updated_at"])
    return locked


def cancel_by_patient(appointment: Appointment) -> Appointment:
    if not appointment.can_be_cancelled_by_patient():
        raise InvalidTransition("This appointment can no longer be cancelled online. Please call the clinic.")
    return change_status(appointment, Appointment.Status.CANCELLED, "Cancelled by the patient online.")


def reschedule(appointment: Appointment, slot: SlotChoice, policy=None, keep_status=False) -> Appointment:
    """Move an active appointment to a new free time, under the same no-overlap guarantee.

    A patient's move goes back to "requested" for staff to confirm; staff moves keep the status.
    """
    try:
        with transaction.atomic():
            locked = Appointment.objects.select_for_update().get(pk=appointment.pk)
            if not locked.is_active:
                raise InvalidTransition("Only requested or confirmed appointments can be moved.")
            if slot.visit_type != locked.visit_type:
                raise InvalidTransition("An appointment keeps its visit type when it moves.")
            if not availability.is_free(slot.visit_type, slot.provider, slot.start, policy=policy, ignore=locked.pk):
                raise SlotTaken
            locked.provider = slot.provider
            locked.location = slot.location
            locked.starts_at = slot.start
            locked.ends_at = slot.end
            locked.busy_until = slot.busy_until
            if not keep_status:
                locked.status = Appointment.Status.REQUESTED
            locked.save()
    except IntegrityError as error:
        if _violates(error, NO_DOUBLE_BOOKING):
            raise SlotTaken from error
        raise
    return locked
