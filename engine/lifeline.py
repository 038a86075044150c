"""Worker processes die with the process that started them, however it ends.

Why: a pool worker that outlives nirdesk holds ~140 MB, keeps loky's resource tracker alive
(it waits for every holder of its pipe) and with it the ``sem.loky-*`` files in /dev/shm.
loky's own checks only notice a dead parent at its next message, 85-160 s later (measured,
issue 22). A worker cannot rely on the parent to kill it: SIGKILL, the OOM killer or a crash
gives the parent no last word. So each worker watches its parent itself:

- a daemon thread polls ``os.getppid()`` every ``POLL_S`` seconds and ends the process
  (``os._exit``) when the parent is gone (the worker was re-parented to init or a
  subreaper). Polling rather than Linux's PR_SET_PDEATHSIG: that signal fires when the
  *thread* that forked the worker ends, and loky forks from whichever thread submits (the
  GUI's run thread ends after every run: the warm workers would die with it);
- Ctrl-C is ignored in the worker: on a terminal it reaches the whole process group, and
  the main process alone decides (it cancels and kills the pool); a worker dying of it
  mid-message is what printed loky's KeyError traceback. A worker still importing when
  Ctrl-C comes has not run its initializer (:func:`ignore_interrupts`) yet, so workers are
  started with SIGINT blocked (:func:`interrupts_blocked` around the pool calls that may
  start processes or loky's manager thread: a signal mask survives fork and exec, and a
  thread inherits its creator's), and the main process's own Ctrl-C still arrives.
"""
from __future__ import annotations

import contextlib
import os
import signal
import threading
import time
from collections.abc import Iterator

__all__ = ["POLL_S", "ignore_interrupts", "interrupts_blocked", "watch_parent"]

POLL_S = 0.25
_WATCHING: list[threading.Thread] = []


def _watch(parent: int, poll: float) -> None:
    while True:
        time.sleep(poll)
        if os.getppid() != parent:
            os._exit(1)  # no cleanup to run: the parent owned every shared resource


def watch_parent(parent: int | None = None, *, poll: float = POLL_S) -> None:
    """Start (once per process) the thread that ends this process when ``parent`` (default:
    the current parent) is gone. A parent already gone ends the process at once."""
    parent = os.getppid() if parent is None else parent
    if os.getppid() != parent:
        os._exit(1)
    if _WATCHING and _WATCHING[0].is_alive():
        return
    thread = threading.Thread(target=_watch, args=(parent, poll), name="nirdesk-lifeline",
                              daemon=True)
    thread.start()
    _WATCHING[:] = [thread]


def ignore_interrupts() -> None:
    """SIGINT is the main process's business (see the module docstring)."""
    if threading.current_thread() is threading.main_thread():
        signal.signal(signal.SIGINT, signal.SIG_IGN)


@contextlib.contextmanager
def interrupts_blocked() -> Iterator[None]:
    """Block SIGINT in this thread meanwhile (a no-op where signal masks do not exist): the
    processes and threads started inside inherit the block; a Ctrl-C arriving meanwhile
    stays pending, or goes to another thread, and reaches the main process's handler."""
    mask = getattr(signal, "pthread_sigmask", None)
    if mask is None:
        yield
        return
    previous = mask(signal.SIG_BLOCK, {signal.SIGINT})
    try:
        yield
    finally:
        mask(signal.SIG_SETMASK, previous)
