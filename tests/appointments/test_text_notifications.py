"""Notifications by text: consent, what each text says, STOP/START/HELP, C and R, delivery reports,
the fallback to email and the quiet hours. Texts go to the fake Twilio API (a real process,
tools/fake_twilio.py) through the twilio SDK; tasks run in this process with django-tasks-db's code;
webhooks are signed as Twilio signs them. test_text_delivery.py runs the real worker against faults.
"""

import logging
from datetime import timedelta
from http import HTTPStatus

import pytest
from django.urls import reverse
from django.utils import timezone

from appointments import booking, sms, texts
from appointments.models import Appointment, Message, TextOptOut, TextReply
from tests.appointments.fixtures import local, request_with_code
from tests.appointments.mail_fixtures import run_queued_tasks
from tests.appointments.test_messages import FORBIDDEN
from tests.appointments.text_fixtures import SITE_URL, quiet_hours_around_now, signed_post
from tests.processes import wait_until

DETAILS = "/appointments/request/details/"
NUMBER = "+12015550123"  # what "(201) 555-0123" on the form becomes
Kind = Message.Kind
State = Message.State
TEXT = Message.Channel.TEXT


@pytest.fixture
def book_with_texts(client, open_slot, slot_post, texting):
    def book(notify_by="both", slot=None, **overrides):
        data = slot_post(slot or open_slot, notify_by=notify_by, text_consent="on", **overrides)
        response = request_with_code(client, data)
        assert response.status_code == HTTPStatus.FOUND, response.content.decode()[:2000]
        return Appointment.objects.order_by("-pk").first()

    return book


def texts_at(fake, number=NUMBER):
    return [message["body"] for message in fake.sent_to(number)]


def test_each_notification_goes_by_text_to_a_patient_who_chose_texts(book_with_texts, texting, clinic, booking_day,
                                                                      mailoutbox, caplog):  # fmt: skip
    caplog.set_level(logging.INFO)
    appointment = book_with_texts()
    run_queued_tasks()
    appointment = booking.confirm(appointment).appointment
    run_queued_tasks()
    slot = booking.SlotChoice(clinic["vein"], clinic["okafor"], clinic["location"], local(booking_day, 14))
    appointment = booking.move_by_staff(appointment, slot).appointment
    send_the_reminder_now()
    booking.cancel(appointment, "The specialist is unwell.")
    run_queued_tasks()
    declined = book_with_texts(slot={"visit_type": clinic["vein"], "provider": clinic["marsh"],
                                     "start": local(booking_day, 11)}, email="second@example.com")  # fmt: skip
    booking.decline(declined, "Dr. Marsh is away.")
    withdrawn = book_with_texts(slot={"visit_type": clinic["vein"], "provider": clinic["marsh"],
                                      "start": local(booking_day, 15)}, email="third@example.com")  # fmt: skip
    booking.cancel_by_patient(withdrawn)
    run_queued_tasks()

    sent = texting.wait_for(9, number=NUMBER)  # five for the first visit, two each for the others
    by_kind = dict(Message.objects.filter(channel=TEXT, state=State.SENT).values_list("provider_id", "kind"))
    kinds = {by_kind[message["sid"]] for message in sent}
    assert kinds == set(Kind.values) - {Kind.CLINIC_NOTICE, Kind.WAITLIST_OFFER, Kind.EMAIL_CODE}  # code: email only
    each_text_is_short_signed_and_private(sent)
    # Email too: the patient chose both.
    assert {m.to[0] for m in mailoutbox} >= {"maria.lopez@example.com"}
    assert Message.objects.filter(channel=Message.Channel.EMAIL, kind=Kind.CONFIRMED, state=State.SENT).exists()
    for record in caplog.records:  # no number, no words of a text in any log line
        assert "5550123" not in record.getMessage()
        assert "Reply" not in record.getMessage()


def send_the_reminder_now():
    """The reminder's own task waits for its day; make it due and run it now."""
    from appointments.tasks import deliver_message

    reminder = Message.objects.get(kind=Kind.REMINDER, channel=TEXT, sequence=1)
    Message.objects.filter(pk=reminder.pk).update(send_after=timezone.now())
    run_queued_tasks()
    deliver_message.call(reminder.pk)


