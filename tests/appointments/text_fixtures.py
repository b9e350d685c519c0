"""The local Twilio stand-in (tools/fake_twilio.py) as a real process on loopback, and texting settings.

Registered in tests/conftest.py. Every wait here has a bound.
"""

import json
import subprocess
import sys
import urllib.request
from datetime import datetime, timedelta
from pathlib import Path

import pytest
from django.utils import timezone
from twilio.request_validator import RequestValidator

from tests.processes import free_port, wait_until

BASE_DIR = Path(__file__).resolve().parents[2]
ACCOUNT_SID = "ACtest00000000000000000000000000"
AUTH_TOKEN = "test-auth-token-for-the-fake-only"
CLINIC_NUMBER = "+15005550006"
SITE_URL = "https://clinic.example"


class FakeTwilioProcess:
    """tools/fake_twilio.py on a free loopback port; `stop()` then `start()` is a provider that refuses."""

    def __init__(self, log_dir: Path, site_url: str = SITE_URL):
        self.port = free_port()
        self.site_url = site_url
        self.record = log_dir / f"fake-twilio-{self.port}.jsonl"
        self.log = log_dir / f"fake-twilio-{self.port}.log"
        self.process = None

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    def start(self):
        with open(self.log, "ab") as log:
            self.process = subprocess.Popen(
                [sys.executable, "tools/fake_twilio.py", "--port", str(self.port), "--account-sid", ACCOUNT_SID,
                 "--auth-token", AUTH_TOKEN, "--site-url", self.site_url, "--record", str(self.record)],
                cwd=BASE_DIR, stdout=log, stderr=subprocess.STDOUT,
            )  # fmt: skip
        wait_until(self._answers, 10, message="the fake Twilio API to listen")
        return self

    def stop(self):
        if self.process and self.process.poll() is None:
            self.process.terminate()
            self.process.wait(timeout=10)

    def _answers(self) -> bool:
        try:
            self._call("GET", "/_fake/messages")
        except OSError:
            return False
        return True

    def _call(self, method: str, path: str, body: dict | None = None, timeout: float = 10):
        data = json.dumps(body).encode() if body is not None else None
        request = urllib.request.Request(self.url + path, data=data, method=method)  # noqa: S310 (loopback)
        with urllib.request.urlopen(request, timeout=timeout) as response:  # noqa: S310 (loopback)
            return json.loads(response.read())

    # What tests do with it
    def sent(self) -> list[dict]:
        return self._call("GET", "/_fake/messages")

    def sent_to(self, number: str) -> list[dict]:
        return [message for message in self.sent() if message["to"] == number]

    def wait_for(self, count: int, timeout: float = 30, number: str | None = None) -> list[dict]:
        texts = (lambda: self.sent_to(number)) if number else self.sent
        wait_until(lambda: len(texts()) >= count, timeout, message=f"{count} text(s) at the fake Twilio API")
        return texts()

    def set_mode(self, mode: str, count: int | None = None):
        return self._call("POST", "/_fake/mode", {"mode": mode, "count": count})

    def landlines(self, *numbers: str):
        return self._call("POST", "/_fake/landlines", {"numbers": list(numbers)})

    def text_from(self, number: str, body: str) -> dict:
        """A patient's text, POSTed (signed) by the fake to the site's /sms/inbound/; returns what came back."""
        return self._call("POST", "/_fake/inbound", {"from": number, "body": body})

    def environment(self) -> dict:
        """What a worker or web process needs to text through this fake."""
        return {"TWILIO_ACCOUNT_SID": ACCOUNT_SID, "TWILIO_AUTH_TOKEN": AUTH_TOKEN,
                "TWILIO_FROM_NUMBER": CLINIC_NUMBER, "TWILIO_API_URL": self.url,
                "TRUFFLES_TEXT_QUIET_HOURS": quiet_hours_away_from_now()}  # fmt: skip


def quiet_hours_away_from_now(start_in_hours: int = 6) -> str:
    """Quiet hours that do not cover the next few hours, whatever the time the tests run at."""
    now = timezone.localtime()
    start = (now + timedelta(hours=start_in_hours)).replace(minute=0)
    return f"{start:%H:%M}-{start + timedelta(hours=1):%H:%M}"


def quiet_hours_around_now() -> tuple:
    """Quiet hours that cover this very moment (clinic time), ending within the hour."""
    now = timezone.localtime()
    return ((now - timedelta(minutes=30)).time().replace(second=0, microsecond=0),
            (now + timedelta(minutes=40)).time().replace(second=0, microsecond=0))  # fmt: skip


@pytest.fixture
def fake_twilio(tmp_path):
    """The fake Twilio API as a real process; `.sent()` holds what it took."""
    server = FakeTwilioProcess(tmp_path).start()
    yield server
    server.stop()


@pytest.fixture
def texting(settings, fake_twilio):
    """This process (web views, in-process tasks) texts through the fake, outside any quiet hours."""
    settings.TRUFFLES_TWILIO = {"ACCOUNT_SID": ACCOUNT_SID, "AUTH_TOKEN": AUTH_TOKEN, "FROM_NUMBER": CLINIC_NUMBER,
                       "MESSAGING_SERVICE_SID": "", "API_URL": fake_twilio.url}  # fmt: skip
    start, end = quiet_hours_away_from_now().split("-")
    settings.TRUFFLES_TEXTS = {**settings.TRUFFLES_TEXTS, "QUIET_HOURS": (
        datetime.strptime(start, "%H:%M").time(), datetime.strptime(end, "%H:%M").time())}  # fmt: skip
    settings.TRUFFLES_MESSAGES = {**settings.TRUFFLES_MESSAGES, "SITE_URL": fake_twilio.site_url,
                                  "TIMEOUT_SECONDS": 2}  # fmt: skip
    return fake_twilio


def signed_post(client, path: str, params: dict, *, token: str = AUTH_TOKEN, site_url: str = SITE_URL, **extra):
    """POST as Twilio does: form fields and X-Twilio-Signature over the site's address for `path`."""
    signature = RequestValidator(token).compute_signature(site_url + path, params)
    return client.post(path, params, HTTP_X_TWILIO_SIGNATURE=signature, **extra)
