"""No working token, name, date of birth, phone or email in any log line of any real process.

A PostgreSQL cluster of the test's own, granian, the task worker and nginx with the shipped
deploy/nginx.conf. A patient books through nginx; then every method on every URL that carries the
patient's token (their page, cancel, calendar, the reschedule steps), CSRF failures included, and
staff searches by name, email, phone and date of birth in the admin and the phone finder. Then every
log file is read back: the app's, the worker's, nginx's access and error logs and the database server's.
"""

import http.cookiejar
import json
import re
import subprocess
import sys
import urllib.error
import urllib.parse
import urllib.request
from datetime import timedelta
from html import unescape

import pytest
from django.utils import timezone

from tests.appointments.mail_fixtures import LocalSMTP
from tests.processes import (
    GRANIAN,
    GRANIAN_FLAGS,
    ROOT,
    dedicated_postgres,
    free_port,
    loopback_nginx,
    production_env,
    running,
    start,
    wait_until,
    wait_until_answers,
)

pytestmark = pytest.mark.process

PATIENT = {
    "first_name": "Quintessa",
    "last_name": "Vandermolen",
    "email": "quintessa.vandermolen@example.org",
    "phone": "(201) 555-0177",
    "date_of_birth": "1967-02-19",
}
# Every spelling of the patient's details a log line could hold.
SECRET_SPELLINGS = [
    "Quintessa", "Vandermolen", "quintessa.vandermolen", "example.org", "2015550177", "555-0177", "555.0177",
    "1967-02-19", "02/19/1967", "2/19/1967", "19670219",
]  # fmt: skip
METHODS = ["GET", "HEAD", "POST", "PUT", "PATCH", "DELETE", "OPTIONS"]
HIDDEN = re.compile(r'<input type="hidden" name="([^"]+)" value="([^"]*)"')

SEED = """
import json
from datetime import time, timedelta
from django.conf import settings
from django.contrib.auth import BACKEND_SESSION_KEY, HASH_SESSION_KEY, SESSION_KEY
from django.contrib.auth.models import User
from django.contrib.sessions.backends.db import SessionStore
from django_otp import DEVICE_ID_SESSION_KEY
from django_otp.plugins.otp_totp.models import TOTPDevice
from appointments.models import Location, Provider, VisitType, WorkingHours

location = Location.objects.create(name="Harbor Street", address="120 Harbor St", phone="(555) 010-2030",
                                   email="care@clinic.example")
vein = VisitType.objects.create(name="Vein evaluation", slug="vein-evaluation", duration=timedelta(minutes=45))
marsh = Provider.objects.create(name="Dr. Elena Marsh", credentials="MD")
marsh.visit_types.set([vein])
for weekday in range(7):
    WorkingHours.objects.create(provider=marsh, location=location, weekday=weekday, starts_at=time(8),
                                ends_at=time(18))
user = User.objects.create_superuser("manager", "manager@clinic.example", "a long enough password")
device = TOTPDevice.objects.create(user=user, name="Authenticator app", confirmed=True)
session = SessionStore()
session.update({SESSION_KEY: str(user.pk), BACKEND_SESSION_KEY: settings.AUTHENTICATION_BACKENDS[-1],
                HASH_SESSION_KEY: user.get_session_auth_hash(), DEVICE_ID_SESSION_KEY: device.persistent_id})
session.create()
print(json.dumps({"provider": marsh.pk, "session": session.session_key}))
"""


class NoRedirect(urllib.request.HTTPRedirectHandler):
    def redirect_request(self, *args, **kwargs):
        return None


def browser(cookies=None):
    jar = http.cookiejar.CookieJar()
    for name, value in (cookies or {}).items():
        jar.set_cookie(http.cookiejar.Cookie(
            0, name, value, None, False, "127.0.0.1", False, False, "/", True, False, None, False, None, None, {}
        ))  # fmt: skip
    return urllib.request.build_opener(urllib.request.HTTPCookieProcessor(jar), NoRedirect())


def send(opener, url, method="GET", data=None):
    body = urllib.parse.urlencode(data or {}, doseq=True).encode() if method not in ("GET", "HEAD") else None
    request = urllib.request.Request(url, data=body, method=method)  # noqa: S310 (loopback, built here)
    try:
        with opener.open(request, timeout=30) as response:
            return response.status, response.headers, response.read().decode(errors="replace")
    except urllib.error.HTTPError as error:
        return error.code, error.headers, error.read().decode(errors="replace")


