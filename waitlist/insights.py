"""The waitlist's figures on the clinic manager's Insights page: the times that freed, and what the offers made of them.

The cohort is the freed times (openings) that start in the period, with every offer made of each, so
the two tables add up: the offers table's total is the openings table's "offers sent". A freed time
is refilled when a waiting patient took (claimed) one of its offers; the time to refill runs from
when the time was freed to the first claim. The page reaches these through
`appointments.insights.add_section` (waitlist/apps.py): appointments never imports the waitlist.
Two queries whatever the period; aggregates only, no patient and no waitlist entry is named.
"""

from dataclasses import dataclass
from typing import ClassVar

from django.utils import timezone

from appointments import insights
from waitlist import openings
from waitlist.models import Opening

CAUSES = dict(Opening.Cause.choices)


@dataclass(frozen=True, slots=True, kw_only=True)
class OpeningRow:
    """Freed times of one specialist and cause, one specialist, or the clinic, and how many the list refilled."""

    provider: str  # "" on the clinic's total
    cause: str  # in words; "" on a specialist's subtotal and the clinic's total
    freed: int  # freed times starting in the period
    freed_minutes: int
    offers_sent: int
    refilled: int  # freed times of which a waiting patient took at least one offered time
    refilled_minutes: int  # the visits that moved into them
    median_refill_hours: float | None  # freed -> first offer taken, among the refilled

    @property
    def refill_share(self) -> float | None:
        return self.refilled / self.freed if self.freed else None

    @property
    def is_total(self) -> bool:
        return not self.cause

    CSV_HEADINGS: ClassVar = (
        "Specialist",
        "Cause",
        "Freed times",
        "Minutes freed",
        "Offers sent",
        "Refilled from the waitlist",
        "Share refilled",
        "Minutes refilled",
        "Median hours to refill",
    )

    def csv_values(self) -> list[object]:
        return [
            self.provider or "All specialists",
            self.cause or "All causes",
            self.freed,
            self.freed_minutes,
            self.offers_sent,
            self.refilled,
            "" if self.refill_share is None else round(self.refill_share, 4),
            self.refilled_minutes,
            "" if self.median_refill_hours is None else self.median_refill_hours,
        ]


@dataclass(frozen=True, slots=True, kw_only=True)
class OfferRow:
    """What became of the offers of a specialist's freed times, by the waiting patient's visit type."""

    provider: str  # the freed time's specialist; "" on the clinic's total
    visit_type: str  # of the waiting patient's visit; "" on a subtotal and the total
    sent: int
    taken: int  # the patient's visit moved to the offered time
    gone: int  # someone else took the time first
    lapsed: int  # no answer within the hold
    withdrawn: int
    awaiting: int  # still held, no answer yet

    @property
    def take_rate(self) -> float | None:
        return self.taken / self.sent if self.sent else None

    @property
    def is_total(self) -> bool:
        return not self.visit_type

    CSV_HEADINGS: ClassVar = (
        "Specialist",
        "Visit type",
        "Offers sent",
        "Taken",
        "Someone else first",
        "Lapsed",
        "Withdrawn",
        "Awaiting an answer",
        "Share taken",
    )

    def csv_values(self) -> list[object]:
        return [
            self.provider or "All specialists",
            self.visit_type or "All visit types",
            self.sent,
            self.taken,
            self.gone,
            self.lapsed,
            self.withdrawn,
            self.awaiting,
            "" if self.take_rate is None else round(self.take_rate, 4),
        ]


OPENINGS_SQL = """
WITH freed AS (
    SELECT o.id, o.provider_id, o.cause, o.created_at, extract(epoch FROM o.ends_at - o.starts_at) / 60 AS minutes
    FROM waitlist_opening o
    WHERE o.starts_at >= %(start)s AND o.starts_at < %(end)s
),
offered AS (
    -- Per freed time: offers sent, and the claims among them (the first one refilled it).
    SELECT x.opening_id, count(*) AS sent,
           min(x.answered_at) FILTER (WHERE x.state = 'claimed') AS refilled_at,
           sum(extract(epoch FROM v.duration) / 60) FILTER (WHERE x.state = 'claimed') AS refilled_minutes
    FROM freed
    JOIN waitlist_offer x ON x.opening_id = freed.id
    JOIN waitlist_waitlistentry e ON e.id = x.entry_id
    JOIN appointments_appointment a ON a.id = e.appointment_id
    JOIN appointments_visittype v ON v.id = a.visit_type_id
    GROUP BY x.opening_id
)
SELECT p.name, f.cause, GROUPING(p.name, f.cause),
       count(*), coalesce(round(sum(f.minutes)), 0)::int, coalesce(sum(o.sent), 0)::int,
       count(o.refilled_at), coalesce(round(sum(o.refilled_minutes)), 0)::int,
       percentile_cont(0.5) WITHIN GROUP (ORDER BY extract(epoch FROM o.refilled_at - f.created_at) / 3600)
FROM freed f
JOIN appointments_provider p ON p.id = f.provider_id
LEFT JOIN offered o ON o.opening_id = f.id
GROUP BY GROUPING SETS ((p.name, f.cause), (p.name), ())
ORDER BY GROUPING(p.name), p.name, GROUPING(f.cause), f.cause
"""

