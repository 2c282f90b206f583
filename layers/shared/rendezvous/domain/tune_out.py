"""The tune-out alarm: are a tenant's customers opting out of its texts?

Opt-outs per 1,000 texts over the last 7 days against the tenant's threshold
(`tune_out_per_1000`, default 10) and against the 28 days before. Texts are those Twilio
accepted (as GET /v1/stats counts `sent`), from the time index; opt-outs are the
customers' opt-out words, from the activity log, each with the text it answered
(`answered_kind`, `answered_variant`), so the alarm names the texts that drew them.

A small clinic is not woken by one STOP: the 7 days need MIN_TEXTS texts and
MIN_OPT_OUTS opt-outs before either test fires, and "doubled" also needs a prior period
worth comparing with (MIN_PRIOR_TEXTS texts, MIN_PRIOR_OPT_OUTS opt-out: a rate doubled
from zero is any opt-out at all, which the threshold alone judges).
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from enum import StrEnum
from typing import Final

from rendezvous.domain.activity import ActivityEntry, ActivityEvent
from rendezvous.domain.clock import Clock
from rendezvous.domain.errors import NotFound
from rendezvous.domain.keywords import Intent
from rendezvous.domain.models import (
    HANDED_OFF_STATUSES,
    MessageStatus,
    Tenant,
    template_kind,
)
from rendezvous.domain.ports import (
    ActivityReader,
    ExperimentReader,
    HourlyRuns,
    TemplateRules,
    TenantReader,
    TimeIndex,
)

RECENT: Final = timedelta(days=7)
PRIOR: Final = timedelta(days=28)
MIN_TEXTS: Final = 100
MIN_OPT_OUTS: Final = 3
MIN_PRIOR_TEXTS: Final = 100
MIN_PRIOR_OPT_OUTS: Final = 1
MAX_DRAWN_BY: Final = 10
# The queue watcher's job name for its hourly claim (HourlyRuns).
HOURLY_JOB: Final = "tune_out"
# Statuses of a text Twilio accepted (or may have: `unknown`), as GET /v1/stats counts `sent`.
_ACCEPTED: Final = frozenset({*(s.value for s in HANDED_OFF_STATUSES), MessageStatus.UNDELIVERED})


class TuneOutReason(StrEnum):
    THRESHOLD = "threshold"  # above the tenant's opt-outs per 1,000 texts
    DOUBLED = "doubled"  # more than twice the rate of the 28 days before


@dataclass(frozen=True)
class DrawnBy:
    """Texts of one kind (and variant) that drew opt-outs in the 7 days, with the words the
    business sends for that kind now (the variant's own words for a variant)."""

    kind: str
    variant: str | None
    body: str | None
    opt_outs: int


@dataclass(frozen=True)
class TuneOut:
    tenant_id: str
    threshold_per_1000: int
    texts_7d: int
    opt_outs_7d: int
    texts_prior_28d: int
    opt_outs_prior_28d: int
    reason: TuneOutReason | None
    drawn_by: tuple[DrawnBy, ...]

    @property
    def firing(self) -> bool:
        return self.reason is not None

    @property
    def per_1000_7d(self) -> float | None:
        return per_1000(self.opt_outs_7d, self.texts_7d)

    @property
    def per_1000_prior_28d(self) -> float | None:
        return per_1000(self.opt_outs_prior_28d, self.texts_prior_28d)


def per_1000(opt_outs: int, texts: int) -> float | None:
    """Opt-outs per 1,000 texts, to one place; None with no texts."""
    return round(opt_outs * 1000 / texts, 1) if texts else None


def reason_for(
    threshold: int, texts: int, opt_outs: int, prior_texts: int, prior_opt_outs: int
) -> TuneOutReason | None:
    """Why the alarm fires, if it does: the threshold first, then the doubling. Compared
    exactly (opt-outs × 1000 against the threshold × texts), not on rounded rates."""
    if texts < MIN_TEXTS or opt_outs < MIN_OPT_OUTS:
        return None
    if opt_outs * 1000 > threshold * texts:
        return TuneOutReason.THRESHOLD
    if (
        prior_texts >= MIN_PRIOR_TEXTS
        and prior_opt_outs >= MIN_PRIOR_OPT_OUTS
        and opt_outs * prior_texts > 2 * prior_opt_outs * texts
    ):
        return TuneOutReason.DOUBLED
    return None


@dataclass(frozen=True)
class TuneOutRound:
    """The hourly check across tenants, for CloudWatch: how many fire, and the highest rate
    among those with enough to judge (MIN_TEXTS texts and MIN_OPT_OUTS opt-outs), so one
    tiny tenant's STOP does not paint the dashboard. `judged`: the tenants with enough
    opt-outs to fire, with their figures; the others were only counted."""

    hour: str
    checked: int
    judged: tuple[TuneOut, ...]

    @property
    def firing(self) -> list[str]:
        return [t.tenant_id for t in self.judged if t.firing]

    @property
    def highest_per_1000(self) -> float:
        rates = [t.per_1000_7d for t in self.judged if t.texts_7d >= MIN_TEXTS]
        return max((rate for rate in rates if rate is not None), default=0.0)


@dataclass
class TuneOutService:
    tenants: TenantReader
    texts: TimeIndex
    log: ActivityReader
    clock: Clock
    rules: TemplateRules
    # Claims the watcher's hour; None: no hourly check here (the API's use).
    runs: HourlyRuns | None = None
    # A variant's words come from its experiment; None: shown with the kind's words.
    experiments: ExperimentReader | None = None

    def tune_out(self, tenant_id: str) -> TuneOut:
        tenant = self.tenants.get_tenant(tenant_id)
        if tenant is None:
            raise NotFound("tenant not configured")
        return self.of(tenant)

    def hourly(self, tenant_ids: list[str]) -> TuneOutRound | None:
        """Every tenant checked, once in each UTC hour (the watcher runs every five
        minutes, and may run twice); None on every other call. The hour is claimed after
        the round is read, not before: a read that fails leaves it unclaimed, and the next
        run checks it again (a GetItem first, so a checked hour costs one read). Two runs
        may both read the round; only the one that claims the hour reports it. A tenant
        with fewer than MIN_OPT_OUTS opt-outs in the 7 days cannot fire: its 8 days of the
        log (a Query each) are all that is read; the others' figures are read whole."""
        assert self.runs is not None, "the hourly check needs HourlyRuns"
        now = self.clock.now()
        hour = now.astimezone(UTC).strftime("%Y-%m-%dT%H")
        if self.runs.ran_in_hour(HOURLY_JOB, hour):
            return None
        found = [t for t in map(self.tenants.get_tenant, tenant_ids) if t is not None]
        judged = tuple(
            self.of(tenant)
            for tenant in found
            if sum(1 for _ in self._opt_outs(tenant.tenant_id, now - RECENT, now)) >= MIN_OPT_OUTS
        )
        if not self.runs.first_run_of_hour(HOURLY_JOB, hour):
            return None
        return TuneOutRound(hour, len(found), judged)

    def of(self, tenant: Tenant) -> TuneOut:
        """The 35 days up to now read once: one Query a day of the time index and of the
        log. The 7 days are [now - 7 days, now], the 28 before them end where they begin."""
        now = self.clock.now()
        recent, since = now - RECENT, now - RECENT - PRIOR
        texts: Counter[bool] = Counter()  # keyed by "in the last 7 days"
        for row in self.texts.messages_between(tenant.tenant_id, since, now):
            if row.status in _ACCEPTED and row.send_at <= now:
                texts[row.send_at >= recent] += 1
        opt_outs: Counter[bool] = Counter()
        drew: Counter[tuple[str, str | None]] = Counter()
        for entry in self._opt_outs(tenant.tenant_id, since, now):
            opt_outs[entry.at >= recent] += 1
            if entry.at >= recent and entry.answered_kind is not None:
                drew[entry.answered_kind, entry.answered_variant] += 1
        most = sorted(drew.items(), key=lambda d: (-d[1], d[0][0], d[0][1] or ""))
        return TuneOut(
            tenant_id=tenant.tenant_id,
            threshold_per_1000=tenant.tune_out_per_1000,
            texts_7d=texts[True],
            opt_outs_7d=opt_outs[True],
            texts_prior_28d=texts[False],
            opt_outs_prior_28d=opt_outs[False],
            reason=reason_for(
                tenant.tune_out_per_1000, texts[True], opt_outs[True], texts[False], opt_outs[False]
            ),
            drawn_by=tuple(
                DrawnBy(kind, variant, self._body(tenant, kind, variant), count)
                for (kind, variant), count in most[:MAX_DRAWN_BY]
            ),
        )

    def _opt_outs(self, tenant_id: str, since: datetime, now: datetime) -> Iterator[ActivityEntry]:
        """Customers' opt-out words logged in [since, now], one Query a UTC day."""
        days = (now.astimezone(UTC).date() - since.astimezone(UTC).date()).days
        for n in range(days + 1):
            day = (since + timedelta(days=n)).astimezone(UTC).date().isoformat()
            for entry in self.log.day(tenant_id, day):
                if (
                    since <= entry.at <= now
                    and entry.event is ActivityEvent.TEXT_RECEIVED
                    and entry.acted_on() is Intent.OPT_OUT
                ):
                    yield entry

    def _body(self, tenant: Tenant, kind: str, variant: str | None) -> str | None:
        """The variant's template, else what the tenant sends for the kind now in its own
        language: its template when fit to send (as render decides), else the default.
        None for a kind no template writes."""
        if variant is not None and self.experiments is not None:
            experiment_id, _, name = variant.partition("/")
            experiment = self.experiments.get_experiment(tenant.tenant_id, experiment_id)
            for written in experiment.variants if experiment is not None else ():
                if written.name == name:
                    return written.template
        try:
            message_kind = template_kind(kind)
        except ValueError:
            return None
        custom = tenant.templates.get(tenant.locale, {}).get(message_kind.value, "")
        if custom.strip() and not self.rules.problems(custom, message_kind):
            return custom
        return self.rules.default(tenant.locale, message_kind)
