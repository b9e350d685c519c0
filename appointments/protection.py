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
from dataclasses import dataclass
from datetime import timedelta

from django.conf import settings
from django.db import connection, transaction
from django.utils import timezone

from appointments.models import SubmissionAttempt

KEEP_ATTEMPTS_FOR = timedelta(days=2)
# Mail domains that are one mailbox provider under two names.
SAME_PROVIDER = {"googlemail.com": "gmail.com"}
DOTLESS_PROVIDERS = {"gmail.com"}


def refusal_message() -> str:
    return f"We could not take this request online; please call us on {settings.TRUFFLES_CLINIC['phone']}."


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


def _ip(address: str) -> ipaddress.IPv4Address | ipaddress.IPv6Address | None:
    try:
        ip = ipaddress.ip_address(address)
    except ValueError:
        return None
    return ip.ipv4_mapped if ip.version == 6 and ip.ipv4_mapped else ip


def keys(address: str, email: str) -> dict[str, str]:
    """The keyed hashes a request is counted by; the domain's is blank for the large mail providers."""
    domain = mail_domain(email)
    large = {mail_domain(f"x@{name}") for name in settings.TRUFFLES_BOOKING["LARGE_MAIL_PROVIDERS"]}
    return {
        "address": SubmissionAttempt.hash("address", address_group(address)),
        "network": SubmissionAttempt.hash("network", source_network(address)),
        "domain": "" if domain in large else SubmissionAttempt.hash("domain", domain),
        "mailbox": SubmissionAttempt.hash("email", normalised_email(email)),
    }


@dataclass(frozen=True, slots=True, kw_only=True)
class Verdict:
    """What the limits say about one online request, counted under its locks."""

    refusal: str  # the neutral refusal when its address, network or domain is over its limit, else ""
    emails_code: bool  # a code email may go to its mailbox today, and was counted against its share


# Every count a request is judged by, in one round trip under its locks; when no limit refuses it, its
# attempt is recorded, and so is its code email while the mailbox has room. Unproven holds are
# EmailCheck.objects.unproven(now); a blank domain key (a large mail provider) counts none.
JUDGE_AND_RECORD = """
WITH counted AS (
    SELECT
        (SELECT count(*) FROM appointments_submissionattempt
         WHERE key = %(address)s AND created_at >= %(hour_ago)s) AS address,
        (SELECT count(*) FROM appointments_emailcheck
         WHERE network_key = %(network)s AND proven_at IS NULL AND expires_at > %(now)s) AS network,
        (SELECT count(*) FROM appointments_emailcheck
         WHERE domain_key = %(domain)s AND %(domain)s <> '' AND proven_at IS NULL AND expires_at > %(now)s) AS domain,
        (SELECT count(*) FROM appointments_submissionattempt
         WHERE key = %(mailbox)s AND created_at >= %(day_ago)s) AS mailbox
), verdict AS (
    SELECT address < %(per_address)s AND network < %(per_network)s AND domain < %(per_domain)s AS allowed,
           mailbox < %(per_mailbox)s AND %(emailing)s AS emails_code
    FROM counted
), recorded AS (
    INSERT INTO appointments_submissionattempt (key, created_at)
    SELECT %(address)s, %(now)s FROM verdict WHERE allowed
    UNION ALL
    SELECT %(mailbox)s, %(now)s FROM verdict WHERE allowed AND emails_code
)
SELECT allowed, allowed AND emails_code FROM verdict
"""


def judge(request_keys: dict[str, str], *, emailing: bool) -> Verdict:
    """Whether the request may go on and, if it is `emailing` a code, whether its mailbox may get it.

    Call it inside the transaction that stores the hold: the advisory locks last until it commits, so
    simultaneous submissions from one address, network, domain or mailbox each see the others' holds.
    A request that loses its time at the last moment (the exclusion constraint) has its code email
    counted though none is sent: in that rare race the mailbox's limit errs on the mailbox's side.
    """
    policy = settings.TRUFFLES_BOOKING
    _lock(request_keys["address"], request_keys["network"], request_keys["domain"], request_keys["mailbox"])
    now = timezone.now()
    with connection.cursor() as cursor:
        cursor.execute(JUDGE_AND_RECORD, {
            **request_keys, "now": now, "hour_ago": now - timedelta(hours=1), "day_ago": now - timedelta(days=1),
            "per_address": policy["RATE_PER_ADDRESS_PER_HOUR"], "per_network": policy["MAX_UNPROVEN_PER_NETWORK"],
            "per_domain": policy["MAX_UNPROVEN_PER_DOMAIN"], "per_mailbox": policy["RATE_PER_EMAIL_PER_DAY"],
            "emailing": emailing,
        })  # fmt: skip
        allowed, emails_code = cursor.fetchone()
    return Verdict(refusal="" if allowed else refusal_message(), emails_code=emails_code)


def _lock(*request_keys: str) -> None:
    """Take the keys' transaction locks in one round trip, always in the order given, so two requests
    never wait for each other in a cycle; a blank key (a large mail provider's domain) takes none."""
    keys = [key for key in request_keys if key]
    with connection.cursor() as cursor:
        cursor.execute("SELECT " + ", ".join(["pg_advisory_xact_lock(hashtext(%s))"] * len(keys)), keys)


def may_email_code(mailbox_key: str) -> bool:
    """Whether another code email may go to this mailbox today; past the cap nothing is sent (the
    page says the same), so a stranger cannot fill someone's inbox. Records the email."""
    _lock(mailbox_key)
    now = timezone.now()
    sent = SubmissionAttempt.objects.filter(key=mailbox_key, created_at__gte=now - timedelta(days=1)).count()
    if sent >= settings.TRUFFLES_BOOKING["RATE_PER_EMAIL_PER_DAY"]:
        return False
    SubmissionAttempt.objects.create(key=mailbox_key, created_at=now)
    return True


def forget_old_attempts() -> None:
    with transaction.atomic():
        SubmissionAttempt.objects.filter(created_at__lt=timezone.now() - KEEP_ATTEMPTS_FOR).delete()
