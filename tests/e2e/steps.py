"""Steps several browser journeys share."""

import re

from playwright.sync_api import Page

from appointments.models import Appointment
from tests.staff.fixtures import PASSWORD

# What Maria types into the details form, by label.
MARIA = {
    "First name*": "Maria",
    "Last name*": "Lopez",
    "Month": "4",
    "Day": "23",
    "Year": "1971",
    "Email*": "maria@example.com",
    "Phone number*": "2015550123",
}


def choose_the_first_free_time(page: Page, query: str = "visit_type=vein-evaluation") -> None:
    """Step 1 of 3: the request page, its first free time."""
    page.goto(f"/appointments/request/?{query}")
    page.locator(".time-grid a").first.click()
    page.wait_for_url(re.compile(r"/appointments/request/details/"))


def fill_in_the_details(page: Page, answers: dict[str, str] = MARIA) -> None:
    """Step 2 of 3, before sending: who the patient is, varicose veins, No to every warning sign, consent."""
    for label, text in answers.items():
        page.get_by_label(label, exact=True).fill(text)
    page.get_by_label("Varicose veins", exact=True).check()
    for question in ("urgent_one_leg", "urgent_breathing", "urgent_bleeding", "urgent_cord"):
        page.locator(f"#id_{question}_0").check()  # "No"
    page.locator("#id_consent").check()


def enter_the_emailed_code(page: Page, email: str) -> None:
    """Step 3 of 3: type the code the request's email carries, as its owner does; wait for their page."""
    page.wait_for_url("**/appointments/request/check-email/")
    code = Appointment.objects.filter(email=email).latest("pk").email_check.code()
    page.get_by_label("Code from the email").fill(code)
    page.get_by_role("button", name="Send my request").click()
    page.wait_for_url(re.compile(r"/appointments/manage/"))


def sign_in_to_the_admin(page: Page, username: str) -> None:
    """A staff member signs in with their password (tests/settings.py leaves the second factor off)."""
    page.goto("/admin/login/")
    page.get_by_label("Username").fill(username)
    page.get_by_label("Password").fill(PASSWORD)
    page.get_by_role("button", name=re.compile("Log in|Sign in")).click()
    page.wait_for_url(re.compile(r"/admin/$"))
