"""The app's own logs hold no patient detail: a booking, a refused form and a server error.

Checked in both formats: the JSON lines of production and the plain text of development.
"""

import json
import logging
from http import HTTPStatus

import pytest
from django.conf import settings as django_settings

from appointments.models import Appointment
from core.logformat import JSONLineFormatter, RequestIdFilter
from tests.appointments.fixtures import request_with_code, token_of

DETAILS = "/appointments/request/details/"
PATIENT = {
    "first_name": "Quintessa",
    "last_name": "Vandermolen",
    "email": "quintessa.vandermolen@example.org",
    "phone": "(201) 555-0177",
    "date_of_birth": "1967-02-19",
    "insurance_carrier": "Bluewater Mutual",
    "notes": "Throbbing calves after long shifts",
}


@pytest.fixture(params=["json", "plain"])
def every_log_line(request):
    """Every record any logger emits, at every level, formatted as production (JSON) or development does."""
    lines, formatted = [], []
    formatter = (
        JSONLineFormatter()
        if request.param == "json"
        else logging.Formatter(django_settings.LOGGING["formatters"]["plain"]["format"])
    )

    class Keep(logging.Handler):
        def emit(self, record):
            formatted.append(formatter.format(record))
            lines.append(formatted[-1] + repr(getattr(record, "args", "")))

    handler = Keep(level=logging.DEBUG)
    handler.addFilter(RequestIdFilter())
    root = logging.getLogger()
    levels = {name: logging.getLogger(name).level for name in ("", "django", "django.request", "axes")}
    root.addHandler(handler)
    for name in levels:
        logging.getLogger(name).setLevel(logging.DEBUG)
    yield lines
    root.removeHandler(handler)
    for name, level in levels.items():
        logging.getLogger(name).setLevel(level)
    if request.param == "json":  # one object per line, the traceback of the error included
        assert all(isinstance(json.loads(line), dict) for line in formatted)
        assert not [line for line in formatted if "\n" in line]


def test_a_booking_a_refused_form_and_a_server_error_log_no_patient_details(
    client, open_slot, slot_post, every_log_line, settings
):
    settings.ROOT_URLCONF = "tests.urls"
    booked = request_with_code(client, slot_post(open_slot, **PATIENT))
    invalid = {**PATIENT, "email": "quintessa.vandermolen@", "consent": ""}
    refused = client.post(DETAILS, slot_post(open_slot, **invalid))
    client.raise_request_exception = False
    broken = client.post("/test-errors/bug/", slot_post(open_slot, **PATIENT))

    assert booked.status_code == HTTPStatus.FOUND
    assert refused.status_code == HTTPStatus.BAD_REQUEST
    assert broken.status_code == HTTPStatus.INTERNAL_SERVER_ERROR
    assert any("Internal Server Error" in line for line in every_log_line)  # the error was logged
    assert sum("appointments:details" in line for line in every_log_line) >= 2  # each request, by its view
    token = token_of(booked["Location"])
    assert Appointment.objects.count() == 1
    logged = "\n".join(every_log_line)
    values = [*PATIENT.values(), "5550177", token]
    assert not [value for value in values if value in logged], logged
