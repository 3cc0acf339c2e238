"""One leftover cost (age x price) for the CLI, the TUI and the SageMaker listing."""

from __future__ import annotations

import pytest

from rnbench.core.errors import UsageError
from rnbench.core.leftovers import accrued


def test_cost_is_price_times_age() -> None:
    cost = accrued(created_at=1000.0, usd_per_hour=0.36, now=1600.0)
    assert cost.age_s == 600.0 and cost.usd_per_hour == 0.36
    assert cost.usd == pytest.approx(0.06)


def test_no_price_means_unknown_cost_not_zero() -> None:
    cost = accrued(1000.0, None, 4600.0)
    assert cost.age_s == 3600.0 and cost.usd is None


def test_a_clock_ahead_of_ours_counts_as_zero_age() -> None:
    assert accrued(2000.0, 1.0, 1000.0).age_s == 0.0


def test_a_bad_price_is_refused() -> None:
    with pytest.raises(UsageError):
        accrued(0.0, -1.0, 10.0)
