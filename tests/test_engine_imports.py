"""The arrows between the parts: the engine (core/, inference/, results/) never imports a UI
library, inference/ and results/ import nothing of core/ or tui/, core/ nothing of tui/ (the
import-linter contracts in pyproject.toml), and nothing installs bare top-level `core`, `tui`,
`inference` or `results` modules."""

from __future__ import annotations

import pkgutil
import subprocess
import sys
from pathlib import Path
from types import ModuleType

import rnbench.core
import rnbench.inference
import rnbench.results

UI_MODULES = ("textual", "rich", "plotext", "textual_plotext")
REPOSITORY = Path(__file__).resolve().parents[1]


def engine_modules(*packages: ModuleType) -> list[str]:
    names = []
    for package in packages or (rnbench.core, rnbench.inference, rnbench.results):
        names.append(package.__name__)
        for info in pkgutil.walk_packages(package.__path__, package.__name__ + "."):
            names.append(info.name)
    return sorted(names)


def test_the_engine_has_many_modules_to_check() -> None:
    modules = engine_modules()
    assert "rnbench.core.engine" in modules
    assert "rnbench.core.loadgen" in modules
    assert len(modules) > 10


def _loaded_after_importing(modules: list[str], wanted: str) -> str:
    """In a fresh interpreter, import `modules`; return the sorted names in sys.modules for
    which the expression `wanted` (over `m`) is true, as printed."""
    script = (
        "import importlib, sys\n"
        f"for name in {modules!r}:\n"
        "    if name.endswith('.__main__'):\n"
        "        continue\n"
        "    importlib.import_module(name)\n"
        f"print(sorted(m for m in sys.modules if {wanted}))\n"
    )
    result = subprocess.run(
        [sys.executable, "-c", script], capture_output=True, text=True, timeout=300
    )
    assert result.returncode == 0, result.stderr[-2000:]
    return result.stdout.strip()


def test_no_engine_module_imports_a_ui_library() -> None:
    # One fresh interpreter imports every engine module, then lists UI modules it ended up with.
    assert _loaded_after_importing(engine_modules(), f"m.split('.')[0] in {UI_MODULES!r}") == "[]"


def test_inference_and_results_load_nothing_of_core_or_the_front_ends() -> None:
    leaves = engine_modules(rnbench.inference, rnbench.results)
    assert "rnbench.results.store" in leaves and "rnbench.inference.server" in leaves
    wanted = "m.startswith(('rnbench.core', 'rnbench.tui'))"
    assert _loaded_after_importing(leaves, wanted) == "[]"


def test_the_import_contracts_hold() -> None:
    """import-linter reads every import statement, those inside functions included."""
    lint_imports = Path(sys.executable).with_name("lint-imports")
    result = subprocess.run(
        [str(lint_imports), "--no-cache"],
        capture_output=True,
        text=True,
        cwd=REPOSITORY,
        timeout=300,
    )
    assert result.returncode == 0, result.stdout[-3000:] + result.stderr[-2000:]
    assert "Contracts: 7 kept, 0 broken" in result.stdout, result.stdout[-2000:]


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
