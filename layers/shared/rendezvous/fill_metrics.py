"""CloudWatch metrics of vacancy fill: offers sent by a wave, openings filled (and how long
each took), openings that expired unfilled."""

from __future__ import annotations

from aws_lambda_powertools.metrics import MetricUnit

from rendezvous.domain.offers import TakeOutcome, TakeResult, WaveResult
from rendezvous.observability import metrics


def record_wave_metrics(result: WaveResult) -> None:
    if result.offers_sent:
        metrics.add_metric(name="OffersSent", unit=MetricUnit.Count, value=result.offers_sent)
    if result.expired_now:
        metrics.add_metric(name="OpeningsExpired", unit=MetricUnit.Count, value=1)


def record_take_metrics(result: TakeResult) -> None:
    if result.outcome is not TakeOutcome.WON:
        metrics.add_metric(name="OfferTakenByAnother", unit=MetricUnit.Count, value=1)
        return
    metrics.add_metric(name="OpeningsFilled", unit=MetricUnit.Count, value=1)
    if result.time_to_fill_seconds is not None:
        metrics.add_metric(
            name="TimeToFillSeconds", unit=MetricUnit.Seconds, value=result.time_to_fill_seconds
        )
