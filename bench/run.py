"""Benchmarks run on demand (`make bench`): how pages scale with the size of the clinic's data.

Creates its own database (`<name>_bench`) on the configured server, fills it with 1,000 and then
100,000 appointments, and prints query counts, median times and the 100k/1k ratios for the
staff changelist and the public availability endpoint.
"""

from datetime import date, datetime, time, timedelta
from time import perf_counter

from common import REPEAT, measure, setup_django, use_bench_database

setup_django()

from django.db import connection  # noqa: E402
from django.test import Client  # noqa: E402
from django.utils import timezone  # noqa: E402

UPCOMING = 200


def book_upcoming():
    """The weeks ahead, as the front desk sees them: requests and confirmed visits to work through."""
    from appointments.models import Appointment, Location, Provider, VisitType

    vein = VisitType.objects.get(slug="vein-evaluation")
    providers = list(Provider.objects.all())
    location = Location.objects.first()
    first = timezone.localdate() + timedelta(days=1)
    Appointment.objects.bulk_create(
        Appointment(
            visit_type=vein, provider=providers[index % 2], location=location,
            starts_at=timezone.make_aware(datetime.combine(first + timedelta(days=index // 16), time(9)))
            + timedelta(hours=(index // 2) % 8),
            ends_at=timezone.make_aware(datetime.combine(first + timedelta(days=index // 16), time(9)))
            + timedelta(hours=(index // 2) % 8, minutes=45),
            busy_until=timezone.make_aware(datetime.combine(first + timedelta(days=index // 16), time(9)))
            + timedelta(hours=(index // 2) % 8, minutes=60),
            status="requested" if index % 3 == 0 else "confirmed", first_name="Soon", last_name=f"Patient{index}",
            date_of_birth=date(1980, 1, 1), email=f"soon{index}@example.com", phone="+12015550123",
            reasons=["varicose"], consent_version="bench", consented_at=timezone.now(),
            reference=f"TVS-U{index:06d}", manage_token_hash=f"upcoming-{index}",
        )
        for index in range(UPCOMING)
    )  # fmt: skip


def fill(total):
    from appointments.models import Appointment, Location, Provider, VisitType

    existing = Appointment.objects.count() - UPCOMING
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
                reference=f"TVS-B{index:06d}", manage_token_hash=f"bench-{index}",
            )
        )
        if len(batch) == 5000:
            Appointment.objects.bulk_create(batch)
            batch = []
    Appointment.objects.bulk_create(batch)
    with connection.cursor() as cursor:
        cursor.execute("ANALYZE appointments_appointment")


def main():
    use_bench_database("bench")
    from django.core.management import call_command

    call_command("load_demo_schedule", verbosity=0)
    book_upcoming()
    from django.contrib.auth import get_user_model

    user, _ = get_user_model().objects.get_or_create(
        username="bench-admin", defaults={"is_staff": True, "is_superuser": True}
    )
    staff = Client()
    staff.force_login(user)
    patient = Client()
    monday = timezone.localdate() + timedelta(days=(7 - timezone.localdate().weekday()))
    pages = {
        "admin changelist": (staff, "/admin/appointments/appointment/"),
        "changelist, all time": (staff, "/admin/appointments/appointment/?when=all"),
        "changelist, needs triage": (staff, "/admin/appointments/appointment/?triage=needed"),
        "changelist, search": (staff, "/admin/appointments/appointment/?q=Patient123"),
        "availability 14 days": (
            patient, f"/appointments/availability.json?visit_type=vein-evaluation&date={monday}&days=14"
        ),
    }
    results = {}
    for size in (1_000, 100_000):
        started = perf_counter()
        fill(size)
        print(f"-- {size:,} appointments (filled in {perf_counter() - started:.1f} s)")
        for name, (client, url) in pages.items():
            results[(name, size)] = measure(client, url)
            queries, ms = results[(name, size)]
            print(f"{name:28} {queries:3d} queries  {ms:8.1f} ms median of {REPEAT}")
    print(f"(plus {UPCOMING} upcoming visits in both runs, so the default list shows a full page)")
    print("(staff pages include 4 queries for the session, the user and setting/clearing the audit context)")
    print("-- ratio 100k / 1k")
    for name in pages:
        (q1, t1), (q2, t2) = results[(name, 1_000)], results[(name, 100_000)]
        print(f"{name:28} queries {q2}/{q1}  time x{t2 / t1:.2f}")


if __name__ == "__main__":
    main()
