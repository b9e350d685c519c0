"""Anti-abuse for the public request form, without a CAPTCHA.

Counters live in PostgreSQL (keyed hashes only), so every app-server process shares them. What can
refuse a request depends only on where it comes from: its client address, its source network and its
mail domain, never on the history of an email address or a patient, so the answer tells a stranger
nothing about anyone. One abuser fills their own network's and domain's quota of unproven holds; the
holds expire within minutes, and everyone else still books. The keys fold what can be varied for
free: an email's case, +tag, Gmail's dots and IDNA spelling; an IPv4 /24 or IPv6 /48 network.
"""

import contextlib
import ipaddress
from datetime import timedelta

from django.conf import settings
from django.db import connection, transaction
from django.utils import timezone

from appointments.models import EmailCheck, SubmissionAttempt

KEEP_ATTEMPTS_FOR = timedelta(days=2)
# Mail domains that are one mailbox provider under two names.
SAME_PROVIDER = {"googlemail.com": "gmail.com"}
DOTLESS_PROVIDERS = {"gmail.com"}


def refusal_message() -> str:
    return f"We could not take this request online; please call us on {settings.CLINIC['phone']}."


def mail_domain(email: str) -> str:
    """The domain as DNS spells it: lower case, ASCII (IDNA), no trailing dot, one name per provider."""
    domain = email.strip().rpartition("@")[2].strip().rstrip(".").lower()
    with contextlib.suppress(UnicodeError):  # not a valid domain name: counted as typed
        domain = domain.encode("idna").decode("ascii")
    return SAME_PROVIDER.get(domain, domain)


def normalised_email(email: str) -> str:
    """One key per mailbox: Name+tag@Example.org, name@EXAMPLE.org.; m.a.ria@googlemail.com, maria@gmail.com."""
    local, at, _ = email.strip().rpartition("@")
    if not at:
        return email.strip().lower()
    domain = mail_domain(email)
    local = local.lower().split("+", 1)[0]
    if domain in DOTLESS_PROVIDERS:
        local = local.replace(".", "")
    return f"{local}@{domain}"


def address_group(address: str) -> str:
    """An IPv4 address as is; an IPv6 address as its /64 network (IPv4-mapped ones as IPv4)."""
    ip = _ip(address)
    if ip is None:
        return address
    return str(ipaddress.ip_network(f"{ip}/64", strict=False)) if ip.version == 6 else str(ip)


def source_network(address: str) -> str:
    """The network one client can easily spread over: an IPv4 /24, an IPv6 /48 (a site's allocation)."""
    ip = _ip(address)
    if ip is None:
        return address
    return str(ipaddress.ip_network(f"{ip}/{24 if ip.version == 4 else 48}", strict=False))


def _ip(address: str):
    try:
        ip = ipaddress.ip_address(address)
    except ValueError:
        return None
    return ip.ipv4_mapped if ip.version == 6 and ip.ipv4_mapped else ip


def keys(address: str, email: str) -> dict[str, str]:
    """The keyed hashes a request is counted by; the domain's is blank for the large mail providers."""
    domain = mail_domain(email)
    large = {mail_domain(f"x@{name}") for name in settings.BOOKING["LARGE_MAIL_PROVIDERS"]}
    return {
        "address": SubmissionAttempt.hash("address", address_group(address)),
        "network": SubmissionAttempt.hash("network", source_network(address)),
        "domain": "" if domain in large else SubmissionAttempt.hash("domain", domain),
        "mailbox": SubmissionAttempt.hash("email", normalised_email(email)),
    }


def refusal(request_keys: dict[str, str]) -> str:
    """The neutral refusal when the address, network or domain is over its limit, else "". Records the attempt.

    Call it inside the transaction that stores the hold: the advisory locks last until it commits, so
    simultaneous submissions from one network or domain each see the others' holds.
    """
    policy = settings.BOOKING
    with connection.cursor() as cursor:
        # Always in this order, so two requests never wait for each other in a cycle.
        for name in ("address", "network", "domain"):
            if request_keys[name]:
                cursor.execute("SELECT pg_advisory_xact_lock(hashtext(%s))", [request_keys[name]])
    now = timezone.now()
    attempts = SubmissionAttempt.objects.filter(key=request_keys["address"], created_at__gte=now - timedelta(hours=1))
    unproven = EmailCheck.objects.unproven(now)
    refused = (
        attempts.count() >= policy["RATE_PER_ADDRESS_PER_HOUR"]
        or unproven.filter(network_key=request_keys["network"]).count() >= policy["MAX_UNPROVEN_PER_NETWORK"]
        or (
            bool(request_keys["domain"])
            and unproven.filter(domain_key=request_keys["domain"]).count() >= policy["MAX_UNPROVEN_PER_DOMAIN"]
        )
    )
    if not refused:
        SubmissionAttempt.objects.create(key=request_keys["address"], created_at=now)
    return refusal_message() if refused else ""


def may_email_code(mailbox_key: str) -> bool:
    """Whether another code email may go to this mailbox today; past the cap nothing is sent (the
    page says the same), so a stranger cannot fill someone's inbox. Records the email."""
    with connection.cursor() as cursor:
        cursor.execute("SELECT pg_advisory_xact_lock(hashtext(%s))", [mailbox_key])
    now = timezone.now()
    sent = SubmissionAttempt.objects.filter(key=mailbox_key, created_at__gte=now - timedelta(days=1)).count()
    if sent >= settings.BOOKING["RATE_PER_EMAIL_PER_DAY"]:
        return False
    SubmissionAttempt.objects.create(key=mailbox_key, created_at=now)
    return True


def forget_old_attempts() -> None:
    with transaction.atomic():
        SubmissionAttempt.objects.filter(created_at__lt=timezone.now() - KEEP_ATTEMPTS_FOR).delete()
