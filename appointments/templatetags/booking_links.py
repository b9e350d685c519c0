from django import template

from appointments.models import VisitType

register = template.Library()


@register.simple_tag
def online_visit_type(slug):
    """The visit type an article's call to action books (articles name it by slug), or None."""
    if not slug:
        return None
    return VisitType.objects.filter(slug=slug, bookable_online=True).first()
