"""Fixtures for waitlist tests; registered in tests/conftest.py."""

import uuid
from datetime import timedelta

import pytest
from django.utils import timezone

from appointments.insights import Period
from appointments.models import Appointment
from appointments.tokens import submission_token_digest
from tests.appointments.fixtures import PATIENT, at, local
from waitlist import offers
from waitlist.models import Offer, Opening, WaitlistEntry


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


# A week of the waitlist's past for the manager's figures (tests/waitlist/test_insights.py).
Fate = Offer.State
HOLD = timedelta(minutes=30)


def offered(opening: Opening, entry: WaitlistEntry, fate: str, answered_after: timedelta | None = None) -> Offer:
    """An offer of the freed time's start, sent when it freed, with the fate and answer written by hand."""
    return Offer.objects.create(
        opening=opening, entry=entry, starts_at=opening.starts_at, state=fate, created_at=opening.created_at,
        expires_at=opening.created_at + HOLD,
        answered_at=opening.created_at + answered_after if answered_after else None,
    )  # fmt: skip


@pytest.fixture
def waitlist_week(clinic, make_appointment, past_week):
    """Five times freed in a past week, the eight offers made of them, and one freed the week after."""
    mon, tue, wed, thu, fri = (past_week + timedelta(days=n) for n in range(5))

    def waiting(name, hour, visit_type="vein", provider="marsh"):
        appointment = make_appointment(day=mon + timedelta(days=14), hour=hour, provider=provider, first_name=name,
                                       email=f"{name.lower()}@example.com")  # fmt: skip
        Appointment.objects.filter(pk=appointment.pk).update(visit_type=clinic[visit_type])
        return WaitlistEntry.objects.create(appointment=appointment, joined_at=at(mon - timedelta(days=9), 8))

    def freed(provider, cause, start, minutes, freed_at):
        return Opening.objects.create(provider=clinic[provider], location=clinic["location"], starts_at=start,
                                      ends_at=start + timedelta(minutes=minutes), cause=cause, created_at=freed_at)

    ada, bea, eve = waiting("Ada", 9), waiting("Bea", 10), waiting("Eve", 11)
    cal, dee = waiting("Cal", 12, "rls"), waiting("Dee", 14, "rls")
    fay, gil = waiting("Fay", 9, provider="okafor"), waiting("Gil", 10, provider="okafor")
    monday = freed("marsh", Opening.Cause.CANCELLED, at(mon, 9), 45, at(mon - timedelta(days=2), 10))
    offered(monday, ada, Fate.CLAIMED, timedelta(hours=2))
    offered(monday, bea, Fate.GONE)
    tuesday = freed("marsh", Opening.Cause.DECLINED, at(tue, 10), 45, at(mon, 8))
    offered(tuesday, cal, Fate.EXPIRED)
    offered(tuesday, dee, Fate.CLAIMED, timedelta(hours=6))
    wednesday = freed("marsh", Opening.Cause.CANCELLED, at(wed, 14), 60, at(tue, 12))
    offered(wednesday, bea, Fate.EXPIRED)
    offered(wednesday, eve, Fate.WITHDRAWN)
    thursday = freed("okafor", Opening.Cause.NEW_HOURS, at(thu, 13, 30), 210, at(wed, 9))
    offered(thursday, fay, Fate.CLAIMED, timedelta(hours=10))
    offered(thursday, gil, Fate.OPEN)  # its hold ran out before the worker marked it: lapsed all the same
    freed("okafor", Opening.Cause.CLOSURE_REMOVED, at(fri, 9), 210, at(thu, 9))  # nobody waiting could take it
    next_week = freed("marsh", Opening.Cause.CANCELLED, at(mon + timedelta(days=7), 9), 45, at(fri, 9))
    offered(next_week, ada, Fate.CLAIMED, timedelta(hours=1))  # freed for the week after: not counted
    return Period(first=past_week, last=past_week + timedelta(days=6))
