"""/metrics: only the monitoring server reads it, and it tells what an operator needs to see."""

import ipaddress
from datetime import timedelta
from http import HTTPStatus

import pytest
from django.db import connection
from django.utils import timezone
from django_tasks_db.models import DBTaskResult
from prometheus_client.parser import text_string_to_metric_families

from appointments import booking
from appointments.models import Message
from core import health
from tests.appointments.fixtures import PATIENT, local

TOKEN = "metrics-token-for-tests-0123456789abcdef"
DETAILS = "/appointments/request/details/"


def read(text: str) -> dict:
    """{(sample name, sorted labels): value} of an exposition."""
    return {
        (sample.name, tuple(sorted(sample.labels.items()))): sample.value
        for family in text_string_to_metric_families(text)
        for sample in family.samples
    }


def scrape(client) -> dict:
    response = client.get("/metrics", headers={"Authorization": f"Bearer {TOKEN}"})
    assert response.status_code == HTTPStatus.OK
    return read(response.content.decode())


@pytest.fixture
def monitored(settings):
    settings.TRUFFLES_METRICS_TOKEN = TOKEN
    settings.TRUFFLES_METRICS_NETWORKS = [ipaddress.ip_network("10.20.0.0/16")]
    return settings


@pytest.mark.django_db
def test_metrics_are_a_404_to_anyone_but_the_monitoring_server(client, monitored):
    assert client.get("/metrics").status_code == HTTPStatus.NOT_FOUND
    assert client.get("/metrics", headers={"Authorization": "Bearer wrong"}).status_code == HTTPStatus.NOT_FOUND
    assert client.get("/metrics", headers={"Authorization": TOKEN}).status_code == HTTPStatus.NOT_FOUND
    assert client.get("/metrics", REMOTE_ADDR="10.21.0.1").status_code == HTTPStatus.NOT_FOUND

    by_token = client.get("/metrics", headers={"Authorization": f"Bearer {TOKEN}"})
    by_address = client.get("/metrics", REMOTE_ADDR="10.20.3.4")
    assert by_token.status_code == by_address.status_code == HTTPStatus.OK
    assert by_token["Content-Type"].startswith("text/plain; version=")
    assert "truffles_http_requests_total" in by_token.content.decode()


@pytest.mark.django_db
def test_no_token_configured_means_no_bearer_gets_in(client, settings):
    settings.TRUFFLES_METRICS_TOKEN = ""
    settings.TRUFFLES_METRICS_NETWORKS = []
    assert client.get("/metrics", headers={"Authorization": "Bearer "}).status_code == HTTPStatus.NOT_FOUND
    assert client.get("/metrics", headers={"Authorization": "Bearer"}).status_code == HTTPStatus.NOT_FOUND


@pytest.mark.django_db
def test_requests_are_counted_by_view_and_status_with_their_latency(client, monitored):
    before = scrape(client)
    client.get("/robots.txt")
    client.get("/robots.txt")
    client.get("/no-such-page/")
    after = scrape(client)

    def grew(name, **labels):
        key = (name, tuple(sorted(labels.items())))
        return after.get(key, 0) - before.get(key, 0)

    assert grew("truffles_http_requests_total", view="robots_txt", status="200") == 2
    assert grew("truffles_http_requests_total", view="unresolved", status="404") == 1
    assert grew("truffles_http_request_duration_seconds_count", view="robots_txt") == 2
    assert grew("truffles_http_request_duration_seconds_bucket", view="robots_txt", le="+Inf") == 2
    assert grew("truffles_http_request_duration_seconds_sum", view="robots_txt") > 0


@pytest.mark.django_db
def test_bookings_are_counted_held_taken_and_refused(client, monitored, clinic, booking_day, slot_post):
    before = scrape(client)
    slot = booking.SlotChoice(clinic["vein"], clinic["marsh"], clinic["location"], local(booking_day, 10))
    assert booking.book_by_phone(slot, {**PATIENT, "email": "caller@example.com"}).ok
    assert booking.book_by_phone(slot, {**PATIENT, "email": "other@example.com"}).taken
    monitored.TRUFFLES_BOOKING = {**monitored.TRUFFLES_BOOKING, "RATE_PER_ADDRESS_PER_HOUR": 0}
    online = {"visit_type": clinic["vein"], "provider": clinic["marsh"], "start": local(booking_day, 11)}
    assert client.post(DETAILS, slot_post(online)).status_code == HTTPStatus.TOO_MANY_REQUESTS
    after = scrape(client)

    def grew(source, outcome):
        key = ("truffles_bookings_total", (("outcome", outcome), ("source", source)))
        return after[key] - before.get(key, 0)

    assert (grew("phone", "held"), grew("phone", "taken"), grew("online", "refused")) == (1, 1, 1)
    assert grew("online", "held") == grew("online", "taken") == 0


@pytest.mark.django_db
def test_notifications_the_queue_and_the_workers_heartbeat_come_from_the_database(
    client, monitored, clinic, booking_day
):
    slot = booking.SlotChoice(clinic["vein"], clinic["marsh"], clinic["location"], local(booking_day, 10))
    appointment = booking.book_by_phone(slot, {**PATIENT, "email": "caller@example.com"}).appointment
    Message.objects.filter(appointment=appointment, kind=Message.Kind.REMINDER).update(state=Message.State.FAILED)
    DBTaskResult.objects.update(enqueued_at=timezone.now() - timedelta(minutes=10))
    health.beat("worker-a", timezone.now())

    metrics = scrape(client)
    assert metrics[("truffles_database_up", ())] == 1
    assert metrics[("truffles_notifications", (("channel", "email"), ("state", "queued")))] == 1  # the confirmation
    assert metrics[("truffles_notifications", (("channel", "email"), ("state", "failed")))] == 1
    assert metrics[("truffles_notifications", (("channel", "email"), ("state", "sent")))] == 0
    assert metrics[("truffles_tasks_due", ())] == 1  # the reminder's task waits for its time
    assert 600 <= metrics[("truffles_oldest_queued_task_age_seconds", ())] < 700
    beat = metrics[("truffles_worker_last_heartbeat_timestamp_seconds", ())]
    assert abs(beat - timezone.now().timestamp()) < 30


def test_a_database_that_does_not_answer_shows_as_down_and_is_counted(client, monitored, django_db_blocker):
    original = connection.settings_dict.copy()
    with django_db_blocker.unblock():
        connection.close()
        connection.settings_dict.update(HOST="127.0.0.1", PORT="1", OPTIONS={"connect_timeout": 2})
        try:
            first = client.get("/metrics", headers={"Authorization": f"Bearer {TOKEN}"}).content.decode()
            second = read(client.get("/metrics", headers={"Authorization": f"Bearer {TOKEN}"}).content.decode())
        finally:
            connection.close()
            connection.settings_dict.clear()
            connection.settings_dict.update(original)
    assert read(first)[("truffles_database_up", ())] == 0
    assert second[("truffles_database_errors_total", (("error", "OperationalError"),))] >= 1
    assert "truffles_notifications" not in first  # nothing made up while the database is away
