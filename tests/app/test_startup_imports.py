"""What building the window imports: nothing slow before it shows (start-up cost guard)."""
from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

#: the start of each child: a QApplication and the main window's module
WINDOW = ("from PySide6.QtWidgets import QApplication\n"
          "app = QApplication([])\n"
          "from app.shell.main_window import MainWindow\n"
          "from app.common.settings import AppSettings\n")
#: records what the GUI thread imports from here on; ``gui_imports()`` the modules it loaded
#: (an optional module looked for and not installed does not count: a failed lookup is cheap)
GUI_IMPORT_SPY = ("seen = []\n"
                  "class Spy:\n"
                  "    def find_spec(self, name, path=None, target=None):\n"
                  "        if threading.current_thread() is threading.main_thread():\n"
                  "            seen.append(name)\n"
                  "sys.meta_path.insert(0, Spy())\n"
                  "def gui_imports():\n"
                  "    return sorted(set(n for n in seen if n in sys.modules))\n")


def _last_line(code: str) -> str:
    """Run ``code`` in a fresh offscreen interpreter (imports are per process); its last line."""
    env = dict(os.environ, QT_QPA_PLATFORM="offscreen")
    proc = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True,
                          env=env, timeout=120, cwd=Path(__file__).resolve().parents[2])
    assert proc.returncode == 0, proc.stderr[-2000:]
    return proc.stdout.strip().splitlines()[-1]


def test_the_window_is_built_without_importing_scikit_learn():
    """scikit-learn takes ~0.8 s to import: building the window (every panel) must not pull it
    onto the GUI thread before the window shows; it loads with the first dataset, in the
    background. (The editor's model, the run controller and the task code once did.)"""
    code = ("import sys\n" + WINDOW +
            "w = MainWindow(AppSettings(persistent=False), quiet=True)\n"
            "print(sorted(m for m in sys.modules\n"
            "             if m == 'sklearn' or m.startswith('sklearn.'))[:3])\n"
            "w.shutdown()\n")
    assert _last_line(code) == "[]"


def test_showing_the_window_imports_later_needs_off_the_gui_thread():
    """Once shown (and its start-up over: MainWindow.WARMUP_DELAY_MS), the window imports what
    the first open, save and run need on a daemon thread (app.common.warmup), so those first
    uses do not pause the GUI thread."""
    code = ("import sys, threading, time\n" + WINDOW +
            "from app.common import warmup\n"
            "w = MainWindow(AppSettings(persistent=False), quiet=True)\n"
            "before = [m for m in warmup.MODULES if m in sys.modules]\n"
            "w.show()\n"
            "end = time.monotonic() + 30\n"
            "while time.monotonic() < end and not any(\n"
            "        t.name == 'nirdesk-import-warmup' for t in threading.enumerate()):\n"
            "    app.processEvents()\n"
            "    time.sleep(0.01)\n"
            "t = next(t for t in threading.enumerate() if t.name == 'nirdesk-import-warmup')\n"
            "t.join(60)\n"
            "import linecache\n"
            "kept = sum(len(entry[2]) for entry in linecache.cache.values() if len(entry) > 2)\n"
            "print('engine.store.check' in before, all(m in sys.modules for m in "
            "warmup.MODULES), kept < 5000)\n"
            "w.shutdown()\n")
    # and the source lines shiboken's import hook reads (kept by linecache: 209,000 lines,
    # ~20 MB, for these modules) are dropped
    assert _last_line(code) == "False True True"


def test_after_the_warm_up_a_pipeline_and_a_pool_import_nothing_on_the_gui_thread():
    """The first pipeline the editor parses imports the operator registry's classes
    (scikit-learn, scipy.signal: ~1 s) and the first run the worker pool's machinery (joblib,
    loky, cloudpickle); done on the GUI thread that was a freeze of the window at the user's
    first edit or run. After the warm-up they are already there: a meta-path spy sees no
    import on the GUI thread while the demo pipeline is parsed and a pool starts (optional
    modules looked for and not installed do not count: a failed lookup is cheap)."""
    code = ("import sys, threading, json\n" + WINDOW +
            "from app.common import warmup\n"
            "w = MainWindow(AppSettings(persistent=False), quiet=True)\n"
            "t = warmup.start_import_warmup()\n"
            "while t.is_alive():\n"
            "    app.processEvents()\n"
            "    t.join(0.01)\n"
            + GUI_IMPORT_SPY +
            "from pathlib import Path\n"
            "from engine.pipeline import parse_pipeline\n"
            "parse_pipeline(Path('resources/demo/pipeline.json'))\n"
            "from engine.executor import TaskPool\n"
            "pool = TaskPool()\n"
            "pool._get_executor(1, 1).submit(int, 1).result(timeout=60)\n"
            "pool.shutdown()\n"
            "print(json.dumps(gui_imports()))\n"
            "w.shutdown()\n")
    assert json.loads(_last_line(code)) == []


def test_the_first_dataset_shown_imports_nothing_on_the_gui_thread():
    """Even before the warm-up (a dataset opened at once), showing the first dataset imports
    nothing on the GUI thread: the loader thread imports what the display needs (numpy.ma,
    which np.unique imports at its first call) while it prepares the spectra."""
    code = ("import sys, threading, json, time\n" + WINDOW +
            "import app.shell.main_window as mw\n"
            "mw.WARMUP_DELAY_MS = 10**8\n"
            "w = MainWindow(AppSettings(persistent=False), quiet=True)\n"
            "w.show()\n"
            + GUI_IMPORT_SPY +
            "w.open_dataset('resources/demo/tecator')\n"
            "end = time.monotonic() + 60\n"
            "while time.monotonic() < end and not (w.state.dataset is not None\n"
            "                                      and w.view.is_drawn()):\n"
            "    app.processEvents()\n"
            "    time.sleep(0.01)\n"
            "for _ in range(50):\n"
            "    app.processEvents()\n"
            "    time.sleep(0.01)\n"
            "print(w.state.dataset is not None,\n"
            "      json.dumps(gui_imports()))\n"
            "w.shutdown()\n")
    assert _last_line(code) == "True []"
