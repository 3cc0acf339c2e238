"""How a test loads a configuration, parsed and checked once for both front ends.

The TUI's settings dialog and the CLI's options both give text ("1,4,16", "20"); `parse` and the
list parsers turn it into a `TestSettings`, or raise a one-line `UsageError` that says which value
is wrong. `TestSettings.specs()` plans the load points (more than one: a sweep).
"""

from __future__ import annotations

import math
import re
from dataclasses import dataclass

from rnbench.core.errors import UsageError
from rnbench.core.loadgen.types import Arrival, LoadSpec
from rnbench.core.run.sweep import plan

MAX_CONCURRENCY = 1024
MAX_DURATION_S = 3600.0
MAX_WARMUP_S = 600.0
MAX_RATE = 100_000.0
MAX_SWEEP_POINTS = 12
MAX_TIMEOUT_S = 600.0
DEFAULT_MAX_ERROR_PCT = 5.0


@dataclass(frozen=True)
class TestSettings:
    """How to load the selected configuration: one point, or a sweep of several."""

    __test__ = False  # not a pytest test class

    concurrency: tuple[int, ...] = (16,)
    """Concurrent closed-loop clients (the study used 16); several make a sweep. Open loop: the
    largest is the most requests in flight."""
    duration_s: float = 20.0
    """Measured seconds (the maximum, with a stability target)."""
    warmup_s: float = 5.0
    """Unmeasured seconds of load before measuring."""
    rate: tuple[float, ...] = ()
    """Open loop: intended requests per second; several make a sweep; empty: closed loop."""
    stability_pct: float | None = None
    """Stop once TPS and p99 of the last 3 windows agree within this %; None: fixed duration."""
    max_error_pct: float = DEFAULT_MAX_ERROR_PCT
    """A run with a larger share of failed requests is `degraded`, not `ok`."""

    def specs(self, timeout_s: float = 30.0, arrival: Arrival = "constant") -> list[LoadSpec]:
        """One load spec per point: more than one is a sweep."""
        base = LoadSpec(
            concurrency=max(self.concurrency),
            duration_s=self.duration_s,
            warmup_s=self.warmup_s,
            stability_pct=self.stability_pct,
            timeout_s=timeout_s,
            arrival=arrival,
            max_error_pct=self.max_error_pct,
        )
        return plan(self.concurrency, self.rate, base)

    def describe(self) -> str:
        if self.rate:
            rates = ",".join(f"{r:g}" for r in self.rate)
            load = f"open loop {rates} req/s (<= {max(self.concurrency)} in flight)"
        else:
            clients = "client" if self.concurrency == (1,) else "clients"
            load = f"{','.join(map(str, self.concurrency))} {clients}"
        if len(self.rate or self.concurrency) > 1:
            load += " (sweep)"
        until = "" if self.stability_pct is None else f", until stable ±{self.stability_pct:g} %"
        return f"{load}, {self.duration_s:g} s measured{until} after {self.warmup_s:g} s warm-up"


def describe_spec(spec: LoadSpec) -> str:
    """One point's load: `4 clients` or `10 req/s open loop`, with its durations."""
    clients = f"{spec.concurrency} client" + ("" if spec.concurrency == 1 else "s")
    load = clients if spec.rate is None else f"{spec.rate:g} req/s open loop"
    until = "" if spec.stability_pct is None else f", until stable ±{spec.stability_pct:g} %"
    return f"{load}, {spec.duration_s:g} s measured{until} after {spec.warmup_s:g} s warm-up"


def parse(
    concurrency: str,
    duration_s: str,
    warmup_s: str,
    rate: str = "",
    stability_pct: str = "",
    max_error_pct: str = "",
) -> TestSettings:
    """Settings from what the user typed: lists are comma-separated; empty rate or stability
    means closed loop or a fixed duration; an empty error threshold is the default (5 %).

    Raises:
        UsageError: a value is not a number or is out of range (the message says which).
    """
    clients = parse_concurrency(concurrency)
    duration = parse_duration(duration_s)
    warmup = parse_warmup(warmup_s)
    rates = parse_rates(rate)
    stability = parse_stability(stability_pct) if stability_pct.strip() else None
    errors = parse_max_error_pct(max_error_pct) if max_error_pct.strip() else None
    threshold = DEFAULT_MAX_ERROR_PCT if errors is None else errors
    return checked(TestSettings(clients, duration, warmup, rates, stability, threshold))


def parse_duration(text: str) -> float:
    """Measured seconds: > 0 and <= MAX_DURATION_S. Raises UsageError."""
    value = number("duration", text)
    if not 0 < value <= MAX_DURATION_S:
        raise UsageError(f"duration must be > 0 and <= {MAX_DURATION_S:g} s, got {text.strip()}")
    return value


def parse_warmup(text: str) -> float:
    """Warm-up seconds: 0 to MAX_WARMUP_S. Raises UsageError."""
    value = number("warm-up", text)
    if not 0 <= value <= MAX_WARMUP_S:
        raise UsageError(f"warm-up must be between 0 and {MAX_WARMUP_S:g} s, got {text.strip()}")
    return value


