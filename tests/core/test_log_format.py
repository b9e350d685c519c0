"""Log lines: one JSON object per line in production, plain text in development."""

import json
import logging
import os
import subprocess
import sys

import pytest

from core.logformat import REQUEST_ID, JSONLineFormatter, RequestIdFilter
from truffles.settings import BASE_DIR


def record_with(**extra) -> logging.LogRecord:
    try:
        raise ValueError("the traceback\nspans lines")
    except ValueError:
        exc_info = sys.exc_info()
    record = logging.LogRecord("django.request", logging.ERROR, __file__, 1, "Internal Server Error: %s", ("/x/",),
                               exc_info)  # fmt: skip
    record.__dict__.update(extra)
    return record


def test_a_record_is_one_json_line_with_its_request_id_and_allowed_fields_only():
    token = REQUEST_ID.set("abc123def456")
    try:
        record = record_with(status_code=500, view="home", request=object(), cookie="sessionid=secret")
        RequestIdFilter().filter(record)
    finally:
        REQUEST_ID.reset(token)
    line = JSONLineFormatter().format(record)

    assert "\n" not in line
    entry = json.loads(line)
    assert entry["message"] == "Internal Server Error: /x/"
    assert entry["request_id"] == "abc123def456"
    assert entry["level"] == "ERROR"
    assert entry["logger"] == "django.request"
    assert entry["status_code"] == 500
    assert entry["view"] == "home"
    assert "ValueError: the traceback\nspans lines" in entry["exception"]
    assert "request" not in entry
    assert "cookie" not in entry


def test_a_traceback_a_filter_already_rendered_is_kept():
    record = record_with()
    record.exc_text, record.exc_info = "Traceback (rewritten)", None
    assert json.loads(JSONLineFormatter().format(record))["exception"] == "Traceback (rewritten)"


@pytest.mark.process
@pytest.mark.parametrize(("debug", "expected"), [("false", "json"), ("true", "plain")])
def test_production_writes_json_and_development_plain_text(debug, expected):
    env = {key: value for key, value in os.environ.items() if not key.startswith(("DJANGO_", "TRUFFLES_"))}
    env.update(DJANGO_DEBUG=debug, DJANGO_SECRET_KEY="x" * 50, DATABASE_URL="postgres://nobody@127.0.0.1:1/none")
    result = subprocess.run(
        [sys.executable, "-c", "from truffles import settings; print(settings.LOGGING['handlers']['console']"
                               "['formatter'])"],
        cwd=BASE_DIR, env=env, capture_output=True, text=True, timeout=60,
    )  # fmt: skip
    assert result.stdout.strip() == expected, result.stderr
