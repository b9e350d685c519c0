"""A patient books, the front desk confirms in the admin, and the email that arrives (at a real SMTP
server, sent by a real worker process) leads the patient to their page, which says "Confirmed"."""

import re
from datetime import timedelta

import icalendar
import pytest
from django.utils import timezone
from playwright.sync_api import expect

from appointments.models import Appointment, EmailCheck
from tests.e2e.steps import choose_the_first_free_time, fill_in_the_details, sign_in_to_the_admin

pytestmark = pytest.mark.django_db(transaction=True)


def test_patient_is_told_of_the_confirmation_and_finds_it_on_their_page(
    page, axe, live_server, clinic, staff_member, worker, smtp_server
):
    worker(smtp_server, TRUFFLES_SITE_URL=live_server.url)
    choose_the_first_free_time(page)
    axe(page)
    fill_in_the_details(page)
    page.get_by_role("button", name="Send my request").click()
    copy_the_code_from_the_email(page, smtp_server, axe)
    expect(page.get_by_role("heading", level=1)).to_have_text("We have your request")
    axe(page)
    appointment = Appointment.objects.get()

    confirm_in_the_admin(page.context.browser, live_server, staff_member(None), axe)

    smtp_server.wait_for(4, timeout=30)  # the code, request received, the clinic's notice, confirmed
    (confirmed,) = [m for m in smtp_server.to("maria@example.com") if "Your visit is confirmed" in m["Subject"]]
    link = re.search(r"http://\S+/appointments/manage/\S+/", confirmed.get_body(("plain",)).get_content()).group(0)
    assert link == f"{live_server.url}{appointment.get_absolute_url()}"
    the_html_part_links_to_the_page(page, confirmed, link, axe)
    (attachment,) = [part for part in confirmed.iter_attachments() if part.get_filename().endswith(".ics")]
    assert icalendar.Calendar.from_ical(attachment.get_content()).events[0]["STATUS"] == "CONFIRMED"

    page.goto(link)
    the_page_says_confirmed_and_offers_the_calendar(page, axe)


def copy_the_code_from_the_email(page, smtp_server, axe):
    """The code arrives by email; the patient copies it from there into the page."""
    page.wait_for_url(re.compile(r"/appointments/request/check-email/"))
    expect(page.get_by_role("heading", level=1)).to_have_text("Check your email")
    axe(page)
    smtp_server.wait_for(1, timeout=30)
    (code_email,) = smtp_server.to("maria@example.com")
    code = re.search(r"Your code is (\d{6})", code_email.get_body(("plain",)).get_content()).group(1)
    page.get_by_label("Code from the email").fill(code)
    page.get_by_role("button", name="Send my request").click()
    page.wait_for_url(re.compile(r"/appointments/manage/"))


def confirm_in_the_admin(browser, live_server, manager, axe):
    """The front desk confirms Maria's request from the list, in a browser of its own."""
    staff = browser.new_context(base_url=live_server.url)
    desk = staff.new_page()
    sign_in_to_the_admin(desk, manager.username)
    desk.goto("/admin/appointments/appointment/")
    desk.locator("#result_list tbody tr", has_text="Lopez").locator("input.action-select").check()
    desk.locator("select[name=action]").select_option("mark_confirmed")
    desk.get_by_role("button", name="Run").click()
    expect(desk.get_by_text("You are about to")).to_be_visible()
    axe(desk)
    desk.get_by_role("button", name="Yes, confirm").click()
    expect(desk.get_by_text("Confirm: 1 appointment(s).")).to_be_visible()
    staff.close()


def the_html_part_links_to_the_page(page, email, link, axe):
    mail = page.context.new_page()  # the HTML part, as a mail app would show it
    mail.set_content(email.get_body(("html",)).get_content())
    expect(mail.get_by_role("link", name="Open your appointment page")).to_have_attribute("href", link)
    axe(mail)
    mail.close()


def the_page_says_confirmed_and_offers_the_calendar(page, axe):
    expect(page.get_by_role("heading", level=1)).to_have_text("Your appointment is confirmed")
    expect(page.get_by_text("Confirmed", exact=True)).to_be_visible()
    expect(page.locator("#sent-title + ul")).to_contain_text("Confirmed:")
    calendar_link = page.get_by_role("link", name="Add to calendar")
    expect(calendar_link).to_be_visible()
    axe(page)
    ics = page.request.get(calendar_link.get_attribute("href"))
    assert ics.headers["content-type"].startswith("text/calendar")
    assert icalendar.Calendar.from_ical(ics.text()).events[0]["STATUS"] == "CONFIRMED"


def test_every_email_reads_well_in_a_browser(page, axe, make_appointment):
    from appointments import notifications
    from appointments.models import Message

    appointment = make_appointment(hour=10, status=Appointment.Status.CONFIRMED, status_reason="The doctor is away.")
    EmailCheck.objects.create(appointment=appointment, network_key="n", mailbox_key="m", codes_sent=1,
                              expires_at=timezone.now() + timedelta(minutes=20))  # fmt: skip
    for kind in Message.Kind.values:
        email = notifications.render(Message(appointment=appointment, kind=kind, pk=1))
        page.set_content(email.alternatives[0][0])
        expect(page.get_by_role("heading", level=1)).to_be_visible()
        axe(page)
