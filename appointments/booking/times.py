"""Choosing, holding and releasing a time: what every booking step stands on."""

import functools
from collections.abc import Iterable
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from typing import Any

from django.db import IntegrityError, transaction
from django.utils import timezone

from appointments import availability
from appointments.models import Appointment, EmailCheck, Location, Provider, VisitType, WorkingHours

Status = Appointment.Status
NO_DOUBLE_BOOKING = "appointment_no_double_booking"
TAKEN = "That time was just taken. Choose another."
# How far from now a chosen time may be; beyond it nothing is bookable (and dates overflow).
CHOICE_WINDOW = timedelta(days=366)


@dataclass(frozen=True)
class SlotChoice:
    """A time someone chose, with the provider and location it belongs to."""

    visit_type: VisitType
    provider: Provider
    location: Location
    start: datetime
    # The provider's working hours that day for this visit type, when known: `is_free` need not load them again.
    hours: tuple[availability.Block, ...] = field(default=(), compare=False)

    @property
    def end(self) -> datetime:
        return self.start + self.visit_type.duration

    @property
    def busy_until(self) -> datetime:
        return self.end + self.visit_type.buffer_after


@dataclass
class Outcome:
    """What a step did: the appointment, or why not (an error to show, or the time was taken)."""

    appointment: Appointment | None = None
    created: bool = False
    error: str = ""
    taken: bool = False
    alternatives: list[availability.Slot] = field(default_factory=list)

    @property
    def ok(self) -> bool:
        return self.appointment is not None and not self.error and not self.taken


class _Taken(Exception):
    """Internal: the time stopped being free inside the transaction."""


def choose_slot(visit_type: VisitType | None, provider_id: int, start: datetime | None,
                policy: availability.Policy) -> SlotChoice | None:
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


def choose_slot_by_key(visit_type: VisitType | None, key: object, policy: availability.Policy) -> SlotChoice | None:
    """`choose_slot` for a `Slot.key` posted by a button or a radio."""
    parsed = availability.parse_slot_key(key)
    return choose_slot(visit_type, *parsed, policy) if parsed else None


def nearest_alternatives(slot: SlotChoice, count: int = 5, policy: availability.Policy | None = None,
                         ) -> list[availability.Slot]:
    """Free slots closest in time to the one that was taken, any provider."""
    first_day = max(timezone.localdate(slot.start) - timedelta(days=3), timezone.localdate())
    slots = availability.find_slots(slot.visit_type, first_day, 14, policy=policy)
    slots.sort(key=lambda s: abs((s.start - slot.start).total_seconds()))
    return sorted(slots[:count], key=lambda s: s.start)


def _hold(slot: SlotChoice, details: dict[str, Any], policy: availability.Policy) -> Outcome:
    """Create the appointment on the slot, or say it was taken (with the nearest free times)."""
    if not _free_or_released(slot, policy):
        return _taken(None, slot, policy)
    return _store_hold(slot, details, policy)


def _free_or_released(slot: SlotChoice, policy: availability.Policy) -> bool:
    """Whether the slot is free, once holds whose code was never entered are released: lazily, so an
    abandoned hold does not keep a time the worker has not freed yet."""
    is_free = functools.partial(
        availability.is_free, slot.visit_type, slot.provider, slot.start, policy=policy, blocks=slot.hours or None
    )
    return is_free() or (release_expired_holds() > 0 and is_free())


def _store_hold(slot: SlotChoice, details: dict[str, Any], policy: availability.Policy) -> Outcome:
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


def _release(ids: Iterable[int]) -> int:
    """Unproven requests end cancelled and erased: details nobody proved are not kept."""
    ids = list(ids)
    if ids:
        Appointment.objects.filter(pk__in=ids).update(status=Status.CANCELLED, updated_at=timezone.now())
        Appointment.objects.filter(pk__in=ids).erase_patient_details()
    return len(ids)


def _taken(error: Exception | None, slot: SlotChoice, policy: availability.Policy) -> Outcome:
    """The time was taken under us: by our own check, or by the database's exclusion constraint."""
    if isinstance(error, IntegrityError) and not _violates(error, NO_DOUBLE_BOOKING):
        raise error
    return Outcome(error=TAKEN, taken=True, alternatives=nearest_alternatives(slot, policy=policy))


def _violates(error: IntegrityError, constraint: str) -> bool:
    cause = error.__cause__
    return getattr(getattr(cause, "diag", None), "constraint_name", None) == constraint
