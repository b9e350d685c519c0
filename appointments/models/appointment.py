"""An appointment: a patient's visit (or an online request for one) and everything they told us."""

from datetime import date
from typing import Any

from django.contrib.postgres.constraints import ExclusionConstraint
from django.contrib.postgres.fields import RangeBoundary, RangeOperators
from django.db import models
from django.db.models import F, Q
from django.db.models.functions import Upper
from django.urls import reverse
from django.utils import timezone
from django.utils.crypto import constant_time_compare
from phonenumber_field.modelfields import PhoneNumberField

from appointments.models.appointment_queryset import AppointmentQuerySet
from appointments.models.schedule import Location, Provider, TsTzRange, VisitType
from appointments.models.statuses import ACTIVE_STATUSES, TIME_HOLDING_STATUSES, AppointmentStatus
from appointments.tokens import manage_token_digest, manage_token_for, new_manage_token, new_reference, short_code_for
from core.days import age_on


class Appointment(models.Model):
    Status = AppointmentStatus
    ACTIVE_STATUSES = ACTIVE_STATUSES
    TIME_HOLDING_STATUSES = TIME_HOLDING_STATUSES
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
                condition=Q(status__in=TIME_HOLDING_STATUSES),
            ),
        ]

    def __str__(self):
        # The reference only: this text ends up in admin logs and messages, which outlive erasure.
        return self.reference

    def save(self, *args: Any, **kwargs: Any) -> None:
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
        return age_on(self.date_of_birth, day)

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
