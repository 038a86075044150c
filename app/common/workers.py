"""The window's one way to run slow work (loading, parsing, preprocessing, project files,
predictions, connection tests) off the GUI thread.

The docs/design.md pattern: a QObject worker moved to a QThread; work arrives through a queued
signal, results leave through signals, every exception is caught and reported, and
cancelling is a threading.Event set from the GUI thread (a queued slot would not run while the
worker is busy).

``Jobs.submit(kind, fn, *args, **kwargs)`` queues ``fn(*args, cancel=event, **kwargs)`` and
returns a :class:`Handle`: its ``finished(result)``, ``failed(exception, traceback)`` or
``cancelled()`` signal fires exactly once, on the GUI thread; ``cancel()`` asks the job to
stop; ``wait(timeout)`` blocks the caller (the window keeps painting) and returns the result
or raises the exception. A newer job of the same *kind* supersedes an older one: the older is
cancelled if it has not finished, and ends as cancelled (its result is dropped), so opening B
while A still loads ends with B shown. A failure nobody listens to is printed with its
traceback, never lost. On close: cancel everything, quit, wait.

Two threads of the window do not use Jobs, on purpose:

* app.common.render.Renderer (the spectra rasteriser): a render that is no longer the newest
  request must stop at its next block of spectra, which the worker checks *while* drawing
  (a shared "latest token" read between blocks). Jobs only checks cancellation between jobs
  and leaves mid-job checks to the function; the renderer's abort is the whole point of its
  thread, and a request arrives on every pan, zoom and resize.
* app.run.controller.RunController (a pipeline run): it streams progress events for seconds
  to minutes, and must be able to kill the pool's worker processes as a backstop when a
  cancelled run does not stop in time. A job here returns once; a run talks all along.
"""
from __future__ import annotations

import sys
import threading
import traceback
import warnings
from collections.abc import Callable
from typing import Any

from PySide6.QtCore import QEventLoop, QObject, QThread, QTimer, Signal, Slot

from app.common.priority import start_in_background
from app.model.tasks import Cancelled

__all__ = ["Cancelled", "Handle", "Jobs"]

PENDING, OK, FAILED, CANCELLED = "pending", "ok", "failed", "cancelled"


class Handle(QObject):
    """One submitted job. Exactly one of finished / failed / cancelled is emitted (on the GUI
    thread); ``status`` is then "ok", "failed" or "cancelled" and ``result`` / ``error``
    hold the outcome."""

    finished = Signal(object)         # the function's return value
    failed = Signal(object, str)      # the exception, its traceback text
    cancelled = Signal()              # cancelled, superseded, or the Jobs shut down
    _resolved = Signal()              # after the public signal (wakes wait())

    def __init__(self, kind: str, token: int, label: str, cancel_event: threading.Event
                 ) -> None:
        super().__init__()
        self.kind = kind
        self.token = token
        self.label = label
        self.status = PENDING
        self.result: Any = None
        self.error: BaseException | None = None
        self.traceback = ""
        self._cancel = cancel_event
        self._waiting = 0   # callers inside wait(): they get the exception raised

    def __repr__(self) -> str:
        return f"<Handle {self.kind} #{self.token} {self.status}>"

    def cancel(self) -> None:
        """Ask the job to stop: it ends as cancelled, whatever its function returns or raises
        (a running function sees the event and may stop early)."""
        self._cancel.set()

    def is_cancel_requested(self) -> bool:
        return self._cancel.is_set()

    def done(self) -> bool:
        return self.status != PENDING

    def wait(self, timeout: float | None = None) -> Any:
        """The job's result once it has ended; its exception is raised here (Cancelled when it
        was cancelled or superseded, TimeoutError after ``timeout`` seconds).

        The waiting runs a local event loop, so the window keeps painting and the job's own
        signals are delivered; callers disable what must not be re-entered meanwhile (the
        project actions during a Save). This is the only nested event loop of the window's
        background work.
        """
        if not self.done():
            self._waiting += 1
            loop = QEventLoop()
            self._resolved.connect(loop.quit)
            timer = None
            if timeout is not None:
                timer = QTimer()
                timer.setSingleShot(True)
                timer.timeout.connect(loop.quit)
                timer.start(max(0, int(timeout * 1000)))
            if not self.done():   # it may have ended while the loop was being set up
                loop.exec()
            if timer is not None:
                timer.stop()
            self._resolved.disconnect(loop.quit)
            self._waiting -= 1
        if self.status == PENDING:
            raise TimeoutError(f"{self.label or self.kind} did not finish within {timeout} s")
        if self.status == FAILED:
            assert self.error is not None
            raise self.error
        if self.status == CANCELLED:
            raise Cancelled(f"{self.label or self.kind} was cancelled")
        return self.result

    def _resolve(self, status: str, payload: Any = None, tb: str = "", *,
                 emit: bool = True) -> None:
        if self.done():
            return
        self.status = status
        if status == OK:
            self.result = payload
        elif status == FAILED:
            self.error, self.traceback = payload, tb
        if emit:
            if status == OK:
                self.finished.emit(payload)
            elif status == FAILED:
                if self._listened("failed(PyObject,QString)"):
                    self.failed.emit(payload, tb)
                elif not self._waiting:   # every failure is reported, never silently lost
                    print(f"nirdesk: {self.label or self.kind} failed (nobody was told):\n{tb}",
                          file=sys.stderr)
            else:
                self.cancelled.emit()
        self._resolved.emit()
        self._release_slots()

    def _release_slots(self) -> None:
        """Disconnect the one-shot signals once they have fired.

        Why: a slot that captures its handle (``lambda: done(handle)``) is kept by the Qt
        connection, which Python's garbage collector cannot see through, so the handle and its
        result stayed alive for good: after opening a second dataset the first one's 800 MB
        (100,000 x 1,000) were still held (issue 20)."""
        for signal, signature in ((self.finished, "finished(PyObject)"),
                                  (self.failed, "failed(PyObject,QString)"),
                                  (self.cancelled, "cancelled()")):
            if self._listened(signature):
                with warnings.catch_warnings():
                    warnings.simplefilter("ignore", RuntimeWarning)
                    signal.disconnect()

    def _listened(self, signature: str) -> bool:
        meta = self.metaObject()
        return self.isSignalConnected(meta.method(meta.indexOfSignal(signature)))


