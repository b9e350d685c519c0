"""The calendar's layout, computed without the database: where each visit, free time and closure goes."""

from datetime import date, time, timedelta
from types import SimpleNamespace

from appointments.availability import Slot
from appointments.calendar_grid import Placed, assign_lanes, hour_range, lay_out_specialist, minutes_into
from tests.appointments.fixtures import local

MONDAY = date(2026, 12, 7)
DST_SUNDAY = date(2026, 3, 8)  # clocks go forward at 2 AM in New York


def visit(hour, minute=0, length=45):
    start = local(MONDAY, hour, minute)
    return SimpleNamespace(starts_at=start, ends_at=start + timedelta(minutes=length))


def test_minutes_are_counted_on_the_wall_clock_even_on_a_daylight_saving_day():
    assert minutes_into(MONDAY, local(MONDAY, 9, 30), 8) == 90
    assert minutes_into(DST_SUNDAY, local(DST_SUNDAY, 9, 30), 8) == 90
    assert minutes_into(MONDAY, local(MONDAY + timedelta(days=1), 0), 8) == 16 * 60


def test_the_grid_runs_from_the_first_opening_to_the_last_closing_stretched_to_visits_outside():
    assert hour_range([(time(9), time(12, 30)), (time(13, 30), time(17))], []) == (9, 17)
    assert hour_range([(time(9), time(17, 15))], [(time(7, 45), time(8, 30))]) == (7, 18)
    assert hour_range([], []) == (8, 18)
    assert hour_range([(time(20), time(23, 59))], []) == (20, 24)


def test_overlapping_times_sit_side_by_side_and_the_rest_take_the_full_width():
    assert assign_lanes([(0, 45), (60, 75)]) == [(0, 1), (0, 1)]
    assert assign_lanes([(0, 45), (15, 30), (30, 45), (60, 90)]) == [(0, 2), (1, 2), (1, 2), (0, 1)]
    assert assign_lanes([(10, 20), (0, 30)]) == [(1, 2), (0, 2)]  # lanes go by start, not by input order
    assert assign_lanes([]) == []


def test_a_specialists_day_places_visits_free_times_and_shading():
    slots = [Slot(1, "Dr. Marsh", 1, local(MONDAY, 10), local(MONDAY, 10, 45))]
    closure = SimpleNamespace(provider_id=1, starts_at=local(MONDAY, 15), ends_at=local(MONDAY, 18), reason="Course")
    items, shading = lay_out_specialist(
        day=MONDAY, first_hour=9, last_hour=17, provider_name="Dr. Marsh", appointments=[visit(9), visit(16, 30)],
        slots=slots, opening_times=[(time(9), time(12, 30)), (time(13, 30), time(17))], closures=[closure],
        slot_minutes=15,
    )
    assert [(item.kind, item.top, item.length) for item in items] == [
        ("appointment", 0, 45), ("free", 60, 15), ("appointment", 450, 30),  # the last one is cut at 5 PM
    ]
    assert items[1].position == "th1 tm0 lh0 lm15"
    assert [(shade.kind, shade.top, shade.length, shade.reason) for shade in shading] == [
        ("off", 210, 60, "Not working"), ("closure", 360, 120, "Time off: Course"),
    ]


def test_a_visit_overlapping_a_free_time_gets_half_the_column():
    items, _ = lay_out_specialist(
        day=MONDAY, first_hour=9, last_hour=17, provider_name="Dr. Marsh", appointments=[visit(10)],
        slots=[Slot(1, "Dr. Marsh", 1, local(MONDAY, 10, 15), local(MONDAY, 11))], opening_times=[],
        closures=[], slot_minutes=15,
    )
    assert [item.position for item in items] == ["th1 tm0 lh0 lm45 lane0 lanes2", "th1 tm15 lh0 lm15 lane1 lanes2"]


def test_positions_name_hours_and_minutes_separately():
    assert Placed(kind="off", top=605, length=61).position == "th10 tm5 lh1 lm1"
