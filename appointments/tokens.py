"""Reference numbers and the secrets behind a patient's links: made here, only their digests are stored."""

import base64
import hashlib
import secrets

from django.utils.crypto import salted_hmac

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
