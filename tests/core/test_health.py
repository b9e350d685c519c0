from datetime import timedelta
from http import HTTPStatus

import pytest
from django.db import connection
from django.utils import timezone

from core import health
from core.models import WorkerHeartbeat


@pytest.mark.django_db
def test_health_endpoint_reports_ok_when_the_database_answers_and_a_worker_beat_recently(client):
    health.beat("worker-a", timezone.now() - timedelta(hours=1))
    response = client.get("/healthz", secure=True)
    assert response.status_code == HTTPStatus.OK
    body = response.json()
    assert body["status"] == "ok"
    assert body["worker"]["status"] == "ok"
    assert body["worker"]["seconds_ago"] <= 5


@pytest.mark.django_db
def test_a_stale_worker_degrades_health_but_the_site_still_answers_200(client, settings):
    settings.TRUFFLES_WORKER_STALE_SECONDS = 300
    WorkerHeartbeat.objects.create(
        worker_id="gone", started_at=timezone.now() - timedelta(hours=2), beat_at=timezone.now() - timedelta(minutes=6)
    )
    response = client.get("/healthz", secure=True)
    assert response.status_code == HTTPStatus.OK
    body = response.json()
    assert body["status"] == "degraded"
    assert body["worker"]["status"] == "degraded"
    assert "no task worker has reported for 36" in body["worker"]["reason"]


@pytest.mark.django_db
def test_health_says_degraded_when_no_worker_ever_reported(client, django_assert_num_queries):
    with django_assert_num_queries(1):  # the heartbeat query is also the database check
        response = client.get("/healthz", secure=True)
    assert response.status_code == HTTPStatus.OK
    assert response.json()["worker"] == {
        "status": "degraded", "reason": "no task worker has ever reported; patients' messages wait"
    }


def test_worker_health_is_computed_from_the_latest_beat_alone(settings):
    settings.TRUFFLES_WORKER_STALE_SECONDS = 60
    now = timezone.now()
    assert health.worker_health(now - timedelta(seconds=59), now)["status"] == "ok"
    assert health.worker_health(now - timedelta(seconds=61), now)["status"] == "degraded"
    assert health.worker_health(now + timedelta(seconds=2), now)["seconds_ago"] == 0  # clocks a little apart


def test_health_endpoint_reports_503_when_the_database_is_unreachable(client, django_db_blocker):
    original = connection.settings_dict.copy()
    with django_db_blocker.unblock():
        connection.close()
        # Port 1 on loopback: nothing listens there, so the connection is refused.
        connection.settings_dict.update(HOST="127.0.0.1", PORT="1", OPTIONS={"connect_timeout": 2})
        try:
            response = client.get("/healthz", secure=True)
        finally:
            connection.close()
            connection.settings_dict.clear()
            connection.settings_dict.update(original)
    assert response.status_code == HTTPStatus.SERVICE_UNAVAILABLE
    body = response.json()
    assert body["status"] == "unavailable"
    assert "database" in body["reason"]
    assert "127.0.0.1" not in body["reason"]
