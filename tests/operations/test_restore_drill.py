"""The restore drill, with real processes: book, confirm, back up, lose the database, restore, run again.

A PostgreSQL cluster of the test's own; `manage.py` commands, granian and the worker as an operator runs
them; emails through a real SMTP server (aiosmtpd). What the drill asks back after the restore: the
appointment, its audit trail (triggers in place, still refusing changes), the patient's manage link,
and the email that was waiting, delivered once, with nothing sent before the backup sent again.
"""

import json
import shutil
import subprocess
import sys
import time
from collections import Counter

import psycopg2
import pytest

from tests.processes import (
    ROOT,
    dedicated_postgres,
    free_port,
    get,
    production_env,
    running,
    start,
    start_granian,
    wait_until,
    wait_until_answers,
)

COMMAND_BOUND = 300
BOOK = """
import json
from datetime import timedelta
from django.test import Client
from django.utils import timezone
from appointments import availability, booking
from appointments.models import Appointment, VisitType

visit_type = VisitType.objects.filter(bookable_online=True).order_by("pk").first()
slot = availability.find_slots(visit_type, timezone.localdate() + timedelta(days=3), 14)[0]
form = {
    "first_name": "Wilhelmina", "last_name": "Drillsworth", "email": "wilhelmina.drill@example.org",
    "phone": "(201) 555-0142", "preferred_contact": "email", "insurance_carrier": "Harbor Mutual",
    "date_of_birth_month": "3", "date_of_birth_day": "9", "date_of_birth_year": "1962",
    "reasons": ["varicose"], "notes": "", "urgent_one_leg": "no", "urgent_breathing": "no", "urgent_bleeding": "no",
    "urgent_cord": "no", "consent": "on",
    "website": "", "submission_token": "6f1d2c3b-0a9e-4d8c-9b7a-5e4f3d2c1b0a",
    "visit_type": visit_type.slug, "provider": str(slot.provider_id), "start": slot.start.isoformat(),
}
response = Client(REMOTE_ADDR="203.0.113.7").post("/appointments/request/details/", form)
assert response.status_code == 302, response.status_code
held = Appointment.objects.get()
appointment = booking.prove_email(held, held.email_check.code()).appointment  # the code from the email
print(json.dumps({"id": appointment.pk, "reference": appointment.reference, "manage": appointment.get_absolute_url()}))
"""
CONFIRM = """
from appointments import booking
from appointments.models import Appointment
assert booking.confirm(Appointment.objects.get(), reason="Drill").ok
"""


def manage(*args, env, check=True) -> subprocess.CompletedProcess:
    result = subprocess.run(
        [sys.executable, "manage.py", *args], cwd=ROOT, env=env, capture_output=True, text=True,
        timeout=COMMAND_BOUND,
    )  # fmt: skip
    if check:
        assert result.returncode == 0, result.stdout + result.stderr
    return result


def owner_query(owner_url, sql, params=()):
    conn = psycopg2.connect(owner_url, connect_timeout=5)
    conn.autocommit = True
    try:
        with conn.cursor() as cursor:
            cursor.execute(sql, params)
            return cursor.fetchall() if cursor.description else None
    finally:
        conn.close()


def start_worker(env, log_path):
    command = [sys.executable, "manage.py", "worker", "--no-reload", "--interval", "0.2", "--no-startup-delay"]
    return start(command, env, log_path)


@pytest.fixture
def age_key(tmp_path):
    """The clinic's backup key pair: the public half on the server, the private half kept elsewhere."""
    keygen = shutil.which("age-keygen")
    assert keygen, "the drill needs age (Debian: apt-get install age; `make test` installs it)"
    identity = tmp_path / "clinic-backup.key"
    subprocess.run([keygen, "-o", str(identity)], check=True, capture_output=True, timeout=30)
    public = subprocess.run([keygen, "-y", str(identity)], check=True, capture_output=True, text=True, timeout=30)
    return identity, public.stdout.strip()


