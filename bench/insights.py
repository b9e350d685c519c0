"""The clinic manager's Insights on a year of 100,000 appointments: queries and milliseconds.

Fills `<database>_insights` with a year of past visits (two specialists, the demo schedule), each
with the audit trail a real one leaves (created, decided, then completed, cancelled or missed),
then times the three figures and the whole admin page for four weeks and for the year.
"""

from datetime import timedelta
from random import Random
from time import perf_counter

from common import REPEAT, measure, setup_django, use_bench_database

setup_django()

from django.db import connection  # noqa: E402
from django.test import Client  # noqa: E402
from django.utils import timezone  # noqa: E402

TOTAL = 100_000
# Rough shares of a vein clinic's year: most visits happen, some are cancelled or missed.
OUTCOMES = [("completed", 73), ("no_show", 7), ("cancelled", 15), ("declined", 5)]


def fill_year(total: int = TOTAL) -> None:
    from appointments.models import Appointment, Location, Provider, VisitType
    from articles.models import Article
    from audit.models import AuditEntry

    random = Random(6)
    vein = VisitType.objects.get(slug="vein-evaluation")
    providers, location = list(Provider.objects.all()), Location.objects.first()
    articles = [None, None, *Article.objects.all()[:6]]
    statuses = [status for status, weight in OUTCOMES for _ in range(weight)]
    first_day = timezone.localdate() - timedelta(days=365)
    for offset in range(0, total, 5000):
        batch, trails = [], []
        for index in range(offset, min(offset + 5000, total)):
            day = first_day + timedelta(days=index * 365 // total)
            start = timezone.make_aware(timezone.datetime.combine(day, timezone.datetime.min.time())) + timedelta(
                hours=9 + index % 8, minutes=15 * (index % 4))
            batch.append(Appointment(
                visit_type=vein, provider=providers[index % len(providers)], location=location, starts_at=start,
                ends_at=start + vein.duration, busy_until=start + vein.duration, status=random.choice(statuses),
                first_name="Bench", last_name=f"Patient{index}", email=f"p{index}@example.com",
                phone="+12015550123", consent_version="bench", consented_at=start,
                submission_token_hash=None if index % 3 else f"{index:064x}",
                source_article=random.choice(articles), reference=f"TVS-I{index:06d}",
                manage_token_hash=f"insights-{index}",
            ))  # fmt: skip
        for appointment in Appointment.objects.bulk_create(batch):
            trails.extend(status_trail(appointment, random))
        AuditEntry.objects.bulk_create(trails)
    with connection.cursor() as cursor:
        cursor.execute("ANALYZE appointments_appointment; ANALYZE staff_auditentry")


def status_trail(appointment, random: Random) -> list:
    """The audit entries of a visit's decisions: confirmed or declined, then how it ended."""
    from audit.models import AuditEntry

    decided = appointment.starts_at - timedelta(days=random.randint(2, 20), hours=random.randint(0, 23))
    first = "declined" if appointment.status == "declined" else "confirmed"
    trail = [AuditEntry(occurred_at=decided, action="change", appointment_id=appointment.pk, username="frontdesk",
                        changed_fields=["status"], changes={"status": {"from": "requested", "to": first}})]
    if appointment.status in ("completed", "no_show", "cancelled"):
        trail.append(AuditEntry(
            occurred_at=appointment.starts_at - timedelta(hours=random.randint(-2, 200)), action="change",
            appointment_id=appointment.pk, username=random.choice(["", "frontdesk"]),
            changed_fields=["status"], changes={"status": {"from": "confirmed", "to": appointment.status}},
        ))  # fmt: skip
    return trail


def time_figures(period) -> dict[str, float]:
    """Median milliseconds of each figure's one query."""
    from statistics import median

    from appointments import insights

    timings = {}
    for name in ("outcomes", "utilisation", "funnel"):
        compute = getattr(insights, name)
        compute(period)
        runs = []
        for _ in range(REPEAT):
            started = perf_counter()
            compute(period)
            runs.append((perf_counter() - started) * 1000)
        timings[name] = median(runs)
    return timings


def main():
    use_bench_database("insights")
    from django.contrib.auth import get_user_model
    from django.core.management import call_command

    from appointments.insights import Period

    call_command("load_demo_schedule", verbosity=0)
    call_command("load_articles", verbosity=0)
    started = perf_counter()
    fill_year()
    print(f"-- {TOTAL:,} appointments over a year, with their audit trail (filled in {perf_counter() - started:.0f} s)")
    manager, _ = get_user_model().objects.get_or_create(
        username="bench-manager", defaults={"is_staff": True, "is_superuser": True})
    client = Client()
    client.force_login(manager)
    today = timezone.localdate()
    for label, period in [("last four weeks", Period.last_four_weeks(today)),
                          ("the whole year", Period(first=today - timedelta(days=365), last=today))]:
        figures = time_figures(period)
        query = f"?first={period.first.isoformat()}&last={period.last.isoformat()}"
        queries, ms = measure(client, "/admin/appointments/appointment/insights/" + query)
        print(f"{label:16} " + "  ".join(f"{name} {value:6.1f} ms" for name, value in figures.items())
              + f"  | page {queries} queries {ms:6.1f} ms (median of {REPEAT})")


if __name__ == "__main__":
    main()
