from datetime import timedelta
from http import HTTPStatus

import pytest
from django.utils import timezone

from appointments.models import Appointment
from tests.appointments.fixtures import local

URL = "/appointments/availability.json"
SOON = (timezone.localdate() + timedelta(days=7)).isoformat()


def get(client, **params):
    return client.get(URL, params)


def test_availability_lists_free_slots_with_offsets_and_request_links(client, clinic, booking_day):
    response = get(client, visit_type="vein-evaluation", date=booking_day.isoformat(), days=1)
    assert response.status_code == HTTPStatus.OK
    body = response.json()
    assert body["timezone"] == "America/New_York"
    first = body["slots"][0]
    assert first["start"] == local(booking_day, 9).isoformat()
    assert first["start"].endswith(("-05:00", "-04:00"))
    assert first["provider"] == {"id": clinic["marsh"].pk, "name": "Dr. Elena Marsh"}
    assert "/appointments/request/details/?" in first["request_url"]
    assert client.get(first["request_url"]).status_code == HTTPStatus.OK


def test_availability_can_be_limited_to_one_provider(client, clinic, booking_day):
    body = get(client, visit_type="vein-evaluation", date=booking_day.isoformat(), days=3,
               provider=clinic["okafor"].pk).json()
    assert body["slots"]
    assert {slot["provider"]["id"] for slot in body["slots"]} == {clinic["okafor"].pk}


@pytest.mark.parametrize(
    ("params", "parameter"),
    [
        ({"date": SOON}, "visit_type"),
        ({"visit_type": "vein-evaluation"}, "date"),
        ({"visit_type": "vein-evaluation", "date": "2030-02-30"}, "date"),
        ({"visit_type": "vein-evaluation", "date": SOON, "days": "0"}, "days"),
        ({"visit_type": "vein-evaluation", "date": SOON, "days": "32"}, "days"),
        ({"visit_type": "vein-evaluation", "date": SOON, "days": "seven"}, "days"),
        ({"visit_type": "vein-evaluation", "date": SOON, "provider": "abc"}, "provider"),
        ({"visit_type": "vein-evaluation", "date": SOON, "provider": "99999"}, "provider"),
    ],
)
def test_bad_parameters_get_a_400_naming_the_parameter(client, clinic, params, parameter):
    response = get(client, **params)
    assert response.status_code == HTTPStatus.BAD_REQUEST
    assert response.json()["parameter"] == parameter
    assert parameter in response.json()["error"]


def test_unknown_or_staff_only_visit_type_is_404(client, clinic):
    assert get(client, visit_type="laser-hair", date=SOON).status_code == HTTPStatus.NOT_FOUND
    assert get(client, visit_type="follow-up", date=SOON).status_code == HTTPStatus.NOT_FOUND


@pytest.mark.parametrize("appointments", [0, 40])
def test_two_weeks_of_slots_cost_six_queries_however_busy_the_clinic(
    client, clinic, booking_day, appointments, django_assert_max_num_queries
):
    for index in range(appointments):
        start = local(booking_day + timedelta(days=index % 12), 9) + timedelta(minutes=60 * (index % 7))
        Appointment.objects.create(
            visit_type=clinic["vein"], provider=clinic["marsh" if index % 2 else "okafor"],
            location=clinic["location"], starts_at=start, ends_at=start + timedelta(minutes=45),
            busy_until=start + timedelta(minutes=60), first_name="A", last_name="B",
            date_of_birth="1970-01-01", email=f"p{index}@example.com", phone="+12015550123",
            consent_version="t", consented_at=timezone.now(),
        )
    # The versions, the grid of start times (core/pagecache.py), the visit type, three for the schedule.
    with django_assert_max_num_queries(6):
        response = get(client, visit_type="vein-evaluation", date=booking_day.isoformat(), days=14)
    assert response.status_code == HTTPStatus.OK
    assert response.json()["slots"]
