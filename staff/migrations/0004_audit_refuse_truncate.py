"""TRUNCATE bypasses row triggers, so the append-only audit trail needs a statement trigger too.

Test databases are emptied with TRUNCATE between tests; their connections set
truffles.allow_truncate=on (tests/settings.py). No production connection sets it.
"""

from django.db import migrations

FORWARD = """
CREATE FUNCTION staff_audit_refuse_truncate() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    IF current_setting('truffles.allow_truncate', true) IS DISTINCT FROM 'on' THEN
        RAISE EXCEPTION 'audit entries are append-only: TRUNCATE refused'
            USING HINT = 'The audit trail of patient data access cannot be changed or deleted.';
    END IF;
    RETURN NULL;
END
$$;

CREATE TRIGGER staff_auditentry_no_truncate
    BEFORE TRUNCATE ON staff_auditentry
    FOR EACH STATEMENT EXECUTE FUNCTION staff_audit_refuse_truncate();
"""

BACKWARD = """
DROP TRIGGER IF EXISTS staff_auditentry_no_truncate ON staff_auditentry;
DROP FUNCTION IF EXISTS staff_audit_refuse_truncate();
"""


class Migration(migrations.Migration):

    dependencies = [("staff", "0003_staff_roles")]

    operations = [migrations.RunSQL(FORWARD, BACKWARD)]
