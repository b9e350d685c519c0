"""What every reader of an article page or of the article list sees, rendered once per content version.

The page cache (core/pagecache.py) sends whole pages to visitors without a session, one per
address. Everyone else gets the page rendered: a visitor with a session, a link with a tracking
query string, the first visitor after an edit, a process run with TRUFFLES_PAGE_CACHE=false. The
parts of those pages that do not depend on the request (an article's text, sources, structured data
and related articles; the list's topics, cards and page links) are kept in this process under the
content version, which every change to the articles' tables bumps in its own transaction, so an edit
shows at once. The call to action names a visit type, a schedule table: it is kept under the
schedule version.
"""

from collections.abc import Callable, Hashable
from dataclasses import dataclass
from typing import Any

from django.conf import settings
from django.template.loader import render_to_string
from django.urls import reverse
from django.utils import timezone
from django.utils.safestring import SafeString, mark_safe

from articles.models import Article, Topic
from articles.structured_data import article_json_ld, to_script_json
from core.models import Version
from core.pagecache import LocalCache, version_state

# Parts this process rendered, by version and what they are for (TRUFFLES_PAGE_PARTS_ENTRIES of them).
kept_parts: LocalCache[tuple[Hashable, ...], Any] = LocalCache(settings.TRUFFLES_PAGE_PARTS_ENTRIES)


def kept[Part](
    key: tuple[Hashable, ...], build: Callable[[], Part], versions: dict[str, Any], *, version: str = Version.CONTENT
) -> Part:
    """`build()`'s part for `key`, built once per `version` (from `versions`, core.pagecache.current_versions)."""
    state = version_state(version, timezone.now(), versions)
    if state is None:
        return build()  # no version to key it by: nothing kept
    full_key = (version, state[0], *key)
    part = kept_parts.get(full_key)
    if part is None:
        part = build()
        kept_parts.set(full_key, part)
    return part


@dataclass(frozen=True, slots=True, kw_only=True)
class ArticleParts:
    """One article's page as every reader sees it; the page's frame, nonce and call to action come per request."""

    # The article, its topics, risk factors and references prefetched: the page's title reads it.
    article: Article
    # Canonical address and Open Graph tags.
    head: SafeString
    # Home > Articles > this article.
    breadcrumbs: SafeString
    # schema.org JSON-LD, escaped to sit inside a <script> element.
    json_ld: SafeString
    # Heading, review line, table of contents, body and the risk factors covered.
    text: SafeString
    # References and review dates, under the call to action.
    sources: SafeString
    # The aside of related articles (empty without any).
    related: SafeString


def article_parts(article: Article, *, absolute: Callable[[str], str]) -> ArticleParts:
    """Render `article`'s parts (its topics, risk factors and references prefetched); `absolute` makes URLs whole."""
    topics, risk_factors = article.topics.all(), article.risk_factors.all()
    related = Article.objects.related_to(
        article, topic_ids=[topic.pk for topic in topics], risk_factor_ids=[factor.pk for factor in risk_factors]
    )
    page_url = absolute(article.get_absolute_url())
    data = article_json_ld(
        article,
        page_url=page_url,
        home_url=absolute(reverse("home")),
        list_url=absolute(reverse("articles:list")),
        clinic=settings.TRUFFLES_CLINIC,
        risk_factors=risk_factors,
        references=article.references.all(),
        topics=topics,
    )
    context = {
        "article": article,
        "clinic": settings.TRUFFLES_CLINIC,
        "canonical_url": page_url,
        "hero_image_url": absolute(article.hero_image.url) if article.hero_image else "",
        "related_articles": list(related),
    }
    return ArticleParts(
        article=article,
        head=render_to_string("articles/includes/article_head.html", context),
        breadcrumbs=render_to_string("articles/includes/breadcrumbs.html", context),
        json_ld=mark_safe(to_script_json(data)),  # noqa: S308 - to_script_json escapes <, > and &
        text=render_to_string("articles/includes/article_text.html", context),
        sources=render_to_string("articles/includes/article_sources.html", context),
        related=render_to_string("articles/includes/related_articles.html", context),
    )


def call_to_action(article: Article) -> SafeString:
    """The button to request the visit type `article` leads to (appointments resolves the slug)."""
    return render_to_string("articles/includes/call_to_action.html", {"article": article})


@dataclass(frozen=True, slots=True, kw_only=True)
class Listing:
    """The article list under the search form: topics, cards and page links."""

    # The topic the list is filtered by, named in the page's title and kept in its search form.
    topic: Topic | None
    html: SafeString
