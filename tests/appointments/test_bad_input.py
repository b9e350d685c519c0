"""Odd or hostile input in URLs and forms gets a clear answer, never a 500."""

from http import HTTPStatus

import pytest

from appointments.models import Appointment
from tests.appointments.fixtures import local, request_with_code, token_of

DETAILS = "/appointments/request/details/"


@pytest.mark.parametrize(
    ("params", "parameter"),
    [
        ({"visit_type": "vein\x00evaluation", "date": "2026-12-01"}, "visit_type"),
        ({"visit_type": "vein-evaluation", "date": "9999-12-31"}, "date"),
        ({"visit_type": "vein-evaluation", "date": "0001-01-01"}, "date"),
    ],
)
def test_availability_refuses_odd_parameters_with_a_400(client, clinic, params, parameter):
    response = client.get("/appointments/availability.json", params)
    assert response.status_code == HTTPStatus.BAD_REQUEST
    assert response.json()["parameter"] == parameter


@pytest.mark.parametrize(
    "query",
    [
        {"start": "garbage"},
        {"start": "0001-01-01T10:00:00+14:00"},
        {"start": "9999-12-31T10:00:00-05:00"},
        {"start": "2030-01-07T10:00:00"},  # no offset: ambiguous
        {"provider": "abc"},
        {"provider": "²"},
        {"visit_type": "\x00"},
    ],
)
def test_details_page_sends_odd_slots_back_to_the_calendar(client, open_slot, query):
    params = {"visit_type": "vein-evaluation", "provider": open_slot["provider"].pk,
              "start": open_slot["start"].isoformat(), **query}
    response = client.get(DETAILS, params, follow=True)
    assert response.status_code == HTTPStatus.OK
    assert "That time is not available. Please choose a time from the list." in response.content.decode()


@pytest.mark.parametrize("source", ["\x00", "Some Title", "x" * 500, "no-such-article"])
def test_an_odd_article_link_is_ignored_not_fatal(client, open_slot, slot_post, source):
    page = client.get("/appointments/request/", {"from": source})
    assert page.status_code == HTTPStatus.OK
    assert "Choose a day" in page.content.decode()
    response = client.post(DETAILS, {**slot_post(open_slot), "from": source})
    assert response.status_code == HTTPStatus.FOUND
    assert Appointment.objects.get().source_article is None


@pytest.mark.parametrize("week", ["notadate", "9999-99-99", "\x00"])
def test_a_mangled_week_shows_this_week(client, clinic, week):
    response = client.get("/appointments/request/", {"week": week})
    assert response.status_code == HTTPStatus.OK
    assert "Choose a day" in response.content.decode()


@pytest.mark.parametrize("path", ["/appointments/manage/%00/", "/appointments/manage/abc%00def/cancel/",
                                  "/appointments/manage/not-a-real-token-at-all/"])
def test_bad_confirmation_links_are_404(client, db, path):
    assert client.get(path).status_code == HTTPStatus.NOT_FOUND


def test_a_reschedule_token_with_odd_characters_is_ignored(client, open_slot):
    params = {"visit_type": "vein-evaluation", "provider": open_slot["provider"].pk,
              "start": open_slot["start"].isoformat(), "reschedule": "\x00"}
    response = client.get(DETAILS, params)
    assert response.status_code == HTTPStatus.OK
    assert "Your details" in response.content.decode()


def test_specialists_offered_follow_the_visit_type(client, clinic):
    page = client.get("/appointments/request/", {"visit_type": "rls-consultation"}).content.decode()
    assert "Dr. Elena Marsh" in page
    assert "Dr. Samuel Okafor" not in page  # does not offer RLS consultations
    refused = client.get("/appointments/request/", {"visit_type": "rls-consultation",
                                                    "provider": clinic["okafor"].pk})
    assert "Choose one of the specialists listed." in refused.content.decode()


def test_a_patient_cannot_move_a_visit_to_another_visit_type(client, clinic, open_slot, slot_post, booking_day):
    token = token_of(request_with_code(client, slot_post(open_slot))["Location"])
    appointment = Appointment.objects.get()
    data = {"visit_type": "rls-consultation", "provider": clinic["marsh"].pk,
            "start": local(booking_day, 14).isoformat(), "reschedule": token}
    response = client.post(DETAILS, data, follow=True)
    assert "that is what you booked" in response.content.decode()
    appointment.refresh_from_db()
    assert appointment.starts_at == open_slot["start"]
