"""Days in the clinic's time zone, written once: where a day starts, a range of days, months ahead, ages.

A local day is 23 or 25 hours long on the days the clocks change, so its bounds come from the zone,
never from adding 24 hours; every query "on these days" and every "at 8 am" goes through here.
"""

import calendar
from datetime import date, datetime, time, timedelta

from django.utils import timezone


def at_clinic_time(day: date, clock: time = time.min) -> datetime:
    """`day` at the clinic's wall-clock time `clock` (midnight by default), as an aware datetime."""
    return datetime.combine(day, clock, tzinfo=timezone.get_default_timezone())


def local_days(first: date, days: int = 1) -> tuple[datetime, datetime]:
    """Where `days` clinic days from `first` start and end."""
    return at_clinic_time(first), at_clinic_time(first + timedelta(days=days))


def months_after(day: date, months: int) -> date:
    """The same day `months` later (the month's last day when it is shorter): when a review falls due."""
    month_index = day.month - 1 + months
    year, month = day.year + month_index // 12, month_index % 12 + 1
    return day.replace(year=year, month=month, day=min(day.day, calendar.monthrange(year, month)[1]))


def age_on(born: date, day: date) -> int:
    """Whole years from `born` to `day`: the age a patient gives on that day."""
    return day.year - born.year - ((day.month, day.day) < (born.month, born.day))


def parse_typed_date(text: str) -> date | None:
    """A date as staff type it: 02/14/1968 (US order) or 1968-02-14; None when it is not one."""
    text = text.strip()
    for pattern in ("%m/%d/%Y", "%Y-%m-%d"):
        try:
            return datetime.strptime(text, pattern).date()
        except ValueError:
            continue
    return None