def each_text_is_short_signed_and_private(sent):
    bodies = [message["body"] for message in sent]
    for body in bodies:
        assert texts.fits_one_segment(body), body
        assert body.startswith("Truffles Vein Specialists")
        for value in [*FORBIDDEN, "Maria", "Lopez", "1971", "maria.lopez", "unwell", "away"]:
            assert value.lower() not in body.lower(), f"{body!r} carries {value!r}"
    assert bodies[0].endswith("Reply STOP to end")  # the first text to the number says how to stop
    assert not any(body.endswith("Reply STOP to end") for body in bodies[1:])
    assert f"{SITE_URL}/v/" in bodies[0]
    assert any("Reply C to confirm, R to change, or call (555) 010-2030." in body for body in bodies)
    assert all(message["from"] == "+15005550006" for message in sent)


def test_the_short_link_opens_the_patients_page(book_with_texts, client):
    appointment = book_with_texts()
    response = client.get(appointment.short_link_path())
    assert response.status_code == HTTPStatus.FOUND
    assert response["Location"] == appointment.get_absolute_url()
    assert client.get("/v/abcdefghij").status_code == HTTPStatus.NOT_FOUND


def test_texts_only_with_the_consent_box_ticked_and_its_words_are_kept(client, open_slot, slot_post, texting):
    response = client.post(DETAILS, slot_post(open_slot, notify_by="text"))
    assert response.status_code == HTTPStatus.BAD_REQUEST
    assert "To get texts, tick this box to agree to them, or choose email only." in response.content.decode()
    assert not Appointment.objects.exists()

    assert request_with_code(client, slot_post(open_slot, notify_by="text", text_consent="on")).status_code == 302
    appointment = Appointment.objects.get()
    assert appointment.text_consent_wording.startswith("I agree to get texts about this visit from Truffles")
    assert "Reply STOP to end" in appointment.text_consent_wording
    assert appointment.text_consent_version == "2026-12"
    assert timezone.now() - appointment.text_consented_at < timedelta(minutes=1)
    run_queued_tasks()
    assert len(texting.sent_to(NUMBER)) == 1
    kinds = set(Message.objects.filter(kind=Kind.RECEIVED).values_list("channel", flat=True))
    assert kinds == {TEXT}  # text only, as chosen


def test_a_patient_who_chose_email_gets_no_text(client, open_slot, slot_post, texting, mailoutbox):
    request_with_code(client, slot_post(open_slot, notify_by="email", text_consent="on"))
    run_queued_tasks()
    assert texting.sent() == []
    assert Appointment.objects.get().text_consented_at is None
    assert len(mailoutbox) == 2


def test_texting_is_off_while_the_account_is_unset(book_with_texts, settings, mailoutbox):
    settings.TRUFFLES_TWILIO = {**settings.TRUFFLES_TWILIO, "ACCOUNT_SID": ""}
    appointment = book_with_texts(notify_by="text")
    run_queued_tasks()
    assert set(appointment.messages.values_list("channel", flat=True)) == {Message.Channel.EMAIL}
    assert "maria.lopez@example.com" in [m.to[0] for m in mailoutbox]


@pytest.mark.parametrize("path", ["/sms/inbound/", "/sms/status/"])
def test_forged_and_unsigned_webhooks_are_refused_and_change_nothing(book_with_texts, client, path):
    appointment = book_with_texts()
    run_queued_tasks()
    message = Message.objects.get(channel=TEXT)
    params = {"MessageSid": message.provider_id, "MessageStatus": "failed", "ErrorCode": "30006", "From": NUMBER,
              "Body": "STOP"}  # fmt: skip
    assert client.post(path, params).status_code == HTTPStatus.FORBIDDEN
    assert signed_post(client, path, params, token="not-the-auth-token").status_code == HTTPStatus.FORBIDDEN
    assert signed_post(client, path, params, site_url="https://elsewhere.example").status_code == HTTPStatus.FORBIDDEN
    assert client.get(path).status_code == HTTPStatus.METHOD_NOT_ALLOWED
    message.refresh_from_db()
    assert message.state == State.SENT
    assert message.delivery == ""
    assert not TextOptOut.objects.exists()
    assert not TextReply.objects.exists()
    assert Appointment.objects.get(pk=appointment.pk).patient_confirmed_at is None


