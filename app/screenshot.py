"""`nirdesk --screenshot PATH`: wait until the window has loaded and drawn, save a PNG, quit.

Also the waiting part of `--exit-after-load` (tests, benchmarks): both poll the window every
25 ms - cheap, and robust to whichever of loading, pipeline parsing and drawing ends last.
"""
from __future__ import annotations

import time
from pathlib import Path
from typing import Callable

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
    pixmap = window.grab()
    if pixmap.isNull() or not pixmap.save(str(path), "PNG"):
        raise OSError(f"cannot write the screenshot to {path}")
    return path
