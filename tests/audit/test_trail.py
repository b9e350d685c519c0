import uuid
from http import HTTPStatus

import psycopg2
import pytest
from django.contrib.auth.models import AnonymousUser
from django.db import DatabaseError, connection, transaction
from django.http import HttpResponse
from django.test import RequestFactory
from django.test.utils import CaptureQueriesContext

from appointments import availability, booking
from appointments.models import Appointment
from audit import trail
from audit.admin import AuditEntryAdmin
from audit.middleware import AuditContextMiddleware
from audit.models import AuditEntry
from tests.staff.fixtures import INTAKE_TEXT, PATIENT

CHANGELIST = "/admin/audit/auditentry/"


def staff_request(user, address="203.0.113.7"):
    request = RequestFactory().get("/admin/appointments/appointment/", REMOTE_ADDR=address)
    request.user = user
    return request


def assert_no_intake_text(entries):
    for entry in entries:
        stored = " ".join(
            str(getattr(entry, field.attname)) for field in AuditEntry._meta.concrete_fields
        )
        for text in INTAKE_TEXT:
            assert text not in stored, f"{text!r} was copied into audit entry {entry.pk}: {stored}"


def test_viewing_an_appointment_is_recorded_with_user_address_and_time(make_appointment, staff_member):
    appointment = make_appointment()
    nurse = staff_member("Front desk")

    [entry] = trail.record_access(staff_request(nurse), "view", [appointment])

    entry.refresh_from_db()
    assert (entry.action, entry.appointment_id) == ("view", appointment.pk)
    assert (entry.user_id, entry.username, entry.address) == (nurse.pk, "front-desk", "203.0.113.7")
    assert entry.occurred_at.utcoffset().total_seconds() == 0
    assert_no_intake_text([entry])


def test_an_export_records_one_entry_per_appointment(make_appointment, staff_member, clinic):
    first = make_appointment()
    second = make_appointment(provider=clinic["okafor"])
    manager = staff_member("Clinic manager")

    trail.record_access(staff_request(manager), "export", Appointment.objects.all())

    exported = AuditEntry.objects.filter(action="export")
    assert sorted(exported.values_list("appointment_id", flat=True)) == sorted([first.pk, second.pk])
    assert set(exported.values_list("username", flat=True)) == {"clinic-manager"}
    assert_no_intake_text(exported)


def test_record_access_accepts_ids_and_refuses_other_actions(make_appointment, staff_member):
    appointment = make_appointment()
    request = staff_request(staff_member("Clinician"))

    trail.record_access(request, "view", [appointment.pk])

    assert AuditEntry.objects.for_appointment(appointment).first().action == "view"
    with pytest.raises(ValueError, match="views, lists and exports"):
        trail.record_access(request, "change", [appointment])


def test_a_change_names_every_field_but_keeps_values_only_for_scheduling(make_appointment, staff_member):
    appointment = make_appointment()
    nurse = staff_member("Front desk")

    with trail.acting_as(nurse.username, user=nurse, address="198.51.100.4"):
        appointment.status = Appointment.Status.CONFIRMED
        appointment.notes = "Also numbness in the left foot."
        appointment.last_name = "Quartermaine"
        appointment.save()

    change = AuditEntry.objects.for_appointment(appointment).first()
    assert change.action == "change"
    assert (change.username, change.user_id, change.address) == ("front-desk", nurse.pk, "198.51.100.4")
    assert set(change.changed_fields) == {"status", "notes", "last_name"}
    assert change.changes == {"status": {"from": "requested", "to": "confirmed"}}
    assert_no_intake_text([change])
    assert "numbness" not in str(change.changes) + str(change.changed_fields)


def test_a_bulk_update_is_recorded_for_every_appointment(make_appointment, clinic):
    first = make_appointment()
    second = make_appointment(provider=clinic["okafor"])

    with trail.acting_as("front-desk"):
        Appointment.objects.filter(pk__in=[first.pk, second.pk]).update(status=Appointment.Status.DECLINED)

    changes = AuditEntry.objects.filter(action="change")
    assert sorted(changes.values_list("appointment_id", flat=True)) == sorted([first.pk, second.pk])
    for entry in changes:
        assert entry.username == "front-desk"
        assert entry.changes == {"status": {"from": "requested", "to": "declined"}}


