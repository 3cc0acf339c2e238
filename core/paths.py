"""Where rnbench keeps files: per-user data, cache and state directories (platformdirs).

`RNBENCH_HOME` moves all three under one folder (tests use it to stay out of the user's home).
"""

from __future__ import annotations

import os
from pathlib import Path

import platformdirs

from rnbench.core.errors import UsageError

APP = "rnbench"


def _base(kind: str) -> Path:
    home = os.environ.get("RNBENCH_HOME")
    if home:
        path = Path(home) / kind
    elif kind == "data":
        path = Path(platformdirs.user_data_dir(APP))
    elif kind == "cache":
        path = Path(platformdirs.user_cache_dir(APP))
    else:
        path = Path(platformdirs.user_state_dir(APP))
    try:
        path.mkdir(parents=True, exist_ok=True)
    except OSError as exc:  # RNBENCH_HOME is a file, a read-only folder, ...
        reason = exc.strerror or type(exc).__name__
        raise UsageError(f"cannot use {path} for rnbench's {kind} files: {reason}") from None
    return path


def data_dir() -> Path:
    """Results database and settings."""
    return _base("data")


def results_database() -> Path:
    """The results database: every run and its windows."""
    return data_dir() / "runs.sqlite3"


def price_overrides() -> Path:
    """The user's price overrides (see `rnbench.results.prices`); need not exist."""
    return data_dir() / "prices.toml"


def cache_dir() -> Path:
    """Generated artifacts: ONNX exports, TorchScript files, model archives."""
    return _base("cache")


def state_dir() -> Path:
    """Records of running deployments (local server pids), so a crashed caller's can be found."""
    return _base("state")