def parse_timeout(text: str) -> float:
    """Per-request timeout seconds: > 0 and <= MAX_TIMEOUT_S. Raises UsageError."""
    value = number("timeout", text)
    if not 0 < value <= MAX_TIMEOUT_S:
        raise UsageError(f"timeout must be > 0 and <= {MAX_TIMEOUT_S:g} s, got {text.strip()}")
    return value


def parse_stability(text: str) -> float:
    """Stability target percent: > 0 and <= 100. Raises UsageError."""
    value = number("stability", text, "%")
    if not 0 < value <= 100:
        raise UsageError(f"stability must be > 0 and <= 100 %, got {text.strip()}")
    return value


def parse_max_error_pct(text: str) -> float:
    """Error threshold percent: 0 (no failed request allowed) to 100. Raises UsageError."""
    value = number("error threshold", text, "%")
    if not 0 <= value <= 100:
        raise UsageError(f"error threshold must be between 0 and 100 %, got {text.strip()}")
    return value


def parse_concurrency(text: str) -> tuple[int, ...]:
    """`16` or `1,4,16` (commas or spaces): each between 1 and MAX_CONCURRENCY.

    Raises:
        UsageError: empty, not whole numbers, out of range or too many.
    """
    clients = tuple(whole("concurrency", part) for part in _parts("concurrency", text))
    for c in clients:
        if not 1 <= c <= MAX_CONCURRENCY:
            raise UsageError(f"concurrency must be between 1 and {MAX_CONCURRENCY}, got {c}")
    return clients


def parse_rates(text: str) -> tuple[float, ...]:
    """`10` or `5,10,20` requests/s; empty text is closed loop (no rate).

    Raises:
        UsageError: not numbers, out of range or too many.
    """
    rates = tuple(number("rate", part, "requests/s") for part in _parts("rate", text, True))
    for r in rates:
        if not 0 < r <= MAX_RATE:
            raise UsageError(f"rate must be > 0 and <= {MAX_RATE:g} requests/s, got {r:g}")
    return rates


def checked(settings: TestSettings) -> TestSettings:
    """`settings` when every value is in range and they fit together.

    Raises:
        UsageError: the first value that is not (the message says which).
    """
    for c in settings.concurrency:
        if not 1 <= c <= MAX_CONCURRENCY:
            raise UsageError(f"concurrency must be between 1 and {MAX_CONCURRENCY}, got {c}")
    if settings.rate and len(settings.concurrency) > 1:
        raise UsageError("sweep concurrency or rate, not both (open loop takes one concurrency)")
    if len(settings.rate or settings.concurrency) > MAX_SWEEP_POINTS:
        raise UsageError(f"a sweep takes at most {MAX_SWEEP_POINTS} points")
    stability, duration, warmup = settings.stability_pct, settings.duration_s, settings.warmup_s
    if stability is not None and not 0 < stability <= 100:
        raise UsageError(f"stability must be > 0 and <= 100 %, got {stability:g}")
    if not 0 < duration <= MAX_DURATION_S:
        raise UsageError(f"duration must be > 0 and <= {MAX_DURATION_S:g} s, got {duration:g}")
    if not 0 <= warmup <= MAX_WARMUP_S:
        raise UsageError(f"warm-up must be between 0 and {MAX_WARMUP_S:g} s, got {warmup:g}")
    if not 0 <= settings.max_error_pct <= 100:
        raise UsageError(
            f"error threshold must be between 0 and 100 %, got {settings.max_error_pct:g}"
        )
    return settings


def _parts(name: str, text: str, optional: bool = False) -> list[str]:
    """The items of a list separated by commas or spaces; an empty item (`1,,4`, `4,`) is an
    error, not silently dropped."""
    stripped = text.strip()
    parts = re.split(r"\s*,\s*|\s+", stripped) if stripped else []
    if "" in parts:
        raise UsageError(f"{name} list {text!r} has an empty item")
    if not parts and not optional:
        raise UsageError(f"{name} is required")
    if len(parts) > MAX_SWEEP_POINTS:
        raise UsageError(f"a {name} list takes at most {MAX_SWEEP_POINTS} values")
    return parts


def whole(name: str, text: str) -> int:
    """`text` as a whole number. Raises UsageError naming `name`."""
    try:
        return int(text)
    except ValueError:
        raise UsageError(f"{name} must be a whole number, got {text!r}") from None


def number(name: str, text: str, unit: str = "seconds") -> float:
    """`text` as a finite number (never nan or inf). Raises UsageError naming `name`."""
    of = f" of {unit}" if unit else ""
    try:
        value = float(text.strip())
    except ValueError:
        raise UsageError(f"{name} must be a number{of}, got {text!r}") from None
    if not math.isfinite(value):
        raise UsageError(f"{name} must be a finite number{of}, got {text!r}")
    return value
