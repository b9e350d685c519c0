"""A patient books online and chooses texts; the worker texts them through the fake Twilio API (a
real process); the clinic confirms and the confirmation text arrives; its link opens their page; they
answer "C" and Twilio's (signed) report says the texts were delivered."""

import re

import pytest
from playwright.sync_api import expect

from appointments import booking
from appointments.models import Appointment, Message
from tests.appointments.text_fixtures import FakeTwilioProcess, quiet_hours_away_from_now
from tests.e2e.steps import choose_the_first_free_time, enter_the_emailed_code, fill_in_the_details
from tests.e2e.test_patient_flow import MAX_PAGE_HEIGHT, page_height
from tests.processes import wait_until

pytestmark = pytest.mark.django_db(transaction=True)
NUMBER = "+12015550123"


@pytest.fixture
def fake_twilio_for_live_server(live_server, settings, tmp_path):
    fake = FakeTwilioProcess(tmp_path, site_url=live_server.url).start()
    environment = fake.environment()
    settings.TRUFFLES_TWILIO = {
        "ACCOUNT_SID": environment["TWILIO_ACCOUNT_SID"], "AUTH_TOKEN": environment["TWILIO_AUTH_TOKEN"],
        "FROM_NUMBER": environment["TWILIO_FROM_NUMBER"], "MESSAGING_SERVICE_SID": "", "API_URL": fake.url,
    }  # fmt: skip
    settings.TRUFFLES_MESSAGES = {**settings.TRUFFLES_MESSAGES, "SITE_URL": live_server.url}
    yield fake
    fake.stop()


def test_a_patient_who_chose_texts_gets_the_confirmation_by_text(
    page, axe, live_server, clinic, worker, smtp_server, fake_twilio_for_live_server
):
    fake = fake_twilio_for_live_server
    worker(smtp_server, TRUFFLES_SITE_URL=live_server.url, **fake.environment())
    assert quiet_hours_away_from_now() == fake.environment()["TRUFFLES_TEXT_QUIET_HOURS"]

    choose_the_first_free_time(page)
    fill_in_the_details(page)
    consent = choose_texts(page)
    send_without_agreeing_to_texts(page, axe)
    consent.check()
    page.locator("#id_consent").check()
    page.get_by_role("button", name="Send my request").click()
    enter_the_emailed_code(page, "maria@example.com")
    expect(page.get_by_role("heading", level=1)).to_have_text("We have your request")
    axe(page)
    appointment = Appointment.objects.get()
    assert appointment.notify_by == "text"
    assert appointment.text_consented_at

    (received,) = fake.wait_for(1, number=NUMBER)
    assert appointment.reference in received["body"]
    assert received["body"].endswith("Reply STOP to end")
    booking.confirm(appointment)
    link = the_confirmation_text_links_to_the_page(fake, appointment)
    page.goto(link)
    expect(page.get_by_role("heading", level=1)).to_have_text("Your appointment is confirmed")
    axe(page)

    the_patient_answers_c_and_the_texts_are_delivered(fake, appointment)


def choose_texts(page):
    """Texts chosen: the texts consent box appears; the page stays within the phone budget, 44 px targets."""
    page.get_by_label("Text", exact=True).check()
    consent = page.get_by_label(re.compile("I agree to get texts about this visit"))
    expect(consent).to_be_visible()  # shown once texts are chosen
    assert page_height(page) < MAX_PAGE_HEIGHT
    for control in (page.get_by_label("Text", exact=True), consent):
        box = control.locator("xpath=..").bounding_box()
        assert box["height"] >= 44, box
    return consent


def send_without_agreeing_to_texts(page, axe):
    """Texts chosen without the consent box: the message is next to the box, nothing typed is lost."""
    page.get_by_role("button", name="Send my request").click()
    expect(page.locator("#error-summary")).to_contain_text("To get texts, tick this box")
    expect(page.get_by_label("Text", exact=True)).to_be_checked()
    expect(page.get_by_label("First name*", exact=True)).to_have_value("Maria")
    axe(page)


def the_confirmation_text_links_to_the_page(fake, appointment):
    confirmed = fake.wait_for(2, number=NUMBER)[1]["body"]
    assert f"your visit {appointment.reference} on " in confirmed
    assert "is confirmed" in confirmed
    assert len(confirmed) <= 160
    return re.search(r"http://\S+/v/\w+", confirmed).group(0)


def the_patient_answers_c_and_the_texts_are_delivered(fake, appointment):
    answer = fake.text_from(NUMBER, "C")
    assert answer["status"] == 200
    assert "thank you, we will see you on" in answer["twiml"]
    appointment.refresh_from_db()
    assert appointment.patient_confirmed_at is not None
    sent = Message.objects.filter(channel="text", state="sent")
    wait_until(lambda: set(sent.values_list("delivery", flat=True)) == {"delivered"}, 15,
               message="Twilio's delivery reports")  # fmt: skip
    assert sent.count() == 2  # received and confirmed; the reminder waits for its day