def test_an_update_that_changes_nothing_adds_no_entry(make_appointment):
    appointment = make_appointment()
    before = AuditEntry.objects.count()

    Appointment.objects.filter(pk=appointment.pk).update(status=appointment.status)

    assert AuditEntry.objects.count() == before


def test_creation_by_a_patient_and_deletion_by_staff_are_recorded(make_appointment):
    appointment = make_appointment()
    appointment_id = appointment.pk

    created = AuditEntry.objects.for_appointment(appointment).get()
    assert (created.action, created.username, created.user_id) == ("create", "", None)
    assert created.changes["status"] == {"to": "requested"}
    assert_no_intake_text([created])

    with trail.acting_as("clinic-manager"):
        appointment.delete()

    assert AuditEntry.objects.for_appointment(appointment_id).first().action == "delete"
    assert AuditEntry.objects.for_appointment(appointment_id).count() == 2


def request_online(open_slot, risk_factors, **answers):
    """A patient's online request through the booking step the website uses, risk factors included."""
    slot = booking.choose_slot(open_slot["visit_type"], open_slot["provider"].pk, open_slot["start"],
                               availability.Policy.for_patients())
    details = {**{k: v for k, v in PATIENT.items() if k in ONLINE_FIELDS}, "is_new_patient": True,
               "preferred_contact": "phone", "risk_factors": [risk_factors["pregnancy"]], **answers}
    outcome = booking.request_online(slot, details, address="203.0.113.9", submission_token=uuid.uuid4(),
                                     browser="the patient's browser")  # fmt: skip
    assert outcome.ok, outcome.error
    return outcome.appointment


ONLINE_FIELDS = {"first_name", "last_name", "date_of_birth", "email", "phone", "insurance_carrier", "notes",
                 "reasons", "rls_urge_to_move", "rls_worse_evening", "guardian_name"}


@pytest.mark.django_db(transaction=True)
def test_an_online_request_with_risk_factors_leaves_one_creation_entry(open_slot, risk_factors):
    appointment = request_online(open_slot, risk_factors)

    assert appointment.risk_factors.count() == 1
    entries = list(AuditEntry.objects.for_appointment(appointment))
    assert [(entry.action, entry.actor) for entry in entries] == [("create", "the patient online")]


def test_risk_factors_set_when_a_phone_booking_is_created_leave_one_entry(open_slot, risk_factors):
    # Inside one outer transaction (savepoints below it), as a test or a caller's atomic block runs it.
    slot = booking.choose_slot(open_slot["visit_type"], open_slot["provider"].pk, open_slot["start"],
                               availability.Policy.for_staff())
    factors = [risk_factors["pregnancy"], risk_factors["iron-deficiency"]]
    details = {**{k: v for k, v in PATIENT.items() if k in ONLINE_FIELDS}, "is_new_patient": False,
               "preferred_contact": "phone", "risk_factors": factors}
    appointment = booking.book_by_phone(slot, details).appointment

    assert [entry.action for entry in AuditEntry.objects.for_appointment(appointment)] == ["create"]


@pytest.mark.django_db(transaction=True)
def test_risk_factors_changed_after_the_request_are_still_recorded(open_slot, risk_factors):
    appointment = request_online(open_slot, risk_factors)

    appointment.risk_factors.add(risk_factors["iron-deficiency"])  # a later transaction

    change, created = AuditEntry.objects.for_appointment(appointment)
    assert (change.action, change.changed_fields, created.action) == ("change", ["risk_factors"], "create")


@pytest.mark.django_db(transaction=True)
def test_changing_risk_factors_is_recorded_by_name_only(make_appointment, risk_factors):
    appointment = make_appointment()

    appointment.risk_factors.set([risk_factors["pregnancy"], risk_factors["iron-deficiency"]])

    change = AuditEntry.objects.for_appointment(appointment).first()
    assert (change.action, change.changed_fields, change.changes) == ("change", ["risk_factors"], {})


