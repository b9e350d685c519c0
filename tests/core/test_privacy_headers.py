"""Finding 8: Permissions-Policy, no-store where patient data can be, /healthz over plain HTTP, HSTS preload."""

import os
import subprocess
import sys
from http import HTTPStatus
from pathlib import Path

import pytest

BASE_DIR = Path(__file__).resolve().parents[2]


@pytest.mark.parametrize("path", ["/", "/articles/", "/appointments/request/", "/admin/login/"])
def test_every_page_turns_off_browser_features_the_site_does_not_use(client, db, path):
    policy = client.get(path, secure=True)["Permissions-Policy"]
    for feature in ("camera=()", "microphone=()", "geolocation=()", "payment=()", "usb=()"):
        assert feature in policy


@pytest.mark.parametrize(
    "path",
    [
        "/appointments/request/",
        "/appointments/request/?reschedule=Zm9vYmFyYmF6cXV4cXV1eA",
        "/appointments/manage/not-a-real-token/",
        "/admin/login/",
    ],
)
def test_pages_that_show_or_carry_patient_data_are_never_stored(client, db, path):
    response = client.get(path, secure=True)
    assert "no-store" in response["Cache-Control"]


def test_articles_may_still_be_cached(client, db):
    assert "no-store" not in client.get("/", secure=True).get("Cache-Control", "")


def test_the_health_check_answers_over_plain_http_in_production(client, db, settings):
    settings.SECURE_SSL_REDIRECT = True
    assert client.get("/healthz").status_code == HTTPStatus.OK
    assert client.get("/").status_code == HTTPStatus.MOVED_PERMANENTLY


def production_setting(name, **env_overrides):
    env = {key: value for key, value in os.environ.items() if not key.startswith(("DJANGO_", "TRUFFLES_"))}
    env.update(DJANGO_SECRET_KEY="only-for-this-check", DJANGO_SETTINGS_MODULE="truffles.settings", **env_overrides)
    script = f"from django.conf import settings; print(settings.{name})"
    return subprocess.run(
        [sys.executable, "-c", script], cwd=BASE_DIR, env=env, capture_output=True, text=True, check=True, timeout=60
    ).stdout.strip()


@pytest.mark.process
def test_hsts_preload_is_an_opt_in_and_subdomains_stay_covered():
    assert production_setting("SECURE_HSTS_PRELOAD") == "False"
    assert production_setting("SECURE_HSTS_PRELOAD", DJANGO_HSTS_PRELOAD="true") == "True"
    assert production_setting("SECURE_HSTS_INCLUDE_SUBDOMAINS") == "True"
