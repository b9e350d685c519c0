"""The appointment list's filters, each defaulting to what the front desk works on."""

from datetime import timedelta

from django.contrib import admin
from django.utils import timezone

from appointments.models import Appointment


class DefaultChoiceFilter(admin.SimpleListFilter):
    """A filter whose "no choice" is a named default (DEFAULT_LABEL) instead of "All"."""

    DEFAULT_LABEL = ""

    def choices(self, changelist):
        yield {
            "selected": self.value() is None,
            "query_string": changelist.get_query_string(remove=[self.parameter_name]),
            "display": self.DEFAULT_LABEL,
        }
        for lookup, title in self.lookup_choices:
            yield {
                "selected": self.value() == str(lookup),
                "query_string": changelist.get_query_string({self.parameter_name: lookup}),
                "display": title,
            }


class WhenFilter(DefaultChoiceFilter):
    """Defaults to what the front desk works on: requests and today onwards (past visits on demand).

    The default also keeps the list fast with years of history: the rows it sorts come
    from two index scans instead of the whole table.
    """

    title = "when"
    parameter_name = "when"
    DEFAULT_LABEL = "Requests and upcoming"

    def lookups(self, request, model_admin):
        return [("today", "Today"), ("week", "This week"), ("upcoming", "Upcoming"), ("past", "Past"),
                ("all", "All time")]

    def queryset(self, request, queryset):
        now, today = timezone.now(), timezone.localdate()
        when = {
            None: queryset.front_desk_default,
            "today": lambda: queryset.on_local_days(today),
            "week": lambda: queryset.on_local_days(today - timedelta(days=today.weekday()), 7),
            "upcoming": lambda: queryset.filter(starts_at__gte=now),
            "past": lambda: queryset.filter(starts_at__lt=now),
        }
        return when.get(self.value(), lambda: queryset)()


class StatusFilter(DefaultChoiceFilter):
    """Cancelled, declined and expired visits need nothing more from the desk: hidden unless asked for."""

    title = "status"
    parameter_name = "status"
    DEFAULT_LABEL = "All but cancelled, declined and expired"

    def lookups(self, request, model_admin):
        return [("all", "All, with cancelled, declined and expired"), *Appointment.Status.choices]

    def queryset(self, request, queryset):
        if self.value() is None:
            return queryset.on_schedule()
        if self.value() in Appointment.Status.values:
            return queryset.filter(status=self.value())
        return queryset


class NeedsTriageFilter(admin.SimpleListFilter):
    title = "triage"
    parameter_name = "triage"

    def lookups(self, request, model_admin):
        return [("needed", "Needs triage"), ("attendance", "Attendance not recorded")]

    def queryset(self, request, queryset):
        if self.value() == "needed":
            return queryset.awaiting_triage()
        if self.value() == "attendance":
            return queryset.attendance_unrecorded()
        return queryset
