"""A staff member signs in to the admin with the keyboard: password, then the authenticator code."""

import re

import pytest
from playwright.sync_api import expect

from tests.conftest import tab_to
from tests.staff.fixtures import PASSWORD, current_code

pytestmark = [pytest.mark.django_db(transaction=True), pytest.mark.browser]


def test_staff_sign_in_with_the_second_factor_by_keyboard(two_factor, page, axe, staff_member, authenticator):
    device = authenticator(staff_member("Front desk"))
    page.goto("/admin/")
    axe(page)

    tab_to(page, page.get_by_label("Username"))
    page.keyboard.type("front-desk")
    page.keyboard.press("Tab")
    page.keyboard.type(PASSWORD)
    page.keyboard.press("Tab")
    assert page.evaluate("document.activeElement.id") == "id_otp_token"
    page.keyboard.type(current_code(device))
    page.keyboard.press("Enter")

    page.wait_for_url(re.compile(r"^https?://[^/]+/admin/$"))
    expect(page.get_by_role("heading", name="Clinic administration")).to_be_visible()


def test_a_missing_code_is_announced_next_to_the_field(two_factor, page, axe, staff_member, authenticator):
    authenticator(staff_member("Front desk"))
    page.goto("/admin/login/")
    page.get_by_label("Username").fill("front-desk")
    page.get_by_label("Password").fill(PASSWORD)
    page.get_by_label("Password").press("Enter")

    expect(page.get_by_role("alert").filter(has_text="All three are checked together")).to_be_visible()
    axe(page)


def test_the_lockout_page_is_accessible(page, axe, staff_member, settings):
    staff_member("Front desk")
    for _ in range(settings.AXES_FAILURE_LIMIT):
        page.goto("/admin/login/")
        page.get_by_label("Username").fill("front-desk")
        page.get_by_label("Password").fill("not the password")
        page.get_by_label("Password").press("Enter")
        page.wait_for_load_state()

    expect(page.get_by_role("heading", name="Sign-in locked")).to_be_visible()
    expect(page.get_by_role("alert").filter(has_text="Too many failed sign-in attempts")).to_be_visible()
    axe(page)
