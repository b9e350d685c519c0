"""What can be booked: locations, visit types, specialists, their working hours and closures."""

from datetime import date, datetime, timedelta
from typing import Self

from django.db import models
from django.db.models import Func, Q
from django.db.models.expressions import RawSQL

from core.days import local_days


class TsTzRange(Func):
    function = "TSTZRANGE"
    output_field = models.DateTimeField()


class Location(models.Model):
    name = models.CharField(max_length=120)
    address = models.TextField()
    phone = models.CharField(max_length=40)
    email = models.EmailField()

    def __str__(self):
        return self.name


class VisitTypeQuerySet(models.QuerySet):
    def with_schedule_version(self):
        """Each visit type with the current schedule version (bumped by database triggers), in the same query."""
        return self.annotate(
            schedule_version=RawSQL("SELECT number FROM truffles_version WHERE name = 'schedule'", ())
        )


class VisitType(models.Model):
    name = models.CharField(max_length=120)
    slug = models.SlugField(max_length=60, unique=True)
    description = models.TextField(blank=True)
    duration = models.DurationField(help_text="Length of the visit, e.g. 00:45:00.")
    buffer_after = models.DurationField(
        default=timedelta(0), help_text="Time kept free after the visit for notes and cleaning."
    )
    bookable_online = models.BooleanField(default=True, help_text="Off: staff can book it, patients cannot.")
    position = models.PositiveSmallIntegerField(default=0)

    objects = VisitTypeQuerySet.as_manager()

    class Meta:
        ordering = ["position", "name"]
        constraints = [
            models.CheckConstraint(condition=Q(duration__gt=timedelta(0)), name="visit_type_positive_duration"),
        ]

    def __str__(self):
        return self.name

    @property
    def duration_minutes(self) -> int:
        return int(self.duration.total_seconds() // 60)


class ProviderQuerySet(models.QuerySet):
    def offering(self, visit_type):
        return self.filter(active=True, visit_types=visit_type)


class Provider(models.Model):
    name = models.CharField(max_length=120)
    credentials = models.CharField(max_length=60, blank=True, help_text="e.g. MD, RPVI")
    bio = models.TextField(blank=True)
    active = models.BooleanField(default=True)
    visit_types = models.ManyToManyField(VisitType, related_name="providers", blank=True)

    objects = ProviderQuerySet.as_manager()

    class Meta:
        ordering = ["name"]

    def __str__(self):
        return f"{self.name}, {self.credentials}" if self.credentials else self.name


class WorkingHours(models.Model):
    """One block of a provider's week at a location; several blocks a day make breaks."""

    class Weekday(models.IntegerChoices):
        MONDAY = 0, "Monday"
        TUESDAY = 1, "Tuesday"
        WEDNESDAY = 2, "Wednesday"
        THURSDAY = 3, "Thursday"
        FRIDAY = 4, "Friday"
        SATURDAY = 5, "Saturday"
        SUNDAY = 6, "Sunday"

    provider = models.ForeignKey(Provider, on_delete=models.CASCADE, related_name="working_hours")
    location = models.ForeignKey(Location, on_delete=models.CASCADE, related_name="working_hours")
    weekday = models.PositiveSmallIntegerField(choices=Weekday.choices)
    starts_at = models.TimeField()
    ends_at = models.TimeField()

    class Meta:
        ordering = ["provider", "weekday", "starts_at"]
        verbose_name_plural = "working hours"
        constraints = [
            models.CheckConstraint(condition=Q(ends_at__gt=models.F("starts_at")), name="hours_end_after_start"),
        ]

    def __str__(self):
        return f"{self.get_weekday_display()} {self.starts_at:%H:%M}–{self.ends_at:%H:%M}"


class ClosureQuerySet(models.QuerySet):
    def overlapping(self, start: datetime, end: datetime) -> Self:
        return self.filter(starts_at__lt=end, ends_at__gt=start)

    def close_clinic_on(self, day: date, reason: str) -> bool:
        """Close the whole clinic for one local day (a holiday), once: keyed by the day, not its name, so
        running a holiday command again, or two of them, adds nothing. True when the closure is new."""
        starts_at, ends_at = local_days(day)
        _, created = self.get_or_create(
            provider=None, starts_at=starts_at, defaults={"ends_at": ends_at, "reason": reason}
        )
        return created


class Closure(models.Model):
    """Time nobody (or one provider) can be booked: holidays, training, time off."""

    provider = models.ForeignKey(
        Provider, on_delete=models.CASCADE, null=True, blank=True, related_name="closures",
        help_text="Leave empty to close the whole clinic.",
    )
    starts_at = models.DateTimeField()
    ends_at = models.DateTimeField()
    reason = models.CharField(max_length=200)

    objects = ClosureQuerySet.as_manager()

    class Meta:
        ordering = ["starts_at"]
        constraints = [
            models.CheckConstraint(condition=Q(ends_at__gt=models.F("starts_at")), name="closure_end_after_start"),
        ]

    def __str__(self):
        who = self.provider.name if self.provider_id else "Whole clinic"
        return f"{who}: {self.reason}"
