"""One audit entry for a new appointment, not two.

An online request stores the appointment row, then its risk factors (a many-to-many table,
which needs the row first). The risk-factor trigger recorded that second write as
"Changed: risk factors" right after every "Created". Now it skips appointments created in the
same transaction: their "create" entry was written by this transaction, which PostgreSQL tells
us exactly. A row is visible to us while its writer is still in progress only if we wrote it
(savepoints included), so pg_xact_status(xmin of that entry) = 'in progress' means "ours".
Later changes of risk factors (another transaction, e.g. the retention job) are still recorded.
"""

from django.db import migrations

FORWARD = """
CREATE FUNCTION audit_written_by_this_transaction(row_xmin xid) RETURNS boolean
LANGUAGE plpgsql STABLE AS $$
DECLARE
    current bigint := pg_current_xact_id()::text::bigint;
    -- xmin is the low 32 bits of the full id: put back the epoch nearest to our own id (our
    -- savepoints' ids follow it closely).
    full_id bigint := (current & ~4294967295::bigint) | row_xmin::text::bigint;
BEGIN
    IF full_id > current + 2147483648 THEN
        full_id := full_id - 4294967296;
    ELSIF full_id < current - 2147483648 THEN
        full_id := full_id + 4294967296;
    END IF;
    RETURN pg_xact_status(full_id::text::xid8) IS NOT DISTINCT FROM 'in progress';
EXCEPTION WHEN invalid_parameter_value THEN
    RETURN false;  -- an id from before the epoch or not handed out yet: not ours
END
$$;

CREATE OR REPLACE FUNCTION staff_audit_appointment_risk_factors() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    INSERT INTO staff_auditentry
        (occurred_at, action, appointment_id, user_id, username, address, changed_fields, changes)
    SELECT clock_timestamp(), 'change', touched.appointment_id,
        NULLIF(current_setting('truffles.user_id', true), '')::bigint,
        COALESCE(current_setting('truffles.username', true), ''),
        COALESCE(current_setting('truffles.address', true), ''),
        '["risk_factors"]'::jsonb, '{}'::jsonb
    FROM (SELECT DISTINCT appointment_id FROM touched_rows) AS touched
    WHERE NOT EXISTS (
        SELECT 1 FROM staff_auditentry created
        WHERE created.appointment_id = touched.appointment_id AND created.action = 'create'
          AND audit_written_by_this_transaction(created.xmin)
    );
    RETURN NULL;
END
$$;
"""

# The function as staff migration 0002 created it.
BACKWARD = """
CREATE OR REPLACE FUNCTION staff_audit_appointment_risk_factors() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    INSERT INTO staff_auditentry
        (occurred_at, action, appointment_id, user_id, username, address, changed_fields, changes)
    SELECT clock_timestamp(), 'change', touched.appointment_id,
        NULLIF(current_setting('truffles.user_id', true), '')::bigint,
        COALESCE(current_setting('truffles.username', true), ''),
        COALESCE(current_setting('truffles.address', true), ''),
        '["risk_factors"]'::jsonb, '{}'::jsonb
    FROM (SELECT DISTINCT appointment_id FROM touched_rows) AS touched;
    RETURN NULL;
END
$$;

DROP FUNCTION IF EXISTS audit_written_by_this_transaction(xid);
"""


class Migration(migrations.Migration):

    dependencies = [("audit", "0002_truncate_switch_for_owner_only")]

    operations = [migrations.RunSQL(FORWARD, BACKWARD)]
