"""What the clinic's emails say, to whom, when, and what they never say.

These run the queued tasks in this process with django-tasks-db's own worker code
(`run_queued_tasks`); tests/appointments/test_message_delivery.py runs real worker processes
against real SMTP servers.
"""

import time
from datetime import timedelta

import icalendar
import pytest
import vobject
from django.db import transaction
from django.utils import timezone
from django_tasks_db.models import DBTaskResult

from appointments import booking, notifications
from appointments.models import Appointment, Message
from tests.appointments.fixtures import PATIENT, local
from tests.appointments.mail_fixtures import run_queued_tasks

DETAILS = "/appointments/request/details/"
Kind = Message.Kind

# What a fully filled intake holds that no message, subject, calendar file or link may carry.
FORBIDDEN = [
    "1971-04-23", "April 23, 1971", "23 April 1971", "04/23/1971", "4/23/1971", "19710423",  # date of birth
    "Acme Health",  # insurance
    "My legs keep me awake",  # notes
    "Restless legs symptoms", "Varicose veins", "Leg swelling", "restless",  # reasons
    "urge to move", "worse at rest", "relieved by movement", "worse in the evening", "core features",  # RLS answers
]  # fmt: skip


@pytest.fixture
def settings_for_messages(settings):
    settings.TRUFFLES_MESSAGES = {**settings.TRUFFLES_MESSAGES, "SITE_URL": "https://clinic.example",
                                  "CLINIC_INBOX": "frontdesk@clinic.example"}  # fmt: skip
    return settings


@pytest.fixture
def full_intake(client, open_slot, slot_post, risk_factors, settings_for_messages):
    """An online request with every intake field filled in, as a patient would send it."""
    chosen = [risk_factors["iron-deficiency"].pk, risk_factors["pregnancy"].pk]
    data = slot_post(open_slot, reasons=["rls", "varicose", "swelling"], risk_factors=chosen)
    response = client.post(DETAILS, data)
    assert response.status_code == 302
    # The online form no longer asks for insurance; staff record it (and it must stay out of emails too).
    Appointment.objects.update(insurance_carrier="Acme Health")
    appointment = Appointment.objects.get()
    assert appointment.notes
    assert appointment.date_of_birth
    assert appointment.insurance_carrier
    assert len(appointment.reasons) == 3
    assert appointment.rls_core_features == 4
    assert appointment.risk_factors.count() == 2
    return appointment


def forbidden_values(appointment):
    values = list(FORBIDDEN)
    values += [factor.name for factor in appointment.risk_factors.all()]
    return values


def everything_sent(email):
    """Every part of an email a patient or a mail server can see, as text."""
    parts = [email.subject, email.body, " ".join(f"{k}: {v}" for k, v in email.extra_headers.items())]
    parts += [content for content, _ in email.alternatives]
    parts += [attachment.content for attachment in email.attachments]
    return "\n".join(str(part) for part in parts)


def test_no_message_carries_health_details_for_a_fully_filled_intake(full_intake, clinic, booking_day):
    appointment = booking.confirm(full_intake).appointment
    slot = booking.SlotChoice(clinic["vein"], clinic["marsh"], clinic["location"], local(booking_day, 11))
    appointment = booking.move_by_staff(appointment, slot).appointment
    appointment = booking.cancel(appointment, "The specialist is unwell.").appointment
    kinds_rendered = set()
    for message in Message.objects.filter(appointment=appointment):
        rendered = everything_sent(notifications.render(message))
        kinds_rendered.add(message.kind)
        for value in forbidden_values(appointment):
            assert value.lower() not in rendered.lower(), f"{message.kind} carries {value!r}"
    # The other endings, rendered for the same full intake.
    for kind in (Kind.DECLINED, Kind.PATIENT_CANCELLED, Kind.WAITLIST_OFFER):
        rendered = everything_sent(notifications.render(Message(appointment=appointment, kind=kind, pk=999)))
        kinds_rendered.add(kind)
        for value in forbidden_values(appointment):
            assert value.lower() not in rendered.lower(), f"{kind} carries {value!r}"
    assert kinds_rendered == set(Kind.values)


