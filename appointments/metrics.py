"""The appointments' figures in /metrics (core/metrics.py), read from the database at each scrape."""

from prometheus_client.core import GaugeMetricFamily

from appointments.models import Message

# Message states as an operator reads them: waiting to go (pending, being sent), sent, failed, not needed.
NOTIFICATION_STATES = {
    "pending": "queued", "sending": "queued", "sent": "sent", "failed": "failed", "skipped": "skipped",
}  # fmt: skip


def notification_families() -> list[GaugeMetricFamily]:
    family = GaugeMetricFamily(
        "truffles_notifications", "Patient and clinic notifications by channel and state (queued, sent, failed, "
        "skipped).", labels=["channel", "state"],
    )  # fmt: skip
    totals = {(channel, state): 0 for channel in ("email",) for state in set(NOTIFICATION_STATES.values())}
    for channel, state, count in Message.objects.counts_by_channel_and_state():
        key = (channel, NOTIFICATION_STATES.get(state, state))
        totals[key] = totals.get(key, 0) + count
    for (channel, state), count in sorted(totals.items()):
        family.add_metric([channel, state], count)
    return [family]
