import base64
import hashlib
import secrets
from datetime import date, datetime, time, timedelta

from django.conf import settings
from django.contrib.postgres.constraints import ExclusionConstraint
from django.contrib.postgres.fields import RangeBoundary, RangeOperators
from django.db import models
from django.db.models import Case, F, Func, IntegerField, Q, Value, When
from django.db.models.expressions import RawSQL
from django.db.models.functions import Lower, Upper
from django.urls import reverse
from django.utils import timezone
from django.utils.crypto import constant_time_compare, salted_hmac
from django.utils.text import smart_split, unescape_string_literal
from phonenumber_field.modelfields import PhoneNumberField

# Letters and digits a patient will not confuse when reading a code over the phone.
REFERENCE_ALPHABET = "23456789ABCDEFGHJKLMNPQRSTUVWXYZ"


def new_reference() -> str:
    return "TVS-" + "".join(secrets.choice(REFERENCE_ALPHABET) for _ in range(6))


def new_manage_token() -> str:
    return secrets.token_urlsafe(24)


def submission_token_digest(submission_token) -> str:
    """What the database keeps of a form's submission token: a copy of the table cannot replay a form."""
    return hashlib.sha256(str(submission_token).encode()).hexdigest()


def manage_token_for(submission_token_hash: str) -> str:
    """An online request's link: a keyed hash of its submission token's digest with SECRET_KEY, which
    the database does not hold, so the emails can rebuild the link while a copy of the table opens nothing."""
    mac = salted_hmac("truffles.appointments.manage-link", submission_token_hash, algorithm="sha256")
    return base64.urlsafe_b64encode(mac.digest()).decode().rstrip("=")


def manage_token_digest(token: str) -> str:
    """What the database keeps of a manage link: a copy of the table opens no patient's page."""
    return hashlib.sha256(token.encode()).hexdigest()


def short_code_for(submission_token_hash: str) -> str:
    """The code of an online request's short link in texts (/v/<code>/), derived like its manage link.

    Ten letters and digits (50 bits): short enough for one SMS segment, too many to guess.
    """
    mac = salted_hmac("truffles.appointments.short-link", submission_token_hash, algorithm="sha256")
    return base64.b32encode(mac.digest()).decode()[:10].lower()


def local_days(first: date, days: int = 1) -> tuple[datetime, datetime]:
    """Where `days` local days from `first` start and end, in the clinic's zone (23 or 25 hours on DST days)."""
    return (
        timezone.make_aware(datetime.combine(first, time.min)),
        timezone.make_aware(datetime.combine(first + timedelta(days=days), time.min)),
    )


def parse_typed_date(text: str) -> date | None:
    """A date as staff type it: 02/14/1968 (US order) or 1968-02-14; None when it is not one."""
    text = text.strip()
    for pattern in ("%m/%d/%Y", "%Y-%m-%d"):
        try:
            return datetime.strptime(text, pattern).date()
        except ValueError:
            continue
    return None


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
    def overlapping(self, start, end):
        return self.filter(starts_at__lt=end, ends_at__gt=start)


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


