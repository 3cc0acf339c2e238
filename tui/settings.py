"""Test settings the TUI remembers between sessions (concurrency, duration, warm-up).

Stored as JSON in the user data directory. A missing file gives the defaults (the study's 16
clients); an unreadable one gives the defaults and a one-line warning, never a crash.
"""

from __future__ import annotations

import json
import os
import tempfile
from dataclasses import asdict, dataclass
from pathlib import Path

from rnbench.core.errors import UsageError
from rnbench.core.loadgen.types import LoadSpec
from rnbench.core.paths import data_dir

MAX_CONCURRENCY = 1024
MAX_DURATION_S = 3600.0
MAX_WARMUP_S = 600.0


@dataclass(frozen=True)
class TestSettings:
    """How the `t` key loads the selected configuration."""

    __test__ = False  # not a pytest test class

    concurrency: int = 16
    """Concurrent closed-loop clients (the study used 16)."""
    duration_s: float = 20.0
    """Measured seconds."""
    warmup_s: float = 5.0
    """Unmeasured seconds of load before measuring."""

    def spec(self) -> LoadSpec:
        return LoadSpec(
            concurrency=self.concurrency, duration_s=self.duration_s, warmup_s=self.warmup_s
        )

    def describe(self) -> str:
        return (
            f"{self.concurrency} clients, {self.duration_s:g} s measured "
            f"after {self.warmup_s:g} s warm-up"
        )


def default_path() -> Path:
    return data_dir() / "tui-settings.json"


def parse(concurrency: str, duration_s: str, warmup_s: str) -> TestSettings:
    """Settings from what the user typed.

    Raises:
        UsageError: a value is not a number or is out of range (the message says which).
    """
    try:
        clients = int(concurrency.strip())
    except ValueError:
        raise UsageError(f"concurrency must be a whole number, got {concurrency!r}") from None
    duration = _number("duration", duration_s)
    warmup = _number("warm-up", warmup_s)
    if not 1 <= clients <= MAX_CONCURRENCY:
        raise UsageError(f"concurrency must be between 1 and {MAX_CONCURRENCY}, got {clients}")
    if not 0 < duration <= MAX_DURATION_S:
        raise UsageError(f"duration must be > 0 and <= {MAX_DURATION_S:g} s, got {duration:g}")
    if not 0 <= warmup <= MAX_WARMUP_S:
        raise UsageError(f"warm-up must be between 0 and {MAX_WARMUP_S:g} s, got {warmup:g}")
    return TestSettings(clients, duration, warmup)


def _number(name: str, text: str) -> float:
    try:
        value = float(text.strip())
    except ValueError:
        raise UsageError(f"{name} must be a number of seconds, got {text!r}") from None
    if value != value or value in (float("inf"), float("-inf")):
        raise UsageError(f"{name} must be a finite number of seconds, got {text!r}")
    return value


def load(path: Path) -> tuple[TestSettings, str | None]:
    """The stored settings, or the defaults; the second value is a warning when the file was bad."""
    try:
        raw = json.loads(path.read_text("utf-8"))
    except FileNotFoundError:
        return TestSettings(), None
    except (OSError, ValueError) as exc:
        return TestSettings(), f"ignored unreadable settings {path}: {exc}"
    try:
        settings = parse(str(raw["concurrency"]), str(raw["duration_s"]), str(raw["warmup_s"]))
    except (KeyError, TypeError, UsageError) as exc:
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
