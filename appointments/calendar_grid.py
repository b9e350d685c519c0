"""The front desk's calendar: a day (a column per specialist) or a week (a column per day) on a time axis.

The layout functions are pure (plain values in, placed items out). `load_calendar` reads what a grid shows
in a fixed number of queries and takes its free times from `availability.find_slots`, so the grid offers
exactly the times booking accepts and never recomputes the rules.
"""

from dataclasses import dataclass, field, replace
from datetime import date, datetime, time, timedelta

from django.conf import settings
from django.db.models import Q
from django.utils import timezone

from appointments import availability
from appointments.models import Appointment, Closure, Provider, WorkingHours
from core.days import local_days

# How far past the shown days each specialist's first free time is looked for.
LOOKAHEAD_DAYS = 14
# The hours a grid shows when nobody works and nothing is booked.
DEFAULT_HOURS = (8, 18)
APPOINTMENT_FIELDS = ["pk", "reference", "status", "starts_at", "ends_at", "first_name", "last_name", "provider_id",
                      "visit_type__name", "erased_at", "arrived_at"]


@dataclass(frozen=True, slots=True, kw_only=True)
class Placed:
    """Something drawn in a column, in whole minutes from the top of the grid."""

    kind: str  # "appointment", "free", "closure" or "off" (outside the specialist's hours)
    top: int
    length: int
    start: datetime | None = None
    lane: int = 0  # side by side when times overlap: this item's place among `lanes`
    lanes: int = 1
    appointment: Appointment | None = None
    slot: availability.Slot | None = None
    provider_name: str = ""
    reason: str = ""

    @property
    def position(self) -> str:
        """The CSS classes that place it (static/css/calendar.css): start and length in hours and minutes."""
        lane = f" lane{self.lane} lanes{self.lanes}" if self.lanes > 1 else ""
        return f"th{self.top // 60} tm{self.top % 60} lh{self.length // 60} lm{self.length % 60}{lane}"


@dataclass(slots=True, kw_only=True)
class Column:
    key: str  # unique in the page, for ids
    day: date
    providers: list[Provider]
    items: list[Placed] = field(default_factory=list)  # in time order: reading and Tab order
    shading: list[Placed] = field(default_factory=list)  # closures and hours off, drawn beneath
    first_free: availability.Slot | None = None


@dataclass(slots=True, kw_only=True)
class Calendar:
    days: list[date]  # the days shown
    skipped_days: list[date]  # days of the week nobody works and nothing is booked
    first_hour: int
    last_hour: int
    columns: list[Column]
    providers: list[Provider]  # every specialist, for the pick list
    appointment_ids: list[int]  # what the page shows, for the audit trail

    @property
    def hours(self) -> list[tuple[str, str]]:
        """(position classes, label) of each hour line on the axis."""
        return [(f"th{offset} tm0", _hour_label(self.first_hour + offset))
                for offset in range(self.last_hour - self.first_hour)]

    @property
    def free_slot_keys(self) -> set[str]:
        """The free times the grid offers, as `Slot.key`s (what a move or booking may choose)."""
        return {item.slot.key for column in self.columns for item in column.items if item.kind == "free"}

    @property
    def height(self) -> str:
        return f"lh{self.last_hour - self.first_hour} lm0"


def _hour_label(hour: int) -> str:
    return f"{(hour - 1) % 12 + 1} {'AM' if hour % 24 < 12 else 'PM'}"


def week_of(day: date) -> list[date]:
    monday = day - timedelta(days=day.weekday())
    return [monday + timedelta(days=offset) for offset in range(7)]


def minutes_into(day: date, moment: datetime, first_hour: int) -> int:
    """Wall-clock minutes from `first_hour` of `day` to `moment` (negative before, past the end after)."""
    local = timezone.localtime(moment)
    return ((local.date() - day).days * 24 + local.hour - first_hour) * 60 + local.minute


def hour_range(opening_times: list[tuple[time, time]], booked: list[tuple[time, time]]) -> tuple[int, int]:
    """The whole hours a grid shows: the earliest opening to the latest closing, stretched to what is booked."""
    spans = opening_times + booked
    if not spans:
        return DEFAULT_HOURS
    first = min(start.hour for start, _ in spans)
    last = max(end.hour + (1 if (end.minute or end.second) else 0) for _, end in spans)
    return first, max(min(last, 24), first + 1)


