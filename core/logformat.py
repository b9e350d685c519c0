"""How log lines look: one JSON object per line in production, plain text in development.

Standard library only, so granian's own process (which never loads Django) can use the same formatter.
The formatter only shapes a record; what a record may say is the business of the filters in front of it
(redaction of tokens and patient details), so the two compose in any handler.
"""

import json
import logging
from contextvars import ContextVar
from datetime import UTC, datetime

# The request being answered, for every line written while answering it ("-" outside requests).
REQUEST_ID: ContextVar[str] = ContextVar("request_id", default="-")
# Fields a record may carry beside its message (logger.info(..., extra={...})); anything else a library
# attaches (Django's `request` object, with its path and cookies) never reaches a line.
EXTRA_FIELDS = ("view", "method", "status", "duration_ms", "status_code", "worker_id")


class RequestIdFilter(logging.Filter):
    """Stamps each record with the id of the request it was written for."""

    def filter(self, record: logging.LogRecord) -> bool:
        record.request_id = REQUEST_ID.get()
        return True


class JSONLineFormatter(logging.Formatter):
    """{"time", "level", "logger", "message", "request_id", the allowed extras, "exception"} on one line."""

    def format(self, record: logging.LogRecord) -> str:
        entry = {
            "time": datetime.fromtimestamp(record.created, UTC).isoformat(timespec="milliseconds"),
            "level": record.levelname,
            "logger": record.name,
            "message": record.getMessage(),
            "request_id": getattr(record, "request_id", REQUEST_ID.get()),
        }
        for name in EXTRA_FIELDS:
            value = record.__dict__.get(name)
            if isinstance(value, (str, int, float)):
                entry[name] = value
        if record.exc_info:
            entry["exception"] = self.formatException(record.exc_info)
        elif record.exc_text:
            entry["exception"] = record.exc_text
        if record.stack_info:
            entry["stack"] = self.formatStack(record.stack_info)
        return json.dumps(entry, ensure_ascii=False)