# An offer still "open" past its hold has lapsed, whether or not the worker has marked it yet (Offer.is_open).
OFFERS_SQL = """
SELECT p.name, v.name, GROUPING(p.name, v.name), count(*),
       count(*) FILTER (WHERE x.state = 'claimed'),
       count(*) FILTER (WHERE x.state = 'gone'),
       count(*) FILTER (WHERE x.state = 'expired' OR (x.state = 'open' AND x.expires_at <= %(now)s)),
       count(*) FILTER (WHERE x.state = 'withdrawn'),
       count(*) FILTER (WHERE x.state = 'open' AND x.expires_at > %(now)s)
FROM waitlist_offer x
JOIN waitlist_opening o ON o.id = x.opening_id
JOIN appointments_provider p ON p.id = o.provider_id
JOIN waitlist_waitlistentry e ON e.id = x.entry_id
JOIN appointments_appointment a ON a.id = e.appointment_id
JOIN appointments_visittype v ON v.id = a.visit_type_id
WHERE o.starts_at >= %(start)s AND o.starts_at < %(end)s
GROUP BY GROUPING SETS ((p.name, v.name), (p.name), ())
ORDER BY GROUPING(p.name), p.name, GROUPING(v.name), v.name
"""


def _params(period: insights.Period) -> dict[str, object]:
    start, end = period.bounds
    return {"start": start, "end": end, "now": timezone.now()}


def freed_times(period: insights.Period) -> list[OpeningRow]:
    """Per specialist and cause, then each specialist's subtotal, then the clinic (one query)."""
    rows = []
    for provider, cause, grouping, *counts, median in insights.fetch_rows(OPENINGS_SQL, _params(period)):
        rows.append(OpeningRow(
            provider="" if grouping == 3 else provider, cause="" if grouping else CAUSES.get(cause, cause),
            freed=counts[0], freed_minutes=counts[1], offers_sent=counts[2], refilled=counts[3],
            refilled_minutes=counts[4], median_refill_hours=None if median is None else round(median, 1),
        ))  # fmt: skip
    return rows


def offers(period: insights.Period) -> list[OfferRow]:
    """Per specialist and visit type, then each specialist's subtotal, then the clinic (one query)."""
    return [
        OfferRow(provider="" if grouping == 3 else provider, visit_type="" if grouping else visit_type,
                 sent=sent, taken=taken, gone=gone, lapsed=lapsed, withdrawn=withdrawn, awaiting=awaiting)
        for provider, visit_type, grouping, sent, taken, gone, lapsed, withdrawn, awaiting
        in insights.fetch_rows(OFFERS_SQL, _params(period))
    ]  # fmt: skip


def charts(figures: dict[str, list]) -> dict[str, list[insights.Bar]]:
    """The share of freed times refilled, by specialist; what became of all the offers."""
    specialists = [row for row in figures["openings"] if row.provider and row.is_total]
    total = figures["offers"][-1]
    fates = [("Taken", total.taken), ("Someone else first", total.gone), ("Lapsed", total.lapsed),
             ("Withdrawn", total.withdrawn), ("Awaiting an answer", total.awaiting)]  # fmt: skip
    return {
        "refills": insights.bars(
            [(row.provider, row.refill_share, insights.percent(row.refill_share)) for row in specialists], scale=1.0
        ),
        "offers": insights.bars([(label, count, str(count)) for label, count in fates]) if total.sent else [],
    }


SECTION = insights.Section(
    name="waitlist",
    heading="Waitlist offers and refills",
    template="admin/waitlist/insights_section.html",
    tables={"openings": (freed_times, OpeningRow), "offers": (offers, OfferRow)},
    charts=charts,
    is_shown=openings.is_enabled,
)
