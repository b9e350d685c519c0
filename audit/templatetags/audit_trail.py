from django import template

register = template.Library()


@register.simple_tag
def describe(entry, status_labels, field_labels=None):
    return entry.describe(status_labels, field_labels)