@pytest.fixture(scope="module")
def site(tmp_path_factory):
    """The clinic behind nginx, with the worker and a mail server, on a database cluster of its own."""
    workdir = tmp_path_factory.mktemp("sweep")
    smtp = LocalSMTP().answer()
    with dedicated_postgres() as (server, app_url, owner_url, _):
        owner_env = production_env(DATABASE_URL=app_url, DATABASE_OWNER_URL=owner_url, TRUFFLES_DATABASE_ROLE="owner")
        subprocess.run([sys.executable, "manage.py", "migrate", "--no-input", "-v", "0"], cwd=ROOT, env=owner_env,
                       check=True, timeout=300)  # fmt: skip
        seeded = subprocess.run([sys.executable, "manage.py", "shell"], input=SEED, cwd=ROOT, env=owner_env,
                                capture_output=True, text=True, check=True, timeout=120)  # fmt: skip
        env = production_env(
            DATABASE_URL=app_url, DJANGO_BEHIND_PROXY="true", DJANGO_SECURE_SSL_REDIRECT="false",
            EMAIL_URL=smtp.url, TRUFFLES_SITE_URL="http://127.0.0.1", DJANGO_LOG_LEVEL="DEBUG",
            TRUFFLES_RATE_PER_ADDRESS_PER_HOUR="1000",
        )  # fmt: skip
        app_port, front_port = free_port(), free_port()
        granian = [GRANIAN, *GRANIAN_FLAGS, "--host", "127.0.0.1", "--port", str(app_port), "--workers", "1",
                   "truffles.wsgi:application"]  # as shipped: granian's own access log (full URLs) stays off
        worker = [sys.executable, "manage.py", "worker", "--no-reload", "--interval", "0.2", "--no-startup-delay"]
        nginx = loopback_nginx(workdir, front_port, app_port)  # the shipped file, its log formats as shipped
        with (
            running(start(granian, env, workdir / "granian.log")),
            running(start(worker, env, workdir / "worker.log")),
            running(start(nginx, env, workdir / "nginx-stdout.log")),
        ):
            front = f"http://127.0.0.1:{front_port}"
            wait_until_answers(front + "/healthz", 60)
            yield {"front": front, "smtp": smtp, "workdir": workdir, "postgres_log": server.log,
                   **json.loads(seeded.stdout.strip().splitlines()[-1])}  # fmt: skip
    smtp.go_down()


def book(site, patient_form):
    """A patient books through nginx as a browser would; their manage URL and their browser."""
    opener = browser()
    start_at = timezone.localtime(timezone.now() + timedelta(days=5)).replace(hour=10, minute=0, second=0,
                                                                              microsecond=0)  # fmt: skip
    query = urllib.parse.urlencode({"visit_type": "vein-evaluation", "provider": site["provider"],
                                    "start": start_at.isoformat()})  # fmt: skip
    status, _, html = send(opener, f"{site['front']}/appointments/request/details/?{query}")
    assert status == 200, html[:2000]
    form = {name: unescape(value) for name, value in HIDDEN.findall(html[html.index('id="request-form"'):])}
    # The form's answers as the request-flow tests give them, with this patient's details.
    answers = {**patient_form(**PATIENT, notes="Legs ache at night"), **form}
    status, headers, body = send(opener, f"{site['front']}/appointments/request/details/", "POST", answers)
    assert status == 302, body[:3000]
    # Step 3: the code the worker emailed, typed on the check-email page with that page's CSRF token.
    (code_email,) = site["smtp"].wait_for(1, timeout=60)
    code = re.search(r"Your code is (\d{6})", code_email.get_body(("plain",)).get_content()).group(1)
    status, _, html = send(opener, site["front"] + headers["Location"])
    assert status == 200, html[:2000]
    csrf = dict(HIDDEN.findall(html))["csrfmiddlewaretoken"]
    status, headers, body = send(opener, f"{site['front']}/appointments/request/check-email/", "POST",
                                 {"csrfmiddlewaretoken": csrf, "action": "confirm", "code": code})
    assert status == 302, body[:3000]
    return headers["Location"], opener, query


# A text's short link stands for the manage link: its code is a secret too (any code, known or not).
SHORT_CODE = "q7Zk2mWx9R"


