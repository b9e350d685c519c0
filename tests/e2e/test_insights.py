"""The clinic manager reads the figures at a 1280 px screen, by keyboard, with nothing for axe to flag."""

import re

import pytest
from django.conf import settings
from playwright.sync_api import expect

from staff.roles import CLINIC_MANAGER
from tests.conftest import tab_to
from tests.e2e.test_front_desk_page import SCREEN, sign_in

pytestmark = pytest.mark.django_db(transaction=True)


def test_manager_chooses_a_period_by_keyboard_and_reads_charts_and_tables(
    page, axe, staff_member, seeded_week, waitlist_week
):
    sign_in(page, staff_member(CLINIC_MANAGER))

    tab_to(page, page.get_by_role("link", name="Insights"))
    page.keyboard.press("Enter")
    expect(page.get_by_role("heading", name="What became of the visits")).to_be_visible()
    axe(page)
    page.get_by_label("From", exact=True).fill(seeded_week.first.isoformat())
    page.get_by_label("To", exact=True).fill(seeded_week.last.isoformat())
    tab_to(page, page.get_by_role("button", name="Show figures"))
    page.keyboard.press("Enter")

    expect(page.get_by_role("img", name=re.compile("No-show rate by specialist"))).to_be_visible()
    outcomes = page.get_by_role("region", name="Outcomes table")
    total = outcomes.get_by_role("row", name=re.compile("All specialists All visit types"))
    expect(total).to_contain_text("25%")
    refills = page.get_by_role("img", name=re.compile("Freed times refilled from the waitlist"))
    expect(refills).to_have_accessible_name(re.compile("Dr. Elena Marsh: 67%; Dr. Samuel Okafor: 50%"))
    freed = page.get_by_role("region", name="Freed times table").get_by_role("row", name=re.compile("All causes"))
    expect(freed.last).to_contain_text("60%")
    width = page.evaluate("document.documentElement.scrollWidth")
    assert width <= SCREEN["width"], f"the page scrolls sideways: {width} px"
    axe(page)
    page.screenshot(path=str(settings.BASE_DIR / "var" / "screenshots" / "insights-1280.png"), full_page=True)
