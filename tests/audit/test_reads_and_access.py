"""The trail sees every read of patient data on staff pages, every change of access, and no deletion.

Lists, the schedule, the phone finder, the admin index's box and the status page record which
appointments they showed (ids, never contents); a link from another site opens nothing and records
nothing; users, groups, permissions and authenticators changes land in the append-only trail;
appointments are never deleted, their details are erased with a reason.
"""

from datetime import timedelta
from http import HTTPStatus

import pytest
from django.contrib.auth.models import Group, Permission, User
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from django.utils import timezone
from django_otp.plugins.otp_totp.models import TOTPDevice

from appointments.models import Appointment
from audit.models import AuditEntry
from staff.roles import CLINIC_MANAGER, FRONT_DESK
from tests.staff.fixtures import INTAKE_TEXT, PATIENT

CHANGELIST = reverse("admin:appointments_appointment_changelist")
ADDRESS = "203.0.113.21"


@pytest.fixture
def desk(client, staff_member, sign_in):
    sign_in(client, staff_member(FRONT_DESK, username="dana-desk"))
    return client


def listed(where):
    return AuditEntry.objects.filter(action=AuditEntry.Action.LIST, where=where)


def assert_ids_only(entries):
    for entry in entries:
        assert (entry.changed_fields, entry.changes) == ([], {})
        stored = " ".join(str(getattr(entry, field.attname)) for field in AuditEntry._meta.concrete_fields)
        for secret in [*INTAKE_TEXT, PATIENT["last_name"], PATIENT["email"]]:
            assert secret not in stored


def test_the_appointment_list_records_which_rows_it_showed(desk, make_appointment):
    shown = [make_appointment(hour=9), make_appointment(hour=11)]
    past = make_appointment(day=timezone.localdate() - timedelta(days=40), status=Appointment.Status.COMPLETED)

    page = desk.get(CHANGELIST, REMOTE_ADDR=ADDRESS)

    assert PATIENT["last_name"] in page.content.decode()
    entries = listed("appointment list")
    assert sorted(entries.values_list("appointment_id", flat=True)) == sorted(a.pk for a in shown)
    assert past.pk not in entries.values_list("appointment_id", flat=True)  # not on the default list
    assert {(entry.username, entry.address) for entry in entries} == {("dana-desk", ADDRESS)}
    assert_ids_only(entries)


def test_the_schedule_the_finder_the_index_and_the_status_page_record_their_rows(desk, make_appointment):
    today = make_appointment(day=timezone.localdate(), hour=12)
    later = make_appointment(hour=10)

    desk.get(reverse("admin:appointments_appointment_schedule"))
    desk.get(reverse("admin:appointments_appointment_book"), {"find": PATIENT["last_name"]})
    desk.get(reverse("admin:index"))
    desk.get(reverse("admin:appointments_appointment_status", args=[later.pk, "confirmed"]))

    assert list(listed("schedule (day)").values_list("appointment_id", flat=True)) == [today.pk]
    assert list(listed("phone finder").values_list("appointment_id", flat=True)) in ([today.pk], [later.pk])
    assert list(listed("admin index").values_list("appointment_id", flat=True)) == [today.pk]
    assert list(listed("status page").values_list("appointment_id", flat=True)) == [later.pk]
    assert_ids_only(AuditEntry.objects.filter(action=AuditEntry.Action.LIST))


def test_the_list_records_its_rows_in_one_query_however_many(desk, clinic, make_appointment):
    def queries_for_the_list():
        with CaptureQueriesContext(connection) as queries:
            desk.get(CHANGELIST)
        return [q["sql"] for q in queries]

    make_appointment(hour=9)
    few = queries_for_the_list()
    for hour in (10, 11, 14, 15, 16):
        make_appointment(hour=hour)
    many = queries_for_the_list()

    assert len(many) == len(few)
    assert len([sql for sql in many if sql.startswith('INSERT INTO "staff_auditentry"')]) == 1
    assert listed("appointment list").count() == 1 + 6


@pytest.mark.parametrize(("fetch_site", "recorded"), [
    ("cross-site", False), ("same-site", False), ("same-origin", True), ("none", True), (None, True),
])  # fmt: skip
def test_a_link_from_another_site_opens_no_record_and_records_no_view(desk, make_appointment, fetch_site, recorded):
    appointment = make_appointment()
    url = reverse("admin:appointments_appointment_change", args=[appointment.pk])
    headers = {"Sec-Fetch-Site": fetch_site} if fetch_site else {}

    page = desk.get(url, headers=headers).content.decode()

    views = AuditEntry.objects.filter(action=AuditEntry.Action.VIEW, appointment_id=appointment.pk)
    assert views.exists() is recorded
    assert (PATIENT["last_name"] in page) is recorded
    if not recorded:
        assert "You followed a link from another website to a staff page" in page
        assert f'href="{url}"' in page  # one click here opens it, as a same-origin request


def test_a_cross_site_link_to_a_list_or_search_shows_and_records_nothing(desk, make_appointment):
    make_appointment()
    page = desk.get(CHANGELIST, {"q": PATIENT["last_name"]}, headers={"Sec-Fetch-Site": "cross-site"})
    assert page.status_code == HTTPStatus.OK
    assert PATIENT["email"] not in page.content.decode()
    assert not AuditEntry.objects.filter(action=AuditEntry.Action.LIST).exists()


def access_entries(subject=None):
    entries = AuditEntry.objects.filter(action=AuditEntry.Action.ACCESS).order_by("occurred_at", "id")
    return entries.filter(subject=subject) if subject else entries


