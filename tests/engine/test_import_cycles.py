"""No import cycle between nirdesk's modules, counting EVERY import statement.

Why this on top of import-linter's layers: a layers contract only sees the modules it lists,
and a cycle hidden in a function-local import (``from engine.tasks import ...`` inside a
function of a module engine.tasks itself imports) works at run time until the day someone
moves the import to the top, then fails with a half-initialised module. So this scans the
source of engine/ and app/ with ast: module-level, function-local and ``if TYPE_CHECKING:``
imports alike, relative ones resolved, and ``from package import submodule`` counted as an
import of the submodule (as Python and import-linter do). Reading the source, not importing
it, is what lets it see the imports that have not run yet; it needs no Qt.
"""
from __future__ import annotations

import ast
from pathlib import Path

REPO = Path(__file__).resolve().parents[2]
PACKAGES = ("engine", "app")

Edges = dict[str, dict[str, str]]  # module -> {imported module: "path:line" of the first import}


def module_files(root: Path, packages: tuple[str, ...] = PACKAGES) -> dict[str, Path]:
    """Dotted module name -> source file, for every .py file of ``packages`` under ``root``."""
    modules = {}
    for package in packages:
        for path in sorted((root / package).rglob("*.py")):
            parts = path.relative_to(root).with_suffix("").parts
            if parts[-1] == "__init__":
                parts = parts[:-1]
            modules[".".join(parts)] = path
    return modules


def _imported_names(node: ast.Import | ast.ImportFrom, module: str, is_package: bool,
                    modules: dict[str, Path]) -> list[str]:
    """The dotted names one import statement asks for (``from a import b`` gives a.b when
    a.b is a module, else a)."""
    if isinstance(node, ast.Import):
        return [alias.name for alias in node.names]
    base = node.module or ""
    if node.level:  # relative: from the package of `module`, up level - 1 packages
        package = module.split(".") if is_package else module.split(".")[:-1]
        package = package[:len(package) - (node.level - 1)]
        base = ".".join(package + ([node.module] if node.module else []))
    return [f"{base}.{alias.name}" if f"{base}.{alias.name}" in modules else base
            for alias in node.names]


def _known(name: str, modules: dict[str, Path]) -> str | None:
    """The longest prefix of ``name`` that is one of ``modules`` (None: not ours)."""
    parts = name.split(".")
    while parts:
        if ".".join(parts) in modules:
            return ".".join(parts)
        parts.pop()
    return None


def import_graph(root: Path, packages: tuple[str, ...] = PACKAGES) -> Edges:
    """Every import between the modules of ``packages``, wherever the statement stands."""
    modules = module_files(root, packages)
    edges: Edges = {}
    for module, path in modules.items():
        out = edges.setdefault(module, {})
        tree = ast.parse(path.read_text(encoding="utf-8"), filename=str(path))
        for node in ast.walk(tree):  # walks into functions, classes and if-blocks too
            if not isinstance(node, (ast.Import, ast.ImportFrom)):
                continue
            for name in _imported_names(node, module, path.name == "__init__.py", modules):
                target = _known(name, modules)
                if target is not None and target != module:
                    out.setdefault(target, f"{path.relative_to(root)}:{node.lineno}")
    return edges


def cycles(edges: Edges) -> list[list[str]]:
    """The strongly connected components of more than one module (Tarjan, iterative)."""
    index: dict[str, int] = {}
    low: dict[str, int] = {}
    stack: list[str] = []
    on_stack: set[str] = set()
    found: list[list[str]] = []
    for start in sorted(edges):
        if start in index:
            continue
        work = [(start, iter(sorted(edges[start])))]
        index[start] = low[start] = len(index)
        stack.append(start)
        on_stack.add(start)
        while work:
            node, children = work[-1]
            child = next(children, None)
            if child is not None:
                if child not in index:
                    index[child] = low[child] = len(index)
                    stack.append(child)
                    on_stack.add(child)
                    work.append((child, iter(sorted(edges.get(child, {})))))
                elif child in on_stack:
                    low[node] = min(low[node], index[child])
                continue
            work.pop()
            if work:
                parent = work[-1][0]
                low[parent] = min(low[parent], low[node])
            if low[node] == index[node]:
                component = []
                while True:
                    member = stack.pop()
                    on_stack.discard(member)
                    component.append(member)
                    if member == node:
                        break
                if len(component) > 1:
                    found.append(sorted(component))
    return sorted(found)


def describe(component: list[str], edges: Edges) -> str:
    """One cycle as its imports: 'a -> b (a.py:12)' for each edge inside the component."""
    inside = [f"{a} -> {b} ({edges[a][b]})" for a in component for b in sorted(edges[a])
              if b in component]
    return "cycle " + " <-> ".join(component) + ":\n    " + "\n    ".join(inside)


def test_no_import_cycle_between_engine_and_app_modules():
    edges = import_graph(REPO)
    assert len(edges) > 100  # the scan found the packages (a wrong root would find nothing)
    found = cycles(edges)
    assert found == [], "\n".join(describe(c, edges) for c in found)


def test_the_scan_sees_function_local_type_checking_and_relative_imports(tmp_path):
    """The check itself: a cycle closed only by a function-local import, one only by a
    TYPE_CHECKING import and one through a relative import are all found; imports of a
    sibling through its package, and of outside packages, are not cycles."""
    files = {
        "engine/__init__.py": "",
        "engine/a.py": "from engine import b\n",
        "engine/b.py": "def f():\n    from engine.a import x\n",
        "engine/c.py": ("from typing import TYPE_CHECKING\n"
                        "if TYPE_CHECKING:\n    from engine.d import D\n"),
        "engine/d.py": "import engine.c\n",
        "engine/pkg/__init__.py": "from engine.pkg.e import E\n",
        "engine/pkg/e.py": "from . import f\nimport numpy\n",
        "engine/pkg/f.py": "def g():\n    from .e import E\n",
        "engine/pkg/g.py": "from engine.pkg import f\n",
        "app/__init__.py": "",
        "app/h.py": "import engine.a\n",
    }
    for name, text in files.items():
        (tmp_path / name).parent.mkdir(parents=True, exist_ok=True)
        (tmp_path / name).write_text(text)
    edges = import_graph(tmp_path)
    assert edges["engine.b"] == {"engine.a": "engine/b.py:2"}
    assert cycles(edges) == [["engine.a", "engine.b"], ["engine.c", "engine.d"],
                             ["engine.pkg.e", "engine.pkg.f"]]
    assert "engine/b.py:2" in describe(["engine.a", "engine.b"], edges)
