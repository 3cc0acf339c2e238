"""A SageMaker handler script imported the way the containers import it.

The containers put the script's folder on sys.path and import it by name, so the handler finds
`rnbench_io` beside it. Tests load several archives in one process: an `rnbench_io` imported from
an earlier one is dropped first, so each handler runs the copy packed beside it.
"""

from __future__ import annotations

import importlib.util
import sys
from pathlib import Path
from types import ModuleType

import pytest

HANDLER_IO = "rnbench_io"
"""The module both handlers import, packed beside them."""


def import_handler(script: Path, name: str, monkeypatch: pytest.MonkeyPatch) -> ModuleType:
    """`script` (an archive's inference.py, or a handler of the repository) imported as module
    `name`, with its folder first on sys.path; asserts it ran the rnbench_io beside it."""
    monkeypatch.syspath_prepend(str(script.parent))
    monkeypatch.delitem(sys.modules, HANDLER_IO, raising=False)
    spec = importlib.util.spec_from_file_location(name, script)
    assert spec is not None and spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    imported = sys.modules[HANDLER_IO].__file__
    assert imported is not None and Path(imported).parent == script.parent
    return module
