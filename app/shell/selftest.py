"""`nirdesk --self-test`: prove that this installation works, frozen or not, in a few seconds.

Why it exists: a packaged app fails in ways the source tree never shows - a Qt plugin left
out, resources not found in the bundle, or worker processes that start a second copy of the
GUI instead of computing (the frozen-executable pitfall of loky/multiprocessing). The
self-test exercises exactly those paths and prints a short report:

1. the main window opens (offscreen platform), loads the bundled demo dataset and pipeline
   and draws the spectra;
2. the demo pipeline's (branch, fold) tasks run on the engine's TaskPool with 2 workers. A
   rendezvous step at the head of every task's pipeline makes the first task wait until a
   second process arrives, so passing proves two worker processes computed at the same
   time (not merely that two were started); every fit also records which process ran it;
3. the same tasks run again in this process, one after the other, and every prediction
   must match the parallel ones.

Exit code 0 when everything works; 1 with a "self-test FAILED: ..." line otherwise.
Stage 2 and 3 are the engine's (engine.selftest.check_pool): pool workers import its
rendezvous step and so never import this package.
"""
from __future__ import annotations

import platform
import sys
import time
from typing import Any

from engine.selftest import SelfTestError, check_pool

WINDOW_TIMEOUT_S = 60.0       # loading and drawing the demo in the window


def versions() -> list[str]:
    """Versions of nirdesk and of what it is built on (first lines of the report)."""
    import joblib
    import numpy as np
    import pyqtgraph
    import PySide6
    import sklearn
    from PySide6.QtCore import qVersion

    from app.version import app_version

    kind = "frozen app" if getattr(sys, "frozen", False) else "Python install"
    return [f"nirdesk {app_version()} ({kind}: {sys.executable})",
            f"Python {platform.python_version()} on {platform.platform()}",
            f"PySide6 {PySide6.__version__}, Qt {qVersion()}, pyqtgraph {pyqtgraph.__version__}",
            f"numpy {np.__version__}, scikit-learn {sklearn.__version__}, "
            f"joblib {joblib.__version__}"]


class SelfTestRefused(SelfTestError):
    """The window refused the bundled demo as bad input: exit 2, as every refusal."""


def check_window() -> list[str]:
    """Open the main window offscreen on the demo data and wait until it is loaded and drawn."""
    from PySide6.QtGui import QGuiApplication
    from PySide6.QtWidgets import QApplication

    from app.common.settings import AppSettings
    from app.shell.icons import set_app_icon
    from app.shell.main_window import MainWindow
    from app.shell.screenshot import WhenSettled
    from engine.resources import demo_dataset_path, demo_pipeline_path

    demo = demo_dataset_path()
    if not (demo / "X.csv").is_file():
        raise SelfTestError(f"the bundled demo dataset is missing: {demo}")
    start = time.perf_counter()
    # "-platform offscreen" beats QT_QPA_PLATFORM: the self-test never shows a window
    app = QApplication.instance() or QApplication([sys.argv[0], "-platform", "offscreen"])
    set_app_icon(app)
    icon_ok = not app.windowIcon().isNull()
    window = MainWindow(AppSettings(persistent=False), quiet=True)
    window.resize(1280, 800)
    outcome: dict[str, Any] = {}

    def finish(timed_out: bool) -> None:
        outcome["timed_out"] = timed_out
        outcome["pixels"] = not window.grab().isNull()
        window.close()

    window.show()
    WhenSettled(window, finish, timeout_s=WINDOW_TIMEOUT_S)
    window.start(str(demo), None, str(demo_pipeline_path()))
    app.exec()
    dataset = window.state.dataset
    errors = list(window.errors)
    window.shutdown()
    window.deleteLater()
    app.processEvents()
    seconds = time.perf_counter() - start
    if errors:
        raise SelfTestRefused(f"the window could not open the demo: {errors[0]}")
    if outcome.get("timed_out") or dataset is None:
        raise SelfTestError(f"the window did not load and draw the demo within "
                            f"{WINDOW_TIMEOUT_S:.0f} s")
    if not outcome.get("pixels"):
        raise SelfTestError("the window could not be rendered")
    return [f"window: Qt platform {QGuiApplication.platformName()}, demo {dataset.name} "
            f"{dataset.n_samples} x {dataset.n_wavelengths} loaded and drawn in {seconds:.2f} s"
            f", app icon {'set' if icon_ok else 'MISSING'}"]


def run_self_test() -> int:
    """Print the report; 0 when every check passed, else one clear line: 2 when the window
    refused the bundled demo (bad input), 1 for any other failure."""
    start = time.perf_counter()
    print("nirdesk self-test", flush=True)
    try:
        for stage in (versions, check_window, check_pool):
            for line in stage():
                print(f"  {line}", flush=True)
    except SelfTestError as exc:
        print(f"self-test FAILED: {exc}", file=sys.stderr, flush=True)
        return 2 if isinstance(exc, SelfTestRefused) else 1
    except Exception as exc:  # noqa: BLE001 - an installation problem: say what, not a traceback
        print(f"self-test FAILED: {type(exc).__name__}: {exc}", file=sys.stderr, flush=True)
        return 1
    print(f"self-test passed in {time.perf_counter() - start:.2f} s", flush=True)
    return 0
