"""A burst of simultaneous requests must not slip past the rate limits."""

import threading

import pytest
from django.db import connection, transaction

from appointments import protection
from appointments.models import SubmissionAttempt

BURST = 12


def at_once(calls):
    """Run each call in its own thread (own connection, own transaction), all released together."""
    barrier = threading.Barrier(len(calls))
    results = [None] * len(calls)

    def run(index, call):
        try:
            barrier.wait(timeout=30)
            with transaction.atomic():
                results[index] = call()
        finally:
            connection.close()

    threads = [threading.Thread(target=run, args=(index, call)) for index, call in enumerate(calls)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=60)
    return results


@pytest.mark.django_db(transaction=True)
def test_a_burst_from_one_address_gets_no_more_than_the_hourly_limit(settings):
    settings.TRUFFLES_BOOKING = {**settings.TRUFFLES_BOOKING, "RATE_PER_ADDRESS_PER_HOUR": 3}
    calls = [
        lambda index=index: (
            protection.judge(protection.keys("203.0.113.50", f"p{index}@gmail.com"), emailing=True).refusal
        )
        for index in range(BURST)
    ]

    refusals = at_once(calls)

    assert refusals.count("") == 3
    assert all(reason == protection.refusal_message() for reason in refusals if reason)
    address_key = SubmissionAttempt.hash("address", "203.0.113.50")
    assert SubmissionAttempt.objects.filter(key=address_key).count() == 3


@pytest.mark.django_db(transaction=True)
def test_a_burst_of_code_emails_to_one_mailbox_sends_no_more_than_its_daily_share(settings):
    settings.TRUFFLES_BOOKING = {**settings.TRUFFLES_BOOKING, "RATE_PER_EMAIL_PER_DAY": 2}
    mailbox = protection.keys("198.51.100.1", "same.person@example.com")["mailbox"]

    allowed = at_once([lambda: protection.may_email_code(mailbox)] * BURST)

    assert allowed.count(True) == 2
