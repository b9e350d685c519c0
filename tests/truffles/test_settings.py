import os
import subprocess
import sys
from pathlib import Path
from urllib.parse import urlsplit

import pytest
from django.db import connection

from core.database import embedded_database_urls

BASE_DIR = Path(__file__).resolve().parents[2]


def run_manage(*args, **env_overrides):
    env = {k: v for k, v in os.environ.items() if not k.startswith("DJANGO_")}
    env.update(env_overrides)
    return subprocess.run(
        [sys.executable, "manage.py", *args],
        cwd=BASE_DIR,
        env=env,
        capture_output=True,
        text=True,
        timeout=120,
    )


@pytest.mark.process
def test_production_mode_refuses_to_start_without_a_secret_key():
    result = run_manage("check")
    assert result.returncode != 0
    assert "DJANGO_SECRET_KEY must be set" in result.stderr


@pytest.mark.process
def test_development_mode_starts_without_a_secret_key():
    result = run_manage("check", DJANGO_DEBUG="true")
    assert result.returncode == 0, result.stderr


# A public key whose private half was thrown away: production encrypts its backups for the clinic's own.
BACKUP_PUBLIC_KEY = "age1ur6fpqjmu82f44mpns7atdrn22x9fcrspmkgvzcs20zv5stjuflqtnrajr"


def check_deploy(**env_overrides):
    # The test database, not the developer's: theirs may hold the demo articles, whose placeholder
    # reviewer check --deploy rightly warns about.
    base = urlsplit(os.environ.get("DATABASE_URL") or embedded_database_urls()[1])  # as the owner, like the tests
    return run_manage(
        "check", "--deploy", "--fail-level", "WARNING",
        DJANGO_SECRET_KEY="a-long-random-production-key-" + "x9Q2" * 12,
        DJANGO_ALLOWED_HOSTS="clinic.example",
        DATABASE_URL=base._replace(path="/" + connection.settings_dict["NAME"]).geturl(),
        **env_overrides,
    )


@pytest.mark.process
def test_production_settings_pass_the_deployment_checklist(db):
    result = check_deploy(TRUFFLES_BACKUP_RECIPIENTS=BACKUP_PUBLIC_KEY)
    assert result.returncode == 0, result.stdout + result.stderr


@pytest.mark.process
def test_the_checklist_warns_while_backups_would_be_written_unencrypted(db):
    result = check_deploy(TRUFFLES_BACKUP_RECIPIENTS="")
    assert result.returncode != 0
    assert "truffles.W003" in result.stderr
    assert "would be written unencrypted" in result.stderr


@pytest.mark.process
def test_the_checklist_warns_of_a_private_key_given_as_the_recipient(db):
    result = check_deploy(TRUFFLES_BACKUP_RECIPIENTS="AGE-SECRET-KEY-1QQQQQQ")
    assert "truffles.W005" in result.stderr


@pytest.mark.process
@pytest.mark.parametrize(("email_url", "warned"), [
    (None, False),  # the production default: smtp+tls://localhost:587
    ("smtp+tls://clinic:secret@mail.example:587", False),
    ("smtp+ssl://clinic:secret@mail.example:465", False),
    ("smtp://clinic:secret@mail.example:25", True),
])  # fmt: skip
def test_the_deployment_checklist_warns_about_unencrypted_mail(db, email_url, warned):
    result = run_manage(
        "check", "--deploy", "--tag", "truffles", "--fail-level", "WARNING",
        DJANGO_SECRET_KEY="a-long-random-production-key-" + "x9Q2" * 12, DJANGO_ALLOWED_HOSTS="clinic.example",
        **({"EMAIL_URL": email_url} if email_url else {}),
    )  # fmt: skip
    assert ("truffles.W008" in result.stderr) is warned, result.stderr
    assert "secret" not in result.stderr  # the warning names the server, never its password


@pytest.mark.parametrize(
    ("header", "value"),
    [
        ("X-Frame-Options", "DENY"),
        ("X-Content-Type-Options", "nosniff"),
        ("Referrer-Policy", "same-origin"),
        ("Cross-Origin-Opener-Policy", "same-origin"),
    ],
)
def test_pages_send_strict_security_headers(client, db, header, value):
    response = client.get("/", secure=True)
    assert response[header] == value


def test_pages_send_a_content_security_policy_limited_to_our_origin(client, db):
    policy = client.get("/", secure=True)["Content-Security-Policy"]
    assert "default-src 'self'" in policy
    assert "frame-ancestors 'none'" in policy
