"""A patient books online and chooses texts; the worker texts them through the fake Twilio API (a
real process); the clinic confirms and the confirmation text arrives; its link opens their page; they
answer "C" and Twilio's (signed) report says the texts were delivered."""

import re

import pytest
from playwright.sync_api import expect

from appointments import booking
from appointments.models import Appointment, Message
from tests.appointments.text_fixtures import FakeTwilioProcess, quiet_hours_away_from_now
from tests.e2e.steps import enter_the_emailed_code
from tests.e2e.test_patient_flow import MAX_PAGE_HEIGHT, page_height
from tests.processes import wait_until

pytestmark = pytest.mark.django_db(transaction=True)
NUMBER = "+12015550123"


@pytest.fixture
def fake_twilio_for_live_server(live_server, settings, tmp_path):
    fake = FakeTwilioProcess(tmp_path, site_url=live_server.url).start()
    environment = fake.environment()
    settings.TWILIO = {"ACCOUNT_SID": environment["TWILIO_ACCOUNT_SID"], "AUTH_TOKEN": environment["TWILIO_AUTH_TOKEN"],
                       "FROM_NUMBER": environment["TWILIO_FROM_NUMBER"], "MESSAGING_SERVICE_SID": "",
                       "API_URL": fake.url}  # fmt: skip
    settings.TRUFFLES_MESSAGES = {**settings.TRUFFLES_MESSAGES, "SITE_URL": live_server.url}
    yield fake
    fake.stop()


def test_a_patient_who_chose_texts_gets_the_confirmation_by_text(
    page, axe, live_server, clinic, worker, smtp_server, fake_twilio_for_live_server
):
    fake = fake_twilio_for_live_server
    worker(smtp_server, TRUFFLES_SITE_URL=live_server.url, **fake.environment())
    assert quiet_hours_away_from_now() == fake.environment()["TRUFFLES_TEXT_QUIET_HOURS"]

    page.goto("/appointments/request/?visit_type=vein-evaluation")
    page.locator(".time-grid a").first.click()
    page.wait_for_url(re.compile(r"/appointments/request/details/"))
    page.get_by_label("First name*", exact=True).fill("Maria")
    page.get_by_label("Last name*", exact=True).fill("Lopez")
    page.get_by_label("Month", exact=True).fill("4")
    page.get_by_label("Day", exact=True).fill("23")
    page.get_by_label("Year", exact=True).fill("1971")
    page.get_by_label("Email*", exact=True).fill("maria@example.com")
    page.get_by_label("Phone number*", exact=True).fill("2015550123")
    texts_choice = page.get_by_label("Text", exact=True)
    texts_choice.check()
    page.get_by_label("Varicose veins", exact=True).check()
    page.locator("#id_urgent_one_leg_0").check()
    page.locator("#id_urgent_breathing_0").check()
    page.locator("#id_urgent_bleeding_0").check()
    page.locator("#id_urgent_cord_0").check()
    page.locator("#id_consent").check()
    consent = page.get_by_label(re.compile("I agree to get texts about this visit"))
    expect(consent).to_be_visible()  # shown once texts are chosen
    assert page_height(page) < MAX_PAGE_HEIGHT
    for control in (page.get_by_label("Text", exact=True), consent):
        box = control.locator("xpath=..").bounding_box()
        assert box["height"] >= 44, box
    page.get_by_role("button", name="Send my request").click()
    # Texts chosen without the consent box: the message is next to the box, nothing typed is lost.
    expect(page.locator("#error-summary")).to_contain_text("To get texts, tick this box")
    expect(page.get_by_label("Text", exact=True)).to_be_checked()
    expect(page.get_by_label("First name*", exact=True)).to_have_value("Maria")
    axe(page)
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
    confirmed = fake.wait_for(2, number=NUMBER)[1]["body"]
    assert f"your visit {appointment.reference} on " in confirmed
    assert "is confirmed" in confirmed
    assert len(confirmed) <= 160
    link = re.search(r"http://\S+/v/\w+", confirmed).group(0)
    page.goto(link)
    expect(page.get_by_role("heading", level=1)).to_have_text("Your appointment is confirmed")
    axe(page)

    answer = fake.text_from(NUMBER, "C")
    assert answer["status"] == 200
    assert "thank you, we will see you on" in answer["twiml"]
    appointment.refresh_from_db()
    assert appointment.patient_confirmed_at is not None
    sent = Message.objects.filter(channel="text", state="sent")
    wait_until(lambda: set(sent.values_list("delivery", flat=True)) == {"delivered"}, 15,
               message="Twilio's delivery reports")  # fmt: skip
    assert sent.count() == 2  # received and confirmed; the reminder waits for its day