def test_request_received_goes_to_the_patient_and_a_bare_notice_to_the_clinic(full_intake, mailoutbox):
    assert run_queued_tasks() == 2
    patient = next(m for m in mailoutbox if m.to == ["maria.lopez@example.com"])
    clinic = next(m for m in mailoutbox if m.to == ["frontdesk@clinic.example"])
    assert full_intake.reference in patient.subject
    page = full_intake.get_absolute_url()  # derived from the form's token; the database keeps a digest
    assert f"https://clinic.example{page}" in patient.body
    assert "Hello Maria" in patient.body
    assert "9:00 AM" in patient.body
    html = patient.alternatives[0][0]
    assert '<html lang="en">' in html
    assert f'href="https://clinic.example{page}"' in html
    # The clinic's inbox: the reference, the time and the admin link; not even the name.
    assert clinic.subject.endswith(f"New online request {full_intake.reference}")
    assert f"https://clinic.example/admin/appointments/appointment/{full_intake.pk}/change/" in clinic.body
    assert "9:00 AM" in clinic.body
    for detail in ("Maria", "Lopez", "maria.lopez", "555", page):
        assert detail not in clinic.body + clinic.subject + clinic.alternatives[0][0]
    assert set(Message.objects.values_list("state", flat=True)) == {Message.State.SENT}


def test_announcing_twice_queues_one_message(full_intake):
    assert notifications.announce(full_intake, Kind.RECEIVED) == []
    assert Message.objects.filter(kind=Kind.RECEIVED).count() == 1
    assert DBTaskResult.objects.count() == 2  # the patient's and the clinic's


def test_a_change_that_rolls_back_sends_nothing(full_intake, mailoutbox):
    run_queued_tasks()
    mailoutbox.clear()

    def confirm_then_fail():
        with transaction.atomic():
            assert booking.confirm(full_intake).ok
            assert Message.objects.filter(kind=Kind.CONFIRMED).exists()
            raise RuntimeError("the rest of the change failed")

    with pytest.raises(RuntimeError):
        confirm_then_fail()
    assert not Message.objects.filter(kind=Kind.CONFIRMED).exists()
    assert run_queued_tasks() == 0
    assert mailoutbox == []


def parse_both(ics: str):
    """The calendar file through icalendar and through vobject, an independent parser."""
    return icalendar.Calendar.from_ical(ics), vobject.readOne(ics)


def test_confirmation_carries_a_calendar_file_in_the_clinics_time_zone(full_intake, mailoutbox):
    run_queued_tasks()
    mailoutbox.clear()
    appointment = booking.confirm(full_intake).appointment
    run_queued_tasks()
    (email,) = mailoutbox
    local = timezone.localtime(appointment.starts_at)
    day = f"{local:%A}, {local:%B} {local.day}"  # the US order: "Monday, December 7"
    assert email.subject == f"Truffles Vein Specialists: Your visit is confirmed: {day} at 9:00 AM"
    (attachment,) = email.attachments
    assert attachment.filename == f"{appointment.reference}.ics"
    assert attachment.mimetype == "text/calendar"
    parsed, second = parse_both(attachment.content)
    (event,) = parsed.events
    assert parsed["METHOD"] == "PUBLISH"
    assert str(event["UID"]) == f"{appointment.reference}@truffles-veins"
    assert event["SEQUENCE"] == 0
    assert event["STATUS"] == "CONFIRMED"
    assert appointment.starts_at == event.DTSTART
    assert str(event.DTSTART.tzinfo) == "America/New_York"
    assert [tz["TZID"] for tz in parsed.walk("VTIMEZONE")] == ["America/New_York"]
    assert second.vevent.uid.value == f"{appointment.reference}@truffles-veins"
    assert second.vevent.dtstart.value == appointment.starts_at
    assert second.vevent.dtend.value == appointment.ends_at


