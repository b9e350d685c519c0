"""Texts through the real worker process to the fake Twilio API process, and the faults an operator
will meet: a provider that stalls, one that refuses connections for a while, one that answers 429 or
500. The booking POST never waits for the provider; each text is retried and arrives exactly once.
"""

import time
from http import HTTPStatus

import pytest

from appointments.models import Appointment, Message
from tests.appointments.fixtures import request_with_code
from tests.processes import wait_until

DETAILS = "/appointments/request/details/"
NUMBER = "+12015550123"
State = Message.State
pytestmark = pytest.mark.django_db(transaction=True)


@pytest.fixture
def book(client, open_slot, slot_post, texting):
    def submit():
        started = time.perf_counter()
        response = request_with_code(client, slot_post(open_slot, notify_by="text", text_consent="on"))
        elapsed = time.perf_counter() - started
        assert response.status_code == HTTPStatus.FOUND
        return Appointment.objects.get(), elapsed

    return submit


def text_message():
    return Message.objects.get(channel=Message.Channel.TEXT)


def start_worker(worker, smtp_server, fake):
    return worker(smtp_server, TRUFFLES_SITE_URL="https://clinic.example", **fake.environment())


def assert_sent_once(fake, running, appointment):
    wait_until(lambda: text_message().state == State.SENT, 20, message="the text recorded as sent")
    time.sleep(2)  # the worker keeps running: nothing goes a second time
    sent = fake.sent_to(NUMBER)
    assert len(sent) == 1, running.output()
    assert appointment.reference in sent[0]["body"]
    assert text_message().provider_id == sent[0]["sid"]
    log = running.output()
    for detail in ("5550123", "555-0123", "Maria", "Lopez", sent[0]["body"][:30], appointment.get_absolute_url()):
        assert detail not in log  # the worker's log names the reference and the message id only


def test_a_stalled_provider_does_not_hold_the_booking_and_the_text_arrives_once_it_answers(
    book, texting, worker, smtp_server
):
    texting.set_mode("stall")
    appointment, elapsed = book()
    assert texting.sent() == []
    print(f"\nbooking POST with a stalled text provider: {elapsed * 1000:.0f} ms")
    running = start_worker(worker, smtp_server, texting)
    wait_until(lambda: text_message().attempts >= 2, 30, message="a timed-out attempt and a retry")
    assert text_message().last_error in ("ReadTimeout", "ConnectionError", "ConnectTimeout")
    texting.set_mode("normal")
    assert_sent_once(texting, running, appointment)


def test_a_provider_refusing_connections_for_a_while_gets_the_text_once_it_is_back(book, texting, worker,
                                                                                    smtp_server):  # fmt: skip
    texting.stop()
    appointment, _ = book()
    running = start_worker(worker, smtp_server, texting)
    wait_until(lambda: text_message().attempts >= 2, 30, message="two refused attempts")
    assert text_message().last_error == "ConnectionError"
    texting.start()
    assert_sent_once(texting, running, appointment)


@pytest.mark.parametrize("fault", ["429", "500"])
def test_a_provider_answering_429_or_500_gets_the_text_retried_and_sent_once(book, texting, worker, smtp_server,
                                                                            fault):  # fmt: skip
    texting.set_mode(fault, count=2)
    appointment, _ = book()
    running = start_worker(worker, smtp_server, texting)
    assert_sent_once(texting, running, appointment)
    assert text_message().attempts == 3


def test_a_text_stops_after_the_last_attempt_and_shows_as_failed(book, texting, worker, smtp_server):
    texting.set_mode("500")
    book()
    worker(smtp_server, TRUFFLES_MAIL_ATTEMPTS=2, TRUFFLES_MAIL_RETRY_SECONDS="0.2", **texting.environment())
    wait_until(lambda: text_message().state == State.FAILED, 30, message="the text marked failed")
    assert (text_message().attempts, text_message().last_error) == (2, "Twilio 20500")
    assert texting.sent() == []
