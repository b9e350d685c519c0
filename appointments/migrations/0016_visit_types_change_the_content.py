"""A visit type's change also bumps the "content" version: article pages name it in their call to action.

Stored article pages are keyed by the content version (core/pagecache.py), so a renamed visit type, or
one no longer bookable online, would have stayed on them until the next article edit. Visit types change
rarely; the schedule version (migration 0006) still moves with them too.
"""

from django.db import migrations

BUMP = "FOR EACH STATEMENT EXECUTE FUNCTION truffles_bump_version('content')"


class Migration(migrations.Migration):
    dependencies = [("appointments", "0015_email_code_holds")]

    operations = [
        migrations.RunSQL(
            f"CREATE TRIGGER appointments_visit_type_content_changed AFTER INSERT OR UPDATE OR DELETE "
            f"ON appointments_visittype {BUMP};"
            f"CREATE TRIGGER appointments_visit_type_content_truncated AFTER TRUNCATE ON appointments_visittype {BUMP};",
            "DROP TRIGGER appointments_visit_type_content_changed ON appointments_visittype;"
            "DROP TRIGGER appointments_visit_type_content_truncated ON appointments_visittype;",
        ),
    ]
