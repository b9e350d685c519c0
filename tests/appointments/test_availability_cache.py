"""Free times are computed once per schedule version; every change to the schedule shows at once."""

from datetime import time, timedelta
from http import HTTPStatus
from urllib.parse import urlencode

import pytest

from appointments import availability, booking
from appointments.models import Appointment, Closure, WorkingHours
from tests.appointments.fixtures import local, request_with_code

pytestmark = pytest.mark.django_db

URL = "/appointments/availability.json"
DETAILS = "/appointments/request/details/"


def offered(client, day, provider=None):
    """The (provider id, start) pairs availability.json offers on `day`."""
    params = {"visit_type": "vein-evaluation", "date": day.isoformat(), "days": 1}
    response = client.get(URL, params)
    assert response.status_code == HTTPStatus.OK
    return {(slot["provider"]["id"], slot["start"]) for slot in response.json()["slots"]}


def request_page_times(client, day):
    response = client.get("/appointments/request/", {"visit_type": "vein-evaluation", "week": day.isoformat()})
    return response.text


@pytest.fixture
def booked(client, open_slot, slot_post, booking_day):
    """A patient's request for Dr. Marsh at 9:00, made after the day's times were first shown."""
    offered(client, booking_day)
    response = request_with_code(client, slot_post(open_slot))
    assert response.status_code == HTTPStatus.FOUND
    return Appointment.objects.get()


def test_availability_runs_six_queries_then_one(client, clinic, booking_day, django_assert_max_num_queries):
    params = {"visit_type": "vein-evaluation", "date": booking_day.isoformat(), "days": 14}
    # The versions, the grid of start times, the visit type and three for the schedule; then the versions.
    with django_assert_max_num_queries(6):
        first = client.get(URL, params)
    with django_assert_max_num_queries(1):
        again = client.get(URL, params)
    assert len(first.json()["slots"]) > 100
    assert again.json() == first.json()


def test_a_booking_takes_the_time_off_the_cached_availability(client, clinic, booking_day, booked):
    nine = local(booking_day, 9).isoformat()
    assert (clinic["marsh"].pk, nine) not in offered(client, booking_day)
    assert (clinic["okafor"].pk, nine) in offered(client, booking_day)


def test_a_move_frees_the_old_time_and_takes_the_new_one(client, clinic, booking_day, booked):
    eleven = local(booking_day, 11)
    choice = booking.choose_slot(clinic["vein"], clinic["marsh"].pk, eleven, availability.Policy.for_staff())
    assert booking.move_by_staff(booked, choice).ok

    now_offered = offered(client, booking_day)
    assert (clinic["marsh"].pk, eleven.isoformat()) not in now_offered
    assert (clinic["marsh"].pk, local(booking_day, 9).isoformat()) in now_offered


@pytest.mark.parametrize("step", [booking.cancel, booking.decline], ids=["cancel", "decline"])
def test_a_cancelled_or_declined_request_gives_the_time_back(client, clinic, booking_day, booked, step):
    assert (clinic["marsh"].pk, local(booking_day, 9).isoformat()) not in offered(client, booking_day)
    assert step(booked, "Patient called").ok
    assert (clinic["marsh"].pk, local(booking_day, 9).isoformat()) in offered(client, booking_day)


def test_shorter_working_hours_take_times_off_the_cached_availability(client, clinic, booking_day):
    late = (clinic["okafor"].pk, local(booking_day, 16).isoformat())
    assert late in offered(client, booking_day)
    hours = WorkingHours.objects.get(provider=clinic["okafor"], weekday=booking_day.weekday(), starts_at=time(13, 30))
    hours.ends_at = time(15)
    hours.save()
    assert late not in offered(client, booking_day)


def test_a_closure_takes_its_times_off_the_cached_availability(client, clinic, booking_day):
    assert any(start.startswith(booking_day.isoformat()) for _, start in offered(client, booking_day))
    Closure.objects.create(
        starts_at=local(booking_day, 0), ends_at=local(booking_day, 0) + timedelta(days=1), reason="Staff training"
    )
    assert offered(client, booking_day) == set()


def test_the_request_page_shows_the_same_fresh_times(client, clinic, booking_day, booked):
    marsh_at_nine = urlencode({"provider": clinic["marsh"].pk, "start": local(booking_day, 9).isoformat()})
    assert marsh_at_nine not in request_page_times(client, booking_day).replace("&amp;", "&")
    assert booking.cancel(booked, "Patient called").ok
    assert marsh_at_nine in request_page_times(client, booking_day).replace("&amp;", "&")