def test_the_middleware_names_the_signed_in_user_and_then_forgets_them(make_appointment, staff_member):
    appointment = make_appointment()
    nurse = staff_member("Front desk")

    def confirm(request):
        Appointment.objects.filter(pk=appointment.pk).update(status=Appointment.Status.CONFIRMED)
        return HttpResponse("ok")

    AuditContextMiddleware(confirm)(staff_request(nurse, address="192.0.2.55"))

    change = AuditEntry.objects.for_appointment(appointment).first()
    assert (change.user_id, change.username, change.address) == (nurse.pk, "front-desk", "192.0.2.55")
    with connection.cursor() as cursor:
        cursor.execute("SELECT current_setting('truffles.username', true), current_setting('truffles.user_id', true)")
        assert cursor.fetchone() == ("", "")


def test_the_middleware_leaves_anonymous_requests_alone(db, django_assert_num_queries):
    request = RequestFactory().get("/")
    request.user = AnonymousUser()

    with django_assert_num_queries(0):
        response = AuditContextMiddleware(lambda request: HttpResponse("ok"))(request)

    assert response.status_code == HTTPStatus.OK


def test_entries_for_an_appointment_come_newest_first_in_one_query(
    make_appointment, staff_member, django_assert_num_queries
):
    appointment = make_appointment()
    request = staff_request(staff_member("Front desk"))
    trail.record_access(request, "view", [appointment])
    Appointment.objects.filter(pk=appointment.pk).update(status=Appointment.Status.CONFIRMED)
    trail.record_access(request, "export", [appointment])

    with django_assert_num_queries(1):
        actions = [entry.action for entry in AuditEntry.objects.for_appointment(appointment)]

    assert actions == ["export", "change", "view", "create"]


def test_the_database_refuses_to_change_or_delete_audit_entries(make_appointment):
    appointment = make_appointment()
    entry = AuditEntry.objects.for_appointment(appointment).get()

    for attempt in (
        lambda: AuditEntry.objects.filter(pk=entry.pk).update(username="someone-else"),
        lambda: AuditEntry.objects.filter(pk=entry.pk).delete(),
        lambda: connection.cursor().execute("UPDATE staff_auditentry SET address = '10.0.0.1'"),
        lambda: connection.cursor().execute("DELETE FROM staff_auditentry"),
    ):
        with pytest.raises(DatabaseError, match="append-only"), transaction.atomic():
            attempt()

    entry.refresh_from_db()
    assert (entry.username, entry.address) == ("", "")


@pytest.mark.django_db(transaction=True)
def test_a_normal_database_connection_cannot_truncate_the_audit_trail(make_appointment):
    appointment = make_appointment()
    # A connection as the site opens it: without the test-only truffles.allow_truncate option.
    params = {key: value for key, value in connection.get_connection_params().items() if key != "options"}
    params.pop("cursor_factory", None)
    other = psycopg2.connect(**params, options="-c lock_timeout=10s")
    try:
        with pytest.raises(psycopg2.Error, match="append-only: TRUNCATE refused"), other.cursor() as cursor:
            cursor.execute("TRUNCATE staff_auditentry")
    finally:
        other.close()

    assert AuditEntry.objects.for_appointment(appointment).count() == 1


def test_a_connection_that_switches_the_opt_in_off_cannot_truncate_either(make_appointment):
    appointment = make_appointment()

    with transaction.atomic(), connection.cursor() as cursor:
        cursor.execute("SET LOCAL truffles.allow_truncate = 'off'")
        with pytest.raises(DatabaseError, match="TRUNCATE refused"), transaction.atomic():
            cursor.execute("TRUNCATE staff_auditentry CASCADE")

    assert AuditEntry.objects.for_appointment(appointment).count() == 1


