import threading
from collections import Counter
from http import HTTPStatus

import pytest
from django.db import connection
from django.test import Client

from appointments import booking
from appointments.models import Appointment
from tests.appointments.fixtures import enter_code, local

pytestmark = pytest.mark.django_db(transaction=True)

# Eight browsers racing for a time is enough to double-book without the database's constraint
# (test_the_race_double_books_without_the_exclusion_constraint shows it); more only repeats the proof.
PATIENTS = 8
UNLIMITED = {
    "RATE_PER_ADDRESS_PER_HOUR": 10_000, "RATE_PER_EMAIL_PER_DAY": 10_000, "MAX_OPEN_REQUESTS_PER_PATIENT": 10_000,
    "MAX_UNPROVEN_PER_NETWORK": 10_000, "MAX_UNPROVEN_PER_DOMAIN": 10_000,
}


def race(slot_post, slot):
    """PATIENTS browsers submit the same slot at the same instant, through the real view."""
    barrier = threading.Barrier(PATIENTS)
    outcomes = []

    def patient(index):
        client = Client()
        data = slot_post(slot, first_name=f"Patient{index}", email=f"patient{index}@example.com")
        barrier.wait(timeout=30)
        try:
            # Different patients, each from their own address.
            response = client.post("/appointments/request/details/", data, REMOTE_ADDR=f"198.51.100.{index + 1}")
            taken = b"that time is no longer free" in response.content
            outcomes.append("booked" if response.status_code == HTTPStatus.FOUND else
                            "taken" if taken else str(response.status_code))
        finally:
            connection.close()

    threads = [threading.Thread(target=patient, args=(index,)) for index in range(PATIENTS)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=60)
    return Counter(outcomes)


def test_patients_racing_for_one_slot_get_one_appointment(clinic, booking_day, slot_post, settings):
    settings.TRUFFLES_BOOKING = {**settings.TRUFFLES_BOOKING, **UNLIMITED}
    for start in [local(booking_day, 9), local(booking_day, 14, 30)]:
        slot = {"visit_type": clinic["vein"], "provider": clinic["marsh"], "start": start}
        assert race(slot_post, slot) == Counter({"booked": 1, "taken": PATIENTS - 1})
        assert Appointment.objects.filter(starts_at=start, provider=clinic["marsh"]).count() == 1


def test_the_race_double_books_without_the_exclusion_constraint(clinic, booking_day, slot_post, settings):
    """Proof that the race above can fail: without the constraint, the check-then-insert lets several in."""
    settings.TRUFFLES_BOOKING = {**settings.TRUFFLES_BOOKING, **UNLIMITED}
    constraint = next(c for c in Appointment._meta.constraints if c.name == booking.NO_DOUBLE_BOOKING)
    with connection.schema_editor() as editor:
        editor.remove_constraint(Appointment, constraint)
    try:
        booked = []
        for round_ in range(5):  # usually the first round double-books; a few rounds make it certain
            slot = {"visit_type": clinic["vein"], "provider": clinic["marsh"], "start": local(booking_day, 9 + round_)}
            booked.append(race(slot_post, slot)["booked"])
            if booked[-1] > 1:
                break
        assert max(booked) > 1, f"no double booking in {len(booked)} races: {booked}"
    finally:
        Appointment.objects.all().delete()
        with connection.schema_editor() as editor:
            editor.add_constraint(Appointment, constraint)


def test_codes_entered_at_once_by_one_patient_respect_the_open_request_cap(
    clinic, booking_day, slot_post, settings
):
    settings.TRUFFLES_BOOKING = {**settings.TRUFFLES_BOOKING, **UNLIMITED, "MAX_OPEN_REQUESTS_PER_PATIENT": 2}
    starts = [local(booking_day, 9), local(booking_day, 10), local(booking_day, 11), local(booking_day, 14),
              local(booking_day, 15)]
    browsers = []
    for start in starts:  # one patient holds five times, each from its own browser tab
        slot = {"visit_type": clinic["vein"], "provider": clinic["marsh"], "start": start}
        browsers.append(Client())
        assert browsers[-1].post("/appointments/request/details/", slot_post(slot)).status_code == HTTPStatus.FOUND
    barrier = threading.Barrier(len(starts))
    outcomes = []

    def enter(browser):
        barrier.wait(timeout=30)
        try:
            response = enter_code(browser)
            outcomes.append("booked" if response.status_code == HTTPStatus.FOUND else
                            "call us" if "You already have upcoming visits" in response.text else response.status_code)
        finally:
            connection.close()

    threads = [threading.Thread(target=enter, args=(browser,)) for browser in browsers]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=60)
    assert Appointment.objects.active().count() == 2
    assert Counter(outcomes) == Counter({"booked": 2, "call us": 3})
