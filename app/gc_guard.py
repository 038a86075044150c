"""Keep Python's cyclic garbage collection on the GUI thread while a window is open.

Why: a collection runs in whichever thread happens to cross the allocation threshold. When
that is the loader or render thread, it can destroy Qt GUI objects (plot items, widgets of a
closed window) off the GUI thread, which crashes or deadlocks Qt; the app's tests hit this
about once in a dozen runs, always while the loader thread was parsing a pipeline. So while
a window is open, automatic collection is off and a 1 s GUI-thread timer collects instead
(the pattern of pyqtgraph.util.garbage_collector, credited there to Erik Janssens). When the
last window has shut down (its threads stopped) collection runs once more on the GUI thread
and the automatic collector is restored.
"""
from __future__ import annotations

import gc

from PySide6.QtCore import QTimer

INTERVAL_MS = 1000
_state = {"users": 0, "timer": None, "was_enabled": True}


def acquire() -> None:
    if _state["users"] == 0:
        _state["was_enabled"] = gc.isenabled()
        gc.disable()
        timer = QTimer()
        timer.setObjectName("nirdesk-gc")
        timer.timeout.connect(collect_if_due)
        timer.start(INTERVAL_MS)
        _state["timer"] = timer
    _state["users"] += 1


def release() -> None:
    if _state["users"] == 0:
        return
    _state["users"] -= 1
    if _state["users"] == 0:
        _state["timer"].stop()
        _state["timer"] = None
        gc.collect()
        if _state["was_enabled"]:
            gc.enable()


def collect_if_due() -> None:
    """What the automatic collector would have done by now, generation by generation."""
    t0, t1, t2 = gc.get_threshold()
    c0, c1, c2 = gc.get_count()
    if c0 > t0:
        gc.collect(2 if c1 > t1 and c2 > t2 else 1 if c1 > t1 else 0)
