"""Dates read the US way everywhere a patient sees one: "Monday, December 7", "November 17, 2026"."""

import datetime
import re
from zoneinfo import ZoneInfo

import pytest
from django.utils import timezone

from appointments import booking, notifications
from appointments.models import Appointment, Message
from articles.models import Article
from core import dates
from tests.appointments.fixtures import local, request_with_code, token_of

MONTHS = "January|February|March|April|May|June|July|August|September|October|November|December"
# "7 December", "17 November 2026", "Monday 7 December": the day before the month.
DAY_BEFORE_MONTH = re.compile(rf"\b\d{{1,2}} ({MONTHS}|{'|'.join(m[:3] for m in MONTHS.split('|'))})\b")
NEW_YORK = ZoneInfo("America/New_York")
DETAILS = "/appointments/request/details/"


def us_day(moment: datetime.datetime) -> str:
    """The expected words, built without the code under test."""
    local_moment = timezone.localtime(moment)
    return f"{local_moment:%A}, {local_moment:%B} {local_moment.day}"


def assert_us_dates_only(text: str, where: str) -> None:
    assert not DAY_BEFORE_MONTH.search(text), f"{where}: {DAY_BEFORE_MONTH.search(text).group()!r}"


def test_the_formats_patients_read():
    visit = datetime.datetime(2026, 12, 7, 9, 30, tzinfo=NEW_YORK)
    assert dates.weekday_date(visit) == "Monday, December 7"
    assert dates.weekday_us_date(visit) == "Monday, December 7, 2026"
    assert dates.us_date(datetime.date(2026, 11, 17)) == "November 17, 2026"
    assert dates.short_weekday_date(visit) == "Mon, Dec 7"
    assert dates.visit_moment(visit) == "Monday, December 7 at 9:30 AM"
    # The page checks below would catch the old wording.
    assert DAY_BEFORE_MONTH.search("Monday 7 December at 9:30 AM")
    assert DAY_BEFORE_MONTH.search("Published 17 Nov 2026")


def test_an_evening_visit_keeps_its_local_day_whatever_the_server_clock():
    # 11:30 PM in New York is already Tuesday in UTC; patients read the clinic's day.
    late = datetime.datetime(2026, 12, 8, 4, 30, tzinfo=datetime.UTC)
    assert dates.weekday_date(late) == "Monday, December 7"
    assert dates.visit_moment(late) == "Monday, December 7 at 11:30 PM"


def test_patient_pages_of_the_request_flow_use_us_dates(client, clinic, booking_day, slot_post, risk_factors):
    start = local(booking_day, 9)
    week = client.get("/appointments/request/", {"visit_type": "vein-evaluation", "week": booking_day.isoformat()})
    assert f"{start:%b} {start.day} – " in week.text
    assert_us_dates_only(week.text, "times")

    slot = {"visit_type": clinic["vein"], "provider": clinic["marsh"], "start": start}
    iso = start.isoformat().replace("+", "%2B")
    details = client.get(f"{DETAILS}?visit_type=vein-evaluation&provider={clinic['marsh'].pk}&start={iso}")
    assert f"{us_day(start)} at 9:00 AM" in details.text
    assert_us_dates_only(details.text, "details")

    location = request_with_code(client, slot_post(slot))["Location"]
    manage = client.get(location)
    assert f"{us_day(start)}, {start.year} at 9:00 AM" in manage.text
    assert_us_dates_only(manage.text, "manage")
    token = token_of(location)
    cancel = client.get(f"/appointments/manage/{token}/cancel/")
    assert f"{us_day(start)}, {start.year} at 9:00 AM" in cancel.text
    assert_us_dates_only(cancel.text, "cancel")
    later = local(booking_day, 10).isoformat().replace("+", "%2B")
    move = client.get(
        f"{DETAILS}?visit_type=vein-evaluation&provider={clinic['marsh'].pk}&start={later}&reschedule={token}"
    )
    assert f"From {us_day(start)} at 9:00 AM" in move.text
    assert_us_dates_only(move.text, "reschedule")


def test_article_pages_and_the_home_page_use_us_dates(client, make_article):
    article = make_article(
        published_at=datetime.datetime(2026, 11, 17, 9, tzinfo=NEW_YORK),
        last_reviewed=datetime.date(2026, 11, 1), next_review_due=datetime.date(2027, 11, 1),
        references=[{"title": "Restless legs", "source": "MedlinePlus", "url": "https://medlineplus.gov/restlesslegs.html",
                     "accessed_on": datetime.date(2026, 12, 6)}],
    )  # fmt: skip
    page = client.get(article.get_absolute_url()).text
    for expected in ["Published <time", "November 17, 2026", "November 1, 2026", "November 1, 2027",
                     "Accessed December 6, 2026."]:  # fmt: skip
        assert expected in page
    assert_us_dates_only(page, "article")
    for url in ["/", "/articles/"]:
        text = client.get(url).text
        assert "November 17, 2026" in text
        assert_us_dates_only(text, url)
    assert Article.objects.count() == 1


@pytest.fixture
def mail_settings(settings):
    settings.TRUFFLES_MESSAGES = {**settings.TRUFFLES_MESSAGES, "SITE_URL": "https://clinic.example",
                                  "CLINIC_INBOX": "frontdesk@clinic.example"}  # fmt: skip
    return settings


def test_every_email_uses_us_dates(client, clinic, booking_day, slot_post, risk_factors, mail_settings):
    start = local(booking_day, 9)
    slot = {"visit_type": clinic["vein"], "provider": clinic["marsh"], "start": start}
    assert request_with_code(client, slot_post(slot)).status_code == 302
    appointment = booking.confirm(Appointment.objects.get()).appointment
    later = booking.SlotChoice(clinic["vein"], clinic["okafor"], clinic["location"], local(booking_day, 14))
    appointment = booking.move_by_staff(appointment, later).appointment
    booking.cancel(appointment, "The specialist is unwell.")
    request_with_code(client, slot_post({**slot, "start": local(booking_day, 10)}, email="second@example.com"))
    booking.decline(Appointment.objects.get(email="second@example.com"), "Fully booked that morning.")

    kinds = set()
    for message in Message.objects.select_related("appointment"):
        email = notifications.render(message)
        html = email.alternatives[0][0] if email.alternatives else ""
        for part in (email.subject, email.body, html):
            assert_us_dates_only(part, message.kind)
        kinds.add(message.kind)
        if message.kind in {Message.Kind.CONFIRMED, Message.Kind.REMINDER, Message.Kind.CANCELLED}:
            assert us_day(message.appointment.starts_at) in email.subject + email.body
    assert kinds >= {Message.Kind.RECEIVED, Message.Kind.CLINIC_NOTICE, Message.Kind.CONFIRMED, Message.Kind.MOVED,
                     Message.Kind.CANCELLED, Message.Kind.DECLINED}  # fmt: skip
