"""The arithmetic of template experiments: which variant an appointment gets, and whether
the difference between two variants' rates is real yet.

Assignment is a stable hash of the experiment and the appointment, so every text of one
appointment in one experiment uses one variant, whatever retries, reminders or functions
render it, and no assignment needs storing before it is used.

A difference between two proportions gets Newcombe's hybrid score interval (method 10 of
Newcombe 1998, built from two Wilson intervals): closed form, good coverage down to small
counts and rates near 0 (a no-show rate is), and no scipy to load on a cold start. With
more than one variant against the control, each comparison's level is Bonferroni-adjusted
so that the chance of calling any false winner stays at 5%.

A difference is *meaningful* when its interval leaves out 0 and each arm has at least
MIN_PER_ARM appointments counted for that rate. Below that an interval can exclude 0 by
luck of a handful of outcomes. Looking at the report every day and stopping at the first
meaningful look still raises the chance of a false winner above 5% (the "peeking"
problem); the console says so next to the verdict.
"""

from __future__ import annotations

import hashlib
import math
from collections.abc import Sequence
from dataclasses import dataclass
from statistics import NormalDist
from typing import Final

CONFIDENCE: Final = 0.95
MIN_PER_ARM: Final = 100


def variant_of(experiment_id: str, appointment_id: str, variants: Sequence[str]) -> str:
    """The variant an appointment gets in an experiment: an even split by a stable hash."""
    if not variants:
        raise ValueError("an experiment has variants")
    digest = hashlib.sha256(f"{experiment_id}\x1f{appointment_id}".encode()).digest()
    return variants[int.from_bytes(digest[:8], "big") % len(variants)]


def z_for(confidence: float, comparisons: int = 1) -> float:
    """The two-sided normal quantile for a confidence level shared by `comparisons` tests
    (Bonferroni)."""
    alpha = (1 - confidence) / max(1, comparisons)
    return NormalDist().inv_cdf(1 - alpha / 2)


def wilson(successes: int, trials: int, z: float) -> tuple[float, float]:
    """Wilson's score interval for a proportion; (0, 1) with no trials."""
    if trials <= 0:
        return 0.0, 1.0
    p = successes / trials
    denominator = 1 + z * z / trials
    centre = (p + z * z / (2 * trials)) / denominator
    half = z * math.sqrt(p * (1 - p) / trials + z * z / (4 * trials * trials)) / denominator
    return max(0.0, centre - half), min(1.0, centre + half)


@dataclass(frozen=True)
class Difference:
    """`rate` of the variant minus the control's, with its interval."""

    difference: float
    low: float
    high: float
    meaningful: bool


def difference(
    successes: int,
    trials: int,
    control_successes: int,
    control_trials: int,
    *,
    z: float,
    min_per_arm: int = MIN_PER_ARM,
) -> Difference | None:
    """Newcombe's hybrid score interval for p(variant) - p(control); None when an arm has
    nothing counted."""
    if trials <= 0 or control_trials <= 0:
        return None
    p1, p2 = successes / trials, control_successes / control_trials
    l1, u1 = wilson(successes, trials, z)
    l2, u2 = wilson(control_successes, control_trials, z)
    d = p1 - p2
    # Clamped: a difference of proportions lies in [-1, 1], and at the extremes the
    # floating-point sums can land a hair outside (hypothesis found -1.0000000000000002).
    low = max(-1.0, d - math.sqrt((p1 - l1) ** 2 + (u2 - p2) ** 2))
    high = min(1.0, d + math.sqrt((u1 - p1) ** 2 + (p2 - l2) ** 2))
    enough = min(trials, control_trials) >= min_per_arm
    return Difference(d, low, high, meaningful=enough and (low > 0 or high < 0))
