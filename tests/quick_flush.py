"""Emptying the database after a transactional test (a browser, live-server or racing test), quickly.

Django empties it with one TRUNCATE of every table, then sends post_migrate, which writes the content
types, permissions, staff roles and risk factors back (and the audit entries and versions those writes
leave): 0.3-0.5 s a test here, some 150 times a run. The result is the same every time, so it is kept
after Django's first flush in each test process, and later flushes put it back in one transaction:
every table emptied with DELETE, the kept rows inserted again, with triggers and foreign-key checks
off for that transaction only (a few milliseconds). A test that asks for more (reset sequences,
serialized rollback, a subset of apps), or a database role that may not turn triggers off, gets
Django's own flush.
"""

from django.core.management import call_command
from django.db import DatabaseError, connections, transaction
from django.test import TransactionTestCase

# Per database alias, read after Django's flush: every model table (they do not change during a run), and
# {table: its rows as JSON} of those the flush left filled.
_left_by_flush: dict[str, tuple[list[str], dict[str, str]]] = {}

django_fixture_teardown = TransactionTestCase._fixture_teardown


def fixture_teardown(test_case: TransactionTestCase) -> None:
    """Stands in for TransactionTestCase._fixture_teardown (installed by tests/conftest.py)."""
    if test_case.available_apps is not None or test_case.serialized_rollback or test_case.reset_sequences:
        django_fixture_teardown(test_case)
        return
    for alias in test_case._databases_names(include_mirrors=False):
        if not _put_back_what_flush_left(alias):
            call_command("flush", verbosity=0, interactive=False, database=alias, reset_sequences=False)
            _left_by_flush[alias] = _what_flush_left(alias)


def _put_back_what_flush_left(alias: str) -> bool:
    if alias not in _left_by_flush:
        return False
    tables, left = _left_by_flush[alias]
    connection = connections[alias]
    quote = connection.ops.quote_name
    # Table names come from the model registry, quoted; the rows go as parameters.
    statements = [f"DELETE FROM {quote(table)}" for table in tables]  # noqa: S608
    statements += [
        f"INSERT INTO {quote(t)} SELECT * FROM json_populate_recordset(NULL::{quote(t)}, %s)"  # noqa: S608
        for t in left
    ]
    try:
        with transaction.atomic(using=alias), connection.cursor() as cursor:
            # Off for this transaction only: the audit log's append-only trigger, the audit triggers
            # that would log these deletions, and the foreign-key checks (the kept rows refer to kept rows).
            cursor.execute("SET LOCAL session_replication_role = replica")
            cursor.execute("; ".join(statements), list(left.values()))
    except DatabaseError:  # e.g. a role that is not a superuser may not set session_replication_role
        return False
    return True


def _what_flush_left(alias: str) -> tuple[list[str], dict[str, str]]:
    """Every model table, and the rows of those that are not empty, as JSON, in one query."""
    connection = connections[alias]
    quote = connection.ops.quote_name
    tables = connection.introspection.django_table_names(only_existing=True)
    query = " UNION ALL ".join(
        f"SELECT %s, json_agg(row_)::text FROM {quote(table)} AS row_" for table in tables  # noqa: S608 (model tables)
    )
    with connection.cursor() as cursor:
        cursor.execute(query, tables)
        return tables, {table: rows for table, rows in cursor.fetchall() if rows is not None}
