from django.contrib.postgres.fields import ArrayField
from django.db import models


class Version(models.Model):
    """A number that changes, in the same transaction, whenever something cached may have changed.

    Database triggers set `number` from a sequence, so a number is never reused, not even after a
    rolled-back change; cached answers are keyed by it, so a change shows at once. The triggers live
    with the tables they watch (articles: "content"; appointments: "schedule").
    """

    CONTENT = "content"
    SCHEDULE = "schedule"

    name = models.CharField(primary_key=True, max_length=20)
    number = models.BigIntegerField()
    changed_at = models.DateTimeField()
    # Times still to come that change what is shown without any write (scheduled publications).
    scheduled = ArrayField(models.DateTimeField(), default=list)

    class Meta:
        db_table = "truffles_version"  # born in the truffles app; the triggers' SQL names it

    def __str__(self):
        return f"{self.name} {self.number}"


class WorkerHeartbeat(models.Model):
    """The last sign of life of each task worker (`manage.py worker`), for /healthz and /metrics.

    Every worker beats every few seconds while it can reach the database; a worker that stops beating
    has stopped sending patients' messages.
    """

    worker_id = models.CharField(primary_key=True, max_length=64)
    started_at = models.DateTimeField()
    beat_at = models.DateTimeField(db_index=True)

    class Meta:
        db_table = "truffles_workerheartbeat"  # born in the truffles app

    def __str__(self):
        return f"worker {self.worker_id} at {self.beat_at:%Y-%m-%d %H:%M:%S}"