def assign_lanes(spans: list[tuple[int, int]]) -> list[tuple[int, int]]:
    """(lane, lanes) for each (top, end): items whose times overlap sit side by side, the rest full width."""
    order = sorted(range(len(spans)), key=lambda index: spans[index])
    lanes: list[tuple[int, int]] = [(0, 1)] * len(spans)
    group: list[tuple[int, int]] = []  # (index, lane) of the overlapping run being placed
    lane_ends: list[int] = []
    for index in order:
        top, end = spans[index]
        if group and top >= max(lane_ends):
            lanes = _close(lanes, group, len(lane_ends))
            group, lane_ends = [], []
        lane = next((number for number, lane_end in enumerate(lane_ends) if lane_end <= top), len(lane_ends))
        if lane == len(lane_ends):
            lane_ends.append(end)
        lane_ends[lane] = end
        group.append((index, lane))
    return _close(lanes, group, len(lane_ends))


def _close(lanes, group, count):
    lanes = list(lanes)
    for index, lane in group:
        lanes[index] = (lane, count)
    return lanes


def _clip(top: int, end: int, limit: int) -> tuple[int, int] | None:
    top, end = max(top, 0), min(end, limit)
    return (top, end - top) if end > top else None


def lay_out_specialist(*, day: date, first_hour: int, last_hour: int, provider_name: str, appointments: list,
                       slots: list, opening_times: list[tuple[time, time]], closures: list, slot_minutes: int):
    """One specialist's day: their visits and free times (side by side where they overlap), and beneath
    them the hours they do not work and their closures. Returns (items, shading)."""
    limit = (last_hour - first_hour) * 60
    entries = []
    for appointment in appointments:
        top = minutes_into(day, appointment.starts_at, first_hour)
        clipped = _clip(top, minutes_into(day, appointment.ends_at, first_hour), limit)
        if clipped:
            entries.append(Placed(kind="appointment", top=clipped[0], length=clipped[1], start=appointment.starts_at,
                                  appointment=appointment, provider_name=provider_name))
    for slot in slots:
        top = minutes_into(day, slot.start, first_hour)
        clipped = _clip(top, top + slot_minutes, limit)
        if clipped:
            entries.append(Placed(kind="free", top=clipped[0], length=clipped[1], start=slot.start, slot=slot,
                                  provider_name=provider_name))
    entries.sort(key=lambda entry: (entry.top, entry.kind != "appointment"))
    lanes = assign_lanes([(entry.top, entry.top + entry.length) for entry in entries])
    items = [replace(entry, lane=lane, lanes=count) for entry, (lane, count) in zip(entries, lanes, strict=True)]
    return items, _shading(day, first_hour, limit, opening_times, closures)


def _shading(day, first_hour, limit, opening_times, closures) -> list[Placed]:
    shading = []
    edge = 0
    for start, end in sorted(opening_times):
        opens = (start.hour - first_hour) * 60 + start.minute
        if opens > edge:
            shading.append(Placed(kind="off", top=edge, length=min(opens, limit) - edge, reason="Not working"))
        edge = max(edge, (end.hour - first_hour) * 60 + end.minute)
    if edge < limit:
        shading.append(Placed(kind="off", top=edge, length=limit - edge, reason="Not working"))
    return shading + placed_closures(day, first_hour, limit, closures)


def placed_closures(day, first_hour, limit, closures) -> list[Placed]:
    placed = []
    for closure in closures:
        clipped = _clip(minutes_into(day, closure.starts_at, first_hour),
                        minutes_into(day, closure.ends_at, first_hour), limit)
        if clipped:
            who = "Clinic closed" if closure.provider_id is None else "Time off"
            placed.append(Placed(kind="closure", top=clipped[0], length=clipped[1], start=closure.starts_at,
                                 reason=f"{who}: {closure.reason}"))
    return placed


