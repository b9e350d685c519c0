"""A patient in their sixties on a phone (390x844): short pages, big targets, errors that lead to the field."""

import re
from datetime import datetime, time, timedelta

import pytest
from django.test import Client
from playwright.sync_api import expect

from appointments.models import Closure, EmailCheck
from tests.appointments.fixtures import CLINIC_ZONE, local, request_with_code
from tests.conftest import PHONE

pytestmark = pytest.mark.django_db(transaction=True)
MAX_PAGE_HEIGHT = 2500


def details_url(clinic, start, visit_type="rls-consultation"):
    iso = start.isoformat().replace("+", "%2B")
    return f"/appointments/request/details/?visit_type={visit_type}&provider={clinic['marsh'].pk}&start={iso}"


def page_height(page):
    return page.evaluate("document.documentElement.scrollHeight")


def test_every_page_of_the_flow_fits_under_2500_pixels(page, clinic, booking_day, risk_factors, slot_post):
    page.goto(f"/appointments/request/?visit_type=rls-consultation&week={booking_day.isoformat()}")
    expect(page.locator(".time-grid a").first).to_be_visible()
    heights = {"times": page_height(page)}
    page.goto(details_url(clinic, local(booking_day, 9)))
    expect(page.get_by_label("Restless legs symptoms")).to_be_checked()
    expect(page.get_by_text("Tick what is true of your restless legs")).to_be_visible()
    heights["details"] = page_height(page)
    slot = {"visit_type": clinic["rls"], "provider": clinic["marsh"], "start": local(booking_day, 10)}
    page.goto(request_with_code(Client(), slot_post(slot))["Location"])
    heights["confirmation"] = page_height(page)
    assert max(heights.values()) < MAX_PAGE_HEIGHT, heights


def test_the_email_code_step_is_one_short_screen_with_big_targets_and_takes_a_pasted_code(
    page, axe, clinic, booking_day
):
    page.goto(details_url(clinic, local(booking_day, 9), visit_type="vein-evaluation"))
    for label, text in [("First name*", "Maria"), ("Last name*", "Lopez"), ("Month", "4"), ("Day", "23"),
                        ("Year", "1971"), ("Email*", "maria@example.com"), ("Phone number*", "2015550123")]:
        page.get_by_label(label, exact=True).fill(text)
    page.get_by_label("Varicose veins", exact=True).check()
    for question in ("urgent_one_leg", "urgent_breathing", "urgent_bleeding", "urgent_cord"):
        page.locator(f"#id_{question}_0").check()  # "No"
    page.locator("#id_consent").check()
    page.get_by_role("button", name="Send my request").click()
    page.wait_for_url(re.compile(r"/appointments/request/check-email/"))

    assert page_height(page) < MAX_PAGE_HEIGHT
    expect(page.get_by_text("The code works for 20 minutes, until")).to_be_visible()
    for target in page.locator("main button, main input[name=code]").all():
        box = target.bounding_box()
        assert box["height"] >= 44, box
        assert box["width"] >= 44, box
    axe(page)
    code = EmailCheck.objects.get().code()
    field = page.get_by_label("Code from the email")
    field.focus()
    page.context.grant_permissions(["clipboard-read", "clipboard-write"])
    page.evaluate("code => navigator.clipboard.writeText(code)", f"{code[:3]} {code[3:]}")
    page.keyboard.press("Control+V")  # pasted from the email app, with its space
    expect(field).to_have_value(f"{code[:3]} {code[3:]}")
    page.get_by_role("button", name="Send my request").click()
    page.wait_for_url(re.compile(r"/appointments/manage/"))
    expect(page.get_by_role("heading", level=1)).to_have_text("We have your request")


