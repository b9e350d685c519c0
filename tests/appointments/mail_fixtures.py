"""Real processes for message tests: SMTP servers on loopback (aiosmtpd) and the task worker.

Registered in tests/conftest.py. Every wait here has a bound. The session's closing lines say how
many tasks ran through the database backend (django-tasks-db), in worker processes and in-process.
"""

import email
import email.policy
import os
import signal
import socket
import subprocess
import sys
import threading
import time
from pathlib import Path

import pytest
from django.conf import settings
from django.db import transaction

from tests.processes import free_port, wait_until

BASE_DIR = Path(__file__).resolve().parents[2]
TASKS_RUN = {"worker processes": 0, "in-process": 0}


class LocalSMTP:
    """One loopback port that is down, stalled (accepts, never answers) or a working SMTP server."""

    def __init__(self):
        self.port = free_port()
        self.received = []  # email.message.EmailMessage, with .envelope_to
        self.connections = 0
        self._controller = None
        self._listener = None
        self._held = []

    # States
    def answer(self):
        """Become a working SMTP server on the same port (after being down or stalled)."""
        from aiosmtpd.controller import Controller

        self._stop_stalling()
        server = self

        class Collect:
            async def handle_RCPT(self, smtp, session, envelope, address, rcpt_options):
                if address.startswith("nobody@"):  # a mailbox that does not exist
                    return "550 5.1.1 No such mailbox here"
                envelope.rcpt_tos.append(address)
                return "250 OK"

            async def handle_DATA(self, smtp, session, envelope):
                message = email.message_from_bytes(envelope.original_content or envelope.content,
                                                   policy=email.policy.default)  # fmt: skip
                message.envelope_to = list(envelope.rcpt_tos)
                server.received.append(message)
                return "250 Message accepted for delivery"

        self._controller = Controller(Collect(), hostname="127.0.0.1", port=self.port)
        self._controller.start()
        return self

    def stall(self):
        """Accept connections and never say a word, like a wedged relay."""
        self.go_down()
        self._listener = socket.create_server(("127.0.0.1", self.port))
        self._listener.settimeout(0.1)  # so the accepting thread notices the listener closing
        self._holder = threading.Thread(target=self._hold, args=(self._listener,), daemon=True)
        self._holder.start()
        return self

    def go_down(self):
        self._stop_stalling()
        if self._controller:
            self._controller.stop()
            self._controller = None
        return self

    def _hold(self, listener):
        while listener.fileno() != -1:
            try:
                connection, _ = listener.accept()
            except TimeoutError:
                continue
            except OSError:
                return
            self.connections += 1
            self._held.append(connection)

    def _stop_stalling(self):
        if self._listener:
            self._listener.close()
            self._holder.join(timeout=5)
            self._listener = None
        for connection in self._held:
            connection.close()
        self._held = []

    # Reading
    def wait_for(self, count, timeout=30):
        wait_until(lambda: len(self.received) >= count, timeout, message=f"{count} email(s) on port {self.port}")
        return self.received

    def to(self, address):
        return [message for message in self.received if address in message.envelope_to]

    @property
    def url(self):
        return f"smtp://127.0.0.1:{self.port}"


@pytest.fixture
def smtp_server():
    """A working SMTP server on loopback; `.received` holds what arrived."""
    server = LocalSMTP().answer()
    yield server
    server.go_down()


@pytest.fixture
def stalled_smtp():
    """A server that accepts connections and never answers; `.answer()` makes it a working one."""
    server = LocalSMTP().stall()
    yield server
    server.go_down()


@pytest.fixture
def down_smtp():
    """Nothing listening yet (connections are refused); `.answer()` brings the server up."""
    server = LocalSMTP()
    yield server
    server.go_down()


class WorkerProcess:
    """`manage.py worker` (django-tasks-db's db_worker and our recovery) against the test database."""

    def __init__(self, smtp, log_dir, **environment):
        self.worker_id = f"test-worker-{time.monotonic_ns()}"
        self.env = {
            **os.environ,  # the same server as this run (DATABASE_URL or the embedded one)
            "DJANGO_SETTINGS_MODULE": "tests.settings",
            "TRUFFLES_WORKER_TEST_DATABASE": settings.DATABASES["default"]["NAME"],
            "EMAIL_URL": smtp.url,
            "TRUFFLES_SITE_URL": "http://127.0.0.1:8000",
            "TRUFFLES_MAIL_TIMEOUT_SECONDS": "1",
            "TRUFFLES_MAIL_RETRY_SECONDS": "0.5",
            "DJANGO_LOG_LEVEL": "INFO",
            **{key: str(value) for key, value in environment.items()},
        }
        self.log = log_dir / f"{self.worker_id}.log"
        self.process = None

    def start(self):
        with open(self.log, "ab") as log:
            self.process = subprocess.Popen(
                [sys.executable, "manage.py", "worker", "--no-reload", "--interval", "0.2", "--no-startup-delay",
                 "--worker-id", self.worker_id],
                cwd=BASE_DIR, env=self.env, stdout=log, stderr=subprocess.STDOUT,
            )  # fmt: skip
        return self

    def kill(self):
        """SIGKILL: no chance to finish or record anything, as when a machine dies."""
        self.process.send_signal(signal.SIGKILL)
        self.process.wait(timeout=10)

    def stop(self):
        if self.process and self.process.poll() is None:
            self.process.terminate()
            try:
                self.process.wait(timeout=10)
            except subprocess.TimeoutExpired:
                self.process.kill()
                self.process.wait(timeout=10)

    def output(self):
        return self.log.read_text(errors="replace") if self.log.exists() else ""


@pytest.fixture
def worker(transactional_db, tmp_path):
    """Start real worker processes with `worker(smtp, **environment)`; all are stopped afterwards."""
    started = []

    def start(smtp, **environment):
        process = WorkerProcess(smtp, tmp_path, **environment).start()
        started.append(process)
        return process

    yield start
    for process in started:
        process.stop()
    from django_tasks_db.models import DBTaskResult

    ids = {process.worker_id for process in started}
    finished = DBTaskResult.objects.filter(status__in=["SUCCESSFUL", "FAILED"]).values_list("worker_ids", flat=True)
    TASKS_RUN["worker processes"] += sum(1 for worker_ids in finished if ids & set(worker_ids))


def run_queued_tasks(limit=100) -> int:
    """Run every task that is due, in this process, exactly as a worker would (django-tasks-db's own code).

    For tests that check what a message says without starting a process. Returns how many ran.
    """
    from django_tasks_db.management.commands.db_worker import Worker
    from django_tasks_db.models import DBTaskResult

    worker = Worker(
        queue_names=["default"], interval=0, batch=True, backend_name="default", startup_delay=False,
        max_tasks=None, worker_id="in-process", excluded_queue_names=[],
    )  # fmt: skip
    ran = 0
    while ran < limit:
        with transaction.atomic():
            result = DBTaskResult.objects.ready().get_locked()
            if result is None:
                break
            result.claim(worker.worker_id)
        worker.run_task(result)
        ran += 1
    TASKS_RUN["in-process"] += ran
    return ran


def pytest_terminal_summary(terminalreporter):
    total = sum(TASKS_RUN.values())
    if total:
        parts = ", ".join(f"{count} in {where}" for where, count in TASKS_RUN.items())
        terminalreporter.write_line(f"Tasks run through the database backend (django-tasks-db): {total} ({parts})")
