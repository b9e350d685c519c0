"""The waitlist on the patient's page and in the staff admin."""

import uuid
from datetime import timedelta
from http import HTTPStatus

import pytest
from django.urls import reverse

from appointments import booking
from appointments.models import Appointment
from appointments.tokens import submission_token_digest
from audit.models import AuditEntry
from staff.roles import FRONT_DESK
from tests.appointments.mail_fixtures import run_queued_tasks
from tests.waitlist.fixtures import offers_to
from waitlist.models import WaitlistEntry

pytestmark = pytest.mark.django_db


@pytest.fixture
def patient_page(make_appointment, waitlist_settings):
    """A confirmed online request and the address of its page."""
    appointment = make_appointment(hour=14, status=Appointment.Status.CONFIRMED,
                                   submission_token_hash=submission_token_digest(uuid.uuid4()))
    return appointment, appointment.get_absolute_url()


def token(url: str) -> str:
    return url.rstrip("/").rsplit("/", 1)[-1]


def test_a_patient_joins_the_waitlist_from_their_page(client, patient_page):
    appointment, url = patient_page
    page = client.get(url).content.decode()
    assert "Tell me if an earlier time opens" in page
    assert "Put me on the waitlist" in page
    response = client.post(reverse("waitlist:join", args=[token(url)]),
                           {"window": "chosen", "weekdays": ["1", "3"], "part_of_day": "morning",
                            "specialist": "own", "channel": "email"}, follow=True)  # fmt: skip
    assert "You are on the waitlist" in response.content.decode()
    assert "tuesdays, thursdays, mornings, only with Dr. Elena Marsh" in response.content.decode()
    entry = WaitlistEntry.objects.get(appointment=appointment)
    assert (entry.weekdays, entry.part_of_day, entry.specialist_id) == ([1, 3], "morning", appointment.provider_id)


def test_a_window_without_days_or_times_is_refused_next_to_the_field(client, patient_page):
    appointment, url = patient_page
    response = client.post(reverse("waitlist:join", args=[token(url)]),
                           {"window": "chosen", "part_of_day": "any", "specialist": "any", "channel": "email"})
    assert response.status_code == HTTPStatus.BAD_REQUEST
    page = response.content.decode()
    assert "Choose at least one day, or mornings or afternoons." in page
    assert "<details class=\"mt-1\" open>" in page  # the form stays open with the patient's answers
    assert not WaitlistEntry.objects.exists()


def test_a_patient_leaves_the_waitlist(client, patient_page):
    appointment, url = patient_page
    client.post(reverse("waitlist:join", args=[token(url)]),
                {"window": "any", "part_of_day": "any", "specialist": "any", "channel": "email"})  # fmt: skip
    response = client.post(reverse("waitlist:leave", args=[token(url)]), follow=True)
    assert "You have left the waitlist" in response.content.decode()
    assert WaitlistEntry.objects.get().state == WaitlistEntry.State.LEFT


def test_a_cancelled_visit_offers_no_waitlist(client, patient_page):
    appointment, url = patient_page
    booking.cancel(appointment)
    assert "Tell me if an earlier time opens" not in client.get(url).content.decode()
    response = client.post(reverse("waitlist:join", args=[token(url)]),
                           {"window": "any", "part_of_day": "any", "specialist": "any", "channel": "email"},
                           follow=True)  # fmt: skip
    assert "Only an upcoming requested or confirmed visit can wait" in response.content.decode()


def test_front_desk_puts_a_caller_on_the_list_and_sees_the_offers(
    client, sign_in, staff_member, make_appointment, waitlist_settings, visit_to_cancel, booking_day
):
    sign_in(client, staff_member(FRONT_DESK))
    caller = make_appointment(hour=15, status=Appointment.Status.CONFIRMED, email="caller@example.com",
                              day=booking_day + timedelta(weeks=2))  # fmt: skip
    change_page = reverse("admin:appointments_appointment_change", args=[caller.pk])
    assert "Put on the waitlist" in client.get(change_page).content.decode()
    add = reverse("admin:waitlist_waitlistentry_add") + f"?appointment={caller.pk}"
    assert client.get(add).status_code == HTTPStatus.OK
    response = client.post(add, {"appointment": caller.pk, "specialist": "", "part_of_day": "any",
                                 "channel": "email"}, follow=True)  # fmt: skip
    assert response.redirect_chain, response.content.decode()[-3000:]
    assert response.redirect_chain[-1][0] == change_page
    entry = WaitlistEntry.objects.get(appointment=caller)
    assert entry.added_by == "front-desk"

    booking.cancel(visit_to_cancel)
    run_queued_tasks()
    (offer,) = offers_to(entry)
    page = client.get(change_page).content.decode()
    assert "Any time before the visit" in page
    assert "Waiting for an answer" in page

    listing = client.get(reverse("admin:waitlist_waitlistentry_changelist")).content.decode()
    assert caller.reference in listing
    assert "Any time before the visit" in listing
    assert AuditEntry.objects.filter(appointment_id=caller.pk, action="view").count() >= 2
    offers_page = client.get(reverse("admin:waitlist_offer_changelist")).content.decode()
    assert caller.reference in offers_page
    assert "Waiting for an answer" in offers_page
    assert client.get(reverse("admin:waitlist_opening_changelist")).status_code == HTTPStatus.OK
