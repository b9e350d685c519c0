"""Is the site well: the database answers, and a task worker has beaten recently.

The worker (`manage.py worker`) calls `beat` every TRUFFLES_WORKER_HEARTBEAT_SECONDS; /healthz and
/metrics read the latest beat. A stale beat degrades the site's health but keeps /healthz at 200:
pages still work, only patients' messages wait.
"""

from datetime import datetime, timedelta

from django.conf import settings
from django.db import connection
from django.utils import timezone

from core.models import WorkerHeartbeat

# One query: it reads the latest beat and proves the database answers.
LATEST_BEAT_SQL = "SELECT max(beat_at) FROM truffles_workerheartbeat"
# Rows of workers gone this long are dropped by the next beat (each start takes a new worker id).
FORGET_AFTER = timedelta(days=7)


def latest_beat() -> datetime | None:
    with connection.cursor() as cursor:
        cursor.execute(LATEST_BEAT_SQL)
        return cursor.fetchone()[0]


def worker_health(last_beat: datetime | None, now: datetime) -> dict:
    """The `worker` part of /healthz, from the latest beat (pure)."""
    stale_after = settings.TRUFFLES_WORKER_STALE_SECONDS
    if last_beat is None:
        return {"status": "degraded", "reason": "no task worker has ever reported; patients' messages wait"}
    age = max((now - last_beat).total_seconds(), 0.0)
    report = {"last_heartbeat": last_beat.isoformat(timespec="seconds"), "seconds_ago": round(age)}
    if age > stale_after:
        return {
            "status": "degraded",
            "reason": f"no task worker has reported for {round(age)} s (more than {stale_after} s); "
            "patients' messages wait",
            **report,
        }
    return {"status": "ok", **report}


def beat(worker_id: str, started_at: datetime) -> None:
    now = timezone.now()
    WorkerHeartbeat.objects.update_or_create(worker_id=worker_id, defaults={"beat_at": now, "started_at": started_at})
    WorkerHeartbeat.objects.filter(beat_at__lt=now - FORGET_AFTER).delete()
