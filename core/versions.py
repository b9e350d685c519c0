"""The current versions ("content", "schedule") pushed by PostgreSQL, so a stored page needs no query.

The triggers that bump a version also `NOTIFY truffles_version` in the same transaction; PostgreSQL
delivers it when that transaction commits, never before. Each app process keeps one listening
connection in a thread, which reloads the (few) version rows on every notification. While it is
connected, `known(name)` answers from memory; before it has started, and from the moment its
connection fails until it is back and has reloaded, `known` returns None and callers ask the
database as before. Off with TRUFFLES_VERSION_LISTENER=false (the test suite, whose changes never
commit, turns it off; one test turns it on).
"""

import datetime
import logging
import os
import select
import threading
import time

import psycopg2
from django.conf import settings
from django.db import connections

logger = logging.getLogger(__name__)

CHANNEL = "truffles_version"
# How the listening connection shows in pg_stat_activity, apart from the connections serving requests.
APPLICATION_NAME = "truffles-version-listener"
VERSIONS_SQL = "SELECT name, number, changed_at, scheduled FROM truffles_version"


class Listener:
    def __init__(self):
        self.rows = None  # name -> (number, changed_at, scheduled); None while not listening
        self.pid = None
        self.lock = threading.Lock()
        self.stopping = threading.Event()

    def known(self, name):
        rows = self.known_all()
        return None if rows is None else rows.get(name, ())

    def known_all(self) -> dict[str, tuple[int, datetime.datetime, list[datetime.datetime]]] | None:
        if self.pid != os.getpid():
            self.start()
        return self.rows

    def start(self):
        with self.lock:
            if self.pid == os.getpid():
                return
            # A forked worker inherits no thread: each process starts its own.
            self.pid, self.rows = os.getpid(), None
            self.stopping.clear()
            threading.Thread(target=self.run, name="truffles-versions", daemon=True).start()

    def stop(self):
        self.stopping.set()
        self.rows, self.pid = None, None

    def run(self):
        while not self.stopping.is_set():
            conn = None
            try:
                params = connections["default"].get_connection_params()
                conn = psycopg2.connect(**{**params, "application_name": APPLICATION_NAME})
                conn.autocommit = True
                with conn.cursor() as cursor:
                    cursor.execute(f"LISTEN {CHANNEL}")
                    self.load(cursor)  # after LISTEN: a change committed from now on is notified
                    while not self.stopping.is_set():
                        if select.select([conn], [], [], 5) == ([], [], []):
                            cursor.execute("SELECT 1")  # a dead server shows up here within seconds
                            continue
                        conn.poll()
                        if conn.notifies:
                            conn.notifies.clear()
                            self.load(cursor)
            except Exception:  # noqa: BLE001 - any failure: forget the versions, ask the database, retry
                logger.warning("Version listener lost its connection; requests ask the database meanwhile")
                self.rows = None
                time.sleep(1)
            finally:
                if conn is not None:
                    conn.close()
        self.rows = None

    def load(self, cursor):
        cursor.execute(VERSIONS_SQL)
        self.rows = {name: (number, changed_at, scheduled) for name, number, changed_at, scheduled in cursor}


listener = Listener()


def known(name):
    """(number, changed_at, scheduled) of a version, () when it has none yet, None when not listening."""
    if not settings.TRUFFLES_VERSION_LISTENER:
        return None
    return listener.known(name)


def known_all() -> dict[str, tuple[int, datetime.datetime, list[datetime.datetime]]] | None:
    """name -> (number, changed_at, scheduled) of every version; None when not listening."""
    if not settings.TRUFFLES_VERSION_LISTENER:
        return None
    return listener.known_all()
