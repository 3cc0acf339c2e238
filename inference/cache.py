"""The folder inference code caches ONNX exports in, as named by whoever runs it.

The engine names its cache folder to the processes it starts (the local server and the compile
step) through `RNBENCH_CACHE_DIR`. Run without it (the benchmark, tests), the folder is the
user's cache folder for rnbench, under `RNBENCH_HOME` when that is set, as the engine's own.
"""

from __future__ import annotations

import os
from pathlib import Path

import platformdirs

CACHE_DIR_ENV = "RNBENCH_CACHE_DIR"
"""Environment variable through which the engine passes its cache folder."""


def cache_dir() -> Path:
    """The cache folder (created when missing)."""
    named = os.environ.get(CACHE_DIR_ENV)
    home = os.environ.get("RNBENCH_HOME")
    if named:
        path = Path(named)
    elif home:
        path = Path(home) / "cache"
    else:
        path = Path(platformdirs.user_cache_dir("rnbench"))
    path.mkdir(parents=True, exist_ok=True)
    return path
