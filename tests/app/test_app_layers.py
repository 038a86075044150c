"""The window's packages import one way (an AST scan of every import: module level, inside
functions and under TYPE_CHECKING):

    app.gui -> app.shell -> features -> app.common -> app.model

Features (editor, run, results, project, predict, spectra, monitor, explore) never import
each other nor the shell: only app.shell wires them. And no two app modules import each other
in a cycle. (The import-linter contracts say the same; this scan needs no extra tool.)
"""
from __future__ import annotations

import ast
from pathlib import Path

APP = Path(__file__).resolve().parents[2] / "app"
FEATURES = ("app.editor", "app.run", "app.results", "app.project", "app.predict",
            "app.spectra", "app.monitor", "app.explore", "app.transfer", "app.report",
            "app.ipls")
LAYERS = (("app.gui",), ("app.shell",), FEATURES, ("app.common",), ("app.model",))


def _module(path: Path) -> str:
    parts = list(path.relative_to(APP.parent).with_suffix("").parts)
    return ".".join(parts[:-1] if parts[-1] == "__init__" else parts)


def _package(module: str) -> tuple[int, str] | None:
    for level, names in enumerate(LAYERS):
        for name in names:
            if module == name or module.startswith(name + "."):
                return level, name
    return None


def _imports() -> dict[str, set[tuple[str, int]]]:
    """module -> {(imported app module or module.name, line)}"""
    out: dict[str, set[tuple[str, int]]] = {}
    for path in sorted(APP.rglob("*.py")):
        found = out.setdefault(_module(path), set())
        for node in ast.walk(ast.parse(path.read_text(), str(path))):
            if isinstance(node, ast.Import):
                names = [a.name for a in node.names]
            elif isinstance(node, ast.ImportFrom) and node.level == 0 and node.module:
                names = [node.module] + [f"{node.module}.{a.name}" for a in node.names]
            else:
                continue
            found.update((n, node.lineno) for n in names if n.split(".")[0] == "app")
    return out


def test_layers_and_independent_features():
    wrong = []
    for source, targets in _imports().items():
        src = _package(source)
        for target, line in targets:
            dst = _package(target)
            if src is None or dst is None:
                continue
            if dst[0] < src[0]:
                wrong.append(f"{source}:{line} imports {target} (a higher layer)")
            elif src[0] == dst[0] == 2 and src[1] != dst[1]:
                wrong.append(f"{source}:{line} imports another feature, {target}")
    assert wrong == []


def test_no_import_cycle_inside_app():
    imports = _imports()
    modules = set(imports)

    def resolve(name: str) -> str | None:
        while name and name not in modules:
            name = name.rpartition(".")[0]
        return name or None

    graph = {m: {t for t in (resolve(n) for n, _ in ts)
                 if t and t != m and not m.startswith(t + ".")}   # a package's own __init__
             for m, ts in imports.items()}
    cycles = []
    state: dict[str, int] = {}   # 1 visiting, 2 done

    def visit(node: str, stack: list[str]) -> None:
        state[node] = 1
        for nxt in sorted(graph.get(node, ())):
            if state.get(nxt) == 1:
                cycles.append(stack[stack.index(nxt):] + [nxt])
            elif nxt not in state:
                visit(nxt, stack + [nxt])
        state[node] = 2

    for module in sorted(graph):
        if module not in state:
            visit(module, [module])
    assert cycles == []
