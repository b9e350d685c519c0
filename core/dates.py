"""Dates as American patients read them: "Monday, December 7" and "November 17, 2026".

One place for every patient page, email, text message and calendar file: templates use the
filters of the same names (core/templatetags/us_dates.py, built in, no {% load %} needed);
Python code (email subjects, SMS texts) calls these functions. Staff pages keep DATE_FORMAT.
"""

import datetime

from django.utils import dateformat, timezone

DateOrTime = datetime.date | datetime.datetime


def _local(value: DateOrTime) -> DateOrTime:
    # An aware time is read in the clinic's zone: a 9 PM visit is not "tomorrow" in UTC.
    if isinstance(value, datetime.datetime) and timezone.is_aware(value):
        return timezone.localtime(value)
    return value


def weekday_date(value: DateOrTime) -> str:
    """"Monday, December 7": a visit's day, when the year goes without saying."""
    return dateformat.format(_local(value), "l, F j")


def us_date(value: DateOrTime) -> str:
    """"November 17, 2026": publication and review dates."""
    return dateformat.format(_local(value), "F j, Y")


def weekday_us_date(value: DateOrTime) -> str:
    """"Monday, December 7, 2026": a visit's day in full."""
    return dateformat.format(_local(value), "l, F j, Y")


def short_weekday_date(value: DateOrTime) -> str:
    """"Mon, Dec 7": where space is short (buttons, week headings)."""
    return dateformat.format(_local(value), "D, M j")


def clock_time(value: DateOrTime) -> str:
    """"9:30 AM"."""
    return dateformat.time_format(_local(value), "g:i A")


def visit_moment(value: datetime.datetime) -> str:
    """"Monday, December 7 at 9:30 AM": the day and time of a visit in one phrase."""
    return f"{weekday_date(value)} at {clock_time(value)}"


def short_us_date(value: DateOrTime) -> str:
    """"Dec 13, 2026": the end of a week's range."""
    return dateformat.format(_local(value), "M j, Y")


def short_date(value: DateOrTime) -> str:
    """"Dec 7": the start of a week's range."""
    return dateformat.format(_local(value), "M j")
