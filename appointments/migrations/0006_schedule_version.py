"""Every change to what free times are computed from bumps the "schedule" version in its own transaction.

Statement triggers: a booking, a move, a cancellation or any status change, working hours, closures,
providers and visit types, whichever code path (booking.py, admin actions, commands, raw SQL) made it.
Cached availability is keyed by this version; the exclusion constraint still decides every booking.
"""

from django.db import migrations

# Only the appointment columns that decide whether a time is taken.
APPOINTMENT_COLUMNS = "status, starts_at, ends_at, busy_until, provider_id, visit_type_id, location_id"
SCHEDULE_TABLES = [
    "appointments_workinghours",
    "appointments_closure",
    "appointments_provider",
    "appointments_provider_visit_types",
    "appointments_visittype",
    "appointments_location",
]
BUMP = "FOR EACH STATEMENT EXECUTE FUNCTION truffles_bump_version('schedule')"


def triggers(table, events):
    return (
        f"CREATE TRIGGER appointments_schedule_changed AFTER {events} ON {table} {BUMP};"
        f"CREATE TRIGGER appointments_schedule_truncated AFTER TRUNCATE ON {table} {BUMP};",
        f"DROP TRIGGER appointments_schedule_changed ON {table};"
        f"DROP TRIGGER appointments_schedule_truncated ON {table};",
    )


class Migration(migrations.Migration):
    dependencies = [
        ("appointments", "0005_staff_labels_and_patient_index"),
        ("truffles", "0001_version"),
    ]

    operations = [
        migrations.RunSQL(
            *triggers("appointments_appointment", f"INSERT OR DELETE OR UPDATE OF {APPOINTMENT_COLUMNS}")
        ),
        *[migrations.RunSQL(*triggers(table, "INSERT OR UPDATE OR DELETE")) for table in SCHEDULE_TABLES],
        # The first version, so answers are kept from the start.
        migrations.RunSQL("UPDATE appointments_location SET id = id WHERE false;", migrations.RunSQL.noop),
    ]