def test_a_move_keeps_the_uid_raises_the_sequence_and_a_cancel_says_cancel(full_intake, clinic, booking_day):
    appointment = booking.confirm(full_intake).appointment
    slot = booking.SlotChoice(clinic["vein"], clinic["okafor"], clinic["location"], local(booking_day, 14))
    appointment = booking.move_by_staff(appointment, slot).appointment
    moved_email = notifications.render(Message.objects.get(kind=Kind.MOVED))
    assert "2:00 PM" in moved_email.body
    assert "The new time is confirmed" in moved_email.body
    parsed, second = parse_both(moved_email.attachments[0].content)
    assert parsed.events[0]["SEQUENCE"] == 1
    assert str(parsed.events[0]["UID"]) == f"{appointment.reference}@truffles-veins"
    assert second.vevent.dtstart.value == slot.start

    appointment = booking.cancel(appointment, "The specialist is unwell.").appointment
    cancelled_email = notifications.render(Message.objects.get(kind=Kind.CANCELLED))
    assert "The specialist is unwell." in cancelled_email.body
    parsed, second = parse_both(cancelled_email.attachments[0].content)
    assert parsed["METHOD"] == "CANCEL"
    assert parsed.events[0]["STATUS"] == "CANCELLED"
    assert parsed.events[0]["SEQUENCE"] == 2
    assert second.method.value == "CANCEL"


def test_a_declined_patient_gets_the_reason_and_a_link_to_choose_again(full_intake, mailoutbox):
    run_queued_tasks()
    mailoutbox.clear()
    booking.decline(full_intake, "Dr. Marsh is away that week.")
    run_queued_tasks()
    (email,) = mailoutbox
    assert "Dr. Marsh is away that week." in email.body
    assert "https://clinic.example/appointments/request/?visit_type=vein-evaluation" in email.body
    assert "please do not come" in email.body


def test_a_reminder_goes_out_when_it_is_due_and_not_before(full_intake, mailoutbox, settings):
    run_queued_tasks()
    mailoutbox.clear()
    lead = full_intake.starts_at - timezone.now() - timedelta(seconds=2)
    settings.TRUFFLES_MESSAGES = {**settings.TRUFFLES_MESSAGES, "REMINDER_HOURS": lead.total_seconds() / 3600}
    booking.confirm(full_intake)
    reminder = Message.objects.get(kind=Kind.REMINDER)
    assert DBTaskResult.objects.get(args_kwargs__args=[reminder.pk]).run_after == reminder.send_after
    assert run_queued_tasks() == 1  # the confirmation; the reminder waits
    assert [m.subject.split(": ", 1)[1].split(":")[0] for m in mailoutbox] == ["Your visit is confirmed"]
    time.sleep(max((reminder.send_after - timezone.now()).total_seconds(), 0) + 0.2)
    assert run_queued_tasks() == 1
    assert "Reminder: your visit" in mailoutbox[-1].subject
    reminder.refresh_from_db()
    assert reminder.state == Message.State.SENT


def test_the_default_reminder_is_due_a_day_before_the_visit(full_intake):
    appointment = booking.confirm(full_intake).appointment
    reminder = Message.objects.get(kind=Kind.REMINDER)
    assert reminder.send_after == appointment.starts_at - timedelta(hours=24)
    task = DBTaskResult.objects.get(args_kwargs__args=[reminder.pk])
    assert task.run_after == reminder.send_after


def let_time_pass_until_every_message_is_due():
    """The queue's and the messages' clocks moved forward together, as if the day had passed."""
    now = timezone.now()
    DBTaskResult.objects.update(run_after=now)
    Message.objects.update(send_after=now)


def test_no_reminder_after_a_cancellation(full_intake, mailoutbox):
    appointment = booking.confirm(full_intake).appointment
    assert booking.cancel_by_patient(appointment).ok
    let_time_pass_until_every_message_is_due()
    run_queued_tasks()
    subjects = [m.subject for m in mailoutbox]
    assert not any("Reminder" in subject for subject in subjects)
    assert any("You cancelled your visit" in subject for subject in subjects)
    assert Message.objects.get(kind=Kind.REMINDER).state == Message.State.SKIPPED


