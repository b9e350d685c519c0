"""Markdown to safe HTML, once, when an article is saved.

Staff write Markdown in the admin and content files may carry raw HTML: everything passes
through nh3 with a short allow-list, so a `<script>` or an `onerror=` never reaches a reader.
"""

import html
import math
import re
from dataclasses import dataclass, field

import markdown
import nh3
from markdown.extensions.toc import slugify

WORDS_PER_MINUTE = 200

ALLOWED_TAGS = {
    "a", "abbr", "b", "blockquote", "br", "code", "dd", "del", "dl", "dt", "em", "figcaption", "figure",
    "h2", "h3", "h4", "h5", "h6", "hr", "i", "img", "li", "ol", "p", "pre", "strong", "sub", "sup",
    "table", "tbody", "td", "tfoot", "th", "thead", "tr", "ul",
}  # fmt: skip
ALLOWED_ATTRIBUTES = {
    "a": {"href", "title"},
    "abbr": {"title"},
    "img": {"src", "alt", "title", "width", "height"},
    "th": {"scope"},
    **{f"h{level}": {"id"} for level in range(2, 7)},
}
URL_SCHEMES = {"http", "https", "mailto", "tel"}
# Section anchors start with this, so a heading can never take an id the page itself uses ("main", "toc-title").
HEADING_ID_PREFIX = "sec-"
HEADINGS = {f"h{level}" for level in range(2, 7)}
CONTROL_CHARACTERS = re.compile(r"[\x00-\x08\x0b\x0c\x0e-\x1f\x7f]")


@dataclass(frozen=True)
class Rendered:
    html: str
    text: str
    toc: list = field(default_factory=list)
    reading_minutes: int = 1


def render(source: str) -> Rendered:
    converter = markdown.Markdown(
        extensions=["toc", "tables", "sane_lists", "smarty"],
        extension_configs={"toc": {"toc_depth": "1-3", "slugify": _heading_id}},
        output_format="html",
    )
    raw = converter.convert(source or "")
    # The page title is the only h1: a "# Heading" in the body becomes a section heading.
    raw = re.sub(r"<(/?)h1\b", r"<\1h2", raw)
    safe = nh3.clean(
        raw,
        tags=ALLOWED_TAGS,
        clean_content_tags={"script", "style", "iframe", "object", "template"},
        attributes=ALLOWED_ATTRIBUTES,
        url_schemes=URL_SCHEMES,
        attribute_filter=_allowed_value,
    )
    text = plain_text(safe)
    words = len(text.split())
    return Rendered(
        html=safe,
        text=text,
        toc=_sections(converter.toc_tokens),
        reading_minutes=max(1, math.ceil(words / WORDS_PER_MINUTE)),
    )


def _heading_id(value: str, separator: str) -> str:
    return HEADING_ID_PREFIX + slugify(value, separator)


def _allowed_value(tag: str, attribute: str, value: str) -> str | None:
    """Drop images from other sites (the CSP blocks them, and they would tell a third party who reads
    what); give raw-HTML heading ids the section prefix too."""
    if tag == "img" and attribute == "src":
        return value if _is_relative(value) else None
    if tag in HEADINGS and attribute == "id" and not value.startswith(HEADING_ID_PREFIX):
        return HEADING_ID_PREFIX + value
    return value


def _is_relative(url: str) -> bool:
    """A path on our own site: no scheme, no host (browsers read "/\\host" like "//host")."""
    # Browsers ignore tabs and line breaks inside a URL ("ht\ttps:" is "https:") and trim the ends.
    url = re.sub(r"[\t\n\r]", "", url).strip()
    return bool(url) and "\\" not in url and not url.startswith("//") and not re.match(r"[a-zA-Z][\w+.-]*:", url)


def plain_text(fragment: str) -> str:
    """The words of an HTML fragment, for the search index and reading time."""
    with_breaks = re.sub(r"</(p|li|h[1-6]|td|th|blockquote|pre)>", r" \g<0>\n", fragment)
    text = html.unescape(nh3.clean(with_breaks, tags=set()))
    # Control characters carry no meaning for readers and are reserved for search highlighting.
    return " ".join(CONTROL_CHARACTERS.sub(" ", text).split())


def _sections(tokens):
    """Sections (h1/h2) with their subsections (h3), as the table of contents shows them."""
    sections = []

    def walk(nodes):
        for node in nodes:
            entry = {"id": node["id"], "name": html.unescape(node["name"])}
            if node["level"] <= 2 or not sections:
                sections.append({**entry, "children": []})
            else:
                sections[-1]["children"].append(entry)
            walk(node["children"])

    walk(tokens)
    return sections
