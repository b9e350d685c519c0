"""The calendar in Chromium at 1280 px: a caller booked from the grid by keyboard, axe, width, print.

The appointment list's search box fails axe's best-practice rule label-title-only (Django's own markup),
so the list is checked for width here, not with axe.
"""

import re
from datetime import timedelta

import pytest
from django.utils import timezone
from playwright.sync_api import expect

from appointments import availability
from appointments.models import Appointment, Closure
from staff.roles import FRONT_DESK
from tests.appointments.fixtures import local
from tests.conftest import tab_to
from tests.e2e.steps import sign_in_to_the_admin

pytestmark = pytest.mark.django_db(transaction=True)

# A 1280 px screen less a classic 16 px scroll bar (Windows, Linux): what the front desk really has.
SCREEN = {"width": 1280 - 16, "height": 900}
CALENDAR = "/admin/appointments/appointment/calendar/"


def sign_in(page, user):
    page.set_viewport_size(SCREEN)
    sign_in_to_the_admin(page, user.username)


def fits_the_screen(page):
    width = page.evaluate("document.documentElement.scrollWidth")
    assert width <= SCREEN["width"], f"the page scrolls sideways: {width} px"


@pytest.fixture
def busy_week(make_appointment, clinic, booking_day):
    """The booking week with visits of every status, a lunch-time closure and a day of time off."""
    status = Appointment.Status
    for number, (days, hour, minute, state, provider) in enumerate([
        (0, 9, 0, status.CONFIRMED, "marsh"), (0, 10, 30, status.REQUESTED, "okafor"),
        (0, 11, 30, status.CONFIRMED, "okafor"), (0, 14, 0, status.CONFIRMED, "marsh"),
        (0, 15, 15, status.REQUESTED, "marsh"), (0, 13, 30, status.CONFIRMED, "okafor"),
        (1, 9, 30, status.CONFIRMED, "okafor"), (3, 10, 0, status.REQUESTED, "marsh"),
        (4, 16, 0, status.CONFIRMED, "okafor"),
    ]):
        make_appointment(day=booking_day + timedelta(days=days), hour=hour, minute=minute, status=state,
                         provider=provider, last_name=f"Patient{number}", email=f"p{number}@example.com")
    Closure.objects.create(provider=clinic["marsh"], starts_at=local(booking_day + timedelta(days=2), 0),
                           ends_at=local(booking_day + timedelta(days=3), 0), reason="Conference")
    Closure.objects.create(starts_at=local(booking_day + timedelta(days=1), 12),
                           ends_at=local(booking_day + timedelta(days=1), 14), reason="Staff meeting")


def test_front_desk_books_a_caller_into_a_specialists_first_free_time_by_keyboard(
    page, axe, staff_member, clinic
):
    sign_in(page, staff_member(FRONT_DESK))
    first = availability.find_slots(clinic["vein"], timezone.localdate(), 15, provider=clinic["marsh"],
                                    policy=availability.Policy.for_staff())[0]
    clicks = 0
    tab_to(page, page.get_by_role("link", name="Calendar", exact=True))
    page.keyboard.press("Enter")
    clicks += 1
    page.wait_for_url(re.compile("/calendar/"))
    axe(page)
    tab_to(page, page.get_by_role("link", name=re.compile(r"^First free: .* with Dr\. Elena Marsh \(book by phone\)$")))
    page.keyboard.press("Enter")
    clicks += 1

    expect(page.get_by_text("Safety check: read these to the caller first")).to_be_visible()
    expect(page.get_by_text(re.compile(r"3\. Patient: Vein evaluation, .* with Dr\. Elena Marsh"))).to_be_visible()
    for label, text in [("First name", "Phone"), ("Last name", "Caller"), ("Date of birth", "01021960"),
                        ("Email", "caller@example.com"), ("Phone number", "2015550100")]:
        tab_to(page, page.get_by_label(re.compile(rf"^{label}:?$")))
        page.keyboard.type(text)
    tab_to(page, page.get_by_role("radio", name="New to the clinic"))
    page.keyboard.press("Space")
    tab_to(page, page.get_by_role("checkbox", name=re.compile("agreed to the privacy notice")))
    page.keyboard.press("Space")
    tab_to(page, page.get_by_role("button", name="Book and confirm"))
    page.keyboard.press("Enter")
    clicks += 1

    page.wait_for_url(re.compile(r"/appointment/\d+/change/$"))  # booked: the new appointment's page
    expect(page.get_by_text(re.compile(r"Booked TVS-\w+ for Phone Caller\."))).to_be_visible()
    booked = Appointment.objects.get(last_name="Caller")
    assert (booked.provider, booked.starts_at, booked.status) == (clinic["marsh"], first.start, "confirmed")
    assert clicks <= 3


