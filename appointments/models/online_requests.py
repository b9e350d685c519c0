"""Guards of the public request form: attempts counted by keyed hashes, and the email code that proves a mailbox."""


from datetime import datetime
from typing import Self

from django.db import models
from django.utils import timezone
from django.utils.crypto import constant_time_compare, salted_hmac

from appointments.models.appointment import Appointment


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
    def unproven(self, now: datetime | None = None) -> Self:
        """Codes still waiting for the patient: each one holds a time."""
        return self.filter(proven_at=None, expires_at__gt=now or timezone.now())

    def expired(self, now: datetime | None = None) -> Self:
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
