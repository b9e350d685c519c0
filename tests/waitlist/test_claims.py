"""Claiming an offer: the claimer's own visit moves, never a second booking; races and chains.

Committed transactions and real concurrent connections (one per thread), as two browsers would make.
"""

import threading
import uuid
from collections import Counter
from datetime import timedelta
from http import HTTPStatus

import pytest
from django.db import connection
from django.test import Client

from appointments import booking
from appointments.models import Appointment
from tests.appointments.fixtures import local
from tests.appointments.mail_fixtures import run_queued_tasks
from tests.appointments.text_fixtures import signed_post
from tests.waitlist.fixtures import offers_to, texting_details
from waitlist import offers
from waitlist.models import Offer, Opening, WaitlistEntry

pytestmark = pytest.mark.django_db(transaction=True)


def no_double_booking():
    """Every provider's active visits, pairwise: none overlaps another (as the constraint promises)."""
    active = list(Appointment.objects.active().order_by("provider_id", "starts_at"))
    for earlier, later in zip(active, active[1:], strict=False):
        if earlier.provider_id == later.provider_id:
            assert earlier.busy_until <= later.starts_at, (earlier.starts_at, later.starts_at)


def claim_at_once(urls: list[str], texted_y_from: tuple[str, ...] = ()) -> list[tuple[int, str]]:
    """Each URL posted from its own browser, and each number's "Y" as Twilio's signed webhook, at the same instant.

    Every claimer has its own client and database connection.
    """
    barrier = threading.Barrier(len(urls) + len(texted_y_from))
    answers = []

    def patient(url):
        client = Client()
        barrier.wait(timeout=30)
        try:
            response = client.post(url, follow=True)
            answers.append((response.status_code, response.content.decode()))
        finally:
            connection.close()

    def texter(number):
        params = {"MessageSid": f"SM{uuid.uuid4().hex}", "From": number, "To": "+15005550006", "Body": "Y",
                  "AccountSid": "ACtest"}  # fmt: skip
        client = Client()
        barrier.wait(timeout=30)
        try:
            response = signed_post(client, "/sms/inbound/", params)
            answers.append((response.status_code, response.content.decode()))
        finally:
            connection.close()

    threads = [threading.Thread(target=patient, args=(url,)) for url in urls]
    threads += [threading.Thread(target=texter, args=(number,)) for number in texted_y_from]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=60)
    return answers


def test_two_patients_claiming_one_time_at_once_move_exactly_one(
    waiting_patient, visit_to_cancel, waitlist_settings, booking_day
):
    waitlist_settings.TRUFFLES_WAITLIST = {**waitlist_settings.TRUFFLES_WAITLIST, "OFFERS_AT_ONCE": 3}
    ada = waiting_patient("Ada", weeks=2, submission_token=uuid.uuid4())
    bea = waiting_patient("Bea", weeks=3, submission_token=uuid.uuid4())
    booking.cancel(visit_to_cancel)
    run_queued_tasks()
    (ada_offer,), (bea_offer,) = offers_to(ada), offers_to(bea)
    assert ada_offer.starts_at == bea_offer.starts_at == local(booking_day, 9)

    answers = claim_at_once([ada_offer.get_absolute_url(), bea_offer.get_absolute_url()])

    assert sorted(status for status, _ in answers) == [HTTPStatus.OK, HTTPStatus.OK]
    told = Counter(
        "moved" if "Your visit has moved to the earlier time." in page else
        "gone" if "Someone else took that time a moment before you." in page else page[:200]
        for _, page in answers
    )  # fmt: skip
    assert told == Counter({"moved": 1, "gone": 1})
    at_nine = Appointment.objects.active().filter(provider=visit_to_cancel.provider, starts_at=local(booking_day, 9))
    (moved,) = at_nine
    loser = bea if moved.pk == ada.appointment_id else ada
    assert Appointment.objects.count() == 3  # no appointment was created: one moved
    loser.refresh_from_db()
    assert loser.state == WaitlistEntry.State.WAITING  # still on the list
    assert loser.appointment.starts_at == Appointment.objects.get(pk=loser.appointment_id).starts_at
    assert Offer.objects.get(entry=loser).state == Offer.State.GONE
    no_double_booking()


