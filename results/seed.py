"""The reference study's published table, shipped as reference data and labelled as published.

The rows are what the study printed, unchanged (its latency column included, which is ~10x too
small: see `rnbench.results.analysis.STUDY_LATENCY_ERROR`). rnbench never presents them as its
own measurements; they are the baseline its measured rows are compared with.
"""

from __future__ import annotations

import csv
import io
from dataclasses import dataclass
from functools import cache
from importlib import resources

from rnbench.results.cost import CostFigures, cost_figures

STUDY_SOURCE = (
    "reference study: AWS sample notebook (MIT-0), ResNet-50 on SageMaker c5/g4dn/inf1, "
    "published table (shared/reference/STUDY.md)"
)
"""How rnbench cites the study, wherever one of its figures is shown."""

STUDY_LABEL_TO_KEY: dict[str, str] = {
    "c5": "c5",
    "c5 + Neo": "c5-neo",
    "g4dn": "g4dn",
    "g4dn + Neo": "g4dn-neo",
    "inf1": "inf1",
}
"""Study label (`c5 + Neo`) to rnbench configuration key (`c5-neo`); the engine's study
configurations carry the same labels (`Configuration.study_label`; a test holds them equal)."""


@dataclass(frozen=True)
class PublishedRow:
    """One row of the study's published table, as published (not measured by rnbench)."""

    label: str
    """The study's name for the configuration (the csv `experiment` column, e.g. `c5 + Neo`)."""
    instance_type: str
    accelerator: str
    compiled: bool
    threads: int
    """Concurrent client threads of the study's closed-loop load test."""
    batch_size: int
    tps: float
    """Throughput the study published (its last 10-second report)."""
    p50_ms_as_published: float
    """The study's latency column as printed: ~10x too small (it divided by its 10 s interval)."""
    usd_per_hour: float
    """On-demand $/h the study states for its region (0.821 for g4dn)."""
    region: str

    @property
    def config_key(self) -> str:
        """The rnbench configuration that reproduces this row (`c5-neo`)."""
        return STUDY_LABEL_TO_KEY[self.label]

    @property
    def littles_law_latency_ms(self) -> float:
        """Mean latency Little's law implies for a closed loop: threads / TPS, in milliseconds."""
        return self.threads / self.tps * 1000.0

    @property
    def latency_ratio(self) -> float:
        """Little's-law latency over the published latency (about 10 for every row)."""
        return self.littles_law_latency_ms / self.p50_ms_as_published

    @property
    def usd_per_hour_as_tabulated(self) -> float:
        """The price as the study's table shows it, rounded to cents (0.82 for g4dn).

        The study computed its cost columns from this rounded figure: for g4dn, 74.7 TPS / 0.82
        gives the published 91.10 TPS per $/h (0.821 would give 90.99); $ per 1M is 3.05 either way.
        """
        return round(self.usd_per_hour, 2)

    @property
    def cost_as_published(self) -> CostFigures:
        """The cost columns the study published (computed from the tabulated, rounded price)."""
        return cost_figures(self.tps, self.usd_per_hour_as_tabulated)

    @property
    def cost(self) -> CostFigures:
        """The cost figures at the study's stated (unrounded) price."""
        return cost_figures(self.tps, self.usd_per_hour)


def _parse_bool(text: str) -> bool:
    if text.strip().lower() not in ("true", "false"):
        raise ValueError(f"not a boolean: {text!r}")
    return text.strip().lower() == "true"


def parse_published(text: str) -> tuple[PublishedRow, ...]:
    """Parse the published table's csv text.

    Raises:
        ValueError: a column is missing or a value does not parse (the packaged file is broken).
    """
    rows = []
    for raw in csv.DictReader(io.StringIO(text)):
        rows.append(
            PublishedRow(
                label=raw["experiment"],
                instance_type=raw["instance_type"],
                accelerator=raw["accelerator"],
                compiled=_parse_bool(raw["compiled"]),
                threads=int(raw["threads"]),
                batch_size=int(raw["batch_size"]),
                tps=float(raw["tps"]),
                p50_ms_as_published=float(raw["p50_ms_as_published"]),
                usd_per_hour=float(raw["usd_per_hour"]),
                region=raw["region"],
            )
        )
    return tuple(rows)


@cache
def published_rows() -> tuple[PublishedRow, ...]:
    """The study's five published rows, in the study's order (read from the package once)."""
    text = resources.files("rnbench.results").joinpath("data/seed_results.csv").read_text("utf-8")
    return parse_published(text)


def published_row(config_key: str) -> PublishedRow | None:
    """The published row an rnbench configuration reproduces, or None (local configurations)."""
    for row in published_rows():
        if row.config_key == config_key:
            return row
    return None
