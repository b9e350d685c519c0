"""Who waits for an earlier time, the times that free up, and the offers made of them.

An `Opening` is a stretch of a specialist's day that became free (a cancellation, a decline, a move,
new working hours, a closure removed). The worker offers the times in it to `WaitlistEntry` rows in
a fair order (README, "The waitlist"); each `Offer` names one start time and holds for a while.
"""

from datetime import datetime, timedelta

from django.conf import settings
from django.contrib.postgres.fields import ArrayField
from django.db import models
from django.db.models import OuterRef, Q, Subquery
from django.urls import reverse
from django.utils import timezone
from django.utils.crypto import constant_time_compare, salted_hmac

from appointments.models import Appointment, Location, Message, Provider, WorkingHours

WEEKDAY_NAMES = dict(WorkingHours.Weekday.choices)
# Where a morning ends for "mornings only" and "afternoons only" (clinic time).
NOON = 12


class WaitlistEntryQuerySet(models.QuerySet):
    def waiting(self):
        return self.filter(state=WaitlistEntry.State.WAITING)

    def in_fair_order(self):
        """README "The waitlist": whoever joined first is offered first; the row id breaks ties."""
        return self.order_by("joined_at", "pk")

    def who_could_take(self, opening: "Opening", now: datetime):
        """Waiting patients whose visit is later than the opening and whose specialist choice fits it,
        who have not had an offer from it and have not let too many offers lapse."""
        limit = settings.TRUFFLES_WAITLIST["MAX_UNANSWERED"]
        return (
            self.waiting()
            .filter(
                appointment__status__in=Appointment.ACTIVE_STATUSES,
                appointment__starts_at__gt=max(now, opening.starts_at),
                appointment__erased_at__isnull=True,
                unanswered_offers__lt=limit,
            )
            .filter(Q(specialist__isnull=True) | Q(specialist=opening.provider_id))
            .exclude(offers__opening=opening)
            .annotate(deciding_until=Subquery(
                Offer.objects.filter(entry=OuterRef("pk"), state=Offer.State.OPEN, expires_at__gt=now)
                .order_by("expires_at").values("expires_at")[:1]
            ))  # fmt: skip
            .select_related("appointment__visit_type", "appointment__provider")
            .in_fair_order()
        )


class WaitlistEntry(models.Model):
    """One appointment's place on the list: the patient would move to an earlier time in their window."""

    class State(models.TextChoices):
        WAITING = "waiting", "Waiting"
        MOVED = "moved", "Moved to an earlier time"
        LEFT = "left", "Left the list"
        STOPPED = "stopped", "Stopped: offers went unanswered"

    class PartOfDay(models.TextChoices):
        ANY = "any", "Any time of day"
        MORNING = "morning", "Mornings"
        AFTERNOON = "afternoon", "Afternoons"

    class Channel(models.TextChoices):
        EMAIL = "email", "Email"

    appointment = models.OneToOneField(Appointment, on_delete=models.CASCADE, related_name="waitlist_entry")
    specialist = models.ForeignKey(
        Provider, on_delete=models.CASCADE, null=True, blank=True, related_name="+",
        help_text="Empty: any specialist who offers the visit.",
    )  # fmt: skip
    weekdays = ArrayField(
        models.PositiveSmallIntegerField(choices=WorkingHours.Weekday.choices), default=list, blank=True,
        help_text="Empty: any weekday.",
    )  # fmt: skip
    part_of_day = models.CharField(max_length=10, choices=PartOfDay.choices, default=PartOfDay.ANY)
    channel = models.CharField(max_length=10, choices=Channel.choices, default=Channel.EMAIL)
    state = models.CharField(max_length=10, choices=State.choices, default=State.WAITING)
    joined_at = models.DateTimeField("waiting since", default=timezone.now)
    left_at = models.DateTimeField("left the list", null=True, blank=True)
    unanswered_offers = models.PositiveSmallIntegerField(
        default=0, help_text="Offers in a row that lapsed without an answer; at the limit, offers stop."
    )
    added_by = models.CharField(max_length=150, blank=True, help_text="The staff member; empty if the patient joined.")

    objects = WaitlistEntryQuerySet.as_manager()

    class Meta:
        verbose_name = "waitlist entry"
        verbose_name_plural = "waitlist"
        ordering = ["joined_at", "pk"]
        indexes = [models.Index(fields=["state", "joined_at"])]

    def __str__(self):
        return f"Waitlist: {self.appointment}"

    @property
    def window_label(self) -> str:
        """The window in words, as staff and the patient read it."""
        days = ", ".join(WEEKDAY_NAMES[day] + "s" for day in sorted(self.weekdays)) or "any weekday"
        if not self.weekdays and self.part_of_day == self.PartOfDay.ANY:
            return "Any time before the visit"
        part = "" if self.part_of_day == self.PartOfDay.ANY else f", {self.get_part_of_day_display().lower()}"
        return f"{days[0].upper()}{days[1:]}{part}"

    def fits(self, start: datetime) -> bool:
        """Does a time (aware) fall in the patient's window? Pure: no database."""
        return window_fits(self.weekdays, self.part_of_day, timezone.localtime(start))


