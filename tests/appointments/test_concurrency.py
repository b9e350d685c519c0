import threading
from collections import Counter
from datetime import timedelta
from http import HTTPStatus

import pytest
from django.db import connection
from django.test import Client

from appointments.models import Appointment
from tests.appointments.fixtures import local

pytestmark = pytest.mark.django_db(transaction=True)

PATIENTS = 20
ROUNDS = 20


def race(slot_post, slot):
    """PATIENTS browsers submit the same slot at the same instant, through the real view."""
    barrier = threading.Barrier(PATIENTS)
    outcomes = []

    def patient(index):
        client = Client()
        data = slot_post(slot, first_name=f"Patient{index}", email=f"patient{index}@example.com")
        barrier.wait()
        try:
            # Twenty different patients, each from their own address.
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


def test_twenty_patients_racing_for_one_slot_get_one_appointment_twenty_times(
    clinic, booking_day, slot_post, settings
):
    settings.BOOKING = {
        **settings.BOOKING,
        "RATE_PER_ADDRESS_PER_HOUR": 10_000,
        "RATE_PER_EMAIL_PER_DAY": 10_000,
        "MAX_OPEN_REQUESTS_PER_PATIENT": 10_000,
    }
    starts = [local(booking_day + timedelta(days=day), hour, minute)
              for day in range(4) for hour, minute in [(9, 0), (10, 0), (11, 0), (13, 30), (14, 30), (15, 30)]]
    results = []
    for start in starts[:ROUNDS]:
        slot = {"visit_type": clinic["vein"], "provider": clinic["marsh"], "start": start}
        outcome = race(slot_post, slot)
        results.append(outcome)
        assert outcome == Counter({"booked": 1, "taken": PATIENTS - 1}), outcome
        assert Appointment.objects.filter(starts_at=start, provider=clinic["marsh"]).count() == 1
    assert Appointment.objects.count() == ROUNDS
    print(f"\n{ROUNDS} races x {PATIENTS} patients: {sum(results, Counter())}")


def test_simultaneous_requests_from_one_patient_respect_the_open_request_cap(
    clinic, booking_day, slot_post, settings
):
    settings.BOOKING = {**settings.BOOKING, "MAX_OPEN_REQUESTS_PER_PATIENT": 2, "RATE_PER_EMAIL_PER_DAY": 100,
                        "RATE_PER_ADDRESS_PER_HOUR": 100}
    starts = [local(booking_day, 9), local(booking_day, 10), local(booking_day, 11), local(booking_day, 14),
              local(booking_day, 15)]
    barrier = threading.Barrier(len(starts))
    statuses = []

    def patient(start):
        slot = {"visit_type": clinic["vein"], "provider": clinic["marsh"], "start": start}
        barrier.wait()
        try:
            statuses.append(Client().post("/appointments/request/details/", slot_post(slot)).status_code)
        finally:
            connection.close()

    threads = [threading.Thread(target=patient, args=(start,)) for start in starts]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=60)
    assert Appointment.objects.count() == 2
    assert sorted(statuses) == [HTTPStatus.FOUND] * 2 + [HTTPStatus.TOO_MANY_REQUESTS] * 3
