from django import template
from django.utils.html import escape
from django.utils.safestring import mark_safe

from articles.search import HIGHLIGHT_START, HIGHLIGHT_STOP

register = template.Library()


@register.filter
def highlighted(snippet):
    """A search snippet as HTML: its text escaped, only the matched words wrapped in <mark>."""
    escaped = escape(snippet or "")
    return mark_safe(  # noqa: S308 - everything but our own markers was escaped above
        escaped.replace(HIGHLIGHT_START, "<mark>").replace(HIGHLIGHT_STOP, "</mark>")
    )
