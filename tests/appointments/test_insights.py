"""The manager's numbers equal what a person counts by hand from one seeded week."""

import csv
import io
import re
from datetime import timedelta
from http import HTTPStatus
from urllib.parse import urlencode

import pytest
from django.urls import reverse
from django.utils import timezone

from appointments import insights
from audit.models import AuditEntry
from staff.roles import CLINICIAN, CONTENT_EDITOR, FRONT_DESK
from tests.appointments.fixtures import INTAKE_TEXT, local, next_weekday

# The page's queries: session, user, the audit context set and cleared, two permission lookups,
# the audit entry for opening the report, the triage badge's count, the three figures (outcomes,
# utilisation, funnel) and the waitlist section's two (freed times, offers), whatever the period.
QUERIES = 13


def row(rows, provider, visit_type=""):
    return next(r for r in rows if (r.provider, r.visit_type) == (provider, visit_type))


def test_outcomes_per_specialist_and_visit_type_match_a_hand_count(seeded_week):
    rows = insights.outcomes(seeded_week)

    vein = row(rows, "Dr. Elena Marsh", "Vein evaluation")
    assert (vein.appointments, vein.online_requests, vein.confirmed, vein.declined) == (5, 4, 4, 1)
    assert (vein.cancelled_by_patient, vein.cancelled_by_clinic, vein.cancelled_late) == (1, 1, 1)
    assert (vein.completed, vein.no_shows, vein.no_show_rate) == (1, 1, 0.5)
    assert vein.median_decision_hours == 5.0  # decisions after 2, 24, 4 and 6 hours

    rls = row(rows, "Dr. Elena Marsh", "RLS consultation")
    assert (rls.appointments, rls.confirmed, rls.completed, rls.no_show_rate, rls.median_decision_hours) == (
        1, 1, 1, 0.0, 10.0)


def test_subtotals_and_the_clinic_total_add_up(seeded_week):
    rows = insights.outcomes(seeded_week)

    marsh = row(rows, "Dr. Elena Marsh")
    assert (marsh.appointments, marsh.online_requests, marsh.confirmed, marsh.completed, marsh.no_shows) == (
        6, 5, 5, 2, 1)
    assert marsh.median_decision_hours == 6.0
    okafor = row(rows, "Dr. Samuel Okafor")
    assert (okafor.appointments, okafor.online_requests, okafor.confirmed, okafor.completed) == (2, 1, 1, 1)
    assert okafor.median_decision_hours is None  # its one online request was never decided
    clinic_total = rows[-1]
    assert (clinic_total.provider, clinic_total.visit_type) == ("", "")
    assert (clinic_total.appointments, clinic_total.confirmed, clinic_total.declined, clinic_total.completed,
            clinic_total.no_shows, clinic_total.no_show_rate) == (8, 6, 1, 3, 1, 0.25)


def test_utilisation_counts_open_time_net_of_closures(seeded_week):
    rows = {r.provider: r for r in insights.utilisation(seeded_week)}

    # 5 days x 7 hours, less Friday's clinic training (3.5 h) and the half hour of Dr. Marsh's
    # time off that falls outside it and outside lunch.
    assert (rows["Dr. Elena Marsh"].booked_minutes, rows["Dr. Elena Marsh"].open_minutes) == (45 + 45 + 30, 1860)
    assert (rows["Dr. Samuel Okafor"].booked_minutes, rows["Dr. Samuel Okafor"].open_minutes) == (90, 1890)
    assert rows["Dr. Elena Marsh"].week == seeded_week.first
    assert rows["Dr. Samuel Okafor"].rate == pytest.approx(90 / 1890)


def test_funnel_follows_each_article_to_completed_visits(seeded_week):
    rows = insights.funnel(seeded_week)

    assert [(r.article, r.requests, r.confirmed, r.completed) for r in rows] == [
        ("", 7, 5, 2),
        ("Iron and restless legs", 1, 1, 1),
    ]


def test_an_empty_period_has_no_rows_but_the_clinic_total_is_zero(clinic):
    period = insights.Period(first=local(timezone.localdate(), 9).date() + timedelta(days=400),
                             last=local(timezone.localdate(), 9).date() + timedelta(days=406))

    (clinic_total,) = insights.outcomes(period)
    assert (clinic_total.provider, clinic_total.appointments, clinic_total.no_show_rate) == ("", 0, None)
    assert insights.funnel(period) == []
    assert all(r.booked_minutes == 0 for r in insights.utilisation(period))


def test_last_four_weeks_are_whole_weeks_before_this_one():
    period = insights.Period.last_four_weeks(next_weekday(timezone.localdate(), 2))

    assert (period.first.weekday(), period.last.weekday()) == (0, 6)
    assert (period.last - period.first).days == 27