def reply(client, body, number=NUMBER, sid=None):
    params = {"MessageSid": sid or f"SM{abs(hash((body, number, timezone.now()))):032x}"[:34], "From": number,
              "To": "+15005550006", "Body": body, "AccountSid": "ACtest"}  # fmt: skip
    response = signed_post(client, "/sms/inbound/", params)
    assert response.status_code == HTTPStatus.OK
    assert response["Content-Type"].startswith("text/xml")
    return response.content.decode()


@pytest.mark.parametrize("word", ["STOP", "stopall", " Unsubscribe ", "CANCEL", "end", "QUIT"])
def test_stop_words_opt_out_at_once_with_one_last_text_and_start_opts_back_in(book_with_texts, client, word,
                                                                             mailoutbox):  # fmt: skip
    appointment = book_with_texts()
    twiml = reply(client, word)
    assert "<Message>Truffles Vein Specialists: you will get no more texts from us." in twiml
    assert TextOptOut.objects.stopped(NUMBER)
    booking.confirm(appointment)
    run_queued_tasks()
    assert Message.objects.get(kind=Kind.CONFIRMED, channel=Message.Channel.EMAIL).state == State.SENT
    assert not Message.objects.filter(channel=TEXT, state=State.SENT).exists()  # the received text too waited
    assert "texts are back on" in reply(client, "START")
    assert not TextOptOut.objects.stopped(NUMBER)
    assert "texts are back on" in reply(client, "unstop")


def test_help_answers_with_the_clinics_name_and_phone(book_with_texts, client):
    book_with_texts()
    assert "Truffles Vein Specialists: texts about your visits. Call (555) 010-2030 for help." in reply(client, "HELP")
    assert "Call (555) 010-2030 for help" in reply(client, "help", number="+12015550999")  # any number


def test_c_records_that_the_patient_is_coming_and_staff_see_it(book_with_texts, client, staff_member):
    appointment = booking.confirm(book_with_texts()).appointment
    twiml = reply(client, "c")
    assert "thank you, we will see you on" in twiml
    appointment.refresh_from_db()
    assert appointment.patient_confirmed_at is not None
    from staff.roles import FRONT_DESK

    desk = type(client)()
    desk.force_login(staff_member(FRONT_DESK))
    assert "patient said C" in desk.get(reverse("admin:appointments_appointment_changelist")).content.decode()
    page = desk.get(reverse("admin:appointments_appointment_change", args=[appointment.pk])).content.decode()
    assert "C: confirmed they are coming" in page
    day = timezone.localdate(appointment.starts_at)
    schedule = desk.get(reverse("admin:appointments_appointment_schedule") + f"?date={day}").content.decode()
    assert "patient said C" in schedule


def test_r_answers_with_a_link_to_choose_another_time(book_with_texts, client):
    appointment = booking.confirm(book_with_texts()).appointment
    twiml = reply(client, "R")
    assert "choose another time here: https://clinic.example/v/" in twiml
    link = twiml.split("here: ", 1)[1].split(" ", 1)[0].removeprefix(SITE_URL)
    response = client.get(link)
    assert response.status_code == HTTPStatus.FOUND
    assert response["Location"].startswith("/appointments/request/?visit_type=vein-evaluation")
    assert "reschedule=" in response["Location"]
    assert client.get(response["Location"]).status_code == HTTPStatus.OK
    assert TextReply.objects.get().meaning == TextReply.Meaning.CHANGE
    assert appointment.text_replies.count() == 1


def test_anything_else_gets_short_help_and_goes_to_the_front_desk(book_with_texts, client):
    book_with_texts()
    twiml = reply(client, "Can I bring my husband?", sid="SM0000000000000000000000000000aa01")
    assert "reply C to confirm, R to change, or call (555) 010-2030." in twiml
    (kept,) = TextReply.objects.needing_attention()
    assert kept.body == "Can I bring my husband?"
    # Twilio retries a webhook it thinks failed: the same id counts once.
    reply(client, "Can I bring my husband?", sid="SM0000000000000000000000000000aa01")
    assert TextReply.objects.count() == 1


