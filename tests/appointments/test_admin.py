import threading
from datetime import timedelta
from http import HTTPStatus

import pytest
from django.db import connection
from django.test import Client
from django.urls import reverse
from django.utils import timezone

from appointments import booking
from appointments.models import Appointment, Provider
from audit.models import AuditEntry
from staff.roles import FRONT_DESK
from tests.appointments.fixtures import PATIENT, local, slot_key

CHANGELIST = reverse("admin:appointments_appointment_changelist")
HEADER_COUNT = (
    'SELECT COUNT(*) AS "__count" FROM "appointments_appointment" '
    """WHERE "appointments_appointment"."status" = 'requested'"""
)


def run_action(client, action, appointments, reason=""):
    """Run an action from the list of all appointments (the default list hides past visits)."""
    url = CHANGELIST + "?when=all&status=all"
    data = {"action": action, "_selected_action": [a.pk for a in appointments]}
    confirm_page = client.post(url, data)
    return confirm_page, client.post(url, {**data, "apply": "yes", "reason": reason}, follow=True)


def test_changelist_shows_requests_needing_triage_first(admin_client, make_appointment, booking_day):
    make_appointment(hour=15, status=Appointment.Status.REQUESTED, last_name="Waitingrequest")
    make_appointment(hour=9, status=Appointment.Status.CONFIRMED, last_name="Nineoclock")
    make_appointment(hour=9, day=timezone.localdate() - timedelta(days=30), status=Appointment.Status.COMPLETED,
                     last_name="Lastmonth")
    make_appointment(hour=8, status=Appointment.Status.CONFIRMED, last_name="Eightoclock")

    def rows(**params):
        html = admin_client.get(CHANGELIST, params).content.decode()
        return html[html.index('id="result_list"'):]

    default = rows()
    assert default.index("Waitingrequest") < default.index("Eightoclock") < default.index("Nineoclock")
    assert "Lastmonth" not in default
    assert "RLS 2/4" in default  # the triage flags: two of the four core features
    history = rows(when="all")  # newest first
    order = ["Waitingrequest", "Nineoclock", "Eightoclock", "Lastmonth"]
    assert sorted(order, key=history.index) == order


def test_changelist_opens_on_requests_and_upcoming_visits(admin_client, make_appointment):
    make_appointment(hour=10, status=Appointment.Status.CONFIRMED, last_name="Soon")
    make_appointment(hour=9, day=timezone.localdate() - timedelta(days=30), status=Appointment.Status.COMPLETED,
                     last_name="LongAgo")
    make_appointment(hour=9, day=timezone.localdate() - timedelta(days=2), last_name="StillWaiting")
    html = admin_client.get(CHANGELIST).content.decode()
    assert "Soon" in html
    assert "StillWaiting" in html  # an old request still needs an answer
    assert "LongAgo" not in html
    assert "LongAgo" in admin_client.get(CHANGELIST, {"when": "past"}).content.decode()


def test_needs_triage_filter_lists_only_requests(admin_client, make_appointment):
    make_appointment(hour=9, last_name="Waiting")
    make_appointment(hour=11, status=Appointment.Status.CONFIRMED, last_name="Settled")
    html = admin_client.get(CHANGELIST, {"triage": "needed"}).content.decode()
    assert "Waiting" in html
    assert "Settled" not in html


def test_staff_find_a_patient_by_the_phone_number_as_they_say_it(admin_client, make_appointment):
    make_appointment(last_name="Caller", phone="+12015550177")
    make_appointment(hour=11, last_name="Other", phone="+12015550100", email="other@example.com")
    html = admin_client.get(CHANGELIST, {"q": "(201) 555-0177"}).content.decode()
    assert "Caller" in html
    assert "Other" not in html


