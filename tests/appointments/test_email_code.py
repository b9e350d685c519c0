"""Issue 17 point 2: the 6-digit code that proves the email before a request is anyone's visit."""

import re
from datetime import timedelta
from http import HTTPStatus

from django.utils import timezone

from appointments.models import Appointment, EmailCheck
from tests.appointments.fixtures import CHECK_EMAIL, DETAILS, enter_code, pending_check
from tests.appointments.mail_fixtures import run_queued_tasks


def test_the_code_page_asks_for_the_emailed_code_the_way_phones_fill_it_in(client, open_slot, slot_post):
    client.post(DETAILS, slot_post(open_slot))
    page = client.get(CHECK_EMAIL).text

    field = re.search(r"<input[^>]*name=\"code\"[^>]*>", page).group(0)
    assert 'autocomplete="one-time-code"' in field
    assert 'inputmode="numeric"' in field
    assert "The code works for 20 minutes, until" in page
    assert "Send a new code" in page
    assert Appointment.objects.get().status == Appointment.Status.HELD


def test_the_email_carries_the_code_and_nothing_about_the_patient(client, open_slot, slot_post, mailoutbox):
    client.post(DETAILS, slot_post(open_slot))
    run_queued_tasks()

    [email] = mailoutbox
    code = pending_check(client).code()
    assert email.to == ["maria.lopez@example.com"]
    assert code in email.body
    assert code not in email.subject
    # The random code itself may contain "1971"; look for the patient around it.
    text_around_the_code = (email.subject + email.body).replace(code, "<code>")
    for private in ("Maria", "Lopez", "1971", "legs", "555-0123", "TVS-"):
        assert private not in text_around_the_code


def test_a_pasted_code_with_spaces_works(client, open_slot, slot_post):
    client.post(DETAILS, slot_post(open_slot))
    code = pending_check(client).code()

    response = enter_code(client, f" {code[:3]} {code[3:]} ")

    assert response.status_code == HTTPStatus.FOUND
    assert response["Location"].startswith("/appointments/manage/")
    assert Appointment.objects.get().status == Appointment.Status.REQUESTED


def test_a_wrong_code_is_said_next_to_the_field_and_the_time_stays_held(client, open_slot, slot_post):
    client.post(DETAILS, slot_post(open_slot))
    wrong = f"{(int(pending_check(client).code()) + 1) % 1_000_000:06d}"

    response = enter_code(client, wrong)

    assert response.status_code == HTTPStatus.BAD_REQUEST
    assert "That code is not right" in response.text
    assert 'aria-invalid="true"' in response.text
    assert Appointment.objects.get().status == Appointment.Status.HELD


def test_a_new_code_replaces_the_old_one(client, open_slot, slot_post, mailoutbox):
    client.post(DETAILS, slot_post(open_slot))
    first = pending_check(client).code()

    response = client.post(CHECK_EMAIL, {"action": "resend"}, follow=True)
    run_queued_tasks()

    assert "We sent a new code" in response.text
    second = pending_check(client).code()
    assert second != first
    assert [second in email.body for email in mailoutbox] == [True]  # the first code's email, not yet out, is dropped
    assert enter_code(client, first).status_code == HTTPStatus.BAD_REQUEST
    assert enter_code(client, second).status_code == HTTPStatus.FOUND


def test_too_many_wrong_codes_release_the_time(client, open_slot, slot_post, settings):
    settings.TRUFFLES_BOOKING = {**settings.TRUFFLES_BOOKING, "WRONG_CODES_PER_REQUEST": 3}
    client.post(DETAILS, slot_post(open_slot))
    code = pending_check(client).code()
    wrong = f"{(int(code) + 1) % 1_000_000:06d}"

    answers = [enter_code(client, wrong) for _ in range(3)]

    assert "This code has expired and the time was released" in answers[-1].text
    assert not Appointment.objects.holding_time().exists()
    assert enter_code(client, code).status_code == HTTPStatus.BAD_REQUEST  # nothing left to prove


def test_a_late_code_finds_the_time_released(client, open_slot, slot_post):
    client.post(DETAILS, slot_post(open_slot))
    code = pending_check(client).code()
    EmailCheck.objects.update(expires_at=timezone.now() - timedelta(seconds=1))

    response = enter_code(client, code)

    assert "This code has expired and the time was released" in response.text
    assert not Appointment.objects.holding_time().exists()


def test_wrong_address_start_again_frees_the_time_for_the_same_patient(client, open_slot, slot_post):
    client.post(DETAILS, slot_post(open_slot, email="maria.lopez@exmaple.com"))

    response = client.post(CHECK_EMAIL, {"action": "start-again"})

    assert response.status_code == HTTPStatus.FOUND
    assert response["Location"].startswith(DETAILS)
    assert not Appointment.objects.holding_time().exists()
    assert client.post(DETAILS, slot_post(open_slot))["Location"] == CHECK_EMAIL
