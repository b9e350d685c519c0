"""The site's health for Prometheus (prometheus-client), served at /metrics to the monitoring server only.

Two kinds of figures:
- counted in the app processes as things happen (requests, their latency, database errors, bookings).
  granian runs several processes: with PROMETHEUS_MULTIPROC_DIR set (deploy/truffles-web.service,
  `make serve`), each writes its counts to files there and a scrape adds them up, whichever process
  answers. The directory must be emptied before the server starts (systemd's RuntimeDirectory does);
- read from the database at each scrape (the queue and the worker's heartbeat here; the apps add
  theirs with `read_at_scrape`, e.g. notifications by state), so they are right whatever process, or
  machine, the worker runs on.
"""

import ipaddress
import os
from collections.abc import Callable, Iterable
from functools import wraps

from django.conf import settings
from django.db import DatabaseError
from django.utils import timezone
from django.utils.crypto import constant_time_compare
from prometheus_client import REGISTRY, CollectorRegistry, Counter, Histogram, generate_latest, multiprocess
from prometheus_client.core import GaugeMetricFamily

from core.client import client_address

REQUESTS = Counter("truffles_http_requests", "Requests answered, by view and status.", ["view", "status"])
LATENCY = Histogram(
    "truffles_http_request_duration_seconds", "Time to answer a request, by view.", ["view"],
    buckets=(0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10),
)  # fmt: skip
DATABASE_ERRORS = Counter("truffles_database_errors", "Requests that met a database error, by error class.", ["error"])
for _error in ("OperationalError", "InterfaceError"):  # the ones an outage raises: shown as 0 from the start
    DATABASE_ERRORS.labels(_error)
BOOKINGS = Counter(
    "truffles_bookings", "Attempts to hold a time: held, taken (lost to another booking) or refused.",
    ["source", "outcome"],
)  # fmt: skip
BOOKING_OUTCOMES = ("held", "taken", "refused")
# The children for each (view, status): labels() takes a lock and builds a key on every call.
_request_children: dict[tuple[str, int], tuple] = {}


def count_request(view: str, status: int, seconds: float) -> None:
    children = _request_children.get((view, status))
    if children is None:
        children = _request_children[(view, status)] = (REQUESTS.labels(view, status), LATENCY.labels(view))
    children[0].inc()
    children[1].observe(seconds)


def counts_bookings(source: str) -> Callable:
    """Count what a booking step's Outcome says: held, taken, or refused (a limit or a rule)."""
    for outcome in BOOKING_OUTCOMES:
        BOOKINGS.labels(source, outcome)  # shown as 0 until the first one, so rates work from the start

    def decorate(step: Callable) -> Callable:
        @wraps(step)
        def counted(*args, **kwargs):
            result = step(*args, **kwargs)
            outcome = "held" if result.created else "taken" if result.taken else "refused" if result.error else ""
            if outcome:
                BOOKINGS.labels(source, outcome).inc()
            return result

        return counted

    return decorate


def may_read(request) -> bool:
    """The monitoring server: the bearer token, or a configured address. Anyone else gets a 404."""
    token = settings.TRUFFLES_METRICS_TOKEN
    scheme, _, given = request.headers.get("Authorization", "").partition(" ")
    if token and scheme.lower() == "bearer" and constant_time_compare(given.strip(), token):
        return True
    networks = settings.TRUFFLES_METRICS_NETWORKS
    if not networks:
        return False
    try:
        address = ipaddress.ip_address(client_address(request))
    except ValueError:
        return False
    return any(address in network for network in networks)


def exposition() -> bytes:
    """Every metric in Prometheus' text format."""
    if os.environ.get("PROMETHEUS_MULTIPROC_DIR"):
        counted = CollectorRegistry()
        multiprocess.MultiProcessCollector(counted)
    else:
        counted = REGISTRY  # one process (development, tests): its own counts are all there is
    from_database = CollectorRegistry()
    from_database.register(DatabaseCollector())
    return generate_latest(counted) + generate_latest(from_database)


FamilyReader = Callable[[], list[GaugeMetricFamily]]
# What each scrape reads from the database, in order: the queue's here, each app's from its ready().
_scrape_readers: list[FamilyReader] = []


def read_at_scrape(reader: FamilyReader) -> FamilyReader:
    """Add a function returning metric families, read from the database at each scrape."""
    if reader not in _scrape_readers:
        _scrape_readers.append(reader)
    return reader


class DatabaseCollector:
    """Figures read at each scrape: short queries, or `truffles_database_up 0` when they fail."""

    def collect(self) -> Iterable[GaugeMetricFamily]:
        up = GaugeMetricFamily("truffles_database_up", "1 when the database answered this scrape's queries.")
        try:
            families = [family for reader in _scrape_readers for family in reader()]
        except DatabaseError as error:
            DATABASE_ERRORS.labels(type(error).__name__).inc()
            up.add_metric([], 0)
            yield up
            return
        up.add_metric([], 1)
        yield up
        yield from families


@read_at_scrape
def queue_families() -> list[GaugeMetricFamily]:
    from django.db.models import Case, Count, F, Min, When
    from django.db.models.functions import Greatest
    from django_tasks_db.models import DBTaskResult, get_date_max

    from core.models import WorkerHeartbeat

    now = timezone.now()
    due = DBTaskResult.objects.ready().aggregate(
        count=Count("pk"),
        since=Min(Case(When(run_after=get_date_max(), then=F("enqueued_at")),
                       default=Greatest("enqueued_at", "run_after"))),
    )  # fmt: skip
    queued = GaugeMetricFamily("truffles_tasks_due", "Background tasks due and not yet taken by a worker.")
    queued.add_metric([], due["count"])
    oldest = GaugeMetricFamily(
        "truffles_oldest_queued_task_age_seconds", "How long the oldest due task has waited (0 with none)."
    )
    oldest.add_metric([], max((now - due["since"]).total_seconds(), 0) if due["since"] else 0)
    last_beat = WorkerHeartbeat.objects.order_by("-beat_at").values_list("beat_at", flat=True).first()
    beat = GaugeMetricFamily(
        "truffles_worker_last_heartbeat_timestamp_seconds", "When a task worker last reported (Unix time; 0: never)."
    )
    beat.add_metric([], last_beat.timestamp() if last_beat else 0)
    return [queued, oldest, beat]
