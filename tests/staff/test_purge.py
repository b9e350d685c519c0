from datetime import timedelta
from io import StringIO

import pytest
from django.core.management import call_command
from django.forms.models import model_to_dict
from django.utils import timezone

from appointments.models import Appointment
from audit.models import AuditEntry
from tests.staff.fixtures import INTAKE_TEXT, PATIENT

Status = Appointment.Status


def purge(*args):
    out = StringIO()
    call_command("purge_patient_data", *args, stdout=out)
    return out.getvalue()


def snapshot(appointment):
    appointment.refresh_from_db()
    return {**model_to_dict(appointment), "erased_at": appointment.erased_at, "reference": appointment.reference}


@pytest.fixture
def history(make_appointment, clinic, risk_factors):
    """Appointments across time: which are due for erasure, and which must stay."""
    now = timezone.now().replace(minute=0, second=0, microsecond=0)

    def at(days_ago, status, hour=9):
        appointment = make_appointment(start=now - timedelta(days=days_ago, hours=hour), status=status)
        appointment.risk_factors.set([risk_factors["pregnancy"]])
        return appointment

    return {
        "old_completed": at(400, Status.COMPLETED),
        "old_no_show": at(401, Status.NO_SHOW),
        "old_declined": at(500, Status.DECLINED),
        "old_cancelled": at(370, Status.CANCELLED, hour=3),
        "recent_completed": at(30, Status.COMPLETED),
        # Past visits nobody closed: erased after the retention period like the rest.
        "old_still_confirmed": at(402, Status.CONFIRMED),
        "old_still_requested": at(403, Status.REQUESTED),
        # Recent ones: the request expires, the confirmed visit waits for the front desk.
        "recent_still_requested": at(3, Status.REQUESTED),
        "recent_still_confirmed": at(2, Status.CONFIRMED),
        "upcoming": make_appointment(),
    }


def test_purge_erases_the_patient_details_of_old_finished_appointments(history):
    old = history["old_completed"]
    kept = {"visit_type", "provider", "location", "starts_at", "ends_at", "status", "source_article"}
    before = snapshot(old)

    output = purge()

    after = snapshot(old)
    assert "Erased the patient details of 6 appointments" in output
    assert (after["first_name"], after["last_name"], after["date_of_birth"]) == ("Erased", "", None)
    for field in ("email", "phone", "guardian_name", "insurance_carrier", "notes", "status_reason"):
        assert not after[field], field
    assert after["reasons"] == []
    assert not any(after[flag] for flag in after if flag.startswith("rls_"))
    assert after["risk_factors"] == []
    assert after["erased_at"] is not None
    assert {field: after[field] for field in kept} == {field: before[field] for field in kept}
    assert after["reference"] == before["reference"]


def test_past_visits_nobody_closed_are_erased_after_the_retention_period_like_the_rest(history):
    purge()

    for name in ("old_still_confirmed", "old_still_requested"):
        after = snapshot(history[name])
        assert after["erased_at"] is not None, name
        assert (after["first_name"], after["last_name"], after["email"]) == ("Erased", "", ""), name
    assert snapshot(history["old_still_requested"])["status"] == Status.EXPIRED


def test_a_request_whose_time_passed_without_a_decision_expires(history):
    output = purge()

    recent = snapshot(history["recent_still_requested"])
    assert "Expired 2 appointments undecided past their time." in output
    assert recent["status"] == Status.EXPIRED
    assert recent["status_reason"] == Appointment.EXPIRED_REASON
    assert recent["first_name"] == PATIENT["first_name"]  # kept until the retention period ends
    assert snapshot(history["upcoming"])["status"] == Status.REQUESTED
    expiry = AuditEntry.objects.for_appointment(history["recent_still_requested"]).filter(
        username="command:purge_patient_data").get()
    assert expiry.changes["status"] == {"from": "requested", "to": "expired"}


def test_a_confirmed_visit_nobody_marked_is_put_in_front_of_the_front_desk(history, client, staff_member, sign_in):
    output = purge()

    unrecorded = history["recent_still_confirmed"]
    assert snapshot(unrecorded)["status"] == Status.CONFIRMED
    assert "1 appointment past without attendance recorded (front desk)." in output
    desk = sign_in(client, staff_member("Front desk"))
    index = desk.get("/admin/").content.decode()
    assert "1 past visit without completed or no-show" in index
    listed = desk.get("/admin/appointments/appointment/").context["cl"].result_list
    assert listed[0].pk in {unrecorded.pk, history["upcoming"].pk}
    assert unrecorded.pk in {row.pk for row in listed[:2]}, "among the first rows, with the requests"
    filtered = desk.get("/admin/appointments/appointment/", {"triage": "attendance", "when": "past"})
    assert [row.pk for row in filtered.context["cl"].result_list] == [unrecorded.pk]


