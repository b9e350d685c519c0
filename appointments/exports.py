"""Appointments as CSV for the clinic's spreadsheets, safe to open in Excel or LibreOffice."""

import csv

from django.utils import timezone

HEADER = [
    "Reference", "Start", "End", "Status", "Visit type", "Provider", "Location", "First name", "Last name",
    "Date of birth", "Email", "Phone", "Preferred contact", "New patient", "Triage summary", "Came from",
]


def write_csv(appointments, file) -> None:
    """One row per appointment (select_related visit type, provider, location and source article)."""
    writer = csv.writer(file)
    writer.writerow(HEADER)
    for a in appointments:
        before_phone = [
            a.reference, timezone.localtime(a.starts_at).isoformat(), timezone.localtime(a.ends_at).isoformat(),
            a.get_status_display(), a.visit_type.name, a.provider.name, a.location.name, a.first_name,
            a.last_name, a.date_of_birth or "", a.email,
        ]
        after_phone = [
            a.get_preferred_contact_display(), "yes" if a.is_new_patient else "no", a.triage_summary(),
            a.source_article.title if a.source_article_id else "",
        ]
        # The phone is a validated E.164 number ("+1201…"): text, not a formula, so it stays as it is.
        writer.writerow([*map(_safe_cell, before_phone), str(a.phone), *map(_safe_cell, after_phone)])


def _safe_cell(value):
    """Stop spreadsheet formula injection from patient-typed text."""
    text = str(value)
    return "'" + text if text[:1] in {"=", "+", "-", "@", "\t", "\r"} else text