def test_day_and_week_views_are_accessible_fit_1280_and_read_as_they_should(
    page, axe, staff_member, clinic, booking_day, busy_week, tmp_path
):
    sign_in(page, staff_member(FRONT_DESK))
    page.goto(f"{CALENDAR}?date={booking_day.isoformat()}")
    free = page.get_by_role("link", name="10:00 AM, Dr. Elena Marsh, free")
    expect(free).to_be_visible()
    assert free.bounding_box()["height"] >= 24
    expect(page.get_by_role("link", name=re.compile(r"^9:00 AM to 9:45 AM, Dr\. Elena Marsh, Rosalind Patient0, "
                                                     r"Vein evaluation, Confirmed"))).to_be_visible()
    fits_the_screen(page)
    axe(page)
    page.screenshot(path=tmp_path / "day.png", full_page=True)

    page.goto(f"{CALENDAR}?date={booking_day.isoformat()}&span=week")
    expect(page.get_by_text("Time off: Conference")).to_be_visible()
    expect(page.get_by_text("Clinic closed: Staff meeting")).to_be_visible()
    fits_the_screen(page)
    axe(page)
    page.screenshot(path=tmp_path / "week.png", full_page=True)

    page.goto(f"{CALENDAR}?date={booking_day.isoformat()}&span=week&provider={clinic['okafor'].pk}")
    fits_the_screen(page)
    axe(page)


def test_the_day_prints_on_one_page_without_free_times_or_buttons(page, staff_member, booking_day, busy_week):
    sign_in(page, staff_member(FRONT_DESK))
    page.goto(f"{CALENDAR}?date={booking_day.isoformat()}")
    page.emulate_media(media="print")
    expect(page.get_by_role("link", name="10:00 AM, Dr. Elena Marsh, free")).to_be_hidden()
    expect(page.get_by_text("Rosalind Patient0")).to_be_visible()
    pdf = page.pdf(format="Letter")
    assert len(re.findall(rb"/Type\s*/Page\b", pdf)) == 1


def test_the_grid_works_without_javascript(chromium, live_server, staff_member, booking_day, busy_week):
    context = chromium.new_context(viewport=SCREEN, base_url=live_server.url, java_script_enabled=False)
    page = context.new_page()
    page.set_default_timeout(10_000)
    try:
        sign_in(page, staff_member(FRONT_DESK))
        page.goto(f"{CALENDAR}?date={booking_day.isoformat()}")
        page.get_by_role("link", name="10:00 AM, Dr. Elena Marsh, free").click()
        expect(page.get_by_role("button", name="Book and confirm")).to_be_visible()
    finally:
        context.close()


def test_move_picks_the_new_time_on_the_grid(page, axe, staff_member, clinic, booking_day, busy_week):
    sign_in(page, staff_member(FRONT_DESK))
    mover = Appointment.objects.get(last_name="Patient0")
    page.goto(f"/admin/appointments/appointment/{mover.pk}/change/")
    page.get_by_role("link", name="Move to another time").click()
    axe(page)
    fits_the_screen(page)
    page.get_by_role("button", name="2:30 PM, Dr. Samuel Okafor, free (move here)").click()
    expect(page.get_by_text(f"Moved {mover.reference}.")).to_be_visible()
    mover.refresh_from_db()
    assert (mover.provider, mover.starts_at) == (clinic["okafor"], local(booking_day, 14, 30))



def test_the_appointment_list_fits_1280_px_with_long_names_flags_and_titles(
    page, axe, staff_member, make_appointment, make_article, tmp_path
):
    article = make_article(title="Restless legs at night: iron, pregnancy, medicines and when to see a vein specialist")
    for number in range(3):
        make_appointment(hour=9 + number, first_name="Maximiliana-Josefina", last_name=f"Worthington-Abernathy{number}",
                         email=f"long{number}@example.com", reasons=["rls", "varicose", "swelling", "pain", "spider"],
                         rls_urge_to_move=True, rls_worse_at_rest=True, rls_relieved_by_movement=True,
                         source_article=article)
    sign_in(page, staff_member(FRONT_DESK))
    page.goto("/admin/appointments/appointment/")
    expect(page.get_by_role("link", name="Calendar", exact=True)).to_be_visible()
    fits_the_screen(page)
    table = page.locator("#changelist .results")
    assert table.evaluate("t => t.scrollWidth <= t.clientWidth"), "the list scrolls inside its box"
    last = page.locator("#result_list thead th").last.bounding_box()
    assert last["x"] + last["width"] <= SCREEN["width"], "the last column is cut"
    page.screenshot(path=tmp_path / "list.png", full_page=True)


def test_today_the_front_desk_checks_a_patient_in_from_the_grid(page, axe, staff_member, make_appointment, tmp_path):
    start = max(timezone.now().replace(second=0, microsecond=0) - timedelta(minutes=10),
                local(timezone.localdate(), 0))
    visit = make_appointment(start=start, status=Appointment.Status.CONFIRMED, last_name="Waiting")
    sign_in(page, staff_member(FRONT_DESK))
    page.goto(CALENDAR)
    axe(page)
    page.get_by_role("button", name=re.compile(r"^Arrived \(Rosalind Waiting, ")).click()
    expect(page.get_by_text(re.compile(rf"{visit.reference}: arrived at"))).to_be_visible()
    expect(page.locator(f"#appt-{visit.pk} .cal-state")).to_have_text(re.compile(r"^Arrived \d"))
    expect(page.get_by_role("button", name=re.compile("^Arrived"))).to_have_count(0)
    axe(page)
    page.screenshot(path=tmp_path / "today.png", full_page=True)
    visit.refresh_from_db()
    assert visit.arrived_at is not None