class AppointmentQuerySet(models.QuerySet):
    def by_manage_token(self, token: str):
        """The appointment a patient's link opens; links stop working a while after the visit."""
        kept = timedelta(days=settings.TRUFFLES_MANAGE_LINK_DAYS_AFTER_VISIT)
        return self.filter(manage_token_hash=manage_token_digest(token), ends_at__gte=timezone.now() - kept)

    def active(self):
        """The patients' visits that hold their time: requested or confirmed."""
        return self.filter(status__in=Appointment.ACTIVE_STATUSES)

    def holding_time(self):
        """Everything that keeps a provider's time: visits, and online requests waiting for their email code."""
        return self.filter(status__in=Appointment.TIME_HOLDING_STATUSES)

    def with_details(self):
        """Everything an appointment's page or export shows, in four queries whatever the count."""
        return self.select_related("visit_type", "provider", "location", "source_article").prefetch_related(
            "risk_factors", "source_article__risk_factors"
        )

    def on_schedule(self):
        """Visits that belong on the day's schedule: everything but declined, cancelled and expired requests."""
        return self.exclude(
            status__in=[Appointment.Status.DECLINED, Appointment.Status.CANCELLED, Appointment.Status.EXPIRED]
        )

    def on_local_days(self, first: date, days: int = 1):
        """Visits starting on these local days (the clinic's time zone)."""
        start, end = local_days(first, days)
        return self.filter(starts_at__gte=start, starts_at__lt=end)

    def awaiting_triage(self):
        return self.filter(status=Appointment.Status.REQUESTED)

    def undecided_past(self, now=None):
        """Requests whose time came with nobody confirming or declining them."""
        return self.filter(status=Appointment.Status.REQUESTED, starts_at__lt=now or timezone.now())

    def expire_undecided(self, now=None) -> int:
        """Close the requests whose time passed without a decision; the number closed."""
        now = now or timezone.now()
        return self.undecided_past(now).update(
            status=Appointment.Status.EXPIRED, status_reason=Appointment.EXPIRED_REASON, updated_at=now
        )

    def attendance_unrecorded(self, now=None):
        """Confirmed visits that have ended with neither "completed" nor "no-show" recorded."""
        return self.filter(status=Appointment.Status.CONFIRMED, ends_at__lt=now or timezone.now(),
                           erased_at__isnull=True)  # fmt: skip

    def front_desk_default(self):
        """What the front desk works on: every request, all visits from today on, and past visits
        still marked confirmed (attendance to record).

        Fast with years of history: the rows come from index scans, not the whole table.
        """
        start_of_today = local_days(timezone.localdate())[0]
        return self.filter(
            Q(status=Appointment.Status.REQUESTED)
            | Q(status=Appointment.Status.CONFIRMED, starts_at__lt=start_of_today, erased_at__isnull=True)
            | Q(starts_at__gte=start_of_today)
        )

    def with_triage_rank(self):
        """Annotations for Appointment.TRIAGE_ORDER: requests and past visits without attendance first,
        then upcoming by time, then the past."""
        now = timezone.now()
        return self.annotate(
            triage_rank=Case(
                When(status=Appointment.Status.REQUESTED, then=Value(0)),
                When(status=Appointment.Status.CONFIRMED, ends_at__lt=now, then=Value(0)),
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
            words &= Q(*[(f"{name}__icontains", bit) for name in Appointment.SEARCH_FIELDS], _connector=Q.OR)
        digits = "".join(ch for ch in term if ch.isascii() and ch.isdigit())
        if len(digits) >= 7:
            words |= Q(phone__contains=digits)
        return self.filter(words)

    def overlapping(self, start, end):
        return self.filter(starts_at__lt=end, busy_until__gt=start)

    def erase_patient_details(self, reason: str = "retention") -> int:
        """Erase everything about the patient; keep only the anonymous facts named in KEPT_ON_ERASURE."""
        ids = list(self.values_list("pk", flat=True))
        Appointment.risk_factors.through.objects.filter(appointment_id__in=ids).delete()
        TextReply.objects.filter(appointment_id__in=ids).update(body="")
        return Appointment.objects.filter(pk__in=ids).update(
            **Appointment.erased_values(), erased_at=timezone.now(), erasure_reason=reason
        )

    def of_patient(self, email, date_of_birth):
        """Every visit of one patient: the same email address and date of birth (as the open-request cap counts)."""
        if not email or date_of_birth is None:
            return self.none()
        # A request whose email was never proved may have been typed by anyone: it links to no one.
        return self.filter(email__iexact=email, date_of_birth=date_of_birth).exclude(status=Appointment.Status.HELD)

    def other_visits_of(self, appointment):
        """The same patient's other visits, newest first, for the appointment's page."""
        if appointment.status == Appointment.Status.HELD:
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
        matches = self.filter(erased_at__isnull=True).exclude(status=Appointment.Status.HELD)
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


class Appointment(models.Model):
    class Status(models.TextChoices):
        HELD = "held", "Awaiting email code"
        REQUESTED = "requested", "Requested"
        CONFIRMED = "confirmed", "Confirmed"
        DECLINED = "declined", "Declined"
        CANCELLED = "cancelled", "Cancelled"
        COMPLETED = "completed", "Completed"
        NO_SHOW = "no_show", "No-show"
        EXPIRED = "expired", "Expired (no decision)"

    ACTIVE_STATUSES = [Status.REQUESTED, Status.CONFIRMED]
    # An online request waiting for its email code keeps its time, but is nobody's visit yet.
    TIME_HOLDING_STATUSES = [Status.HELD, *ACTIVE_STATUSES]
    SEARCH_FIELDS = ["reference", "first_name", "last_name", "email", "phone"]
    TRIAGE_ORDER = ["triage_rank", F("upcoming_start").asc(nulls_last=True), "-starts_at", "-pk"]
    # What retention keeps: anonymous scheduling facts. Every other field is erased, new ones included.
    KEPT_ON_ERASURE = {
        "id", "reference", "manage_token_hash", "submission_token_hash", "status", "visit_type", "provider", "location",
        "starts_at", "ends_at", "busy_until", "source_article", "consent_version", "consented_at",
        "created_at", "updated_at", "erased_at", "arrived_at", "short_link_hash", "text_consent_version",
        "text_consented_at", "patient_confirmed_at", "erasure_reason",
    }
    TRANSITIONS = {
        Status.HELD: {Status.CANCELLED},  # the patient's code, not staff, makes it a request
        Status.REQUESTED: {Status.CONFIRMED, Status.DECLINED, Status.CANCELLED},
        Status.CONFIRMED: {Status.CANCELLED, Status.COMPLETED, Status.NO_SHOW},
        Status.DECLINED: set(),
        Status.CANCELLED: set(),
        Status.COMPLETED: set(),
        Status.NO_SHOW: set(),
        # The patient may have come all the same: the desk can still record what happened.
        Status.EXPIRED: {Status.COMPLETED, Status.NO_SHOW},
    }
    # Shown to the patient on their page, like every status reason.
    EXPIRED_REASON = "Its time passed before we could confirm it. Please book a new time or call us."

    class ErasureReason(models.TextChoices):
        """Why the details were erased: a code, so the audit trail may show it (staff text could name someone)."""

        RETENTION = "retention", "Retention period over"
        DUPLICATE = "duplicate", "A duplicate of another appointment"
        IN_ERROR = "in_error", "Entered in error (wrong patient, a test)"
        PATIENT_ASKED = "patient", "The patient asked us to erase their details"

    class ContactMethod(models.TextChoices):
        PHONE = "phone", "Phone call"
        EMAIL = "email", "Email"
        TEXT = "text", "Text message"

    class NotifyBy(models.TextChoices):
        EMAIL = "email", "Email"
        TEXT = "text", "Text message"
        BOTH = "both", "Email and text message"

    class Reason(models.TextChoices):
        RLS = "rls", "Restless legs symptoms"
        VARICOSE = "varicose", "Varicose veins"
        SWELLING = "swelling", "Leg swelling"
        PAIN = "pain", "Leg pain or heaviness"
        SPIDER = "spider", "Spider veins"
        OTHER = "other", "Something else"

    REASON_SHORT_LABELS = {
        "rls": "RLS", "varicose": "varicose veins", "swelling": "swelling", "pain": "pain or heaviness",
        "spider": "spider veins", "other": "other",
    }

    reference = models.CharField(max_length=12, unique=True, default=new_reference, editable=False)
    # Only the digest is stored; the link itself (manage_token) exists on the instance that created it.
    manage_token_hash = models.CharField(max_length=64, unique=True, editable=False)
    submission_token_hash = models.CharField(
        max_length=64, unique=True, null=True, blank=True, editable=False,
        help_text="SHA-256 of the online form's token, so a resubmitted form creates one appointment.",
    )
    status = models.CharField(max_length=10, choices=Status.choices, default=Status.REQUESTED)
    status_reason = models.TextField(
        "reason given", blank=True, help_text="Why it was declined or cancelled; shown to the patient."
    )

    visit_type = models.ForeignKey(VisitType, on_delete=models.PROTECT, related_name="appointments")
    provider = models.ForeignKey(
        Provider, on_delete=models.PROTECT, related_name="appointments", verbose_name="specialist"
    )
    location = models.ForeignKey(Location, on_delete=models.PROTECT, related_name="appointments")
    starts_at = models.DateTimeField("starts")
    ends_at = models.DateTimeField("ends")
    busy_until = models.DateTimeField(help_text="End plus the visit type's buffer: the provider is busy until then.")

    # Patient
    first_name = models.CharField(max_length=100)
    last_name = models.CharField(max_length=100)
    date_of_birth = models.DateField(null=True, blank=True)
    email = models.EmailField()
    phone = PhoneNumberField()
    preferred_contact = models.CharField(
        "contact by", max_length=10, choices=ContactMethod.choices, default=ContactMethod.PHONE
    )
    is_new_patient = models.BooleanField("new patient", default=True)
    insurance_carrier = models.CharField("insurance", max_length=120, blank=True)
    guardian_name = models.CharField(
        "parent or guardian", max_length=200, blank=True, help_text="Required for patients under 18."
    )

    # Intake
    reasons = models.JSONField(default=list, blank=True, help_text="Keys of Appointment.Reason.")
    # The four essential RLS features, as staff name them; the patient form words them as questions.
    rls_urge_to_move = models.BooleanField("urge to move the legs", default=False)
    rls_worse_at_rest = models.BooleanField("worse at rest", default=False)
    rls_relieved_by_movement = models.BooleanField("eased by movement", default=False)
    rls_worse_evening = models.BooleanField("worse in the evening or at night", default=False)
    # What changes an RLS plan (augmentation risk, a worsening factor, a reason for low iron).
    takes_dopamine_medicine = models.BooleanField("takes a dopamine agonist or levodopa now", default=False)
    known_sleep_apnea = models.BooleanField("known sleep apnea", default=False)
    recent_blood_loss = models.BooleanField("recent blood loss or blood donation", default=False)
    risk_factors = models.ManyToManyField("articles.RiskFactor", related_name="appointments", blank=True)
    notes = models.TextField(blank=True, max_length=1000)
    source_article = models.ForeignKey(
        "articles.Article", on_delete=models.SET_NULL, null=True, blank=True, related_name="appointments",
        verbose_name="came from article",
    )

    consent_version = models.CharField("privacy notice agreed", max_length=20)
    consented_at = models.DateTimeField("agreed at")
    notify_by = models.CharField(
        "updates by", max_length=5, choices=NotifyBy.choices, default=NotifyBy.EMAIL,
        help_text="How the patient hears about this visit. Texts go only with their consent below.",
    )
    # Consent to texts (TCPA): the exact words the patient agreed to, their version and when.
    text_consent_wording = models.TextField("text consent wording", blank=True, editable=False)
    text_consent_version = models.CharField("text consent version", max_length=20, blank=True, editable=False)
    text_consented_at = models.DateTimeField("agreed to texts at", null=True, blank=True, editable=False)
    patient_confirmed_at = models.DateTimeField(
        "patient confirmed", null=True, blank=True, editable=False,
        help_text="When the patient answered the reminder with C: they are coming.",
    )
    # Digest of the short link's code in texts; like the manage link, the code itself is not stored.
    short_link_hash = models.CharField(max_length=64, unique=True, null=True, blank=True, editable=False)
    erased_at = models.DateTimeField(
        null=True, blank=True, editable=False, help_text="When the patient's details were erased."
    )
    arrived_at = models.DateTimeField(
        "arrived", null=True, blank=True, editable=False, help_text="When the front desk checked the patient in."
    )
    erasure_reason = models.CharField(max_length=10, choices=ErasureReason.choices, blank=True, editable=False)
    created_at = models.DateTimeField("received", auto_now_add=True)
    updated_at = models.DateTimeField("last changed", auto_now=True)

    objects = AppointmentQuerySet.as_manager()

    class Meta:
        ordering = ["starts_at"]
        permissions = [
            ("view_schedule", "Can view the day and week schedule"),
            ("triage_appointment", "Can confirm, decline and cancel requests"),
            ("record_attendance", "Can mark appointments completed or no-show"),
            ("record_arrival", "Can check a patient in as arrived"),
            ("export_appointment", "Can export appointments as CSV"),
            ("view_insights", "Can view the clinic's figures (aggregates, no patient detail)"),
        ]
        indexes = [
            models.Index(fields=["status", "starts_at"]),
            models.Index(fields=["starts_at"]),
            # One patient's visits (email, case-insensitive, and date of birth): the appointment page's
            # other visits and the cap on open requests.
            models.Index(Upper("email"), "date_of_birth", name="appointment_patient"),
        ]
        constraints = [
            models.CheckConstraint(
                condition=Q(ends_at__gt=models.F("starts_at")), name="appointment_end_after_start"
            ),
            models.CheckConstraint(
                condition=Q(busy_until__gte=models.F("ends_at")), name="appointment_busy_covers_visit"
            ),
            # The guarantee: one provider is never booked twice for overlapping time.
            ExclusionConstraint(
                name="appointment_no_double_booking",
                expressions=[
                    (TsTzRange("starts_at", "busy_until", RangeBoundary()), RangeOperators.OVERLAPS),
                    ("provider", RangeOperators.EQUAL),
                ],
                condition=Q(status__in=["held", "requested", "confirmed"]),
            ),
        ]

    def __str__(self):
        # The reference only: this text ends up in admin logs and messages, which outlive erasure.
        return self.reference

    def save(self, *args, **kwargs):
        if not self.manage_token_hash:
            self.manage_token = (
                manage_token_for(self.submission_token_hash) if self.submission_token_hash else new_manage_token()
            )
            self.manage_token_hash = manage_token_digest(self.manage_token)
        if self.submission_token_hash and not self.short_link_hash:
            self.short_link_hash = manage_token_digest(short_code_for(self.submission_token_hash))
        super().save(*args, **kwargs)

    def get_absolute_url(self):
        # The link is known when it was just issued, when the patient came through it (views set it),
        # or for an online request from its submission token; staff never open a patient's page.
        token = getattr(self, "manage_token", None) or self.derived_manage_token()
        if token is None:
            raise ValueError("Only the patient holds this appointment's link.")
        return reverse("appointments:manage", args=[token])

    def derived_manage_token(self) -> str | None:
        """The link an online request's emails carry; None for phone bookings and for requests made
        before links were derived with salted_hmac (their first email's link still works)."""
        if not self.submission_token_hash:
            return None
        token = manage_token_for(self.submission_token_hash)
        return token if constant_time_compare(manage_token_digest(token), self.manage_token_hash) else None

    def short_link_path(self, change: bool = False) -> str:
        """The path of the short link texts carry (/v/<code>), or "" for a visit booked by phone."""
        if not self.submission_token_hash:
            return ""
        code = short_code_for(self.submission_token_hash)
        return reverse("short_link_change" if change else "short_link", args=[code])

    def change_time_url(self) -> str:
        """Where the patient picks another time for this visit (raises ValueError without the patient's link)."""
        token = self.get_absolute_url().rstrip("/").rsplit("/", 1)[-1]
        return (f"{reverse('appointments:request')}?visit_type={self.visit_type.slug}&provider={self.provider_id}"
                f"&reschedule={token}")  # fmt: skip

    @property
    def wants_texts(self) -> bool:
        """Texts are owed: the patient chose them and ticked the consent box (opt-outs are checked per number)."""
        return self.notify_by in (self.NotifyBy.TEXT, self.NotifyBy.BOTH) and self.text_consented_at is not None

    @property
    def wants_email(self) -> bool:
        return self.notify_by != self.NotifyBy.TEXT or not self.wants_texts

    @classmethod
    def erased_values(cls) -> dict:
        """field name -> the value that replaces the patient's, for every field not kept."""
        values = {}
        for model_field in cls._meta.concrete_fields:
            if model_field.name in cls.KEPT_ON_ERASURE:
                continue
            if model_field.null:
                values[model_field.name] = None
            elif model_field.has_default():
                values[model_field.name] = model_field.get_default()
            else:
                values[model_field.name] = ""
        values["first_name"] = "Erased"  # staff lists show that the row was erased, not blank
        return values

    @classmethod
    def field_labels(cls) -> dict[str, str]:
        """Column name -> the label staff read (the audit trail names changed columns)."""
        labels = {field.attname: str(field.verbose_name) for field in cls._meta.concrete_fields}
        return {**labels, "risk_factors": "risk factors", "busy_until": "time kept free until"}

    @property
    def patient_name(self):
        return f"{self.first_name} {self.last_name}"

    @property
    def age(self) -> int | None:
        """The patient's age today, in whole years (None once erased or when not given)."""
        return self.age_on(timezone.localdate()) if self.date_of_birth else None

    @property
    def day_state(self) -> str:
        """Where the visit is in the clinic's day: its status, or "arrived" once a confirmed patient checked in."""
        return "arrived" if self.status == self.Status.CONFIRMED and self.arrived_at else self.status

    @property
    def can_arrive(self) -> bool:
        """Check-in is for a confirmed visit of today that has not been checked in yet."""
        return (self.status == self.Status.CONFIRMED and self.arrived_at is None
                and timezone.localdate(self.starts_at) == timezone.localdate())

    @property
    def attendance_due(self) -> bool:
        """Completed or no-show can be recorded once the visit has started."""
        return self.starts_at <= timezone.now()

    def next_statuses(self) -> list[str]:
        """The statuses staff may move this appointment to now, in the order the buttons show them."""
        allowed = self.TRANSITIONS[self.status]
        if self.arrived_at:
            allowed = allowed - {self.Status.NO_SHOW}  # they came: never a no-show
        elif not self.attendance_due:
            allowed = allowed - {self.Status.COMPLETED, self.Status.NO_SHOW}
        return [status for status in self.Status.values if status in allowed]

    @property
    def short_reasons(self) -> list[str]:
        """The reasons in the short clinical words staff scan a list by."""
        return [self.REASON_SHORT_LABELS.get(key, key) for key in self.reasons]

    @property
    def is_active(self):
        return self.status in self.ACTIVE_STATUSES

    @property
    def reason_labels(self) -> list[str]:
        """The reasons the patient gave, in words (unknown keys as they are)."""
        labels = dict(self.Reason.choices)
        return [labels.get(key, key) for key in self.reasons]

    def can_change_to(self, status) -> bool:
        return status in self.TRANSITIONS[self.status]

    def can_be_cancelled_by_patient(self) -> bool:
        return self.is_active and self.starts_at > timezone.now()

    def age_on(self, day: date) -> int:
        dob = self.date_of_birth
        return day.year - dob.year - ((day.month, day.day) < (dob.month, dob.day))

    @property
    def rls_core_features(self) -> int:
        return sum(
            [self.rls_urge_to_move, self.rls_worse_at_rest, self.rls_relieved_by_movement, self.rls_worse_evening]
        )

    @property
    def plan_changing_answers(self) -> list[str]:
        """The intake answers that change an RLS plan, as staff name them."""
        fields = ["takes_dopamine_medicine", "known_sleep_apnea", "recent_blood_loss"]
        return [str(self._meta.get_field(name).verbose_name) for name in fields if getattr(self, name)]

    def triage_summary(self) -> str:
        """One line for staff: what the patient reported, and what they read before asking."""
        parts = []
        if self.reasons:
            parts.append("reason: " + ", ".join(self.reason_labels))
        if "rls" in self.reasons or self.rls_core_features:
            parts.append(f"RLS core features {self.rls_core_features}/4")
        parts.extend(self.plan_changing_answers)
        factors = list(self.risk_factors.all())
        if factors:
            parts.append("risk factors: " + ", ".join(factor.name.lower() for factor in factors))
        if self.source_article_id:
            article = self.source_article
            discussed = {f.pk for f in article.risk_factors.all()} & {f.pk for f in factors}
            came_from = f"came from: {article.title}"
            if discussed:
                names = [f.name.lower() for f in factors if f.pk in discussed]
                came_from += f" (it discusses {', '.join(names)})"
            parts.append(came_from)
        return "; ".join(parts) if parts else "no intake details"


class SubmissionAttempt(models.Model):
    """A request submitted online, kept briefly to rate-limit by client and email.

    Only keyed hashes are stored, never the address or email themselves.
    """

    key = models.CharField(max_length=64, db_index=True)
    created_at = models.DateTimeField(default=timezone.now, db_index=True)

    def __str__(self):
        return f"attempt at {self.created_at:%Y-%m-%d %H:%M}"

    @classmethod
    def hash(cls, kind: str, value: str) -> str:
        return salted_hmac(f"truffles.appointments.limit-{kind}", value.strip().lower(), algorithm="sha256").hexdigest()


class EmailCheckQuerySet(models.QuerySet):
    def unproven(self, now=None):
        """Codes still waiting for the patient: each one holds a time."""
        return self.filter(proven_at=None, expires_at__gt=now or timezone.now())

    def expired(self, now=None):
        return self.filter(proven_at=None, expires_at__lte=now or timezone.now(), appointment__status="held")


class EmailCheck(models.Model):
    """The 6-digit code that proves an online request's email before it becomes anyone's visit.

    The codes are keyed hashes (SECRET_KEY) of this row and a send number, so none is stored.
    Network and mail domain are keyed hashes too: the limits count unproven holds by them.
    """

    appointment = models.OneToOneField(Appointment, on_delete=models.CASCADE, related_name="email_check")
    browser_hash = models.CharField(max_length=64, help_text="Which browser made the request (keyed hash).")
    network_key = models.CharField(max_length=64, db_index=True)
    domain_key = models.CharField(max_length=64, blank=True, db_index=True)
    mailbox_key = models.CharField(max_length=64, db_index=True)
    expires_at = models.DateTimeField(help_text="The time is released after this unless the code was entered.")
    codes_sent = models.PositiveSmallIntegerField(default=0)
    wrong_tries = models.PositiveSmallIntegerField(default=0)
    proven_at = models.DateTimeField(null=True, blank=True)
    created_at = models.DateTimeField(default=timezone.now, db_index=True)

    objects = EmailCheckQuerySet.as_manager()

    class Meta:
        indexes = [models.Index(fields=["proven_at", "expires_at"])]

    def __str__(self):
        return f"email code for {self.appointment_id}"

    @property
    def masked_email(self) -> str:
        """Enough of the address for its owner to spot a typo (the domain), too little to give it away."""
        local, _, domain = self.appointment.email.rpartition("@")
        return f"{local[:2]}•••@{domain}"

    def code(self, number: int | None = None) -> str:
        """The code in the `number`-th email sent (default: the latest); earlier codes stop working."""
        number = self.codes_sent if number is None else number
        message = f"{self.pk}:{self.created_at.isoformat()}:{number}"
        mac = salted_hmac("truffles.appointments.email-code", message, algorithm="sha256")
        return f"{int.from_bytes(mac.digest()[:8]) % 1_000_000:06d}"

    def matches(self, typed: str) -> bool:
        return self.codes_sent > 0 and constant_time_compare(typed, self.code())


class MessageQuerySet(models.QuerySet):
    def to_patient(self):
        return self.exclude(kind=Message.Kind.CLINIC_NOTICE)

    def sent_to_patient(self):
        """What the patient's page lists: the messages that left, oldest first."""
        return self.to_patient().filter(state=Message.State.SENT).order_by("sent_at")

    def failed(self):
        return self.filter(state=Message.State.FAILED)

    def counts_by_channel_and_state(self) -> list[tuple[str, str, int]]:
        """(channel, state, count) for /metrics; every message is an email until another channel exists."""
        channel = "channel" if any(f.name == "channel" for f in self.model._meta.fields) else models.Value("email")
        rows = self.order_by().values_list(channel, "state").annotate(count=models.Count("pk"))
        return [tuple(row) for row in rows]


class Message(models.Model):
    """One notification (an email or a text) the clinic owes someone about an appointment, written
    with the change that causes it.

    The row exists before it is sent and is marked sent after, so a retry or a restarted worker
    never sends the same message twice (appointments/notifications.py explains the one gap).
    It holds no patient details: the email or text is rendered from the appointment when it is sent.
    """

    class Channel(models.TextChoices):
        EMAIL = "email", "Email"
        TEXT = "text", "Text"

    class Kind(models.TextChoices):
        RECEIVED = "received", "Request received"
        CONFIRMED = "confirmed", "Confirmed"
        DECLINED = "declined", "Declined"
        CANCELLED = "cancelled", "Cancelled by the clinic"
        PATIENT_CANCELLED = "patient_cancelled", "Cancelled by the patient"
        MOVED = "moved", "Moved to a new time"
        REMINDER = "reminder", "Reminder"
        WAITLIST_OFFER = "waitlist_offer", "Earlier time offered"
        CLINIC_NOTICE = "clinic_notice", "New request (clinic inbox)"
        # The waitlist's offer of an earlier time joins here (with its text in appointments/texts.py).
        EMAIL_CODE = "email_code", "Code to prove the email address"

    class State(models.TextChoices):
        PENDING = "pending", "Waiting to be sent"
        SENDING = "sending", "Being sent"
        SENT = "sent", "Sent"
        FAILED = "failed", "Failed"
        SKIPPED = "skipped", "Not sent: no longer true"

    appointment = models.ForeignKey(Appointment, on_delete=models.CASCADE, related_name="messages")
    kind = models.CharField(max_length=20, choices=Kind.choices)
    channel = models.CharField(max_length=5, choices=Channel.choices, default=Channel.EMAIL)
    sequence = models.PositiveIntegerField(
        default=0, help_text="How many times the visit had moved when this message was due; part of its unique key."
    )
    state = models.CharField(max_length=10, choices=State.choices, default=State.PENDING)
    send_after = models.DateTimeField(default=timezone.now, help_text="The next attempt happens no sooner.")
    attempts = models.PositiveSmallIntegerField(default=0)
    claimed_at = models.DateTimeField(null=True, blank=True, help_text="When a worker last started sending it.")
    sent_at = models.DateTimeField(null=True, blank=True)
    last_error = models.CharField(max_length=200, blank=True, help_text="The kind of failure, never an address.")
    provider_id = models.CharField(
        "provider's id", max_length=40, blank=True, db_index=True, help_text="Twilio's id for a text (SM…)."
    )
    delivery = models.CharField(
        "delivery report", max_length=20, blank=True, help_text="The phone company's last word on a text."
    )
    created_at = models.DateTimeField(auto_now_add=True)

    objects = MessageQuerySet.as_manager()

    class Meta:
        ordering = ["created_at", "pk"]
        constraints = [
            models.UniqueConstraint(
                fields=["appointment", "kind", "sequence", "channel"], name="message_once_per_event_and_channel"
            ),
        ]
        indexes = [models.Index(fields=["state", "send_after"])]

    def __str__(self):
        return f"{self.get_kind_display()} ({self.get_channel_display().lower()}): {self.appointment}"

    @property
    def to_patient(self) -> bool:
        return self.kind != self.Kind.CLINIC_NOTICE


class TextOptOutQuerySet(models.QuerySet):
    def of_number(self, number: str):
        return self.filter(number_digest=TextOptOut.digest(number))

    def stopped(self, number: str) -> bool:
        return self.of_number(number).filter(opted_out=True).exists()


class TextOptOut(models.Model):
    """A phone number that answered STOP (and perhaps START since): no text goes to it while opted out.

    Kept for the number, not a visit, and as a keyed digest: the table names no one.
    """

    number_digest = models.CharField(max_length=64, unique=True)
    opted_out = models.BooleanField(default=True)
    keyword = models.CharField(max_length=12, help_text="The word the patient sent: STOP, START, …")
    changed_at = models.DateTimeField(default=timezone.now)

    objects = TextOptOutQuerySet.as_manager()

    def __str__(self):
        return f"{'Opted out' if self.opted_out else 'Opted back in'} ({self.keyword}) {self.changed_at:%Y-%m-%d}"

    @staticmethod
    def digest(number: str) -> str:
        return salted_hmac("appointments.TextOptOut", str(number), algorithm="sha256").hexdigest()


class TextReplyQuerySet(models.QuerySet):
    def needing_attention(self):
        return self.filter(needs_attention=True)


class TextReply(models.Model):
    """A text a patient sent us about their next visit, and what it did.

    The words are kept only when no keyword matched (the front desk reads them); the number never is.
    """

    class Meaning(models.TextChoices):
        CONFIRM = "confirm", "C: confirmed they are coming"
        CHANGE = "change", "R: asked to change the time"
        TAKE_OFFER = "take_offer", "Y: took a waitlist offer"
        STOP = "stop", "Stopped texts"
        START = "start", "Restarted texts"
        HELP = "help", "Asked for help"
        OTHER = "other", "Something else: read it"

    appointment = models.ForeignKey(Appointment, on_delete=models.CASCADE, related_name="text_replies")
    provider_id = models.CharField(
        "Twilio's id", max_length=40, unique=True, help_text="So a webhook Twilio retries counts once."
    )
    meaning = models.CharField(max_length=10, choices=Meaning.choices)
    body = models.TextField("what they wrote", blank=True)
    needs_attention = models.BooleanField("front desk to act", default=False)
    received_at = models.DateTimeField(default=timezone.now)

    objects = TextReplyQuerySet.as_manager()

    class Meta:
        ordering = ["-received_at"]
        verbose_name_plural = "text replies"

    def __str__(self):
        return f"{self.get_meaning_display()}: {self.appointment}"
