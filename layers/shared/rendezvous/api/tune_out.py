"""What GET /v1/tune-out answers (the console's banner for managers builds on this shape).

Every member is always present: an empty rate or reason is `null`, not left out."""

from __future__ import annotations

from typing import TYPE_CHECKING, Literal

from pydantic import BaseModel, ConfigDict

if TYPE_CHECKING:
    from rendezvous.domain.tune_out import TuneOut


class DrawnByOut(BaseModel):
    model_config = ConfigDict(defer_build=True)

    kind: str
    # `<experiment>/<variant>` when the texts were written with an experiment's variant.
    variant: str | None
    # The words the business sends for that kind now (the variant's, for a variant).
    body: str | None
    opt_outs: int


class TuneOutOut(BaseModel):
    model_config = ConfigDict(defer_build=True)

    firing: bool
    threshold_per_1000: int
    texts_7d: int
    opt_outs_7d: int
    per_1000_7d: float | None
    texts_prior_28d: int
    opt_outs_prior_28d: int
    per_1000_prior_28d: float | None
    reason: Literal["threshold", "doubled"] | None
    # At most 10, most opt-outs first.
    drawn_by: list[DrawnByOut]

    @classmethod
    def of(cls, tune_out: TuneOut) -> TuneOutOut:
        return cls(
            firing=tune_out.firing,
            threshold_per_1000=tune_out.threshold_per_1000,
            texts_7d=tune_out.texts_7d,
            opt_outs_7d=tune_out.opt_outs_7d,
            per_1000_7d=tune_out.per_1000_7d,
            texts_prior_28d=tune_out.texts_prior_28d,
            opt_outs_prior_28d=tune_out.opt_outs_prior_28d,
            per_1000_prior_28d=tune_out.per_1000_prior_28d,
            reason=tune_out.reason.value if tune_out.reason else None,
            drawn_by=[DrawnByOut(**d.__dict__) for d in tune_out.drawn_by],
        )
