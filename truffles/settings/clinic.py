"""The clinic's own settings (TRUFFLES_*): who the clinic is, its booking policy, messages, texts, waitlist."""

from datetime import time

from truffles.settings.framework import ALLOWED_HOSTS, DEBUG, TIME_ZONE, TRUFFLES_PROVIDER_TIMEOUT_SECONDS, env

# --- The clinic -------------------------------------------------------------------------------------

_US_TIME_ZONE_NAMES = {
    "America/New_York": "Eastern Time", "America/Chicago": "Central Time", "America/Denver": "Mountain Time",
    "America/Phoenix": "Mountain Time (Arizona)", "America/Los_Angeles": "Pacific Time",
    "America/Anchorage": "Alaska Time", "Pacific/Honolulu": "Hawaii Time",
}  # fmt: skip
# The clinic shown in the header and footer; the Location rows carry the full details.
TRUFFLES_CLINIC = {
    "name": env.str("TRUFFLES_CLINIC_NAME", default="Truffles Vein Specialists"),
    "phone": env.str("TRUFFLES_CLINIC_PHONE", default="(555) 010-2030"),
    "email": env.str("TRUFFLES_CLINIC_EMAIL", default="care@truffles-veins.example"),
    "address": env.str("TRUFFLES_CLINIC_ADDRESS", default="120 Harbor Street, Suite 300, Springfield"),
    "time_zone": TIME_ZONE,
    # How patients read the zone: "Eastern Time", not "America/New_York".
    "time_zone_name": env.str("TRUFFLES_TIME_ZONE_NAME", default=_US_TIME_ZONE_NAMES.get(TIME_ZONE, TIME_ZONE)),
}
OTP_TOTP_ISSUER = TRUFFLES_CLINIC["name"]  # the name staff see in their authenticator app

# Booking policy for online requests (minutes, hours, days); staff bookings ignore notice and horizon.
TRUFFLES_BOOKING = {
    "SLOT_STEP_MINUTES": env.int("TRUFFLES_SLOT_STEP_MINUTES", default=15),
    "MIN_NOTICE_HOURS": env.int("TRUFFLES_MIN_NOTICE_HOURS", default=24),
    "HORIZON_DAYS": env.int("TRUFFLES_HORIZON_DAYS", default=60),
    # Anti-abuse: submissions per client address per hour; code emails per mailbox per day (past it the
    # answer is the same, no email leaves); open visits per patient, counted once the email is proved.
    "RATE_PER_ADDRESS_PER_HOUR": env.int("TRUFFLES_RATE_PER_ADDRESS_PER_HOUR", default=10),
    "RATE_PER_EMAIL_PER_DAY": env.int("TRUFFLES_RATE_PER_EMAIL_PER_DAY", default=5),
    "MAX_OPEN_REQUESTS_PER_PATIENT": env.int("TRUFFLES_MAX_OPEN_REQUESTS_PER_PATIENT", default=2),
    # Times held for an email code not yet entered, per source network (IPv4 /24, IPv6 /48) and per mail
    # domain (the large providers below aside); each hold lasts HOLD_MINUTES at most.
    "MAX_UNPROVEN_PER_NETWORK": env.int("TRUFFLES_MAX_UNPROVEN_PER_NETWORK", default=4),
    "MAX_UNPROVEN_PER_DOMAIN": env.int("TRUFFLES_MAX_UNPROVEN_PER_DOMAIN", default=4),
    "HOLD_MINUTES": env.int("TRUFFLES_HOLD_MINUTES", default=20),
    "CODE_EMAILS_PER_REQUEST": env.int("TRUFFLES_CODE_EMAILS_PER_REQUEST", default=3),
    "WRONG_CODES_PER_REQUEST": env.int("TRUFFLES_WRONG_CODES_PER_REQUEST", default=6),
    "LARGE_MAIL_PROVIDERS": env.list("TRUFFLES_LARGE_MAIL_PROVIDERS", default=[
        "gmail.com", "yahoo.com", "outlook.com", "hotmail.com", "live.com", "msn.com", "icloud.com", "me.com",
        "aol.com", "comcast.net", "att.net", "verizon.net", "proton.me", "protonmail.com",
    ]),
    "PRIVACY_NOTICE_VERSION": env.str("TRUFFLES_PRIVACY_NOTICE_VERSION", default="2026-11"),
}  # fmt: skip