def test_changes_of_access_made_in_the_admin_are_in_the_trail_with_who_made_them(
    client, staff_member, sign_in
):
    manager = sign_in(client, staff_member(None, username="root-admin"))
    nurse = staff_member(FRONT_DESK, username="nina-nurse")
    managers = Group.objects.get(name=CLINIC_MANAGER)
    form = {
        "username": "nina-nurse", "is_active": "on", "is_staff": "on", "is_superuser": "on",
        "groups": [managers.pk], "date_joined_0": "2026-01-01", "date_joined_1": "09:00:00",
        "initial-date_joined_0": "2026-01-01", "initial-date_joined_1": "09:00:00",
    }  # fmt: skip

    response = manager.post(reverse("admin:auth_user_change", args=[nurse.pk]), form, REMOTE_ADDR=ADDRESS)

    assert response.status_code == HTTPStatus.FOUND, response.content.decode()[:3000]
    entries = list(access_entries(f"user {nurse.pk}").filter(username="root-admin"))
    fields = [name for entry in entries for name in entry.changed_fields]
    assert "is_superuser" in fields
    assert "group_id" in fields
    superuser = next(entry for entry in entries if "is_superuser" in entry.changed_fields)
    assert superuser.changes["is_superuser"] == {"from": False, "to": True}
    assert (superuser.where, superuser.address) == ("auth_user", ADDRESS)
    added = [entry.changes["group_id"]["to"] for entry in entries if "group_id" in entry.changed_fields
             and entry.changes["operation"] == "insert"]  # fmt: skip
    assert added == [managers.pk]


def test_permissions_groups_and_authenticators_are_recorded_and_secrets_are_not(staff_member):
    nurse = staff_member(FRONT_DESK, username="nina-nurse")
    group = Group.objects.create(name="Night shift")
    export = Permission.objects.get(codename="export_appointment")

    group.permissions.add(export)
    nurse.user_permissions.add(export)
    nurse.set_password("another long enough password")
    nurse.save()
    device = TOTPDevice.objects.create(user=nurse, name="Phone", confirmed=True)
    device_id, device_key = device.pk, device.key
    device.delete()
    User.objects.filter(pk=nurse.pk).update(last_login=timezone.now())  # a sign-in: not a change of access

    by_subject = {}
    for entry in access_entries():
        by_subject.setdefault(entry.subject, []).append((entry.where, entry.changed_fields))
    assert ("auth_group_permissions", ["permission_id"]) in by_subject[f"group {group.pk}"]
    assert ("auth_user_user_permissions", ["permission_id"]) in by_subject[f"user {nurse.pk}"]
    assert ("auth_user", ["password"]) in by_subject[f"user {nurse.pk}"]
    device_entries = by_subject[f"user {nurse.pk}, authenticator {device_id}"]
    assert [where for where, _ in device_entries] == ["otp_totp_totpdevice", "otp_totp_totpdevice"]
    stored = " ".join(str(entry.changes) for entry in access_entries())
    assert device_key not in stored
    assert "pbkdf2" not in stored
    assert "md5" not in stored
    assert not any("last_login" in fields for entries in by_subject.values() for _, fields in entries)


def test_the_trail_of_access_is_append_only(staff_member):
    staff_member(FRONT_DESK)
    entry = access_entries().first()
    from django.db import DatabaseError, transaction

    with pytest.raises(DatabaseError, match="append-only"), transaction.atomic():
        AuditEntry.objects.filter(pk=entry.pk).delete()


def test_nobody_deletes_an_appointment_not_even_a_superuser(client, staff_member, sign_in, make_appointment):
    appointment = make_appointment()
    admin = sign_in(client, staff_member(None))

    page = admin.get(reverse("admin:appointments_appointment_delete", args=[appointment.pk]))
    actions = admin.get(CHANGELIST).context["action_form"].fields["action"].choices

    assert page.status_code == HTTPStatus.FORBIDDEN
    assert "delete_selected" not in dict(actions)
    assert "erase_details" in dict(actions)
    assert Appointment.objects.filter(pk=appointment.pk).exists()


def test_a_manager_erases_details_with_a_reason_the_row_and_its_trail_stay(
    client, staff_member, sign_in, make_appointment
):
    appointment = make_appointment(status=Appointment.Status.CONFIRMED)
    manager = sign_in(client, staff_member(CLINIC_MANAGER, username="marta-manager"))
    chosen = {"action": "erase_details", "_selected_action": [appointment.pk]}

    asked = manager.post(CHANGELIST + "?when=all", chosen)
    refused = manager.post(CHANGELIST + "?when=all", {**chosen, "apply": "yes", "reason": ""})
    done = manager.post(CHANGELIST + "?when=all", {**chosen, "apply": "yes", "reason": "duplicate"}, follow=True)

    assert "Erase patient details" in asked.content.decode()
    assert "Choose why these details are being erased" in refused.content.decode()
    assert "Erased the patient details of 1 appointment(s)." in done.content.decode()
    appointment.refresh_from_db()
    assert (appointment.first_name, appointment.email, appointment.erasure_reason) == ("Erased", "", "duplicate")
    assert appointment.status == Appointment.Status.CANCELLED  # its time is free again
    erasure = AuditEntry.objects.for_appointment(appointment).filter(changed_fields__contains=["erased_at"]).get()
    assert erasure.username == "marta-manager"
    assert erasure.changes["erasure_reason"] == {"from": "", "to": "duplicate"}
