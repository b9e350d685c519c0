"""A patient books, the front desk confirms in the admin, and the email that arrives (at a real SMTP
server, sent by a real worker process) leads the patient to their page, which says "Confirmed"."""

import re

import icalendar
import pytest
from playwright.sync_api import expect

from appointments.models import Appointment
from tests.staff.fixtures import PASSWORD

pytestmark = pytest.mark.django_db(transaction=True)


def test_patient_is_told_of_the_confirmation_and_finds_it_on_their_page(
    page, axe, live_server, clinic, staff_member, worker, smtp_server
):
    worker(smtp_server, TRUFFLES_SITE_URL=live_server.url)

    page.goto("/appointments/request/?visit_type=vein-evaluation")
    page.locator(".time-grid a").first.click()
    page.wait_for_url(re.compile(r"/appointments/request/details/"))
    axe(page)
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
    page.wait_for_url(re.compile(r"/appointments/manage/"))
    expect(page.get_by_role("heading", level=1)).to_have_text("We have your request")
    axe(page)
    appointment = Appointment.objects.get()

    # The front desk confirms it in the admin.
    manager = staff_member(None)
    staff = page.context.browser.new_context(base_url=live_server.url)
    desk = staff.new_page()
    desk.goto("/admin/login/")
    desk.get_by_label("Username").fill(manager.username)
    desk.get_by_label("Password").fill(PASSWORD)
    desk.get_by_role("button", name=re.compile("Log in|Sign in")).click()
    desk.wait_for_url(re.compile(r"/admin/$"))
    desk.goto("/admin/appointments/appointment/")
    desk.locator("#result_list tbody tr", has_text="Lopez").locator("input.action-select").check()
    desk.locator("select[name=action]").select_option("mark_confirmed")
    desk.get_by_role("button", name="Run").click()
    expect(desk.get_by_text("You are about to")).to_be_visible()
    axe(desk)
    desk.get_by_role("button", name="Yes, confirm").click()
    expect(desk.get_by_text("Confirm: 1 appointment(s).")).to_be_visible()
    staff.close()

    # The email, as the patient's mail server received it.
    smtp_server.wait_for(3, timeout=30)  # request received, the clinic's notice, confirmed
    (confirmed,) = [m for m in smtp_server.to("maria@example.com") if "Your visit is confirmed" in m["Subject"]]
    text = confirmed.get_body(("plain",)).get_content()
    link = re.search(r"http://\S+/appointments/manage/\S+/", text).group(0)
    assert link == f"{live_server.url}{appointment.get_absolute_url()}"
    mail = page.context.new_page()  # the HTML part, as a mail app would show it
    mail.set_content(confirmed.get_body(("html",)).get_content())
    expect(mail.get_by_role("link", name="Open your appointment page")).to_have_attribute("href", link)
    axe(mail)
    mail.close()
    (attachment,) = [part for part in confirmed.iter_attachments() if part.get_filename().endswith(".ics")]
    assert icalendar.Calendar.from_ical(attachment.get_content()).events[0]["STATUS"] == "CONFIRMED"

    page.goto(link)
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
    for kind in Message.Kind.values:
        email = notifications.render(Message(appointment=appointment, kind=kind, pk=1))
        page.set_content(email.alternatives[0][0])
        expect(page.get_by_role("heading", level=1)).to_be_visible()
        axe(page)
