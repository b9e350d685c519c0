"""A burst of simultaneous requests must not slip past the rate limits."""

import threading
from datetime import date

import pytest
from django.db import connection

from appointments import protection
from appointments.models import SubmissionAttempt

BURST = 12


def submit_at_once(addresses_and_patients):
    """Run `protection.refusal` for each pair in its own thread (own connection), all released together."""
    barrier = threading.Barrier(len(addresses_and_patients))
    refusals = [None] * len(addresses_and_patients)

    def submit(index, address, patient):
        try:
            barrier.wait(timeout=30)
            refusals[index] = protection.refusal(address, **patient)
        finally:
            connection.close()

    threads = [
        threading.Thread(target=submit, args=(index, address, patient))
        for index, (address, patient) in enumerate(addresses_and_patients)
    ]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=60)
    return refusals


def patient(email):
    return {"email": email, "date_of_birth": date(1970, 5, 1)}


@pytest.mark.django_db(transaction=True)
def test_a_burst_from_one_address_gets_no_more_than_the_hourly_limit(settings):
    settings.BOOKING = {**settings.BOOKING, "RATE_PER_ADDRESS_PER_HOUR": 3}
    refusals = submit_at_once([("203.0.113.50", patient(f"p{index}@example.com")) for index in range(BURST)])

    accepted = [reason for reason in refusals if reason == ""]
    assert len(accepted) == 3
    assert all(reason == protection.refusal_message() for reason in refusals if reason)
    address_key = SubmissionAttempt.hash("address", "203.0.113.50")
    assert SubmissionAttempt.objects.filter(key=address_key).count() == 3


@pytest.mark.django_db(transaction=True)
def test_a_burst_with_one_email_gets_no_more_than_the_daily_limit(settings):
    settings.BOOKING = {**settings.BOOKING, "RATE_PER_EMAIL_PER_DAY": 2, "MAX_OPEN_REQUESTS_PER_PATIENT": 99}
    pairs = [(f"198.51.100.{index + 1}", patient("same.person@example.com")) for index in range(BURST)]

    refusals = submit_at_once(pairs)

    assert refusals.count("") == 2
    assert all(reason == protection.refusal_message() for reason in refusals if reason)
