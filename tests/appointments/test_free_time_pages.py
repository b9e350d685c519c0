"""The request page and availability.json are kept per schedule version and booking clock.

A kept page costs one query (the versions), none while the process hears them from PostgreSQL;
a booking, move or cancellation takes its time off every kept page at once, and a time leaves
the pages as soon as it is inside the booking notice.
"""

import re
from datetime import timedelta
from http import HTTPStatus
from urllib.parse import urlencode

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.utils import timezone

from appointments import availability, booking
from appointments.models import Appointment
from core import pagecache, versions
from tests.appointments.fixtures import local

pytestmark = pytest.mark.django_db

REQUEST = "/appointments/request/"
DETAILS = "/appointments/request/details/"


def kept_pages(day):
    """The request page as first shown, with a week chosen and a day chosen, and availability.json."""
    week = {"visit_type": "vein-evaluation", "week": day.isoformat()}
    return {
        "first shown": REQUEST,
        "a week chosen": f"{REQUEST}?{urlencode(week)}",
        "a day chosen": f"{REQUEST}?{urlencode({**week, 'day': day.isoformat()})}",
        "availability.json": f"/appointments/availability.json?visit_type=vein-evaluation&date={day}&days=7",
    }


def offers(page_text, provider, start) -> bool:
    """Does a page offer this provider's time: a time button (HTML) or an entry (JSON)?"""
    text = page_text.replace("&amp;", "&")
    return urlencode({"provider": provider.pk, "start": start.isoformat()}) in text


@pytest.mark.parametrize("name", ["first shown", "a week chosen", "a day chosen", "availability.json"])
def test_a_kept_page_costs_one_query(client, clinic, booking_day, name, django_assert_max_num_queries):
    url = kept_pages(booking_day)[name]
    first = client.get(url)
    with django_assert_max_num_queries(1):
        again = client.get(url)
    assert again.status_code == HTTPStatus.OK
    assert _without_nonce(again.content) == _without_nonce(first.content)


@pytest.mark.parametrize("name", ["first shown", "a week chosen", "a day chosen", "availability.json"])
def test_a_kept_page_costs_no_query_while_the_versions_are_heard(
    client, clinic, booking_day, name, monkeypatch, django_assert_num_queries
):
    url = kept_pages(booking_day)[name]
    client.get(url)
    heard = pagecache._fetch_version_rows()
    monkeypatch.setattr(versions, "known_all", lambda: heard)
    with django_assert_num_queries(0):
        assert client.get(url).status_code == HTTPStatus.OK


def test_the_first_page_a_patient_sees_loses_a_time_once_it_is_booked(client, clinic, slot_post):
    page = client.get(REQUEST).text
    provider_id, start = re.search(r'provider=(\d+)&amp;start=([^"&]+)', page).groups()
    provider = clinic["marsh"] if int(provider_id) == clinic["marsh"].pk else clinic["okafor"]
    start = timezone.datetime.fromisoformat(start.replace("%3A", ":").replace("%2B", "+"))
    assert offers(page, provider, start)

    response = client.post(DETAILS, slot_post({"visit_type": clinic["vein"], "provider": provider, "start": start}))
    assert response.status_code == HTTPStatus.FOUND
    assert not offers(client.get(REQUEST).text, provider, start)


@pytest.fixture
def pages_before(client, clinic, booking_day):
    """Every kept page for the booking day, fetched (and so kept) before the change under test."""
    pages = kept_pages(booking_day)
    del pages["first shown"]  # its week depends on today; tested above with a time it shows
    nine = local(booking_day, 9)
    for url in pages.values():
        assert offers(client.get(url).text, clinic["marsh"], nine), url
    return pages


def test_a_booking_takes_its_time_off_every_kept_page_at_once(client, clinic, booking_day, pages_before, slot_post):
    nine = local(booking_day, 9)
    chosen = {"visit_type": clinic["vein"], "provider": clinic["marsh"], "start": nine}
    response = client.post(DETAILS, slot_post(chosen))
    assert response.status_code == HTTPStatus.FOUND
    for url in pages_before.values():
        text = client.get(url).text
        assert not offers(text, clinic["marsh"], nine), url
        assert offers(text, clinic["okafor"], nine), url


def test_a_move_and_a_cancellation_show_on_every_kept_page_at_once(
    client, clinic, booking_day, make_appointment, pages_before
):
    nine, eleven = local(booking_day, 9), local(booking_day, 11)
    appointment = make_appointment(start=nine)
    for url in pages_before.values():
        assert not offers(client.get(url).text, clinic["marsh"], nine), url

    choice = booking.choose_slot(clinic["vein"], clinic["marsh"].pk, eleven, availability.Policy.for_staff())
    assert booking.move_by_staff(appointment, choice).ok
    for url in pages_before.values():
        text = client.get(url).text
        assert offers(text, clinic["marsh"], nine), url
        assert not offers(text, clinic["marsh"], eleven), url

    assert booking.cancel(Appointment.objects.get(pk=appointment.pk), "Patient called").ok
    for url in pages_before.values():
        assert offers(client.get(url).text, clinic["marsh"], eleven), url


def test_a_time_leaves_the_kept_pages_once_it_is_inside_the_notice(client, clinic, booking_day, monkeypatch):
    nine = local(booking_day, 9)
    notice = timedelta(hours=24)
    day_page = kept_pages(booking_day)["a day chosen"]
    # Five minutes before the 9:00 start is too close to book, and then one second after.
    for now, shown in [(nine - notice - timedelta(minutes=5), True), (nine - notice - timedelta(seconds=1), True),
                       (nine - notice + timedelta(seconds=1), False)]:  # fmt: skip
        monkeypatch.setattr(timezone, "now", lambda now=now: now)
        assert offers(client.get(day_page).text, clinic["marsh"], nine) is shown, now


def test_the_clock_key_moves_only_when_the_notice_or_the_horizon_reaches_a_start(clinic, booking_day):
    nine = local(booking_day, 9)
    notice, step = timedelta(hours=24), timedelta(minutes=15)
    key = availability.clock_key
    # Between two starts (8:45 and 9:00) nothing changes for either end of the bookable window.
    assert key(1, nine - notice - step + timedelta(seconds=1)) == key(1, nine - notice - timedelta(seconds=1))
    # At 9:00 the horizon reaches the 9:00 start 60 days on; just after, the notice passes today's 9:00.
    assert key(1, nine - notice - timedelta(seconds=1)) != key(1, nine - notice)
    assert key(1, nine - notice) != key(1, nine - notice + timedelta(microseconds=1))
    assert key(1, nine - notice + timedelta(seconds=1)) == key(1, nine - notice + step - timedelta(seconds=1))


def test_a_reschedule_page_is_never_kept(client, clinic, booking_day, make_appointment):
    # The page's links carry the patient's manage token: it must not sit in any cache.
    token = make_appointment(hour=14).manage_token
    url = f"{REQUEST}?{urlencode({'visit_type': 'vein-evaluation', 'week': booking_day, 'reschedule': token})}"
    assert token in client.get(url).text
    with CaptureQueriesContext(connection) as again:
        assert token in client.get(url).text
    assert len(again.captured_queries) > 1  # built afresh, not served from a cache


def _without_nonce(body: bytes) -> bytes:
    return re.sub(rb'nonce="[^"]*"', b"", body)
