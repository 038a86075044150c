"""engine/ is the model: it must never import the GUI (docs/design.md, layout rule).

The source-level rule is import-linter's engine-no-gui contract (pyproject.toml, run by
.ci/run); this test checks what actually loads when every engine module is imported."""
from __future__ import annotations

import subprocess
import sys
from pathlib import Path

ENGINE = Path(__file__).resolve().parents[2] / "engine"
FORBIDDEN = ("PySide6", "pyqtgraph", "app", "superqt", "PyQt5", "PyQt6", "qtpy")


def test_importing_every_engine_module_loads_no_qt():
    code = ("import pkgutil, importlib, sys, engine\n"
            "for m in pkgutil.walk_packages(engine.__path__, 'engine.'):\n"
            "    importlib.import_module(m.name)\n"
            f"bad = [m for m in sys.modules if m.split('.')[0] in {FORBIDDEN!r}]\n"
            "print(bad); sys.exit(1 if bad else 0)\n")
    done = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True,
                          cwd=ENGINE.parent)
    assert done.returncode == 0, done.stdout + done.stderr