def test_phone_search_keeps_the_list_filters(admin_client, make_appointment):
    make_appointment(hour=9, last_name="Waiting", phone="+12015550177")
    make_appointment(hour=11, status=Appointment.Status.CONFIRMED, last_name="Settled", phone="+12015550177")
    html = admin_client.get(CHANGELIST, {"q": "201 555 0177", "triage": "needed"}).content.decode()
    assert "Waiting" in html
    assert "Settled" not in html


def test_search_by_name_and_reference_still_works(admin_client, make_appointment):
    wanted = make_appointment(hour=9, first_name="Ines", last_name="Okonkwo")
    make_appointment(hour=11, last_name="Other", email="other@example.com")
    assert "Okonkwo" in admin_client.get(CHANGELIST, {"q": "ines okonkwo"}).content.decode()
    html = admin_client.get(CHANGELIST, {"q": wanted.reference}).content.decode()
    assert "Okonkwo" in html
    assert "Other" not in html


@pytest.mark.parametrize("page", ["change", "history"])
def test_a_non_ascii_digit_in_the_address_is_not_found_rather_than_an_error(admin_client, page):
    response = admin_client.get(f"/admin/appointments/appointment/%C2%B2/{page}/", follow=True)
    assert response.status_code == HTTPStatus.OK
    assert "doesn’t exist" in response.content.decode()


def test_confirm_asks_first_then_confirms(admin_client, make_appointment):
    appointment = make_appointment()
    confirm_page, result = run_action(admin_client, "mark_confirmed", [appointment])
    assert "You are about to <strong>confirm</strong>" in confirm_page.content.decode()
    appointment.refresh_from_db()
    assert appointment.status == Appointment.Status.CONFIRMED
    assert "Confirm: 1 appointment(s)." in result.content.decode()


def test_decline_needs_a_reason_the_patient_will_see(admin_client, client, make_appointment):
    appointment = make_appointment()
    _, result = run_action(admin_client, "mark_declined", [appointment], reason="")
    assert "Give the patient a reason" in result.content.decode()
    appointment.refresh_from_db()
    assert appointment.status == Appointment.Status.REQUESTED

    run_action(admin_client, "mark_declined", [appointment], reason="We do not treat this condition.")
    appointment.refresh_from_db()
    assert appointment.status == Appointment.Status.DECLINED
    patient_page = client.get(appointment.get_absolute_url()).content.decode()
    assert "We do not treat this condition." in patient_page


@pytest.mark.parametrize(
    ("start_status", "action", "allowed"),
    [
        ("requested", "mark_confirmed", True),
        ("requested", "mark_completed", False),
        ("confirmed", "mark_completed", True),
        ("confirmed", "mark_no_show", True),
        ("confirmed", "mark_confirmed", False),
        ("cancelled", "mark_confirmed", False),
        ("completed", "mark_cancelled", False),
        ("declined", "mark_no_show", False),
    ],
)
def test_actions_only_make_valid_status_changes(admin_client, make_appointment, start_status, action, allowed):
    # Attendance is recorded for visits that have started; yesterday's, here.
    past = action in {"mark_completed", "mark_no_show"}
    appointment = make_appointment(status=start_status, day=timezone.localdate() - timedelta(days=1) if past else None)
    _, result = run_action(admin_client, action, [appointment], reason="Because.")
    appointment.refresh_from_db()
    changed = appointment.status != start_status
    assert changed is allowed
    if not allowed:
        assert "cannot be marked" in result.content.decode()


@pytest.mark.django_db(transaction=True)
def test_two_staff_confirming_the_same_request_at_once_one_succeeds(make_appointment):
    appointment = make_appointment()
    barrier = threading.Barrier(2)
    outcomes = []

    def confirm():
        barrier.wait(timeout=30)
        try:
            outcome = booking.confirm(appointment)
            outcomes.append(outcome.error or "confirmed")
        finally:
            connection.close()

    threads = [threading.Thread(target=confirm) for _ in range(2)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=60)
    assert sorted(outcomes) == ["A confirmed appointment cannot be marked confirmed.", "confirmed"]


