"""Import, on a background thread, the modules the window will first need in the middle of
the user's work.

Why: several modules are imported lazily at their first use on the GUI thread (numpy.ma by the
first np.unique, the project store at the first Save, the results code at the first run), and
under PySide6 every import is slowed by shiboken's import hook, which reads each new module's
source to see whether it uses Qt: bench/scale.py traced GUI pauses of 50-100 ms to such first
imports (issue 20). Imported once the window is on screen, on a daemon thread, they cost the
GUI thread nothing later; a module the user reaches first is simply imported where it was.
Start-up is not slowed: the window shows first (tests/app/test_startup_imports.py).
"""
from __future__ import annotations

import importlib
import linecache
import threading
from collections.abc import Sequence

from app.common.priority import lower_this_thread

#: imported in this order; none may import Qt widgets (a thread must not create them)
MODULES: tuple[str, ...] = (
    "numpy.ma",
    "engine.store",
    "engine.store.check",
    "engine.results",
    "engine.diagnostics",
    "engine.diagnostics.pca",
    "engine.io",
    "engine.io.fastcsv",
    "engine.io.binary",
    # the first pipeline parsed (the editor) or run: the operator registry's classes and
    # what they import (scikit-learn, scipy.signal: ~1 s), and the worker pool's machinery
    "engine.operators",
    "engine.models",
    "sklearn.model_selection",
    "engine.executor",
    "joblib.externals.loky",
    "joblib.externals.loky.reusable_executor",
    "joblib.externals.loky.backend.popen_loky_posix",     # not on Windows: skipped there
    "joblib.externals.loky.backend.synchronize",
    "joblib.externals.loky.backend.fork_exec",            # imported by a function, on use
    "joblib._memmapping_reducer",
    "cloudpickle",
)

_started = False


def start_import_warmup(modules: Sequence[str] = MODULES) -> threading.Thread | None:
    """Start the warm-up once per process (later calls do nothing); the thread, or None."""
    global _started
    if _started:
        return None
    _started = True

    def run() -> None:
        lower_this_thread()
        for name in modules:
            try:
                importlib.import_module(name)
            except Exception:  # noqa: BLE001 - a module that fails here fails at its use too
                continue
            finally:
                # shiboken's import hook reads every new module's source through linecache,
                # which keeps it: ~20 MB of lines for these modules, needed by no one (a
                # traceback reads its lines again); dropped as we go, the memory is reused
                linecache.clearcache()

    thread = threading.Thread(target=run, name="nirdesk-import-warmup", daemon=True)
    thread.start()
    return thread
