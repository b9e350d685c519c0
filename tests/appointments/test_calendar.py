"""The front desk's calendar: a seeded day on the grid, its free times, closures, booking from it, check-in."""

import re
from datetime import datetime, time, timedelta
from html import unescape
from http import HTTPStatus
from urllib.parse import parse_qs, urlsplit

import pytest
from django.urls import reverse
from django.utils import timezone

from appointments import availability
from appointments.models import Appointment, Closure
from audit.models import AuditEntry
from staff.roles import CLINICIAN, FRONT_DESK
from tests.appointments.fixtures import INTAKE_TEXT, local

CALENDAR = reverse("admin:appointments_appointment_calendar")
CHECK_IN = reverse("admin:appointments_appointment_check_in")
Status = Appointment.Status


@pytest.fixture
def desk(client, staff_member, sign_in):
    return sign_in(client, staff_member(FRONT_DESK))


@pytest.fixture
def clinician(client, staff_member, sign_in):
    return sign_in(client, staff_member(CLINICIAN))


def column(html: str, key: str) -> str:
    """The HTML of one grid column: "p<provider id>" on a day, "d<YYYY-MM-DD>" on a week."""
    match = re.search(rf'<section class="cal-col" aria-labelledby="col-{key}">(.*?)</section>', html, re.S)
    assert match, f"no column {key}"
    return match.group(1)


def block(html: str, appointment) -> str:
    match = re.search(rf'<li id="appt-{appointment.pk}" class="([^"]*)">(.*?)</li>', html, re.S)
    assert match, f"appointment {appointment.pk} is not on the grid"
    text = re.sub(r"\s+", " ", re.sub(r"<[^>]+>", "", unescape(match.group(2))))
    return f"{match.group(1)} {text}"


def free_times(html: str) -> set[str]:
    """The slot of every free time's booking link."""
    links = re.findall(r'<li class="cal-free [^"]*"><a href="([^"]+)"', html)
    return {parse_qs(urlsplit(unescape(link)).query)["slot"][0] for link in links}


@pytest.fixture
def seeded_day(make_appointment, clinic, booking_day):
    """A Monday: Dr. Marsh sees Alpha at 9:00 and Gamma at 14:00, Dr. Okafor sees Beta at 10:30."""
    return {
        "alpha": make_appointment(hour=9, last_name="Alpha", status=Status.CONFIRMED),
        "beta": make_appointment(hour=10, minute=30, provider="okafor", last_name="Beta", email="b@example.com"),
        "gamma": make_appointment(hour=14, last_name="Gamma", email="g@example.com", status=Status.CONFIRMED),
        "gone": make_appointment(hour=11, last_name="Gone", email="x@example.com", status=Status.CANCELLED),
    }


def test_a_seeded_days_grid_shows_each_appointment_at_its_time_and_specialist(desk, seeded_day, clinic, booking_day):
    html = desk.get(CALENDAR, {"date": booking_day.isoformat()}).content.decode()
    marsh, okafor = column(html, f"p{clinic['marsh'].pk}"), column(html, f"p{clinic['okafor'].pk}")
    assert "Dr. Elena Marsh" in marsh
    assert "Dr. Samuel Okafor" in okafor
    # The grid starts at 9 AM (their earliest hour): th/tm is hours/minutes from there, lh/lm the length.
    alpha, gamma, beta = (block(html, seeded_day[name]) for name in ("alpha", "gamma", "beta"))
    assert "th0 tm0 lh0 lm45" in alpha
    assert "9:00 AM" in alpha
    assert "Rosalind Alpha" in alpha
    assert "Vein evaluation" in alpha
    assert "Confirmed" in alpha
    assert "cal-confirmed" in alpha
    assert "th5 tm0 lh0 lm45" in gamma
    assert "2:00 PM" in gamma
    assert "th1 tm30 lh0 lm45" in beta
    assert "Requested" in beta
    assert "cal-requested" in beta
    assert f"appt-{seeded_day['alpha'].pk}" in marsh
    assert f"appt-{seeded_day['beta'].pk}" in okafor
    assert f"appt-{seeded_day['beta'].pk}" not in marsh
    assert "Gone" not in html  # cancelled visits leave the grid
    assert "9:00 AM to 9:45 AM, Dr. Elena Marsh, Rosalind Alpha, Vein evaluation, Confirmed" in alpha


