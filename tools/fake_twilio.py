"""A local stand-in for the part of Twilio's Messages API Truffles uses, as aiosmtpd is for email.

    python tools/fake_twilio.py --port 8089 --site-url http://127.0.0.1:8000

It speaks, on loopback:
- POST /2010-04-01/Accounts/<sid>/Messages.json (HTTP Basic auth: account SID and auth token):
  records the text and answers 201 with Twilio's JSON; then, like Twilio, POSTs signed delivery
  reports (sent, then delivered, or undelivered with error 30006 for a "landline") to StatusCallback.
  To +15005550009 it answers 400 with error 21614 (not a mobile number), as Twilio's test number does.
- For tests and developers (no auth, loopback only):
  GET  /_fake/messages        what was sent, oldest first (JSON)
  POST /_fake/mode            {"mode": "normal" | "stall" | "429" | "500", "count": n (optional)}
                              stall: read the request and never answer; 429/500: answer that error
                              (count times, then normal again)
  POST /_fake/landlines       {"numbers": ["+1…"]}: texts to these are reported undelivered (30006)
  POST /_fake/inbound         {"from": "+1…", "body": "C"}: a patient's text, POSTed signed to the
                              site's /sms/inbound/; answers {"status": 200, "twiml": "<Response>…"}
"Refusing" is the process stopped: tests stop it and start it again on the same port (--record keeps
what was sent across restarts). Standard library plus the twilio package's signature code only.
"""

import argparse
import base64
import json
import os
import secrets
import threading
import time
import urllib.error
import urllib.parse
import urllib.request
from datetime import UTC, datetime
from email.utils import format_datetime
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path

from twilio.request_validator import RequestValidator

NOT_A_MOBILE = "+15005550009"
MESSAGES_PATH = "/2010-04-01/Accounts/{sid}/Messages.json"
STALL_SECONDS = 60


class FakeTwilio:
    def __init__(self, account_sid: str, auth_token: str, site_url: str, record: Path | None):
        self.account_sid, self.auth_token, self.site_url, self.record = account_sid, auth_token, site_url, record
        self.sent = [json.loads(line) for line in record.read_text().splitlines()] if record and record.exists() else []
        self.mode, self.count, self.landlines = "normal", None, set()
        self.lock = threading.Lock()

    def next_fault(self) -> str:
        """The mode this request meets; a counted fault wears off."""
        with self.lock:
            mode = self.mode
            if self.count is not None and mode != "normal":
                self.count -= 1
                if self.count <= 0:
                    self.mode, self.count = "normal", None
            return mode

    def keep(self, message: dict) -> None:
        with self.lock:
            self.sent.append(message)
            if self.record:
                with self.record.open("a") as file:
                    file.write(json.dumps(message) + "\n")

    def sign(self, url: str, params: dict) -> str:
        return RequestValidator(self.auth_token).compute_signature(url, params)

    def post_signed(self, url: str, params: dict) -> tuple[int, str]:
        request = urllib.request.Request(  # noqa: S310 (the site under test)
            url, data=urllib.parse.urlencode(params).encode(), method="POST",
            headers={"X-Twilio-Signature": self.sign(url, params), "Content-Type": "application/x-www-form-urlencoded"},
        )  # fmt: skip
        try:
            with urllib.request.urlopen(request, timeout=5) as response:  # noqa: S310 (the site under test)
                return response.status, response.read().decode()
        except urllib.error.HTTPError as error:
            return error.code, error.read().decode()
        except OSError as error:
            return 0, type(error).__name__

    def report(self, message: dict) -> None:
        """Delivery reports, as Twilio sends them a moment after it took the text."""
        callback = message.get("status_callback")
        if not callback:
            return
        outcome = ("undelivered", "30006") if message["to"] in self.landlines else ("delivered", "")
        for status, code in (("sent", ""), outcome):
            time.sleep(0.2)
            params = {"MessageSid": message["sid"], "MessageStatus": status, "AccountSid": self.account_sid,
                      "From": message["from"], "To": message["to"], "ApiVersion": "2010-04-01"}  # fmt: skip
            if code:
                params["ErrorCode"] = code
            self.post_signed(callback, params)


