"""How long a patient's "Send my request" takes when the mail server answers, and when it stalls.

Runs the production configuration for real: granian serving the site (2 workers, as `make serve`)
and, when the project has one, the task worker beside it, each pointed at a local SMTP server on
loopback. One server answers at once (aiosmtpd); the other accepts the connection and never says a
word. For each, a few patients book through plain HTTP (availability JSON, details page, POST) and
the script prints the median POST time and the stalled/working ratio. A POST still waiting after
BOUND seconds is reported as such, not waited for.

Creates its own database (`<name>_mailbench`) on the configured server.
"""

import contextlib
import http.cookiejar
import os
import re
import signal
import socket
import statistics
import subprocess
import sys
import threading
import time
import urllib.error
import urllib.parse
import urllib.request
from datetime import datetime, timedelta
from pathlib import Path

from common import BASE_DIR, setup_django, use_bench_database

from tests.processes import free_port, wait_until_answers

BOUND = 20  # seconds one POST may take before we call it hung
BOOKINGS = 5

setup_django()

from django.conf import settings  # noqa: E402
from django.core.management import call_command  # noqa: E402
from django.utils import timezone  # noqa: E402


class StalledServer:
    """Accepts SMTP connections and never sends the greeting, like a wedged mail relay."""

    def __init__(self):
        self.listener = socket.create_server(("127.0.0.1", 0))
        self.port = self.listener.getsockname()[1]
        self.held = []
        threading.Thread(target=self._accept, daemon=True).start()

    def _accept(self):
        while True:
            try:
                connection, _ = self.listener.accept()
            except OSError:
                return
            self.held.append(connection)

    def close(self):
        self.listener.close()
        for connection in self.held:
            connection.close()


class WorkingServer:
    def __init__(self):
        from aiosmtpd.controller import Controller

        class Count:
            received = 0

            async def handle_DATA(self, server, session, envelope):
                Count.received += 1
                return "250 OK"

        self.port = free_port()
        self.controller = Controller(Count(), hostname="127.0.0.1", port=self.port)
        self.controller.start()

    def close(self):
        self.controller.stop()


def start_site(database_url, smtp_port, web_port):
    env = dict(
        os.environ,
        DATABASE_URL=database_url,
        DJANGO_DEBUG="false",
        DJANGO_ALLOWED_HOSTS="127.0.0.1",
        DJANGO_SECURE_SSL_REDIRECT="false",
        DJANGO_SECURE_COOKIES="false",
        DJANGO_HSTS_SECONDS="0",
        EMAIL_URL=f"smtp://127.0.0.1:{smtp_port}",
        TRUFFLES_SITE_URL=f"http://127.0.0.1:{web_port}",
        TRUFFLES_RATE_PER_ADDRESS_PER_HOUR="1000",
        TRUFFLES_RATE_PER_EMAIL_PER_DAY="1000",
        TRUFFLES_MAX_UNPROVEN_PER_NETWORK="1000",
        TRUFFLES_MAX_UNPROVEN_PER_DOMAIN="1000",
        DJANGO_LOG_LEVEL="WARNING",
    )
    venv = Path(sys.executable).parent
    processes = [
        subprocess.Popen(
            [str(venv / "granian"), "--interface", "wsgi", "--host", "127.0.0.1", "--port", str(web_port),
             "--workers", "2", "--no-ws", "--log-level", "warning", "truffles.wsgi:application"],
            cwd=BASE_DIR, env=env, start_new_session=True,
        )
    ]
    if "django_tasks_db" in settings.INSTALLED_APPS:
        processes.append(
            subprocess.Popen(
                [sys.executable, "manage.py", "db_worker", "--no-reload", "-v", "0"], cwd=BASE_DIR, env=env,
                start_new_session=True,
            )
        )
    try:
        wait_until_answers(f"http://127.0.0.1:{web_port}/healthz", 30)
    except AssertionError:
        stop(processes)
        raise SystemExit("The site did not start within 30 seconds.") from None
    return processes


def stop(processes):
    """Each process leads its own group: stopping the group also stops granian's workers."""
    for process in processes:
        os.killpg(process.pid, signal.SIGTERM)
    for process in processes:
        try:
            process.wait(timeout=10)
        except subprocess.TimeoutExpired:
            os.killpg(process.pid, signal.SIGKILL)
            process.wait()
        with contextlib.suppress(ProcessLookupError):
            os.killpg(process.pid, signal.SIGKILL)  # a worker left behind by its main process


