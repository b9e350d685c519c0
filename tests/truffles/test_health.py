from http import HTTPStatus

import pytest
from django.db import connection


@pytest.mark.django_db
def test_health_endpoint_reports_ok_when_the_database_answers(client):
    response = client.get("/healthz", secure=True)
    assert response.status_code == HTTPStatus.OK
    assert response.json() == {"status": "ok"}


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
