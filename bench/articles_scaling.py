"""How the article pages scale when rendered: run with `.venv/bin/python bench/articles_scaling.py`.

Creates its own database (`<name>_articles_bench`) on the configured server, fills it with 300 and
then 3,000 published articles (one in ten mentions "iron"), and prints each page's queries and median
time with the page cache off, so every request renders: built afresh, as for the first reader after an
edit (nothing kept), and with its parts kept per content version (articles/pages.py), as for every
later reader until the next edit; then the 3,000/300 time ratios. Versions come from the listener, as
in production.
"""

import datetime
import os

from common import measure, setup_django, use_bench_database

os.environ["TRUFFLES_PAGE_CACHE"] = "false"  # a stored page would answer instead of the render measured here
os.environ.setdefault("DJANGO_LOG_LEVEL", "WARNING")  # as bench/load.py's servers: no request lines on the console
setup_django()

from django.db import connection  # noqa: E402
from django.test import Client  # noqa: E402
from django.utils import timezone  # noqa: E402

SIZES = [300, 3000]
WORDS = ["veins", "legs", "evening", "sleep", "doctor", "walk", "stretch", "calf", "ankle", "night", "rest", "move"]


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


PAGES = {
    "list": "/articles/",
    "search 'iron'": "/articles/?q=iron",
    "search, no hits": "/articles/?q=zebrafish",
    "article": "/articles/restless-legs-syndrome-causes/",
}
WAYS = ["afresh", "kept"]


def measure_pages(client):
    """{(page, way): (queries, median ms)}: afresh empties the kept parts before each request."""
    from articles.pages import kept_parts

    results = {}
    for name, url in PAGES.items():
        results[name, "afresh"] = measure(client, url, before=kept_parts.clear)
        results[name, "kept"] = measure(client, url)
    return results


def print_table(results):
    small, large = SIZES
    columns = [(size, way) for size in SIZES for way in WAYS]
    heading = "".join(f"{f'{size:,} {way}':>22}" for size, way in columns)
    print(f"{'page':<18}{heading}  time ratio (afresh, kept)")
    for name in PAGES:
        cells = "".join(f"{'{} q, {:6.2f} ms'.format(*results[size][name, way]):>22}" for size, way in columns)
        ratios = ", ".join(f"{results[large][name, way][1] / results[small][name, way][1]:.2f}x" for way in WAYS)
        print(f"{name:<18}{cells}  {ratios}")


def main():
    use_bench_database("articles_bench")
    from django.core.management import call_command

    call_command("load_articles", verbosity=0)
    client = Client()
    results = {}
    for size in SIZES:
        fill(size)
        results[size] = measure_pages(client)
    print_table(results)


if __name__ == "__main__":
    main()
