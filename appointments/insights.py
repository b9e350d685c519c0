"""The clinic manager's numbers: aggregates over a period, computed in PostgreSQL.

Every figure covers the appointments whose visit time falls in the period (the "cohort"), so the
counts of one table add up and can be checked by hand. Status changes, who made them and when
come from the audit trail (the trigger records every status change with its actor), so the
numbers need nothing the clinic does not already record. Three queries, whatever the period;
no patient detail is read. Apps built on this one add their figures with `add_section` (the
waitlist's offers and refills, from its AppConfig.ready()), so this module never imports them.
"""

from collections.abc import Callable
from dataclasses import dataclass
from datetime import date, timedelta
from typing import ClassVar

from django.conf import settings
from django.db import connection

from core.days import local_days

# A cancellation this close to the visit leaves a time that is hard to fill: counted as "late".
LATE_CANCELLATION = timedelta(hours=24)
# Statuses whose time was given to a patient (a declined or cancelled visit gave it back).
BOOKED_STATUSES = ("requested", "confirmed", "completed", "no_show")


@dataclass(frozen=True, slots=True, kw_only=True)
class Period:
    """The days the manager asked about, first and last included."""

    first: date
    last: date

    @classmethod
    def last_four_weeks(cls, today: date) -> "Period":
        """The four whole weeks (Monday to Sunday) before this one."""
        this_monday = today - timedelta(days=today.weekday())
        return cls(first=this_monday - timedelta(weeks=4), last=this_monday - timedelta(days=1))

    @property
    def bounds(self):
        """Aware datetimes: the start of the first day and the start of the day after the last, clinic time."""
        return local_days(self.first, (self.last - self.first).days + 1)


@dataclass(frozen=True, slots=True, kw_only=True)
class OutcomeRow:
    """What became of the cohort's appointments, for one specialist and visit type, one specialist, or all."""

    provider: str  # "" on the clinic's total
    visit_type: str  # "" on a specialist's subtotal and the clinic's total
    appointments: int  # visits in the period, however they were booked
    online_requests: int  # of which requested on the website
    confirmed: int  # confirmed at some point (a later cancellation included)
    declined: int
    cancelled_by_patient: int
    cancelled_by_clinic: int  # staff or a clinic job
    cancelled_late: int  # within LATE_CANCELLATION of the visit, by anyone
    completed: int
    no_shows: int
    median_decision_hours: float | None  # online request received -> confirmed or declined

    @property
    def no_show_rate(self) -> float | None:
        """No-shows among visits that were due to happen (completed or no-show)."""
        due = self.completed + self.no_shows
        return self.no_shows / due if due else None

    @property
    def is_total(self) -> bool:
        return not self.visit_type

    CSV_HEADINGS: ClassVar = (
        "Specialist", "Visit type", "Visits", "Requested online", "Confirmed", "Declined", "Cancelled by patient",
        "Cancelled by clinic", "Cancelled < 24 h before", "Completed", "No-shows", "No-show rate",
        "Median hours to decision",
    )

    def csv_values(self) -> list:
        return [
            self.provider or "All specialists", self.visit_type or "All visit types", self.appointments,
            self.online_requests, self.confirmed, self.declined, self.cancelled_by_patient, self.cancelled_by_clinic,
            self.cancelled_late, self.completed, self.no_shows, _fraction(self.no_show_rate),
            "" if self.median_decision_hours is None else self.median_decision_hours,
        ]


@dataclass(frozen=True, slots=True, kw_only=True)
class UtilisationRow:
    """One specialist's week: minutes given to patients against minutes the clinic was open."""

    provider: str
    week: date  # its Monday
    booked_minutes: int
    open_minutes: int

    @property
    def rate(self) -> float | None:
        return self.booked_minutes / self.open_minutes if self.open_minutes else None

    CSV_HEADINGS: ClassVar = ("Specialist", "Week of", "Booked minutes", "Open minutes", "Utilisation")

    def csv_values(self) -> list:
        return [self.provider, self.week.isoformat(), self.booked_minutes, self.open_minutes, _fraction(self.rate)]


