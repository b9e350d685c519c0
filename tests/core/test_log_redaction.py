"""The filter every log handler passes records through: what it rewrites, whatever the formatter."""

import json
import logging

import pytest
from django.conf import settings
from django.test import RequestFactory

from core.log_redaction import PatientDataFilter, redact

TOKEN = "Iz45Pv31hhzds4bsBUXZklOdyYvm7MkG9x__PkVv6ts"


@pytest.mark.parametrize(("line", "logged"), [
    (f"Method Not Allowed (HEAD): /appointments/manage/{TOKEN}/",
     "Method Not Allowed (HEAD): /appointments/manage/[token]/"),
    (f"Forbidden (CSRF token missing.): /appointments/manage/{TOKEN}/cancel/",
     "Forbidden (CSRF token missing.): /appointments/manage/[token]/cancel/"),
    ("Forbidden (CSRF token missing.): /waitlist/offers/4217/0f3a9c2e77b1d4e5a6c8b9d0e1f2a3b4/",
     "Forbidden (CSRF token missing.): /waitlist/offers/4217/[token]/"),
    (f"Method Not Allowed (GET): /waitlist/{TOKEN}/join/", "Method Not Allowed (GET): /waitlist/[token]/join/"),
    ("Not Found: /v/q7Zk2mWx9R", "Not Found: /v/[code]"),
    ("opened http://clinic.example/v/q7Zk2mWx9R/change", "opened http://clinic.example/v/[code]/change"),
    (f"GET /appointments/request/details/?start=x&reschedule={TOKEN} 200",
     "GET /appointments/request/details/?[query] 200"),
    ("GET /admin/appointments/appointment/book/?find=Vandermolen", "GET /admin/appointments/appointment/book/?[query]"),
    ("from quintessa.vandermolen@example.org", "from [email]"),
    ("call (201) 555-0177 or +1 201-555-0177 or 2015550177", "call [phone] or [phone] or [phone]"),
    ("born 1967-02-19, typed 02/19/1967", "born [date], typed [date]"),
    ('DETAIL:  Key (email)=(q@example.org) already exists.', "DETAIL:  Key (email)=([values]) already exists."),
    # What is not patient data stays readable: references, ids, timestamps.
    ("Will retry received message 12 for TVS-4F7K2Q at 2026-12-06 05:00:00+00:00",
     "Will retry received message 12 for TVS-4F7K2Q at 2026-12-06 05:00:00+00:00"),
])  # fmt: skip
def test_redact_replaces_secrets_by_their_kind(line, logged):
    assert redact(line) == logged


def record_of(message, *args, **extra):
    try:
        raise ValueError(f"bad value for /appointments/manage/{TOKEN}/ from quintessa@example.org")
    except ValueError:
        import sys

        record = logging.LogRecord("django.request", logging.WARNING, __file__, 1, message, args, sys.exc_info())
    record.__dict__.update(extra)
    return record


def test_a_record_leaves_the_filter_without_its_secrets_for_any_formatter():
    request = RequestFactory().head(f"/appointments/manage/{TOKEN}/?q=Vandermolen")
    record = record_of("Method Not Allowed (%s): %s", "HEAD", request.path, request=request, status_code=405)
    assert PatientDataFilter().filter(record)

    plain = logging.Formatter(settings.LOGGING["formatters"]["plain"]["format"]).format(record)
    # A JSON formatter dumps every attribute of the record; here all of them, as text.
    as_json = json.dumps({key: str(value) for key, value in record.__dict__.items()})
    for output in (plain, as_json):
        assert TOKEN not in output
        assert "quintessa" not in output
        assert "Vandermolen" not in output
    assert "Method Not Allowed (HEAD): /appointments/manage/[token]/" in plain
    assert "ValueError: bad value for /appointments/manage/[token]/ from [email]" in plain
    assert (record.request.method, record.request.path) == ("HEAD", "/appointments/manage/[token]/")


def test_every_configured_handler_passes_the_filter():
    handlers = settings.LOGGING["handlers"]
    assert handlers
    assert all("no_patient_data" in handler.get("filters", []) for handler in handlers.values())
    root = logging.getLogger()
    assert root.handlers
    assert all(
        any(isinstance(f, PatientDataFilter) for f in handler.filters) for handler in root.handlers
        if not type(handler).__module__.startswith("_pytest")
    )
