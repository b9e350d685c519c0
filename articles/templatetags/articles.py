from django import template
from django.utils.html import escape
from django.utils.safestring import mark_safe

from articles.models import Article
from articles.search import HIGHLIGHT_START, HIGHLIGHT_STOP

register = template.Library()


@register.filter
def highlighted(snippet):
    """A search snippet as HTML: its text escaped, only the matched words wrapped in <mark>."""
    escaped = escape(snippet or "")
    return mark_safe(  # noqa: S308 - everything but our own markers was escaped above
        escaped.replace(HIGHLIGHT_START, "<mark>").replace(HIGHLIGHT_STOP, "</mark>")
    )


# Letters whose spoken name starts with a vowel sound: "an RLS consultation", "an MRI".
_VOWEL_SOUND_LETTERS = set("AEFHILMNORSX")


@register.filter
def with_indefinite_article(name):
    """'Vein evaluation' -> 'a vein evaluation', 'RLS consultation' -> 'an RLS consultation'."""
    if not name:
        return ""
    first_word = name.split(" ", 1)[0]
    if first_word.isupper():  # an abbreviation is read letter by letter and keeps its capitals
        return f"{'an' if first_word[0] in _VOWEL_SOUND_LETTERS else 'a'} {name}"
    return f"{'an' if first_word[:1].lower() in 'aeiou' else 'a'} {name[:1].lower()}{name[1:]}"


@register.simple_tag
def articles_needing_review(request):
    """The admin index's count of articles the reviewing physician must look at; None without access."""
    if not request.user.has_perm("articles.view_article"):
        return None
    return Article.objects.needing_review().count()