def test_purge_leaves_recent_and_active_appointments_alone(history):
    untouched = ("recent_completed", "recent_still_confirmed", "upcoming")
    before = {name: snapshot(history[name]) for name in untouched}

    purge()

    for name in untouched:
        assert snapshot(history[name]) == before[name], name
        assert history[name].first_name == PATIENT["first_name"]


def test_a_dry_run_counts_and_changes_nothing(history):
    before = {name: snapshot(appointment) for name, appointment in history.items()}

    output = purge("--dry-run")

    assert "Dry run: 2 appointments undecided past their time would expire; 6 appointments ended" in output
    assert {name: snapshot(appointment) for name, appointment in history.items()} == before


def test_running_twice_erases_nothing_more(history):
    purge()
    erased_at = snapshot(history["old_declined"])["erased_at"]

    second = purge()

    assert "Erased the patient details of 0 appointments" in second
    assert "6 erased in total" in second
    assert snapshot(history["old_declined"])["erased_at"] == erased_at


def test_the_retention_period_can_be_given_on_the_command_line(history):
    assert "7 appointments ended" in purge("--dry-run", "--older-than-days", "7")
    assert "0 appointments ended" in purge("--dry-run", "--older-than-days", "1000")


def test_the_retention_period_comes_from_the_setting(history, settings):
    settings.TRUFFLES_RETENTION_DAYS = 450

    assert "; 1 appointment ended" in purge("--dry-run")


def test_the_audit_trail_is_kept_and_records_the_erasure_without_the_details(history):
    old = history["old_cancelled"]
    earlier = list(AuditEntry.objects.for_appointment(old).values_list("pk", flat=True))

    purge()

    trail = list(AuditEntry.objects.for_appointment(old))
    assert set(earlier) <= {entry.pk for entry in trail}
    erasure = next(entry for entry in trail if "erased_at" in entry.changed_fields)
    assert erasure.username == "command:purge_patient_data"
    assert {"first_name", "notes", "email", "date_of_birth"} <= set(erasure.changed_fields)
    assert set(erasure.changes) == {"erased_at", "erasure_reason"}
    assert erasure.changes["erasure_reason"] == {"from": "", "to": "retention"}
    stored = str(erasure.changes) + str(erasure.changed_fields)
    assert not any(text in stored for text in INTAKE_TEXT)


def test_every_patient_field_is_erased_unless_it_is_named_as_kept(make_appointment, risk_factors, clinic):
    """Walk every field: a new field is erased by default, and keeping one has to be said in the model."""
    now = timezone.now()
    filled = {
        "preferred_contact": Appointment.ContactMethod.TEXT, "is_new_patient": False, "guardian_name": "Ann Q",
        "rls_relieved_by_movement": True, "rls_worse_at_rest": True, "status_reason": "Patient called to cancel.",
        "notify_by": Appointment.NotifyBy.BOTH, "text_consent_wording": "I agree to get texts about this visit.",
        "takes_dopamine_medicine": True, "known_sleep_apnea": True, "recent_blood_loss": True,
    }
    appointment = make_appointment(start=now - timedelta(days=400), status=Status.CANCELLED, **filled)
    appointment.risk_factors.set([risk_factors["pregnancy"]])
    before = {field.attname: getattr(appointment, field.attname) for field in Appointment._meta.concrete_fields}
    erased = Appointment.erased_values()
    fields = {field.name for field in Appointment._meta.concrete_fields}

    assert fields >= Appointment.KEPT_ON_ERASURE, "KEPT_ON_ERASURE names a field the model no longer has"
    assert fields - Appointment.KEPT_ON_ERASURE == set(erased), "a field is neither kept nor erased"

    purge()

    appointment.refresh_from_db()
    for field in Appointment._meta.concrete_fields:
        value = getattr(appointment, field.attname)
        if field.name in Appointment.KEPT_ON_ERASURE - {"updated_at", "erased_at", "erasure_reason"}:
            assert value == before[field.attname], f"{field.name} should have been kept"
        elif field.name in erased:
            assert value == erased[field.name], f"{field.name} was not erased"
            assert value != before[field.attname], f"{field.name} held no patient value to erase in this test"
    assert not appointment.risk_factors.exists()
