"""The experiment arithmetic against published figures and its own promises."""

from __future__ import annotations

from collections import Counter

import pytest
from hypothesis import given
from hypothesis import strategies as st

from rendezvous.domain.experiment_stats import (
    MIN_PER_ARM,
    difference,
    variant_of,
    wilson,
    z_for,
)

Z95 = z_for(0.95)


@pytest.mark.parametrize(
    ("counts", "low", "high"),
    [
        # Newcombe (1998), Statistics in Medicine 17:873-890, Table II, method 10.
        ((56, 70, 48, 80), 0.0524, 0.3339),
        ((9, 10, 3, 10), 0.1705, 0.8090),
        ((5, 56, 0, 29), -0.0381, 0.1926),
    ],
)
def test_newcombe_interval_matches_the_published_table(
    counts: tuple[int, int, int, int], low: float, high: float
) -> None:
    found = difference(*counts, z=Z95, min_per_arm=1)
    assert found is not None
    assert round(found.low, 4) == low
    assert round(found.high, 4) == high


def test_wilson_interval_of_none_in_ten() -> None:
    low, high = wilson(0, 10, Z95)
    assert low == pytest.approx(0.0, abs=1e-12)
    assert round(high, 4) == 0.2775


def test_a_difference_needs_enough_in_each_arm_to_be_meaningful() -> None:
    clear = difference(60, 80, 20, 80, z=Z95)
    assert clear is not None
    assert clear.low > 0
    assert not clear.meaningful  # 80 per arm is below MIN_PER_ARM
    assert MIN_PER_ARM > 80
    big = difference(600, 800, 200, 800, z=Z95)
    assert big is not None
    assert big.meaningful


def test_an_interval_that_spans_zero_is_not_meaningful() -> None:
    found = difference(100, 1000, 95, 1000, z=Z95)
    assert found is not None
    assert found.low < 0 < found.high
    assert not found.meaningful


def test_interval_stays_within_minus_one_and_one_at_the_extremes() -> None:
    found = difference(0, 1, 1, 1, z=Z95, min_per_arm=1)
    assert found is not None
    assert found.low >= -1.0
    assert found.high <= 1.0


def test_no_trials_means_no_comparison() -> None:
    assert difference(0, 0, 5, 10, z=Z95) is None
    assert difference(5, 10, 0, 0, z=Z95) is None


def test_bonferroni_widens_the_interval_for_more_comparisons() -> None:
    assert z_for(0.95, 1) == pytest.approx(1.95996, abs=1e-4)
    assert z_for(0.95, 2) == pytest.approx(2.24140, abs=1e-4)


def test_assignment_is_stable_and_even() -> None:
    variants = ["plain", "cost"]
    first = [variant_of("exp1", f"appt-{n}", variants) for n in range(10_000)]
    again = [variant_of("exp1", f"appt-{n}", variants) for n in range(10_000)]
    assert first == again
    split = Counter(first)
    # 10,000 fair coin flips: 4,850 to 5,150 holds with probability above 0.997.
    assert 4_850 <= split["plain"] <= 5_150
    other = [variant_of("exp2", f"appt-{n}", variants) for n in range(10_000)]
    assert first != other  # another experiment splits the same appointments afresh


def test_assignment_needs_variants() -> None:
    with pytest.raises(ValueError, match="variants"):
        variant_of("exp1", "a", [])


@given(
    st.integers(0, 500),
    st.integers(1, 500),
    st.integers(0, 500),
    st.integers(1, 500),
)
def test_interval_contains_the_observed_difference_within_bounds(
    k1: int, n1: int, k2: int, n2: int
) -> None:
    k1, k2 = min(k1, n1), min(k2, n2)
    found = difference(k1, n1, k2, n2, z=Z95, min_per_arm=1)
    assert found is not None
    assert -1.0 <= found.low <= found.difference <= found.high <= 1.0