def test_an_unknown_number_gets_the_clinics_phone_and_nothing_else(book_with_texts, client):
    book_with_texts()
    assert "<Message>Please call (555) 010-2030.</Message>" in reply(client, "C", number="+12015550999")
    assert Appointment.objects.get().patient_confirmed_at is None
    assert not TextReply.objects.exists()


def report(client, message, status, error_code=""):
    params = {"MessageSid": message.provider_id, "MessageStatus": status, "AccountSid": "ACtest", "To": NUMBER}
    if error_code:
        params["ErrorCode"] = error_code
    response = signed_post(client, f"/sms/status/?notification={message.pk}", params)
    assert response.status_code == HTTPStatus.OK
    message.refresh_from_db()
    return message


def test_delivery_reports_update_the_text_and_an_undelivered_one_shows_as_failed(book_with_texts, client):
    book_with_texts()
    run_queued_tasks()
    message = Message.objects.get(channel=TEXT)
    assert report(client, message, "delivered").delivery == "delivered"
    assert report(client, message, "sent").delivery == "delivered"  # a late report undoes nothing
    assert message.state == State.SENT
    message = report(client, message, "undelivered", "30003")
    assert (message.state, message.last_error) == (State.FAILED, "Twilio 30003")
    assert list(Message.objects.failed()) == [message]


def test_a_number_that_cannot_take_texts_gets_the_email_instead(book_with_texts, client, mailoutbox):
    book_with_texts(notify_by="text")
    run_queued_tasks()
    assert "maria.lopez@example.com" not in [m.to[0] for m in mailoutbox]  # text only: no email to the patient yet
    message = report(client, Message.objects.get(channel=TEXT), "undelivered", "30006")
    assert message.state == State.FAILED
    assert "30006" in message.last_error
    run_queued_tasks()
    fallback = Message.objects.get(kind=Kind.RECEIVED, channel=Message.Channel.EMAIL)
    assert fallback.state == State.SENT
    assert "maria.lopez@example.com" in [m.to[0] for m in mailoutbox]


def test_a_landline_refused_at_once_gets_the_email_instead(book_with_texts, texting, mailoutbox):
    book_with_texts(notify_by="text", phone="+15005550009")  # Twilio's test number for "not a mobile"
    run_queued_tasks()
    text = Message.objects.get(channel=TEXT)
    assert (text.state, text.last_error) == (State.FAILED, "Twilio 21614")
    assert Message.objects.get(kind=Kind.RECEIVED, channel=Message.Channel.EMAIL).state == State.SENT
    assert texting.sent() == []


def test_nothing_is_texted_in_the_quiet_hours_it_waits_for_the_morning(book_with_texts, texting, settings):
    settings.TRUFFLES_TEXTS = {**settings.TRUFFLES_TEXTS, "QUIET_HOURS": quiet_hours_around_now()}
    book_with_texts()
    run_queued_tasks()
    text = Message.objects.get(channel=TEXT)
    assert text.state == State.PENDING
    assert text.attempts == 0
    morning = timezone.localtime(text.send_after)
    assert morning.time() == settings.TRUFFLES_TEXTS["QUIET_HOURS"][1]
    assert morning > timezone.now()
    assert texting.sent() == []
    assert Message.objects.get(kind=Kind.RECEIVED, channel=Message.Channel.EMAIL).state == State.SENT


def test_the_sdk_reaches_the_configured_api_url(texting):
    assert sms.enabled()
    assert sms.client().http_client.base_url == texting.url
    wait_until(lambda: texting.sent() == [], 2)


def test_erasing_a_visit_erases_what_the_patient_wrote(book_with_texts, client):
    appointment = book_with_texts()
    reply(client, "My leg is swollen again")
    Appointment.objects.filter(pk=appointment.pk).erase_patient_details()
    assert TextReply.objects.get().body == ""
