"""The request form's restless-legs questions and red flags, as a patient and the triaging nurse meet them."""

from http import HTTPStatus

import pytest

from appointments.forms import AppointmentRequestForm
from appointments.models import Appointment, SubmissionAttempt

DETAILS = "/appointments/request/details/"


@pytest.fixture
def staff(client, staff_member, sign_in):
    return sign_in(client, staff_member())


def details_page(client, slot):
    start = slot["start"].isoformat().replace("+", "%2B")
    url = f"{DETAILS}?visit_type={slot['visit_type'].slug}&provider={slot['provider'].pk}&start={start}"
    return client.get(url).content.decode()


def test_the_rest_question_follows_the_irlssg_wording(client, open_slot):
    html = details_page(client, open_slot)
    assert "It begins or gets worse when I sit or lie still" in html
    assert "It starts when I sit or lie still" not in html


def test_the_form_asks_about_dopamine_medicines_sleep_apnea_and_blood_loss(client, open_slot):
    html = details_page(client, open_slot)
    assert "I take pramipexole, ropinirole, rotigotine or levodopa" in html
    assert "I have been told I have sleep apnea" in html
    assert "I have recently lost or given blood" in html


def test_the_new_answers_reach_the_booking_step(open_slot, patient_form):
    data = patient_form(takes_dopamine_medicine="on", known_sleep_apnea="on", recent_blood_loss="on")
    form = AppointmentRequestForm(data, visit_type=open_slot["visit_type"])
    assert form.is_valid(), form.errors
    answers = form.answers()
    for name in ("takes_dopamine_medicine", "known_sleep_apnea", "recent_blood_loss"):
        assert answers[name] is True


def test_answers_typed_before_restless_legs_was_unticked_are_dropped(open_slot, patient_form):
    data = patient_form(reasons=["varicose"], takes_dopamine_medicine="on", recent_blood_loss="on")
    form = AppointmentRequestForm(data, visit_type=open_slot["visit_type"])
    assert form.is_valid(), form.errors
    assert not form.answers()["takes_dopamine_medicine"]
    assert not form.answers()["recent_blood_loss"]


def test_the_triage_summary_shows_the_new_answers(make_appointment):
    appointment = make_appointment(
        reasons=["rls"], takes_dopamine_medicine=True, known_sleep_apnea=True, recent_blood_loss=True
    )
    summary = appointment.triage_summary()
    assert "takes a dopamine agonist or levodopa now" in summary
    assert "known sleep apnea" in summary
    assert "recent blood loss or blood donation" in summary


def test_the_triage_summary_leaves_out_what_the_patient_did_not_tick(make_appointment):
    summary = make_appointment(reasons=["rls"]).triage_summary()
    for word in ("dopamine", "apnea", "blood"):
        assert word not in summary


def test_the_staff_page_shows_the_new_answers(staff, make_appointment):
    appointment = make_appointment(reasons=["rls"], known_sleep_apnea=True)
    html = staff.get(f"/admin/appointments/appointment/{appointment.pk}/change/").content.decode()
    assert "known sleep apnea" in html


@pytest.mark.parametrize(
    ("question", "advice"),
    [
        ("urgent_bleeding", "A vein that keeps bleeding: call 911 now."),
        ("urgent_cord", "A new hot, red, painful cord along a vein: see a doctor today"),
    ],
)
def test_each_new_red_flag_stops_the_request_and_stores_nothing(client, open_slot, slot_post, question, advice):
    response = client.post(DETAILS, slot_post(open_slot, **{question: "yes"}))
    html = response.content.decode()
    assert response.status_code == HTTPStatus.OK
    assert "Please get urgent medical care now" in html
    assert advice in html
    assert "We have not sent or kept anything you typed." in html
    assert "Maria" not in html  # nothing the patient typed is echoed back either
    assert not Appointment.objects.exists()
    assert not SubmissionAttempt.objects.exists()


def test_the_red_flags_are_asked_first_and_are_required(client, open_slot, slot_post):
    html = details_page(client, open_slot)
    assert html.index("A vein that is bleeding") < html.index("First name")
    assert html.index("hot, red, painful cord") < html.index("First name")
    response = client.post(DETAILS, slot_post(open_slot, urgent_bleeding=None, urgent_cord=None))
    html = response.content.decode()
    assert response.status_code == HTTPStatus.BAD_REQUEST
    assert "Answer the safety question about a bleeding vein." in html
    assert "Answer the safety question about a hot, red, painful vein." in html
    assert not Appointment.objects.exists()


def test_staff_read_the_same_red_flags_to_a_caller(staff, clinic):
    html = staff.get("/admin/appointments/appointment/book/").content.decode()
    assert "Right now, do you have any of these?" in html
    assert "A vein that is bleeding and does not stop when you press on it?" in html
    assert "A new hot, red, painful cord along a vein?" in html
