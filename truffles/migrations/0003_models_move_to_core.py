"""Version and WorkerHeartbeat now belong to the core app (core 0001); their tables stay as they are."""

from django.db import migrations


class Migration(migrations.Migration):
    dependencies = [("truffles", "0002_worker_heartbeat"), ("core", "0001_initial")]

    operations = [
        migrations.SeparateDatabaseAndState(
            state_operations=[migrations.DeleteModel(name="Version"), migrations.DeleteModel(name="WorkerHeartbeat")],
            database_operations=[],
        ),
    ]
