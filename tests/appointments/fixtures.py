"""Fixtures for appointment tests; registered in tests/conftest.py."""

import uuid
from datetime import date, datetime, time, timedelta
from zoneinfo import ZoneInfo

import pytest
from django.http import HttpRequest
from django.utils import timezone

from appointments.availability import Slot
from appointments.insights import Period
from appointments.models import Appointment, Closure, EmailCheck, Location, Provider, VisitType, WorkingHours
from appointments.tokens import submission_token_digest
from articles.models import RiskFactor
from audit.models import AuditEntry

CLINIC_ZONE = ZoneInfo("America/New_York")
PATIENT = {
    "first_name": "Rosalind",
    "last_name": "Quarterman",
    "date_of_birth": date(1968, 2, 14),
    "email": "rosalind.quarterman@example.com",
    "phone": "+12015550199",
    "insurance_carrier": "Acme Health",
    "guardian_name": "",
    "notes": "Throbbing calves after my night shifts.",
    "reasons": ["varicose", "pain"],
    "rls_urge_to_move": True,
    "rls_worse_evening": True,
}
# Text that must never be copied into the audit trail. The birth date in every spelling a page or a
# record could give it, not the bare year: a row id or a permission id may well be 1968.
INTAKE_TEXT = [
    "Rosalind", "Quarterman", "rosalind.quarterman", "2015550199", "Throbbing calves", "Acme",
    "1968-02-14", "2/14/1968", "02/14/1968", "14, 1968", "date(1968",
]  # fmt: skip


def next_weekday(start: date, weekday: int = 0) -> date:
    return start + timedelta(days=(weekday - start.weekday()) % 7)


def local(day: date, hour: int, minute: int = 0) -> datetime:
    return datetime.combine(day, time(hour, minute), tzinfo=CLINIC_ZONE)


def slot_key(provider, start: datetime) -> str:
    """The key a page posts for this provider's slot, as availability.Slot spells it."""
    return Slot(provider.pk if hasattr(provider, "pk") else provider, "", 0, start, start).key


@pytest.fixture
def clinic(db):
    """One location, two specialists working weekdays 9:00–12:30 and 13:30–17:00."""
    location = Location.objects.create(
        name="Harbor Street clinic", address="120 Harbor Street", phone="(555) 010-2030", email="care@example.com"
    )
    vein = VisitType.objects.create(
        name="Vein evaluation", slug="vein-evaluation", duration=timedelta(minutes=45),
        buffer_after=timedelta(minutes=15), position=0,
    )
    rls = VisitType.objects.create(
        name="RLS consultation", slug="rls-consultation", duration=timedelta(minutes=30), position=1
    )
    staff_only = VisitType.objects.create(
        name="Follow-up", slug="follow-up", duration=timedelta(minutes=20), bookable_online=False, position=2
    )
    marsh = Provider.objects.create(name="Dr. Elena Marsh", credentials="MD")
    okafor = Provider.objects.create(name="Dr. Samuel Okafor", credentials="MD")
    marsh.visit_types.set([vein, rls, staff_only])
    okafor.visit_types.set([vein])
    # One insert, without the signal that offers new hours to the waitlist: the hours predate any patient.
    WorkingHours.objects.bulk_create(
        WorkingHours(provider=provider, location=location, weekday=weekday, starts_at=starts, ends_at=ends)
        for provider in (marsh, okafor)
        for weekday in range(5)
        for starts, ends in [(time(9), time(12, 30)), (time(13, 30), time(17))]
    )
    return {"location": location, "vein": vein, "rls": rls, "staff_only": staff_only, "marsh": marsh, "okafor": okafor}


@pytest.fixture
def risk_factors(db):
    """The intake's risk factors: every migrate and every flush leaves them (articles.risk_factors)."""
    return {factor.slug: factor for factor in RiskFactor.objects.all()}


@pytest.fixture
def booking_day():
    """A Monday far enough ahead for the 24-hour notice, inside the 60-day window."""
    return next_weekday(timezone.localdate() + timedelta(days=3), 0)


