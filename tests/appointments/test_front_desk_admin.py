"""The appointment's admin page and the phone booking page, as the front desk uses them."""

import re
from datetime import date, timedelta
from http import HTTPStatus

import pytest
from django.urls import reverse
from django.utils import timezone

from appointments.models import Appointment
from audit.models import AuditEntry
from staff.roles import CLINICIAN, CONTENT_EDITOR, FRONT_DESK
from tests.appointments.fixtures import local, slot_key

CHANGELIST = reverse("admin:appointments_appointment_changelist")
BOOK = reverse("admin:appointments_appointment_book")
COUNT = reverse("admin:appointments_appointment_awaiting_triage")


def change_page(appointment):
    return reverse("admin:appointments_appointment_change", args=[appointment.pk])


def status_page(appointment, status):
    return reverse("admin:appointments_appointment_status", args=[appointment.pk, status])


@pytest.fixture
def desk(client, staff_member, sign_in):
    return sign_in(client, staff_member(FRONT_DESK))


def visit(make_appointment, hours, **details):
    start = timezone.now().replace(second=0, microsecond=0) + timedelta(hours=hours)
    return make_appointment(start=start, **details)


def test_change_page_offers_the_steps_a_request_can_take(desk, make_appointment):
    request = visit(make_appointment, 48)
    html = desk.get(change_page(request)).content.decode()
    for status in ("confirmed", "declined", "cancelled"):
        assert f'href="{status_page(request, status)}"' in html
    assert status_page(request, "completed") not in html  # not before the visit


def test_attendance_buttons_appear_once_the_visit_has_started(client, staff_member, sign_in, make_appointment):
    clinician = sign_in(client, staff_member(CLINICIAN))
    started = visit(make_appointment, -1, status=Appointment.Status.CONFIRMED)
    html = clinician.get(change_page(started)).content.decode()
    assert status_page(started, "completed") in html
    assert status_page(started, "no_show") in html
    assert status_page(started, "cancelled") not in html  # a clinician does not triage


def test_the_status_page_refuses_roles_without_the_permission(client, staff_member, sign_in, make_appointment):
    clinician = sign_in(client, staff_member(CLINICIAN))
    request = visit(make_appointment, 48)
    assert clinician.get(status_page(request, "confirmed")).status_code == HTTPStatus.FORBIDDEN
    clinician.post(status_page(request, "confirmed"), {"apply": "yes"})
    request.refresh_from_db()
    assert request.status == Appointment.Status.REQUESTED


def test_confirming_from_the_page_goes_back_to_the_page(desk, make_appointment):
    request = visit(make_appointment, 48)
    response = desk.post(status_page(request, "confirmed"), {"apply": "yes", "reason": ""}, follow=True)
    assert response.redirect_chain[-1][0] == change_page(request)
    assert "Confirm: 1 appointment(s)." in response.content.decode()
    request.refresh_from_db()
    assert request.status == Appointment.Status.CONFIRMED


def test_an_unknown_status_is_not_found(desk, make_appointment):
    request = visit(make_appointment, 48)
    assert desk.get(status_page(request, "teleported")).status_code == HTTPStatus.NOT_FOUND


def test_change_page_reads_in_staff_words_with_age_and_12_hour_times(desk, make_appointment):
    request = visit(make_appointment, 48, date_of_birth=date(1968, 2, 14))
    html = desk.get(change_page(request)).content.decode()
    assert "Rls urge to move" not in html
    assert "Rls worse evening" not in html
    assert "Urge to move the legs" in html
    age = request.age_on(timezone.localdate())
    assert f"{age} years old" in html
    when = timezone.localtime(request.starts_at)
    assert f"{when:%a %b} {when.day}, {when.year}, {when.hour % 12 or 12}:{when:%M %p}" in html
    assert "Created (status — → Requested)" in html


def test_the_list_hides_cancelled_and_declined_unless_asked(desk, make_appointment):
    visit(make_appointment, 48, last_name="Stillcoming")
    visit(make_appointment, 50, last_name="Calledoff", status=Appointment.Status.CANCELLED)
    visit(make_appointment, 52, last_name="Turneddown", status=Appointment.Status.DECLINED)
    default = desk.get(CHANGELIST).content.decode()
    assert "Stillcoming" in default
    assert "Calledoff" not in default
    assert "Turneddown" not in default
    everything = desk.get(CHANGELIST, {"status": "all"}).content.decode()
    assert "Calledoff" in everything
    assert "Turneddown" in everything
    assert "Calledoff" in desk.get(CHANGELIST, {"status": "cancelled"}).content.decode()


def test_the_list_shows_times_as_us_clinics_write_them(desk, make_appointment):
    # An afternoon visit: before 1 PM the 24-hour and 12-hour readings are the same string.
    make_appointment(hour=14, minute=45)
    html = desk.get(CHANGELIST).content.decode()
    assert "2:45 PM</span>" in html
    assert "14:45" not in html


def test_the_page_lists_the_same_patients_other_visits(desk, make_appointment):
    current = visit(make_appointment, 48)
    earlier = visit(make_appointment, -24 * 40, status=Appointment.Status.COMPLETED,
                    email="ROSALIND.quarterman@example.com")  # the same address, typed in capitals
    stranger = visit(make_appointment, 72, email="someone.else@example.com")
    namesake = visit(make_appointment, 96, date_of_birth=date(1990, 1, 1))
    html = desk.get(change_page(current)).content.decode()
    section = html[html.index("Other visits of this patient"):]
    assert change_page(earlier) in section
    assert change_page(stranger) not in section
    assert change_page(namesake) not in section
    # The list shows no patient details, so it is not a view of those visits.
    assert not AuditEntry.objects.filter(appointment_id=earlier.pk, action="view").exists()


