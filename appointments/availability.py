"""Free appointment times: working hours minus closures minus booked time.

`free_slots` is pure (plain values in, slots out) so it is fast and easy to test;
`find_slots` loads what it needs in a fixed number of queries and calls it.
Times are built from wall-clock times in the clinic's zone, so a 9:00 block is
9:00 local on both sides of a daylight-saving change.
"""

from __future__ import annotations

from bisect import bisect_left, bisect_right
from collections.abc import Iterable, Iterator, Sequence
from dataclasses import dataclass, replace
from datetime import date, datetime, time, timedelta
from math import gcd
from typing import TYPE_CHECKING
from zoneinfo import ZoneInfo

from django.conf import settings
from django.db import connection
from django.utils import timezone

from core.days import local_days
from core.pagecache import LocalCache

if TYPE_CHECKING:
    from appointments.models import Provider, VisitType

Span = tuple[datetime, datetime]
# The window a page asked for, under one schedule version: (version, visit type, first day, days,
# provider, step, online only) -> the slots and their starts, both ordered by start.
WindowKey = tuple[int, int, date, int, int | None, timedelta, bool]
# Windows of free times this process computed, by schedule version (see `cached_slots`).
_computed: LocalCache[WindowKey, tuple[list[Slot], list[datetime]]] = LocalCache(512)
# Schedule version -> the grid (microseconds of the local day) every start lies on (see `clock_key`).
_grids: LocalCache[int, int] = LocalCache(8)


@dataclass(frozen=True)
class Block:
    """A provider's working block on one weekday."""

    provider_id: int
    provider_name: str
    location_id: int
    weekday: int
    starts_at: time
    ends_at: time


@dataclass(frozen=True)
class Slot:
    provider_id: int
    provider_name: str
    location_id: int
    start: datetime
    end: datetime

    @property
    def key(self) -> str:
        """How a page names this slot in a link or a button: "<provider id>@<ISO start>"."""
        return f"{self.provider_id}@{self.start.isoformat()}"


def parse_slot_key(key: object) -> tuple[int, datetime] | None:
    """The provider id and aware start in a `Slot.key`; None for anything else."""
    provider_id, _, start = key.partition("@") if isinstance(key, str) else ("", "", "")
    try:
        parsed = int(provider_id), datetime.fromisoformat(start)
    except (ValueError, OverflowError):
        return None
    return None if timezone.is_naive(parsed[1]) else parsed


@dataclass(frozen=True)
class Policy:
    """Which times someone may book: patients online, or staff booking on the patient's behalf."""

    step: timedelta
    earliest: datetime
    latest: datetime
    online_only: bool = True  # only visit types marked bookable online

    @classmethod
    def for_patients(cls, now: datetime | None = None) -> Policy:
        now = now or timezone.now()
        booking = settings.TRUFFLES_BOOKING
        return cls(
            step=timedelta(minutes=booking["SLOT_STEP_MINUTES"]),
            earliest=now + timedelta(hours=booking["MIN_NOTICE_HOURS"]),
            latest=now + timedelta(days=booking["HORIZON_DAYS"]),
        )

    @classmethod
    def for_staff(cls, now: datetime | None = None) -> Policy:
        """Staff may book at short notice and further ahead, but never in the past."""
        now = now or timezone.now()
        return cls(
            step=timedelta(minutes=settings.TRUFFLES_BOOKING["SLOT_STEP_MINUTES"]),
            earliest=now,
            latest=now + timedelta(days=366),
            online_only=False,
        )


class Intervals:
    """Sorted, non-overlapping busy intervals for fast overlap tests."""

    def __init__(self, intervals: Iterable[Span]) -> None:
        merged: list[list[datetime]] = []
        for start, end in sorted(intervals):
            if merged and start <= merged[-1][1]:
                merged[-1][1] = max(merged[-1][1], end)
            else:
                merged.append([start, end])
        self.starts = [start for start, _ in merged]
        self.ends = [end for _, end in merged]

    def overlaps(self, start: datetime, end: datetime) -> bool:
        # The first interval that ends after `start` is the only one that can overlap.
        index = bisect_right(self.ends, start)
        return index < len(self.starts) and self.starts[index] < end