def test_a_backup_brings_back_the_appointment_its_trail_its_link_and_its_waiting_email(
    tmp_path, smtp_server, age_key
):
    identity, public_key = age_key
    with dedicated_postgres() as (_, app_url, owner_url, _):
        env = production_env(
            DATABASE_URL=app_url, DATABASE_OWNER_URL=owner_url, EMAIL_URL=smtp_server.url,
            DJANGO_ALLOWED_HOSTS="127.0.0.1,localhost,testserver", TRUFFLES_SITE_URL="http://127.0.0.1",
            TRUFFLES_BACKUP_DIR=str(tmp_path / "backups"), TRUFFLES_BACKUP_RECIPIENTS=public_key,
            TRUFFLES_MAIL_TIMEOUT_SECONDS="2", TRUFFLES_WORKER_HEARTBEAT_SECONDS="1",
        )  # fmt: skip
        manage("migrate", "--no-input", "-v", "0", env=env)
        manage("load_demo_schedule", env=env)
        booked, waiting = book_and_confirm_with_the_confirmation_left_waiting(env, owner_url, smtp_server, tmp_path)
        trail_before = audit_trail(owner_url, booked["id"])

        started = time.monotonic()
        written = manage("backup", env=env).stdout
        backup_seconds = time.monotonic() - started
        (backup,) = (tmp_path / "backups").iterdir()
        assert backup.name.endswith(".dump.age")
        assert b"Wilhelmina" not in backup.read_bytes()  # encrypted at rest
        a_restore_over_the_live_database_is_refused(backup, identity, env)

        started = time.monotonic()
        lose_the_database_and_restore(backup, identity, env, owner_url)
        restore_seconds = time.monotonic() - started

        sent, health = run_the_site_again(env, owner_url, smtp_server, tmp_path, booked, waiting_id=waiting[0][0])
        assert sent[f"<appointment-message-{waiting[0][0]}@127.0.0.1>"] == 1
        assert len(sent) == 3  # acknowledgement and notice not sent again…
        assert set(sent.values()) == {1}  # …and nothing twice
        assert health["worker"]["status"] == "ok"
        the_trail_is_back_and_still_append_only(owner_url, booked["id"], trail_before)

    print(f"\nrestore drill: {written.strip()}; backup {backup_seconds:.2f} s wall, restore {restore_seconds:.2f} s "
          f"wall (each includes starting manage.py)")


def book_and_confirm_with_the_confirmation_left_waiting(env, owner_url, smtp_server, tmp_path):
    """A patient books online; the worker sends the acknowledgement and the clinic's notice. Staff confirm
    with no worker running: the confirmation waits in the queue, in the database."""
    booked = json.loads(manage("shell", "-c", BOOK, env=env).stdout.strip().splitlines()[-1])
    with running(start_worker(env, tmp_path / "worker-before.log")):
        smtp_server.wait_for(2)
    manage("shell", "-c", CONFIRM, env=env)
    waiting = owner_query(owner_url, "SELECT id FROM appointments_message WHERE kind = 'confirmed' AND state = "
                                     "'pending'")  # fmt: skip
    assert len(waiting) == 1
    return booked, waiting


def audit_trail(owner_url, appointment_id):
    return owner_query(owner_url, "SELECT action, changed_fields FROM staff_auditentry "
                                  "WHERE appointment_id = %s ORDER BY id", [appointment_id])  # fmt: skip


def a_restore_over_the_live_database_is_refused(backup, identity, env):
    """It says what it would overwrite."""
    refused = manage("restore", str(backup), "--identity", str(identity), env=env, check=False)
    assert refused.returncode != 0
    assert "appointments_appointment: 1 rows" in refused.stderr
    assert "staff_auditentry: " in refused.stderr


def lose_the_database_and_restore(backup, identity, env, owner_url):
    """The database is lost: an empty one takes its place, and the backup is restored into it."""
    owner_query(owner_url.replace("/truffles", "/postgres"), "DROP DATABASE truffles WITH (FORCE)")
    owner_query(owner_url.replace("/truffles", "/postgres"), "CREATE DATABASE truffles")
    manage("restore", str(backup), "--identity", str(identity), env=env)


def run_the_site_again(env, owner_url, smtp_server, tmp_path, booked, waiting_id):
    """granian and the worker on the restored database: the patient's link works, the waiting email goes.

    Returns how many times each email arrived, and what /healthz says."""
    port = free_port()
    site = f"http://127.0.0.1:{port}"
    with running(start_granian(port, env, tmp_path / "web.log")), \
            running(start_worker(env, tmp_path / "worker-after.log")):  # fmt: skip
        wait_until_answers(site + "/healthz", 60)
        status, page = get(site + booked["manage"], timeout=10)
        assert status == 200, page[:500]
        assert booked["reference"] in page.decode()

        smtp_server.wait_for(3)
        state_sql = "SELECT state FROM appointments_message WHERE id = %s"
        wait_until(lambda: owner_query(owner_url, state_sql, [waiting_id]) == [("sent",)], 30,
                   message="the confirmation sent")  # fmt: skip
        time.sleep(3)  # time for a second copy to show up, if the restore queued one
        return Counter(message["Message-ID"] for message in smtp_server.received), json.loads(get(site + "/healthz")[1])


def the_trail_is_back_and_still_append_only(owner_url, appointment_id, trail_before):
    trail_after = audit_trail(owner_url, appointment_id)
    assert trail_after[: len(trail_before)] == trail_before
    # Held for the email code, made a request by the code, confirmed by staff.
    assert [action for action, _ in trail_before] == ["create", "change", "change"]
    with pytest.raises(psycopg2.Error, match="append-only"):
        owner_query(owner_url, "UPDATE staff_auditentry SET username = 'someone else'")
    with pytest.raises(psycopg2.Error, match="append-only"):
        owner_query(owner_url, "DELETE FROM staff_auditentry")
    owner_query(owner_url, "UPDATE appointments_appointment SET status_reason = 'Drill, after the restore'")
    assert owner_query(owner_url, "SELECT count(*) FROM staff_auditentry WHERE appointment_id = %s",
                       [appointment_id])[0][0] == len(trail_after) + 1  # fmt: skip
