"""The real admin actions leave a trail: who, from where, which appointments, and never the intake."""

import csv
import io
from datetime import timedelta

from django.forms.models import model_to_dict
from django.urls import reverse
from django.utils import timezone

from appointments.models import Appointment
from audit.models import AuditEntry
from staff.roles import CLINIC_MANAGER, FRONT_DESK
from tests.staff.fixtures import INTAKE_TEXT

CHANGELIST = reverse("admin:appointments_appointment_changelist")
ADDRESS = "203.0.113.9"


def assert_no_intake_text(entries):
    for entry in entries:
        text = str(model_to_dict(entry))
        for secret in INTAKE_TEXT:
            assert secret not in text, f"{secret!r} copied into the audit trail"


def test_export_action_records_each_appointment_for_the_manager(
    client, two_factor, staff_member, sign_in, make_appointment
):
    first = make_appointment()
    second = make_appointment(start=first.starts_at + timedelta(hours=2))
    manager = sign_in(client, staff_member(CLINIC_MANAGER, username="marta-manager"))
    response = manager.post(
        CHANGELIST, {"action": "export_csv", "_selected_action": [first.pk, second.pk]}, REMOTE_ADDR=ADDRESS
    )
    rows = list(csv.reader(io.StringIO(response.content.decode())))
    assert len(rows) == 3  # the header and both patients: the export itself carries the intake, the trail not

    exports = AuditEntry.objects.filter(action="export")
    assert sorted(entry.appointment_id for entry in exports) == sorted([first.pk, second.pk])
    assert {(entry.username, entry.address) for entry in exports} == {("marta-manager", ADDRESS)}
    assert_no_intake_text(AuditEntry.objects.all())


def test_bulk_confirm_records_a_change_per_appointment_by_whoever_ran_it(
    client, two_factor, staff_member, sign_in, make_appointment
):
    start = (timezone.now() + timedelta(days=7)).replace(hour=10, minute=0, second=0, microsecond=0)
    first = make_appointment(start=start)
    second = make_appointment(start=start + timedelta(hours=2))
    desk = sign_in(client, staff_member(FRONT_DESK, username="dara-desk"))
    data = {"action": "mark_confirmed", "_selected_action": [first.pk, second.pk]}
    desk.post(CHANGELIST, data, REMOTE_ADDR=ADDRESS)
    page = desk.post(CHANGELIST, {**data, "apply": "yes", "reason": ""}, REMOTE_ADDR=ADDRESS, follow=True)
    assert "Confirm: 2 appointment(s)." in page.content.decode()
    assert set(Appointment.objects.values_list("status", flat=True)) == {Appointment.Status.CONFIRMED}

    changes = AuditEntry.objects.filter(action="change")
    assert sorted(entry.appointment_id for entry in changes) == sorted([first.pk, second.pk])
    assert {(entry.username, entry.address) for entry in changes} == {("dara-desk", ADDRESS)}
    assert all("status" in entry.changed_fields for entry in changes)
    assert_no_intake_text(AuditEntry.objects.all())
