"""engine/ is the model: it must never import the GUI (DESIGN.md, layout rule)."""
from __future__ import annotations

import ast
import subprocess
import sys
from pathlib import Path

ENGINE = Path(__file__).resolve().parent.parent / "engine"
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


def test_the_window_is_built_without_importing_scikit_learn():
    """scikit-learn takes ~0.8 s to import: building the window (every panel) must not pull it
    onto the GUI thread before the window shows; it loads with the first dataset, in the
    background. (The editor's model, the run controller and the task code once did.)"""
    import os
    import subprocess
    import sys

    code = ("import sys\n"
            "from PySide6.QtWidgets import QApplication\n"
            "app = QApplication([])\n"
            "from app.main_window import MainWindow\n"
            "from app.settings import AppSettings\n"
            "w = MainWindow(AppSettings(persistent=False), quiet_errors=True)\n"
            "print(sorted(m for m in sys.modules if m == 'sklearn' or m.startswith('sklearn.'))[:3])\n"
            "w.shutdown()\n")
    env = dict(os.environ, QT_QPA_PLATFORM="offscreen")
    proc = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True,
                          env=env, timeout=120, cwd=Path(__file__).resolve().parent.parent)
    assert proc.returncode == 0, proc.stderr[-2000:]
    assert proc.stdout.strip().splitlines()[-1] == "[]"
