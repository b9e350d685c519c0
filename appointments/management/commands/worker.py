import logging
import os
import signal
import threading

from django.conf import settings
from django.db import connection
from django.utils import timezone
from django_tasks_db.management.commands.db_worker import Command as DatabaseWorker

from appointments import booking, notifications, protection
from core import health

logger = logging.getLogger(__name__)


class Command(DatabaseWorker):
    help = (
        "Run the background worker (patient messages): django-tasks-db's db_worker, after queueing "
        "again any message a killed worker left half-sent, and looking for those (and for held times whose "
        "email code was never entered) regularly."
    )

    def add_arguments(self, parser):
        super().add_arguments(parser)
        parser.add_argument(
            "--stop-with", type=int, metavar="PID",
            help="Stop (finishing the current task) when this process ends, e.g. the web server beside it.",
        )  # fmt: skip

    def handle(self, *args, stop_with=None, **options):
        notifications.requeue_abandoned()
        threading.Thread(target=self.sweep, daemon=True, name="requeue-abandoned").start()
        threading.Thread(target=self.beat, args=(options["worker_id"],), daemon=True, name="heartbeat").start()
        if stop_with:
            threading.Thread(target=self.watch, args=(stop_with,), daemon=True, name="stop-with").start()
        super().handle(*args, **options)

    def sweep(self):
        interval = max(notifications.stale_after().total_seconds(), 5)
        while not threading.Event().wait(interval):
            try:
                notifications.requeue_abandoned()
                booking.release_expired_holds()  # times held for a code nobody entered go back on offer
                protection.forget_old_attempts()
            except Exception:
                logger.exception("Could not look for abandoned messages or expired holds; will try again")
            finally:
                connection.close()

    def beat(self, worker_id):
        """Tell /healthz and /metrics this worker is alive, while its main loop is (core/health.py)."""
        started_at = timezone.now()
        interval = settings.TRUFFLES_WORKER_HEARTBEAT_SECONDS
        while threading.main_thread().is_alive():
            try:
                health.beat(worker_id, started_at)
            except Exception:
                logger.exception("Could not record the worker's heartbeat; will try again")
            finally:
                connection.close()
            threading.Event().wait(interval)

    def watch(self, pid):
        while True:
            try:
                os.kill(pid, 0)
            except ProcessLookupError:
                break
            threading.Event().wait(1)
        logger.info("Process %s has ended; stopping", pid)
        os.kill(os.getpid(), signal.SIGTERM)  # the worker's own graceful shutdown