class _Worker(QObject):
    done = Signal(int, str, object, str)  # token, status, payload, traceback text

    @Slot(int, object, object)
    def run(self, token: int, call: Any, cancel: Any) -> None:
        fn, args, kwargs = call
        if cancel.is_set():
            self.done.emit(token, CANCELLED, None, "")
            return
        try:
            result = fn(*args, cancel=cancel, **kwargs)
        except Cancelled:
            self.done.emit(token, CANCELLED, None, "")
        except Exception as exc:  # noqa: BLE001 - every failure reaches the GUI as a signal
            if cancel.is_set():   # nobody wants this job's outcome any more
                self.done.emit(token, CANCELLED, None, "")
            else:
                self.done.emit(token, FAILED, exc, traceback.format_exc())
        else:
            self.done.emit(token, CANCELLED if cancel.is_set() else OK, result, "")


class Jobs(QObject):
    """One background thread working through jobs in order (see the module docstring).

    busy_changed(busy, text) drives a busy indicator: the label of the newest pending job.
    """

    busy_changed = Signal(bool, str)
    _submit = Signal(int, object, object)

    def __init__(self, parent: QObject | None = None, name: str = "nirdesk-loader") -> None:
        super().__init__(parent)
        self._thread = QThread()
        self._thread.setObjectName(name)
        self._worker = _Worker()
        self._worker.moveToThread(self._thread)
        self._submit.connect(self._worker.run)
        self._worker.done.connect(self._on_done)
        start_in_background(self._thread)
        self._next = 0
        self._latest: dict[str, Handle] = {}
        self._pending: dict[int, Handle] = {}
        self._stopped = False

    @property
    def stopped(self) -> bool:
        return self._stopped

    def submit(self, kind: str, fn: Callable[..., Any], *args: Any, label: str = "",
               **kwargs: Any) -> Handle:
        """Queue ``fn(*args, cancel=event, **kwargs)`` and return its handle; an older job of
        the same ``kind`` is superseded. ``label`` (not passed to ``fn``) is the busy text."""
        if self._stopped:
            raise RuntimeError("the background thread has been shut down")
        self.cancel(kind)
        self._next += 1
        handle = Handle(kind, self._next, label, threading.Event())
        self._latest[kind] = handle
        self._pending[handle.token] = handle
        self._submit.emit(handle.token, (fn, args, kwargs), handle._cancel)
        self.busy_changed.emit(True, label)
        return handle

    def cancel(self, kind: str) -> None:
        """Cancel the newest job of ``kind`` (if it has not ended)."""
        handle = self._latest.get(kind)
        if handle is not None and not handle.done():
            handle.cancel()

    def is_busy(self, kind: str | None = None) -> bool:
        if kind is None:
            return bool(self._pending)
        handle = self._latest.get(kind)
        return handle is not None and not handle.done()

    def pending(self) -> list[Handle]:
        """The jobs not ended yet, oldest first."""
        return list(self._pending.values())

    def busy_label(self) -> str:
        return next(reversed(self._pending.values())).label if self._pending else ""

    @Slot(int, str, object, str)
    def _on_done(self, token: int, status: str, payload: Any, tb: str) -> None:
        handle = self._pending.pop(token, None)
        if handle is None:
            return
        if self._latest.get(handle.kind) is not handle:
            status, payload, tb = CANCELLED, None, ""   # superseded: its result is dropped
        else:
            del self._latest[handle.kind]
        if self._stopped:
            handle._resolve(CANCELLED, emit=False)
            return
        handle._resolve(status, payload, tb)
        self.busy_changed.emit(bool(self._pending), self.busy_label())

    def shutdown(self, timeout_ms: int = 60000) -> bool:
        """Cancel pending work, stop the thread and wait for it (a QThread destroyed while
        running aborts the process). Jobs still pending end as cancelled without a signal
        (their receivers are being torn down). True when the thread has stopped."""
        if not self._stopped:
            self._stopped = True
            for handle in self._pending.values():
                handle.cancel()
            self._thread.quit()
        finished = self._thread.wait(timeout_ms)
        for handle in list(self._pending.values()):
            handle._resolve(CANCELLED, emit=False)
        self._pending.clear()
        self._latest.clear()
        return bool(finished)
