"""engine/ is the model: it must never import the GUI (DESIGN.md, layout rule)."""
from __future__ import annotations

import ast
import subprocess
import sys
from pathlib import Path

ENGINE = Path(__file__).resolve().parents[2] / "engine"
FORBIDDEN = ("PySide6", "pyqtgraph", "app", "superqt", "PyQt5", "PyQt6", "qtpy")


def _imported_roots(path: Path) -> set[str]:
    roots = set()
    for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"), filename=str(path))):
        if isinstance(node, ast.Import):
            roots.update(alias.name.split(".")[0] for alias in node.names)
        elif isinstance(node, ast.ImportFrom) and node.level == 0 and node.module:
            roots.add(node.module.split(".")[0])
    return roots


def test_engine_sources_never_import_gui_modules():
    offenders = {str(p.relative_to(ENGINE.parent)): sorted(_imported_roots(p) & set(FORBIDDEN))
                 for p in ENGINE.rglob("*.py")}
    offenders = {k: v for k, v in offenders.items() if v}
    assert offenders == {}


def test_importing_every_engine_module_loads_no_qt():
    code = ("import pkgutil, importlib, sys, engine\n"
            "for m in pkgutil.walk_packages(engine.__path__, 'engine.'):\n"
            "    importlib.import_module(m.name)\n"
            "bad = [m for m in sys.modules if m.split('.')[0] in %r]\n"
            "print(bad); sys.exit(1 if bad else 0)\n" % (FORBIDDEN,))
    done = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True,
                          cwd=ENGINE.parent)
    assert done.returncode == 0, done.stdout + done.stderr
