import django.contrib.postgres.fields
from django.core.management import call_command
from django.db import migrations, models

# Apps bump a version from their own triggers: EXECUTE FUNCTION truffles_bump_version('<name>').
BUMP_FUNCTION = """
CREATE SEQUENCE truffles_version_number;
CREATE FUNCTION truffles_bump_version() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    INSERT INTO truffles_version (name, number, changed_at, scheduled)
    VALUES (TG_ARGV[0], nextval('truffles_version_number'), now(), '{}')
    ON CONFLICT (name) DO UPDATE SET number = EXCLUDED.number, changed_at = EXCLUDED.changed_at;
    -- Delivered when the transaction commits: app processes then reload the versions (truffles/versions.py).
    PERFORM pg_notify('truffles_version', TG_ARGV[0]);
    RETURN NULL;
END $$;
"""


def create_page_cache_table(apps, schema_editor):
    # The shared page cache when REDIS_URL is not set; created here so every database has it.
    call_command("createcachetable", "truffles_page_cache", database=schema_editor.connection.alias, verbosity=0)


def drop_page_cache_table(apps, schema_editor):
    schema_editor.execute("DROP TABLE IF EXISTS truffles_page_cache")


class Migration(migrations.Migration):
    initial = True

    dependencies = []

    operations = [
        migrations.CreateModel(
            name="Version",
            fields=[
                ("name", models.CharField(max_length=20, primary_key=True, serialize=False)),
                ("number", models.BigIntegerField()),
                ("changed_at", models.DateTimeField()),
                (
                    "scheduled",
                    django.contrib.postgres.fields.ArrayField(
                        base_field=models.DateTimeField(), default=list, size=None
                    ),
                ),
            ],
        ),
        migrations.RunSQL(
            BUMP_FUNCTION, "DROP FUNCTION truffles_bump_version() CASCADE; DROP SEQUENCE truffles_version_number;"
        ),
        migrations.RunPython(create_page_cache_table, drop_page_cache_table),
    ]
