"""Texts through Twilio's Messages API (the official `twilio` package), and the check on Twilio's webhooks.

Texting is off until TWILIO_ACCOUNT_SID, TWILIO_AUTH_TOKEN and a sender (TWILIO_FROM_NUMBER or
TWILIO_MESSAGING_SERVICE_SID) are set. TWILIO_API_URL points the SDK at another server speaking the
same API (tools/fake_twilio.py in tests and `make run`), through a custom HTTP client, the way
Twilio's documentation suggests for proxies. Nothing here logs a number or a body: the SDK's own
request log is turned down in settings.LOGGING, and errors are summarised by their code.
"""

import functools
from dataclasses import dataclass, replace
from datetime import timedelta
from urllib.parse import urlsplit

import requests
from django.apps import apps
from django.conf import settings
from django.urls import reverse
from django.utils import timezone
from twilio.base.exceptions import TwilioException, TwilioRestException
from twilio.http.http_client import TwilioHttpClient
from twilio.request_validator import RequestValidator
from twilio.rest import Client

from appointments import texts
from appointments.models import Message

TWILIO_API_URL = "https://api.twilio.com"
# Twilio's codes for a number that cannot take texts (a landline, an unknown or unroutable handset):
# the notification goes by email instead. https://www.twilio.com/docs/api/errors
CANNOT_RECEIVE = {21211, 21612, 21614, 30005, 30006}
# The number told Twilio itself STOP (Advanced Opt-Out): the same as telling us.
OPTED_OUT_AT_TWILIO = 21610


@dataclass(frozen=True, slots=True, kw_only=True)
class OutgoingText:
    to: str  # the patient's number, E.164
    body: str  # the text, from appointments/texts.py


class TextNotSent(Exception):
    """Twilio did not take the text. `summary` names the failure by its code, never by Twilio's words."""

    def __init__(self, summary: str, *, worth_retrying: bool, cannot_receive: bool = False,
                 retry_after: timedelta | None = None):  # fmt: skip
        super().__init__(summary)
        self.summary, self.worth_retrying, self.cannot_receive = summary, worth_retrying, cannot_receive
        self.retry_after = retry_after


def enabled() -> bool:
    config = settings.TRUFFLES_TWILIO
    sender = config["FROM_NUMBER"] or config["MESSAGING_SERVICE_SID"]
    return bool(config["ACCOUNT_SID"] and config["AUTH_TOKEN"] and sender)


class _ApiAt(TwilioHttpClient):
    """The SDK's HTTP client, sending to another server (same paths) and never waiting longer than `timeout`."""

    def __init__(self, base_url: str, timeout: float):
        super().__init__(timeout=timeout)
        self.base_url = base_url

    def request(self, method, url, *args, **kwargs):
        parts = urlsplit(url)
        return super().request(method, f"{self.base_url}{parts.path}", *args, **kwargs)


@functools.lru_cache(maxsize=4)
def _client(account_sid: str, auth_token: str, api_url: str, timeout: float) -> Client:
    http_client = TwilioHttpClient(timeout=timeout) if api_url == TWILIO_API_URL else _ApiAt(api_url, timeout)
    return Client(account_sid, auth_token, http_client=http_client)


def client() -> Client:
    config = settings.TRUFFLES_TWILIO
    return _client(config["ACCOUNT_SID"], config["AUTH_TOKEN"], config["API_URL"],
                   settings.TRUFFLES_MESSAGES["TIMEOUT_SECONDS"])  # fmt: skip


def send(text: OutgoingText, *, status_callback: str) -> str:
    """Hand one text to Twilio; returns its id (SM…) or raises TextNotSent."""
    config = settings.TRUFFLES_TWILIO
    sender = (
        {"messaging_service_sid": config["MESSAGING_SERVICE_SID"]}
        if config["MESSAGING_SERVICE_SID"]
        else {"from_": config["FROM_NUMBER"]}
    )
    try:
        created = client().messages.create(to=text.to, body=text.body, status_callback=status_callback, **sender)
    except TwilioRestException as error:
        raise refusal(error.status, error.code) from None
    except (requests.RequestException, TwilioException) as error:  # no answer: refused, timed out, cut off
        raise TextNotSent(type(error).__name__, worth_retrying=True) from None
    return created.sid


def refusal(status: int, code: int | None) -> TextNotSent:
    """What Twilio's error answer means for us: retry later (429, 5xx), email instead, or give up."""
    summary = f"Twilio {code}" if code else f"Twilio HTTP {status}"
    if status == 429 or status >= 500:
        return TextNotSent(summary, worth_retrying=True)
    return TextNotSent(summary, worth_retrying=False, cannot_receive=code in CANNOT_RECEIVE | {OPTED_OUT_AT_TWILIO})


def site_url(path: str) -> str:
    return settings.TRUFFLES_MESSAGES["SITE_URL"] + path


def status_callback_url(message_id: int) -> str:
    """Where Twilio reports on this text; the id in the URL is covered by Twilio's signature."""
    return site_url(f"{reverse('sms_status')}?notification={message_id}")


def facts_for(appointment) -> texts.TextFacts:
    link = appointment.short_link_path()
    return texts.TextFacts(
        clinic=settings.TRUFFLES_CLINIC["name"], phone=appointment.location.phone or settings.TRUFFLES_CLINIC["phone"],
        starts=timezone.localtime(appointment.starts_at), reference=appointment.reference,
        link=site_url(link) if link else "", confirmed=appointment.status == appointment.Status.CONFIRMED,
    )  # fmt: skip


def render(message: Message) -> OutgoingText:
    """The text for one notification, from the appointment as it is now."""
    appointment = message.appointment
    first = not Message.objects.filter(
        channel=Message.Channel.TEXT, state=Message.State.SENT, appointment__phone=appointment.phone
    ).exists()
    facts = facts_for(appointment)
    if message.kind == Message.Kind.WAITLIST_OFFER:  # the text names the time on offer, not the visit's own
        offer = apps.get_model("waitlist", "Offer").objects.get(pk=message.sequence)
        facts = replace(facts, starts=timezone.localtime(offer.starts_at))
    body = texts.compose(message.kind, facts, first=first)
    return OutgoingText(to=str(appointment.phone), body=body)


def signed_by_twilio(request) -> bool:
    """Whether a webhook carries Twilio's signature for the address we gave Twilio (under TRUFFLES_SITE_URL)."""
    signature = request.headers.get("X-Twilio-Signature", "")
    if not (enabled() and signature):
        return False
    validator = RequestValidator(settings.TRUFFLES_TWILIO["AUTH_TOKEN"])
    return validator.validate(site_url(request.get_full_path()), request.POST, signature)
