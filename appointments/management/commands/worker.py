import logging
import threading

from django.db import connection
from django_tasks_db.management.commands.db_worker import Command as DatabaseWorker

from appointments import messages

logger = logging.getLogger(__name__)


class Command(DatabaseWorker):
    help = (
        "Run the background worker (patient messages): django-tasks-db's db_worker, after queueing "
        "again any message a killed worker left half-sent, and looking for those again regularly."
    )

    def handle(self, *args, **options):
        messages.requeue_abandoned()
        threading.Thread(target=self.sweep, daemon=True, name="requeue-abandoned").start()
        super().handle(*args, **options)

    def sweep(self):
        interval = max(messages.stale_after().total_seconds(), 5)
        while not threading.Event().wait(interval):
            try:
                messages.requeue_abandoned()
            except Exception:
                logger.exception("Could not look for abandoned messages; will try again")
            finally:
                connection.close()
