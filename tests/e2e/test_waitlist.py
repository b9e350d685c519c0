"""A patient on a phone books a visit a week out and joins the waitlist; the front desk cancels an
earlier visit in the admin; the offer arrives (a real worker process, a real SMTP server); the patient
takes it and their page shows the new time. Every page: axe-clean, within the phone budget, 44 px targets."""

import re
from datetime import timedelta

import pytest
from playwright.sync_api import expect

from appointments.models import Appointment
from tests.appointments.fixtures import PATIENT, local
from tests.e2e.steps import (
    choose_the_first_free_time,
    enter_the_emailed_code,
    fill_in_the_details,
    sign_in_to_the_admin,
)
from tests.processes import wait_until

pytestmark = pytest.mark.django_db(transaction=True)
MAX_PAGE_HEIGHT = 2500


def fits_the_phone(page):
    height = page.evaluate("document.documentElement.scrollHeight")
    assert height <= MAX_PAGE_HEIGHT, f"{page.url} is {height} px tall"


def big_enough(locator):
    box = locator.bounding_box()
    assert box["height"] >= 44, box
    assert box["width"] >= 44, box


def book_a_week_out(page, booking_day):
    week = booking_day + timedelta(weeks=1)
    choose_the_first_free_time(page, f"visit_type=vein-evaluation&week={week.isoformat()}")
    fill_in_the_details(page)
    page.get_by_role("button", name="Send my request").click()
    enter_the_emailed_code(page, "maria@example.com")


def cancel_in_the_admin(browser, live_server, staff_member, appointment, axe):
    staff = browser.new_context(base_url=live_server.url)
    desk = staff.new_page()
    sign_in_to_the_admin(desk, staff_member(None).username)
    desk.goto(f"/admin/appointments/appointment/{appointment.pk}/change/")
    expect(desk.get_by_text("Not on the waitlist.")).to_be_visible()
    desk.get_by_role("link", name="Cancel", exact=True).click()
    desk.get_by_label(re.compile("Reason")).fill("The patient called: she is travelling.")
    desk.get_by_role("button", name="Yes, cancel").click()
    expect(desk.get_by_text("Cancelled", exact=True).first).to_be_visible()
    axe(desk)
    staff.close()


def test_a_patient_takes_an_earlier_time_a_cancellation_freed(
    page, axe, live_server, clinic, booking_day, make_appointment, staff_member, worker, smtp_server
):
    # Offers go out from 8 am to 9 pm clinic time; this test may run at any hour.
    worker(smtp_server, TRUFFLES_SITE_URL=live_server.url, TRUFFLES_WAITLIST_FIRST_HOUR=0,
           TRUFFLES_WAITLIST_LAST_HOUR=24)  # fmt: skip
    earlier = make_appointment(start=local(booking_day, 9), status=Appointment.Status.CONFIRMED,
                               **{**PATIENT, "email": "someone.else@example.com"})  # fmt: skip

    book_a_week_out(page, booking_day)
    mine = Appointment.objects.get(email="maria@example.com")
    assert mine.starts_at > earlier.starts_at
    join_the_waitlist_for_any_earlier_time(page, axe)

    cancel_in_the_admin(page.context.browser, live_server, staff_member, earlier, axe)

    page.goto(the_offer_link(smtp_server))
    take_the_offered_time(page, axe)
    when = page.locator("dt", has_text="When").locator("xpath=following-sibling::dd[1]")
    expect(when).to_contain_text(f"{booking_day:%A}, {booking_day:%B} {booking_day.day}, {booking_day.year} at 9:00 AM")
    axe(page)
    fits_the_phone(page)
    mine.refresh_from_db()
    assert mine.starts_at == local(booking_day, 9)
    assert Appointment.objects.filter(email="maria@example.com").count() == 1  # moved, not booked twice


def join_the_waitlist_for_any_earlier_time(page, axe):
    page.get_by_text("Join the waitlist").click()
    big_enough(page.get_by_text("Join the waitlist"))
    expect(page.get_by_label("Any time before my visit")).to_be_checked()
    big_enough(page.locator(".waitlist-form .form-check").first)
    axe(page)
    fits_the_phone(page)
    page.get_by_label("Only on the days or times I choose").check()  # the days and times appear
    expect(page.get_by_label("Mon", exact=True)).to_be_visible()
    axe(page)
    fits_the_phone(page)
    page.get_by_label("Any time before my visit").check()
    page.get_by_role("button", name="Put me on the waitlist").click()
    expect(page.get_by_text("You are on the waitlist.")).to_be_visible()
    expect(page.locator(".waitlist")).to_contain_text("any time before the visit")
    axe(page)
    fits_the_phone(page)


def the_offer_link(smtp_server):
    """The worker's email offering the freed 9:00 time; the link in it."""

    def offer_email():
        return next((m for m in smtp_server.to("maria@example.com") if "An earlier time has opened" in m["Subject"]),
                    None)  # fmt: skip

    email = wait_until(
        offer_email, 45, lambda: f"the offer email (arrived: {[m['Subject'] for m in smtp_server.received]})"
    )
    text = email.get_body(("plain",)).get_content()
    assert "9:00 AM" in text
    return re.search(r"http://\S+/waitlist/offers/\d+/\w+/", text).group(0)


def take_the_offered_time(page, axe):
    expect(page.get_by_role("heading", level=1)).to_have_text("An earlier time has opened")
    take = page.get_by_role("button", name="Take this time")
    big_enough(take)
    axe(page)
    fits_the_phone(page)
    take.click()
    page.wait_for_url(re.compile(r"/appointments/manage/"))
    expect(page.get_by_text("Your visit has moved to the earlier time.")).to_be_visible()
