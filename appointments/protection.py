"""Anti-abuse for the public request form, without a CAPTCHA.

Counters live in PostgreSQL (keyed hashes only), so every app-server process shares them.
"""

from datetime import timedelta

from django.conf import settings
from django.db import connection, transaction
from django.utils import timezone

from appointments.models import Appointment, SubmissionAttempt

KEEP_ATTEMPTS_FOR = timedelta(days=2)


def refusal(address: str, email: str, date_of_birth) -> str:
    """Why this submission is refused, or "" to let it through. Records the attempt."""
    policy = settings.BOOKING
    address_key = SubmissionAttempt.hash("address", address)
    email_key = SubmissionAttempt.hash("email", email)
    with transaction.atomic():
        # Simultaneous posts for the same address or email wait here, so each one counts the others'
        # attempts: count-then-insert without the lock lets a burst through the limit. Always in this
        # order (address, then email), so two requests never wait for each other in a cycle.
        with connection.cursor() as cursor:
            for key in (address_key, email_key):
                cursor.execute("SELECT pg_advisory_xact_lock(hashtext(%s))", [key])
        now = timezone.now()
        reason = _over_limit(policy, now, address_key, email_key, email, date_of_birth)
        if not reason:
            SubmissionAttempt.objects.bulk_create(
                [SubmissionAttempt(key=address_key, created_at=now), SubmissionAttempt(key=email_key, created_at=now)]
            )
    if not reason:
        SubmissionAttempt.objects.filter(created_at__lt=now - KEEP_ATTEMPTS_FOR).delete()
    return reason


def _over_limit(policy, now, address_key, email_key, email, date_of_birth) -> str:
    recent = SubmissionAttempt.objects.filter
    per_address = recent(key=address_key, created_at__gte=now - timedelta(hours=1)).count()
    if per_address >= policy["RATE_PER_ADDRESS_PER_HOUR"]:
        return (
            "We have received many requests from your connection in the last hour. "
            "Please try again later or call the clinic."
        )
    if recent(key=email_key, created_at__gte=now - timedelta(days=1)).count() >= policy["RATE_PER_EMAIL_PER_DAY"]:
        return "We have received several requests with this email address today. Please call the clinic to book."
    open_requests = Appointment.objects.open_for_patient(email, date_of_birth).count()
    if open_requests >= policy["MAX_OPEN_REQUESTS_PER_PATIENT"]:
        return (
            f"You already have {open_requests} upcoming requests with us. Cancel one from its confirmation "
            "page, or call the clinic, before requesting another."
        )
    return ""
