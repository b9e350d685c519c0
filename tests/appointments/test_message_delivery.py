"""Messages through the real database queue, a real worker process and a real SMTP server on loopback,
and the three faults an operator will meet: a mail server that stalls, one that is down for a
while, and a worker killed in the middle of a send. Each wait is bounded.

The worker runs with a 1 s mail timeout and 0.5 s first retry (see mail_fixtures.WorkerProcess).
"""

import time
from http import HTTPStatus

import pytest

from appointments.models import Appointment, Message
from tests.appointments.fixtures import request_with_code
from tests.processes import wait_until

DETAILS = "/appointments/request/details/"
Kind = Message.Kind
State = Message.State

pytestmark = pytest.mark.django_db(transaction=True)


@pytest.fixture
def web_mail_to(settings):
    """Point the web process's own mail settings at a server too: if a request sent mail inline, it would show."""

    def point(server):
        options = {"host": "127.0.0.1", "port": server.port, "timeout": 5}
        settings.MAILERS = {"default": {"BACKEND": "django.core.mail.backends.smtp.EmailBackend", "OPTIONS": options}}

    return point


@pytest.fixture
def request_visit(client, open_slot, slot_post):
    def submit():
        started = time.perf_counter()
        response = request_with_code(client, slot_post(open_slot))
        elapsed = time.perf_counter() - started
        assert response.status_code == HTTPStatus.FOUND
        return Appointment.objects.get(), elapsed

    return submit


def message(kind):
    return Message.objects.get(kind=kind)


def test_a_request_reaches_patient_and_clinic_through_the_worker(worker, smtp_server, request_visit, web_mail_to):
    web_mail_to(smtp_server)
    appointment, _ = request_visit()
    running = worker(smtp_server, TRUFFLES_CLINIC_INBOX="frontdesk@clinic.example")
    smtp_server.wait_for(2)
    (patient,) = smtp_server.to("maria.lopez@example.com")
    (clinic,) = smtp_server.to("frontdesk@clinic.example")
    assert patient["Subject"] == f"Truffles Vein Specialists: We have your request {appointment.reference}"
    assert f"http://127.0.0.1:8000{appointment.get_absolute_url()}" in patient.get_body(("plain",)).get_content()
    assert patient.get_body(("html",)).get_content().startswith("<!doctype html>")
    assert patient["Message-ID"] == f"<appointment-message-{message(Kind.RECEIVED).pk}@127.0.0.1>"
    assert clinic["Subject"] == f"Truffles Vein Specialists: New online request {appointment.reference}"
    assert "Maria" not in clinic.as_string()
    # Sent, all but the code's email: the code was entered before the worker came to it.
    def states():
        return set(Message.objects.exclude(kind=Kind.EMAIL_CODE).values_list("state", flat=True))

    wait_until(lambda: states() == {State.SENT}, 10, message="sent")
    log = running.output()
    assert f"Sent received message {message(Kind.RECEIVED).pk} for {appointment.reference}" in log
    for detail in ("Maria", "Lopez", "maria.lopez", appointment.get_absolute_url(), "1971-04-23", "4/23/1971"):
        assert detail not in log  # the worker's log names the reference only


def test_a_stalled_mail_server_does_not_hold_the_booking_and_the_message_arrives_once_it_answers(
    worker, stalled_smtp, request_visit, web_mail_to
):
    web_mail_to(stalled_smtp)
    appointment, elapsed = request_visit()
    # The POST came back while the server was silent, and nothing in the request even connected to it.
    assert appointment.status == Appointment.Status.REQUESTED
    assert stalled_smtp.connections == 0
    print(f"\nbooking POST with a stalled mail server: {elapsed * 1000:.0f} ms")

    running = worker(stalled_smtp)
    wait_until(lambda: message(Kind.RECEIVED).attempts >= 2, 20, message="a timed-out attempt and a retry")
    received = message(Kind.RECEIVED)
    assert received.state in (State.PENDING, State.SENDING)
    assert received.last_error.startswith("TimeoutError") or received.last_error.startswith("SMTPServerDisconnected")

    stalled_smtp.answer()
    stalled_smtp.wait_for(2, timeout=30)
    wait_until(lambda: message(Kind.RECEIVED).state == State.SENT, 10, message="recorded as sent")
    time.sleep(2)  # the worker keeps running: nothing arrives a second time
    assert len(stalled_smtp.to("maria.lopez@example.com")) == 1, running.output()


def test_a_mail_server_down_for_a_while_gets_each_message_once_it_is_back(worker, down_smtp, request_visit):
    request_visit()
    running = worker(down_smtp)
    wait_until(lambda: message(Kind.RECEIVED).attempts >= 3, 20, message="three refused attempts")
    refused = message(Kind.RECEIVED)
    assert refused.last_error.startswith("ConnectionRefusedError")
    assert refused.state in (State.PENDING, State.SENDING)

    down_smtp.answer()
    down_smtp.wait_for(2, timeout=30)
    wait_until(lambda: message(Kind.RECEIVED).state == State.SENT, 10, message="recorded as sent")
    attempts = message(Kind.RECEIVED).attempts
    time.sleep(2)
    assert len(down_smtp.to("maria.lopez@example.com")) == 1, running.output()
    assert message(Kind.RECEIVED).attempts == attempts
    print(f"\nserver down: delivered once after {attempts} attempts")


def test_a_message_stops_after_the_last_attempt_and_stays_visible_as_failed(worker, down_smtp, request_visit):
    request_visit()
    worker(down_smtp, TRUFFLES_MAIL_ATTEMPTS=2, TRUFFLES_MAIL_RETRY_SECONDS="0.2")
    wait_until(lambda: Message.objects.failed().count() == 2, 20, message="both messages failed")
    failed = message(Kind.RECEIVED)
    assert failed.attempts == 2
    assert failed.last_error.startswith("ConnectionRefusedError")
    assert "maria" not in failed.last_error.lower()


def test_a_worker_killed_mid_send_delivers_once_after_restart(worker, stalled_smtp, request_visit):
    appointment, _ = request_visit()
    first = worker(stalled_smtp, TRUFFLES_MAIL_TIMEOUT_SECONDS="3")
    # Caught in the act: the row says "sending" and the worker is connected, waiting for the server.
    wait_until(lambda: stalled_smtp.connections >= 1 and Message.objects.filter(state=State.SENDING).exists(), 20,
               interval=0.02, message="a send in progress")  # fmt: skip
    first.kill()
    killed_at = time.monotonic()
    abandoned = Message.objects.get(state=State.SENDING)

    stalled_smtp.answer()
    second = worker(stalled_smtp, TRUFFLES_MAIL_TIMEOUT_SECONDS="1")
    wait_until(lambda: Message.objects.get(pk=abandoned.pk).state == State.SENT, 40, message="sent after the restart")
    delivered_after = time.monotonic() - killed_at
    time.sleep(2)
    copies = [m for m in stalled_smtp.received if m["Message-ID"].startswith(f"<appointment-message-{abandoned.pk}@")]
    assert len(copies) == 1, second.output()
    print(f"\nworker killed mid-send: delivered once, {delivered_after:.1f} s after the kill")
