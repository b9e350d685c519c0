"""The audit trail's triggers as the database runs them now: one place to read what each one does.

Migrations of the staff and audit apps created and replaced these; a migration keeps
the SQL of its day, this module the current one. tests/audit/test_triggers.py compares it with the
migrated database, so a migration that changes a function must change it here too.

- staff_audit_appointment: every INSERT, UPDATE and DELETE of an appointment (bulk updates
  included) adds an entry naming the fields that changed; values only for the DISCLOSED fields.
- staff_audit_appointment_risk_factors: adding or removing risk factors is a change of
  "risk_factors", except in the transaction that created the appointment.
- audit_privilege_change: a change of access (users' flags and passwords, groups, group
  membership, permissions, authenticator devices), with values only for ids and flags.
- staff_audit_refuse_rewrite, staff_audit_refuse_truncate: the trail is append-only.
"""

# Appointment fields whose old and new values the trail may show: scheduling facts and codes.
DISCLOSED = [
    "status", "starts_at", "ends_at", "busy_until", "provider_id", "visit_type_id", "location_id", "erased_at",
    "erasure_reason",
]  # fmt: skip
IGNORED = ["updated_at"]

# Who acts, as AuditContextMiddleware and acting_as() tell the connection (empty: the public website).
ACTOR = """NULLIF(current_setting('truffles.user_id', true), '')::bigint,
        COALESCE(current_setting('truffles.username', true), ''),
        COALESCE(current_setting('truffles.address', true), '')"""


def _array(names: list[str]) -> str:
    return "ARRAY[" + ", ".join(f"'{name}'" for name in names) + "]::text[]"


FUNCTIONS: dict[str, tuple[str, str]] = {
    # name: (signature and attributes, body)
    "staff_audit_appointment": ("() RETURNS trigger LANGUAGE plpgsql", f"""
DECLARE
    disclosed CONSTANT text[] := {_array(DISCLOSED)};
    ignored CONSTANT text[] := {_array(IGNORED)};
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
"""),  # noqa: S608 (our own constants, no input)
    "audit_written_by_this_transaction": ("(row_xmin xid) RETURNS boolean LANGUAGE plpgsql STABLE", """
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
"""),
    "staff_audit_appointment_risk_factors": ("() RETURNS trigger LANGUAGE plpgsql", """
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
"""),
    "audit_privilege_change": ("() RETURNS trigger LANGUAGE plpgsql", f"""
DECLARE
    old_row jsonb := CASE WHEN TG_OP = 'INSERT' THEN '{{}}'::jsonb ELSE to_jsonb(OLD) END;
    new_row jsonb := CASE WHEN TG_OP = 'DELETE' THEN '{{}}'::jsonb ELSE to_jsonb(NEW) END;
    row_ jsonb := CASE WHEN TG_OP = 'DELETE' THEN to_jsonb(OLD) ELSE to_jsonb(NEW) END;
    watched text[];
    disclosed text[];
    subject_ text;
    field text;
    names jsonb := '[]'::jsonb;
    values_ jsonb := '{{}}'::jsonb;
BEGIN
    -- last_login and the like change on every sign-in: only what grants or removes access counts.
    CASE TG_TABLE_NAME
    WHEN 'auth_user' THEN
        watched := ARRAY['username', 'is_active', 'is_staff', 'is_superuser', 'password'];
        disclosed := ARRAY['username', 'is_active', 'is_staff', 'is_superuser'];
        subject_ := 'user ' || (row_ ->> 'id');
    WHEN 'auth_group' THEN
        watched := ARRAY['name'];
        disclosed := watched;
        subject_ := 'group ' || (row_ ->> 'id');
    WHEN 'auth_user_groups' THEN
        watched := ARRAY['group_id'];
        disclosed := watched;
        subject_ := 'user ' || (row_ ->> 'user_id');
    WHEN 'auth_user_user_permissions' THEN
        watched := ARRAY['permission_id'];
        disclosed := watched;
        subject_ := 'user ' || (row_ ->> 'user_id');
    WHEN 'auth_group_permissions' THEN
        watched := ARRAY['permission_id'];
        disclosed := watched;
        subject_ := 'group ' || (row_ ->> 'group_id');
    ELSE  -- an authenticator device: never its key, only that it changed
        watched := ARRAY['user_id', 'confirmed', 'key', 'name'];
        disclosed := ARRAY['user_id', 'confirmed'];
        subject_ := 'user ' || (row_ ->> 'user_id') || ', authenticator ' || (row_ ->> 'id');
    END CASE;
    FOREACH field IN ARRAY watched LOOP
        CONTINUE WHEN (old_row -> field) IS NOT DISTINCT FROM (new_row -> field);
        names := names || to_jsonb(field);
        IF field = ANY(disclosed) THEN
            values_ := values_ || jsonb_build_object(
                field, jsonb_build_object('from', old_row -> field, 'to', new_row -> field));
        END IF;
    END LOOP;
    IF jsonb_array_length(names) = 0 THEN
        RETURN NULL;
    END IF;
    INSERT INTO staff_auditentry
        (occurred_at, action, appointment_id, user_id, username, address, changed_fields, changes, "where",
         subject)
    VALUES (
        clock_timestamp(), 'access', NULL,
        {ACTOR},
        names,
        values_ || jsonb_build_object('operation', lower(TG_OP)),
        TG_TABLE_NAME,
        subject_
    );
    RETURN NULL;
END
"""),  # noqa: S608 (our own constants, no input)
    "staff_audit_refuse_rewrite": ("() RETURNS trigger LANGUAGE plpgsql", """
BEGIN
    RAISE EXCEPTION 'audit entries are append-only: % refused', TG_OP
        USING HINT = 'The audit trail of patient data access cannot be changed or deleted.';
END
"""),
    "staff_audit_refuse_truncate": ("() RETURNS trigger LANGUAGE plpgsql", """
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
"""),
}

# The tables a change of access is recorded on.
ACCESS_TABLES = [
    "auth_user", "auth_group", "auth_user_groups", "auth_user_user_permissions", "auth_group_permissions",
    "otp_totp_totpdevice",
]  # fmt: skip

# Every trigger: (name, table, when and for each, function).
TRIGGERS = [
    ("staff_audit_appointment", "appointments_appointment", "AFTER INSERT OR UPDATE OR DELETE FOR EACH ROW",
     "staff_audit_appointment"),
    ("staff_audit_risk_factors_added", "appointments_appointment_risk_factors",
     "AFTER INSERT REFERENCING NEW TABLE AS touched_rows FOR EACH STATEMENT", "staff_audit_appointment_risk_factors"),
    ("staff_audit_risk_factors_removed", "appointments_appointment_risk_factors",
     "AFTER DELETE REFERENCING OLD TABLE AS touched_rows FOR EACH STATEMENT", "staff_audit_appointment_risk_factors"),
    ("staff_auditentry_append_only", "staff_auditentry", "BEFORE UPDATE OR DELETE FOR EACH ROW",
     "staff_audit_refuse_rewrite"),
    ("staff_auditentry_no_truncate", "staff_auditentry", "BEFORE TRUNCATE FOR EACH STATEMENT",
     "staff_audit_refuse_truncate"),
    *((f"audit_access_{table}", table, "AFTER INSERT OR UPDATE OR DELETE FOR EACH ROW", "audit_privilege_change")
      for table in ACCESS_TABLES),
]  # fmt: skip


def create_function(name: str) -> str:
    """The statement that (re)defines one function as it is now."""
    signature, body = FUNCTIONS[name]
    return f"CREATE OR REPLACE FUNCTION {name}{signature} AS $${body}$$;"