def test_the_grids_free_times_are_availabilitys_for_that_day(desk, seeded_day, clinic, booking_day):
    html = desk.get(CALENDAR, {"date": booking_day.isoformat(), "visit_type": clinic["vein"].pk}).content.decode()
    expected = availability.find_slots(clinic["vein"], booking_day, 1, policy=availability.Policy.for_staff())
    assert free_times(html) == {slot.key for slot in expected}
    assert len(expected) > 10
    # Another visit type, other free times: the RLS consultation is Dr. Marsh's only.
    rls = desk.get(CALENDAR, {"date": booking_day.isoformat(), "visit_type": clinic["rls"].pk}).content.decode()
    expected_rls = availability.find_slots(clinic["rls"], booking_day, 1, policy=availability.Policy.for_staff())
    assert free_times(rls) == {slot.key for slot in expected_rls}
    assert "free" not in column(rls, f"p{clinic['okafor'].pk}")


def test_a_free_time_reads_as_its_time_specialist_and_free(desk, clinic, booking_day):
    html = desk.get(CALENDAR, {"date": booking_day.isoformat()}).content.decode()
    links = re.findall(r'<li class="cal-free [^"]*"><a [^>]+>(.*?)</a>', html)
    names = {re.sub(r"<[^>]+>", "", link) for link in links}
    assert "9:30 AM,Dr. Elena Marsh, free" in names  # the browser reads "9:30 AM, Dr. Elena Marsh, free" (e2e)


def test_closures_and_time_off_are_shaded_with_their_reason(desk, seeded_day, clinic, booking_day):
    Closure.objects.create(provider=clinic["okafor"], starts_at=local(booking_day, 13, 30),
                           ends_at=local(booking_day, 17), reason="Vascular ultrasound course")
    html = desk.get(CALENDAR, {"date": booking_day.isoformat()}).content.decode()
    okafor = column(html, f"p{clinic['okafor'].pk}")
    assert re.search(r'class="cal-shade closure th4 tm30 lh3 lm30"><span>Time off: Vascular ultrasound course', okafor)
    assert "Vascular" not in column(html, f"p{clinic['marsh'].pk}")
    assert '"cal-shade off th3 tm30 lh1 lm0"' in okafor  # lunch, 12:30 to 1:30
    assert not any(key.startswith(f"{clinic['okafor'].pk}@") and "T14" in key for key in free_times(html))

    Closure.objects.create(starts_at=local(booking_day, 0), ends_at=local(booking_day + timedelta(days=1), 0),
                           reason="Staff training day")
    closed = desk.get(CALENDAR, {"date": booking_day.isoformat()}).content.decode()
    assert closed.count("Clinic closed: Staff training day") == 2  # both columns
    assert free_times(closed) == set()


def test_a_free_time_opens_phone_booking_prefilled(desk, clinic, booking_day):
    html = desk.get(CALENDAR, {"date": booking_day.isoformat(), "provider": clinic["okafor"].pk}).content.decode()
    link = unescape(re.search(r'<li class="cal-free [^"]*"><a href="([^"]+)">10:00 AM', html).group(1))
    page = desk.get(link).content.decode()
    assert page.index("Safety check: read these to the caller first") < page.index("3. Patient:")
    assert re.search(r"3\. Patient: Vein evaluation, .*10:00 AM.* with Dr. Samuel Okafor", page)
    assert 'name="first_name"' in page
    assert re.search(rf'<option value="{clinic["okafor"].pk}" selected>', page)


def test_each_specialists_first_free_time_is_one_click_from_the_day(desk, make_appointment, clinic, booking_day):
    for hour in (9, 10, 11):
        make_appointment(hour=hour, provider="okafor", email=f"{hour}@example.com")
    html = desk.get(CALENDAR, {"date": booking_day.isoformat(), "provider": clinic["okafor"].pk}).content.decode()
    first = re.search(r'class="cal-first-free" href="([^"]+)">First free: ([^<]+)<', html)
    assert first.group(2) == f"{booking_day:%a %b} {booking_day.day}, 1:30 PM"
    assert desk.get(unescape(first.group(1))).status_code == HTTPStatus.OK


def test_the_week_has_a_column_per_working_day_for_one_specialist_or_all(desk, seeded_day, clinic, booking_day):
    week = desk.get(CALENDAR, {"date": booking_day.isoformat(), "span": "week"}).content.decode()
    for offset in range(5):
        column(week, f"d{(booking_day + timedelta(days=offset)).isoformat()}")
    assert f"col-d{(booking_day + timedelta(days=5)).isoformat()}" not in week  # nobody works Saturdays
    assert "Not shown, nobody works and nothing is booked: Sat" in week
    monday = column(week, f"d{booking_day.isoformat()}")
    assert "Rosalind Alpha" in monday
    assert "Rosalind Beta" in monday
    assert "lane1 lanes2" in block(week, seeded_day["beta"])  # Dr. Okafor's lane of the day
    alone = desk.get(CALENDAR, {"date": booking_day.isoformat(), "span": "week", "provider": clinic["marsh"].pk})
    assert "Rosalind Alpha" in alone.content.decode()
    assert "Rosalind Beta" not in alone.content.decode()