def sweep_token_urls(site, manage_url, patient, slot_query):
    token = manage_url.rstrip("/").rsplit("/", 1)[-1]
    urls = [
        manage_url, manage_url + "cancel/", manage_url + "calendar.ics",
        f"/appointments/request/?visit_type=vein-evaluation&reschedule={token}",
        f"/appointments/request/details/?{slot_query}&reschedule={token}",
        manage_url.replace(token, token[:-2] + "zz"),  # a mistyped link: 404
        f"/waitlist/{token}/join/", f"/waitlist/{token}/leave/", f"/waitlist/offers/1/{token}/",
        f"/v/{SHORT_CODE}", f"/v/{SHORT_CODE}/change",
    ]  # fmt: skip
    stranger = browser()
    answers = []
    for url in urls:
        for method in METHODS:
            for client in (patient, stranger):  # with the patient's cookies, and without (CSRF failures)
                answers.append(send(client, site["front"] + url, method, {"csrfmiddlewaretoken": "forged"})[0])
    return token, answers


def staff_searches(site):
    staff = browser({"sessionid": site["session"]})
    terms = [PATIENT["last_name"], PATIENT["email"], PATIENT["phone"], "2015550177", "02/19/1967"]
    answers = []
    for term in terms:
        for path, parameter in [("/admin/appointments/appointment/", "q"),
                                ("/admin/appointments/appointment/book/", "find"),
                                ("/admin/audit/auditentry/", "q")]:  # fmt: skip
            status, _, body = send(staff, f"{site['front']}{path}?{urllib.parse.urlencode({parameter: term})}")
            answers.append(status)
    status, _, body = send(staff, f"{site['front']}/admin/appointments/appointment/?q={PATIENT['last_name']}")
    assert PATIENT["last_name"] in body, "the staff search found the patient"
    return answers


def test_no_log_of_any_process_holds_a_token_or_a_patient_detail(site, patient_form):
    manage_url, patient, slot_query = book(site, patient_form)
    site["smtp"].wait_for(2, timeout=60)  # the worker sent the code, then the "request received" email
    token, answers = sweep_token_urls(site, manage_url, patient, slot_query)
    assert {200, 403, 404, 405} <= set(answers), answers
    assert set(staff_searches(site)) == {200}
    # The patient cancels for real (their CSRF token), so the worker sends one more email.
    status, _, html = send(patient, site["front"] + manage_url + "cancel/")
    csrf = dict(HIDDEN.findall(html))["csrfmiddlewaretoken"]
    assert send(patient, site["front"] + manage_url + "cancel/", "POST", {"csrfmiddlewaretoken": csrf})[0] == 302
    site["smtp"].wait_for(3, timeout=60)
    wait_until(lambda: "Sent" in (site["workdir"] / "worker.log").read_text().split("cancel", 1)[-1], timeout=30,
               message="the worker's log line for the second email")  # fmt: skip

    workdir = site["workdir"]
    logs = {path.name: path.read_text(errors="replace") for path in sorted(workdir.glob("*.log"))}
    logs["postgresql"] = site["postgres_log"].read_text(errors="replace")
    found = {name: {secret: text.count(secret) for secret in [token, SHORT_CODE, *SECRET_SPELLINGS] if secret in text}
             for name, text in logs.items()}  # fmt: skip
    print("\nlog files read:", {name: len(text.splitlines()) for name, text in logs.items()})
    print("secrets found per log:", found)
    assert not any(found.values()), found

    # The sweep did reach the logs: the lines are there, without their secrets.
    access = logs["truffles.access.log"]
    assert '"HEAD /appointments/manage/[token]/ HTTP/1.1" 405' in access
    assert '"GET /waitlist/offers/1/[token]/ HTTP/1.1"' in access
    assert '"GET /waitlist/[token]/join/ HTTP/1.1"' in access
    assert '"GET /v/[code] HTTP/1.1"' in access
    assert '"POST /appointments/manage/[token]/cancel/ HTTP/1.1" 403' in access
    assert '"GET /admin/appointments/appointment/book/ HTTP/1.1" 200' in access
    assert "?" not in access
    app = logs["granian.log"]
    assert "Method Not Allowed (HEAD): /appointments/manage/[token]/calendar.ics" in app
    assert "Forbidden (CSRF" in app
    assert "/appointments/manage/[token]/cancel/" in app
    assert "Not Found: /appointments/manage/[token]/" in app


def test_the_shipped_web_unit_leaves_granians_own_access_log_off():
    # granian's access log writes each URL whole, query string and token included, past the app's filter.
    unit = (ROOT / "deploy" / "truffles-web.service").read_text()
    assert "--access-log" not in unit
    assert "--log-access" not in unit
