"""Recording time that became free, for the worker to offer to those who wait.

The booking steps (appointments/booking.py) send `time_freed` inside the transaction that frees the
time; it, new working hours and removed closures reach `time_freed` here through waitlist/signals.py.
Each records an `Opening` and queues `offer_freed_time` with only its id, so a rolled-back change
offers nothing.
"""

from datetime import datetime, timedelta

from django.conf import settings
from django.utils import timezone

from appointments.models import Appointment, Provider, WorkingHours
from core.days import at_clinic_time
from waitlist.models import Opening, WaitlistEntry

Cause = Opening.Cause


def is_enabled() -> bool:
    return settings.TRUFFLES_WAITLIST["ENABLED"]


def time_freed(*, provider_id: int, location_id: int, starts_at: datetime, ends_at: datetime, cause: str,
               freed_by: Appointment | None = None) -> Opening | None:
    """Record a freed stretch of a specialist's day, if anyone waits and it is still ahead of us."""
    now = timezone.now()
    starts_at = max(starts_at, now)
    if not is_enabled() or ends_at <= starts_at or not WaitlistEntry.objects.waiting().exists():
        return None
    opening = Opening.objects.create(
        provider_id=provider_id, location_id=location_id, starts_at=starts_at, ends_at=ends_at, cause=cause,
        freed_by=freed_by, created_at=now,
    )  # fmt: skip
    queue_offers(opening)
    return opening


def queue_offers(opening: Opening, run_after: datetime | None = None) -> None:
    from waitlist.tasks import offer_freed_time

    task = offer_freed_time.using(run_after=run_after) if run_after else offer_freed_time
    task.enqueue(opening.pk)


def hours_added(hours: WorkingHours) -> list[Opening]:
    """A new (or longer) block of working hours: each of its days within the booking horizon."""
    if not is_enabled() or not WaitlistEntry.objects.waiting().exists():
        return []  # asked once, not once for each of the horizon's days
    today = timezone.localdate()
    horizon = settings.TRUFFLES_BOOKING["HORIZON_DAYS"]
    openings = []
    for offset in range(horizon + 1):
        day = today + timedelta(days=offset)
        if day.weekday() != hours.weekday:
            continue
        start, end = at_clinic_time(day, hours.starts_at), at_clinic_time(day, hours.ends_at)
        opening = time_freed(provider_id=hours.provider_id, location_id=hours.location_id, starts_at=start,
                             ends_at=end, cause=Cause.NEW_HOURS)  # fmt: skip
        if opening:
            openings.append(opening)
    return openings


def closure_removed(provider_id: int | None, starts_at: datetime, ends_at: datetime) -> list[Opening]:
    """A closure taken off the calendar: its time, for each specialist it closed, up to the horizon."""
    ends_at = min(ends_at, timezone.now() + timedelta(days=settings.TRUFFLES_BOOKING["HORIZON_DAYS"]))
    providers = Provider.objects.filter(active=True)
    if provider_id is not None:
        providers = providers.filter(pk=provider_id)
    openings = []
    for provider in providers:
        location_id = provider.working_hours.values_list("location_id", flat=True).first()
        if location_id is None:
            continue
        opening = time_freed(provider_id=provider.pk, location_id=location_id, starts_at=starts_at, ends_at=ends_at,
                             cause=Cause.CLOSURE_REMOVED)  # fmt: skip
        if opening:
            openings.append(opening)
    return openings