def load_calendar(day: date, *, span: str, visit_type, provider_id: int | None = None, ignore=None) -> Calendar:
    """Everything a day or week grid shows, in seven queries whatever the number of appointments:
    specialists, appointments, working hours, closures, and find_slots' three (working hours, busy, closures)."""
    days = week_of(day) if span == "week" else [day]
    start, end = local_days(days[0], len(days))
    everyone = list(Provider.objects.all())
    chosen = [p for p in everyone if p.pk == provider_id]
    appointments = Appointment.objects.on_local_days(days[0], len(days)).on_schedule()
    if chosen:
        appointments = appointments.filter(provider_id=provider_id)
    appointments = list(appointments.select_related("visit_type").only(*APPOINTMENT_FIELDS).order_by("starts_at"))
    booked = {appointment.provider_id for appointment in appointments}
    # A specialist who left still has visits to hand over: they keep a column while they have any.
    shown = chosen or [p for p in everyone if p.active or p.pk in booked]
    hours = list(WorkingHours.objects.filter(provider__in=shown).values_list("provider_id", "weekday", "starts_at",
                                                                             "ends_at"))
    closures = list(Closure.objects.overlapping(start, end).filter(Q(provider=None) | Q(provider__in=shown)))
    slots = _free_times(days, visit_type, chosen[0] if chosen else None, ignore)

    kept = [d for d in days if span == "day" or any(h[1] == d.weekday() for h in hours)
            or any(timezone.localdate(a.starts_at) == d for a in appointments)]
    first_hour, last_hour = hour_range(
        [(h[2], h[3]) for h in hours if h[1] in {d.weekday() for d in kept}],
        [(timezone.localtime(a.starts_at).time(), timezone.localtime(a.ends_at).time()) for a in appointments],
    )
    # A free time is drawn one step long (it may be booked at the next step too), never longer than the visit.
    step = settings.TRUFFLES_BOOKING["SLOT_STEP_MINUTES"]
    slot_minutes = min(step, visit_type.duration_minutes if visit_type else 60)
    context = _Loaded(appointments, slots, hours, closures, first_hour, last_hour, slot_minutes)
    if span == "day":
        columns = [context.column(day, [p], f"p{p.pk}") for p in shown]
    else:
        columns = [context.column(d, shown, f"d{d.isoformat()}") for d in kept]
    return Calendar(days=days, skipped_days=[d for d in days if d not in kept], first_hour=first_hour,
                    last_hour=last_hour, columns=columns, providers=everyone,
                    appointment_ids=[appointment.pk for appointment in appointments])


def _free_times(days, visit_type, provider, ignore) -> list[availability.Slot]:
    """availability's free times from the first shown day (or today) to LOOKAHEAD_DAYS past the last."""
    first = max(days[0], timezone.localdate())
    count = (days[-1] - first).days + 1 + LOOKAHEAD_DAYS
    if visit_type is None or count <= 0:
        return []
    return availability.find_slots(visit_type, first, count, provider=provider,
                                   policy=availability.Policy.for_staff(), ignore=ignore)


@dataclass(slots=True)
class _Loaded:
    """What load_calendar read, cut into columns."""

    appointments: list
    slots: list
    hours: list
    closures: list
    first_hour: int
    last_hour: int
    slot_minutes: int

    def column(self, day: date, providers: list[Provider], key: str) -> Column:
        column = Column(key=key, day=day, providers=providers)
        shared = len(providers) > 1  # a week of everyone: each specialist keeps a lane of the day
        for lane, provider in enumerate(providers):
            items, shading = lay_out_specialist(
                day=day, first_hour=self.first_hour, last_hour=self.last_hour, provider_name=provider.name,
                appointments=[a for a in self.appointments
                              if a.provider_id == provider.pk and timezone.localdate(a.starts_at) == day],
                slots=[s for s in self.slots if s.provider_id == provider.pk and timezone.localdate(s.start) == day],
                opening_times=[(h[2], h[3]) for h in self.hours if h[0] == provider.pk and h[1] == day.weekday()],
                closures=[c for c in self.closures if c.provider_id == provider.pk or not (shared or c.provider_id)],
                slot_minutes=self.slot_minutes,
            )
            if shared:
                items = [replace(item, lane=lane, lanes=len(providers)) for item in items]
                shading = [replace(item, lane=lane, lanes=len(providers)) for item in shading]
            column.items.extend(items)
            column.shading.extend(shading)
        if shared:  # the whole clinic's closures once, across every lane
            limit = (self.last_hour - self.first_hour) * 60
            column.shading.extend(placed_closures(day, self.first_hour, limit,
                                                  [c for c in self.closures if c.provider_id is None]))
        column.items.sort(key=lambda item: (item.top, item.lane))
        if len(providers) == 1:
            later = [s for s in self.slots if s.provider_id == providers[0].pk and timezone.localdate(s.start) >= day]
            column.first_free = later[0] if later else None
        return column
