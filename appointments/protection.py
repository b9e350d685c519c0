"""Anti-abuse for the public request form, without a CAPTCHA.

Counters live in PostgreSQL (keyed hashes only), so every app-server process shares them. Every
limit gives the same refusal, with no count and no hint of which limit it was, so the form never
tells a stranger whether someone is a patient here. The caps key on what cannot be varied for free:
an email without its case or +tag, an IPv6 client's /64 network (one home or phone gets a /64).
"""

import ipaddress
from datetime import timedelta

from django.conf import settings
from django.db import connection, transaction
from django.utils import timezone

from appointments.models import Appointment, SubmissionAttempt

KEEP_ATTEMPTS_FOR = timedelta(days=2)
SITE_WIDE_KEY = "online-requests"


def refusal_message() -> str:
    return f"We could not take this request online; please call us on {settings.CLINIC['phone']}."


def normalised_email(email: str) -> str:
    """name+tag@Example.org and NAME@example.org are one mailbox to count."""
    local, _, domain = email.strip().lower().rpartition("@")
    return f"{local.split('+', 1)[0]}@{domain}" if local else email.strip().lower()


def address_group(address: str) -> str:
    """An IPv4 address as is; an IPv6 address as its /64 network (IPv4-mapped ones as IPv4)."""
    try:
        ip = ipaddress.ip_address(address)
    except ValueError:
        return address
    if ip.version == 6 and ip.ipv4_mapped:
        return str(ip.ipv4_mapped)
    if ip.version == 6:
        return str(ipaddress.ip_network(f"{ip}/64", strict=False))
    return str(ip)


def refusal(address: str, email: str, date_of_birth) -> str:
    """The neutral refusal when any limit is reached, or "" to let it through. Records the attempt."""
    policy = settings.BOOKING
    mailbox = normalised_email(email)
    address_key = SubmissionAttempt.hash("address", address_group(address))
    email_key = SubmissionAttempt.hash("email", mailbox)
    with transaction.atomic():
        # Simultaneous posts for the same address or email wait here, so each one counts the others'
        # attempts: count-then-insert without the lock lets a burst through the limit. Always in this
        # order (address, email, site-wide), so two requests never wait for each other in a cycle.
        with connection.cursor() as cursor:
            for key in (address_key, email_key, SITE_WIDE_KEY):
                cursor.execute("SELECT pg_advisory_xact_lock(hashtext(%s))", [key])
        now = timezone.now()
        refused = _over_limit(policy, now, address_key, email_key, mailbox, date_of_birth)
        if not refused:
            SubmissionAttempt.objects.bulk_create(
                [SubmissionAttempt(key=address_key, created_at=now), SubmissionAttempt(key=email_key, created_at=now)]
            )
    if not refused:
        SubmissionAttempt.objects.filter(created_at__lt=now - KEEP_ATTEMPTS_FOR).delete()
    return refusal_message() if refused else ""


def _over_limit(policy, now, address_key, email_key, mailbox, date_of_birth) -> bool:
    recent = SubmissionAttempt.objects.filter
    if recent(key=address_key, created_at__gte=now - timedelta(hours=1)).count() >= policy["RATE_PER_ADDRESS_PER_HOUR"]:
        return True
    if recent(key=email_key, created_at__gte=now - timedelta(days=1)).count() >= policy["RATE_PER_EMAIL_PER_DAY"]:
        return True
    # Open online requests made in the last day, whoever made them: no one client can hold the calendar.
    online_today = Appointment.objects.filter(
        status=Appointment.Status.REQUESTED, submission_token__isnull=False, created_at__gte=now - timedelta(days=1)
    )
    if online_today.count() >= policy["MAX_OPEN_ONLINE_REQUESTS_PER_DAY"]:
        return True
    return _open_requests(mailbox, date_of_birth) >= policy["MAX_OPEN_REQUESTS_PER_PATIENT"]


def _open_requests(mailbox: str, date_of_birth) -> int:
    domain = mailbox.rpartition("@")[2]
    candidates = Appointment.objects.active().filter(
        email__iendswith=f"@{domain}", date_of_birth=date_of_birth, starts_at__gte=timezone.now()
    )
    return sum(1 for email in candidates.values_list("email", flat=True) if normalised_email(email) == mailbox)
