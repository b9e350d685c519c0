"""The appointments list as the front desk uses it all day: its cost does not grow with the table, and
exports hold just the selected rows."""

import csv
import io
from datetime import timedelta
from http import HTTPStatus

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from django.utils import timezone

from appointments.admin import AppointmentPaginator
from appointments.models import Appointment
from tests.appointments.fixtures import local

CHANGELIST = reverse("admin:appointments_appointment_changelist")
HEADER_COUNT = (
    'SELECT COUNT(*) AS "__count" FROM "appointments_appointment" '
    """WHERE "appointments_appointment"."status" = 'requested'"""
)


def test_admin_index_shows_what_needs_attention(admin_client, make_appointment):
    make_appointment()
    make_appointment(hour=11, email="b@example.com")
    html = admin_client.get(reverse("admin:index")).content.decode()
    assert "2 requests awaiting triage" in html


def test_csv_export_has_the_selected_appointments(admin_client, make_appointment):
    wanted = make_appointment(last_name="=HYPERLINK(evil)", email="+cmd@example.com")
    make_appointment(hour=11, last_name="NotSelected")
    response = admin_client.post(CHANGELIST, {"action": "export_csv", "_selected_action": [wanted.pk]})
    rows = list(csv.reader(io.StringIO(response.content.decode())))
    assert rows[0][0] == "Reference"
    assert [row[0] for row in rows[1:]] == [wanted.reference]
    assert rows[1][8] == "'=HYPERLINK(evil)"  # neutralised for spreadsheets
    assert rows[1][10] == "'+cmd@example.com"
    assert rows[1][11] == "+12015550199"  # the phone stays a number staff can dial


@pytest.mark.parametrize("count", [2, 20])
def test_csv_export_queries_do_not_grow_with_rows(
    admin_client, make_appointment, make_article, risk_factors, count, django_assert_max_num_queries
):
    article = make_article(title="Iron and restless legs", risk_factors=list(risk_factors))
    selected = []
    for i in range(count):
        appointment = make_appointment(day=timezone.localdate() + timedelta(days=3 + i), source_article=article)
        appointment.risk_factors.set(list(risk_factors.values())[:2])
        selected.append(appointment.pk)
    # Measured: 15 queries at 2 and at 20 rows (session, user, audit context, filter choices twice, the changelist
    # count, the rows, two prefetches, the audit insert).
    with django_assert_max_num_queries(15):
        response = admin_client.post(CHANGELIST, {"action": "export_csv", "_selected_action": selected})
    rows = list(csv.reader(io.StringIO(response.content.decode())))
    assert len(rows) == count + 1
    assert "came from: Iron and restless legs (it discusses" in rows[1][14]


def seed_open_appointments(clinic, count):
    """`count` requests and confirmed visits from tomorrow on, an hour apart (no two overlap)."""
    start = local(timezone.localdate() + timedelta(days=1), 9)
    Appointment.objects.bulk_create(
        Appointment(
            visit_type=clinic["vein"], provider=clinic["marsh" if i % 2 else "okafor"], location=clinic["location"],
            starts_at=start + timedelta(hours=i), ends_at=start + timedelta(hours=i, minutes=45),
            busy_until=start + timedelta(hours=i, minutes=45), first_name="P", last_name=f"N{i}",
            date_of_birth="1970-01-01", email=f"p{i}@example.com", phone="+12015550123",
            status=Appointment.Status.REQUESTED if i % 3 else Appointment.Status.CONFIRMED,
            consent_version="t", consented_at=timezone.now(), reference=f"TVS-T{i:05d}", manage_token_hash=f"token-{i}",
            reasons=["rls"], rls_urge_to_move=True,
        )
        for i in range(count)
    )


# Measured: 9 queries at 30 and at 300 appointments by default (session, user, audit context set and cleared,
# three filter choice lists, the capped count, the page); 10 with ?when=all (plus the pg_class estimate).
# Fixed whatever the number of rows; one of them is the INSERT that records which rows were listed.
CHANGELIST_QUERIES = 11


@pytest.mark.parametrize("count", [30, 300])
@pytest.mark.parametrize("when", [None, "all"])
def test_changelist_query_count_does_not_grow_with_appointments(
    admin_client, clinic, count, when, django_assert_max_num_queries
):
    seed_open_appointments(clinic, count)
    with django_assert_max_num_queries(CHANGELIST_QUERIES):
        response = admin_client.get(CHANGELIST, {"when": when} if when else {})
    assert response.status_code == HTTPStatus.OK
    html = response.content.decode()
    assert html.count('class="action-select"') == min(count, 50)
    assert f"{count} appointments" in html


def test_changelist_stops_counting_past_the_cap(admin_client, clinic, monkeypatch):
    monkeypatch.setattr(AppointmentPaginator, "count_cap", 20)
    seed_open_appointments(clinic, 30)
    with CaptureQueriesContext(connection) as queries:
        html = admin_client.get(CHANGELIST).content.decode()
    assert "more than 20 appointments" in html
    # The header counts requests awaiting triage on its own (status only, indexed); the list's count is capped.
    counts = [q["sql"] for q in queries if "COUNT(" in q["sql"].upper() and "starts_at" in q["sql"]]
    assert counts
    assert all("LIMIT 21" in sql for sql in counts)


def test_whole_table_count_comes_from_the_planner_estimate(admin_client, clinic, monkeypatch):
    monkeypatch.setattr(AppointmentPaginator, "estimate_above", 20)
    seed_open_appointments(clinic, 30)
    with connection.cursor() as cursor:
        cursor.execute("ANALYZE appointments_appointment")
    with CaptureQueriesContext(connection) as queries:
        html = admin_client.get(CHANGELIST, {"when": "all", "status": "all"}).content.decode()
    assert "about 30 appointments" in html
    # Only the header's count of requests awaiting triage (status only, indexed) is counted.
    assert [q["sql"] for q in queries if "COUNT(" in q["sql"].upper()] == [HEADER_COUNT]
    # A filter means the estimate no longer applies: an exact (capped) count.
    assert "20 appointments" in admin_client.get(CHANGELIST, {"when": "all", "triage": "needed"}).content.decode()