def test_a_visit_cannot_be_marked_completed_before_it_starts(admin_client, make_appointment):
    appointment = make_appointment(status=Appointment.Status.CONFIRMED)
    _, result = run_action(admin_client, "mark_completed", [appointment])
    appointment.refresh_from_db()
    assert appointment.status == Appointment.Status.CONFIRMED
    assert "cannot be marked completed before it starts" in result.content.decode()


@pytest.mark.django_db(transaction=True)
def test_two_staff_confirming_the_same_request_in_the_admin_at_once_one_is_told_why_not(
    make_appointment, staff_member, sign_in
):
    appointment = make_appointment()
    clients = [sign_in(Client(), staff_member(FRONT_DESK, username=name)) for name in ("amira", "ben")]
    data = {"action": "mark_confirmed", "_selected_action": [appointment.pk], "apply": "yes", "reason": ""}
    barrier = threading.Barrier(2)
    pages = {}

    def confirm(client):
        barrier.wait(timeout=30)
        try:
            pages[client] = client.post(CHANGELIST, data, follow=True).content.decode()
        finally:
            connection.close()

    threads = [threading.Thread(target=confirm, args=[client]) for client in clients]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=60)
    outcomes = sorted(
        "confirmed" if "Confirm: 1 appointment(s)." in page
        else "refused" if "A confirmed appointment cannot be marked confirmed." in page
        else "unclear"
        for page in pages.values()
    )
    assert outcomes == ["confirmed", "refused"]
    appointment.refresh_from_db()
    assert appointment.status == Appointment.Status.CONFIRMED


def test_staff_book_a_caller_into_a_free_time(admin_client, clinic, booking_day, risk_factors):
    url = reverse("admin:appointments_appointment_book")
    query = {"visit_type": clinic["staff_only"].pk, "provider": clinic["marsh"].pk, "date": booking_day.isoformat()}
    page = admin_client.get(url, query).content.decode()
    assert "9:00 AM</span> <span class=\"slot-provider\">Dr. Elena Marsh" in page
    query["slot"] = slot_key(clinic['marsh'], local(booking_day, 9))
    data = {
        "first_name": "Phone", "last_name": "Caller", "date_of_birth": "1960-01-01", "email": "c@example.com",
        "phone": "(201) 555-0100", "preferred_contact": "phone", "is_new_patient": "false", "consent": "on",
    }
    booking_url = url + "?" + "&".join(f"{k}={v}" for k, v in query.items()).replace("+", "%2B")
    empty = admin_client.post(booking_url, {}).content.decode()
    assert "Enter the patient&#x27;s first name." in empty  # staff wording, not the patient's
    assert "Read the privacy notice to the patient and tick this box." in empty
    response = admin_client.post(booking_url, data)
    assert response.status_code == HTTPStatus.FOUND
    booked = Appointment.objects.get(last_name="Caller")
    assert booked.status == Appointment.Status.CONFIRMED
    assert booked.visit_type == clinic["staff_only"]


def test_staff_move_an_appointment_under_the_same_guarantee(admin_client, make_appointment, clinic):
    appointment = make_appointment(hour=9, status=Appointment.Status.CONFIRMED)
    make_appointment(hour=11, email="x@example.com")
    url = reverse("admin:appointments_appointment_move", args=[appointment.pk])
    page = admin_client.get(url).content.decode()
    assert "11:00 with Dr. Elena Marsh" not in page  # taken
    new_start = appointment.starts_at + timedelta(hours=4, minutes=30)  # 13:30
    response = admin_client.post(url, {"slot": slot_key(clinic['marsh'], timezone.localtime(new_start))})
    assert response.status_code == HTTPStatus.FOUND
    appointment.refresh_from_db()
    assert timezone.localtime(appointment.starts_at).hour == 13
    assert appointment.status == Appointment.Status.CONFIRMED


