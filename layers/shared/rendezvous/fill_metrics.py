"""CloudWatch metrics of vacancy fill, written with the activity log entries GET /v1/stats
counts, so the dashboard and the stats count the same events: openings made (by source),
offer texts Twilio took, openings filled (by how, and how long each took), openings that
ended unfilled."""

from __future__ import annotations

from aws_lambda_powertools.metrics import MetricUnit

from rendezvous.domain.activity import ActivityEntry, ActivityEvent
from rendezvous.domain.ports import ActivityReader
from rendezvous.observability import add_breakdown, metrics

METRIC_BY_EVENT = {
    ActivityEvent.OPENING_CREATED: "OpeningsCreated",
    ActivityEvent.OFFER_SENT: "OffersSent",
    ActivityEvent.OPENING_FILLED: "OpeningsFilled",
    ActivityEvent.OPENING_EXPIRED: "OpeningsExpired",
}
# The entry's `reason` each count is broken down by: an opening's source (cancellation,
# booking, reschedule), a fill's way (waitlist, reschedule). A few values each.
BREAKDOWN_BY_EVENT = {
    ActivityEvent.OPENING_CREATED: "Source",
    ActivityEvent.OPENING_FILLED: "Via",
}


class MeteredActivityLog:
    """The activity log, telling CloudWatch each vacancy fill entry once it is written: the
    one call whose conditional write made the event appends its entry once, so a retry
    counts nothing twice here either."""

    def __init__(self, log: ActivityReader) -> None:
        self._log = log

    def append(self, tenant_id: str, entry: ActivityEntry) -> None:
        self._log.append(tenant_id, entry)
        record_fill_entry(entry)

    def day(self, tenant_id: str, day: str) -> list[ActivityEntry]:
        return self._log.day(tenant_id, day)


def record_fill_entry(entry: ActivityEntry) -> None:
    name = METRIC_BY_EVENT.get(entry.event)
    if name is None:
        return
    metrics.add_metric(name=name, unit=MetricUnit.Count, value=1)
    dimension = BREAKDOWN_BY_EVENT.get(entry.event)
    if dimension is not None and entry.reason:
        add_breakdown(name, dimension, entry.reason)
    if entry.event is ActivityEvent.OPENING_FILLED and entry.waited_minutes is not None:
        seconds = entry.waited_minutes * 60
        metrics.add_metric(name="TimeToFillSeconds", unit=MetricUnit.Seconds, value=seconds)
        if entry.reason:
            add_breakdown("TimeToFillSeconds", "Via", entry.reason, seconds, MetricUnit.Seconds)
