import re
from datetime import timedelta
from http import HTTPStatus

import pytest
from django.utils import timezone

from appointments.models import Appointment, SubmissionAttempt
from appointments.tokens import manage_token_digest
from tests.appointments.fixtures import CHECK_EMAIL, local, request_with_code, slot_key, token_of
from tests.appointments.mail_fixtures import run_queued_tasks

DETAILS = "/appointments/request/details/"
REFUSAL = "We could not take this request online; please call us on (555) 010-2030."


def details_url(slot):
    return (
        f"{DETAILS}?visit_type={slot['visit_type'].slug}&provider={slot['provider'].pk}"
        f"&start={slot['start'].isoformat().replace('+', '%2B')}"
    )


def test_request_page_shows_a_week_of_free_times(client, clinic, booking_day):
    response = client.get("/appointments/request/", {"week": booking_day.isoformat()})
    assert response.status_code == HTTPStatus.OK
    html = response.content.decode()
    assert "9:00 AM" in html
    assert "Next week" in html
    assert "Follow-up" not in html  # staff-only visit types are not offered online


def test_request_page_rejects_an_unknown_visit_type_with_a_message(client, clinic):
    response = client.get("/appointments/request/", {"visit_type": "botox"})
    assert "Choose one of the visit types listed." in response.content.decode()


def test_details_page_shows_the_chosen_time(client, open_slot):
    response = client.get(details_url(open_slot))
    html = response.content.decode()
    assert response.status_code == HTTPStatus.OK
    assert "9:00 AM" in html
    assert "Dr. Elena Marsh" in html


def test_a_tampered_time_outside_working_hours_is_refused(client, open_slot, slot_post):
    slot = dict(open_slot, start=open_slot["start"].replace(hour=7))
    response = client.post(DETAILS, slot_post(slot), follow=True)
    assert "That time is not available" in response.content.decode()
    assert not Appointment.objects.exists()


def test_a_patient_requests_a_time_and_gets_a_reference(client, open_slot, slot_post, risk_factors):
    factor = risk_factors["iron-deficiency"]
    response = request_with_code(client, slot_post(open_slot, risk_factors=[factor.pk]))
    assert response.status_code == HTTPStatus.FOUND
    appointment = Appointment.objects.get()
    assert response["Location"].startswith("/appointments/manage/")
    assert manage_token_digest(token_of(response["Location"])) == appointment.manage_token_hash
    assert re.fullmatch(r"TVS-[2-9A-HJ-NP-Z]{6}", appointment.reference)
    assert appointment.status == Appointment.Status.REQUESTED
    assert appointment.starts_at == open_slot["start"]
    assert appointment.ends_at - appointment.starts_at == timedelta(minutes=45)
    assert appointment.consent_version
    assert appointment.consented_at
    assert list(appointment.risk_factors.all()) == [factor]
    assert "RLS core features 4/4" in appointment.triage_summary()
    assert "iron deficiency" in appointment.triage_summary()

    page = client.get(response["Location"]).content.decode()
    assert appointment.reference in page
    assert "What happens next" in page
    assert "Monday" in page
    assert "9:00 AM" in page


def test_confirmation_link_is_unguessable_and_separate_from_the_reference(client, open_slot, slot_post):
    token = token_of(request_with_code(client, slot_post(open_slot))["Location"])
    appointment = Appointment.objects.get()
    assert client.get(f"/appointments/manage/{appointment.reference}/").status_code == HTTPStatus.NOT_FOUND
    assert len(token) >= 30


def test_resubmitting_the_same_form_creates_one_appointment(client, open_slot, slot_post):
    data = slot_post(open_slot)
    first = client.post(DETAILS, data)
    second = client.post(DETAILS, data)
    assert Appointment.objects.count() == 1
    assert first["Location"] == second["Location"] == CHECK_EMAIL
    # Once the code is in, the same browser sending the form again lands on its own page.
    page = request_with_code(client, data)["Location"]
    assert client.post(DETAILS, data)["Location"] == page
    assert Appointment.objects.count() == 1


def test_a_request_costs_fifteen_statements_however_booked_the_clinic_is(
    client, open_slot, slot_post, make_appointment, booking_day, django_assert_max_num_queries
):
    for day in range(5):
        for hour in (11, 14, 15, 16):
            make_appointment(day=booking_day + timedelta(days=day), hour=hour, email=f"p{day}{hour}@example.com")
    # 15: the visit type and the specialist's hours that day (2); the bookings and closures around the time (2);
    # whether the form was sent before (1); the request's transaction (2: a savepoint and its release here, BEGIN
    # and COMMIT in production); the limits' locks, then every count and record in one statement (2); the hold in
    # its savepoint (3); the email code, its message and the message's task (3).
    with django_assert_max_num_queries(15):
        response = client.post(DETAILS, slot_post(open_slot), REMOTE_ADDR="192.0.2.44")
    assert response["Location"] == CHECK_EMAIL
    assert Appointment.objects.get(starts_at=open_slot["start"]).status == Appointment.Status.HELD