def test_times_come_a_day_at_a_time_in_big_buttons(page, axe, clinic, booking_day):
    page.goto(f"/appointments/request/?visit_type=vein-evaluation&week={booking_day.isoformat()}")
    days = page.get_by_role("navigation", name="Days of this week").get_by_role("link")
    expect(days).to_have_count(7)
    expect(days.first).to_have_attribute("aria-current", "date")
    expect(page.get_by_role("heading", name="Morning")).to_be_visible()
    expect(page.get_by_role("heading", name="Afternoon")).to_be_visible()
    expect(page.get_by_text("Times are Eastern Time.")).to_be_visible()
    buttons = page.locator(".time-grid a")
    assert buttons.count() > 6
    rows = {}
    for index in range(buttons.count()):
        box = buttons.nth(index).bounding_box()
        assert box["height"] >= 44, box
        assert box["width"] >= 44, box
        rows.setdefault(round(box["y"]), []).append(box)
    assert {len(row) for row in list(rows.values())[:-1]} <= {2, 3}  # two or three to a row on a phone
    for index in range(7):
        box = days.nth(index).bounding_box()
        assert box["height"] >= 44, box
        assert box["width"] >= 44, box
    axe(page)

    days.nth(1).click()
    expect(page.get_by_role("heading", level=3)).to_have_text(re.compile(r"^Tuesday"))
    expect(days.nth(1)).to_have_attribute("aria-current", "date")


def test_a_closed_day_says_why(page, axe, clinic, booking_day):
    holiday = booking_day + timedelta(days=3)  # the Thursday
    Closure.objects.create(
        reason="Thanksgiving",
        starts_at=datetime.combine(holiday, time.min, tzinfo=CLINIC_ZONE),
        ends_at=datetime.combine(holiday + timedelta(days=1), time.min, tzinfo=CLINIC_ZONE),
    )
    page.goto(f"/appointments/request/?visit_type=vein-evaluation&week={booking_day.isoformat()}")
    days = page.get_by_role("navigation", name="Days of this week").get_by_role("link")
    expect(days.nth(3)).to_contain_text("Closed")
    days.nth(3).click()
    expect(page.locator("#day-times")).to_contain_text("Closed — Thanksgiving")
    expect(page.locator(".time-grid a")).to_have_count(0)
    days.nth(5).click()  # Saturday: nobody works
    expect(page.locator("#day-times")).to_contain_text("Closed.")
    axe(page)


def test_errors_are_listed_as_links_that_lead_to_each_field(page, axe, clinic, booking_day):
    page.goto(details_url(clinic, local(booking_day, 9)))
    page.get_by_label("Month").fill("4")
    page.get_by_role("button", name="Send my request").click()

    summary = page.locator("#error-summary")
    expect(summary).to_be_focused()
    expect(page).to_have_title(re.compile(r"^Error: "))
    links = summary.get_by_role("link")
    expect(links.first).to_have_text("Answer the safety question about swelling, pain or redness in one leg.")
    expect(summary.get_by_role("link", name="Date of birth must include a day and a year.")).to_be_visible()
    axe(page)
    for index in range(links.count()):
        link = links.nth(index)
        target = link.get_attribute("href")[1:]
        link.click()
        expect(page.locator(f"#{target}")).to_be_focused()
        expect(page.locator(f"#{target}")).to_be_in_viewport()


def test_rls_questions_follow_the_restless_legs_reason(page, clinic, booking_day):
    page.goto(details_url(clinic, local(booking_day, 9), visit_type="vein-evaluation"))
    question = page.get_by_label("It is worse in the evening or at night")
    expect(question).to_be_hidden()
    page.get_by_label("Restless legs symptoms").check()
    expect(question).to_be_visible()
    page.get_by_label("Restless legs symptoms").uncheck()
    expect(question).to_be_hidden()


@pytest.fixture
def page_without_javascript(chromium, live_server):
    context = chromium.new_context(viewport=PHONE, base_url=live_server.url, java_script_enabled=False)
    yield context.new_page()
    context.close()


def test_the_flow_works_without_javascript(page_without_javascript, clinic, booking_day, risk_factors):
    page = page_without_javascript
    page.goto(f"/appointments/request/?visit_type=rls-consultation&week={booking_day.isoformat()}")
    page.get_by_role("navigation", name="Days of this week").get_by_role("link").nth(2).click()
    expect(page.get_by_role("heading", level=3)).to_have_text(re.compile(r"^Wednesday"))
    page.locator(".time-grid a").first.click()
    expect(page.get_by_label("It is worse in the evening or at night")).to_be_visible()
    page.get_by_role("button", name="Send my request").click()
    expect(page).to_have_title(re.compile(r"^Error: "))
    expect(page.locator("#error-summary")).to_be_focused()  # autofocus, no script needed