@dataclass(frozen=True, slots=True, kw_only=True)
class FunnelRow:
    """From an article (or none) to a request, a confirmed visit and a completed one."""

    article: str  # "" for requests that did not come from an article
    requests: int
    confirmed: int
    completed: int

    CSV_HEADINGS: ClassVar = ("Article", "Requests", "Confirmed", "Completed")

    def csv_values(self) -> list:
        return [self.article or "No article", self.requests, self.confirmed, self.completed]


OUTCOMES_SQL = """
WITH cohort AS (
    SELECT a.id, a.provider_id, a.visit_type_id, a.status, a.created_at, a.starts_at,
           a.submission_token_hash IS NOT NULL AS online
    FROM appointments_appointment a
    WHERE a.starts_at >= %(start)s AND a.starts_at < %(end)s
      -- An online request whose email code was never entered is nobody's visit.
      AND NOT EXISTS (
          SELECT 1 FROM appointments_emailcheck ec WHERE ec.appointment_id = a.id AND ec.proven_at IS NULL
      )
),
status_change AS (
    SELECT e.appointment_id, e.occurred_at, e.username,
           e.changes -> 'status' ->> 'from' AS from_status, e.changes -> 'status' ->> 'to' AS to_status
    FROM staff_auditentry e JOIN cohort ON cohort.id = e.appointment_id
    WHERE e.changes ? 'status'
),
ever_confirmed AS (
    SELECT DISTINCT appointment_id FROM status_change WHERE to_status = 'confirmed'
),
decision AS (
    SELECT DISTINCT ON (appointment_id) appointment_id, occurred_at
    FROM status_change WHERE from_status = 'requested' AND to_status IN ('confirmed', 'declined')
    ORDER BY appointment_id, occurred_at
),
cancellation AS (
    -- The audit trail's actor: the public website (the patient's own link) leaves none.
    SELECT DISTINCT ON (appointment_id) appointment_id, occurred_at, username = '' AS by_patient
    FROM status_change WHERE from_status IS NOT NULL AND to_status = 'cancelled'
    ORDER BY appointment_id, occurred_at DESC
)
SELECT p.name, v.name, GROUPING(p.name, v.name),
       count(*), count(*) FILTER (WHERE c.online),
       count(ever_confirmed.appointment_id),
       count(*) FILTER (WHERE c.status = 'declined'),
       count(*) FILTER (WHERE c.status = 'cancelled' AND x.by_patient),
       count(*) FILTER (WHERE c.status = 'cancelled' AND x.by_patient IS NOT TRUE),
       count(*) FILTER (WHERE c.status = 'cancelled' AND c.starts_at - x.occurred_at < %(late)s),
       count(*) FILTER (WHERE c.status = 'completed'),
       count(*) FILTER (WHERE c.status = 'no_show'),
       percentile_cont(0.5) WITHIN GROUP (ORDER BY extract(epoch FROM d.occurred_at - c.created_at) / 3600)
           FILTER (WHERE c.online AND d.appointment_id IS NOT NULL)
FROM cohort c
JOIN appointments_provider p ON p.id = c.provider_id
JOIN appointments_visittype v ON v.id = c.visit_type_id
LEFT JOIN ever_confirmed ON ever_confirmed.appointment_id = c.id
LEFT JOIN decision d ON d.appointment_id = c.id
LEFT JOIN cancellation x ON x.appointment_id = c.id
GROUP BY GROUPING SETS ((p.name, v.name), (p.name), ())
ORDER BY GROUPING(p.name), p.name, GROUPING(v.name), v.name
"""

