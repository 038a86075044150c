"""The window's thread first: every background thread runs at a lower CPU priority.

Why (issue 20, measured by bench/scale.py's per-pause split of the GUI thread's time): on a
2-core machine a load converts numbers on two threads, the render thread draws and a run keeps
two worker processes busy, so the GUI thread, woken by a timer or an input event, waited up
to 30-90 ms for a free core before it could even start. Qt's own thread priorities do nothing
for ordinary threads on Linux, so the thread's nice value is raised instead (a per-thread
setting there): the scheduler then hands a core to the GUI thread as soon as it wakes, and
the background work gets every cycle the window does not need. Threads and processes started
from a lowered thread inherit its value (the loader's conversion threads, the run's worker
processes). Raising nice needs no privilege; it cannot be lowered back, which no thread
here needs. On other systems this does nothing.

The GIL's switch interval is shortened for the same reason. A paint or a slot on the GUI
thread calls into Qt many times, and PySide releases the GIL around such calls; each time
the GUI thread wants it back while a background thread runs Python, it waits for that
thread's switch interval to end. At CPython's 5 ms, a paint of ten such calls waited 50 ms;
bench/scale.py's CSV open had pauses of 85-123 ms with 5 ms and 33-60 ms with 1 ms, the
load taking as long.
"""
from __future__ import annotations

import os
import sys
import threading

from PySide6.QtCore import Qt, QThread

#: 10 of 19: the GUI thread's weight is then ~9x a background thread's
BACKGROUND_NICE = 10
#: seconds a thread may hold the GIL while another asks for it (CPython's default: 0.005)
SWITCH_INTERVAL_S = 0.001


def favour_the_gui_thread() -> None:
    """Process-wide: the GIL changes hands after at most SWITCH_INTERVAL_S (never longer than
    it already is). Call once the window exists."""
    sys.setswitchinterval(min(sys.getswitchinterval(), SWITCH_INTERVAL_S))


def lower_this_thread(nice: int = BACKGROUND_NICE) -> bool:
    """Raise the calling thread's nice value to ``nice`` (never lower it); True when set."""
    if not sys.platform.startswith("linux"):
        return False
    tid = threading.get_native_id()
    try:
        current = os.getpriority(os.PRIO_PROCESS, tid)
        if current < nice:
            os.setpriority(os.PRIO_PROCESS, tid, nice)
        return True
    except OSError:     # a sandbox that forbids it: the thread keeps its priority
        return False


def start_in_background(thread: QThread) -> None:
    """Start ``thread`` with its priority lowered before it runs anything."""
    thread.started.connect(lower_this_thread, Qt.ConnectionType.DirectConnection)
    thread.start()