def test_reading_the_calendar_is_audited_by_appointment_without_contents(desk, seeded_day, booking_day):
    desk.get(CALENDAR, {"date": booking_day.isoformat()})
    views = AuditEntry.objects.filter(action="list", where="calendar (day)")
    shown = {seeded_day[name].pk for name in ("alpha", "beta", "gamma")}
    assert {entry.appointment_id for entry in views} == shown
    assert {entry.username for entry in views} == {"front-desk"}
    stored = " ".join(str(vars(entry)) for entry in views)
    assert not any(text in stored for text in INTAKE_TEXT)


@pytest.mark.parametrize("query", [{"date": "2026-02-30"}, {"provider": "²"}, {"visit_type": "9" * 40},
                                   {"span": "year"}, {"date": "9999-12-31", "span": "week"}])
def test_odd_addresses_show_a_usable_calendar(desk, clinic, query):
    assert desk.get(CALENDAR, query).status_code == HTTPStatus.OK


def now_visit(make_appointment, minutes_ago, **details):
    """A confirmed visit that started `minutes_ago`, or at midnight if that was yesterday: today's grid has it."""
    start = max(timezone.now().replace(second=0, microsecond=0) - timedelta(minutes=minutes_ago),
                local(timezone.localdate(), 0))
    return make_appointment(start=start, status=Status.CONFIRMED, **details)


def test_front_desk_checks_a_patient_in_and_the_clinician_marks_them_seen(desk, client, staff_member, sign_in,
                                                                         make_appointment):
    visit = now_visit(make_appointment, 5, last_name="Here")
    today = desk.get(CALENDAR).content.decode()
    assert "Arrived<span class=\"visually-hidden\">(Rosalind Here" in block_html(today, visit)
    response = desk.post(CHECK_IN, {"appointment": visit.pk, "step": "arrived"}, follow=True)
    assert response.redirect_chain[-1][0].endswith(f"#appt-{visit.pk}")
    assert f"{visit.reference}: arrived at" in response.content.decode()
    visit.refresh_from_db()
    assert visit.arrived_at is not None
    assert visit.status == Status.CONFIRMED
    checked_in = block(response.content.decode(), visit)
    assert "Arrived " in checked_in
    assert "cal-arrived" in checked_in
    arrival = AuditEntry.objects.filter(appointment_id=visit.pk, action="change").latest("occurred_at")
    assert arrival.changed_fields == ["arrived_at"]
    assert arrival.username == "front-desk"

    # The front desk does not record attendance; the clinician does, and "No-show" is gone: they came.
    assert desk.post(CHECK_IN, {"appointment": visit.pk, "step": "seen"}).status_code == HTTPStatus.FORBIDDEN
    doctor = sign_in(client, staff_member(CLINICIAN))
    grid = block_html(doctor.get(CALENDAR).content.decode(), visit)
    assert 'value="seen"' in grid
    assert 'value="no_show"' not in grid
    assert 'value="arrived"' not in grid
    doctor.post(CHECK_IN, {"appointment": visit.pk, "step": "seen"})
    visit.refresh_from_db()
    assert visit.status == Status.COMPLETED
    seen = AuditEntry.objects.filter(appointment_id=visit.pk, action="change").latest("occurred_at")
    assert seen.changes["status"] == {"from": "confirmed", "to": "completed"}
    assert seen.username == "clinician"


def block_html(html, appointment) -> str:
    return re.search(rf'<li id="appt-{appointment.pk}" .*?</li>', html, re.S).group(0)


def test_no_show_only_for_a_visit_that_never_arrived(clinician, make_appointment):
    missing = now_visit(make_appointment, 20, last_name="Missing")
    came = now_visit(make_appointment, 90, last_name="Came", provider="okafor", email="c@example.com")
    Appointment.objects.filter(pk=came.pk).update(arrived_at=timezone.now() - timedelta(minutes=95))
    html = clinician.get(CALENDAR).content.decode()
    assert 'value="no_show"' in block_html(html, missing)
    assert 'value="no_show"' not in block_html(html, came)

    response = clinician.post(CHECK_IN, {"appointment": came.pk, "step": "no_show"}, follow=True)
    assert "was checked in as arrived: this visit is not a no-show" in response.content.decode()
    came.refresh_from_db()
    assert came.status == Status.CONFIRMED
    clinician.post(CHECK_IN, {"appointment": missing.pk, "step": "no_show"})
    missing.refresh_from_db()
    assert missing.status == Status.NO_SHOW
    entry = AuditEntry.objects.filter(appointment_id=missing.pk, action="change").latest("occurred_at")
    assert entry.changes["status"] == {"from": "confirmed", "to": "no_show"}
    assert entry.username == "clinician"


