"""Each staff role against each admin page and action: allowed or refused (least privilege)."""

from http import HTTPStatus

import pytest
from django.urls import reverse

from appointments.models import Appointment
from staff.models import AuditEntry
from staff.roles import CLINIC_MANAGER, CLINICIAN, CONTENT_EDITOR, FRONT_DESK

ROLES = [FRONT_DESK, CLINICIAN, CONTENT_EDITOR, CLINIC_MANAGER]
CHANGELIST = reverse("admin:appointments_appointment_changelist")

# page -> the roles allowed to use it
MATRIX = {
    "list": {FRONT_DESK, CLINICIAN, CLINIC_MANAGER},
    "change": {FRONT_DESK, CLINICIAN, CLINIC_MANAGER},
    "add": {FRONT_DESK, CLINIC_MANAGER},
    "delete": {CLINIC_MANAGER},
    "history": {FRONT_DESK, CLINICIAN, CLINIC_MANAGER},
    "export": {CLINIC_MANAGER},
    "schedule": {FRONT_DESK, CLINICIAN, CLINIC_MANAGER},
    "confirm": {FRONT_DESK, CLINIC_MANAGER},
    "mark completed": {CLINICIAN, CLINIC_MANAGER},
    "opening hours": {CLINIC_MANAGER},
    "articles": {CONTENT_EDITOR, CLINIC_MANAGER},
    "audit trail": {CLINIC_MANAGER},
}


def use(page, client, appointment):
    """Use the page as the signed-in user; True when it let them."""
    pk = appointment.pk
    if page in {"list", "change", "delete", "history", "schedule", "articles", "audit trail", "opening hours"}:
        url = {
            "list": CHANGELIST,
            "change": reverse("admin:appointments_appointment_change", args=[pk]),
            "delete": reverse("admin:appointments_appointment_delete", args=[pk]),
            "history": reverse("admin:appointments_appointment_history", args=[pk]),
            "schedule": reverse("admin:appointments_appointment_schedule"),
            "articles": reverse("admin:articles_article_changelist"),
            "audit trail": reverse("admin:staff_auditentry_changelist"),
            "opening hours": reverse("admin:appointments_provider_change", args=[appointment.provider_id]),
        }[page]
        response = client.get(url)
        if page == "opening hours":
            # Everyone with view access sees the page; only managers get a form that saves.
            return response.status_code == HTTPStatus.OK and b'name="_save"' in response.content
        return response.status_code == HTTPStatus.OK
    if page == "add":
        response = client.get(reverse("admin:appointments_appointment_add"))
        return response.status_code == HTTPStatus.FOUND and response["Location"].endswith("/book/")
    if page == "export":
        response = client.post(CHANGELIST, {"action": "export_csv", "_selected_action": [pk]})
        return response.get("Content-Type", "").startswith("text/csv")
    action = {"confirm": ("mark_confirmed", "requested"), "mark completed": ("mark_completed", "confirmed")}[page]
    Appointment.objects.filter(pk=pk).update(status=action[1])
    client.post(CHANGELIST, {"action": action[0], "_selected_action": [pk], "apply": "yes", "reason": ""})
    return Appointment.objects.get(pk=pk).status != action[1]


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
