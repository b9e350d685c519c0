from django.db import models
from django.utils import timezone


class AuditEntryQuerySet(models.QuerySet):
    def for_appointment(self, appointment):
        """One appointment's trail, newest first (one index scan)."""
        return self.filter(appointment_id=getattr(appointment, "pk", appointment)).order_by("-occurred_at", "-id")


class AuditEntry(models.Model):
    """Who saw, changed or exported which appointment, and from where.

    Rows are written by `audit.trail.record_access` (views, lists, exports) and by database
    triggers on the appointments table (creation, every change, deletion, bulk updates
    included) and on users, groups, permissions and authenticators (changes of access; see
    audit/triggers.py). Further triggers refuse UPDATE, DELETE and TRUNCATE: the trail is append-only.
    Entries name the fields that changed; values are kept only for scheduling fields,
    never for the patient's details or intake.
    """

    class Action(models.TextChoices):
        VIEW = "view", "Viewed"
        LIST = "list", "Listed"  # a row on a list, the schedule or the phone finder: name, date, flags
        EXPORT = "export", "Exported"
        CREATE = "create", "Created"
        CHANGE = "change", "Changed"
        DELETE = "delete", "Deleted"
        REPORT = "report", "Opened a report"  # aggregates only (Insights): no single appointment
        ACCESS = "access", "Changed access"  # a user, group, permission or authenticator (no appointment)

    occurred_at = models.DateTimeField(default=timezone.now)
    action = models.CharField(max_length=10, choices=Action.choices)
    # Plain integers and a copied username, so entries outlive deleted users and appointments.
    appointment_id = models.BigIntegerField(
        null=True, blank=True, help_text="Empty on a report's entry and on a change of access."
    )
    user_id = models.BigIntegerField(null=True, blank=True)
    username = models.CharField(max_length=150, blank=True, help_text="Empty: the public website (a patient).")
    address = models.CharField(max_length=45, blank=True, help_text="Client IP address.")
    changed_fields = models.JSONField(default=list, blank=True)
    changes = models.JSONField(
        default=dict, blank=True, help_text="Old and new values of scheduling fields only; never patient details."
    )
    # Written by triggers too, so the database supplies the default.
    where = models.CharField(
        max_length=60, blank=True, db_default="",
        help_text="The staff page that showed the appointment, or the table whose change of access this is.",
    )
    subject = models.CharField(
        max_length=100, blank=True, db_default="", help_text="Whose access changed: a user or a group, by id."
    )

    objects = AuditEntryQuerySet.as_manager()

    class Meta:
        # The table was created by the staff app, which held this model before the audit app existed.
        db_table = "staff_auditentry"
        verbose_name_plural = "audit entries"
        ordering = ["-occurred_at", "-id"]
        indexes = [
            models.Index(fields=["appointment_id", "-occurred_at"], name="audit_by_appointment"),
            models.Index(fields=["-occurred_at"], name="audit_by_time"),
            models.Index(fields=["username", "-occurred_at"], name="audit_by_user"),
        ]

    def __str__(self):
        if self.appointment_id is None:
            about = self.subject or ", ".join(self.changed_fields)  # a change of access, or a report's name
            return f"{self.actor} {self.get_action_display().lower()}: {about}"
        return f"{self.actor} {self.get_action_display().lower()} appointment {self.appointment_id}"

    def describe(self, status_labels: dict, field_labels: dict | None = None) -> str:
        """The entry in words: the action, the fields it touched (by `field_labels`), and a status change."""
        text = self.get_action_display()
        labels = field_labels or {}
        if self.changed_fields:
            text += ": " + ", ".join(labels.get(field, field.replace("_", " ")) for field in self.changed_fields)
        status = self.changes.get("status")
        if status:
            old, new = (status_labels.get(status.get(key), status.get(key) or "—") for key in ("from", "to"))
            text += f" (status {old} → {new})"
        return text

    @property
    def actor(self) -> str:
        """Who acted, for people reading the trail."""
        if self.username:
            return self.username
        # Nobody signed in: the public request form, or a shell, command or job without `acting_as`.
        if self.action == self.Action.CREATE and self.user_id is None:
            return "the patient online"
        return "system"
