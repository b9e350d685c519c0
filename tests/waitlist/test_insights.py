"""The waitlist's offers and refills on the manager's Insights page equal a hand count of one past week."""

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
from tests.appointments.fixtures import INTAKE_TEXT
from tests.waitlist.fixtures import offered
from waitlist import insights as waitlist_insights
from waitlist.models import Offer, Opening, WaitlistEntry

pytestmark = pytest.mark.django_db
INSIGHTS = reverse("admin:appointments_appointment_insights")


def row(rows, provider, breakdown=""):
    """The row of one specialist and cause (or visit type); "" for the specialist's subtotal."""
    return next(
        r for r in rows if (r.provider, r.cause if hasattr(r, "cause") else r.visit_type) == (provider, breakdown)
    )


def period_query(period, **extra):
    return "?" + urlencode({"first": period.first.isoformat(), "last": period.last.isoformat(), **extra})


def page_cells(response) -> str:
    """The page's text as a person reads it, cell after cell."""
    return re.sub(r"\s+", " ", re.sub(r"<[^>]+>", " ", response.content.decode()))


def test_freed_times_by_specialist_and_cause_match_a_hand_count(waitlist_week):
    rows = waitlist_insights.freed_times(waitlist_week)

    cancelled = row(rows, "Dr. Elena Marsh", "Cancellation")
    assert (cancelled.freed, cancelled.freed_minutes, cancelled.offers_sent, cancelled.refilled) == (2, 105, 4, 1)
    assert (cancelled.refill_share, cancelled.refilled_minutes, cancelled.median_refill_hours) == (0.5, 45, 2.0)
    declined = row(rows, "Dr. Elena Marsh", "Request declined")
    assert (declined.freed, declined.refilled, declined.refilled_minutes, declined.median_refill_hours) == (
        1, 1, 30, 6.0)  # fmt: skip
    unfilled = row(rows, "Dr. Samuel Okafor", "Closure removed")
    assert (unfilled.freed, unfilled.offers_sent, unfilled.refill_share, unfilled.median_refill_hours) == (
        1, 0, 0.0, None)  # fmt: skip


def test_subtotals_and_the_clinic_total_add_up(waitlist_week):
    rows = waitlist_insights.freed_times(waitlist_week)

    marsh = row(rows, "Dr. Elena Marsh")
    assert (marsh.freed, marsh.freed_minutes, marsh.offers_sent, marsh.refilled, marsh.refilled_minutes) == (
        3, 150, 6, 2, 75)  # fmt: skip
    assert marsh.median_refill_hours == 4.0  # refilled after 2 and 6 hours
    clinic_total = rows[-1]
    assert (clinic_total.provider, clinic_total.cause) == ("", "")
    assert (clinic_total.freed, clinic_total.freed_minutes, clinic_total.offers_sent, clinic_total.refilled) == (
        5, 570, 8, 3)  # fmt: skip
    assert (clinic_total.refill_share, clinic_total.median_refill_hours) == (0.6, 6.0)


def test_offers_by_visit_type_say_what_became_of_each(waitlist_week):
    rows = waitlist_insights.offers(waitlist_week)

    vein = row(rows, "Dr. Elena Marsh", "Vein evaluation")
    assert (vein.sent, vein.taken, vein.gone, vein.lapsed, vein.withdrawn, vein.awaiting) == (4, 1, 1, 1, 1, 0)
    rls = row(rows, "Dr. Elena Marsh", "RLS consultation")
    assert (rls.sent, rls.taken, rls.lapsed, rls.take_rate) == (2, 1, 1, 0.5)
    okafor = row(rows, "Dr. Samuel Okafor")
    assert (okafor.sent, okafor.taken, okafor.lapsed) == (2, 1, 1)  # an open offer past its hold has lapsed
    clinic_total = rows[-1]
    assert (clinic_total.sent, clinic_total.taken, clinic_total.gone, clinic_total.lapsed, clinic_total.withdrawn,
            clinic_total.take_rate) == (8, 3, 1, 3, 1, 0.375)  # fmt: skip


