"""Issue 17 point 1: a replayed form never opens another patient's page."""

from http import HTTPStatus

from django.db import connection
from django.forms.models import model_to_dict
from django.test import Client

from appointments.models import Appointment, Message
from appointments.tokens import manage_token_for, submission_token_digest
from tests.appointments.fixtures import CHECK_EMAIL, DETAILS, request_with_code


def test_a_replayed_token_with_other_details_from_another_client_opens_nothing_and_changes_nothing(
    open_slot, slot_post
):
    patient = Client()
    victim_form = slot_post(open_slot)
    assert request_with_code(patient, victim_form, REMOTE_ADDR="198.51.100.4").status_code == HTTPStatus.FOUND
    victim = Appointment.objects.get()
    before = model_to_dict(victim)
    messages_before = Message.objects.count()

    attacker = Client()
    attacker.get(DETAILS, {"visit_type": "vein-evaluation", "provider": open_slot["provider"].pk,
                           "start": open_slot["start"].isoformat()})  # fmt: skip
    replay = slot_post(open_slot, first_name="Mallory", email="mallory@example.net", phone="(201) 555-0666",
                       submission_token=victim_form["submission_token"])  # fmt: skip
    response = attacker.post(DETAILS, replay, REMOTE_ADDR="203.0.113.66")

    assert (response.status_code, response["Location"]) == (HTTPStatus.FOUND, CHECK_EMAIL)
    page = attacker.get(CHECK_EMAIL).text
    assert "/appointments/manage/" not in page
    assert victim.reference not in page
    assert "ma•••" not in page
    assert attacker.post(CHECK_EMAIL, {"action": "confirm", "code": "123456"}).status_code == HTTPStatus.BAD_REQUEST
    victim.refresh_from_db()
    assert model_to_dict(victim) == before
    assert Appointment.objects.count() == 1
    assert Message.objects.count() == messages_before


def test_the_browser_that_sent_the_form_finds_its_request_again(open_slot, slot_post):
    patient = Client()
    form = slot_post(open_slot)
    assert patient.post(DETAILS, form)["Location"] == CHECK_EMAIL
    assert patient.post(DETAILS, form)["Location"] == CHECK_EMAIL  # a double click: one hold, its own code page
    assert "ma•••@example.com" in patient.get(CHECK_EMAIL).text
    assert Appointment.objects.count() == 1


def test_the_database_keeps_only_a_digest_of_the_submission_token(open_slot, slot_post):
    form = slot_post(open_slot)
    Client().post(DETAILS, form)
    stored = Appointment.objects.values_list("submission_token_hash", flat=True).get()

    assert stored == submission_token_digest(form["submission_token"])
    assert form["submission_token"] not in str(list(Appointment.objects.values()))
    # The migration hashes existing tokens in SQL exactly as the site does in Python.
    with connection.cursor() as cursor:
        cursor.execute("SELECT encode(sha256(convert_to(%s::uuid::text, 'UTF8')), 'hex')", [form["submission_token"]])
        assert cursor.fetchone()[0] == stored


def test_the_manage_link_needs_the_secret_key_the_database_does_not_hold(client, open_slot, slot_post, settings):
    link = request_with_code(client, slot_post(open_slot))["Location"]
    appointment = Appointment.objects.get()
    assert link == f"/appointments/manage/{manage_token_for(appointment.submission_token_hash)}/"

    settings.SECRET_KEY = "another-key-" + "x" * 50  # whoever has only the table has no key
    assert f"/appointments/manage/{manage_token_for(appointment.submission_token_hash)}/" != link
