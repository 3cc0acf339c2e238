"""What the grid shows for one configuration, computed from engine values (no widgets here)."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

from rnbench.core.backends.protocol import State, Status
from rnbench.core.backends.sagemaker.images import describe_image
from rnbench.core.configs import Configuration
from rnbench.inference.models import STUDY_MODEL, ModelSpec
from rnbench.results.cost import usd_accrued
from rnbench.results.prices import Price
from rnbench.results.record import RunRecord, cpu_text
from rnbench.results.seed import PublishedRow
from rnbench.tui import fmt
from rnbench.tui.app.model_view import measured_model

CONFIG_WIDTH = 18
GRID_COLUMNS: tuple[tuple[str, str, int], ...] = (
    ("config", "configuration", CONFIG_WIDTH),
    ("where", "runs on", 14),
    ("runtime", "runtime", 8),
    ("state", "state", 20),
    ("up", "up", 6),
    ("usd_up", "$ up", 6),
    ("tps", "TPS", 5),
    ("p50", "p50", 5),
    ("p99", "p99", 5),
    ("errors", "errs", 4),
    ("usd_1m", "$/1M", 5),
    ("study", "study", 5),
)
"""(column key, header, width) of the grid, in order: 126 columns wide with padding."""
DROP_ORDER = ("usd_up", "study", "errors", "where", "runtime")
"""Columns a narrow terminal goes without, first dropped first: what is left at 80 columns is the
row, what it is doing, and what it measured and costs (the rest is in the row's details line)."""


def grid_width(keys: Sequence[str]) -> int:
    """Terminal columns the grid needs for these columns: cells, their padding, the scroll bar."""
    return sum(width + 2 for key, _, width in GRID_COLUMNS if key in keys) + 2


def fitting_columns(terminal_width: int) -> tuple[str, ...]:
    """The grid's columns for a terminal this wide: all, less those of `DROP_ORDER` it cannot
    fit."""
    keys = [key for key, _, _ in GRID_COLUMNS]
    for dropped in DROP_ORDER:
        if grid_width(keys) <= terminal_width:
            break
        keys.remove(dropped)
    return tuple(keys)


@dataclass(frozen=True)
class RowFacts:
    """Everything known about one configuration's row."""

    config: Configuration
    status: Status | None
    """None until the engine described it."""
    price: Price | None
    last: RunRecord | None
    """The last successful run of the current model."""
    published: PublishedRow | None
    """The study's published row; None for a model other than the study's ResNet-50."""
    activity: str | None = None
    """What the TUI is doing to it now (deploying, testing...), shown instead of the state."""
    price_note: str = ""
    """Why there is no price (`no price: ...`); empty when unknown or priced."""
    elapsed_s: float | None = None
    """How long the activity (or the test point) has been going; None when there is none."""
    model: ModelSpec = STUDY_MODEL
    """The model the grid deploys and measures."""

    @property
    def state(self) -> str:
        if self.activity:
            return self.activity
        if self.status is None:
            return "…"
        if self.status.state is State.UNKNOWN and self.status.reason:
            return f"unknown ({self.status.reason.split(':')[0]})"  # unknown (AWS unreachable)
        return self.status.state.value

    @property
    def deployed_at(self) -> float | None:
        if self.status is None or self.status.deployment is None:
            return None
        return self.status.deployment.created_at


def state_text(facts: RowFacts) -> str:
    """The state, or the activity with its elapsed time: `loading model 12s`."""
    if facts.activity and facts.elapsed_s is not None:
        return f"{facts.activity} {fmt.duration(facts.elapsed_s)}"
    return facts.state


def where(config: Configuration) -> str:
    if config.backend == "foreign":
        return "foreign " + ("URL" if config.key.startswith("url:") else "SM")
    if config.backend == "local":
        return f"local {config.device}"
    return "SM " + config.instance_type.removeprefix("ml.")


def grid_cells(facts: RowFacts, now: float) -> dict[str, str]:
    """Cell text by column key."""
    config, last = facts.config, facts.last
    up = None if facts.deployed_at is None else max(0.0, now - facts.deployed_at)
    foreign = config.backend == "foreign"
    if foreign:
        up = None  # not rnbench's to run, nor to count the cost of
    accrued = None
    if up is not None and facts.price is not None:
        accrued = usd_accrued(facts.price.usd_per_hour, up)
    return {
        "config": fmt.address(config.label, CONFIG_WIDTH) if foreign else config.key,
        "where": where(config),
        "runtime": config.runtime,
        "state": state_text(facts),
        "up": fmt.duration(up) if up is not None else fmt.NONE,
        "usd_up": fmt.usd(accrued) if accrued is not None else fmt.NONE,
        "tps": fmt.tps(last.tps) if last else fmt.NONE,
        "p50": fmt.ms(last.p50_ms) if last else fmt.NONE,
        "p99": fmt.ms(last.p99_ms) if last else fmt.NONE,
        "errors": str(last.errors) if last else fmt.NONE,
        "usd_1m": fmt.usd(last.usd_per_1m) if last else fmt.NONE,
        "study": fmt.tps(facts.published.tps) if facts.published else fmt.NONE,
    }


def detail_line(facts: RowFacts) -> str:
    """One line about the selected row: hardware, state and why, price and its source."""
    config = facts.config
    parts = [config.label]
    if config.backend == "foreign":
        parts[0] = config.key.removeprefix("url:")  # the whole address, path included
        parts.append("foreign target: load test only, rnbench never deploys or tears it down")
    elif config.backend == "sagemaker":
        parts.append(f"SageMaker {config.instance_type}")
        parts.append(describe_image(config))
    else:
        parts.append(f"this machine ({config.device}), {config.runtime} runtime")
    status = facts.status
    if status is not None and status.reason:
        parts.append(f"{status.state.value}: {status.reason}")
    elif status is not None and status.deployment is not None:
        parts.append(status.deployment.resource_id)
        stale = other_model_served(facts)
        if stale:
            parts.append(stale)
    if facts.price is not None:
        price = facts.price
        parts.append(f"{fmt.usd(price.usd_per_hour, 3)}/h ({price.source}, {price.region})")
    else:
        parts.append(facts.price_note or "no price")
    if facts.published is not None:
        parts.append(f"study: {fmt.tps(facts.published.tps)} TPS (published)")
    agreement = agreement_text(facts)
    if agreement:
        parts.append(agreement)
    if facts.last is not None:
        cpu = cpu_text(facts.last)
        parts.append(f"last run: {measured_model(facts.last)}" + (f" on {cpu}" if cpu else ""))
    return " · ".join(parts)


def other_model_served(facts: RowFacts) -> str:
    """`serves resnet50 (224 px), not resnet18: x, then d` when the deployment up serves
    another model than the grid's (its tests would measure that one); "" otherwise."""
    deployment = facts.status.deployment if facts.status else None
    served = deployment.details.get("model") if deployment else None
    if deployment is None or not served:
        return ""
    size = deployment.details.get("input_size", "")
    spec = facts.model
    if (served, size) == (spec.label, str(spec.input.crop)):
        return ""
    return f"serves {served} ({size} px), not {spec.label}: x, then d"


def agreement_text(facts: RowFacts) -> str:
    """`vs fp32 eager: top-1 100%, top-5 95%, logit Δ max 0.8 mean 0.1` from the deployment's
    details, else from the last run; "" when neither carries the figures."""
    details = facts.status.deployment.details if facts.status and facts.status.deployment else {}
    last = facts.last
    figures: list[float | None] = []
    weights = details.get("weights") or (last.weights if last else "")
    for key in ("top1_agreement", "top5_agreement", "max_logit_deviation", "mean_logit_deviation"):
        text = details.get(key)
        value = getattr(last, key) if last is not None else None
        try:
            figures.append(float(text) if text else value)
        except ValueError:
            figures.append(value)
    top1, top5, most, mean = figures
    if top1 is None or top5 is None or most is None or mean is None:
        return ""
    caveat = " (random weights: numerics check only)" if weights == "random" else ""
    text = (
        f"vs fp32 eager: top-1 {top1:.0%}, top-5 {top5:.0%}, "
        f"logit Δ max {most:.3g} mean {mean:.3g}{caveat}"
    )
    if last is not None and last.mean_batch_size is not None:
        text += f" · mean batch {last.mean_batch_size:.1f}"
    return text


def is_deployed(status: Status | None) -> bool:
    return (
        status is not None
        and status.deployment is not None
        and status.state
        in (
            State.IN_SERVICE,
            State.TESTING,
        )
    )