def test_other_visits_are_one_query_however_many(desk, make_appointment, django_assert_max_num_queries):
    current = visit(make_appointment, 48)
    for week in range(1, 6):
        visit(make_appointment, -24 * 7 * week, status=Appointment.Status.COMPLETED)
    desk.get(change_page(current))
    with django_assert_max_num_queries(40) as queries:
        desk.get(change_page(current))
    few = len(queries)
    for week in range(6, 12):
        visit(make_appointment, -24 * 7 * week, status=Appointment.Status.COMPLETED)
    with django_assert_max_num_queries(few):
        desk.get(change_page(current))


def test_the_triage_count_answers_staff_only(desk, client, staff_member, sign_in, make_appointment):
    visit(make_appointment, 48)
    visit(make_appointment, 50, status=Appointment.Status.CONFIRMED)
    response = desk.get(COUNT)
    assert response.json() == {"awaiting_triage": 1}
    assert "no-store" in response["Cache-Control"]
    desk.logout()
    editor = sign_in(client, staff_member(CONTENT_EDITOR))
    assert editor.get(COUNT).status_code == HTTPStatus.FORBIDDEN
    assert 'id="triage-count"' not in editor.get(reverse("admin:index")).content.decode()


def test_every_admin_page_shows_the_count_with_its_script_under_the_nonce(desk, make_appointment):
    visit(make_appointment, 48)
    response = desk.get(reverse("admin:appointments_appointment_schedule"))
    html = response.content.decode()
    assert 'class="triage-count-number">1</span> <span class="triage-count-words">request awaiting triage' in html
    nonce = str(response.context["csp_nonce"])
    assert re.search(rf'<script src="[^"]*triage_count[^"]*" defer nonce="{nonce}">', html)
    assert f"'nonce-{nonce}'" in response["Content-Security-Policy"]


def test_book_by_phone_reads_the_red_flag_questions_to_the_caller(desk):
    html = desk.get(BOOK).content.decode()
    assert "Safety check: read these to the caller first" in html
    assert "Right now, do you have any of these?" in html
    assert "Sudden swelling, pain, warmth or redness in one leg?" in html
    assert "Sudden shortness of breath or chest pain?" in html


@pytest.mark.parametrize("typed", ["quarterman", "02/14/1968", "1968-02-14", "(201) 555-0199"])
def test_book_by_phone_finds_a_returning_patient(desk, make_appointment, typed):
    visit(make_appointment, -24 * 30, status=Appointment.Status.COMPLETED)
    visit(make_appointment, -24 * 60, status=Appointment.Status.COMPLETED)
    html = desk.get(BOOK, {"find": typed}).content.decode()
    assert html.count("Use these details") == 1  # one patient, however many visits
    assert "Rosalind Quarterman" in html
    assert "errorlist" not in html  # a search alone does not flag the empty visit and date


def test_erased_visits_are_never_found(desk, make_appointment):
    old = visit(make_appointment, -24 * 400, status=Appointment.Status.COMPLETED)
    Appointment.objects.filter(pk=old.pk).erase_patient_details()
    assert "Use these details" not in desk.get(BOOK, {"find": "Quarterman"}).content.decode()


def test_a_returning_patient_prefills_the_booking_form(desk, make_appointment, clinic, booking_day):
    earlier = visit(make_appointment, -24 * 30, status=Appointment.Status.COMPLETED)
    slot = slot_key(clinic['marsh'], local(booking_day, 9))
    query = {"patient": earlier.pk, "visit_type": clinic["vein"].pk, "provider": clinic["marsh"].pk,
             "date": booking_day.isoformat(), "slot": slot}
    response = desk.get(BOOK, query)
    form = response.context["form"]
    assert form["first_name"].value() == "Rosalind"
    assert form["email"].value() == "rosalind.quarterman@example.com"
    assert form["is_new_patient"].value() == "false"
    assert str(form["date_of_birth"].value()) == "1968-02-14"
    assert AuditEntry.objects.filter(appointment_id=earlier.pk, action="view", username="front-desk").exists()


def test_time_buttons_carry_the_returning_patient_along(desk, make_appointment, clinic, booking_day):
    earlier = visit(make_appointment, -24 * 30, status=Appointment.Status.COMPLETED)
    query = {"patient": earlier.pk, "visit_type": clinic["vein"].pk, "date": booking_day.isoformat()}
    html = desk.get(BOOK, query).content.decode()
    assert f"patient={earlier.pk}&amp;visit_type" in html
    assert 'class="slot-time">9:00 AM</span>' in html


@pytest.mark.parametrize(
    "query",
    # A patient number too long to be ours is a 400 (tests/security/test_overlong_numbers.py).
    [{"find": "ab\x00cd"}, {"find": "x" * 500}, {"find": "13/45/1968"}, {"patient": "999999999999999999"},
     {"patient": "²"}, {"find": "a"}],
)
def test_odd_lookups_on_the_phone_booking_page_never_fail(desk, query):
    response = desk.get(BOOK, query)
    assert response.status_code == HTTPStatus.OK
    html = response.content.decode()
    assert "Use these details" not in html


def test_a_lookup_too_short_says_so_next_to_the_field(desk):
    html = desk.get(BOOK, {"find": "a"}).content.decode()
    assert "Type at least two letters or digits." in html


@pytest.mark.parametrize("pk", ["99999999999999999999999", "0"])
def test_odd_ids_on_the_status_page_are_not_found(desk, pk):
    response = desk.get(f"/admin/appointments/appointment/{pk}/status/confirmed/")
    assert response.status_code == HTTPStatus.NOT_FOUND
