"""The load benchmark's database: the demo grown to the small and large sizes, a staff session, bookings."""

import datetime as dt
import time
from collections.abc import Callable

SIZES = {"small": (10, 100), "large": (1_000, 100_000)}
RLS = "/articles/restless-legs-syndrome-causes/"


def populate(articles_total: int, appointments_total: int) -> None:
    """Grow the demo to the given numbers of published articles and (past) appointments."""
    from django.db import connection

    copy_article(RLS.strip("/").split("/")[1], articles_total)
    add_past_appointments(appointments_total)
    with connection.cursor() as cursor:
        cursor.execute("ANALYZE")


def copy_article(slug: str, articles_total: int) -> None:
    """Published copies of one article, with its topics, until there are `articles_total` articles."""
    from articles.models import Article

    source = Article.objects.get(slug=slug)
    topics = list(source.topics.all())
    existing_articles = Article.objects.count()
    copies = [
        Article(
            title=f"{source.title} ({number})", slug=f"load-article-{number}", summary=source.summary,
            body=source.body, body_html=source.body_html, body_text=source.body_text, toc=source.toc,
            reading_minutes=source.reading_minutes, status=Article.Status.PUBLISHED,
            published_at=source.published_at - dt.timedelta(days=number + 1), reviewer_name=source.reviewer_name,
            last_reviewed=source.last_reviewed, next_review_due=source.next_review_due,
        )
        for number in range(existing_articles, articles_total)
    ]  # fmt: skip
    Through = Article.topics.through
    for article in Article.objects.bulk_create(copies, batch_size=500):
        Through.objects.bulk_create([Through(article=article, topic=topic) for topic in topics])


def add_past_appointments(appointments_total: int) -> None:
    """Past vein evaluations, eight a day per provider, until there are `appointments_total`; in batches."""
    from appointments.models import Appointment, Location, Provider, VisitType

    vein = VisitType.objects.get(slug="vein-evaluation")
    providers = list(Provider.objects.all())
    location = Location.objects.first()
    statuses = ["completed"] * 6 + ["cancelled", "no_show", "declined"]
    existing = Appointment.objects.count()
    days = appointments_total // (8 * len(providers)) + 7
    origin = dt.datetime.combine(dt.date.today() - dt.timedelta(days=days), dt.time(9), tzinfo=dt.UTC)
    batch = []
    for index in range(existing, appointments_total):
        step = index // len(providers)
        start = origin + dt.timedelta(hours=step % 8, days=step // 8)
        batch.append(
            Appointment(
                visit_type=vein, provider=providers[index % len(providers)], location=location,
                starts_at=start, ends_at=start + dt.timedelta(minutes=45), busy_until=start + dt.timedelta(minutes=45),
                status=statuses[index % len(statuses)], first_name="Load", last_name=f"Patient{index}",
                date_of_birth=dt.date(1970, 1, 1), email=f"past{index}@example.com", phone="+12015550123",
                reasons=["rls"], consent_version="bench", consented_at=start,
                reference=f"TVS-L{index:06d}", manage_token_hash=f"load-{index}",
            )
        )  # fmt: skip
        if len(batch) == 5000:
            Appointment.objects.bulk_create(batch)
            batch = []
    Appointment.objects.bulk_create(batch)


def staff_session_cookie() -> str:
    from django.conf import settings
    from django.contrib.auth import get_user_model
    from django.test import Client

    user, _ = get_user_model().objects.get_or_create(
        username="load-staff", defaults={"is_staff": True, "is_superuser": True}
    )
    client = Client()
    client.force_login(user)
    return f"{settings.SESSION_COOKIE_NAME}={client.cookies[settings.SESSION_COOKIE_NAME].value}"


def remove_posted_requests() -> None:
    from appointments.models import Appointment

    Appointment.objects.filter(email__startswith="load-").delete()


def posted_requests() -> int:
    from appointments.models import Appointment

    return Appointment.objects.filter(email__startswith="load-").count()


def settled_count(count: Callable[[], int], timeout: float = 15) -> int:
    """`count()` once it stopped changing: the requests in flight when wrk stopped have landed."""
    deadline = time.monotonic() + timeout
    last = count()
    while time.monotonic() < deadline:
        time.sleep(0.5)
        now = count()
        if now == last:
            return now
        last = now
    return last
