"""What the clinic sends patients (emails and texts), who asked for no more texts, and what patients text back."""


from django.db import models
from django.utils import timezone
from django.utils.crypto import salted_hmac

from appointments.models.appointment import Appointment


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
