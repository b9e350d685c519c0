"""Template filters for US dates (built in: see TEMPLATES in settings); the wording lives in core/dates.py."""

from django import template

from core import dates

register = template.Library()

for _name in [
    "weekday_date", "us_date", "weekday_us_date", "short_weekday_date", "short_date", "short_us_date", "clock_time",
    "visit_moment",
]:
    _function = getattr(dates, _name)

    def _filter(value, _function=_function):
        return _function(value) if value not in (None, "") else ""

    register.filter(_name, _filter, expects_localtime=True)
