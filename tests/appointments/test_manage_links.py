"""Finding 8: manage links are stored only as a digest, and stop working a while after the visit."""

from datetime import timedelta
from http import HTTPStatus

from django.db import connection
from django.utils import timezone

from appointments.models import Appointment
from tests.appointments.fixtures import request_with_code, token_of

DETAILS = "/appointments/request/details/"


def test_the_database_holds_no_working_manage_link(client, open_slot, slot_post):
    location = request_with_code(client, slot_post(open_slot))["Location"]
    token = token_of(location)

    with connection.cursor() as cursor:
        cursor.execute("SELECT row_to_json(a)::text FROM appointments_appointment a")
        stored = cursor.fetchone()[0]
    stored_value = Appointment.objects.values_list("manage_token_hash", flat=True).get()

    assert token not in stored
    assert client.get(location).status_code == HTTPStatus.OK  # the patient's link works
    assert client.get(f"/appointments/manage/{stored_value}/").status_code == HTTPStatus.NOT_FOUND


def test_a_link_stops_working_after_the_visit_and_the_retention_period(client, open_slot, slot_post, settings):
    settings.TRUFFLES_MANAGE_LINK_DAYS_AFTER_VISIT = 30
    location = request_with_code(client, slot_post(open_slot))["Location"]
    appointment = Appointment.objects.get()
    length = appointment.ends_at - appointment.starts_at

    def visit_ended(days_ago):
        end = timezone.now() - timedelta(days=days_ago)
        Appointment.objects.filter(pk=appointment.pk).update(
            starts_at=end - length, ends_at=end, busy_until=end, status=Appointment.Status.COMPLETED
        )

    visit_ended(29)
    assert client.get(location).status_code == HTTPStatus.OK
    visit_ended(31)
    assert client.get(location).status_code == HTTPStatus.NOT_FOUND
    assert client.get(f"{location}calendar.ics").status_code == HTTPStatus.NOT_FOUND