def test_check_in_is_for_todays_confirmed_visits_only(desk, make_appointment, booking_day):
    future = make_appointment(status=Status.CONFIRMED)
    response = desk.post(CHECK_IN, {"appointment": future.pk, "step": "arrived"}, follow=True)
    assert "Only a confirmed visit of today can be checked in." in response.content.decode()
    assert desk.get(CHECK_IN).status_code == HTTPStatus.METHOD_NOT_ALLOWED
    assert desk.post(CHECK_IN, {"appointment": future.pk, "step": "teleported"}).status_code == HTTPStatus.BAD_REQUEST
    assert desk.post(CHECK_IN, {"appointment": "²", "step": "arrived"}).status_code == HTTPStatus.NOT_FOUND
    future.refresh_from_db()
    assert future.arrived_at is None


def test_move_shows_the_same_grid_and_moves_to_the_free_time_picked(desk, make_appointment, clinic, booking_day):
    appointment = make_appointment(hour=9, status=Status.CONFIRMED, last_name="Mover")
    make_appointment(hour=11, provider="okafor", email="o@example.com", last_name="Other")
    url = reverse("admin:appointments_appointment_move", args=[appointment.pk])
    html = desk.get(url).content.decode()
    assert "cal-moving" in block(html, appointment)
    assert "Rosalind Other" in html
    buttons = re.findall(r'<button type="submit" form="move-form" name="slot" value="([^"]+)">', html)
    expected = availability.find_slots(clinic["vein"], booking_day, 1, policy=availability.Policy.for_staff(),
                                       ignore=appointment.pk)
    assert set(map(unescape, buttons)) == {slot.key for slot in expected}
    target = next(key for key in map(unescape, buttons) if key.startswith(f"{clinic['okafor'].pk}@")
                  and "T14:00" in key)
    assert desk.post(url, {"slot": target}).status_code == HTTPStatus.FOUND
    appointment.refresh_from_db()
    assert appointment.provider == clinic["okafor"]
    assert timezone.localtime(appointment.starts_at).time() == time(14)
    taken = desk.post(url, {"slot": f"{clinic['okafor'].pk}@{local(booking_day, 11).isoformat()}"}, follow=True)
    assert "Choose one of the free times shown." in taken.content.decode()


def seed_week(clinic, monday, per_day):
    """`per_day` 30-minute visits a day for each specialist, Monday to Friday."""
    rls = clinic["rls"]
    rows = []
    for offset in range(5):
        for provider in (clinic["marsh"], clinic["okafor"]):
            for number in range(per_day):
                start = datetime.combine(monday + timedelta(days=offset), time(9), tzinfo=local(monday, 9).tzinfo)
                start += timedelta(minutes=30 * number + (60 if number >= 7 else 0))
                rows.append(Appointment(
                    visit_type=rls, provider=provider, location=clinic["location"], starts_at=start,
                    ends_at=start + rls.duration, busy_until=start + rls.duration, status=Status.CONFIRMED,
                    first_name="Pat", last_name=f"Number{len(rows)}", email=f"p{len(rows)}@example.com",
                    phone="+12015550100", consent_version="phone", consented_at=timezone.now(),
                    manage_token_hash=f"{len(rows):064d}", reference=f"TVS-W{len(rows):05d}",
                ))
    Appointment.objects.bulk_create(rows)
    return rows


def week_queries(desk, booking_day, django_assert_num_queries, count):
    with django_assert_num_queries(count):
        response = desk.get(CALENDAR, {"date": booking_day.isoformat(), "span": "week"})
    assert response.status_code == HTTPStatus.OK
    return response


@pytest.mark.parametrize("per_day", [1, 8])
def test_a_week_of_two_specialists_and_80_appointments_takes_seventeen_queries(
    desk, clinic, booking_day, django_assert_num_queries, per_day
):
    """Nine around the grid: session, user, second-factor device, audit context set and cleared, the user's
    permissions (own and through groups), the header's count awaiting triage, one insert of the audit
    entries. Eight for the grid: visit types, specialists, appointments, working hours, closures, and
    availability's three (working hours, busy times, closures). The same for 10 appointments as for 80."""
    seed_week(clinic, booking_day, per_day)
    response = week_queries(desk, booking_day, django_assert_num_queries, 17)
    assert response.content.decode().count('class="cal-appt ') == 10 * per_day
    assert AuditEntry.objects.filter(action="list", where="calendar (week)").count() == 10 * per_day
