"""The audit trail moves from the staff app to its own app, table and rows untouched (state only)."""

import django.utils.timezone
from django.db import migrations, models


class Migration(migrations.Migration):

    initial = True

    dependencies = [
        ("staff", "0004_audit_refuse_truncate"),
    ]

    operations = [
        migrations.SeparateDatabaseAndState(
            state_operations=[
                migrations.CreateModel(
                    name="AuditEntry",
                    fields=[
                        ("id", models.BigAutoField(auto_created=True, primary_key=True, serialize=False, verbose_name="ID")),
                        ("occurred_at", models.DateTimeField(default=django.utils.timezone.now)),
                        ("action", models.CharField(choices=[("view", "Viewed"), ("export", "Exported"), ("create", "Created"), ("change", "Changed"), ("delete", "Deleted")], max_length=10)),
                        ("appointment_id", models.BigIntegerField()),
                        ("user_id", models.BigIntegerField(blank=True, null=True)),
                        ("username", models.CharField(blank=True, help_text="Empty: the public website (a patient).", max_length=150)),
                        ("address", models.CharField(blank=True, help_text="Client IP address.", max_length=45)),
                        ("changed_fields", models.JSONField(blank=True, default=list)),
                        ("changes", models.JSONField(blank=True, default=dict, help_text="Old and new values of scheduling fields only; never patient details.")),
                    ],
                    options={
                        "db_table": "staff_auditentry",
                        "verbose_name_plural": "audit entries",
                        "ordering": ["-occurred_at", "-id"],
                        "indexes": [models.Index(fields=["appointment_id", "-occurred_at"], name="audit_by_appointment"), models.Index(fields=["-occurred_at"], name="audit_by_time"), models.Index(fields=["username", "-occurred_at"], name="audit_by_user")],
                    },
                ),
            ],
            database_operations=[],
        ),
    ]