def free_slots(*, blocks: Iterable[Block], first_day: date, days: int, duration: timedelta, buffer: timedelta,
               policy: Policy, busy: dict[int, list[Span]], closures: dict[int, list[Span]],
               clinic_closures: list[Span], zone: ZoneInfo) -> list[Slot]:
    """Every free slot, ordered by start then provider.

    busy: provider id -> [(start, busy_until)] of active appointments.
    closures: provider id -> [(start, end)]; clinic_closures: [(start, end)] for everyone.
    """
    blocks_by_weekday: dict[int, list[Block]] = {}
    for block in blocks:
        blocks_by_weekday.setdefault(block.weekday, []).append(block)
    clinic_closed = Intervals(clinic_closures)
    busy_by_provider = {pid: Intervals(spans) for pid, spans in busy.items()}
    closed_by_provider = {pid: Intervals(spans) for pid, spans in closures.items()}
    empty = Intervals([])

    slots: list[Slot] = []
    offered: set[tuple[int, datetime]] = set()
    for offset in range(days):
        day = first_day + timedelta(days=offset)
        for block in blocks_by_weekday.get(day.weekday(), []):
            taken = busy_by_provider.get(block.provider_id, empty)
            closed = closed_by_provider.get(block.provider_id, empty)
            for start in _starts(day, block, duration, policy, zone):
                end = start + duration
                if clinic_closed.overlaps(start, end) or closed.overlaps(start, end):
                    continue
                if taken.overlaps(start, end + buffer) or (block.provider_id, start) in offered:
                    continue  # booked, or already offered by an overlapping block of hours
                offered.add((block.provider_id, start))
                slots.append(Slot(block.provider_id, block.provider_name, block.location_id, start, end))
    slots.sort(key=lambda slot: (slot.start, slot.provider_id))
    return slots


def _starts(day: date, block: Block, duration: timedelta, policy: Policy, zone: ZoneInfo) -> Iterator[datetime]:
    """Start times in one block of hours, `policy.step` apart on the wall clock, inside the policy's window."""
    block_end = datetime.combine(day, block.ends_at, tzinfo=zone)
    wall = datetime.combine(day, block.starts_at)
    while (start := wall.replace(tzinfo=zone)) + duration <= block_end:
        wall += policy.step
        if policy.earliest <= start <= policy.latest:
            yield start


def find_slots(visit_type: VisitType, first_day: date, days: int, provider: Provider | None = None,
               policy: Policy | None = None, ignore: int | None = None,
               blocks: Sequence[Block] | None = None) -> list[Slot]:
    """Load the schedule for the window in three queries, whatever its size, and compute the free slots.

    `blocks`: the working hours the window needs, when the caller loaded them already (two queries then).
    """
    from appointments.models import WorkingHours

    policy = policy or Policy.for_patients()
    zone = ZoneInfo(settings.TIME_ZONE)
    window_start, window_end = local_days(first_day, days)

    if blocks is None:
        hours = WorkingHours.objects.filter(provider__active=True, provider__visit_types=visit_type)
        if provider is not None:
            hours = hours.filter(provider=provider)
        columns = ["provider_id", "provider__name", "location_id", "weekday", "starts_at", "ends_at"]
        blocks = [Block(*values) for values in hours.values_list(*columns)]
    if not blocks:
        return []
    provider_ids = {block.provider_id for block in blocks}

    busy = _busy(provider_ids, window_start, window_end + visit_type.duration + visit_type.buffer_after, ignore)
    closures, clinic_closures = _closures(window_start, window_end)
    return free_slots(
        blocks=blocks,
        first_day=first_day,
        days=days,
        duration=visit_type.duration,
        buffer=visit_type.buffer_after,
        policy=policy,
        busy=busy,
        closures=closures,
        clinic_closures=clinic_closures,
        zone=zone,
    )


def cached_slots(visit_type: VisitType, first_day: date, days: int, provider: Provider | None = None,
                 policy: Policy | None = None) -> list[Slot]:
    """`find_slots` for pages that only show times, kept in memory under the schedule version.

    Every change find_slots would see (a booking, move, cancellation or status change, hours,
    closures, providers, visit types) bumps the version in its own transaction (the
    appointments_schedule_changed triggers), so a kept answer is never older than the last commit. The
    notice and horizon window moves with the clock, so it is applied on each call. A kept answer only shows times:
    booking checks again and the database's exclusion constraint decides.
    """
    policy = policy or Policy.for_patients()
    version: int | None = getattr(visit_type, "schedule_version", None)
    if version is None:
        version = schedule_version()
    if version is None:
        return find_slots(visit_type, first_day, days, provider=provider, policy=policy)
    key: WindowKey = (
        version, visit_type.pk, first_day, days, provider.pk if provider else None, policy.step, policy.online_only
    )
    computed = _computed.get(key)
    if computed is None:
        earliest, latest = local_days(first_day, days)
        whole_window = replace(policy, earliest=earliest, latest=latest)
        slots = find_slots(visit_type, first_day, days, provider=provider, policy=whole_window)
        computed = (slots, [slot.start for slot in slots])
        _computed.set(key, computed)
    slots, starts = computed  # ordered by start
    return slots[bisect_left(starts, policy.earliest) : bisect_right(starts, policy.latest)]


