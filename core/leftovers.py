"""What a deployment left up has cost so far: its age times its hourly price.

The CLI's `leftovers`, the TUI's start-up and quit prompts and the SageMaker leftovers listing
all show this; without a price the cost is None (unknown), never zero.
"""

from __future__ import annotations

from dataclasses import dataclass

from rnbench.core.errors import speaks_engine_errors
from rnbench.results.cost import usd_accrued


@dataclass(frozen=True)
class Accrued:
    """A deployment's time up and what it has cost."""

    age_s: float
    """Seconds since it was created (0 when its clock is ahead of ours)."""
    usd_per_hour: float | None
    """The on-demand price used; None when unknown."""
    usd: float | None
    """Cost so far (price x age); None when the price is unknown."""


@speaks_engine_errors
def accrued(created_at: float, usd_per_hour: float | None, now: float) -> Accrued:
    """The age and cost so far of a deployment created at `created_at` (epoch seconds).

    Raises:
        UsageError: the price is not a positive number.
    """
    age = max(0.0, now - created_at)
    cost = usd_accrued(usd_per_hour, age) if usd_per_hour is not None else None
    return Accrued(age, usd_per_hour, cost)