def test_two_web_claims_and_a_texted_y_at_once_move_exactly_one(
    texting, waiting_patient, visit_to_cancel, waitlist_settings, booking_day
):
    waitlist_settings.TRUFFLES_WAITLIST = {**waitlist_settings.TRUFFLES_WAITLIST, "OFFERS_AT_ONCE": 3}
    ada = waiting_patient("Ada", weeks=2, submission_token=uuid.uuid4(), phone="+12015550101")
    bea = waiting_patient("Bea", weeks=3, submission_token=uuid.uuid4(), phone="+12015550102")
    cy = waiting_patient("Cy", weeks=4, **texting_details("+12015550103"))
    booking.cancel(visit_to_cancel)
    run_queued_tasks()
    assert {offer.starts_at for entry in (ada, bea, cy) for offer in offers_to(entry)} == {local(booking_day, 9)}
    texting.wait_for(1, number="+12015550103")  # Cy's offer came by text

    answers = claim_at_once([offers_to(ada)[0].get_absolute_url(), offers_to(bea)[0].get_absolute_url()],
                            texted_y_from=("+12015550103",))  # fmt: skip

    assert [status for status, _ in answers] == [HTTPStatus.OK] * 3
    told = Counter(
        "moved" if "Your visit has moved to the earlier time." in page or "done. Your visit" in page else
        "gone" if "Someone else took that time" in page or "that time is no longer free" in page else page[:200]
        for _, page in answers
    )  # fmt: skip
    assert told == Counter({"moved": 1, "gone": 2})
    (moved,) = Appointment.objects.active().filter(provider=visit_to_cancel.provider, starts_at=local(booking_day, 9))
    assert moved.pk in {ada.appointment_id, bea.appointment_id, cy.appointment_id}
    assert Appointment.objects.count() == 4  # one moved, none created
    for entry in (ada, bea, cy):
        entry.refresh_from_db()
        won = entry.appointment_id == moved.pk
        assert entry.state == (WaitlistEntry.State.MOVED if won else WaitlistEntry.State.WAITING)
        assert Offer.objects.get(entry=entry).state == (Offer.State.CLAIMED if won else Offer.State.GONE)
    no_double_booking()


def test_a_chain_of_claims_runs_to_the_end_without_a_double_booking(
    waiting_patient, visit_to_cancel, booking_day
):
    ada = waiting_patient("Ada", weeks=1)  # joined first: offered the cancelled Monday 9:00
    cy = waiting_patient("Cy", weeks=3)  # offered Ada's old time once she moves
    booking.cancel(visit_to_cancel)
    run_queued_tasks()
    (first,) = offers_to(ada)
    assert offers_to(cy) == []  # one at a time: Ada is first in line

    assert offers.claim(first.pk).moved
    ada.appointment.refresh_from_db()
    assert ada.appointment.starts_at == local(booking_day, 9)
    run_queued_tasks()
    (second,) = offers_to(cy)
    assert second.starts_at == local(booking_day + timedelta(weeks=1), 9)  # Ada's old time
    assert second.opening.cause == Opening.Cause.MOVED

    assert offers.claim(second.pk).moved
    run_queued_tasks()  # Cy's old time is offered on: nobody is left waiting, so the chain ends
    cy.appointment.refresh_from_db()
    assert cy.appointment.starts_at == local(booking_day + timedelta(weeks=1), 9)
    assert set(WaitlistEntry.objects.values_list("state", flat=True)) == {WaitlistEntry.State.MOVED}
    assert not Opening.objects.filter(state=Opening.State.OFFERING).exists()
    assert Appointment.objects.count() == 3
    no_double_booking()


def test_a_claim_after_someone_booked_the_time_online_is_told_it_has_gone(
    waiting_patient, visit_to_cancel, open_slot, slot_post, client, booking_day
):
    ada = waiting_patient("Ada", weeks=2)
    booking.cancel(visit_to_cancel)
    run_queued_tasks()
    (offer,) = offers_to(ada)
    assert client.post("/appointments/request/details/", slot_post(open_slot)).status_code == HTTPStatus.FOUND
    result = offers.claim(offer.pk)
    assert not result.moved
    assert "Someone else took that time" in result.message
    ada.refresh_from_db()
    assert ada.state == WaitlistEntry.State.WAITING
    no_double_booking()


def test_an_offer_link_with_a_wrong_token_opens_nothing(waiting_patient, visit_to_cancel, client):
    ada = waiting_patient("Ada", weeks=2)
    booking.cancel(visit_to_cancel)
    run_queued_tasks()
    (offer,) = offers_to(ada)
    assert client.get(f"/waitlist/offers/{offer.pk}/{'0' * 32}/").status_code == HTTPStatus.NOT_FOUND
    assert client.post(f"/waitlist/offers/{offer.pk}/{'0' * 32}/").status_code == HTTPStatus.NOT_FOUND
    page = client.get(offer.get_absolute_url())
    assert page.status_code == HTTPStatus.OK
    assert b"Take this time" in page.content
    assert Offer.objects.get(pk=offer.pk).state == Offer.State.OPEN
