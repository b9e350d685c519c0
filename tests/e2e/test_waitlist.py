"""A patient on a phone books a visit a week out and joins the waitlist; the front desk cancels an
earlier visit in the admin; the offer arrives (a real worker process, a real SMTP server); the patient
takes it and their page shows the new time. Every page: axe-clean, within the phone budget, 44 px targets."""

import re
from datetime import timedelta

import pytest
from playwright.sync_api import expect

from appointments.models import Appointment
from tests.appointments.fixtures import PATIENT, local
from tests.e2e.steps import enter_the_emailed_code
from tests.processes import wait_until
from tests.staff.fixtures import PASSWORD

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
    page.goto(f"/appointments/request/?visit_type=vein-evaluation&week={week.isoformat()}")
    page.locator(".time-grid a").first.click()
    page.wait_for_url(re.compile(r"/appointments/request/details/"))
    page.get_by_label("First name*", exact=True).fill("Maria")
    page.get_by_label("Last name*", exact=True).fill("Lopez")
    page.get_by_label("Month", exact=True).fill("4")
    page.get_by_label("Day", exact=True).fill("23")
    page.get_by_label("Year", exact=True).fill("1971")
    page.get_by_label("Email*", exact=True).fill("maria@example.com")
    page.get_by_label("Phone number*", exact=True).fill("2015550123")
    page.get_by_label("Varicose veins", exact=True).check()
    page.locator("#id_urgent_one_leg_0").check()
    page.locator("#id_urgent_breathing_0").check()
    page.locator("#id_urgent_bleeding_0").check()
    page.locator("#id_urgent_cord_0").check()
    page.locator("#id_consent").check()
    page.get_by_role("button", name="Send my request").click()
    enter_the_emailed_code(page, "maria@example.com")


def cancel_in_the_admin(browser, live_server, staff_member, appointment, axe):
    staff = browser.new_context(base_url=live_server.url)
    desk = staff.new_page()
    desk.goto("/admin/login/")
    desk.get_by_label("Username").fill(staff_member(None).username)
    desk.get_by_label("Password").fill(PASSWORD)
    desk.get_by_role("button", name=re.compile("Log in|Sign in")).click()
    desk.wait_for_url(re.compile(r"/admin/$"))
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

    cancel_in_the_admin(page.context.browser, live_server, staff_member, earlier, axe)

    def offer_email():
        return next((m for m in smtp_server.to("maria@example.com") if "An earlier time has opened" in m["Subject"]),
                    None)  # fmt: skip

    email = wait_until(
        offer_email, 45, lambda: f"the offer email (arrived: {[m['Subject'] for m in smtp_server.received]})"
    )
    text = email.get_body(("plain",)).get_content()
    assert "9:00 AM" in text
    link = re.search(r"http://\S+/waitlist/offers/\d+/\w+/", text).group(0)

    page.goto(link)
    expect(page.get_by_role("heading", level=1)).to_have_text("An earlier time has opened")
    take = page.get_by_role("button", name="Take this time")
    big_enough(take)
    axe(page)
    fits_the_phone(page)
    take.click()
    page.wait_for_url(re.compile(r"/appointments/manage/"))
    expect(page.get_by_text("Your visit has moved to the earlier time.")).to_be_visible()
    when = page.locator("dt", has_text="When").locator("xpath=following-sibling::dd[1]")
    expect(when).to_contain_text(f"{booking_day:%A}, {booking_day:%B} {booking_day.day}, {booking_day.year} at 9:00 AM")
    axe(page)
    fits_the_phone(page)
    mine.refresh_from_db()
    assert mine.starts_at == local(booking_day, 9)
    assert Appointment.objects.filter(email="maria@example.com").count() == 1  # moved, not booked twice
