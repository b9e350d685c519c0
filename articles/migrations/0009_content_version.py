"""Any change to what the public article pages show bumps the "content" version in its own transaction.

Statement triggers, so bulk updates, the loader and raw SQL count too. The version also lists the
publication times still to come: a scheduled article changes the pages when its time arrives.
"""

from django.db import migrations

CONTENT_TABLES = [
    "articles_article",
    "articles_article_topics",
    "articles_article_risk_factors",
    "articles_topic",
    "articles_riskfactor",
    "articles_reference",
]

CONTENT_FUNCTION = """
CREATE FUNCTION articles_content_changed() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    INSERT INTO truffles_version (name, number, changed_at, scheduled)
    VALUES ('content', nextval('truffles_version_number'), now(), ARRAY(
        SELECT published_at FROM articles_article
        WHERE status = 'published' AND published_at > now() ORDER BY published_at))
    ON CONFLICT (name) DO UPDATE
        SET number = EXCLUDED.number, changed_at = EXCLUDED.changed_at, scheduled = EXCLUDED.scheduled;
    PERFORM pg_notify('truffles_version', 'content');
    RETURN NULL;
END $$;
"""


def triggers(table):
    return (
        f"CREATE TRIGGER articles_content_changed AFTER INSERT OR UPDATE OR DELETE ON {table} "
        "FOR EACH STATEMENT EXECUTE FUNCTION articles_content_changed();"
        f"CREATE TRIGGER articles_content_truncated AFTER TRUNCATE ON {table} "
        "FOR EACH STATEMENT EXECUTE FUNCTION articles_content_changed();",
        f"DROP TRIGGER articles_content_changed ON {table}; DROP TRIGGER articles_content_truncated ON {table};",
    )


class Migration(migrations.Migration):
    dependencies = [
        ("articles", "0008_article_visit_type"),
        ("truffles", "0001_version"),
    ]

    operations = [
        migrations.RunSQL(CONTENT_FUNCTION, "DROP FUNCTION articles_content_changed() CASCADE;"),
        *[migrations.RunSQL(*triggers(table)) for table in CONTENT_TABLES],
        # The first version, so pages are stored from the start.
        migrations.RunSQL("UPDATE articles_topic SET id = id WHERE false;", migrations.RunSQL.noop),
    ]
