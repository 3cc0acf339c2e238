"""The study's cost formulas reproduce its published table, and a missing price stays empty."""

from __future__ import annotations

import pytest

from rnbench.results.cost import cost_figures, usd_accrued, usd_per_month
from rnbench.results.errors import ResultsUsageError
from rnbench.results.seed import published_rows

# The published table of shared/reference/STUDY.md: key -> (TPS per $/h, $ per 1M).
PUBLISHED = {
    "c5": (25.65, 10.83),
    "c5 + Neo": (56.09, 4.95),
    "g4dn": (91.10, 3.05),
    "g4dn + Neo": (171.22, 1.62),
    "inf1": (922.12, 0.30),
}


def test_formulas_reproduce_the_published_table_to_the_cent() -> None:
    rows = published_rows()
    assert [r.label for r in rows] == list(PUBLISHED)
    for row in rows:
        figures = row.cost_as_published
        assert figures.tps_per_usd_hour is not None and figures.usd_per_1m is not None
        assert round(figures.tps_per_usd_hour, 2) == PUBLISHED[row.label][0], row.label
        assert round(figures.usd_per_1m, 2) == PUBLISHED[row.label][1], row.label


def test_the_table_was_computed_from_082_not_0821_for_g4dn() -> None:
    g4dn = next(r for r in published_rows() if r.label == "g4dn")
    assert g4dn.usd_per_hour == 0.821
    exact = g4dn.cost
    assert exact.tps_per_usd_hour is not None and exact.usd_per_1m is not None
    assert round(exact.tps_per_usd_hour, 2) == 90.99  # not the published 91.10
    assert round(exact.usd_per_1m, 2) == 3.05
    assert g4dn.usd_per_hour_as_tabulated == 0.82


def test_study_headline_ratios() -> None:
    by_label = {r.label: r.cost_as_published for r in published_rows()}
    inf1 = by_label["inf1"]
    assert inf1.usd_per_1m is not None
    ratio_g4dn = by_label["g4dn + Neo"].usd_per_1m / inf1.usd_per_1m  # type: ignore[operator]
    ratio_c5 = by_label["c5 + Neo"].usd_per_1m / inf1.usd_per_1m  # type: ignore[operator]
    assert round(ratio_g4dn, 1) == 5.4
    assert round(ratio_c5, 1) == 16.4  # the study's 16.5 divides its rounded columns, 4.95 / 0.30
    assert round(4.95 / 0.30, 1) == 16.5
    assert round(inf1.transactions_per_hour / 1e6, 1) == 1.1


def test_all_four_figures() -> None:
    f = cost_figures(10.0, 0.5)
    assert f.transactions_per_hour == 36_000
    assert f.tps_per_usd_hour == 20.0
    assert f.inferences_per_usd == 72_000
    assert f.usd_per_1m == pytest.approx(1e6 / 72_000)


def test_no_price_means_empty_cost_not_zero() -> None:
    f = cost_figures(12.5, None)
    assert (f.tps_per_usd_hour, f.usd_per_1m, f.inferences_per_usd) == (None, None, None)
    assert f.transactions_per_hour == 45_000


def test_nothing_served_has_no_cost_per_inference() -> None:
    f = cost_figures(0.0, 0.23)
    assert f.usd_per_1m is None
    assert f.tps_per_usd_hour == 0.0


@pytest.mark.parametrize("tps,price", [(-1.0, 0.2), (float("nan"), 0.2), (5.0, 0.0), (5.0, -1)])
def test_bad_inputs_are_usage_errors(tps: float, price: float) -> None:
    with pytest.raises(ResultsUsageError):
        cost_figures(tps, price)


def test_accrued_and_monthly() -> None:
    assert usd_accrued(0.36, 600) == pytest.approx(0.06)
    assert usd_per_month(0.23) == pytest.approx(167.9)
    assert usd_per_month(0.33, instances=3) == pytest.approx(722.7)
    with pytest.raises(ResultsUsageError):
        usd_per_month(0.33, instances=0)
    with pytest.raises(ResultsUsageError):
        usd_accrued(0.33, -1)
