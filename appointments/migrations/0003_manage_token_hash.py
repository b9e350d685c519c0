"""Manage links: keep only a SHA-256 digest of each token. Links already sent keep working (their
digest is what is now looked up); a copy of the table no longer opens any patient's page."""

from django.db import migrations, models

HASH_EXISTING = """
UPDATE appointments_appointment
SET manage_token = encode(sha256(convert_to(manage_token, 'UTF8')), 'hex')
WHERE length(manage_token) <> 64
"""


class Migration(migrations.Migration):

    dependencies = [("appointments", "0002_staff_permissions_and_erasure")]

    operations = [
        migrations.AlterField(
            model_name="appointment", name="manage_token",
            field=models.CharField(max_length=64, unique=True, editable=False),
        ),
        # One-way: the tokens cannot be recovered from their digests.
        migrations.RunSQL(HASH_EXISTING, migrations.RunSQL.noop),
        migrations.RenameField(model_name="appointment", old_name="manage_token", new_name="manage_token_hash"),
    ]
