"""audit/triggers.py is the trail's triggers as the migrated database runs them, every one of them."""

from django.db import connection

from audit import triggers


def test_every_trigger_function_in_the_database_is_the_sql_in_audit_triggers(db):
    with connection.cursor() as cursor:
        cursor.execute(
            "SELECT p.proname, p.prosrc FROM pg_proc p JOIN pg_namespace n ON n.oid = p.pronamespace "
            "WHERE n.nspname = 'public' AND p.proname = ANY(%s)",
            [list(triggers.FUNCTIONS)],
        )
        in_database = dict(cursor.fetchall())
    assert set(in_database) == set(triggers.FUNCTIONS)
    for name, (_, body) in triggers.FUNCTIONS.items():
        assert in_database[name].strip() == body.strip(), f"{name} differs from audit/triggers.py"


def test_every_trigger_that_writes_or_guards_the_trail_is_listed_there(db):
    with connection.cursor() as cursor:
        cursor.execute(
            "SELECT t.tgname, c.relname, p.proname FROM pg_trigger t JOIN pg_class c ON c.oid = t.tgrelid "
            "JOIN pg_proc p ON p.oid = t.tgfoid WHERE NOT t.tgisinternal "
            "AND (p.prosrc LIKE '%%staff_auditentry%%' OR c.relname = 'staff_auditentry')"
        )
        in_database = set(cursor.fetchall())
    listed = {(name, table, function) for name, table, _, function in triggers.TRIGGERS}
    assert in_database == listed
