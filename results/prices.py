"""Hourly prices of the instance types in use, each with where it comes from."""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True)
class Price:
    """An on-demand hourly price, with its provenance."""

    instance_type: str
    region: str
    usd_per_hour: float
    source: str
    """Where the figure comes from (a study, a price list API call, a user override)."""
    as_of: str
    """When the source stated it (ISO date)."""
