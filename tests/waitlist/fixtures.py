"""Fixtures for waitlist tests; registered in tests/conftest.py."""

import uuid
from datetime import timedelta

import pytest
from django.utils import timezone

from appointments.models import Appointment
from appointments.tokens import submission_token_digest
from tests.appointments.fixtures import PATIENT, local
from waitlist import offers
from waitlist.models import Offer, WaitlistEntry


@pytest.fixture
def waitlist_settings(settings):
    """Offers to one patient at a time unless a test says otherwise; a long hold, so nothing lapses by itself."""
    settings.TRUFFLES_WAITLIST = {"ENABLED": True, "HOLD_MINUTES": 30, "OFFERS_AT_ONCE": 1, "MAX_UNANSWERED": 3,
                                  "OFFER_HOURS": (0, 24)}  # tests run at any hour; one test checks the night
    return settings


@pytest.fixture
def waiting_patient(make_appointment, booking_day, waitlist_settings):
    """A confirmed patient booked `weeks` after the booking day (Monday), on the waitlist with a window."""

    def build(name, *, weeks=1, hour=9, minute=0, provider="marsh", weekdays=(), part_of_day="any", specialist=None,
              submission_token=None, **details):
        appointment = make_appointment(
            day=booking_day + timedelta(weeks=weeks), hour=hour, minute=minute, provider=provider,
            status=Appointment.Status.CONFIRMED, first_name=name, email=f"{name.lower()}@example.com",
            submission_token_hash=submission_token_digest(submission_token) if submission_token else None, **details,
        )  # fmt: skip
        entry = offers.join(appointment, specialist=specialist, weekdays=list(weekdays), part_of_day=part_of_day)
        assert isinstance(entry, WaitlistEntry), entry
        return entry

    return build


@pytest.fixture
def visit_to_cancel(make_appointment, booking_day):
    """Someone else's confirmed visit on the booking day (Monday) 9:00 with Dr. Marsh, to be cancelled."""
    return make_appointment(day=booking_day, hour=9, status=Appointment.Status.CONFIRMED,
                            **{**PATIENT, "first_name": "Other", "email": "other@example.com"})  # fmt: skip


def texting_details(phone: str) -> dict:
    """What a patient who chose texts only, and agreed to them, carries (give each their own number)."""
    return {"phone": phone, "notify_by": Appointment.NotifyBy.TEXT, "text_consented_at": timezone.now(),
            "submission_token": uuid.uuid4()}  # fmt: skip


def offers_to(entry: WaitlistEntry) -> list[Offer]:
    return list(Offer.objects.filter(entry=entry).order_by("created_at", "pk"))


def monday_nine(booking_day):
    return local(booking_day, 9)