@pytest.fixture
def make_appointment(clinic, booking_day):
    """An appointment for PATIENT, created straight in the database (no booking rules, no messages).

    When: `start`, or `hour`:`minute` local time on `day` (default: the booking day at 9:00).
    `provider` is a Provider or a key of the clinic fixture ("marsh", "okafor").
    """

    def build(start=None, *, hour=9, minute=0, day=None, status=Appointment.Status.REQUESTED, provider="marsh",
              **details):
        start = start or local(day or booking_day, hour, minute)
        visit_type = clinic["vein"]
        return Appointment.objects.create(
            visit_type=visit_type,
            provider=clinic[provider] if isinstance(provider, str) else provider,
            location=clinic["location"],
            starts_at=start,
            ends_at=start + visit_type.duration,
            busy_until=start + visit_type.duration + visit_type.buffer_after,
            status=status,
            consent_version="2026-11",
            consented_at=timezone.now(),
            **{**PATIENT, **details},
        )

    return build


@pytest.fixture
def open_slot(clinic, booking_day):
    return {"visit_type": clinic["vein"], "provider": clinic["marsh"], "start": local(booking_day, 9)}


@pytest.fixture
def patient_form():
    """What a patient types into the details form, as POST data."""

    def build(**overrides):
        data = {
            "first_name": "Maria",
            "last_name": "Lopez",
            "date_of_birth": "1971-04-23",
            "email": "maria.lopez@example.com",
            "phone": "(201) 555-0123",
            "preferred_contact": "phone",
            "insurance_carrier": "Acme Health",
            "reasons": ["rls"],
            "rls_urge_to_move": "on",
            "rls_worse_at_rest": "on",
            "rls_relieved_by_movement": "on",
            "rls_worse_evening": "on",
            "notes": "My legs keep me awake.",
            "urgent_one_leg": "no",
            "urgent_breathing": "no",
            "urgent_bleeding": "no",
            "urgent_cord": "no",
            "consent": "on",
            "website": "",
            "submission_token": str(uuid.uuid4()),
        }
        data.update(overrides)
        # The online form takes the date of birth as three boxes; staff forms as one date.
        if data.get("date_of_birth") is not None:
            year, month, day = ([*data["date_of_birth"].split("-"), "", ""])[:3]
            for part, value in {"month": month, "day": day, "year": year}.items():
                data.setdefault(f"date_of_birth_{part}", value)
        return {key: value for key, value in data.items() if value is not None}

    return build


@pytest.fixture
def slot_post(patient_form):
    """POST data for the details form: the chosen slot plus the patient's answers."""

    def build(slot, **overrides):
        data = patient_form(**overrides)
        data.update(
            visit_type=slot["visit_type"].slug, provider=str(slot["provider"].pk), start=slot["start"].isoformat()
        )
        return data

    return build


def token_of(manage_url: str) -> str:
    """The secret token in a manage link (the database keeps only its digest)."""
    return manage_url.rstrip("/").rsplit("/", 1)[-1]


DETAILS = "/appointments/request/details/"
CHECK_EMAIL = "/appointments/request/check-email/"


def pending_check(client) -> EmailCheck | None:
    """The request this test client's browser is waiting on (found by its cookie, as the page finds it)."""
    from appointments.booking import browser_digest
    from appointments.views import BROWSER_COOKIE, BROWSER_COOKIE_SALT

    cookie = client.cookies.get(BROWSER_COOKIE)
    if cookie is None:
        return None
    request = HttpRequest()
    request.COOKIES[BROWSER_COOKIE] = cookie.value
    secret = request.get_signed_cookie(BROWSER_COOKIE, salt=BROWSER_COOKIE_SALT)
    return EmailCheck.objects.filter(browser_hash=browser_digest(secret)).order_by("-pk").first()


def enter_code(client, code=None, **extra):
    """Type the latest emailed code on the check-email page, as the mailbox's owner does."""
    check = pending_check(client)
    return client.post(CHECK_EMAIL, {"action": "confirm", "code": code or (check.code() if check else "000000")},
                       **extra)  # fmt: skip


def request_with_code(client, data, **extra):
    """Send the details form, then the code from the email: a redirect to the patient's page when booked.

    Any other answer to the form (a refusal, a taken time, a form error) is returned as it is.
    """
    sent = client.post(DETAILS, data, **extra)
    if sent.status_code != 302 or sent["Location"] != CHECK_EMAIL:
        return sent
    return enter_code(client, **extra)


