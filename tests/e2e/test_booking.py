"""A patient on a phone goes from an article to a sent request with the keyboard alone."""

import re
from pathlib import Path

import pytest
from django.test import Client
from playwright.sync_api import expect

from appointments.models import Appointment
from tests.appointments.fixtures import local, request_with_code
from tests.conftest import tab_to
from tests.e2e.steps import MARIA, enter_the_emailed_code, fill_in_the_details

pytestmark = pytest.mark.django_db(transaction=True)


def type_into(page, label, text):
    tab_to(page, page.get_by_label(label, exact=True))
    page.keyboard.type(text)


def tick(page, label):
    tab_to(page, page.get_by_label(label, exact=True))
    page.keyboard.press("Space")


def test_patient_books_from_the_article_with_the_keyboard_only(
    page, axe, risk_factors, rls_article, clinic, live_server, worker, smtp_server
):
    worker(smtp_server, TRUFFLES_SITE_URL=live_server.url)
    page.goto(rls_article.get_absolute_url())
    follow_the_call_to_action_to_a_free_time(page, rls_article, axe)
    answer_the_details_by_keyboard(page, risk_factors, axe)
    type_the_code_from_the_email(page, smtp_server, axe)

    expect(page.get_by_role("heading", level=1)).to_have_text("We have your request")
    reference = page.locator(".reference").inner_text()
    assert re.fullmatch(r"TVS-[2-9A-HJ-NP-Z]{6}", reference)
    appointment = Appointment.objects.get(reference=reference)
    assert appointment.visit_type == clinic["rls"]
    assert appointment.source_article == rls_article
    assert appointment.rls_worse_evening
    assert appointment.is_new_patient
    assert str(appointment.date_of_birth) == "1971-04-23"
    assert "iron deficiency" in appointment.triage_summary()
    axe(page)


def follow_the_call_to_action_to_a_free_time(page, rls_article, axe):
    tab_to(page, page.get_by_role("link", name="Request an RLS consultation"))
    page.keyboard.press("Enter")
    page.wait_for_url(re.compile(r"/appointments/request/\?visit_type=rls-consultation&from="))
    expect(page.get_by_role("heading", level=1)).to_have_text("Request an RLS consultation")
    expect(page.get_by_label("RLS consultation")).to_be_checked()
    expect(page.get_by_text(rls_article.title).first).to_be_visible()
    axe(page)
    tab_to(page, page.locator(".time-grid a").first)
    page.keyboard.press("Enter")
    page.wait_for_url(re.compile(r"/appointments/request/details/"))


def answer_the_details_by_keyboard(page, risk_factors, axe):
    expect(page.get_by_label("Restless legs symptoms")).to_be_checked()
    axe(page)
    for question in ("urgent_one_leg", "urgent_breathing", "urgent_bleeding", "urgent_cord"):
        tab_to(page, page.locator(f"#id_{question}_0"))  # "No"
        page.keyboard.press("Space")
    for label, text in MARIA.items():
        type_into(page, label, text)
    tick(page, "It is worse in the evening or at night")
    tick(page, risk_factors["iron-deficiency"].patient_label)
    tab_to(page, page.locator("#id_consent"))
    page.keyboard.press("Space")
    tab_to(page, page.get_by_role("button", name="Send my request"))
    page.keyboard.press("Enter")


def type_the_code_from_the_email(page, smtp_server, axe):
    page.wait_for_url(re.compile(r"/appointments/request/check-email/"))
    axe(page)
    (code_email,) = smtp_server.wait_for(1, timeout=30)
    code = re.search(r"Your code is (\d{6})", code_email.get_body(("plain",)).get_content()).group(1)
    type_into(page, "Code from the email", code)
    page.keyboard.press("Enter")
    page.wait_for_url(re.compile(r"/appointments/manage/"))


