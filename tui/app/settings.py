"""Test settings the TUI remembers between sessions (`rnbench.core.run.options.TestSettings`:
concurrency or a list of them, duration, warm-up, open-loop rate or rates, stability target,
error threshold), the foreign targets added with `a` (key and price), and the model chosen with
`m` (name or file, input size), so they come back.

Stored as JSON in the user data directory. A missing file gives the defaults (the study's 16
clients); an unreadable one gives the defaults and a one-line warning, never a crash.
"""

from __future__ import annotations

import json
import os
import tempfile
from dataclasses import asdict, dataclass
from pathlib import Path

from rnbench.core.backends.foreign.targets import redacted
from rnbench.core.errors import UsageError
from rnbench.core.paths import data_dir
from rnbench.core.run.options import TestSettings, parse

TARGETS = "targets"
"""The settings file's list of added foreign targets."""
MODEL = "model"
"""The settings file's model choice."""


@dataclass(frozen=True)
class SavedTarget:
    """A foreign target added in an earlier session."""

    key: str
    """`url:http://...` or `endpoint:NAME` (core/backends/foreign/targets.py); a URL's query
    values are stored as `***`, never as given (they may be secrets): such a target asks for
    its URL again in a later session."""
    usd_per_hour: float | None = None
    """The price the user gave; None when none."""


@dataclass(frozen=True)
class SavedModel:
    """The model chosen with `m` in an earlier session."""

    model: str
    """A torchvision name or a model file's path, as `--model` takes it."""
    input_size: int | None = None
    """The input side given; None: the model's own."""


def default_path() -> Path:
    return data_dir() / "tui-settings.json"


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
            _listed(raw.get("max_error_pct")),
        )
    except (KeyError, TypeError, AttributeError, UsageError) as exc:
        return TestSettings(), f"ignored bad settings in {path}: {exc}"
    return settings, None


def load_targets(path: Path) -> list[SavedTarget]:
    """The foreign targets saved in the file; a missing or bad file or entry gives none of it."""
    try:
        raw = json.loads(path.read_text("utf-8")).get(TARGETS, [])
        found = []
        for entry in raw:
            price = entry.get("usd_per_hour")
            found.append(SavedTarget(str(entry["key"]), None if price is None else float(price)))
        return found
    except (OSError, ValueError, TypeError, KeyError, AttributeError):
        return []


def load_model(path: Path) -> SavedModel | None:
    """The model choice saved in the file; None when there is none (or it is unreadable)."""
    try:
        raw = json.loads(path.read_text("utf-8")).get(MODEL)
        if raw is None:
            return None
        size = raw.get("input_size")
        if size is not None and (not isinstance(size, int) or isinstance(size, bool)):
            return None
        return SavedModel(str(raw["model"]), size) if raw["model"] else None
    except (OSError, ValueError, TypeError, KeyError, AttributeError):
        return None


def _safe(target: SavedTarget) -> dict[str, object]:
    """What is written of a saved target: its key with any URL secrets hidden."""
    return {**asdict(target), "key": redacted(target.key)}


def save(
    path: Path,
    settings: TestSettings,
    targets: list[SavedTarget] | None = None,
    model: SavedModel | None = None,
) -> None:
    """Write the settings, `targets` and `model` atomically (None keeps what is already saved).

    Raises:
        UsageError: the file cannot be written.
    """
    kept = load_targets(path) if targets is None else targets
    chosen = load_model(path) if model is None else model
    data: dict[str, object] = {**asdict(settings), TARGETS: [_safe(t) for t in kept]}
    if chosen is not None:
        data[MODEL] = asdict(chosen)
    try:
        path.parent.mkdir(parents=True, exist_ok=True)
        fd, tmp = tempfile.mkstemp(dir=path.parent, prefix=".tui-settings-", suffix=".json")
        with os.fdopen(fd, "w", encoding="utf-8") as out:
            json.dump(data, out, indent=2)
        os.replace(tmp, path)
    except OSError as exc:
        raise UsageError(f"cannot save settings to {path}: {exc.strerror or exc}") from None
