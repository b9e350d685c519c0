"""Findings 4 and 5: limits that reveal nothing and cannot be walked around."""

from datetime import timedelta
from http import HTTPStatus

import pytest

from appointments import protection
from appointments.models import Appointment
from tests.appointments.fixtures import local

DETAILS = "/appointments/request/details/"


@pytest.fixture
def book(client, clinic, booking_day, slot_post):
    """Submit the request form for the n-th free time of the booking week."""
    starts = [local(booking_day + timedelta(days=day), hour) for day in range(5) for hour in (9, 10, 11, 14, 15, 16)]

    def submit(index, address="192.0.2.10", **answers):
        slot = {"visit_type": clinic["vein"], "provider": clinic["marsh"], "start": starts[index]}
        return client.post(DETAILS, slot_post(slot, **answers), REMOTE_ADDR=address)

    return submit


def refusal_text(response):
    return protection.refusal_message() in response.content.decode()


def test_a_strangers_guess_at_a_patient_gets_the_same_answer_as_any_refusal(book, settings):
    settings.BOOKING = {**settings.BOOKING, "MAX_OPEN_REQUESTS_PER_PATIENT": 2, "RATE_PER_ADDRESS_PER_HOUR": 2}
    for index in range(2):  # the real patient holds two requests
        assert book(index, address=f"198.51.100.{index}").status_code == HTTPStatus.FOUND
    # A stranger types her email and date of birth; someone else is refused by the address limit.
    guess = book(2, address="203.0.113.77")
    book(3, address="192.0.2.50", email="a@example.com")
    book(4, address="192.0.2.50", email="b@example.com")
    other = book(5, address="192.0.2.50", email="c@example.com")

    assert guess.status_code == other.status_code == HTTPStatus.TOO_MANY_REQUESTS
    assert refusal_text(guess)
    assert refusal_text(other)
    for text in ("upcoming", "already", " 2 "):
        assert text not in protection.refusal_message()


@pytest.mark.parametrize(
    "variant", ["Maria.Lopez@Example.com", "maria.lopez+again@example.com", "MARIA.LOPEZ+x@EXAMPLE.COM"]
)
def test_case_and_plus_tags_do_not_get_past_the_caps(book, settings, variant):
    settings.BOOKING = {**settings.BOOKING, "RATE_PER_EMAIL_PER_DAY": 1, "MAX_OPEN_REQUESTS_PER_PATIENT": 9}
    assert book(0, address="198.51.100.1", email="maria.lopez@example.com").status_code == HTTPStatus.FOUND

    again = book(1, address="198.51.100.2", email=variant)

    assert refusal_text(again)
    assert Appointment.objects.count() == 1


def test_open_requests_per_patient_count_plus_tagged_addresses_as_one(book, settings):
    settings.BOOKING = {**settings.BOOKING, "RATE_PER_EMAIL_PER_DAY": 99, "MAX_OPEN_REQUESTS_PER_PATIENT": 2}
    for index, email in enumerate(["maria.lopez@example.com", "maria.lopez+1@example.com"]):
        assert book(index, address=f"198.51.100.{index}", email=email).status_code == HTTPStatus.FOUND

    third = book(2, address="198.51.100.9", email="Maria.Lopez+2@example.com")

    assert refusal_text(third)
    assert Appointment.objects.count() == 2


def test_an_ipv6_client_is_counted_per_64_network(book, settings):
    settings.BOOKING = {**settings.BOOKING, "RATE_PER_ADDRESS_PER_HOUR": 2}
    for index in range(2):
        assert book(index, address=f"2001:db8:1:2::{index + 1}", email=f"p{index}@example.com").status_code == 302

    same_network = book(2, address="2001:db8:1:2:ffff::9", email="p9@example.com")
    other_network = book(3, address="2001:db8:1:3::1", email="p8@example.com")

    assert refusal_text(same_network)
    assert other_network.status_code == HTTPStatus.FOUND


def test_no_client_can_hold_more_than_the_daily_cap_of_open_online_requests(book, settings):
    settings.BOOKING = {**settings.BOOKING, "MAX_OPEN_ONLINE_REQUESTS_PER_DAY": 3}
    outcomes = [book(index, address=f"198.51.100.{index}", email=f"p{index}@example.com") for index in range(5)]

    assert [response.status_code for response in outcomes] == [302, 302, 302, 429, 429]
    assert refusal_text(outcomes[-1])
    assert Appointment.objects.count() == 3
