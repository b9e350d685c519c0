"""How the article pages scale: run with `.venv/bin/python bench/articles_scaling.py`.

Creates its own database (`<name>_articles_bench`) on the configured server, fills it with 300 and
then 3,000 published articles (one in ten mentions "iron"), and prints query counts, median times
and the 3,000/300 ratios for the list, a search and an article page.
"""

import datetime

from common import measure, setup_django, use_bench_database

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


def main():
    use_bench_database("articles_bench")
    from django.core.management import call_command

    call_command("load_articles", verbosity=0)
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
