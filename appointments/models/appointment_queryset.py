"""The questions the clinic asks of its appointments, as one QuerySet (`Appointment.objects`)."""

from datetime import date, datetime, timedelta
from typing import Self

from django.conf import settings
from django.db import models
from django.db.models import Case, F, IntegerField, Q, Value, When
from django.db.models.functions import Lower
from django.utils import timezone
from django.utils.text import smart_split, unescape_string_literal

from appointments.models.statuses import ACTIVE_STATUSES, TIME_HOLDING_STATUSES, AppointmentStatus
from appointments.tokens import manage_token_digest
from core.days import local_days, parse_typed_date


class AppointmentQuerySet(models.QuerySet):
    def by_manage_token(self, token: str):
        """The appointment a patient's link opens; links stop working a while after the visit."""
        kept = timedelta(days=settings.TRUFFLES_MANAGE_LINK_DAYS_AFTER_VISIT)
        return self.filter(manage_token_hash=manage_token_digest(token), ends_at__gte=timezone.now() - kept)

    def active(self) -> Self:
        """The patients' visits that hold their time: requested or confirmed."""
        return self.filter(status__in=ACTIVE_STATUSES)

    def holding_time(self) -> Self:
        """Everything that keeps a provider's time: visits, and online requests waiting for their email code."""
        return self.filter(status__in=TIME_HOLDING_STATUSES)

    def with_details(self):
        """Everything an appointment's page or export shows, in four queries whatever the count."""
        return self.select_related("visit_type", "provider", "location", "source_article").prefetch_related(
            "risk_factors", "source_article__risk_factors"
        )

    def on_schedule(self):
        """Visits that belong on the day's schedule: everything but declined, cancelled and expired requests."""
        return self.exclude(
            status__in=[AppointmentStatus.DECLINED, AppointmentStatus.CANCELLED, AppointmentStatus.EXPIRED]
        )

    def on_local_days(self, first: date, days: int = 1):
        """Visits starting on these local days (the clinic's time zone)."""
        start, end = local_days(first, days)
        return self.filter(starts_at__gte=start, starts_at__lt=end)

    def awaiting_triage(self):
        return self.filter(status=AppointmentStatus.REQUESTED)

    def undecided_past(self, now=None):
        """Requests whose time came with nobody confirming or declining them."""
        return self.filter(status=AppointmentStatus.REQUESTED, starts_at__lt=now or timezone.now())

    def expire_undecided(self, now=None) -> int:
        """Close the requests whose time passed without a decision; the number closed."""
        now = now or timezone.now()
        return self.undecided_past(now).update(
            status=AppointmentStatus.EXPIRED, status_reason=self.model.EXPIRED_REASON, updated_at=now
        )

    def attendance_unrecorded(self, now=None):
        """Confirmed visits that have ended with neither "completed" nor "no-show" recorded."""
        return self.filter(status=AppointmentStatus.CONFIRMED, ends_at__lt=now or timezone.now(),
                           erased_at__isnull=True)  # fmt: skip

    def front_desk_default(self):
        """What the front desk works on: every request, all visits from today on, and past visits
        still marked confirmed (attendance to record).

        Fast with years of history: the rows come from index scans, not the whole table.
        """
        start_of_today = local_days(timezone.localdate())[0]
        return self.filter(
            Q(status=AppointmentStatus.REQUESTED)
            | Q(status=AppointmentStatus.CONFIRMED, starts_at__lt=start_of_today, erased_at__isnull=True)
            | Q(starts_at__gte=start_of_today)
        )

    def with_triage_rank(self):
        """Annotations for Appointment.TRIAGE_ORDER: requests and past visits without attendance first,
        then upcoming by time, then the past."""
        now = timezone.now()
        return self.annotate(
            triage_rank=Case(
                When(status=AppointmentStatus.REQUESTED, then=Value(0)),
                When(status=AppointmentStatus.CONFIRMED, ends_at__lt=now, then=Value(0)),
                When(starts_at__gte=now, then=Value(1)),
                default=Value(2),
                output_field=IntegerField(),
            ),
            upcoming_start=Case(When(starts_at__gte=now, then=F("starts_at"))),
        )

    def search(self, term: str):
        """Each word matches a reference, name, email or phone; "(201) 555-0123" also finds "+12015550123"."""
        if not term.strip():
            return self
        words = Q()
        for bit in smart_split(term):
            if bit.startswith(('"', "'")) and bit[0] == bit[-1]:
                bit = unescape_string_literal(bit)
            words &= Q(*[(f"{name}__icontains", bit) for name in self.model.SEARCH_FIELDS], _connector=Q.OR)
        digits = "".join(ch for ch in term if ch.isascii() and ch.isdigit())
        if len(digits) >= 7:
            words |= Q(phone__contains=digits)
        return self.filter(words)

    def overlapping(self, start: datetime, end: datetime) -> Self:
        return self.filter(starts_at__lt=end, busy_until__gt=start)

    def erase_patient_details(self, reason: str = "retention") -> int:
        """Erase everything about the patient; keep only the anonymous facts named in KEPT_ON_ERASURE."""
        from appointments.models.patient_messages import TextReply  # it points at appointments: imported late

        ids = list(self.values_list("pk", flat=True))
        self.model.risk_factors.through.objects.filter(appointment_id__in=ids).delete()
        TextReply.objects.filter(appointment_id__in=ids).update(body="")
        return self.model.objects.filter(pk__in=ids).update(
            **self.model.erased_values(), erased_at=timezone.now(), erasure_reason=reason
        )

    def of_patient(self, email: str, date_of_birth: date | None) -> Self:
        """Every visit of one patient: the same email address and date of birth (as the open-request cap counts)."""
        if not email or date_of_birth is None:
            return self.none()
        # A request whose email was never proved may have been typed by anyone: it links to no one.
        return self.filter(email__iexact=email, date_of_birth=date_of_birth).exclude(status=AppointmentStatus.HELD)

    def other_visits_of(self, appointment):
        """The same patient's other visits, newest first, for the appointment's page."""
        if appointment.status == AppointmentStatus.HELD:
            return self.none()
        return (
            self.of_patient(appointment.email, appointment.date_of_birth)
            .exclude(pk=appointment.pk)
            .select_related("visit_type", "provider")
            .order_by("-starts_at")
        )

    def returning_patients(self, term: str, limit: int = 10):
        """Patients whose earlier visits match a name, a date of birth (MM/DD/YYYY or YYYY-MM-DD) or a phone.

        One row per patient (email and date of birth), their latest visit first; erased rows never match.
        """
        matches = self.filter(erased_at__isnull=True).exclude(status=AppointmentStatus.HELD)
        day = parse_typed_date(term)
        matches = matches.filter(date_of_birth=day) if day else matches.search(term)
        return (
            matches.exclude(date_of_birth=None)
            .annotate(email_key=Lower("email"))
            .order_by("email_key", "date_of_birth", "-starts_at")
            .distinct("email_key", "date_of_birth")[:limit]
        )

    def open_for_patient(self, email, date_of_birth):
        return self.of_patient(email, date_of_birth).active().filter(starts_at__gte=timezone.now())

    def next_visit_of_number(self, number: str):
        """The upcoming visit a text from this number is about: the soonest one still held (None if none)."""
        return (
            self.active().filter(phone=number, starts_at__gte=timezone.now(), erased_at__isnull=True)
            .select_related("visit_type", "location").order_by("starts_at").first()
        )
