"""Run slow work (loading, pipeline parsing, preprocessing) off the GUI thread.

The DESIGN.md pattern: a QObject worker moved to a QThread; work arrives through a queued
signal, results leave through signals (finished / failed), every exception is caught and
emitted, and cancelling is a threading.Event set from the GUI thread (a queued slot would not
run while the worker is busy). Jobs have a *kind*: a newer job of the same kind supersedes an
older one - the older one is cancelled if it has not finished, and its result is dropped - so
opening B while A still loads ends with B shown. On close: cancel everything, quit, wait.
"""
from __future__ import annotations

import threading
import traceback
from typing import Any, Callable

from PySide6.QtCore import QObject, QThread, Signal, Slot

from app.model.tasks import Cancelled


class _Worker(QObject):
    done = Signal(int, str, str, object, str)  # token, kind, status, payload, traceback text

    @Slot(int, str, object, object)
    def run(self, token: int, kind: str, call: Any, cancel: Any) -> None:
        fn, args, kwargs = call
        if cancel.is_set():
            self.done.emit(token, kind, "cancelled", None, "")
            return
        try:
            result = fn(*args, cancel=cancel, **kwargs)
        except Cancelled:
            self.done.emit(token, kind, "cancelled", None, "")
        except Exception as exc:  # every failure reaches the GUI as a signal, never lost
            self.done.emit(token, kind, "failed", exc, traceback.format_exc())
        else:
            self.done.emit(token, kind, "cancelled" if cancel.is_set() else "ok", result, "")


class Jobs(QObject):
    """One background thread working through jobs in order.

    finished(kind, token, result) and failed(kind, token, exception, traceback) are emitted
    on the GUI thread for the newest job of each kind only; busy_changed(busy, text) drives
    the busy indicator.
    """

    finished = Signal(str, int, object)
    failed = Signal(str, int, object, str)
    busy_changed = Signal(bool, str)
    _submit = Signal(int, str, object, object)

    def __init__(self, parent: QObject | None = None) -> None:
        super().__init__(parent)
        self._thread = QThread()
        self._thread.setObjectName("nirdesk-loader")
        self._worker = _Worker()
        self._worker.moveToThread(self._thread)
        self._submit.connect(self._worker.run)
        self._worker.done.connect(self._on_done)
        self._thread.start()
        self._next = 0
        self._latest: dict[str, int] = {}
        self._cancels: dict[int, threading.Event] = {}
        self._labels: dict[int, str] = {}
        self._stopped = False

    def submit(self, kind: str, label: str, fn: Callable[..., Any], *args: Any,
               **kwargs: Any) -> int:
        """Queue ``fn(*args, cancel=event, **kwargs)``; return its token."""
        if self._stopped:
            raise RuntimeError("the background thread has been shut down")
        self.cancel(kind)
        self._next += 1
        token = self._next
        self._latest[kind] = token
        self._cancels[token] = threading.Event()
        self._labels[token] = label
        self._submit.emit(token, kind, (fn, args, kwargs), self._cancels[token])
        self.busy_changed.emit(True, label)
        return token

    def cancel(self, kind: str) -> None:
        token = self._latest.get(kind)
        if token is not None and token in self._cancels:
            self._cancels[token].set()

    def is_busy(self, kind: str | None = None) -> bool:
        if kind is None:
            return bool(self._cancels)
        token = self._latest.get(kind)
        return token is not None and token in self._cancels

    def busy_label(self) -> str:
        return next(reversed(self._labels.values()), "") if self._labels else ""

    @Slot(int, str, str, object, str)
    def _on_done(self, token: int, kind: str, status: str, payload: Any, tb: str) -> None:
        self._cancels.pop(token, None)
        self._labels.pop(token, None)
        current = self._latest.get(kind) == token and not self._stopped
        if current and status == "ok":
            self.finished.emit(kind, token, payload)
        elif current and status == "failed":
            self.failed.emit(kind, token, payload, tb)
        self.busy_changed.emit(bool(self._cancels), self.busy_label())

    def shutdown(self, timeout_ms: int = 60000) -> None:
        """Cancel pending work, stop the thread and wait for it (a QThread destroyed while
        running aborts the process)."""
        if self._stopped:
            return
        self._stopped = True
        for event in self._cancels.values():
            event.set()
        self._thread.quit()
        self._thread.wait(timeout_ms)
