"""rnbench endpoints still running (billing) in the region, with age and cost so far.

Offered for teardown when the CLI or TUI starts. The cost is the on-demand price times the age;
without a price it stays None (unknown), never zero.
"""

from __future__ import annotations

import time
from collections.abc import Callable
from dataclasses import dataclass
from typing import TYPE_CHECKING

from rnbench.core.leftovers import accrued

if TYPE_CHECKING:
    from rnbench.core.backends.sagemaker.backend import SageMakerBackend
    from rnbench.results.prices import Price

PriceLookup = Callable[[str, str], "Price | None"]
"""(instance_type, region) -> Price or None."""


@dataclass(frozen=True)
class Leftover:
    """One rnbench endpoint found running."""

    endpoint_name: str
    config_key: str
    instance_type: str
    status: str
    age_s: float
    usd_per_hour: float | None
    """On-demand price used; None when unknown."""
    cost_usd: float | None
    """Cost so far (price x age); None when the price is unknown."""


def leftovers(
    backend: SageMakerBackend, price: PriceLookup | None = None, now: float | None = None
) -> list[Leftover]:
    """Every rnbench-owned endpoint in the backend's region, oldest first.

    Raises:
        BackendUnavailable: SageMaker could not be listed.
    """
    now = time.time() if now is None else now
    region = str(backend.settings.region)
    found = []
    for deployment in backend.owned():
        quote = price(deployment.instance_type, region) if price is not None else None
        cost = accrued(deployment.created_at, quote.usd_per_hour if quote else None, now)
        status = deployment.details.get("endpoint_status", "")
        found.append(
            Leftover(
                deployment.resource_id,
                deployment.config_key,
                deployment.instance_type,
                status,
                cost.age_s,
                cost.usd_per_hour,
                cost.usd,
            )
        )
    return sorted(found, key=lambda item: -item.age_s)