@pytest.mark.parametrize(
    ("field", "value", "message"),
    [
        ("first_name", "", "Enter your first name."),
        ("last_name", "", "Enter your last name."),
        ("date_of_birth", "", "Enter your date of birth."),
        ("date_of_birth", "banana-04-23", "Enter your date of birth in numbers, for example 4 23 1971."),
        ("date_of_birth", "1971-02-30", "Date of birth must be a real date"),
        ("date_of_birth", "71-04-23", "Enter the year of birth with 4 digits"),
        ("date_of_birth_month", "", "Date of birth must include a month."),
        ("date_of_birth", "2999-01-01", "Your date of birth cannot be in the future."),
        ("date_of_birth", "1850-01-01", "Check the year of your date of birth."),
        ("email", "maria@", "Enter an email address like name@example.com."),
        ("phone", "12", "Enter a valid phone number"),
        ("phone", "", "Enter a phone number we can reach you on."),
        ("reasons", None, "Choose at least one reason for your visit."),
        ("consent", None, "We can only accept your request once you agree to the privacy notice."),
        ("urgent_one_leg", None, "Answer the safety question about swelling, pain or redness in one leg."),
        ("notes", "x" * 1001, "Keep your note under 1,000 characters"),
    ],
)
def test_bad_input_gets_a_specific_message_and_keeps_what_was_typed(
    client, open_slot, slot_post, field, value, message
):
    response = client.post(DETAILS, slot_post(open_slot, **{field: value}))
    html = response.content.decode()
    assert response.status_code == HTTPStatus.BAD_REQUEST
    assert message in html
    assert 'value="Maria"' in html or field == "first_name"
    assert "My legs keep me awake." in html or field == "notes"
    assert not Appointment.objects.exists()


def test_under_18_needs_a_parent_or_guardian(client, open_slot, slot_post):
    teen = (timezone.localdate() - timedelta(days=365 * 15)).isoformat()
    response = client.post(DETAILS, slot_post(open_slot, date_of_birth=teen))
    assert "Patients under 18 need a parent or guardian" in response.content.decode()
    response = client.post(DETAILS, slot_post(open_slot, date_of_birth=teen, guardian_name="Ana Lopez"))
    assert response.status_code == HTTPStatus.FOUND
    assert Appointment.objects.get().guardian_name == "Ana Lopez"


@pytest.mark.parametrize("question", ["urgent_one_leg", "urgent_breathing"])
def test_urgent_signs_stop_the_request_and_store_nothing(client, open_slot, slot_post, question):
    response = client.post(DETAILS, slot_post(open_slot, **{question: "yes"}))
    html = response.content.decode()
    assert "Please get urgent medical care now" in html
    assert "call 911" in html
    assert not Appointment.objects.exists()
    assert not SubmissionAttempt.objects.exists()


def test_honeypot_filled_in_books_nothing(client, open_slot, slot_post):
    response = client.post(DETAILS, slot_post(open_slot, website="http://spam.example"))
    assert response.status_code == HTTPStatus.BAD_REQUEST
    assert not Appointment.objects.exists()


def test_rate_limit_per_client_address(client, clinic, booking_day, slot_post, settings):
    settings.TRUFFLES_BOOKING = {**settings.TRUFFLES_BOOKING, "RATE_PER_ADDRESS_PER_HOUR": 2}
    for index, hour in enumerate([9, 10, 11]):
        slot = {"visit_type": clinic["vein"], "provider": clinic["marsh"], "start": local(booking_day, hour)}
        response = client.post(DETAILS, slot_post(slot, email=f"p{index}@example.com"))
    assert response.status_code == HTTPStatus.TOO_MANY_REQUESTS
    assert REFUSAL in response.content.decode()
    assert Appointment.objects.count() == 2


def test_a_mailbox_gets_no_more_codes_than_its_daily_share_and_the_page_says_the_same(
    client, clinic, booking_day, slot_post, settings, mailoutbox
):
    settings.TRUFFLES_BOOKING = {
        **settings.TRUFFLES_BOOKING, "RATE_PER_EMAIL_PER_DAY": 1, "MAX_OPEN_REQUESTS_PER_PATIENT": 9
    }
    answers = []
    for hour in (9, 10):
        slot = {"visit_type": clinic["vein"], "provider": clinic["marsh"], "start": local(booking_day, hour)}
        response = client.post(DETAILS, slot_post(slot), REMOTE_ADDR=f"10.0.{hour}.1")
        answers.append((response.status_code, response["Location"]))
    run_queued_tasks()
    assert answers == [(HTTPStatus.FOUND, CHECK_EMAIL)] * 2
    assert len([message for message in mailoutbox if message.to == ["maria.lopez@example.com"]]) == 1


def test_a_patient_cannot_hold_too_many_open_requests(client, clinic, booking_day, slot_post, settings):
    settings.TRUFFLES_BOOKING = {**settings.TRUFFLES_BOOKING, "MAX_OPEN_REQUESTS_PER_PATIENT": 2}
    for hour in (9, 10, 11):
        slot = {"visit_type": clinic["vein"], "provider": clinic["marsh"], "start": local(booking_day, hour)}
        response = request_with_code(client, slot_post(slot))
    # Only the mailbox's owner (who typed the code) learns it; the time is free again.
    assert "You already have upcoming visits with us" in response.content.decode()
    assert Appointment.objects.active().count() == 2


