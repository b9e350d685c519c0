"""Each staff role against each admin page and action: allowed or refused (least privilege)."""

from datetime import timedelta
from http import HTTPStatus
from urllib.parse import quote

import pytest
from django.test import Client
from django.urls import reverse
from django.utils import timezone

from appointments.models import Appointment
from audit.models import AuditEntry
from staff.roles import CLINIC_MANAGER, CLINICIAN, CONTENT_EDITOR, FRONT_DESK
from tests.appointments.fixtures import local, next_weekday, slot_key

ROLES = [FRONT_DESK, CLINICIAN, CONTENT_EDITOR, CLINIC_MANAGER]
CHANGELIST = reverse("admin:appointments_appointment_changelist")
# Actions run from the list of all appointments: the default list hides past visits.
ALL_APPOINTMENTS = CHANGELIST + "?when=all"

# page -> the roles allowed to use it
MATRIX = {
    "list": {FRONT_DESK, CLINICIAN, CLINIC_MANAGER},
    "change": {FRONT_DESK, CLINICIAN, CLINIC_MANAGER},
    "add": {FRONT_DESK, CLINIC_MANAGER},
    "delete": set(),  # nobody deletes an appointment, not even a manager: they erase its details
    "erase details": {CLINIC_MANAGER},
    "history": {FRONT_DESK, CLINICIAN, CLINIC_MANAGER},
    "export": {CLINIC_MANAGER},
    "schedule": {FRONT_DESK, CLINICIAN, CLINIC_MANAGER},
    "calendar": {FRONT_DESK, CLINICIAN, CLINIC_MANAGER},
    "check in (arrived)": {FRONT_DESK, CLINICIAN, CLINIC_MANAGER},
    "check in (seen)": {CLINICIAN, CLINIC_MANAGER},
    "move page": {FRONT_DESK, CLINIC_MANAGER},
    "move": {FRONT_DESK, CLINIC_MANAGER},
    "book": {FRONT_DESK, CLINIC_MANAGER},
    "confirm": {FRONT_DESK, CLINIC_MANAGER},
    "decline": {FRONT_DESK, CLINIC_MANAGER},
    "cancel": {FRONT_DESK, CLINIC_MANAGER},
    "mark completed": {CLINICIAN, CLINIC_MANAGER},
    "mark no-show": {CLINICIAN, CLINIC_MANAGER},
    "opening hours": {CLINIC_MANAGER},
    "articles": {CONTENT_EDITOR, CLINIC_MANAGER},
    "audit trail": {CLINIC_MANAGER},
    "insights": {CLINIC_MANAGER},
}


def use(page: str, client: Client, appointment: Appointment) -> bool:
    """Use the page as the signed-in user; True when it let them."""
    if page in PAGES:
        return opens(page, client, appointment)
    if page in STATUS_ACTIONS:
        return changes_status(page, client, appointment)
    return ACTIONS[page](client, appointment)


# Pages a role may open or not: the address of each, for this appointment.
PAGES = {
    "list": lambda appointment: CHANGELIST,
    "change": lambda appointment: reverse("admin:appointments_appointment_change", args=[appointment.pk]),
    "delete": lambda appointment: reverse("admin:appointments_appointment_delete", args=[appointment.pk]),
    "history": lambda appointment: reverse("admin:appointments_appointment_history", args=[appointment.pk]),
    "schedule": lambda appointment: reverse("admin:appointments_appointment_schedule"),
    "calendar": lambda appointment: reverse("admin:appointments_appointment_calendar"),
    "articles": lambda appointment: reverse("admin:articles_article_changelist"),
    "audit trail": lambda appointment: reverse("admin:audit_auditentry_changelist"),
    "insights": lambda appointment: reverse("admin:appointments_appointment_insights"),
    "opening hours": lambda appointment: reverse("admin:appointments_provider_change", args=[appointment.provider_id]),
    "move page": lambda appointment: reverse("admin:appointments_appointment_move", args=[appointment.pk]),
}


def opens(page: str, client: Client, appointment: Appointment) -> bool:
    response = client.get(PAGES[page](appointment))
    if page == "opening hours":
        # Everyone with view access sees the page; only managers get a form that saves.
        return response.status_code == HTTPStatus.OK and b'name="_save"' in response.content
    return response.status_code == HTTPStatus.OK


def adds(client: Client, appointment: Appointment) -> bool:
    response = client.get(reverse("admin:appointments_appointment_add"))
    return response.status_code == HTTPStatus.FOUND and response["Location"].endswith("/book/")


def exports(client: Client, appointment: Appointment) -> bool:
    response = client.post(CHANGELIST, {"action": "export_csv", "_selected_action": [appointment.pk]})
    return response.get("Content-Type", "").startswith("text/csv")


def erases_details(client: Client, appointment: Appointment) -> bool:
    client.post(ALL_APPOINTMENTS, {"action": "erase_details", "_selected_action": [appointment.pk], "apply": "yes",
                                   "reason": Appointment.ErasureReason.DUPLICATE})  # fmt: skip
    return Appointment.objects.filter(pk=appointment.pk, erased_at__isnull=False).exists()


