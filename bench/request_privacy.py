"""Issue 17's two measures for the online request form, on the production settings and a real PostgreSQL.

1. One answer for every request: a patient with two proved visits; then 50 tries each, interleaved, of a
   stranger typing (a) her email and date of birth, (b) her email with another date of birth, (c) another
   email with her date of birth, each from a fresh browser and address. Prints the three answers side by
   side (status, redirect, page words) and their timings.
2. One abuser, eight addresses (each in its own /24) and a mail domain of its own, sends 60 requests; then a
   new patient from a fresh address with a common mailbox asks for a time and enters the emailed code.

Run: .venv/bin/python bench/request_privacy.py
"""

import re
import statistics
from datetime import timedelta
from time import perf_counter

from common import setup_django, use_bench_database

setup_django()

from django.test import Client  # noqa: E402
from django.utils import timezone  # noqa: E402

DETAILS = "/appointments/request/details/"
CHECK_EMAIL = "/appointments/request/check-email/"
TRIES = 50
VICTIM = {"email": "maria.lopez@gmail.com", "date_of_birth": "1971-04-23"}
CASES = {
    "her email + her date of birth": VICTIM,
    "her email + other date of birth": {**VICTIM, "date_of_birth": "1980-01-02"},
    "other email + her date of birth": {**VICTIM, "email": "rosa.diaz@gmail.com"},
}


def free_times(count):
    from appointments import availability
    from appointments.models import VisitType

    vein = VisitType.objects.get(slug="vein-evaluation")
    chosen, last, day = [], {}, timezone.localdate() + timedelta(days=3)
    while len(chosen) < count:
        for slot in availability.find_slots(vein, day, 7):
            # An hour apart per specialist, so one hold (45 minutes and its buffer) never covers the next.
            if slot.start >= last.get(slot.provider_id, slot.start - timedelta(hours=1)) + timedelta(hours=1):
                chosen.append((vein, slot))
                last[slot.provider_id] = slot.start
        day += timedelta(days=7)
    return chosen[:count]


def form(client, vein, slot, **answers):
    """The details form as its page serves it (its own CSRF and submission tokens), filled in."""
    query = {"visit_type": vein.slug, "provider": slot.provider_id, "start": slot.start.isoformat()}
    page = client.get(DETAILS, query).text
    hidden = dict(re.findall(r'name="(csrfmiddlewaretoken|submission_token)" value="([^"]+)"', page))
    year, month, day = answers.pop("date_of_birth").split("-")
    return {
        **query, **hidden, "first_name": "Maria", "last_name": "Lopez", "date_of_birth_month": month,
        "date_of_birth_day": day, "date_of_birth_year": year, "phone": "(201) 555-0123", "reasons": ["varicose"],
        "urgent_one_leg": "no", "urgent_breathing": "no", "urgent_bleeding": "no", "urgent_cord": "no",
        "consent": "on", "website": "", **answers,
    }  # fmt: skip


def prove(client, address):
    """Enter the code the email carries (derived here as the worker derives it for the email)."""
    from appointments.models import EmailCheck

    check = EmailCheck.objects.order_by("-pk").first()
    csrf = re.search(r'name="csrfmiddlewaretoken" value="([^"]+)"', client.get(CHECK_EMAIL).text).group(1)
    data = {"action": "confirm", "code": check.code(), "csrfmiddlewaretoken": csrf}
    return client.post(CHECK_EMAIL, data, REMOTE_ADDR=address)


def page_words(client, response):
    page = client.get(response["Location"]).text if response.status_code == 302 else response.text
    text = re.sub(r"<[^>]+>", " ", re.sub(r"(?s)<(script|style|head)[^>]*>.*?</\1>", " ", page))
    text = re.sub(r"\w*•••@\S+", "…@…", re.sub(r"until \d+:\d\d [AP]M", "until …", text))
    return " ".join(text.split())


def one_answer(times):
    for index in range(2):  # the patient's own two visits, her email proved
        client, address = Client(enforce_csrf_checks=True), f"198.18.200.{index + 1}"
        vein, slot = times.pop()
        client.post(DETAILS, form(client, vein, slot, **VICTIM), REMOTE_ADDR=address)
        assert prove(client, address).status_code == 302
    timings = {case: [] for case in CASES}
    answers = {}
    for attempt in range(TRIES):
        for number, (case, typed) in enumerate(CASES.items()):
            client, address = Client(enforce_csrf_checks=True), f"198.{18 + number % 2}.{attempt}.{number + 1}"
            vein, slot = times.pop()
            data = form(client, vein, slot, **typed)
            started = perf_counter()
            response = client.post(DETAILS, data, REMOTE_ADDR=address)
            timings[case].append((perf_counter() - started) * 1000)
            answers.setdefault(case, (response.status_code, response.get("Location", ""), page_words(client, response)))
    print(f"\n1. One answer for every request ({TRIES} tries per case, interleaved, fresh browser and address each)")
    print(f"{'case':34} {'status':>6}  {'redirect':36} {'median ms':>9} {'mean ms':>8} {'p90 ms':>7} {'sd':>5}")
    for case, values in timings.items():
        status, location, _ = answers[case]
        p90 = statistics.quantiles(values, n=10)[-1]
        print(f"{case:34} {status:>6}  {location:36} {statistics.median(values):9.1f} "
              f"{statistics.mean(values):8.1f} {p90:7.1f} {statistics.stdev(values):5.1f}")  # fmt: skip
    words = {answer[2] for answer in answers.values()}
    print(f"page words identical in the three cases: {len(words) == 1}")
    print(f"the words: {next(iter(words))[:400]}")


def abuse(times):
    attack = []
    for index in range(60):
        client, address = Client(enforce_csrf_checks=True), f"198.18.{100 + index % 8}.10"
        vein, slot = times.pop()
        attack.append(client.post(DETAILS, form(client, vein, slot, **{**VICTIM, "email": f"bot{index}@abuse.example"}),
                                  REMOTE_ADDR=address).status_code)  # fmt: skip
    patient, address = Client(enforce_csrf_checks=True), "198.19.250.7"
    vein, slot = times.pop()
    sent = patient.post(DETAILS, form(patient, vein, slot, email="new.patient@gmail.com", date_of_birth="1958-06-30"),
                        REMOTE_ADDR=address)  # fmt: skip
    booked = prove(patient, address) if sent.status_code == 302 else sent
    print("\n2. One client, 8 addresses (each its own /24), its own mail domain, 60 requests")
    others = len(attack) - attack.count(302) - attack.count(429)
    print(f"held: {attack.count(302)}, refused (429): {attack.count(429)}, other: {others}")
    print(f"then a new patient from a fresh address with a gmail.com mailbox: form {sent.status_code} -> "
          f"code {booked.status_code} {booked.get('Location', '')[:22]}; booked: "
          f"{booked.status_code == 302 and booked['Location'].startswith('/appointments/manage/')}")  # fmt: skip


def main():
    use_bench_database("privacy")
    from django.core.management import call_command

    call_command("load_demo_schedule", verbosity=0)
    times = free_times(2 + 3 * TRIES + 61)
    times.reverse()
    one_answer(times)
    abuse(times)


if __name__ == "__main__":
    main()