# Messages to patients and the clinic: sent by the worker, retried with doubling waits, never with health details.
TRUFFLES_MESSAGES = {
    "TIMEOUT_SECONDS": TRUFFLES_PROVIDER_TIMEOUT_SECONDS,
    "ATTEMPTS": env.int("TRUFFLES_MAIL_ATTEMPTS", default=8),
    "RETRY_SECONDS": env.float("TRUFFLES_MAIL_RETRY_SECONDS", default=60),
    "REMINDER_HOURS": env.float("TRUFFLES_REMINDER_HOURS", default=24),
    "CLINIC_INBOX": env.str("TRUFFLES_CLINIC_INBOX", default="") or TRUFFLES_CLINIC["email"],
    # Links in messages: the worker has no request to take the host from.
    "SITE_URL": env.str("TRUFFLES_SITE_URL", default="").rstrip("/")
    or ("http://127.0.0.1:8000" if DEBUG or not ALLOWED_HOSTS else f"https://{ALLOWED_HOSTS[0]}"),
}
# Texts through Twilio (appointments/sms.py): off until the account and a sender are set.
TRUFFLES_TWILIO = {
    "ACCOUNT_SID": env.str("TWILIO_ACCOUNT_SID", default=""),
    "AUTH_TOKEN": env.str("TWILIO_AUTH_TOKEN", default=""),
    "FROM_NUMBER": env.str("TWILIO_FROM_NUMBER", default=""),
    "MESSAGING_SERVICE_SID": env.str("TWILIO_MESSAGING_SERVICE_SID", default=""),
    # Another server speaking Twilio's API (tools/fake_twilio.py for tests and `make run`, a staging mock).
    "API_URL": env.str("TWILIO_API_URL", default="https://api.twilio.com").rstrip("/"),
}
_quiet = env.str("TRUFFLES_TEXT_QUIET_HOURS", default="21:00-08:00").split("-")
TRUFFLES_TEXTS = {
    # No text leaves between these clinic times (TCPA: 8 am to 9 pm at the patient's place); it waits for the morning.
    "QUIET_HOURS": tuple(time.fromisoformat(part.strip()) for part in _quiet),
    # Stored with each patient's consent to texts; change it when the consent wording changes.
    "CONSENT_VERSION": env.str("TRUFFLES_TEXT_CONSENT_VERSION", default="2026-12"),
}
# "Tell me if an earlier time opens" (README "The waitlist"): off switch, how long an offer holds,
# how many patients one freed time is offered to at once, when unanswered offers stop, and the clinic-time
# hours offers go out in (from 8 am to 9 pm, the texting rules' quiet hours; at night they wait).
TRUFFLES_WAITLIST = {
    "ENABLED": env.bool("TRUFFLES_WAITLIST_ENABLED", default=True),
    "OFFER_HOURS": (
        env.int("TRUFFLES_WAITLIST_FIRST_HOUR", default=8), env.int("TRUFFLES_WAITLIST_LAST_HOUR", default=21)
    ),
    "HOLD_MINUTES": env.int("TRUFFLES_WAITLIST_HOLD_MINUTES", default=30),
    "OFFERS_AT_ONCE": env.int("TRUFFLES_WAITLIST_OFFERS_AT_ONCE", default=3),
    "MAX_UNANSWERED": env.int("TRUFFLES_WAITLIST_MAX_UNANSWERED", default=3),
}

# A health article's medical review falls due this many months after the last one.
TRUFFLES_REVIEW_MONTHS = env.int("TRUFFLES_REVIEW_MONTHS", default=12)
# Retention: patient details of finished appointments are erased this many days after the visit.
TRUFFLES_RETENTION_DAYS = env.int("TRUFFLES_RETENTION_DAYS", default=365)
# A patient's manage link stops working this many days after the visit.
TRUFFLES_MANAGE_LINK_DAYS_AFTER_VISIT = env.int("TRUFFLES_MANAGE_LINK_DAYS_AFTER_VISIT", default=30)