class Handler(BaseHTTPRequestHandler):
    server_version = "FakeTwilio/1"
    fake: FakeTwilio

    def log_message(self, format, *args):  # the request line only: numbers travel in bodies, never here
        pass

    def _answer(self, status: int, body: dict | list, headers: dict | None = None) -> None:
        data = json.dumps(body).encode()
        self.send_response(status)
        self.send_header("Content-Type", "application/json")
        self.send_header("Content-Length", str(len(data)))
        for name, value in (headers or {}).items():
            self.send_header(name, value)
        self.end_headers()
        self.wfile.write(data)

    def _form(self) -> dict:
        raw = self.rfile.read(int(self.headers.get("Content-Length") or 0)).decode()
        return dict(urllib.parse.parse_qsl(raw, keep_blank_values=True))

    def _json(self) -> dict:
        return json.loads(self.rfile.read(int(self.headers.get("Content-Length") or 0)) or b"{}")

    def do_GET(self):
        if self.path == "/_fake/messages":
            return self._answer(200, self.fake.sent)
        return self._answer(404, {"code": 20404, "message": "Not found", "status": 404})

    def do_POST(self):
        fake = self.fake
        if self.path == MESSAGES_PATH.format(sid=fake.account_sid):
            return self.create_message()
        if self.path == "/_fake/mode":
            body = self._json()
            with fake.lock:
                fake.mode, fake.count = body.get("mode", "normal"), body.get("count")
            return self._answer(200, {"mode": fake.mode})
        if self.path == "/_fake/landlines":
            fake.landlines = set(self._json().get("numbers", []))
            return self._answer(200, {"landlines": sorted(fake.landlines)})
        if self.path == "/_fake/inbound":
            body = self._json()
            params = {"MessageSid": "SM" + secrets.token_hex(16), "AccountSid": fake.account_sid,
                      "From": body["from"], "To": body.get("to", "+15005550006"), "Body": body["body"],
                      "NumMedia": "0", "ApiVersion": "2010-04-01"}  # fmt: skip
            status, twiml = fake.post_signed(fake.site_url + "/sms/inbound/", params)
            return self._answer(200, {"status": status, "twiml": twiml, "sid": params["MessageSid"]})
        return self._answer(404, {"code": 20404, "message": "Not found", "status": 404})

    def create_message(self):
        fake = self.fake
        expected = "Basic " + base64.b64encode(f"{fake.account_sid}:{fake.auth_token}".encode()).decode()
        form = self._form()
        if self.headers.get("Authorization") != expected:
            return self._answer(401, {"code": 20003, "message": "Authenticate", "status": 401})
        fault = fake.next_fault()
        if fault == "stall":
            deadline = time.monotonic() + STALL_SECONDS
            while fake.mode == "stall" and time.monotonic() < deadline:
                time.sleep(0.05)
            self.close_connection = True
            return None
        if fault in ("429", "500"):
            status = int(fault)
            error = {"code": 20429 if status == 429 else 20500, "message": "Fake fault", "status": status}
            return self._answer(status, error, {"Retry-After": "1"} if status == 429 else None)
        if not form.get("To", "").startswith("+") or not form.get("Body"):
            return self._answer(400, {"code": 21604, "message": "A 'To' and a 'Body' are required", "status": 400})
        if not (form.get("From") or form.get("MessagingServiceSid")):
            return self._answer(400, {"code": 21603, "message": "A 'From' is required", "status": 400})
        if form["To"] == NOT_A_MOBILE:
            return self._answer(400, {"code": 21614, "message": "Not a mobile number", "status": 400})
        return self._answer(201, self.accept(form))

    def accept(self, form: dict) -> dict:
        fake = self.fake
        now = format_datetime(datetime.now(UTC), usegmt=True)
        message = {
            "sid": "SM" + secrets.token_hex(16), "account_sid": fake.account_sid, "to": form["To"],
            "from": form.get("From") or None, "messaging_service_sid": form.get("MessagingServiceSid") or None,
            "body": form["Body"], "status": "queued", "num_segments": "1", "num_media": "0",
            "direction": "outbound-api", "api_version": "2010-04-01", "date_created": now, "date_updated": now,
            "date_sent": None, "price": None, "price_unit": "USD", "error_code": None, "error_message": None,
            "uri": f"/2010-04-01/Accounts/{fake.account_sid}/Messages/SM.json", "subresource_uris": {},
        }  # fmt: skip
        message["uri"] = message["uri"].replace("SM.json", f"{message['sid']}.json")
        fake.keep({**message, "status_callback": form.get("StatusCallback", "")})
        threading.Thread(target=fake.report, args=({**message, "status_callback": form.get("StatusCallback")},),
                         daemon=True).start()  # fmt: skip
        return message


def watch(pid: int, server: ThreadingHTTPServer) -> None:
    """Stop when the process beside us (make run's web server) ends."""
    while True:
        try:
            os.kill(pid, 0)
        except ProcessLookupError:
            server.shutdown()
            return
        time.sleep(1)


def main():
    parser = argparse.ArgumentParser(description="A local stand-in for Twilio's Messages API.")
    parser.add_argument("--port", type=int, default=8089)
    parser.add_argument("--account-sid", default="ACfake0000000000000000000000000000")
    parser.add_argument("--auth-token", default="fake-auth-token")
    parser.add_argument("--site-url", default="http://127.0.0.1:8000", help="The site whose /sms/inbound/ gets texts")
    parser.add_argument("--record", type=Path, help="A file that keeps what was sent across restarts (JSON lines)")
    parser.add_argument("--stop-with", type=int, metavar="PID")
    options = parser.parse_args()
    Handler.fake = FakeTwilio(options.account_sid, options.auth_token, options.site_url.rstrip("/"), options.record)
    server = ThreadingHTTPServer(("127.0.0.1", options.port), Handler)
    server.daemon_threads = True
    if options.stop_with:
        threading.Thread(target=watch, args=(options.stop_with, server), daemon=True).start()
    print(f"Fake Twilio API on http://127.0.0.1:{options.port}", flush=True)
    server.serve_forever(poll_interval=0.2)


if __name__ == "__main__":
    main()
