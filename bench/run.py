"""Benchmarks run on demand (`make bench`): how pages scale with the size of the clinic's data.

Creates its own database (`<name>_bench`) on the configured server, fills it with 1,000 and then
100,000 appointments, and prints query counts, median times and the 100k/1k ratios for the
staff changelist and the public availability endpoint.
"""

import os
import statistics
import sys
from datetime import date, datetime, time, timedelta
from pathlib import Path
from time import perf_counter

BASE_DIR = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(BASE_DIR))
os.environ.setdefault("DJANGO_SECRET_KEY", "bench-only-key")
os.environ.setdefault("DJANGO_SECURE_SSL_REDIRECT", "false")
os.environ.setdefault("DJANGO_ALLOWED_HOSTS", "testserver")
os.environ.setdefault("TRUFFLES_REQUIRE_2FA", "false")
os.environ["DJANGO_SETTINGS_MODULE"] = "truffles.settings"

import django  # noqa: E402

django.setup()

from django.conf import settings  # noqa: E402
from django.core.management import call_command  # noqa: E402
from django.db import connection, reset_queries  # noqa: E402
from django.test import Client  # noqa: E402
from django.test.utils import CaptureQueriesContext, setup_test_environment  # noqa: E402
from django.utils import timezone  # noqa: E402

REPEAT = 15


def use_bench_database():
    from django.db import connections

    real_name = settings.DATABASES["default"]["NAME"]
    bench_name = f"{real_name}_bench"
    with connection.cursor() as cursor:  # start from scratch every run, so figures compare
        cursor.execute(f'DROP DATABASE IF EXISTS "{bench_name}" WITH (FORCE)')
        cursor.execute(f'CREATE DATABASE "{bench_name}"')
    connections["default"].close()
    settings.DATABASES["default"]["NAME"] = bench_name
    connections["default"].settings_dict["NAME"] = bench_name
    call_command("migrate", verbosity=0)
    call_command("load_demo_schedule", verbosity=0)


def fill(total):
    from appointments.models import Appointment, Location, Provider, VisitType

    existing = Appointment.objects.count()
    if existing >= total:
        return
    vein = VisitType.objects.get(slug="vein-evaluation")
    providers = list(Provider.objects.all())
    location = Location.objects.first()
    statuses = ["completed"] * 6 + ["cancelled", "no_show", "declined"]
    # Years of history ending last week: eight visits a day per provider.
    days_needed = 100_000 // (8 * len(providers)) + 7
    origin = timezone.make_aware(datetime.combine(timezone.localdate() - timedelta(days=days_needed), time(9)))
    batch = []
    for index in range(existing, total):
        # Past appointments, one per provider-hour, far from the free slots being measured.
        start = origin + timedelta(hours=(index // len(providers)) % 8, days=(index // len(providers)) // 8)
        batch.append(
            Appointment(
                visit_type=vein, provider=providers[index % len(providers)], location=location,
                starts_at=start, ends_at=start + timedelta(minutes=45), busy_until=start + timedelta(minutes=45),
                status=statuses[index % len(statuses)], first_name="Bench", last_name=f"Patient{index}",
                date_of_birth=date(1970, 1, 1), email=f"p{index}@example.com", phone="+12015550123",
                reasons=["rls"], consent_version="bench", consented_at=start,
                reference=f"TVS-B{index:06d}", manage_token=f"bench-{index}",
            )
        )
        if len(batch) == 5000:
            Appointment.objects.bulk_create(batch)
            batch = []
    Appointment.objects.bulk_create(batch)
    with connection.cursor() as cursor:
        cursor.execute("ANALYZE appointments_appointment")


def measure(client, url):
    client.get(url)  # warm caches and connections
    times = []
    reset_queries()  # requests clear the log themselves; start from empty so the count is right
    with CaptureQueriesContext(connection) as queries:
        response = client.get(url)
    query_count = len(queries)  # read now: later requests clear the log
    assert response.status_code == 200, (url, response.status_code)
    for _ in range(REPEAT):
        started = perf_counter()
        client.get(url)
        times.append((perf_counter() - started) * 1000)
    return query_count, statistics.median(times)


def main():
    setup_test_environment()
    call_command("collectstatic", "--no-input", verbosity=0)  # production storage, as `make serve`
    use_bench_database()
    from django.contrib.auth import get_user_model

    user, _ = get_user_model().objects.get_or_create(
        username="bench-admin", defaults={"is_staff": True, "is_superuser": True}
    )
    client = Client()
    client.force_login(user)
    monday = timezone.localdate() + timedelta(days=(7 - timezone.localdate().weekday()))
    pages = {
        "admin changelist": "/admin/appointments/appointment/",
        "changelist, needs triage": "/admin/appointments/appointment/?triage=needed",
        "changelist, search": "/admin/appointments/appointment/?q=Patient123",
        "availability 14 days": f"/appointments/availability.json?visit_type=vein-evaluation&date={monday}&days=14",
    }
    results = {}
    for size in (1_000, 100_000):
        started = perf_counter()
        fill(size)
        print(f"-- {size:,} appointments (filled in {perf_counter() - started:.1f} s)")
        for name, url in pages.items():
            results[(name, size)] = measure(client, url)
            queries, ms = results[(name, size)]
            print(f"{name:28} {queries:3d} queries  {ms:8.1f} ms median of {REPEAT}")
    print("-- ratio 100k / 1k")
    for name in pages:
        (q1, t1), (q2, t2) = results[(name, 1_000)], results[(name, 100_000)]
        print(f"{name:28} queries {q2}/{q1}  time x{t2 / t1:.2f}")


if __name__ == "__main__":
    main()
