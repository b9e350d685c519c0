"""No token, name, date of birth, phone or email in a log line, whatever formats it.

`PatientDataFilter` sits on the handlers in settings.LOGGING, so every record passes it before any
formatter (plain text or JSON) sees it: the message is rendered and rewritten, the traceback too, and
the request Django attaches becomes its method and rewritten path. Names cannot be recognised by shape;
they reach a log only in query strings (staff searches) and database error details, both dropped here.
"""

import logging
import re
from dataclasses import dataclass

# Order matters: query strings and manage tokens go before the shapes that could match inside them.
REWRITES = [
    # A URL's query string: staff searches (?q=, ?find=), ?reschedule=<token>, anything a patient typed.
    (re.compile(r"(?<=[\w/.%-])\?[^\s'\"<>)]+"), "?[query]"),
    # The secret in a patient's manage link, and in the cancel and calendar links under it.
    (re.compile(r"(/manage/)[^/\s'\"<>?#]+"), r"\1[token]"),
    # The waitlist's links: a claim link's own token, and the manage token in join and leave.
    (re.compile(r"(/waitlist/offers/\d+/)[^/\s'\"<>?#]+"), r"\1[token]"),
    (re.compile(r"(/waitlist/)(?!offers/)[^/\s'\"<>?#]+(?=/(?:join|leave)/)"), r"\1[token]"),
    # A text's short link stands for the manage link (a bare path, or a whole URL).
    (re.compile(r"(?<![\w/.-])((?:https?://[^/\s'\"<>]+)?/v/)[^/\s'\"<>?#]+"), r"\1[code]"),
    # The values PostgreSQL quotes in a constraint violation's detail.
    (re.compile(r"(Key \([^)]*\)=)\(.*?\)(?=\s|$)", re.M), r"\1([values])"),
    (re.compile(r"[\w.%+-]+@[\w-]+(?:\.[\w-]+)+"), "[email]"),
    (re.compile(r"(?<![\w/])(?:\+?1[\s.-]?)?\(?\d{3}\)?[\s.-]?\d{3}[\s.-]?\d{4}(?!\d)"), "[phone]"),
    # A date alone (a date of birth); a date followed by a time is when something happened.
    (re.compile(r"(?<!\d)\d{4}-\d{2}-\d{2}(?![\d]|[T ]\d\d:)"), "[date]"),
    (re.compile(r"(?<![\d/])\d{1,2}/\d{1,2}/\d{2,4}(?![\d/])"), "[date]"),
]


def redact(text: str) -> str:
    """`text` with every query string, manage token, email, phone and bare date replaced by its kind."""
    for pattern, replacement in REWRITES:
        text = pattern.sub(replacement, text)
    return text


@dataclass(frozen=True, slots=True)
class RedactedRequest:
    """What a formatter may show of the request behind a record (Django adds it to request logs)."""

    method: str
    path: str

    def __str__(self) -> str:
        return f"{self.method} {self.path}"


class PatientDataFilter(logging.Filter):
    def filter(self, record: logging.LogRecord) -> bool:
        record.msg, record.args = redact(record.getMessage()), ()
        if record.exc_info:
            # Formatters print exc_text when there is no exc_info: the traceback goes out rewritten.
            record.exc_text = redact(logging.Formatter().formatException(record.exc_info))
            record.exc_info = None
        elif record.exc_text:
            record.exc_text = redact(record.exc_text)
        request = getattr(record, "request", None)
        if request is not None and not isinstance(request, RedactedRequest):
            record.request = RedactedRequest(str(getattr(request, "method", "")),
                                             redact(str(getattr(request, "path", ""))))
        return True
