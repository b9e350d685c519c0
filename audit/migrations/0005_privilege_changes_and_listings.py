"""The trail sees more: lists of appointments (ids only), changes of access, and why details were erased.

- Entries may name no appointment (a change of access) and say where a read happened or whose access
  changed (`where`, `subject`; the database fills in "" for the triggers that do not set them).
- staff_audit_appointment discloses erasure_reason, a code saying why staff erased a patient's details.
- audit_privilege_change records changes to users, groups, group membership, permissions and
  authenticator devices in this append-only table; django_admin_log, which the site's role could
  rewrite, is no longer the only record.
The SQL below is frozen as of this migration; audit/triggers.py has the current definitions.
"""

from django.db import migrations, models

FORWARD = r"""
CREATE OR REPLACE FUNCTION staff_audit_appointment() RETURNS trigger LANGUAGE plpgsql AS $$
DECLARE
    disclosed CONSTANT text[] := ARRAY['status', 'starts_at', 'ends_at', 'busy_until', 'provider_id', 'visit_type_id', 'location_id', 'erased_at', 'erasure_reason']::text[];
    ignored CONSTANT text[] := ARRAY['updated_at']::text[];
    old_row jsonb := CASE WHEN TG_OP = 'INSERT' THEN '{}'::jsonb ELSE to_jsonb(OLD) END;
    new_row jsonb := CASE WHEN TG_OP = 'DELETE' THEN '{}'::jsonb ELSE to_jsonb(NEW) END;
    field text;
    names jsonb := '[]'::jsonb;
    values_ jsonb := '{}'::jsonb;
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
        NULLIF(current_setting('truffles.user_id', true), '')::bigint,
        COALESCE(current_setting('truffles.username', true), ''),
        COALESCE(current_setting('truffles.address', true), ''),
        names,
        values_
    );
    RETURN NULL;
END
$$;

CREATE OR REPLACE FUNCTION audit_privilege_change() RETURNS trigger LANGUAGE plpgsql AS $$
DECLARE
    old_row jsonb := CASE WHEN TG_OP = 'INSERT' THEN '{}'::jsonb ELSE to_jsonb(OLD) END;
    new_row jsonb := CASE WHEN TG_OP = 'DELETE' THEN '{}'::jsonb ELSE to_jsonb(NEW) END;
    row_ jsonb := CASE WHEN TG_OP = 'DELETE' THEN to_jsonb(OLD) ELSE to_jsonb(NEW) END;
    watched text[];
    disclosed text[];
    subject_ text;
    field text;
    names jsonb := '[]'::jsonb;
    values_ jsonb := '{}'::jsonb;
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
        NULLIF(current_setting('truffles.user_id', true), '')::bigint,
        COALESCE(current_setting('truffles.username', true), ''),
        COALESCE(current_setting('truffles.address', true), ''),
        names,
        values_ || jsonb_build_object('operation', lower(TG_OP)),
        TG_TABLE_NAME,
        subject_
    );
    RETURN NULL;
END
$$;

CREATE TRIGGER audit_access_auth_user
    AFTER INSERT OR UPDATE OR DELETE ON auth_user
    FOR EACH ROW EXECUTE FUNCTION audit_privilege_change();

CREATE TRIGGER audit_access_auth_group
    AFTER INSERT OR UPDATE OR DELETE ON auth_group
    FOR EACH ROW EXECUTE FUNCTION audit_privilege_change();

CREATE TRIGGER audit_access_auth_user_groups
    AFTER INSERT OR UPDATE OR DELETE ON auth_user_groups
    FOR EACH ROW EXECUTE FUNCTION audit_privilege_change();

CREATE TRIGGER audit_access_auth_user_user_permissions
    AFTER INSERT OR UPDATE OR DELETE ON auth_user_user_permissions
    FOR EACH ROW EXECUTE FUNCTION audit_privilege_change();

CREATE TRIGGER audit_access_auth_group_permissions
    AFTER INSERT OR UPDATE OR DELETE ON auth_group_permissions
    FOR EACH ROW EXECUTE FUNCTION audit_privilege_change();

CREATE TRIGGER audit_access_otp_totp_totpdevice
    AFTER INSERT OR UPDATE OR DELETE ON otp_totp_totpdevice
    FOR EACH ROW EXECUTE FUNCTION audit_privilege_change();
"""

# staff_audit_appointment as audit 0003 left it (staff 0002's), without erasure_reason.
BACKWARD = r"""
DROP TRIGGER IF EXISTS audit_access_auth_user ON auth_user;
DROP TRIGGER IF EXISTS audit_access_auth_group ON auth_group;
DROP TRIGGER IF EXISTS audit_access_auth_user_groups ON auth_user_groups;
DROP TRIGGER IF EXISTS audit_access_auth_user_user_permissions ON auth_user_user_permissions;
DROP TRIGGER IF EXISTS audit_access_auth_group_permissions ON auth_group_permissions;
DROP TRIGGER IF EXISTS audit_access_otp_totp_totpdevice ON otp_totp_totpdevice;
DROP FUNCTION IF EXISTS audit_privilege_change();

CREATE OR REPLACE FUNCTION staff_audit_appointment() RETURNS trigger LANGUAGE plpgsql AS $$
DECLARE
    disclosed CONSTANT text[] := ARRAY['status', 'starts_at', 'ends_at', 'busy_until', 'provider_id', 'visit_type_id', 'location_id', 'erased_at']::text[];
    ignored CONSTANT text[] := ARRAY['updated_at']::text[];
    old_row jsonb := CASE WHEN TG_OP = 'INSERT' THEN '{}'::jsonb ELSE to_jsonb(OLD) END;
    new_row jsonb := CASE WHEN TG_OP = 'DELETE' THEN '{}'::jsonb ELSE to_jsonb(NEW) END;
    field text;
    names jsonb := '[]'::jsonb;
    values_ jsonb := '{}'::jsonb;
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
        NULLIF(current_setting('truffles.user_id', true), '')::bigint,
        COALESCE(current_setting('truffles.username', true), ''),
        COALESCE(current_setting('truffles.address', true), ''),
        names,
        values_
    );
    RETURN NULL;
END
$$;
"""


class Migration(migrations.Migration):
    dependencies = [
        ("audit", "0004_report_entries"),
        ("appointments", "0013_erasure_reason"),
        ("auth", "__latest__"),
        ("otp_totp", "__latest__"),
    ]

    operations = [
        migrations.AddField(
            model_name="auditentry",
            name="subject",
            field=models.CharField(
                blank=True, db_default="", help_text="Whose access changed: a user or a group, by id.", max_length=100
            ),
        ),
        migrations.AddField(
            model_name="auditentry",
            name="where",
            field=models.CharField(
                blank=True,
                db_default="",
                help_text="The staff page that showed the appointment, or the table whose change of access this is.",
                max_length=60,
            ),
        ),
        migrations.AlterField(
            model_name="auditentry",
            name="action",
            field=models.CharField(
                choices=[
                    ("view", "Viewed"),
                    ("list", "Listed"),
                    ("export", "Exported"),
                    ("create", "Created"),
                    ("change", "Changed"),
                    ("delete", "Deleted"),
                    ("report", "Opened a report"),
                    ("access", "Changed access"),
                ],
                max_length=10,
            ),
        ),
        migrations.AlterField(
            model_name="auditentry",
            name="appointment_id",
            field=models.BigIntegerField(
                blank=True, help_text="Empty on a report's entry and on a change of access.", null=True
            ),
        ),
        migrations.RunSQL(FORWARD, BACKWARD),
    ]