SECOND_PATIENT = {
    "First name*": "Second",
    "Last name*": "Patient",
    "Month": "2",
    "Day": "1",
    "Year": "1980",
    "Email*": "second@example.com",
    "Phone number*": "(201) 555-0199",
}


def test_second_patient_racing_for_a_slot_sees_alternatives_with_details_intact(
    page, axe, clinic, booking_day, slot_post
):
    slot = {"visit_type": clinic["vein"], "provider": clinic["marsh"], "start": local(booking_day, 9)}
    start = slot["start"].isoformat().replace("+", "%2B")
    page.goto(f"/appointments/request/details/?visit_type=vein-evaluation&provider={clinic['marsh'].pk}&start={start}")
    fill_in_the_details(page, SECOND_PATIENT)
    page.get_by_label("Anything else we should know? (optional)").fill("Aching after work.")

    # Meanwhile another patient sends a request for the same time and wins.
    first = Client().post("/appointments/request/details/", slot_post(slot, email="first@example.com"))
    assert first.status_code == 302

    page.get_by_role("button", name="Send my request").click()
    alert = page.get_by_role("alert").filter(has_text="that time is no longer free")
    expect(alert).to_be_visible()
    assert page.get_by_label("First name*", exact=True).input_value() == "Second"
    assert page.get_by_label("Email*", exact=True).input_value() == "second@example.com"
    assert page.get_by_label("Varicose veins").is_checked()
    notes = page.get_by_label("Anything else we should know? (optional)")
    assert notes.input_value() == "Aching after work."
    axe(page)

    alert.get_by_role("button").first.click()
    enter_the_emailed_code(page, "second@example.com")
    assert page.get_by_role("heading", level=1).inner_text() == "We have your request"
    second = Appointment.objects.get(email="second@example.com")
    assert second.starts_at != slot["start"] or second.provider != clinic["marsh"]
    assert Appointment.objects.count() == 2


def test_urgent_signs_show_emergency_guidance(page, axe, clinic, booking_day):
    start = local(booking_day, 10).isoformat().replace("+", "%2B")
    page.goto(f"/appointments/request/details/?visit_type=vein-evaluation&provider={clinic['marsh'].pk}&start={start}")
    page.locator("#id_urgent_one_leg_1").check()  # "Yes"
    page.get_by_role("button", name="Send my request").click()
    assert page.get_by_role("heading", level=1).inner_text() == "Please get urgent medical care now"
    assert page.get_by_role("link", name="Call 911").get_attribute("href") == "tel:911"
    assert not Appointment.objects.exists()
    axe(page)


def test_patient_cancels_and_moves_from_the_confirmation_page(page, axe, clinic, booking_day, slot_post):
    slot = {"visit_type": clinic["vein"], "provider": clinic["marsh"], "start": local(booking_day, 9)}
    location = request_with_code(Client(), slot_post(slot))["Location"]
    page.goto(location)
    axe(page)

    page.get_by_role("link", name="Choose a different time").click()
    axe(page)
    page.locator(".time-grid a").nth(2).click()
    axe(page)
    page.get_by_role("button", name="Move to this time").click()
    expect(page.get_by_text("has moved to the new time")).to_be_visible()

    page.get_by_role("link", name="Cancel this appointment").click()
    axe(page)
    page.get_by_role("button", name="Yes, cancel it").click()
    assert page.get_by_role("heading", level=1).inner_text() == "This appointment is cancelled"
    assert Appointment.objects.get().status == Appointment.Status.CANCELLED
    # The event the patient added is removed by the same calendar file, now saying cancelled.
    with page.expect_download() as download:
        page.get_by_role("link", name="Remove from your calendar").click()
    assert "STATUS:CANCELLED" in Path(download.value.path()).read_text()
    axe(page)
    page.get_by_role("link", name="Book a new time").click()
    expect(page.get_by_role("heading", level=1)).to_have_text("Request a vein evaluation")
    expect(page.locator(".time-grid a").first).to_be_visible()