def moves(client: Client, appointment: Appointment) -> bool:
    day = free_day()
    new_start = local(day, 13, 30)
    client.post(
        reverse("admin:appointments_appointment_move", args=[appointment.pk]) + f"?date={day.isoformat()}",
        {"slot": slot_key(appointment.provider_id, new_start)},
    )
    return Appointment.objects.get(pk=appointment.pk).starts_at == new_start


def books_a_caller(client: Client, appointment: Appointment) -> bool:
    day = free_day()
    query = (f"?visit_type={appointment.visit_type_id}&provider={appointment.provider_id}&date={day.isoformat()}"
             "&slot=" + quote(slot_key(appointment.provider_id, local(day, 9))))
    client.post(reverse("admin:appointments_appointment_book") + query, {
        "first_name": "Phone", "last_name": "Caller", "date_of_birth": "1960-01-01", "email": "c@example.com",
        "phone": "(201) 555-0100", "preferred_contact": "phone", "is_new_patient": "false", "consent": "on",
    })  # fmt: skip
    return Appointment.objects.filter(last_name="Caller").exists()


ACTIONS = {
    "add": adds,
    "export": exports,
    "erase details": erases_details,
    "move": moves,
    "book": books_a_caller,
    "check in (arrived)": lambda client, appointment: check_in(client, appointment, "check in (arrived)"),
    "check in (seen)": lambda client, appointment: check_in(client, appointment, "check in (seen)"),
}
# page -> the admin action and the status it works on
STATUS_ACTIONS = {
    "confirm": ("mark_confirmed", "requested"),
    "decline": ("mark_declined", "requested"),
    "cancel": ("mark_cancelled", "requested"),
    "mark completed": ("mark_completed", "confirmed"),
    "mark no-show": ("mark_no_show", "confirmed"),
}


def changes_status(page: str, client: Client, appointment: Appointment) -> bool:
    action, start_status = STATUS_ACTIONS[page]
    fields = {"status": start_status}
    if action in {"mark_completed", "mark_no_show"}:
        # Attendance is recorded once the visit has started: move it to yesterday.
        shift = appointment.starts_at - (timezone.now() - timedelta(days=1))
        fields.update(starts_at=appointment.starts_at - shift, ends_at=appointment.ends_at - shift,
                      busy_until=appointment.busy_until - shift)  # fmt: skip
    pk = appointment.pk
    Appointment.objects.filter(pk=pk).update(**fields)
    client.post(ALL_APPOINTMENTS, {"action": action, "_selected_action": [pk], "apply": "yes", "reason": "Because."})
    return Appointment.objects.get(pk=pk).status != start_status


def check_in(client, appointment, page):
    """Arrived or Seen from today's calendar, on a confirmed visit that started ten minutes ago."""
    start = max(timezone.now() - timedelta(minutes=10), local(timezone.localdate(), 0))
    arrived = timezone.now() if page == "check in (seen)" else None
    Appointment.objects.filter(pk=appointment.pk).update(
        status="confirmed", starts_at=start, ends_at=start + timedelta(minutes=45),
        busy_until=start + timedelta(hours=1), arrived_at=arrived)
    step = "seen" if page == "check in (seen)" else "arrived"
    client.post(reverse("admin:appointments_appointment_check_in"), {"appointment": appointment.pk, "step": step})
    after = Appointment.objects.get(pk=appointment.pk)
    return after.status == "completed" if step == "seen" else after.arrived_at is not None


def free_day():
    """A Monday a couple of weeks ahead, clear of the appointment the matrix works on (a week ahead)."""
    return next_weekday(timezone.localdate() + timedelta(days=14), 0)


@pytest.mark.parametrize("page", list(MATRIX))
@pytest.mark.parametrize("role", ROLES)
def test_role_can_use_exactly_its_pages(client, two_factor, staff_member, sign_in, make_appointment, role, page):
    appointment = make_appointment()
    sign_in(client, staff_member(role))
    assert use(page, client, appointment) is (role in MATRIX[page])


def test_content_editor_never_sees_patient_data(client, two_factor, staff_member, sign_in, make_appointment):
    appointment = make_appointment()
    sign_in(client, staff_member(CONTENT_EDITOR))
    index = client.get(reverse("admin:index")).content.decode()
    assert "Appointments" not in index
    assert appointment.last_name not in index
    assert "awaiting triage" not in index


def test_refused_pages_leave_no_view_in_the_audit_trail(client, two_factor, staff_member, sign_in, make_appointment):
    appointment = make_appointment()
    sign_in(client, staff_member(CONTENT_EDITOR))
    client.get(reverse("admin:appointments_appointment_change", args=[appointment.pk]))
    assert not AuditEntry.objects.filter(action="view", appointment_id=appointment.pk).exists()


@pytest.mark.parametrize("page", ["history", "move"])
def test_refused_move_and_history_pages_leave_no_view(
    client, two_factor, staff_member, sign_in, make_appointment, page
):
    appointment = make_appointment()
    sign_in(client, staff_member(CLINICIAN if page == "move" else CONTENT_EDITOR))
    response = client.get(reverse(f"admin:appointments_appointment_{page}", args=[appointment.pk]))
    assert response.status_code == HTTPStatus.FORBIDDEN
    assert not AuditEntry.objects.filter(action="view", appointment_id=appointment.pk).exists()