def test_an_app_adding_a_section_cannot_shadow_a_download_already_on_the_page():
    clash = insights.Section(name="elsewhere", heading="Elsewhere", template="admin/elsewhere.html",
                             tables={"outcomes": (insights.outcomes, insights.OutcomeRow)}, charts=lambda figures: {})

    with pytest.raises(ValueError, match="outcomes"):
        insights.add_section(clash)
    assert clash not in insights.SECTIONS
    assert insights.downloadable("outcomes") == (insights.outcomes, insights.OutcomeRow)


# The page, for the clinic manager and nobody else.
INSIGHTS = reverse("admin:appointments_appointment_insights")


def period_query(period, **extra):
    return "?" + urlencode({"first": period.first.isoformat(), "last": period.last.isoformat(), **extra})


def test_the_manager_reads_the_weeks_figures_in_tables(manager_client, seeded_week):
    response = manager_client.get(INSIGHTS + period_query(seeded_week))

    assert response.status_code == HTTPStatus.OK
    page = response.content.decode()
    cells = re.sub(r"\s+", " ", re.sub(r"<[^>]+>", " ", page))
    assert "All specialists All visit types 8 6 6 1 1 1 1 3 1 25% 6.0" in cells
    assert "Dr. Elena Marsh Vein evaluation 5 4 4 1 1 1 1 1 1 50% 5.0" in cells
    assert "Iron and restless legs 1 1 1" in cells
    assert '<title id="chart-no-shows-title">No-show rate by specialist</title>' in page
    assert not any(detail in page for detail in INTAKE_TEXT)  # aggregates only


def test_each_table_downloads_as_csv(manager_client, seeded_week):
    response = manager_client.get(INSIGHTS + period_query(seeded_week, download="funnel"))

    assert response["Content-Type"].startswith("text/csv")
    rows = list(csv.reader(io.StringIO(response.content.decode())))
    assert rows == [["Article", "Requests", "Confirmed", "Completed"], ["No article", "7", "5", "2"],
                    ["Iron and restless legs", "1", "1", "1"]]
    outcomes = list(csv.reader(io.StringIO(
        manager_client.get(INSIGHTS + period_query(seeded_week, download="outcomes")).content.decode())))
    assert outcomes[-1][:3] == ["All specialists", "All visit types", "8"]
    assert outcomes[-1][-2:] == ["0.25", "6.0"]


def test_a_wrong_period_is_explained_next_to_the_field(manager_client, clinic):
    response = manager_client.get(INSIGHTS + "?first=2026-05-01&last=2026-04-01")
    assert "The last day comes before the first." in response.content.decode()

    response = manager_client.get(INSIGHTS + "?first=" + "9" * 5000 + "&last=tomorrow")
    assert response.status_code == HTTPStatus.OK
    assert "Enter a date as YYYY-MM-DD." in response.content.decode()


def test_the_page_costs_the_same_queries_for_a_week_or_a_year(manager_client, seeded_week,
                                                              django_assert_num_queries):
    manager_client.get(INSIGHTS)  # the session and permissions, cached after the first page
    year = insights.Period(first=seeded_week.first - timedelta(days=300), last=seeded_week.last)
    with django_assert_num_queries(QUERIES) as week_queries:
        manager_client.get(INSIGHTS + period_query(seeded_week))
    with django_assert_num_queries(QUERIES):
        manager_client.get(INSIGHTS + period_query(year))
    assert sum("staff_auditentry" in query["sql"] and "INSERT" not in query["sql"]
               for query in week_queries.captured_queries) == 2  # outcomes and the funnel read the trail


@pytest.mark.parametrize("role", [FRONT_DESK, CLINICIAN, CONTENT_EDITOR])
def test_only_the_clinic_manager_opens_insights(client, staff_member, clinic, role):
    client.force_login(staff_member(role))

    assert client.get(INSIGHTS).status_code == HTTPStatus.FORBIDDEN
    assert "Insights" not in client.get(reverse("admin:index")).content.decode()
    assert not AuditEntry.objects.filter(action="report").exists()


def test_opening_insights_and_each_download_is_in_the_audit_trail(manager_client, seeded_week):
    manager_client.get(INSIGHTS + period_query(seeded_week))
    manager_client.get(INSIGHTS + period_query(seeded_week, download="outcomes"))

    entries = AuditEntry.objects.filter(action="report").order_by("id")
    assert [(e.username, e.changed_fields, e.appointment_id) for e in entries] == [
        ("clinic-manager", ["insights"], None), ("clinic-manager", ["insights (outcomes CSV)"], None)]
    assert entries[0].changes == {"first": seeded_week.first.isoformat(), "last": seeded_week.last.isoformat()}


def test_the_admin_index_links_insights_for_the_manager(manager_client, clinic):
    page = manager_client.get(reverse("admin:index")).content.decode()

    assert f'href="{INSIGHTS}">Insights</a>' in page