# Open time: each day's working blocks as clinic-time ranges, minus the clinic's and the specialist's
# closures (multiranges, so overlapping closures are not subtracted twice).
UTILISATION_SQL = """
WITH day AS (
    SELECT d::date AS day FROM generate_series(%(first)s::date, %(last)s::date, interval '1 day') AS d
),
block AS (
    SELECT h.provider_id, date_trunc('week', day.day)::date AS week,
           tstzrange((day.day + h.starts_at) AT TIME ZONE %(zone)s,
                     (day.day + h.ends_at) AT TIME ZONE %(zone)s) AS hours
    FROM day JOIN appointments_workinghours h ON h.weekday = extract(isodow FROM day.day) - 1
),
closed AS (
    SELECT p.id AS provider_id, range_agg(tstzrange(c.starts_at, c.ends_at)) AS ranges
    FROM appointments_provider p
    JOIN appointments_closure c ON c.provider_id IS NULL OR c.provider_id = p.id
    WHERE c.starts_at < %(end)s AND c.ends_at > %(start)s
    GROUP BY p.id
),
working_week AS (
    SELECT b.provider_id, b.week, range_agg(b.hours) AS hours FROM block b GROUP BY b.provider_id, b.week
),
open_week AS (
    SELECT w.provider_id, w.week, w.hours - coalesce(closed.ranges, '{}'::tstzmultirange) AS open
    FROM working_week w LEFT JOIN closed ON closed.provider_id = w.provider_id
),
open_minutes AS (
    SELECT o.provider_id, o.week,
           coalesce(sum(extract(epoch FROM upper(r) - lower(r))) / 60, 0)::int AS minutes
    FROM open_week o LEFT JOIN LATERAL unnest(o.open) AS r ON true
    GROUP BY o.provider_id, o.week
),
booked AS (
    SELECT a.provider_id, date_trunc('week', a.starts_at AT TIME ZONE %(zone)s)::date AS week,
           (sum(extract(epoch FROM a.ends_at - a.starts_at)) / 60)::int AS minutes
    FROM appointments_appointment a
    WHERE a.starts_at >= %(start)s AND a.starts_at < %(end)s AND a.status = ANY(%(booked)s)
    GROUP BY 1, 2
)
SELECT p.name, coalesce(o.week, b.week), coalesce(b.minutes, 0), coalesce(o.minutes, 0)
FROM open_minutes o
FULL JOIN booked b ON b.provider_id = o.provider_id AND b.week = o.week
JOIN appointments_provider p ON p.id = coalesce(o.provider_id, b.provider_id)
ORDER BY p.name, 2
"""

FUNNEL_SQL = """
SELECT coalesce(art.title, ''), count(*),
       count(*) FILTER (WHERE EXISTS (
           SELECT 1 FROM staff_auditentry e
           WHERE e.appointment_id = a.id AND e.changes -> 'status' ->> 'to' = 'confirmed')),
       count(*) FILTER (WHERE a.status = 'completed')
FROM appointments_appointment a
LEFT JOIN articles_article art ON art.id = a.source_article_id
WHERE a.starts_at >= %(start)s AND a.starts_at < %(end)s
      -- An online request whose email code was never entered is nobody's visit.
      AND NOT EXISTS (
          SELECT 1 FROM appointments_emailcheck ec WHERE ec.appointment_id = a.id AND ec.proven_at IS NULL
      )
GROUP BY art.title
ORDER BY count(*) DESC, art.title NULLS LAST
"""


def fetch_rows(sql: str, params: dict) -> list[tuple]:
    """One figure's query, read as plain rows (the sections other apps add use it too)."""
    with connection.cursor() as cursor:
        cursor.execute(sql, params)
        return cursor.fetchall()


def _params(period: Period) -> dict:
    start, end = period.bounds
    return {"start": start, "end": end, "first": period.first, "last": period.last, "zone": settings.TIME_ZONE,
            "late": LATE_CANCELLATION, "booked": list(BOOKED_STATUSES)}


def outcomes(period: Period) -> list[OutcomeRow]:
    """Per specialist and visit type, then each specialist's subtotal, then the clinic (one query)."""
    rows = []
    for provider, visit_type, grouping, *counts, median in fetch_rows(OUTCOMES_SQL, _params(period)):
        rows.append(OutcomeRow(
            provider="" if grouping == 3 else provider, visit_type="" if grouping else visit_type,
            appointments=counts[0], online_requests=counts[1], confirmed=counts[2], declined=counts[3],
            cancelled_by_patient=counts[4], cancelled_by_clinic=counts[5], cancelled_late=counts[6],
            completed=counts[7], no_shows=counts[8],
            median_decision_hours=None if median is None else round(median, 1),
        ))  # fmt: skip
    return rows


def utilisation(period: Period) -> list[UtilisationRow]:
    """Per specialist per week (one query)."""
    return [
        UtilisationRow(provider=provider, week=week, booked_minutes=booked, open_minutes=open_)
        for provider, week, booked, open_ in fetch_rows(UTILISATION_SQL, _params(period))
    ]


