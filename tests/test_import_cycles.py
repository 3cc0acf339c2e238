"""No import circles between files anywhere in the package: every `import` counts, those inside
functions and under `if TYPE_CHECKING:` too, because a circle a lazy import hides is still two
modules that cannot be read, tested or moved apart."""

from __future__ import annotations

import ast
from collections.abc import Iterable
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
PARTS = ("core", "inference", "results", "tui")


def modules(root: Path = ROOT) -> dict[str, Path]:
    """`rnbench.core.engine` -> core/engine.py, `rnbench.core` -> core/__init__.py, ..."""
    found: dict[str, Path] = {}
    for part in PARTS:
        for path in (root / part).rglob("*.py"):
            relative = path.relative_to(root).with_suffix("")
            names = list(relative.parts)
            if names[-1] == "__init__":
                names.pop()
            found[".".join(["rnbench", *names])] = path
    return found


def _package_of(module: str, path: Path) -> str:
    return module if path.name == "__init__.py" else module.rpartition(".")[0]


def imports(module: str, path: Path, known: set[str]) -> set[str]:
    """The package's modules that `module` imports, each resolved to the file it loads."""
    edges: set[str] = set()
    for node in ast.walk(ast.parse(path.read_text("utf-8"))):
        if isinstance(node, ast.Import):
            for alias in node.names:
                if alias.name in known:
                    edges.add(alias.name)
        elif isinstance(node, ast.ImportFrom):
            base = node.module or ""
            if node.level:
                package = _package_of(module, path)
                for _ in range(node.level - 1):
                    package = package.rpartition(".")[0]
                base = f"{package}.{base}" if base else package
            for alias in node.names:
                if f"{base}.{alias.name}" in known:
                    edges.add(f"{base}.{alias.name}")
                elif base in known:
                    edges.add(base)
    edges.discard(module)
    return edges


def circles(graph: dict[str, set[str]]) -> list[list[str]]:
    """Strongly connected groups of more than one module (Tarjan), each sorted."""
    index: dict[str, int] = {}
    low: dict[str, int] = {}
    stack: list[str] = []
    on_stack: set[str] = set()
    found: list[list[str]] = []

    def visit(node: str) -> None:
        index[node] = low[node] = len(index)
        stack.append(node)
        on_stack.add(node)
        for nxt in sorted(graph.get(node, ())):
            if nxt not in index:
                visit(nxt)
                low[node] = min(low[node], low[nxt])
            elif nxt in on_stack:
                low[node] = min(low[node], index[nxt])
        if low[node] == index[node]:
            group = []
            while True:
                top = stack.pop()
                on_stack.discard(top)
                group.append(top)
                if top == node:
                    break
            if len(group) > 1:
                found.append(sorted(group))

    for node in sorted(graph):
        if node not in index:
            visit(node)
    return found


def package_graph(found: dict[str, Path]) -> dict[str, set[str]]:
    known = set(found)
    return {name: imports(name, path, known) for name, path in found.items()}


def _describe(groups: Iterable[list[str]]) -> str:
    return "; ".join(" <-> ".join(group) for group in groups)


def test_no_module_imports_itself_back_through_others() -> None:
    groups = circles(package_graph(modules()))
    assert not groups, f"import circles: {_describe(groups)}"


def test_the_graph_sees_every_kind_of_import(tmp_path: Path) -> None:
    # A lazy import, a TYPE_CHECKING import and a relative one: each closes a circle here.
    (tmp_path / "core" / "pkg").mkdir(parents=True)
    for part in PARTS[1:]:
        (tmp_path / part).mkdir()
    (tmp_path / "core" / "__init__.py").write_text("")
    (tmp_path / "core" / "pkg" / "__init__.py").write_text("")
    (tmp_path / "core" / "a.py").write_text(
        "def f():\n    from rnbench.core.b import g\n    return g\n"
    )
    (tmp_path / "core" / "b.py").write_text("from rnbench.core import a\ng = a\n")
    (tmp_path / "core" / "pkg" / "c.py").write_text(
        "from typing import TYPE_CHECKING\nif TYPE_CHECKING:\n    from .d import D\n"
    )
    (tmp_path / "core" / "pkg" / "d.py").write_text("from rnbench.core.pkg.c import x\n")
    groups = circles(package_graph(modules(tmp_path)))
    assert groups == [
        ["rnbench.core.a", "rnbench.core.b"],
        ["rnbench.core.pkg.c", "rnbench.core.pkg.d"],
    ]


def test_the_package_graph_is_the_real_one() -> None:
    graph = package_graph(modules())
    assert "rnbench.core.run.testrun" in graph["rnbench.core.engine"]
    assert len(graph) > 100