def test_an_offer_still_held_is_awaiting_an_answer(waitlist_week):
    opening = Opening.objects.filter(cause=Opening.Cause.CLOSURE_REMOVED).get()
    soon = Opening.objects.create(provider=opening.provider, location=opening.location, cause=opening.cause,
                                  starts_at=timezone.now() + timedelta(days=2),
                                  ends_at=timezone.now() + timedelta(days=2, hours=1))  # fmt: skip
    offered(soon, WaitlistEntry.objects.first(), Offer.State.OPEN)  # sent just now, held for half an hour
    today = timezone.localdate()

    clinic_total = waitlist_insights.offers(insights.Period(first=today, last=today + timedelta(days=6)))[-1]
    assert (clinic_total.sent, clinic_total.awaiting, clinic_total.lapsed) == (1, 1, 0)


def test_a_week_without_freed_times_reads_zero(waitlist_week):
    later = insights.Period(
        first=waitlist_week.first + timedelta(days=14), last=waitlist_week.last + timedelta(days=14)
    )

    (clinic_total,) = waitlist_insights.freed_times(later)
    assert (clinic_total.freed, clinic_total.refill_share, clinic_total.median_refill_hours) == (0, None, None)
    (offers_total,) = waitlist_insights.offers(later)
    assert (offers_total.sent, offers_total.take_rate) == (0, None)


def test_the_section_costs_two_queries_for_a_week_or_a_year(waitlist_week, django_assert_num_queries):
    year = insights.Period(first=waitlist_week.first - timedelta(days=300), last=waitlist_week.last + timedelta(days=7))
    for period in (waitlist_week, year):
        with django_assert_num_queries(2):  # freed times, and offers
            (section,) = insights.sections(period)
    assert section.figures["openings"][-1].freed == 6  # the year holds the week after too


# The page, as the clinic manager reads it.


def test_the_manager_reads_refills_and_offers_on_insights(manager_client, waitlist_week):
    response = manager_client.get(INSIGHTS + period_query(waitlist_week))

    assert response.status_code == HTTPStatus.OK
    cells = page_cells(response)
    assert "Waitlist offers and refills" in cells
    assert "All specialists All causes 5 570 8 3 60% 120 6.0" in cells
    assert "Dr. Elena Marsh All causes 3 150 6 2 67% 75 4.0" in cells
    assert "All specialists All visit types 8 3 1 3 1 0 38%" in cells
    page = response.content.decode()
    assert '<title id="chart-refills-title">Freed times refilled from the waitlist, by specialist</title>' in page
    assert "Dr. Samuel Okafor: 50%" in page  # the chart's description, read by a screen reader
    assert not any(detail in page for detail in [*INTAKE_TEXT, "Ada", "ada@example.com"])  # aggregates only


def test_freed_times_and_offers_download_as_csv(manager_client, waitlist_week):
    def download(table):
        response = manager_client.get(INSIGHTS + period_query(waitlist_week, download=table))
        assert response["Content-Type"].startswith("text/csv")
        assert f"insights-{table}-{waitlist_week.first}" in response["Content-Disposition"]
        return list(csv.reader(io.StringIO(response.content.decode())))

    freed = download("openings")
    assert freed[0][:3] == ["Specialist", "Cause", "Freed times"]
    assert freed[-1] == ["All specialists", "All causes", "5", "570", "8", "3", "0.6", "120", "6.0"]
    offers = download("offers")
    assert offers[1] == ["Dr. Elena Marsh", "RLS consultation", "2", "1", "0", "1", "0", "0", "0.5"]
    assert offers[-1] == ["All specialists", "All visit types", "8", "3", "1", "3", "1", "0", "0.375"]


def test_opening_the_page_and_downloading_freed_times_are_audited(manager_client, waitlist_week):
    manager_client.get(INSIGHTS + period_query(waitlist_week))
    manager_client.get(INSIGHTS + period_query(waitlist_week, download="openings"))

    entries = AuditEntry.objects.filter(action="report").order_by("id")
    assert [(e.username, e.changed_fields) for e in entries] == [
        ("clinic-manager", ["insights"]), ("clinic-manager", ["insights (openings CSV)"])]  # fmt: skip


def test_with_the_waitlist_off_insights_shows_the_clinics_own_figures(manager_client, waitlist_week, settings):
    settings.TRUFFLES_WAITLIST = {**settings.TRUFFLES_WAITLIST, "ENABLED": False}

    response = manager_client.get(INSIGHTS + period_query(waitlist_week))
    assert response.status_code == HTTPStatus.OK
    cells = page_cells(response)
    assert "What became of the visits" in cells
    assert "Waitlist offers and refills" not in cells
    download = manager_client.get(INSIGHTS + period_query(waitlist_week, download="openings"))
    assert download["Content-Type"].startswith("text/html")  # no such table while the waitlist is off
