"""Two app servers, one database: patients racing for one time through both get one appointment."""

import http.cookiejar
import re
import threading
import urllib.error
import urllib.parse
import urllib.request
from collections import Counter
from html import unescape

import pytest

from appointments.models import Appointment
from tests.appointments.fixtures import local
from tests.processes import free_port, production_env, running, start_granian, wait_until_answers

pytestmark = [pytest.mark.django_db(transaction=True), pytest.mark.process]

PATIENTS = 8
HIDDEN = re.compile(r'<input type="hidden" name="([^"]+)" value="([^"]*)"')


class NoRedirect(urllib.request.HTTPRedirectHandler):
    def redirect_request(self, *args, **kwargs):
        return None


def browser():
    return urllib.request.build_opener(
        urllib.request.HTTPCookieProcessor(http.cookiejar.CookieJar()), NoRedirect()
    )


def open_form(opener, url):
    with opener.open(url, timeout=30) as response:
        html = response.read().decode()
    form = html[html.index('id="request-form"'):]
    return {name: unescape(value) for name, value in HIDDEN.findall(form)}


def post(opener, url, data):
    request = urllib.request.Request(  # noqa: S310 (a loopback http URL built here)
        url, data=urllib.parse.urlencode(data, doseq=True).encode(), method="POST"
    )
    try:
        with opener.open(request, timeout=60) as response:
            return response.status
    except urllib.error.HTTPError as error:
        return error.code


def race(servers, slot, patient_form):
    query = urllib.parse.urlencode(
        {"visit_type": slot["visit_type"].slug, "provider": slot["provider"].pk, "start": slot["start"].isoformat()}
    )
    patients = []
    for index in range(PATIENTS):
        site = servers[index % len(servers)]
        opener = browser()
        hidden = open_form(opener, f"{site}/appointments/request/details/?{query}")
        # A new patient in every round, so the per-patient cap never enters the race.
        email = f"patient{index}.{slot['start']:%H%M}@example.com"
        answers = patient_form(first_name=f"Patient{index}", email=email)
        answers.update(hidden)  # the page's own CSRF and submission tokens, and the slot
        patients.append((opener, f"{site}/appointments/request/details/", answers))

    barrier = threading.Barrier(PATIENTS)
    outcomes = []

    def submit(opener, url, answers):
        barrier.wait(timeout=60)
        outcomes.append(post(opener, url, answers))

    threads = [threading.Thread(target=submit, args=patient) for patient in patients]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=120)
    return Counter(outcomes)


def test_patients_racing_through_two_app_servers_get_one_appointment(clinic, booking_day, patient_form, tmp_path):
    env = production_env(TRUFFLES_RATE_PER_ADDRESS_PER_HOUR="1000", TRUFFLES_MAX_UNPROVEN_PER_NETWORK="1000",
                         TRUFFLES_MAX_UNPROVEN_PER_DOMAIN="1000")  # fmt: skip
    ports = [free_port(), free_port()]
    servers = [f"http://127.0.0.1:{port}" for port in ports]
    logs = [tmp_path / "first.log", tmp_path / "second.log"]
    with running(start_granian(ports[0], env, logs[0])), running(start_granian(ports[1], env, logs[1])):
        for site in servers:
            wait_until_answers(site + "/healthz", 60)
        rounds = []
        try:
            for hour in (9, 10, 11):
                slot = {"visit_type": clinic["vein"], "provider": clinic["marsh"], "start": local(booking_day, hour)}
                rounds.append(race(servers, slot, patient_form))
                assert Appointment.objects.filter(starts_at=slot["start"]).count() == 1
        except (AssertionError, urllib.error.HTTPError):
            for log in logs:  # what the servers said, to tell a 500's cause from a race
                print(f"--- {log.name}\n" + log.read_text(errors="replace")[-4000:])
            raise

    print(f"\noutcomes per round (302 booked, 409 taken): {[dict(outcome) for outcome in rounds]}")
    for outcome in rounds:
        assert outcome == Counter({302: 1, 409: PATIENTS - 1})
