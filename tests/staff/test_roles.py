import pytest
from django.contrib.auth.models import Group, Permission

from staff.roles import CLINIC_MANAGER, CLINICIAN, CONTENT_EDITOR, FRONT_DESK, ROLES, MissingPermission, apply_roles


def codenames(role):
    return {
        f"{app_label}.{codename}"
        for app_label, codename in Group.objects.get(name=role).permissions.values_list(
            "content_type__app_label", "codename"
        )
    }


def app_permissions(app_label):
    return {
        f"{app_label}.{codename}"
        for codename in Permission.objects.filter(content_type__app_label=app_label).values_list("codename", flat=True)
    }


def test_the_four_roles_exist_after_migrate(db):
    assert set(Group.objects.values_list("name", flat=True)) >= set(ROLES)


def test_front_desk_triages_and_books_but_cannot_delete_or_export(db):
    granted = codenames(FRONT_DESK)
    assert {
        "appointments.view_appointment",
        "appointments.add_appointment",
        "appointments.change_appointment",
        "appointments.view_schedule",
        "appointments.triage_appointment",
        "appointments.view_provider",
        "appointments.view_closure",
        "appointments.record_arrival",
    } <= granted
    assert "appointments.delete_appointment" not in granted
    assert "appointments.export_appointment" not in granted
    assert "appointments.record_attendance" not in granted
    assert "appointments.change_provider" not in granted
    assert not any(name.startswith(("articles.", "staff.", "auth.")) for name in granted)


def test_clinician_views_appointments_and_records_attendance_only(db):
    assert codenames(CLINICIAN) == {
        "appointments.view_appointment",
        "appointments.view_schedule",
        "appointments.record_attendance",
        "appointments.record_arrival",
        "appointments.view_provider",
        "appointments.view_location",
        "appointments.view_visittype",
    }


def test_content_editor_has_the_articles_app_and_never_patient_data(db):
    granted = codenames(CONTENT_EDITOR)
    assert granted == app_permissions("articles")
    assert {"articles.add_article", "articles.change_article", "articles.delete_article"} <= granted
    assert not any(name.startswith("appointments.") for name in granted)
    assert "audit.view_auditentry" not in granted


def test_clinic_manager_has_everything_including_export_and_the_audit_trail(db):
    granted = codenames(CLINIC_MANAGER)
    assert app_permissions("appointments") | app_permissions("articles") <= granted
    assert {"appointments.export_appointment", "appointments.change_workinghours", "audit.view_auditentry"} <= granted
    assert not {"staff.add_auditentry", "staff.change_auditentry", "staff.delete_auditentry"} & granted


def test_applying_roles_again_restores_exactly_the_table(db):
    front_desk = Group.objects.get(name=FRONT_DESK)
    front_desk.permissions.add(Permission.objects.get(codename="export_appointment"))
    Group.objects.filter(name=CLINICIAN).delete()

    apply_roles()
    apply_roles()

    assert "appointments.export_appointment" not in codenames(FRONT_DESK)
    assert Group.objects.filter(name=CLINICIAN).count() == 1
    assert len(codenames(CLINICIAN)) == len(ROLES[CLINICIAN])


def test_a_role_naming_a_permission_that_does_not_exist_is_refused_and_changes_nothing(db, monkeypatch):
    before = codenames(FRONT_DESK)
    monkeypatch.setitem(ROLES, FRONT_DESK, [*ROLES[FRONT_DESK], "appointments.teleport_appointment"])

    with pytest.raises(MissingPermission, match="appointments.teleport_appointment"):
        apply_roles()

    assert codenames(FRONT_DESK) == before


def test_roles_give_the_permissions_django_checks(staff_member):
    front_desk = staff_member(FRONT_DESK)
    editor = staff_member(CONTENT_EDITOR)

    assert front_desk.has_perm("appointments.triage_appointment")
    assert not front_desk.has_perm("appointments.delete_appointment")
    assert editor.has_perm("articles.change_article")
    assert not editor.has_perm("appointments.view_appointment")
