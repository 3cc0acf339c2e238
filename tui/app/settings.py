"""Test settings the TUI remembers between sessions: concurrency (or a list of them: a sweep),
duration, warm-up, an optional open-loop rate (or rate list) and an optional stability target.

Stored as JSON in the user data directory. A missing file gives the defaults (the study's 16
clients); an unreadable one gives the defaults and a one-line warning, never a crash.
"""

from __future__ import annotations

import json
import os
import tempfile
from dataclasses import asdict, dataclass, replace
from pathlib import Path

from rnbench.core.errors import UsageError
from rnbench.core.loadgen.types import LoadSpec
from rnbench.core.paths import data_dir

MAX_CONCURRENCY = 1024
MAX_DURATION_S = 3600.0
MAX_WARMUP_S = 600.0
MAX_RATE = 100_000.0
MAX_SWEEP_POINTS = 12


@dataclass(frozen=True)
class TestSettings:
    """How the `t` key loads the selected configuration."""

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

    def specs(self) -> list[LoadSpec]:
        """One load spec per point: more than one is a sweep."""
        base = LoadSpec(
            concurrency=max(self.concurrency),
            duration_s=self.duration_s,
            warmup_s=self.warmup_s,
            stability_pct=self.stability_pct,
        )
        if self.rate:
            return [replace(base, rate=r) for r in self.rate]
        return [replace(base, concurrency=c) for c in self.concurrency]

    def describe(self) -> str:
        if self.rate:
            rates = ",".join(f"{r:g}" for r in self.rate)
            load = f"open loop {rates} req/s (<= {max(self.concurrency)} in flight)"
        else:
            load = f"{','.join(map(str, self.concurrency))} clients"
        if len(self.rate or self.concurrency) > 1:
            load += " (sweep)"
        until = "" if self.stability_pct is None else f", until stable ±{self.stability_pct:g} %"
        return f"{load}, {self.duration_s:g} s measured{until} after {self.warmup_s:g} s warm-up"


def describe_spec(spec: LoadSpec) -> str:
    """One point's load: `4 clients` or `10 req/s open loop`, with its durations."""
    load = f"{spec.concurrency} clients" if spec.rate is None else f"{spec.rate:g} req/s open loop"
    until = "" if spec.stability_pct is None else f", until stable ±{spec.stability_pct:g} %"
    return f"{load}, {spec.duration_s:g} s measured{until} after {spec.warmup_s:g} s warm-up"


def default_path() -> Path:
    return data_dir() / "tui-settings.json"


def parse(
    concurrency: str, duration_s: str, warmup_s: str, rate: str = "", stability_pct: str = ""
) -> TestSettings:
    """Settings from what the user typed: lists are comma-separated; empty rate or stability
    means closed loop or a fixed duration.

    Raises:
        UsageError: a value is not a number or is out of range (the message says which).
    """
    clients = tuple(_whole("concurrency", part) for part in _parts("concurrency", concurrency))
    duration = _number("duration", duration_s)
    warmup = _number("warm-up", warmup_s)
    rates = tuple(_number("rate", part, "requests/s") for part in _parts("rate", rate, True))
    stability = _number("stability", stability_pct, "%") if stability_pct.strip() else None
    for c in clients:
        if not 1 <= c <= MAX_CONCURRENCY:
            raise UsageError(f"concurrency must be between 1 and {MAX_CONCURRENCY}, got {c}")
    for r in rates:
        if not 0 < r <= MAX_RATE:
            raise UsageError(f"rate must be > 0 and <= {MAX_RATE:g} requests/s, got {r:g}")
    if rates and len(clients) > 1:
        raise UsageError("sweep concurrency or rate, not both (open loop takes one concurrency)")
    if stability is not None and not 0 < stability <= 100:
        raise UsageError(f"stability must be > 0 and <= 100 %, got {stability:g}")
    if not 0 < duration <= MAX_DURATION_S:
        raise UsageError(f"duration must be > 0 and <= {MAX_DURATION_S:g} s, got {duration:g}")
    if not 0 <= warmup <= MAX_WARMUP_S:
        raise UsageError(f"warm-up must be between 0 and {MAX_WARMUP_S:g} s, got {warmup:g}")
    return TestSettings(clients, duration, warmup, rates, stability)


def _parts(name: str, text: str, optional: bool = False) -> list[str]:
    parts = [p.strip() for p in text.replace(" ", ",").split(",") if p.strip()]
    if not parts and not optional:
        raise UsageError(f"{name} is required")
    if len(parts) > MAX_SWEEP_POINTS:
        raise UsageError(f"a {name} list takes at most {MAX_SWEEP_POINTS} values")
    return parts


def _whole(name: str, text: str) -> int:
    try:
        return int(text)
    except ValueError:
        raise UsageError(f"{name} must be a whole number, got {text!r}") from None


def _number(name: str, text: str, unit: str = "seconds") -> float:
    try:
        value = float(text.strip())
    except ValueError:
        raise UsageError(f"{name} must be a number of {unit}, got {text!r}") from None
    if value != value or value in (float("inf"), float("-inf")):
        raise UsageError(f"{name} must be a finite number of {unit}, got {text!r}")
    return value


def _listed(value: object) -> str:
    """A stored number or list of numbers as the user would type it."""
    if value is None:
        return ""
    if isinstance(value, list | tuple):
        return ",".join(str(v) for v in value)
    return str(value)


def load(path: Path) -> tuple[TestSettings, str | None]:
    """The stored settings, or the defaults; the second value is a warning when the file was bad."""
    try:
        raw = json.loads(path.read_text("utf-8"))
    except FileNotFoundError:
        return TestSettings(), None
    except (OSError, ValueError) as exc:
        return TestSettings(), f"ignored unreadable settings {path}: {exc}"
    try:
        settings = parse(
            _listed(raw["concurrency"]),
            str(raw["duration_s"]),
            str(raw["warmup_s"]),
            _listed(raw.get("rate")),
            _listed(raw.get("stability_pct")),
        )
    except (KeyError, TypeError, AttributeError, UsageError) as exc:
        return TestSettings(), f"ignored bad settings in {path}: {exc}"
    return settings, None


def save(path: Path, settings: TestSettings) -> None:
    """Write the settings atomically.

    Raises:
        UsageError: the file cannot be written.
    """
    try:
        path.parent.mkdir(parents=True, exist_ok=True)
        fd, tmp = tempfile.mkstemp(dir=path.parent, prefix=".tui-settings-", suffix=".json")
        with os.fdopen(fd, "w", encoding="utf-8") as out:
            json.dump(asdict(settings), out, indent=2)
        os.replace(tmp, path)
    except OSError as exc:
        raise UsageError(f"cannot save settings to {path}: {exc.strerror or exc}") from None
