from datetime import date, datetime, time, timedelta
from zoneinfo import ZoneInfo

import pytest
from django.utils import timezone

from appointments import availability
from appointments.availability import Block, Policy, free_slots
from appointments.models import Appointment, Closure
from tests.appointments.fixtures import local

ZONE = ZoneInfo("America/New_York")
FAR_PAST = datetime(2000, 1, 1, tzinfo=ZONE)
FAR_FUTURE = datetime(2100, 1, 1, tzinfo=ZONE)
OPEN_POLICY = Policy(step=timedelta(minutes=15), earliest=FAR_PAST, latest=FAR_FUTURE)
MONDAY = date(2027, 1, 4)


def slots_for(day=MONDAY, blocks=None, busy=None, closures=None, clinic_closures=(), policy=OPEN_POLICY,
              duration=45, buffer=15, days=1):
    blocks = blocks or [
        Block(1, "Dr. Marsh", 1, weekday, start, end)
        for weekday in range(5)
        for start, end in [(time(9), time(12, 30)), (time(13, 30), time(17))]
    ]
    return free_slots(
        blocks=blocks, first_day=day, days=days, duration=timedelta(minutes=duration),
        buffer=timedelta(minutes=buffer), policy=policy, busy=busy or {}, closures=closures or {},
        clinic_closures=list(clinic_closures), zone=ZONE,
    )


def starts(slots):
    return [timezone.localtime(slot.start, ZONE).strftime("%H:%M") for slot in slots]


def test_slots_fill_working_hours_and_respect_the_lunch_break():
    times = starts(slots_for())
    assert times[0] == "09:00"
    assert "11:45" in times  # ends 12:30 exactly
    assert "12:00" not in times  # would run into lunch
    assert "13:30" in times
    assert times[-1] == "16:15"


def test_no_slots_on_weekends():
    assert slots_for(day=date(2027, 1, 9), days=2) == []


def test_a_booked_visit_and_its_buffer_block_the_time():
    busy = {1: [(local(MONDAY, 9), local(MONDAY, 10))]}  # 9:00–9:45 plus 15 minutes' buffer
    times = starts(slots_for(busy=busy))
    assert "09:00" not in times
    assert "09:45" not in times
    assert times[0] == "10:00"


def test_a_new_visit_keeps_its_own_buffer_clear_of_the_next_booking():
    busy = {1: [(local(MONDAY, 11), local(MONDAY, 12))]}
    times = starts(slots_for(busy=busy))
    assert "10:00" in times  # 10:00–10:45, buffer to 11:00
    assert "10:15" not in times  # its buffer would run into the 11:00 visit


def test_clinic_closure_removes_every_provider():
    closed = [(local(MONDAY, 0), local(MONDAY + timedelta(days=1), 0))]
    assert slots_for(clinic_closures=closed) == []


def test_provider_time_off_removes_only_that_provider():
    blocks = [Block(pid, name, 1, 0, time(9), time(12)) for pid, name in [(1, "Marsh"), (2, "Okafor")]]
    closures = {1: [(local(MONDAY, 9), local(MONDAY, 12))]}
    slots = slots_for(blocks=blocks, closures=closures)
    assert {slot.provider_id for slot in slots} == {2}


def test_minimum_notice_and_booking_window():
    policy = Policy(step=timedelta(minutes=15), earliest=local(MONDAY, 11), latest=local(MONDAY, 14))
    times = starts(slots_for(policy=policy))
    assert times[0] == "11:00"
    assert times[-1] == "14:00"


@pytest.mark.parametrize(
    ("before", "after"),
    [(date(2027, 3, 12), date(2027, 3, 15)), (date(2027, 11, 5), date(2027, 11, 8))],
    ids=["spring-forward", "fall-back"],
)
def test_nine_oclock_is_nine_oclock_local_on_both_sides_of_a_daylight_saving_change(before, after):
    for day in (before, after):
        first = slots_for(day=day)[0]
        local_start = timezone.localtime(first.start, ZONE)
        assert (local_start.date(), local_start.hour, local_start.minute) == (day, 9, 0)
    utc_hours = {timezone.localtime(slots_for(day=d)[0].start, ZoneInfo("UTC")).hour for d in (before, after)}
    assert utc_hours == {13, 14}


def test_find_slots_uses_a_fixed_number_of_queries(clinic, booking_day, django_assert_max_num_queries):
    for offset in range(10):
        day = booking_day + timedelta(days=offset % 5)
        start = local(day, 9) + timedelta(hours=offset % 3)
        Appointment.objects.create(
            visit_type=clinic["rls"], provider=clinic["okafor"], location=clinic["location"],
            starts_at=start, ends_at=start + timedelta(minutes=30), busy_until=start + timedelta(minutes=30),
            first_name="A", last_name="B", date_of_birth=date(1970, 1, 1), email="a@example.com",
            phone="+12015550123", consent_version="t", consented_at=timezone.now(),
        )
    Closure.objects.create(starts_at=local(booking_day, 0), ends_at=local(booking_day, 8), reason="Training")
    with django_assert_max_num_queries(3):
        slots = availability.find_slots(clinic["vein"], booking_day, 14)
    assert slots
    assert all(slot.provider_id in {clinic["marsh"].pk, clinic["okafor"].pk} for slot in slots)


def test_one_window_across_the_spring_change_keeps_local_hours():
    # Friday 12 to Monday 15 March 2027: the clocks go forward on Sunday the 14th.
    slots = slots_for(day=date(2027, 3, 12), days=4)
    firsts = {}
    for slot in slots:
        local_start = timezone.localtime(slot.start, ZONE)
        firsts.setdefault(local_start.date(), local_start)
    assert sorted(firsts) == [date(2027, 3, 12), date(2027, 3, 15)]
    assert all((start.hour, start.minute) == (9, 0) for start in firsts.values())
    assert {start.utcoffset() for start in firsts.values()} == {timedelta(hours=-5), timedelta(hours=-4)}


def test_overlapping_blocks_of_hours_do_not_offer_a_time_twice():
    blocks = [Block(1, "Marsh", 1, 0, time(9), time(12)), Block(1, "Marsh", 1, 0, time(10), time(13))]
    starts_ = [slot.start for slot in slots_for(blocks=blocks)]
    assert len(starts_) == len(set(starts_))
