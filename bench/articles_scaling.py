"""How the article pages scale: run with `.venv/bin/python bench/articles_scaling.py`.

Creates its own database (`<name>_articles_bench`) on the configured server, fills it with 300 and
then 3,000 published articles (one in ten mentions "iron"), and prints query counts, median times
and the 3,000/300 ratios for the list, a search and an article page.
"""

import datetime
import os
import statistics
import sys
import time
from pathlib import Path

BASE_DIR = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(BASE_DIR))
os.environ.setdefault("DJANGO_SECRET_KEY", "bench-only-key")
os.environ.setdefault("DJANGO_SECURE_SSL_REDIRECT", "false")
os.environ.setdefault("DJANGO_ALLOWED_HOSTS", "testserver")
os.environ["DJANGO_SETTINGS_MODULE"] = "truffles.settings"

import django  # noqa: E402

django.setup()

from django.conf import settings  # noqa: E402
from django.core.management import call_command  # noqa: E402
from django.db import connection, connections  # noqa: E402
from django.test import Client  # noqa: E402
from django.test.utils import override_settings, setup_test_environment  # noqa: E402
from django.utils import timezone  # noqa: E402

REPEAT = 15
SIZES = [300, 3000]
WORDS = ["veins", "legs", "evening", "sleep", "doctor", "walk", "stretch", "calf", "ankle", "night", "rest", "move"]


def use_bench_database():
    bench_name = f"{settings.DATABASES['default']['NAME']}_articles_bench"
    with connection.cursor() as cursor:
        cursor.execute("SELECT 1 FROM pg_database WHERE datname = %s", [bench_name])
        if cursor.fetchone() is None:
            cursor.execute(f'CREATE DATABASE "{bench_name}"')
    connections["default"].close()
    settings.DATABASES["default"]["NAME"] = bench_name
    connections["default"].settings_dict["NAME"] = bench_name
    call_command("migrate", verbosity=0)
    call_command("load_articles", verbosity=0)


def fill(total):
    from articles.markdown import render
    from articles.models import Article, RiskFactor, Topic

    existing = Article.objects.count()
    if existing >= total:
        return
    topic = Topic.objects.get(slug="restless-legs-syndrome")
    factors = list(RiskFactor.objects.all()[:4])
    now, today = timezone.now(), timezone.localdate()
    articles = []
    for index in range(existing, total):
        words = " ".join(WORDS[(index + offset) % len(WORDS)] for offset in range(400))
        extra = " Low iron stores are common." if index % 10 == 0 else ""
        rendered = render(f"## Section\n\n{words}{extra}\n")
        articles.append(
            Article(
                title=f"Bench article {index}", slug=f"bench-article-{index}", summary="About legs at night.",
                body="(bench)", body_html=rendered.html, body_text=rendered.text, toc=rendered.toc,
                status=Article.Status.PUBLISHED, published_at=now - datetime.timedelta(minutes=index + 1),
                reviewer_name="Bench Reviewer", last_reviewed=today,
                next_review_due=today + datetime.timedelta(days=365),
            )
        )  # fmt: skip
    created = Article.objects.bulk_create(articles, batch_size=500)
    Article.topics.through.objects.bulk_create(Article.topics.through(article=a, topic=topic) for a in created)
    Article.risk_factors.through.objects.bulk_create(
        Article.risk_factors.through(article=a, riskfactor=f) for a in created for f in factors
    )
    with connection.cursor() as cursor:
        cursor.execute("ANALYZE articles_article")


def measure(client, url):
    queries = []

    def count(execute, sql, params, many, context):
        queries.append(sql)
        return execute(sql, params, many, context)

    with connection.execute_wrapper(count):
        response = client.get(url)
    assert response.status_code == 200, (url, response.status_code)
    timings = []
    for _ in range(REPEAT):
        start = time.perf_counter()
        client.get(url)
        timings.append(time.perf_counter() - start)
    return len(queries), statistics.median(timings) * 1000


def main():
    setup_test_environment()
    # Pages render as in production except that static URLs need no collected manifest.
    plain_static = {"BACKEND": "django.contrib.staticfiles.storage.StaticFilesStorage"}
    override_settings(STORAGES={**settings.STORAGES, "staticfiles": plain_static}).enable()
    use_bench_database()
    client = Client()
    pages = {
        "list": "/articles/",
        "search 'iron'": "/articles/?q=iron",
        "search, no hits": "/articles/?q=zebrafish",
        "article": "/articles/restless-legs-syndrome-causes/",
    }
    results = {}
    for size in SIZES:
        fill(size)
        results[size] = {name: measure(client, url) for name, url in pages.items()}
    small, large = SIZES
    print(f"{'page':<18}" + "".join(f"{f'{size} articles':>26}" for size in SIZES) + f"{'time ratio':>12}")
    for name in pages:
        cells = "".join(
            f"{f'{results[size][name][0]} queries, {results[size][name][1]:6.1f} ms':>26}" for size in SIZES
        )
        print(f"{name:<18}{cells}{results[large][name][1] / results[small][name][1]:>11.2f}x")


if __name__ == "__main__":
    main()
