"""The front desk signs in with the second factor and triages a request with the keyboard."""

import re
from datetime import datetime, time
from urllib.parse import urlencode

import pytest
from django.utils import timezone
from playwright.sync_api import expect

from appointments.models import Appointment
from staff.roles import FRONT_DESK
from tests.appointments.fixtures import local, slot_key
from tests.conftest import tab_to
from tests.e2e.steps import sign_in_to_the_admin
from tests.staff.fixtures import PASSWORD, current_code

pytestmark = pytest.mark.django_db(transaction=True)


def test_front_desk_confirms_a_request_and_sees_it_on_todays_schedule(
    page, axe, two_factor, staff_member, authenticator, make_appointment
):
    user = staff_member(FRONT_DESK)
    device = authenticator(user)
    today_four_pm = timezone.make_aware(datetime.combine(timezone.localdate(), time(16, 0)))
    request = make_appointment(start=today_four_pm, last_name="Waiting")
    make_appointment(start=today_four_pm.replace(hour=9), status=Appointment.Status.CONFIRMED, last_name="Settled")

    page.goto("/admin/")
    sign_in_by_keyboard_with_the_code(page, user, device)
    needs_attention = page.locator("#clinic-today")
    expect(needs_attention.get_by_text("1 request awaiting triage")).to_be_visible()

    tab_to(page, needs_attention.get_by_role("link", name="1 request awaiting triage"))
    page.keyboard.press("Enter")
    page.wait_for_url(re.compile(r"triage=needed"))
    rows = page.locator("#result_list tbody tr")
    assert rows.count() == 1
    assert "Waiting" in rows.first.inner_text()
    confirm_the_row_by_keyboard(page, rows.first, axe)
    request.refresh_from_db()
    assert request.status == Appointment.Status.CONFIRMED

    tab_to(page, page.get_by_role("link", name="Today's schedule"))
    page.keyboard.press("Enter")
    page.wait_for_url(re.compile(r"/schedule/"))
    cell = page.locator(".schedule-list li", has_text="Waiting")
    assert "Confirmed" in cell.inner_text()
    assert "4:00 PM" in cell.inner_text()
    axe(page)


def sign_in_by_keyboard_with_the_code(page, user, device):
    tab_to(page, page.get_by_label("Username"))
    page.keyboard.type(user.username)
    tab_to(page, page.get_by_label("Password"))
    page.keyboard.type(PASSWORD)
    tab_to(page, page.get_by_label("Code from your authenticator app"))
    page.keyboard.type(current_code(device))
    page.keyboard.press("Enter")
    page.wait_for_url(re.compile(r":\d+/admin/$"))


def confirm_the_row_by_keyboard(page, row, axe):
    tab_to(page, row.locator("input.action-select"))
    page.keyboard.press("Space")
    tab_to(page, page.locator("select[name=action]"))
    page.keyboard.type("Confirm")
    tab_to(page, page.get_by_role("button", name="Run"))
    page.keyboard.press("Enter")
    page.wait_for_selector("text=You are about to")
    axe(page)
    tab_to(page, page.get_by_role("button", name="Yes, confirm"))
    page.keyboard.press("Enter")
    page.wait_for_selector("text=Confirm: 1 appointment(s).")


def sign_in_as_manager(page, staff_member):
    manager = staff_member(None)
    sign_in_to_the_admin(page, manager.username)
    return manager


def test_schedule_week_view_and_book_by_phone_pages_are_accessible(page, axe, staff_member, sign_in, clinic):
    sign_in_as_manager(page, staff_member)
    page.goto("/admin/appointments/appointment/schedule/?span=week")
    expect(page.get_by_role("table")).to_be_visible()
    axe(page)
    page.goto("/admin/appointments/appointment/book/")
    axe(page)


def test_move_booking_and_decline_pages_are_accessible(
    page, axe, staff_member, clinic, risk_factors, make_appointment, booking_day
):
    sign_in_as_manager(page, staff_member)
    appointment = make_appointment(start=local(booking_day, 10), provider=clinic["okafor"], last_name="Mover")

    page.goto(f"/admin/appointments/appointment/{appointment.pk}/move/")
    assert page.get_by_role("button", name=re.compile(r", free \(move here\)$")).count() > 0  # times to move to
    axe(page)

    slot = slot_key(clinic['marsh'], local(booking_day, 9))
    query = {"visit_type": clinic["vein"].pk, "provider": clinic["marsh"].pk, "date": booking_day.isoformat(),
             "slot": slot}
    page.goto(f"/admin/appointments/appointment/book/?{urlencode(query)}")
    expect(page.get_by_label("First name")).to_be_visible()
    axe(page)
    page.get_by_role("button", name="Book and confirm").click()
    first_name = page.get_by_label("First name")
    assert first_name.get_attribute("aria-invalid") == "true"
    error = page.locator(f"#{first_name.get_attribute('aria-describedby').split()[-1]}")
    assert error.inner_text() == "Enter the patient's first name."  # a screen reader reads the error with the field
    axe(page)

    page.goto("/admin/appointments/appointment/?when=all")
    page.locator("#result_list tbody tr", has_text="Mover").locator("input.action-select").check()
    page.locator("select[name=action]").select_option(label="Decline selected appointments")
    page.get_by_role("button", name="Run").click()
    page.get_by_role("button", name="Yes, decline").click()
    expect(page.get_by_text("Give the patient a reason: they will see it.")).to_be_visible()
    assert page.get_by_label("Reason (required)").get_attribute("aria-describedby") == "reason-errors reason-help"
    axe(page)
    appointment.refresh_from_db()
    assert appointment.status == Appointment.Status.REQUESTED
