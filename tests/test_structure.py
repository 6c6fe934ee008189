"""The package's import graph, read from the source (AST, nothing executed): no import cycles, and no
module importing another module's private (``_name``) names. Imports inside functions count too.

A package's ``__init__`` re-exporting its own submodules is not a cycle (``xlmargin.stress`` imports
``xlmargin.stress.results``, which imports ``xlmargin.stress.scenarios``...). Importing a private
*module* (``from xlmargin.regt import _pairing``) is fine: the underscore marks it internal to its
package; importing a private *name* out of another module is not.
"""

from __future__ import annotations

import ast
from collections.abc import Iterator
from functools import cache
from pathlib import Path

from tests.conftest import REPO

PACKAGE = REPO / "xlmargin"


def module_name(path: Path) -> str:
    parts = list(path.relative_to(REPO).with_suffix("").parts)
    return ".".join(parts[:-1] if parts[-1] == "__init__" else parts)


MODULES = {module_name(p): p for p in sorted(PACKAGE.rglob("*.py"))}


@cache
def imports(module: str) -> tuple[tuple[str, str | None], ...]:
    """(imported module, imported name or None) for every import statement of ``module``."""
    return tuple(_imports(module))


def _imports(module: str) -> Iterator[tuple[str, str | None]]:
    path = MODULES[module]
    package = module if path.name == "__init__.py" else module.rpartition(".")[0]
    for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
        if isinstance(node, ast.Import):
            for alias in node.names:
                yield alias.name, None
        elif isinstance(node, ast.ImportFrom):
            base = node.module or ""
            if node.level:
                parts = package.split(".")
                base = ".".join([*parts[: len(parts) - node.level + 1], *([base] if base else [])])
            for alias in node.names:
                submodule = f"{base}.{alias.name}"
                yield (submodule, None) if submodule in MODULES else (base, alias.name)


def graph() -> dict[str, set[str]]:
    """Each module's imports within the package, less a package's imports of its own submodules."""
    out: dict[str, set[str]] = {}
    for module, path in MODULES.items():
        own = module + "." if path.name == "__init__.py" else None
        out[module] = {
            target
            for target, _ in imports(module)
            if target in MODULES and target != module and not (own and target.startswith(own))
        }
    return out


def cycles(edges: dict[str, set[str]]) -> list[list[str]]:
    """Every cycle a depth-first walk meets (each as the path that closes it)."""
    found: list[list[str]] = []
    state: dict[str, int] = {}  # 1 on the current path, 2 done
    path: list[str] = []

    def visit(u: str) -> None:
        state[u] = 1
        path.append(u)
        for v in sorted(edges[u]):
            if state.get(v) == 1:
                found.append([*path[path.index(v) :], v])
            elif v not in state:
                visit(v)
        path.pop()
        state[u] = 2

    for module in sorted(edges):
        if module not in state:
            visit(module)
    return found


def private_imports() -> list[str]:
    return [
        f"{module} imports {target}.{name}"
        for module in MODULES
        for target, name in imports(module)
        if name and name.startswith("_") and not name.startswith("__") and target in MODULES
        if target != module
    ]


def test_the_walk_sees_the_package() -> None:
    assert {"xlmargin.params", "xlmargin.stress", "xlmargin.stress.results"} <= set(MODULES)
    assert "xlmargin.stress.scenarios" in graph()["xlmargin.stress.results"]
    assert "xlmargin.params" in graph()["xlmargin.stress.settings"]


def test_the_cycle_finder_on_made_up_graphs() -> None:
    assert cycles({"a": {"b"}, "b": {"c"}, "c": {"a"}, "d": {"a"}}) == [["a", "b", "c", "a"]]
    assert cycles({"a": {"b", "c"}, "b": {"c"}, "c": set()}) == []


def test_no_import_cycles() -> None:
    found = cycles(graph())
    assert not found, "import cycles:\n" + "\n".join(" -> ".join(c) for c in found)


def test_no_module_imports_another_modules_private_names() -> None:
    offenders = sorted(set(private_imports()))
    assert not offenders, "private cross-module imports:\n" + "\n".join(offenders)
