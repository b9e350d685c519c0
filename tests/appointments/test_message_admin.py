"""What the front desk sees of the clinic's emails in the admin, and what a confirm there sends."""

from django.test import Client
from django.urls import reverse

from appointments.models import Appointment, Message
from staff.roles import FRONT_DESK
from tests.appointments.mail_fixtures import run_queued_tasks
from tests.appointments.test_admin import run_action

Kind = Message.Kind
State = Message.State


def test_a_confirm_in_the_admin_sends_exactly_one_confirmed_email(admin_client, make_appointment, mailoutbox):
    appointment = make_appointment(hour=10, status=Appointment.Status.REQUESTED)
    confirm_page, result = run_action(admin_client, "mark_confirmed", [appointment])
    assert Message.objects.filter(kind=Kind.CONFIRMED).count() == 1
    run_action(admin_client, "mark_confirmed", [appointment])  # a second click changes nothing
    run_queued_tasks()
    confirmed = [email for email in mailoutbox if "Your visit is confirmed" in email.subject]
    assert len(confirmed) == 1
    assert confirmed[0].to == [appointment.email]
    assert confirmed[0].attachments[0].filename == f"{appointment.reference}.ics"


def test_the_appointment_page_lists_each_email_with_its_state(staff_member, make_appointment):
    appointment = make_appointment(hour=10, status=Appointment.Status.REQUESTED)
    Message.objects.create(appointment=appointment, kind=Kind.RECEIVED, state=State.SENT, attempts=1,
                           sent_at=appointment.created_at)  # fmt: skip
    Message.objects.create(appointment=appointment, kind=Kind.CONFIRMED, state=State.FAILED, attempts=8,
                           last_error="ConnectionRefusedError Connection refused")  # fmt: skip
    client = Client()
    client.force_login(staff_member(FRONT_DESK))
    html = client.get(reverse("admin:appointments_appointment_change", args=[appointment.pk])).content.decode()
    assert "Emails and texts about this appointment" in html
    assert "Request received" in html
    assert "Failed" in html
    assert "ConnectionRefusedError Connection refused" in html


def test_staff_list_the_messages_that_failed(staff_member, make_appointment):
    first = make_appointment(hour=10)
    second = make_appointment(hour=14, last_name="Other")
    Message.objects.create(appointment=first, kind=Kind.RECEIVED, state=State.FAILED, attempts=8,
                           last_error="SMTPServerDisconnected")  # fmt: skip
    Message.objects.create(appointment=second, kind=Kind.RECEIVED, state=State.SENT, attempts=1)
    client = Client()
    client.force_login(staff_member(FRONT_DESK))
    url = reverse("admin:appointments_message_changelist")
    html = client.get(url, {"state__exact": "failed"}).content.decode()
    assert first.reference in html
    assert second.reference not in html
    assert "SMTPServerDisconnected" in html
    assert first.email not in html  # the list names the reference, not the patient


def test_a_manager_sends_a_failed_message_again(admin_client, make_appointment, mailoutbox):
    appointment = make_appointment(hour=10)
    failed = Message.objects.create(appointment=appointment, kind=Kind.RECEIVED, state=State.FAILED, attempts=8)
    admin_client.post(reverse("admin:appointments_message_changelist"),
                      {"action": "send_again", "_selected_action": [failed.pk]})  # fmt: skip
    run_queued_tasks()
    failed.refresh_from_db()
    assert failed.state == State.SENT
    assert failed.attempts == 1
    assert len(mailoutbox) == 1