# A week of the clinic's past for the manager's figures (tests/appointments/test_insights.py).
def at(day, hour, minute=0):
    """Clinic time on a day, for histories written by hand."""
    return datetime.combine(day, time(hour, minute), tzinfo=CLINIC_ZONE)


def history(appointment, *changes):
    """Write the trail the front desk and the patient would have left: (when, who, from, to)."""
    AuditEntry.objects.bulk_create(
        AuditEntry(occurred_at=when, action="change" if old else "create", appointment_id=appointment.pk,
                   username=who, changed_fields=["status"],
                   changes={"status": {"from": old, "to": new} if old else {"to": new}})
        for when, who, old, new in changes
    )


@pytest.fixture
def past_week():
    """A Monday three weeks back: every visit of that week has happened."""
    return next_weekday(timezone.localdate() - timedelta(days=27), 0)


@pytest.fixture
def seeded_week(clinic, make_appointment, make_article, past_week):
    """Eight visits in the week and one the week after, each with the history written beside it."""
    article = make_article(title="Iron and restless legs")
    mon, tue, wed, thu, fri = (past_week + timedelta(days=n) for n in range(5))

    def online(received, **fields):
        appointment = make_appointment(submission_token_hash=submission_token_digest(uuid.uuid4()), **fields)
        Appointment.objects.filter(pk=appointment.pk).update(created_at=received)
        return appointment

    def by_phone(**fields):
        return make_appointment(**fields)

    a1 = online(at(mon - timedelta(days=7), 9), day=mon, hour=9, status=Appointment.Status.COMPLETED)
    history(a1, (at(mon - timedelta(days=7), 11), "frontdesk", "requested", "confirmed"))
    a2 = online(at(mon - timedelta(days=7), 9), day=mon, hour=10, status=Appointment.Status.NO_SHOW)
    history(a2, (at(mon - timedelta(days=6), 9), "frontdesk", "requested", "confirmed"))
    a3 = online(at(tue - timedelta(days=5), 9), day=tue, hour=9, status=Appointment.Status.DECLINED)
    history(a3, (at(tue - timedelta(days=5), 13), "frontdesk", "requested", "declined"))
    a4 = online(at(tue - timedelta(days=5), 9), day=tue, hour=10, status=Appointment.Status.CANCELLED)
    history(a4, (at(tue - timedelta(days=5), 15), "frontdesk", "requested", "confirmed"),
            (at(tue, 9), "", "confirmed", "cancelled"))  # by the patient, an hour before
    a5 = by_phone(day=wed, hour=9, status=Appointment.Status.CANCELLED)
    history(a5, (at(wed - timedelta(days=3), 10), "frontdesk", None, "confirmed"),
            (at(wed - timedelta(days=2), 10), "frontdesk", "confirmed", "cancelled"))
    a6 = online(at(wed - timedelta(days=2), 9), day=wed, hour=14, status=Appointment.Status.COMPLETED,
                source_article=article)
    Appointment.objects.filter(pk=a6.pk).update(
        visit_type=clinic["rls"], ends_at=at(wed, 14, 30), busy_until=at(wed, 14, 30))
    history(a6, (at(wed - timedelta(days=2), 19), "frontdesk", "requested", "confirmed"))
    a7 = by_phone(day=thu, hour=9, status=Appointment.Status.COMPLETED, provider="okafor")
    history(a7, (at(thu - timedelta(days=1), 16), "frontdesk", None, "confirmed"))
    online(at(thu - timedelta(days=4), 9), day=thu, hour=10, provider="okafor")  # never decided
    by_phone(day=mon + timedelta(days=7), hour=9, status=Appointment.Status.CONFIRMED)  # the week after: not counted
    Closure.objects.create(starts_at=at(fri, 9), ends_at=at(fri, 12, 30), reason="Staff training")
    Closure.objects.create(provider=clinic["marsh"], starts_at=at(fri, 11), ends_at=at(fri, 14), reason="Dentist")
    return Period(first=past_week, last=past_week + timedelta(days=6))