def book(base, slot, number):
    """One patient books `slot`; returns the POST's seconds, or None when it took longer than BOUND."""
    jar = http.cookiejar.CookieJar()
    opener = urllib.request.build_opener(urllib.request.HTTPCookieProcessor(jar))
    split = urllib.parse.urlsplit(slot["request_url"])
    page_url = f"{base}{split.path}?{split.query}"
    page = opener.open(page_url, timeout=BOUND).read().decode()
    fields = dict(re.findall(r'name="(csrfmiddlewaretoken|submission_token)" value="([^"]+)"', page))
    query = dict(urllib.parse.parse_qsl(split.query))
    form = {
        **fields, **query,
        "first_name": "Bench", "last_name": f"Patient{number}",
        "date_of_birth_month": "1", "date_of_birth_day": "1", "date_of_birth_year": "1970",
        "email": f"bench{number}-{time.time_ns()}@example.com", "phone": "(201) 555-0123",
        "reasons": "varicose",
        "urgent_one_leg": "no", "urgent_breathing": "no", "urgent_bleeding": "no", "urgent_cord": "no",
        "consent": "on", "website": "",
    }  # fmt: skip
    request = urllib.request.Request(
        f"{base}/appointments/request/details/", data=urllib.parse.urlencode(form).encode(),
        headers={"Referer": page_url},
    )
    started = time.perf_counter()
    try:
        response = opener.open(request, timeout=BOUND)
    except TimeoutError:
        return None
    except urllib.error.HTTPError as error:
        shown = re.findall(r'class="[^"]*(?:alert|invalid-feedback)[^"]*"[^>]*>([^<]+)', error.read().decode())
        raise SystemExit(f"Booking {number} answered {error.code}: {' '.join(shown)}") from None
    elapsed = time.perf_counter() - started
    assert "/appointments/manage/" in response.geturl(), f"booking failed: {response.status}"
    return elapsed


def run(server, label, slots, database_url):
    web_port = free_port()
    processes = start_site(database_url, server.port, web_port)
    base = f"http://127.0.0.1:{web_port}"
    timings = []
    try:
        for number in range(BOOKINGS):
            seconds = book(base, slots.pop(0), number)
            timings.append(seconds)
            if seconds is None:
                break  # one hung request is the finding; more would only hold the other worker too
    finally:
        stop(processes)
    done = [t for t in timings if t is not None]
    hung = len(timings) - len(done)
    median = statistics.median(done) * 1000 if done else None
    shown = f"{median:8.1f} ms median of {len(done)}" if done else "   no POST returned"
    print(f"{label:<34}{shown}" + (f", {hung} still waiting after {BOUND} s" if hung else ""))
    return median, hung


def main():
    use_bench_database("mailbench")
    call_command("load_demo_schedule", verbosity=0)
    db = settings.DATABASES["default"]
    database_url = f"postgresql://{db['USER']}:{db.get('PASSWORD') or ''}@{db['HOST']}:{db['PORT']}/{db['NAME']}"
    from django.test import Client

    first_day = (timezone.localdate() + timedelta(days=2)).isoformat()
    response = Client().get("/appointments/availability.json", {"visit_type": "vein-evaluation", "date": first_day,
                                                                 "days": 14})  # fmt: skip
    # Slots two hours apart per specialist, so no booking overlaps another's visit and buffer.
    slots, last = [], {}
    for slot in response.json()["slots"]:
        start, provider = datetime.fromisoformat(slot["start"]), slot["provider"]["id"]
        if provider not in last or start - last[provider] >= timedelta(hours=2):
            last[provider] = start
            slots.append(slot)

    working, stalled = WorkingServer(), StalledServer()
    try:
        ok, _ = run(working, "Mail server answering:", slots, database_url)
        stuck, hung = run(stalled, "Mail server accepting, then silent:", slots, database_url)
    finally:
        working.close()
        stalled.close()
    if ok and stuck and not hung:
        print(f"{'Stalled / working:':<34}{stuck / ok:8.2f}x")


if __name__ == "__main__":
    main()
