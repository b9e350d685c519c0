"""The front desk at a 1280 px screen: the list fits, a request is confirmed from its page in two clicks."""

import re
from datetime import timedelta

import pytest
from django.utils import timezone
from playwright.sync_api import expect

from appointments.models import Appointment
from staff.roles import FRONT_DESK
from tests.e2e.steps import sign_in_to_the_admin

pytestmark = pytest.mark.django_db(transaction=True)

SCREEN = {"width": 1280, "height": 800}


def sign_in(page, user):
    page.set_viewport_size(SCREEN)
    sign_in_to_the_admin(page, user.username)


def soon(hours):
    return timezone.now().replace(second=0, microsecond=0) + timedelta(days=2, hours=hours)


def test_front_desk_confirms_a_request_from_its_page_in_two_clicks(page, axe, staff_member, make_appointment):
    sign_in(page, staff_member(FRONT_DESK))
    request = make_appointment(start=soon(0), last_name="Waiting", reasons=["rls", "varicose", "pain"])
    make_appointment(start=soon(2), last_name="Other", email="other@example.com")
    page.goto("/admin/appointments/appointment/")

    table = page.locator("#changelist .results")
    expect(page.get_by_role("columnheader", name="Status")).to_be_visible()
    width, visible = table.evaluate("t => [t.scrollWidth, t.clientWidth]")
    assert width <= visible, f"the list scrolls sideways: {width} px in {visible} px"
    for column in ("Status", "Triage"):
        header = page.get_by_role("columnheader", name=column).bounding_box()
        assert header["x"] + header["width"] <= SCREEN["width"], f"{column} is off screen"
    page.get_by_role("link", name="Rosalind Waiting").click()
    expect(page.get_by_role("link", name="Confirm", exact=True)).to_be_visible()
    axe(page)

    clicks = 0
    page.get_by_role("link", name="Confirm", exact=True).click()
    clicks += 1
    expect(page.get_by_text("You are about to confirm this appointment")).to_be_visible()
    page.get_by_role("button", name="Yes, confirm").click()
    clicks += 1

    expect(page.get_by_text("Confirm: 1 appointment(s).")).to_be_visible()
    expect(page.locator(".status-bar .status")).to_have_text("Confirmed")
    assert page.url.endswith(f"/appointment/{request.pk}/change/")
    assert clicks == 2
    request.refresh_from_db()
    assert request.status == Appointment.Status.CONFIRMED
    # Confirmed and not yet started: only Cancel is left.
    expect(page.locator(".status-buttons a")).to_have_text(["Cancel"])
    axe(page)


def test_declining_from_the_page_asks_for_the_reason_the_patient_will_see(page, axe, staff_member, make_appointment):
    sign_in(page, staff_member(FRONT_DESK))
    request = make_appointment(start=soon(0), last_name="Waiting")
    page.goto(f"/admin/appointments/appointment/{request.pk}/change/")

    page.get_by_role("link", name="Decline", exact=True).click()
    page.get_by_role("button", name="Yes, decline").click()
    expect(page.get_by_text("Give the patient a reason: they will see it.")).to_be_visible()
    expect(page).to_have_title(re.compile(r"^Error: Decline TVS-"))
    axe(page)
    page.get_by_label("Reason (required)").fill("We do not treat this condition.")
    page.get_by_role("button", name="Yes, decline").click()

    expect(page.locator(".status-bar .status")).to_have_text("Declined")
    request.refresh_from_db()
    assert request.status_reason == "We do not treat this condition."


def test_the_header_count_of_requests_awaiting_triage_updates_without_a_reload(
    page, axe, staff_member, make_appointment
):
    make_appointment(start=soon(0), last_name="First")
    page.clock.install()
    sign_in(page, staff_member(FRONT_DESK))
    badge = page.locator("#triage-count")
    expect(badge).to_have_text("1 request awaiting triage")

    make_appointment(start=soon(2), last_name="Second", email="second@example.com")
    page.clock.run_for("00:31")

    expect(badge).to_have_text("2 requests awaiting triage")
    assert page.url.endswith("/admin/")  # no reload, no navigation
    axe(page)


def test_book_by_phone_finds_a_returning_patient_and_its_time_buttons_fit(
    page, axe, staff_member, make_appointment, clinic, booking_day
):
    sign_in(page, staff_member(FRONT_DESK))
    make_appointment(start=soon(-24 * 30), status=Appointment.Status.COMPLETED)
    page.goto("/admin/appointments/appointment/book/")
    expect(page.get_by_text("Safety check: read these to the caller first")).to_be_visible()

    page.get_by_label("Returning patient").fill("Quarterman")
    page.get_by_role("button", name="Find patient").click()
    use_details = page.get_by_role("link", name="Use these details (Rosalind Quarterman)")
    expect(use_details).to_be_visible()
    axe(page)
    use_details.click()
    expect(page.get_by_text("Booking for Rosalind Quarterman")).to_be_visible()

    page.get_by_label("Visit type").select_option(label="Vein evaluation")
    page.get_by_label("Date").fill(booking_day.isoformat())
    page.get_by_role("button", name="Show free times").click()
    buttons = page.locator("a.slot-button")
    expect(buttons.first).to_be_visible()
    overflowing = buttons.evaluate_all(
        "all => all.filter(b => b.scrollWidth > b.clientWidth || b.getBoundingClientRect().height < 44).length"
    )
    assert overflowing == 0
    buttons.filter(has_text="9:00 AM").first.click()

    expect(page.get_by_label("First name")).to_have_value("Rosalind")
    expect(page.get_by_role("textbox", name="Email")).to_have_value("rosalind.quarterman@example.com")
    axe(page)
