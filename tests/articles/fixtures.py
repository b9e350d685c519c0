"""Fixtures for article tests; registered in tests/conftest.py so tests/e2e can use them too."""

import datetime
import itertools

import pytest
from django.core.management import call_command
from django.utils import timezone

from articles.markdown import render
from articles.models import Article, RiskFactor, Topic

RLS_SLUG = "restless-legs-syndrome-causes"
_numbers = itertools.count(1)


@pytest.fixture
def make_article(db):
    """Create an article, published and reviewed unless told otherwise."""

    def make(**fields):
        number = next(_numbers)
        topics = fields.pop("topics", [])
        risk_factors = fields.pop("risk_factors", [])
        references = fields.pop("references", [])
        defaults = {
            "title": f"Article {number}",
            "slug": f"article-{number}",
            "summary": "A short summary for patients.",
            "body": "## First section\n\nSome plain words about legs.\n",
            "status": Article.Status.PUBLISHED,
            "published_at": timezone.now() - datetime.timedelta(days=number),
            "reviewer_name": "Dr. Test Reviewer",
            "reviewer_credentials": "MD",
            "last_reviewed": timezone.localdate() - datetime.timedelta(days=10),
            "next_review_due": timezone.localdate() + datetime.timedelta(days=355),
        }
        article = Article.objects.create(**{**defaults, **fields})
        article.topics.set(topics)
        article.risk_factors.set(RiskFactor.objects.filter(slug__in=risk_factors))
        for position, reference in enumerate(references):
            article.references.create(position=position, **reference)
        return article

    return make


@pytest.fixture
def clinic_articles(db):
    """The clinic's own articles, loaded from content/articles/ as `make run` does."""
    call_command("load_articles", verbosity=0)
    return list(Article.objects.order_by("published_at"))


@pytest.fixture
def rls_article(clinic_articles):
    return Article.objects.get(slug=RLS_SLUG)


@pytest.fixture
def many_articles(db):
    """Create `count` live articles cheaply (bulk inserts), each with topics, risk factors and a reference."""

    def make(count):
        topic, _ = Topic.objects.get_or_create(
            slug="restless-legs-syndrome",
            defaults={"name": "Restless legs syndrome", "is_medical_condition": True},
        )
        factors = list(RiskFactor.objects.all()[:3])
        rendered = render("## Causes\n\nIron, pregnancy and kidney disease.\n\n## Treatment\n\nRest.\n")
        now = timezone.now()
        start = Article.objects.count()
        articles = Article.objects.bulk_create(
            Article(
                title=f"Bulk article {start + index}",
                slug=f"bulk-article-{start + index}",
                summary="Bulk summary about restless legs.",
                body="(bulk)",
                body_html=rendered.html,
                body_text=rendered.text,
                toc=rendered.toc,
                status=Article.Status.PUBLISHED,
                published_at=now - datetime.timedelta(hours=index + 1),
                reviewer_name="Dr. Bulk",
                last_reviewed=timezone.localdate(),
                next_review_due=timezone.localdate() + datetime.timedelta(days=365),
            )
            for index in range(count)
        )
        Article.topics.through.objects.bulk_create(
            Article.topics.through(article=article, topic=topic) for article in articles
        )
        Article.risk_factors.through.objects.bulk_create(
            Article.risk_factors.through(article=article, riskfactor=factor)
            for article in articles
            for factor in factors
        )
        Article.references.field.model.objects.bulk_create(
            Article.references.field.model(
                article=article, title="A source", source="A journal", url="https://example.org/"
            )
            for article in articles
        )
        return articles

    return make
