"""The page-cache version and the worker heartbeat move from the truffles app, tables unchanged.

State only: truffles 0001 and 0002 created the tables (and the version triggers' function), so a
database of any age has them; truffles 0003 forgets them on that side.
"""

import django.contrib.postgres.fields
from django.db import migrations, models


class Migration(migrations.Migration):
    initial = True

    dependencies = [("truffles", "0002_worker_heartbeat")]

    operations = [
        migrations.SeparateDatabaseAndState(
            state_operations=[
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
                    options={"db_table": "truffles_version"},
                ),
                migrations.CreateModel(
                    name="WorkerHeartbeat",
                    fields=[
                        ("worker_id", models.CharField(max_length=64, primary_key=True, serialize=False)),
                        ("started_at", models.DateTimeField()),
                        ("beat_at", models.DateTimeField(db_index=True)),
                    ],
                    options={"db_table": "truffles_workerheartbeat"},
                ),
            ],
            database_operations=[],
        ),
    ]
