"""Full-text search over published articles, ranked title > summary > body, with snippets."""

import re

from django.contrib.postgres.search import SearchHeadline, SearchQuery, SearchRank
from django.db.models import F

from articles.models import SEARCH_CONFIG

# Control characters never appear in article text, so these markers cannot be forged by content;
# the `highlighted` filter escapes the snippet and turns only them into <mark> tags.
HIGHLIGHT_START = "\x02"
HIGHLIGHT_STOP = "\x03"
MAX_TERMS_LENGTH = 200
CONTROL_CHARACTERS = re.compile(r"[\x00-\x1f\x7f-\x9f]")


def reader_terms(raw: str) -> str:
    """What the reader typed, fit for a query: PostgreSQL refuses NUL, and no other control
    character means anything in a search, so they become spaces; long input is cut."""
    return " ".join(CONTROL_CHARACTERS.sub(" ", raw).split())[:MAX_TERMS_LENGTH]


def search(queryset, terms):
    """Articles matching the reader's words, best first, each with a highlighted `snippet`."""
    query = SearchQuery(terms, search_type="websearch", config=SEARCH_CONFIG)
    return (
        queryset.filter(search_vector=query)
        .annotate(
            rank=SearchRank(F("search_vector"), query),
            snippet=SearchHeadline(
                "body_text",
                query,
                config=SEARCH_CONFIG,
                start_sel=HIGHLIGHT_START,
                stop_sel=HIGHLIGHT_STOP,
                max_words=30,
                min_words=12,
                max_fragments=2,
                fragment_delimiter=" … ",
            ),
        )
        .order_by("-rank", "-published_at", "pk")
    )
