"""The truncate switch (truffles.allow_truncate) counts only for sessions of the audit table's owner.

Any role may set a custom setting, so the switch alone guarded nothing against the site's own
connection. Now the site's role (which has no TRUNCATE privilege either, see audit/database_roles.py)
gets the refusal whatever it sets; test connections, which run as the owner, keep their way to empty
the table between tests.
"""

from django.db import migrations

FORWARD = """
CREATE OR REPLACE FUNCTION staff_audit_refuse_truncate() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    IF current_setting('truffles.allow_truncate', true) IS DISTINCT FROM 'on'
       OR NOT pg_has_role(session_user, (SELECT tableowner FROM pg_tables
                                         WHERE schemaname = TG_TABLE_SCHEMA AND tablename = TG_TABLE_NAME),
                          'MEMBER') THEN
        RAISE EXCEPTION 'audit entries are append-only: TRUNCATE refused'
            USING HINT = 'The audit trail of patient data access cannot be changed or deleted.';
    END IF;
    RETURN NULL;
END
$$;
"""

BACKWARD = """
CREATE OR REPLACE FUNCTION staff_audit_refuse_truncate() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    IF current_setting('truffles.allow_truncate', true) IS DISTINCT FROM 'on' THEN
        RAISE EXCEPTION 'audit entries are append-only: TRUNCATE refused'
            USING HINT = 'The audit trail of patient data access cannot be changed or deleted.';
    END IF;
    RETURN NULL;
END
$$;
"""


class Migration(migrations.Migration):

    dependencies = [("audit", "0001_initial")]

    operations = [migrations.RunSQL(FORWARD, BACKWARD)]