def test_after_a_move_only_the_new_times_reminder_goes_out(full_intake, clinic, booking_day, mailoutbox):
    appointment = booking.confirm(full_intake).appointment
    slot = booking.SlotChoice(clinic["vein"], clinic["marsh"], clinic["location"], local(booking_day, 15))
    assert booking.move_by_staff(appointment, slot).ok
    let_time_pass_until_every_message_is_due()
    run_queued_tasks()
    reminders = [m for m in mailoutbox if "Reminder" in m.subject]
    assert len(reminders) == 1
    assert "3:00 PM" in reminders[0].body
    states = dict(Message.objects.filter(kind=Kind.REMINDER).values_list("sequence", "state"))
    assert states == {0: Message.State.SKIPPED, 1: Message.State.SENT}


def test_a_reminder_is_skipped_when_the_move_came_after_it_was_queued(full_intake, clinic, booking_day):
    """Even if the reminder's task runs late, it checks the visit's current time before sending."""
    appointment = booking.confirm(full_intake).appointment
    reminder = Message.objects.get(kind=Kind.REMINDER)
    Message.objects.create(appointment=appointment, kind=Kind.MOVED, sequence=1, state=Message.State.SENT)
    assert notifications.obsolete(reminder).startswith("Not sent: the visit moved")


def test_a_confirmation_overtaken_by_a_cancellation_is_not_sent(full_intake, mailoutbox):
    run_queued_tasks()
    mailoutbox.clear()
    appointment = booking.confirm(full_intake).appointment
    booking.cancel(appointment, "The specialist is unwell.")  # before the worker got to the confirmation
    run_queued_tasks()
    local = timezone.localtime(appointment.starts_at)
    assert [m.subject.split(": ", 1)[1] for m in mailoutbox] == [
        f"Your visit on {local:%A}, {local:%B} {local.day} is cancelled"
    ]
    assert Message.objects.get(kind=Kind.CONFIRMED).state == Message.State.SKIPPED


def test_a_mailbox_that_does_not_exist_fails_at_once_without_retries(full_intake, smtp_server, settings):
    options = {"host": "127.0.0.1", "port": smtp_server.port, "timeout": 2}
    settings.MAILERS = {"default": {"BACKEND": "django.core.mail.backends.smtp.EmailBackend", "OPTIONS": options}}
    Appointment.objects.filter(pk=full_intake.pk).update(email="nobody@example.com")
    run_queued_tasks()
    received = Message.objects.get(kind=Kind.RECEIVED)
    assert received.state == Message.State.FAILED
    assert received.attempts == 1
    assert received.last_error == "SMTPRecipientsRefused"
    assert Message.objects.get(kind=Kind.CLINIC_NOTICE).state == Message.State.SENT


def test_patients_page_lists_what_the_clinic_sent_type_and_time_only(client, full_intake):
    run_queued_tasks()
    html = client.get(full_intake.get_absolute_url()).content.decode()
    assert "Emails we sent you" in html
    assert "Request received:" in html
    assert "New request (clinic inbox)" not in html
    assert "maria.lopez@example.com" not in html


def test_a_visit_booked_by_phone_is_confirmed_by_email_without_a_link_anyone_keeps(clinic, booking_day, mailoutbox,
                                                                                   settings_for_messages):
    slot = booking.SlotChoice(clinic["vein"], clinic["marsh"], clinic["location"], local(booking_day, 10))
    outcome = booking.book_by_phone(slot, {**PATIENT, "email": "caller@example.com"})
    assert outcome.ok
    assert set(Message.objects.values_list("kind", flat=True)) == {Kind.CONFIRMED, Kind.REMINDER}
    run_queued_tasks()
    (email,) = mailoutbox
    assert email.to == ["caller@example.com"]
    assert "/appointments/manage/" not in email.body
    assert "To move or cancel it, call us on" in email.body
    assert email.attachments[0].filename == f"{outcome.appointment.reference}.ics"
