from django import template

from appointments.insights import percent

register = template.Library()


@register.inclusion_tag("admin/appointments/insights/chart.html")
def insights_chart(bars, title, id):
    """A bar chart as accessible SVG: 30 px a bar, named by its title and described bar by bar."""
    return {"bars": bars, "title": title, "id": id, "height": max(len(bars), 1) * 30 + 10}


@register.filter
def as_percent(rate):
    return percent(rate)