def test_a_taken_slot_offers_alternatives_and_keeps_the_typed_details(client, open_slot, slot_post):
    assert client.post(DETAILS, slot_post(open_slot, email="first@example.com")).status_code == HTTPStatus.FOUND
    response = client.post(DETAILS, slot_post(open_slot, first_name="Second", email="second@example.com"))
    html = response.content.decode()
    assert response.status_code == HTTPStatus.CONFLICT
    assert "that time is no longer free" in html
    assert 'value="Second"' in html
    assert "My legs keep me awake." in html
    assert 'name="alternative"' in html
    assert Appointment.objects.count() == 1


def test_choosing_an_alternative_books_it_with_the_same_details(client, clinic, open_slot, slot_post):
    client.post(DETAILS, slot_post(open_slot, email="first@example.com"))
    alternative = slot_key(clinic['okafor'], open_slot['start'])
    response = client.post(DETAILS, slot_post(open_slot, first_name="Second", alternative=alternative))
    assert response.status_code == HTTPStatus.FOUND
    second = Appointment.objects.get(first_name="Second")
    assert second.provider == clinic["okafor"]


def test_patient_cancels_from_the_confirmation_page(client, open_slot, slot_post):
    location = request_with_code(client, slot_post(open_slot))["Location"]
    appointment = Appointment.objects.get()
    response = client.post(f"{location}cancel/", follow=True)
    assert "Your appointment request is cancelled" in response.content.decode()
    appointment.refresh_from_db()
    assert appointment.status == Appointment.Status.CANCELLED
    # The time is free again for someone else.
    assert client.post(DETAILS, slot_post(open_slot, email="next@example.com")).status_code == HTTPStatus.FOUND
    assert location


def test_patient_moves_the_appointment_to_another_time(client, clinic, open_slot, slot_post, booking_day):
    token = token_of(request_with_code(client, slot_post(open_slot))["Location"])
    appointment = Appointment.objects.get()
    new_start = local(booking_day, 9, 30)  # overlaps its own old time: allowed
    data = {"visit_type": "vein-evaluation", "provider": clinic["marsh"].pk, "start": new_start.isoformat(),
            "reschedule": token}
    response = client.post(DETAILS, data, follow=True)
    assert "has moved to the new time" in response.content.decode()
    appointment.refresh_from_db()
    assert appointment.starts_at == new_start


def test_add_to_calendar_downloads_an_ics_file(client, open_slot, slot_post):
    location = request_with_code(client, slot_post(open_slot))["Location"]
    appointment = Appointment.objects.get()
    response = client.get(f"{location}calendar.ics")
    body = response.content.decode()
    assert response["Content-Type"].startswith("text/calendar")
    assert "BEGIN:VEVENT" in body
    assert f"UID:{appointment.reference}@truffles-veins" in body
    local_start = timezone.localtime(appointment.starts_at)
    assert f"DTSTART;TZID=America/New_York:{local_start:%Y%m%dT%H%M%S}" in body
    assert "BEGIN:VTIMEZONE" in body
    assert "Maria" not in body  # no health or identity details in a file that syncs to other services


def test_a_visit_cannot_be_marked_completed_before_it_starts(open_slot, slot_post, client):
    from appointments import booking

    request_with_code(client, slot_post(open_slot))
    appointment = booking.confirm(Appointment.objects.get()).appointment
    outcome = booking.mark_completed(appointment)
    assert "before it starts" in outcome.error
    appointment.refresh_from_db()
    assert appointment.status == Appointment.Status.CONFIRMED


def test_appointment_text_in_logs_is_the_reference_not_the_name(open_slot, slot_post, client):
    client.post(DETAILS, slot_post(open_slot))
    appointment = Appointment.objects.get()
    assert str(appointment) == appointment.reference


def test_patient_gets_one_email_with_the_reference_and_link_but_no_health_details(
    client, open_slot, slot_post, mailoutbox
):
    data = slot_post(open_slot)
    request_with_code(client, data)
    client.post(DETAILS, data)  # a resubmit sends nothing more
    assert mailoutbox == []  # nothing is sent inside the request: the worker sends it
    run_queued_tasks()
    appointment = Appointment.objects.get()
    to_patient = [message for message in mailoutbox
                  if message.to == ["maria.lopez@example.com"] and "code" not in message.subject]  # fmt: skip
    assert len(to_patient) == 1
    message = to_patient[0]
    assert message.to == ["maria.lopez@example.com"]
    assert appointment.reference in message.subject
    link = re.search(r"/appointments/manage/([-\w]+)/", message.body)
    assert manage_token_digest(link.group(1)) == appointment.manage_token_hash
    assert "Monday" in message.body
    assert "9:00 AM" in message.body
    assert "My legs keep me awake." not in message.body
    assert "restless" not in message.body.lower()