def funnel(period: Period) -> list[FunnelRow]:
    """Per source article, most requests first (one query)."""
    return [
        FunnelRow(article=article, requests=requests, confirmed=confirmed, completed=completed)
        for article, requests, confirmed, completed in fetch_rows(FUNNEL_SQL, _params(period))
    ]


@dataclass(frozen=True, slots=True, kw_only=True)
class Bar:
    """One bar of a chart drawn as SVG: its label, the figure printed beside it, and its length in percent."""

    label: str
    figure: str
    percent: float


def bars(items: list[tuple[str, float | None, str]], scale: float | None = None) -> list[Bar]:
    """Bars for (label, value, figure) items, as long as value / scale (default: the largest value)."""
    largest = scale or max((value or 0 for _, value, _ in items), default=0)
    return [
        Bar(label=label, figure=figure, percent=round(100 * (value or 0) / largest, 1) if largest else 0.0)
        for label, value, figure in items
    ]


def percent(rate: float | None) -> str:
    return "—" if rate is None else f"{rate:.0%}"


TABLES = {"outcomes": (outcomes, OutcomeRow), "utilisation": (utilisation, UtilisationRow),
          "funnel": (funnel, FunnelRow)}


def _fraction(rate: float | None) -> float | str:
    return "" if rate is None else round(rate, 4)


def charts(outcomes_: list[OutcomeRow], utilisation_: list[UtilisationRow], funnel_: list[FunnelRow]) -> dict:
    """The page's four charts as bars; each sits beside the table holding the same numbers."""
    specialists = [row for row in outcomes_ if row.provider and row.is_total]
    total = outcomes_[-1] if outcomes_ else None
    return {
        "no_shows": bars([(row.provider, row.no_show_rate, percent(row.no_show_rate)) for row in specialists],
                         scale=1.0),
        "utilisation": bars([(f"{row.provider}, week of {row.week:%b %-d}", row.rate, percent(row.rate))
                             for row in utilisation_], scale=1.0),
        "funnel": bars([(label, value, str(value)) for label, value in [
            ("Visits", total.appointments), ("Confirmed", total.confirmed), ("Completed", total.completed)]]
            if total else []),
        "articles": bars([(row.article or "No article", row.requests, str(row.requests)) for row in funnel_]),
    }


# A downloadable table: the function computing its rows for a period, and the rows' type (CSV_HEADINGS).
Table = tuple[Callable[[Period], list], type]


@dataclass(frozen=True, slots=True, kw_only=True)
class Section:
    """Figures an app above this one adds to the page, after the clinic's own (the waitlist's refills)."""

    name: str  # the section's anchor on the page
    heading: str
    template: str  # draws `figures` (table name -> rows) and `charts` (name -> bars) inside the section
    tables: dict[str, Table]  # each downloads as CSV under its name; one query each, whatever the period
    charts: Callable[[dict[str, list]], dict[str, list[Bar]]]  # the tables' rows -> the section's bars
    is_shown: Callable[[], bool] = lambda: True  # e.g. only while the waitlist is switched on


@dataclass(frozen=True, slots=True, kw_only=True)
class SectionFigures:
    """A section as the page draws it for one period."""

    section: Section
    figures: dict[str, list]
    charts: dict[str, list[Bar]]


SECTIONS: list[Section] = []


def add_section(section: Section) -> None:
    """Add (or replace, by name) another app's section; its table names must not shadow another's CSV."""
    others = [other for other in SECTIONS if other.name != section.name]
    taken = set(TABLES).union(*(other.tables for other in others))
    if taken & set(section.tables):
        raise ValueError(f"Insights already has a table named {sorted(taken & set(section.tables))}")
    SECTIONS[:] = [*others, section]


def sections(period: Period) -> list[SectionFigures]:
    """The shown sections' figures for the period: one query per table."""
    shown = []
    for section in SECTIONS:
        if section.is_shown():
            figures = {name: compute(period) for name, (compute, _) in section.tables.items()}
            shown.append(SectionFigures(section=section, figures=figures, charts=section.charts(figures)))
    return shown


def downloadable(name: str) -> Table | None:
    """The table a CSV link names: one of the clinic's own, or of a section now shown."""
    if name in TABLES:
        return TABLES[name]
    return next((section.tables[name] for section in SECTIONS if section.is_shown() and name in section.tables), None)
