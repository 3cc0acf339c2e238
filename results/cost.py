"""The reference study's cost formulas, so rnbench's figures compare with its published table.

Throughput per dollar = TPS / ($/h); cost per 1M inferences = 1e6 / (TPS x 3600) x $/h;
inferences per dollar = TPS x 3600 / ($/h); transactions per hour = TPS x 3600.
A configuration without a price has no cost figures: they are None (shown empty), never zero.
"""

from __future__ import annotations

import math
from dataclasses import dataclass

from rnbench.results.errors import ResultsUsageError

SECONDS_PER_HOUR = 3600.0
HOURS_PER_MONTH = 730.0
"""Hours in an average month (8,760 h / 12), the convention of AWS's own monthly estimates."""


@dataclass(frozen=True)
class CostFigures:
    """The study's cost columns for one throughput at one hourly price."""

    tps_per_usd_hour: float | None
    """Throughput per dollar-hour: TPS / ($/h). None without a price."""
    usd_per_1m: float | None
    """Dollars per million inferences. None without a price, or when nothing was served."""
    inferences_per_usd: float | None
    """Inferences one dollar buys: TPS x 3600 / ($/h). None without a price."""
    transactions_per_hour: float
    """TPS x 3600, price or not."""


def _check_tps(tps: float) -> None:
    if not math.isfinite(tps) or tps < 0:
        raise ResultsUsageError(f"throughput must be a finite number >= 0, got {tps}")


def _check_price(usd_per_hour: float) -> None:
    if not math.isfinite(usd_per_hour) or usd_per_hour <= 0:
        raise ResultsUsageError(
            f"a price must be a finite number of dollars per hour > 0, got {usd_per_hour}"
        )


def cost_figures(tps: float, usd_per_hour: float | None) -> CostFigures:
    """The study's cost figures for `tps` successful inferences per second at `usd_per_hour`.

    Raises:
        ResultsUsageError: `tps` is negative or not finite, or the price is not a positive number.
    """
    _check_tps(tps)
    per_hour = tps * SECONDS_PER_HOUR
    if usd_per_hour is None:
        return CostFigures(None, None, None, per_hour)
    _check_price(usd_per_hour)
    usd_per_1m = 1e6 / per_hour * usd_per_hour if per_hour > 0 else None
    return CostFigures(
        tps_per_usd_hour=tps / usd_per_hour,
        usd_per_1m=usd_per_1m,
        inferences_per_usd=per_hour / usd_per_hour,
        transactions_per_hour=per_hour,
    )


def usd_accrued(usd_per_hour: float, seconds_up: float) -> float:
    """What an instance has cost after `seconds_up` seconds in service (SageMaker bills per second).

    Raises:
        ResultsUsageError: the price is not positive, or `seconds_up` is negative or not finite.
    """
    _check_price(usd_per_hour)
    if not math.isfinite(seconds_up) or seconds_up < 0:
        raise ResultsUsageError(f"time in service must be >= 0 seconds, got {seconds_up}")
    return usd_per_hour * seconds_up / SECONDS_PER_HOUR


def usd_per_month(usd_per_hour: float, instances: int = 1) -> float:
    """Cost of `instances` instances running all month, assuming 730 hours a month (24/7).

    Raises:
        ResultsUsageError: the price is not positive, or `instances` is below 1.
    """
    _check_price(usd_per_hour)
    if instances < 1:
        raise ResultsUsageError(f"instance count must be at least 1, got {instances}")
    return usd_per_hour * instances * HOURS_PER_MONTH
