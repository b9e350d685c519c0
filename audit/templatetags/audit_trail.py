from django import template

register = template.Library()


@register.simple_tag
def describe(entry, status_labels):
    return entry.describe(status_labels)
