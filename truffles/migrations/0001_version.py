from django.core.management import call_command
from django.db import migrations, models

# Every table whose rows the public article pages show; a statement on any of them bumps "content".
CONTENT_TABLES = [
    "articles_article",
    "articles_article_topics",
    "articles_article_risk_factors",
    "articles_topic",
    "articles_riskfactor",
    "articles_reference",
]

BUMP_FUNCTION = """
CREATE SEQUENCE truffles_version_number;
CREATE FUNCTION truffles_bump_version() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    INSERT INTO truffles_version (name, number, changed_at)
    VALUES (TG_ARGV[0], nextval('truffles_version_number'), now())
    ON CONFLICT (name) DO UPDATE SET number = EXCLUDED.number, changed_at = EXCLUDED.changed_at;
    RETURN NULL;
END $$;
"""


def content_triggers(table):
    return (
        f"CREATE TRIGGER truffles_content_changed AFTER INSERT OR UPDATE OR DELETE ON {table} "
        "FOR EACH STATEMENT EXECUTE FUNCTION truffles_bump_version('content');"
        f"CREATE TRIGGER truffles_content_truncated AFTER TRUNCATE ON {table} "
        "FOR EACH STATEMENT EXECUTE FUNCTION truffles_bump_version('content');",
        f"DROP TRIGGER truffles_content_changed ON {table}; DROP TRIGGER truffles_content_truncated ON {table};",
    )


def create_page_cache_table(apps, schema_editor):
    # The shared page cache when REDIS_URL is not set; created here so every database has it.
    call_command("createcachetable", "truffles_page_cache", database=schema_editor.connection.alias, verbosity=0)


def drop_page_cache_table(apps, schema_editor):
    schema_editor.execute("DROP TABLE IF EXISTS truffles_page_cache")


class Migration(migrations.Migration):
    initial = True

    dependencies = [("articles", "0006_rerender_article_html")]

    operations = [
        migrations.CreateModel(
            name="Version",
            fields=[
                ("name", models.CharField(max_length=20, primary_key=True, serialize=False)),
                ("number", models.BigIntegerField()),
                ("changed_at", models.DateTimeField()),
            ],
        ),
        migrations.RunSQL(
            BUMP_FUNCTION,
            "DROP FUNCTION truffles_bump_version() CASCADE; DROP SEQUENCE truffles_version_number;",
        ),
        *[migrations.RunSQL(*content_triggers(table)) for table in CONTENT_TABLES],
        migrations.RunSQL(
            "INSERT INTO truffles_version (name, number, changed_at) "
            "VALUES ('content', nextval('truffles_version_number'), now());",
            migrations.RunSQL.noop,
        ),
        migrations.RunPython(create_page_cache_table, drop_page_cache_table),
    ]
