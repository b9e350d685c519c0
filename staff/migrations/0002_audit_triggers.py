"""Database triggers for the audit trail.

1. Every INSERT, UPDATE and DELETE of an appointment (bulk updates included) adds an audit entry
   naming the fields that changed. Values are copied only for the scheduling fields listed in
   DISCLOSED; for everything else (patient details, intake, notes) only the field name is kept,
   so new fields are private by default.
2. Adding or removing an appointment's risk factors is recorded as a change of "risk_factors".
3. Audit entries cannot be updated or deleted, by the ORM or by raw SQL.

The acting user comes from the connection settings truffles.user_id, truffles.username and
truffles.address (see staff.audit.set_context); empty means the public website.
"""

from django.db import migrations

DISCLOSED = [
    "status", "starts_at", "ends_at", "busy_until", "provider_id", "visit_type_id", "location_id", "erased_at",
]
IGNORED = ["updated_at"]

ACTOR = """
    NULLIF(current_setting('truffles.user_id', true), '')::bigint,
    COALESCE(current_setting('truffles.username', true), ''),
    COALESCE(current_setting('truffles.address', true), '')
"""


def sql_array(names):
    return "ARRAY[" + ", ".join(f"'{name}'" for name in names) + "]::text[]"


FORWARD = f"""
CREATE FUNCTION staff_audit_appointment() RETURNS trigger LANGUAGE plpgsql AS $$
DECLARE
    disclosed CONSTANT text[] := {sql_array(DISCLOSED)};
    ignored CONSTANT text[] := {sql_array(IGNORED)};
    old_row jsonb := CASE WHEN TG_OP = 'INSERT' THEN '{{}}'::jsonb ELSE to_jsonb(OLD) END;
    new_row jsonb := CASE WHEN TG_OP = 'DELETE' THEN '{{}}'::jsonb ELSE to_jsonb(NEW) END;
    field text;
    names jsonb := '[]'::jsonb;
    values_ jsonb := '{{}}'::jsonb;
BEGIN
    IF TG_OP = 'UPDATE' THEN
        FOR field IN SELECT jsonb_object_keys(new_row) LOOP
            CONTINUE WHEN field = ANY(ignored) OR (old_row -> field) IS NOT DISTINCT FROM (new_row -> field);
            names := names || to_jsonb(field);
            IF field = ANY(disclosed) THEN
                values_ := values_ || jsonb_build_object(
                    field, jsonb_build_object('from', old_row -> field, 'to', new_row -> field));
            END IF;
        END LOOP;
        IF jsonb_array_length(names) = 0 THEN
            RETURN NULL;
        END IF;
    ELSIF TG_OP = 'INSERT' THEN
        FOREACH field IN ARRAY disclosed LOOP
            values_ := values_ || jsonb_build_object(field, jsonb_build_object('to', new_row -> field));
        END LOOP;
    END IF;
    INSERT INTO staff_auditentry
        (occurred_at, action, appointment_id, user_id, username, address, changed_fields, changes)
    VALUES (
        clock_timestamp(),
        CASE TG_OP WHEN 'INSERT' THEN 'create' WHEN 'UPDATE' THEN 'change' ELSE 'delete' END,
        COALESCE(NEW.id, OLD.id),
        {ACTOR},
        names,
        values_
    );
    RETURN NULL;
END
$$;

CREATE TRIGGER staff_audit_appointment
    AFTER INSERT OR UPDATE OR DELETE ON appointments_appointment
    FOR EACH ROW EXECUTE FUNCTION staff_audit_appointment();

CREATE FUNCTION staff_audit_appointment_risk_factors() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    INSERT INTO staff_auditentry
        (occurred_at, action, appointment_id, user_id, username, address, changed_fields, changes)
    SELECT clock_timestamp(), 'change', touched.appointment_id, {ACTOR}, '["risk_factors"]'::jsonb, '{{}}'::jsonb
    FROM (SELECT DISTINCT appointment_id FROM touched_rows) AS touched;
    RETURN NULL;
END
$$;

CREATE TRIGGER staff_audit_risk_factors_added
    AFTER INSERT ON appointments_appointment_risk_factors
    REFERENCING NEW TABLE AS touched_rows
    FOR EACH STATEMENT EXECUTE FUNCTION staff_audit_appointment_risk_factors();

CREATE TRIGGER staff_audit_risk_factors_removed
    AFTER DELETE ON appointments_appointment_risk_factors
    REFERENCING OLD TABLE AS touched_rows
    FOR EACH STATEMENT EXECUTE FUNCTION staff_audit_appointment_risk_factors();

CREATE FUNCTION staff_audit_refuse_rewrite() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    RAISE EXCEPTION 'audit entries are append-only: % refused', TG_OP
        USING HINT = 'The audit trail of patient data access cannot be changed or deleted.';
END
$$;

CREATE TRIGGER staff_auditentry_append_only
    BEFORE UPDATE OR DELETE ON staff_auditentry
    FOR EACH ROW EXECUTE FUNCTION staff_audit_refuse_rewrite();
"""

BACKWARD = """
DROP TRIGGER IF EXISTS staff_auditentry_append_only ON staff_auditentry;
DROP FUNCTION IF EXISTS staff_audit_refuse_rewrite();
DROP TRIGGER IF EXISTS staff_audit_risk_factors_removed ON appointments_appointment_risk_factors;
DROP TRIGGER IF EXISTS staff_audit_risk_factors_added ON appointments_appointment_risk_factors;
DROP FUNCTION IF EXISTS staff_audit_appointment_risk_factors();
DROP TRIGGER IF EXISTS staff_audit_appointment ON appointments_appointment;
DROP FUNCTION IF EXISTS staff_audit_appointment();
"""


class Migration(migrations.Migration):

    dependencies = [
        ("staff", "0001_initial"),
        ("appointments", "0002_staff_permissions_and_erasure"),
    ]

    operations = [migrations.RunSQL(FORWARD, BACKWARD)]
