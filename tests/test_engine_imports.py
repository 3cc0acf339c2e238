"""The engine (core/, inference/, results/) never imports a UI library, and nothing installs
bare top-level `core`, `tui`, `inference` or `results` modules."""

from __future__ import annotations

import pkgutil
import subprocess
import sys

import rnbench.core
import rnbench.inference
import rnbench.results

UI_MODULES = ("textual", "rich", "plotext", "textual_plotext")


def engine_modules() -> list[str]:
    names = []
    for package in (rnbench.core, rnbench.inference, rnbench.results):
        names.append(package.__name__)
        for info in pkgutil.walk_packages(package.__path__, package.__name__ + "."):
            names.append(info.name)
    return sorted(names)


def test_the_engine_has_many_modules_to_check() -> None:
    modules = engine_modules()
    assert "rnbench.core.engine" in modules
    assert "rnbench.core.loadgen" in modules
    assert len(modules) > 10


def test_no_engine_module_imports_a_ui_library() -> None:
    # One fresh interpreter imports every engine module, then lists UI modules it ended up with.
    script = (
        "import importlib, sys\n"
        f"for name in {engine_modules()!r}:\n"
        "    if name.endswith('.__main__'):\n"
        "        continue\n"
        "    importlib.import_module(name)\n"
        f"print(sorted(m for m in sys.modules if m.split('.')[0] in {UI_MODULES!r}))\n"
    )
    result = subprocess.run(
        [sys.executable, "-c", script], capture_output=True, text=True, timeout=300
    )
    assert result.returncode == 0, result.stderr[-2000:]
    assert result.stdout.strip() == "[]"


def test_no_bare_top_level_modules() -> None:
    script = (
        "import importlib.util\n"
        "print([n for n in ('core', 'tui', 'inference', 'results') "
        "if importlib.util.find_spec(n) is not None])\n"
    )
    result = subprocess.run(
        [sys.executable, "-c", script], capture_output=True, text=True, cwd="/", timeout=60
    )
    assert result.returncode == 0, result.stderr
    assert result.stdout.strip() == "[]"
