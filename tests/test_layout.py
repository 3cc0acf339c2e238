"""The package arrows README.md draws: the two front ends share only `tui/fmt.py`, and neither
the engine nor its leaves import a front end."""

from __future__ import annotations

import ast
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent


def imported(folder: str) -> set[str]:
    """Every module name the Python files under `folder` import."""
    names: set[str] = set()
    for path in (ROOT / folder).rglob("*.py"):
        for node in ast.walk(ast.parse(path.read_text("utf-8"))):
            if isinstance(node, ast.ImportFrom) and node.module:
                names.add(node.module)
                names.update(f"{node.module}.{alias.name}" for alias in node.names)
            elif isinstance(node, ast.Import):
                names.update(alias.name for alias in node.names)
    return names


def test_the_front_ends_do_not_import_each_other() -> None:
    assert not {n for n in imported("tui/cli") if n.startswith("rnbench.tui.app")}
    assert not {n for n in imported("tui/app") if n.startswith("rnbench.tui.cli")}


def test_the_engine_imports_no_front_end() -> None:
    for part in ("core", "inference", "results"):
        assert not {n for n in imported(part) if n.startswith("rnbench.tui")}, part


def test_the_layout_test_sees_the_imports() -> None:
    app = imported("tui/app")
    assert "rnbench.tui.fmt" in app and "rnbench.core.run.sweep" in app
    assert "rnbench.core.run.options" in imported("tui/cli")
