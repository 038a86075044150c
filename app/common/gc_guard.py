"""Keep Python's cyclic garbage collection on the GUI thread while a window is open.

Why: a collection runs in whichever thread happens to cross the allocation threshold. When
that is the loader or render thread, it can destroy Qt GUI objects (plot items, widgets of a
closed window) off the GUI thread, which crashes or deadlocks Qt; the app's tests hit this
about once in a dozen runs, always while the loader thread was parsing a pipeline. So while
a window is open, automatic collection is off and a 1 s GUI-thread timer collects instead
(the pattern of pyqtgraph.util.garbage_collector, credited there to Erik Janssens). When the
last window has shut down (its threads stopped) collection runs once more on the GUI thread
and the automatic collector is restored.

What exists when the guard starts (the modules imported before the first window: Qt,
numpy, pyqtgraph, the app) is frozen (``gc.freeze``: kept out of every later collection).
Those objects live as long as the process, and tracing them again and again made the GUI
thread's collections slow. Nothing of the user's exists yet at that point, so nothing that
could later become garbage in a cycle is kept by it; the modules the warm-up imports later
are not frozen for that reason (a dataset held in a cycle at that moment would stay). When
the last window closes everything is unfrozen and collected.
"""
from __future__ import annotations

import gc
import threading

from PySide6.QtCore import QObject, Qt, QTimer, Signal

INTERVAL_MS = 1000
_state = {"users": 0, "timer": None, "was_enabled": True}


def acquire() -> None:
    if _state["users"] == 0:
        _install_engine_hook()
        gc.freeze()
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
        _remove_engine_hook()
        gc.unfreeze()       # what the window's life froze may be garbage now (tests open many)
        gc.collect()
        if _state["was_enabled"]:
            gc.enable()


def collect_if_due() -> None:
    """What the automatic collector would have done by now, generation by generation."""
    t0, t1, t2 = gc.get_threshold()
    c0, c1, c2 = gc.get_count()
    if c0 > t0:
        gc.collect(2 if c1 > t1 and c2 > t2 else 1 if c1 > t1 else 0)


class _Collector(QObject):
    """Lives on the GUI thread; other threads ask it to collect through a queued signal."""

    asked = Signal(object)

    def __init__(self) -> None:
        super().__init__()
        self.asked.connect(self._collect, Qt.ConnectionType.QueuedConnection)

    def _collect(self, done: threading.Event) -> None:
        gc.collect()
        done.set()


def collect_on_gui_thread(timeout: float = 1.0) -> None:
    """A full collection, on the GUI thread: at once when called there; from another thread
    (the engine's run thread killing a pool on Cancel) the GUI thread does it while the caller
    waits up to ``timeout`` s. If the GUI thread is busy that long, the 1 s collection timer
    will do it instead (never a collection on the calling thread)."""
    collector = _state.get("collector")
    if collector is None or threading.current_thread() is threading.main_thread():
        gc.collect()
        return
    done = threading.Event()
    collector.asked.emit(done)
    done.wait(timeout)


def _install_engine_hook() -> None:
    import engine.executor as executor

    _state["collector"] = _Collector()
    _state["engine_collect"] = executor.collect_garbage
    executor.collect_garbage = collect_on_gui_thread


def _remove_engine_hook() -> None:
    import engine.executor as executor

    if "engine_collect" in _state:
        executor.collect_garbage = _state.pop("engine_collect")
    collector = _state.pop("collector", None)
    if collector is not None:
        collector.deleteLater()