def test_a_superuser_can_read_but_not_add_change_or_delete_audit_entries(admin_client, admin_user, make_appointment):
    appointment = make_appointment()
    entry = AuditEntry.objects.for_appointment(appointment).get()
    request = staff_request(admin_user)
    model_admin = AuditEntryAdmin(AuditEntry, None)

    assert not model_admin.has_add_permission(request)
    assert not model_admin.has_change_permission(request, entry)
    assert not model_admin.has_delete_permission(request, entry)

    changelist = admin_client.get(CHANGELIST)
    assert changelist.status_code == HTTPStatus.OK
    assert f">{appointment.pk}<" in changelist.text
    assert "Add audit entry" not in changelist.text
    assert admin_client.get(f"{CHANGELIST}add/").status_code == HTTPStatus.FORBIDDEN
    assert admin_client.get(f"{CHANGELIST}{entry.pk}/delete/").status_code == HTTPStatus.FORBIDDEN
    detail = admin_client.get(f"{CHANGELIST}{entry.pk}/change/")
    assert detail.status_code == HTTPStatus.OK
    assert 'name="_save"' not in detail.text


def test_the_audit_list_finds_entries_by_reference_and_filters_by_action(admin_client, make_appointment, clinic):
    wanted = make_appointment()
    other = make_appointment(provider=clinic["okafor"])

    by_reference = admin_client.get(CHANGELIST, {"q": wanted.reference})
    by_action = admin_client.get(CHANGELIST, {"action__exact": "create"})

    assert list(by_reference.context["cl"].result_list.values_list("appointment_id", flat=True)) == [wanted.pk]
    assert {entry.appointment_id for entry in by_action.context["cl"].result_list} == {wanted.pk, other.pk}


def test_a_front_desk_member_cannot_open_the_audit_trail(client, staff_member, sign_in):
    sign_in(client, staff_member("Front desk"))

    assert client.get(CHANGELIST).status_code == HTTPStatus.FORBIDDEN


@pytest.mark.parametrize("term", ["²", "٣", "99999999999999999999999"])
def test_odd_search_terms_find_nothing_instead_of_failing(admin_client, make_appointment, term):
    make_appointment()

    response = admin_client.get(CHANGELIST, {"q": term})

    assert response.status_code == HTTPStatus.OK
    assert list(response.context["cl"].result_list) == []


@pytest.mark.parametrize("query", [{"q": "a\x00b"}, {"q": "TVS-\x00"}, {"username": "a\x00b"}])
def test_a_null_character_in_the_audit_list_address_does_not_fail(admin_client, make_appointment, query):
    make_appointment()

    assert admin_client.get(CHANGELIST, query).status_code == HTTPStatus.OK


def test_the_audit_list_filters_by_staff_member_without_scanning_the_trail(
    admin_client, admin_user, make_appointment, staff_member
):
    appointment = make_appointment()
    nurse = staff_member("Front desk")
    trail.record_access(staff_request(nurse), "view", [appointment])
    User = type(nurse)
    User.objects.create_user("former-patient-portal", is_staff=False)

    with CaptureQueriesContext(connection) as queries:
        page = admin_client.get(CHANGELIST)
    by_nurse = admin_client.get(CHANGELIST, {"username": "front-desk"})

    choices = [choice["display"] for choice in page.context["cl"].filter_specs[1].choices(page.context["cl"])]
    assert choices == ["All", "admin", "front-desk"]
    assert not any("DISTINCT" in query["sql"] and "staff_auditentry" in query["sql"] for query in queries)
    assert [entry.action for entry in by_nurse.context["cl"].result_list] == ["view"]


def test_entries_without_a_user_name_the_patient_only_for_online_requests(admin_client, make_appointment):
    appointment = make_appointment()  # created with no one on the connection, as by the public form
    Appointment.objects.filter(pk=appointment.pk).update(status=Appointment.Status.CANCELLED)  # e.g. a shell

    changelist = admin_client.get(CHANGELIST)

    rows = changelist.context["cl"].result_list
    actors = {entry.action: entry.actor for entry in rows if entry.appointment_id == appointment.pk}
    assert actors == {"create": "the patient online", "change": "system"}
    assert "the patient online" in changelist.text
    assert ">system<" in changelist.text
    assert "website (patient)" not in changelist.text
