"""`nirdesk --screenshot PATH`: wait until the window has loaded and drawn, save a PNG, quit.

Also the waiting part of `--exit-after-load` (tests, benchmarks): both poll the window every
25 ms - cheap, and robust to whichever of loading, pipeline parsing and drawing ends last.
"""
from __future__ import annotations

import time
from collections.abc import Callable
from pathlib import Path

from PySide6.QtCore import QObject, QTimer

POLL_MS = 25
TIMEOUT_S = 120.0


class WhenSettled(QObject):
    """Call ``callback(timed_out)`` once the window is settled (nothing loading or computing,
    spectra drawn) after the start-up jobs were submitted."""

    def __init__(self, window, callback: Callable[[bool], None],
                 timeout_s: float = TIMEOUT_S) -> None:
        super().__init__(window)
        self._window = window
        self._callback = callback
        self._deadline = time.monotonic() + timeout_s
        self._settled_polls = 0
        self._timer = QTimer(self)
        self._timer.setInterval(POLL_MS)
        self._timer.timeout.connect(self._poll)
        self._timer.start()

    def _poll(self) -> None:
        w = self._window
        started = w.state.dataset is not None or bool(w.errors)
        settled = started and w.is_settled()
        self._settled_polls = self._settled_polls + 1 if settled else 0
        timed_out = time.monotonic() > self._deadline
        if self._settled_polls >= 2 or timed_out:  # settled on two polls in a row
            self._timer.stop()
            self._callback(timed_out and not settled)


def save_screenshot(window, path: str | Path) -> Path:
    """The whole main window (docks, menus, status bar) as a PNG."""
    path = Path(path)
    if path.parent and not path.parent.exists():
        path.parent.mkdir(parents=True, exist_ok=True)
    from engine.atomic import write_via

    pixmap = window.grab()
    if pixmap.isNull():
        raise OSError(f"cannot write the screenshot to {path}: the window drew nothing")

    def produce(temp: Path) -> None:
        if not pixmap.save(str(temp), "PNG"):
            raise OSError(0, "Qt could not save the PNG")

    return write_via(path, produce, what="the screenshot")


class AfterRun(QObject):
    """`nirdesk --demo-run`: once the window has settled, press Run; when the run has finished
    and the results are drawn, call ``callback(ok: bool, message: str)``.

    ok is False when the run could not start (no dataset, invalid pipeline), when a branch
    failed, or when the whole thing timed out."""

    def __init__(self, window, callback: Callable[[bool, str], None],
                 timeout_s: float = TIMEOUT_S) -> None:
        super().__init__(window)
        self._window = window
        self._callback = callback
        self._timeout_s = timeout_s
        self._result = None
        WhenSettled(window, self._loaded, timeout_s)

    def _loaded(self, timed_out: bool) -> None:
        w = self._window
        if timed_out or w.state.dataset is None:
            self._callback(False, "the demo data did not load")
            return
        w.bench.run_finished.connect(self._finished)
        if not w.bench.start_run():
            self._callback(False, "the run did not start: " + (w.errors[-1] if w.errors else
                                                               w.statusBar().currentMessage()))

    def _finished(self, result) -> None:
        self._result = result
        WhenSettled(self._window, self._drawn, self._timeout_s)

    def _drawn(self, timed_out: bool) -> None:
        result = self._result
        failed = [b for b in result.branches if b.status != "ok"]
        if timed_out:
            self._callback(False, "timed out waiting for the results to draw")
        elif failed:
            self._callback(False, f"{len(failed)} branch(es) did not finish: " +
                           "; ".join(f"{b.name}: {b.error}" for b in failed))
        else:
            self._callback(True, f"{len(result.branches)} branches ok in {result.seconds:.1f} s")
