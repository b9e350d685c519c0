"""Load the clinic's articles from Markdown files with front matter. Safe to run again.

An article whose file has not changed since it was last loaded is left alone, so edits staff
make in the admin survive `make run`; a changed file replaces the article's loaded fields. A file
whose text changed under the same reviewer and review date marks the article "needs review".
"""

import datetime
import hashlib
from pathlib import Path

import frontmatter
from django.conf import settings
from django.core.exceptions import ValidationError
from django.core.management.base import BaseCommand, CommandError
from django.db import transaction
from django.utils import timezone
from django.utils.dateparse import parse_datetime
from django.utils.text import slugify

from articles.models import Article, Reference, RiskFactor, Topic

CONTENT_DIR = settings.BASE_DIR / "content" / "articles"
ARTICLE_FIELDS = [
    "title", "summary", "status", "reviewer_name", "reviewer_credentials", "last_reviewed",
    "next_review_due", "seo_title", "seo_description",
]  # fmt: skip


class Command(BaseCommand):
    help = "Load articles from content/articles/*.md (Markdown with front matter). Idempotent."

    def add_arguments(self, parser):
        parser.add_argument("--directory", type=Path, default=CONTENT_DIR)

    def handle(self, *args, directory, **options):
        paths = sorted(directory.glob("*.md"))
        if not paths:
            raise CommandError(f"No articles found in {directory}.")
        outcomes = {"created": 0, "updated": 0, "unchanged": 0}
        for path in paths:
            try:
                outcome = load_article(path)
            except (ValidationError, KeyError, ValueError) as error:
                raise CommandError(f"{path.name}: {error}") from error
            outcomes[outcome] += 1
        summary = ", ".join(f"{count} {outcome}" for outcome, count in outcomes.items())
        self.stdout.write(f"Articles from {directory.name}/: {summary}.")


@transaction.atomic
def load_article(path: Path) -> str:
    """Create or update the article in `path`; return "created", "updated" or "unchanged"."""
    raw = path.read_bytes()
    digest = hashlib.sha256(raw).hexdigest()
    post = frontmatter.loads(raw.decode("utf-8"))
    meta = post.metadata
    slug = meta.get("slug", path.stem)
    article = Article.objects.filter(slug=slug).first()
    if article and article.source_digest == digest:
        return "unchanged"

    created = article is None
    article = article or Article(slug=slug)
    review_before = (article.reviewer_name, article.reviewer_credentials, article.last_reviewed)
    reviewer = meta.get("reviewer", {})
    values = {
        **{field: meta.get(field, "") for field in ARTICLE_FIELDS},
        "status": meta.get("status", Article.Status.PUBLISHED),
        "reviewer_name": reviewer.get("name", ""),
        "reviewer_credentials": reviewer.get("credentials", ""),
        "last_reviewed": _date(meta.get("last_reviewed")),
        "next_review_due": _date(meta.get("next_review_due")),
    }
    for field, value in values.items():
        setattr(article, field, value)
    article.visit_type = meta.get("visit_type", "")
    article.body = post.content
    article.published_at = _datetime(meta.get("published_at"))
    article.source_digest = digest
    if created or review_before != (article.reviewer_name, article.reviewer_credentials, article.last_reviewed):
        # The file records a (new) review; a changed text under the same review needs another one.
        article.record_review()
    article.full_clean()
    article.save()

    _set_relations(article, meta)
    return "created" if created else "updated"


def _set_relations(article: Article, meta: dict) -> None:
    """The article's topics, risk factors and references, as the front matter lists them."""
    article.topics.set([_topic(entry) for entry in meta.get("topics", [])])
    factor_slugs = meta.get("risk_factors", [])
    factors = list(RiskFactor.objects.filter(slug__in=factor_slugs))
    if unknown := set(factor_slugs) - {factor.slug for factor in factors}:
        raise ValidationError(f"unknown risk factor slugs: {', '.join(sorted(unknown))}")
    article.risk_factors.set(factors)
    article.references.all().delete()
    for position, entry in enumerate(meta.get("references", [])):
        reference = Reference(
            article=article, position=position, title=entry["title"], source=entry.get("source", ""),
            url=entry.get("url", ""), doi=entry.get("doi", ""), pmid=str(entry.get("pmid", "")),
            accessed_on=_date(entry.get("accessed")),
        )  # fmt: skip
        reference.full_clean()
        reference.save()


def _topic(entry):
    """A topic from front matter: a name, or a mapping with name and condition details."""
    entry = {"name": entry} if isinstance(entry, str) else entry
    topic, _ = Topic.objects.update_or_create(
        slug=entry.get("slug") or slugify(entry["name"]),
        defaults={
            "name": entry["name"],
            "is_medical_condition": entry.get("condition", False),
            "alternate_name": entry.get("alternate_name", ""),
        },
    )
    return topic


def _date(value):
    if value in (None, ""):
        return None
    if isinstance(value, datetime.date):
        return value
    return datetime.date.fromisoformat(str(value))


def _datetime(value):
    if value in (None, ""):
        return None
    if isinstance(value, datetime.datetime):
        moment = value
    elif isinstance(value, datetime.date):
        moment = datetime.datetime.combine(value, datetime.time(9))
    else:
        moment = parse_datetime(str(value))
        if moment is None:
            raise ValueError(f"not a date and time: {value!r}")
    return moment if timezone.is_aware(moment) else timezone.make_aware(moment)
