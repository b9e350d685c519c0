"""Waitlist offers by text: the offer reaches the fake Twilio API, and "Y" takes it.

Texts go to tools/fake_twilio.py (a real process) through the twilio SDK; replies are signed as Twilio signs them.
"""

from http import HTTPStatus

import pytest
from django.utils import timezone

from appointments import booking, texts
from appointments.models import Appointment, Message, TextReply
from tests.appointments.fixtures import local
from tests.appointments.mail_fixtures import run_queued_tasks
from tests.appointments.test_messages import FORBIDDEN
from tests.appointments.text_fixtures import signed_post
from tests.waitlist.fixtures import offers_to, texting_details
from waitlist.models import Offer, WaitlistEntry

pytestmark = pytest.mark.django_db(transaction=True)
ADA = "+12015550101"


def text_in(client, number: str, body: str) -> str:
    params = {"MessageSid": f"SM{abs(hash((number, body, timezone.now()))):032x}"[:34], "From": number,
              "To": "+15005550006", "Body": body, "AccountSid": "ACtest"}  # fmt: skip
    response = signed_post(client, "/sms/inbound/", params)
    assert response.status_code == HTTPStatus.OK
    return response.content.decode()


def test_an_offer_arrives_by_text_and_replying_y_moves_the_visit(
    texting, waiting_patient, visit_to_cancel, booking_day, client, mailoutbox
):
    ada = waiting_patient("Ada", weeks=2, **texting_details(ADA))
    old_time = ada.appointment.starts_at
    booking.cancel(visit_to_cancel)
    run_queued_tasks()

    (offer_text,) = [m["body"] for m in texting.wait_for(1, number=ADA)]
    assert offer_text.startswith("Truffles Vein Specialists: earlier time for ")
    assert texts.when(local(booking_day, 9)) in offer_text  # the time on offer, not her own
    assert "Reply Y to take it." in offer_text
    assert "/v/" in offer_text  # the short link to her page
    assert texts.fits_one_segment(offer_text), offer_text
    assert not any(word.lower() in offer_text.lower() for word in FORBIDDEN + ["Ada", "Quarterman"])
    assert not [m for m in mailoutbox if "ada@example.com" in m.to]  # she chose texts only
    assert Message.objects.get(kind=Message.Kind.WAITLIST_OFFER).channel == Message.Channel.TEXT

    answer = text_in(client, ADA, " y ")

    assert f"done. Your visit {ada.appointment.reference} is now on {texts.when(local(booking_day, 9))}" in answer
    moved = Appointment.objects.get(pk=ada.appointment_id)
    assert moved.starts_at == local(booking_day, 9) != old_time
    assert Appointment.objects.count() == 2  # moved, not booked twice
    ada.refresh_from_db()
    assert ada.state == WaitlistEntry.State.MOVED
    assert TextReply.objects.get().meaning == TextReply.Meaning.TAKE_OFFER


def test_y_after_the_offer_lapsed_says_it_has_gone_and_keeps_the_visit(
    texting, waiting_patient, visit_to_cancel, client
):
    ada = waiting_patient("Ada", weeks=2, **texting_details(ADA))
    booking.cancel(visit_to_cancel)
    run_queued_tasks()
    (offer,) = offers_to(ada)
    Offer.objects.filter(pk=offer.pk).update(expires_at=timezone.now())

    answer = text_in(client, ADA, "Y")

    assert "sorry, that time is no longer free. Your visit stays on" in answer
    assert Appointment.objects.get(pk=ada.appointment_id).starts_at == ada.appointment.starts_at
