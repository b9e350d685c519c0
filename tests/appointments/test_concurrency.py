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
            response = client.post("/appointments/request/details/", data)
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
