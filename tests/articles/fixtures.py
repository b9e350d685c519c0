"""Fixtures for article tests; registered in tests/conftest.py so tests/e2e can use them too."""

import datetime
import itertools
from dataclasses import dataclass

import pytest
from django.core.management import call_command
from django.db import models, transaction
from django.utils import timezone

from articles.markdown import render
from articles.models import Article, Reference, RiskFactor, Topic

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


@dataclass(frozen=True)
class LoadedArticle:
    """One article as load_articles wrote it: its fields, its links by slug, its references' fields."""

    fields: dict
    topics: list[str]
    risk_factors: list[str]
    references: list[dict]


def field_values(row: models.Model, leave_out: tuple[str, ...] = ()) -> dict:
    """What a row holds, ready to create it again (no primary key, no generated column)."""
    fields = type(row)._meta.concrete_fields
    return {f.attname: f.value_from_object(row) for f in fields if not (f.primary_key or f.generated)
            and f.attname not in leave_out}  # fmt: skip


@pytest.fixture(scope="session")
def loaded_clinic_articles(django_db_setup, django_db_blocker) -> tuple[list[dict], list[LoadedArticle]]:
    """load_articles run once per test process and rolled back: parsing and checking the files takes a second."""
    with django_db_blocker.unblock(), transaction.atomic():
        call_command("load_articles", verbosity=0)
        topics = [field_values(topic) for topic in Topic.objects.filter(articles__isnull=False).distinct()]
        articles = [
            LoadedArticle(
                field_values(article),
                [topic.slug for topic in article.topics.all()],
                [factor.slug for factor in article.risk_factors.all()],
                [field_values(reference, leave_out=("article_id",)) for reference in article.references.all()],
            )
            for article in Article.objects.all()
        ]
        transaction.set_rollback(True)
    return topics, articles


@pytest.fixture
def clinic_articles(db, loaded_clinic_articles):
    """The clinic's own articles, as `make run` loads them from content/articles/, in a few inserts."""
    topic_rows, loaded = loaded_clinic_articles
    for fields in topic_rows:
        Topic.objects.update_or_create(slug=fields["slug"], defaults=fields)
    articles = Article.objects.bulk_create(Article(**article.fields) for article in loaded)
    link_articles(list(zip(articles, loaded, strict=True)))
    return list(Article.objects.order_by("published_at"))


def link_articles(pairs: list[tuple[Article, LoadedArticle]]) -> None:
    topics = {topic.slug: topic for topic in Topic.objects.all()}
    factors = {factor.slug: factor for factor in RiskFactor.objects.all()}
    Article.topics.through.objects.bulk_create(
        Article.topics.through(article=article, topic=topics[slug]) for article, loaded in pairs
        for slug in loaded.topics
    )  # fmt: skip
    Article.risk_factors.through.objects.bulk_create(
        Article.risk_factors.through(article=article, riskfactor=factors[slug]) for article, loaded in pairs
        for slug in loaded.risk_factors
    )  # fmt: skip
    Reference.objects.bulk_create(
        Reference(article=article, **fields) for article, loaded in pairs for fields in loaded.references
    )


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
        articles = Article.objects.bulk_create(bulk_articles(count, start=Article.objects.count()))
        factors = list(RiskFactor.objects.all()[:3])
        Article.topics.through.objects.bulk_create(
            Article.topics.through(article=article, topic=topic) for article in articles
        )
        Article.risk_factors.through.objects.bulk_create(
            Article.risk_factors.through(article=article, riskfactor=factor)
            for article in articles
            for factor in factors
        )
        Reference.objects.bulk_create(
            Reference(article=article, title="A source", source="A journal", url="https://example.org/")
            for article in articles
        )
        return articles

    return make


def bulk_articles(count: int, start: int) -> list[Article]:
    """Live, reviewed articles rendered once (bulk_create skips save(), which renders each body)."""
    rendered = render("## Causes\n\nIron, pregnancy and kidney disease.\n\n## Treatment\n\nRest.\n")
    now = timezone.now()
    return [
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
    ]