def window_fits(weekdays: list[int], part_of_day: str, local_start: datetime) -> bool:
    """The window rule on its own: chosen weekdays (none = any) and the part of the day."""
    if weekdays and local_start.weekday() not in weekdays:
        return False
    if part_of_day == WaitlistEntry.PartOfDay.MORNING:
        return local_start.hour < NOON
    if part_of_day == WaitlistEntry.PartOfDay.AFTERNOON:
        return local_start.hour >= NOON
    return True


class Opening(models.Model):
    """Time on a specialist's day that became free, to be offered to those who wait."""

    class Cause(models.TextChoices):
        CANCELLED = "cancelled", "Cancellation"
        DECLINED = "declined", "Request declined"
        MOVED = "moved", "Visit moved"
        NEW_HOURS = "new_hours", "New working hours"
        CLOSURE_REMOVED = "closure_removed", "Closure removed"

    class State(models.TextChoices):
        OFFERING = "offering", "Being offered"
        FILLED = "filled", "Taken from the waitlist"
        UNFILLED = "unfilled", "Not taken from the waitlist"

    provider = models.ForeignKey(Provider, on_delete=models.CASCADE, related_name="+", verbose_name="specialist")
    location = models.ForeignKey(Location, on_delete=models.CASCADE, related_name="+")
    starts_at = models.DateTimeField("free from")
    ends_at = models.DateTimeField("free until")
    cause = models.CharField(max_length=20, choices=Cause.choices)
    freed_by = models.ForeignKey(
        Appointment, on_delete=models.SET_NULL, null=True, blank=True, related_name="+",
        help_text="The appointment that gave up this time.",
    )  # fmt: skip
    state = models.CharField(max_length=10, choices=State.choices, default=State.OFFERING)
    outcome = models.CharField(max_length=200, blank=True)
    created_at = models.DateTimeField("freed at", default=timezone.now)
    closed_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["-created_at", "-pk"]
        constraints = [
            models.CheckConstraint(condition=Q(ends_at__gt=models.F("starts_at")), name="opening_end_after_start"),
        ]

    def __str__(self):
        return f"{self.get_cause_display()}: {timezone.localtime(self.starts_at):%Y-%m-%d %H:%M}"

    def close(self, state: str, outcome: str) -> None:
        self.state, self.outcome, self.closed_at = state, outcome, timezone.now()
        self.save(update_fields=["state", "outcome", "closed_at"])


class Offer(models.Model):
    """One freed time offered to one waiting patient; the first to claim it moves there."""

    class State(models.TextChoices):
        OPEN = "open", "Waiting for an answer"
        CLAIMED = "claimed", "Taken: the visit moved"
        GONE = "gone", "Someone else took it first"
        EXPIRED = "expired", "No answer in time"
        WITHDRAWN = "withdrawn", "Withdrawn"

    opening = models.ForeignKey(Opening, on_delete=models.CASCADE, related_name="offers")
    entry = models.ForeignKey(WaitlistEntry, on_delete=models.CASCADE, related_name="offers")
    starts_at = models.DateTimeField("offered time")
    state = models.CharField(max_length=10, choices=State.choices, default=State.OPEN)
    outcome = models.CharField(max_length=200, blank=True)
    created_at = models.DateTimeField("offered at", default=timezone.now)
    expires_at = models.DateTimeField("held until")
    answered_at = models.DateTimeField(null=True, blank=True)
    message = models.OneToOneField(
        Message, on_delete=models.SET_NULL, null=True, blank=True, related_name="waitlist_offer"
    )

    class Meta:
        ordering = ["-created_at", "-pk"]
        constraints = [
            models.UniqueConstraint(fields=["opening", "entry"], name="offer_once_per_opening_and_patient"),
        ]
        indexes = [models.Index(fields=["state", "expires_at"])]

    def __str__(self):
        return f"Offer {self.pk} to {self.entry.appointment}"

    # One namespaced HMAC: the link in the email opens this offer and no other (STYLE.md, tokens).
    key_salt = "truffles.waitlist.Offer.claim_link"

    def get_absolute_url(self) -> str:
        return reverse("waitlist:offer", args=[self.pk, self.token])

    @property
    def token(self) -> str:
        return salted_hmac(self.key_salt, str(self.pk), algorithm="sha256").hexdigest()[:32]

    def token_matches(self, token: str) -> bool:
        return constant_time_compare(self.token, token)

    @property
    def ends_at(self) -> datetime:
        return self.starts_at + self.entry.appointment.visit_type.duration

    @property
    def is_open(self) -> bool:
        return self.state == self.State.OPEN and self.expires_at > timezone.now()

    @property
    def hold(self) -> timedelta:
        return self.expires_at - self.created_at