def test_schedule_shows_each_providers_day(admin_client, make_appointment, booking_day, clinic):
    make_appointment(hour=9, last_name="Morning", status=Appointment.Status.CONFIRMED)
    make_appointment(hour=10, provider="okafor", last_name="Okafors")
    make_appointment(hour=11, status=Appointment.Status.CANCELLED, last_name="Gone")
    url = reverse("admin:appointments_appointment_schedule")
    html = admin_client.get(url, {"date": booking_day.isoformat()}).content.decode()
    assert "Dr. Elena Marsh" in html
    assert "Dr. Samuel Okafor" in html
    assert "Rosalind Morning" in html
    assert "Rosalind Okafors" in html
    assert "Gone" not in html
    week = admin_client.get(url, {"date": booking_day.isoformat(), "span": "week"}).content.decode()
    assert "Rosalind Morning" in week


def test_schedule_keeps_a_departed_providers_remaining_visits(admin_client, make_appointment, booking_day, clinic):
    make_appointment(hour=10, provider="okafor", last_name="Handover", status=Appointment.Status.CONFIRMED)
    Provider.objects.filter(pk=clinic["okafor"].pk).update(active=False)
    Provider.objects.create(name="Dr. Long Gone", active=False)
    url = reverse("admin:appointments_appointment_schedule")
    html = admin_client.get(url, {"date": booking_day.isoformat()}).content.decode()
    assert "Rosalind Handover" in html
    assert "Dr. Samuel Okafor, MD (no longer active)" in html
    assert "Dr. Long Gone" not in html


@pytest.mark.parametrize("far", ["9999-12-31", "0001-01-01"])
def test_dates_years_away_fall_back_to_a_usable_day(admin_client, make_appointment, clinic, far):
    appointment = make_appointment()
    schedule = admin_client.get(reverse("admin:appointments_appointment_schedule"), {"date": far, "span": "week"})
    assert schedule.status_code == HTTPStatus.OK
    assert "more than three years away" in schedule.content.decode()
    move = admin_client.get(reverse("admin:appointments_appointment_move", args=[appointment.pk]), {"date": far})
    assert move.status_code == HTTPStatus.OK
    assert "more than three years away" in move.content.decode()
    book = admin_client.get(
        reverse("admin:appointments_appointment_book"), {"visit_type": clinic["vein"].pk, "date": far}
    )
    assert book.status_code == HTTPStatus.OK
    assert "Choose a date within three years of today." in book.content.decode()


def test_change_page_shows_the_intake_and_the_audit_trail(admin_client, make_appointment, admin_user):
    appointment = make_appointment(reasons=["rls"], rls_worse_evening=False)
    run_action(admin_client, "mark_confirmed", [appointment])
    url = reverse("admin:appointments_appointment_change", args=[appointment.pk])
    admin_client.get(url)
    html = admin_client.get(url).content.decode()
    assert "RLS core features 1/4" in html
    assert PATIENT["notes"] in html
    assert "Changed: status" in html
    assert "(status Requested → Confirmed) by admin" in html
    assert "Viewed by admin" in html


def test_audit_trail_credits_the_patient_only_for_their_online_request(admin_client, make_appointment):
    appointment = make_appointment()  # created with no one signed in, as the website does
    booking.confirm(appointment)  # a shell or command: no user
    url = reverse("admin:appointments_appointment_change", args=[appointment.pk])
    html = admin_client.get(url).content.decode()
    assert "Created (status — → Requested) by the patient online" in html
    assert "(status Requested → Confirmed) by system" in html


def test_opening_the_move_page_or_the_history_is_audited(admin_client, make_appointment):
    appointment = make_appointment(status=Appointment.Status.CONFIRMED)
    admin_client.get(reverse("admin:appointments_appointment_move", args=[appointment.pk]))
    admin_client.get(reverse("admin:appointments_appointment_history", args=[appointment.pk]))
    views = AuditEntry.objects.filter(appointment_id=appointment.pk, action="view")
    assert [entry.username for entry in views] == ["admin", "admin"]
