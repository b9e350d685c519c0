"""AuditEntry now belongs to the audit app (same table); the staff app forgets it, state only."""

from django.db import migrations


class Migration(migrations.Migration):

    dependencies = [
        ("staff", "0004_audit_refuse_truncate"),
        ("audit", "0001_initial"),
    ]

    operations = [
        migrations.SeparateDatabaseAndState(
            state_operations=[migrations.DeleteModel(name="AuditEntry")],
            database_operations=[],
        ),
    ]