def clock_key(version: int, now: datetime) -> str:
    """What of the clock a page of free times depends on under one schedule version: the same key,
    the same times shown.

    Every start lies on a grid of the local day (whole steps from the starts of working hours), so
    the times a patient may book only change when the notice or the horizon crosses a grid point.
    """
    zone = ZoneInfo(settings.TIME_ZONE)
    policy = Policy.for_patients(now)
    grid = _grids.get(version)
    if grid is None:
        grid = _grid(policy.step)
        _grids.set(version, grid)
    earliest, latest = policy.earliest.astimezone(zone), policy.latest.astimezone(zone)
    # A start at or after `earliest`: the first grid point from it on; at or before `latest`: the last one.
    return (
        f"{now.astimezone(zone).date()}/{earliest:%Y-%m-%d%z}/{-(-_micro(earliest) // grid)}"
        f"/{latest:%Y-%m-%d%z}/{_micro(latest) // grid}"
    )


def _micro(moment: datetime | time) -> int:
    return ((moment.hour * 60 + moment.minute) * 60 + moment.second) * 1_000_000 + moment.microsecond


def _grid(step: timedelta) -> int:
    from appointments.models import WorkingHours

    grid = step // timedelta(microseconds=1)
    for starts_at in WorkingHours.objects.values_list("starts_at", flat=True).distinct():
        grid = gcd(grid, _micro(starts_at))
    return grid


def schedule_version() -> int | None:
    with connection.cursor() as cursor:
        cursor.execute("SELECT number FROM truffles_version WHERE name = 'schedule'")
        row = cursor.fetchone()
    return int(row[0]) if row else None


def is_free(visit_type: VisitType, provider: Provider, start: datetime, policy: Policy | None = None,
            ignore: int | None = None, blocks: Sequence[Block] | None = None) -> bool:
    """Is `start` one of the provider's free slots for this visit type right now?

    `ignore` leaves one appointment out, so an appointment can move to a time overlapping its own;
    `blocks`, the provider's working hours that day when the caller has them already.
    """
    local_day = timezone.localtime(start, ZoneInfo(settings.TIME_ZONE)).date()
    return any(
        slot.start == start and slot.provider_id == provider.pk
        for slot in find_slots(visit_type, local_day, 1, provider=provider, policy=policy, ignore=ignore, blocks=blocks)
    )


def _busy(provider_ids: set[int], start: datetime, end: datetime, ignore: int | None = None) -> dict[int, list[Span]]:
    """provider id -> [(start, busy_until)] of the active appointments overlapping the window."""
    from appointments.models import Appointment

    busy: dict[int, list[Span]] = {}
    appointments = Appointment.objects.holding_time().overlapping(start, end).filter(provider_id__in=provider_ids)
    if ignore is not None:
        appointments = appointments.exclude(pk=ignore)
    # Unordered: Intervals sorts them (this runs on every booking, where each clause of the query costs).
    for pid, starts_at, until in appointments.order_by().values_list("provider_id", "starts_at", "busy_until"):
        busy.setdefault(pid, []).append((starts_at, until))
    return busy


def _closures(start: datetime, end: datetime) -> tuple[dict[int, list[Span]], list[Span]]:
    """Closures overlapping the window: per provider, and those of the whole clinic."""
    from appointments.models import Closure

    closures: dict[int, list[Span]] = {}
    clinic_closures: list[Span] = []
    for pid, starts_at, ends_at in Closure.objects.overlapping(start, end).order_by().values_list(
        "provider_id", "starts_at", "ends_at"
    ):
        if pid is None:
            clinic_closures.append((starts_at, ends_at))
        else:
            closures.setdefault(pid, []).append((starts_at, ends_at))
    return closures, clinic_closures


def closed_days(visit_type: VisitType, first_day: date, days: int, provider: Provider | None = None) -> dict[date, str]:
    """Days nobody offers this visit type, with the reason a patient reads: a holiday's name, or none."""
    from appointments.models import Closure, WorkingHours

    hours = WorkingHours.objects.filter(provider__active=True, provider__visit_types=visit_type)
    if provider is not None:
        hours = hours.filter(provider=provider)
    open_weekdays = set(hours.values_list("weekday", flat=True))
    window = [first_day + timedelta(days=offset) for offset in range(days)]
    closed = {day: "" for day in window if day.weekday() not in open_weekdays}
    start, end = local_days(first_day, days)
    for starts_at, ends_at, reason in (
        Closure.objects.overlapping(start, end).filter(provider=None).values_list("starts_at", "ends_at", "reason")
    ):
        for day in window:
            day_start, day_end = local_days(day)
            if starts_at <= day_start and ends_at >= day_end:
                closed[day] = reason
    return closed
