"""The results' settings (segment_price, currency, tune_out_per_1000): their defaults, their
bounds, and a change by merge patch, through SettingsService on memory ports."""

from __future__ import annotations

from typing import Any

import pytest

from tests.unit.test_tenant_settings import Setup, setup  # noqa: F401  (the fixture)


def test_the_results_settings_have_their_defaults(setup: Setup) -> None:  # noqa: F811
    tenant = setup.store.tenants["clinic-1"]

    assert (tenant.segment_price, tenant.currency, tenant.tune_out_per_1000) == (0.0083, "USD", 10)


@pytest.mark.parametrize(
    ("field", "value"),
    [
        ("segment_price", -0.0001),
        ("segment_price", 1.0001),
        ("segment_price", "cheap"),
        ("currency", "usd"),
        ("currency", "EURO"),
        ("currency", "E1"),
        ("currency", "ÉUR"),
        ("tune_out_per_1000", 0),
        ("tune_out_per_1000", 201),
        ("tune_out_per_1000", 2.5),
    ],
)
def test_a_results_setting_out_of_bounds_is_refused_naming_it(
    setup: Setup,  # noqa: F811
    field: str,
    value: Any,
) -> None:
    assert field in setup.refused({field: value})


@pytest.mark.parametrize(
    ("patch", "kept"),
    [
        ({"segment_price": 0.0}, ("segment_price", 0.0)),
        ({"segment_price": 1.0}, ("segment_price", 1.0)),
        ({"currency": "EUR"}, ("currency", "EUR")),
        ({"tune_out_per_1000": 1}, ("tune_out_per_1000", 1)),
        ({"tune_out_per_1000": 200}, ("tune_out_per_1000", 200)),
    ],
)
def test_a_results_setting_at_its_bounds_is_taken(
    setup: Setup,  # noqa: F811
    patch: dict[str, Any],
    kept: tuple[str, Any],
) -> None:
    tenant = setup.change(patch)

    assert getattr(tenant, kept[0]) == kept[1]


def test_null_gives_a_results_setting_its_default_again(setup: Setup) -> None:  # noqa: F811
    setup.change({"segment_price": 0.05, "currency": "GBP", "tune_out_per_1000": 25})

    tenant = setup.change({"segment_price": None, "currency": None, "tune_out_per_1000": None})

    assert (tenant.segment_price, tenant.currency, tenant.tune_out_per_1000) == (0.0083, "USD", 10)
