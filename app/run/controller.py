"""RunController: starts, cancels and reports engine runs without blocking the GUI thread.

Why this shape (docs/design.md decision 4 and the "long work off the GUI thread" pattern): the
engine runs on one QThread that lives as long as the controller, driving ONE TaskPool kept
for the life of the app (loky workers take about a second to start, so a warm pool makes
the second run start at once). Cancel is a threading.Event set from the GUI thread: the
engine's executor polls it every 0.1 s and kills its workers itself. If the run thread has
still not come back 1.5 s after Cancel (it is inside something that does not poll), the
controller terminates the pool's worker processes from the GUI thread so nothing keeps
burning CPU; branches that fail because of that kill are reported as cancelled.
"""
from __future__ import annotations

import contextlib
import copy
import threading
import time
from collections.abc import Callable
from typing import Any

from PySide6.QtCore import QCoreApplication, QEventLoop, QObject, QThread, QTimer, Signal, Slot

from app.common import gc_guard
from app.common.priority import start_in_background
from app.run.worker import RunJob, RunWorker
from engine.executor import TaskPool, default_pool

BACKSTOP_MS = 1500  # after Cancel: terminate the workers ourselves if the run is still going


class RunController(QObject):
    """One run at a time on a background thread; signals arrive on the GUI thread.

    Signals (in this order for a run): running_changed(True), started(plan, names),
    task_done(TaskDone)*, branch_finished(BranchResult)*, log_line(str)*, then either
    finished(RunResult) (RunResult.cancelled tells a cancelled run) or failed(str) (input
    error before any work, one line), then running_changed(False).
    """

    started = Signal(object, object)      # annotated plan JSON (list of dicts), {id: name}
    task_done = Signal(object)            # engine.events.TaskDone
    branch_finished = Signal(object)      # engine.results.BranchResult, ok or failed
    log_line = Signal(str)
    finished = Signal(object)             # engine.results.RunResult
    failed = Signal(str)
    running_changed = Signal(bool)
    _submit = Signal(object)

    def __init__(self, parent: QObject | None = None,
                 pool_factory: Callable[[], TaskPool] = default_pool) -> None:
        super().__init__(parent)
        gc_guard.acquire()  # the run thread allocates a lot: collections stay on this thread
        self.pool: TaskPool = pool_factory()
        self._thread = QThread()
        self._thread.setObjectName("nirdesk-run")
        self._worker = RunWorker()
        self._worker.moveToThread(self._thread)
        self._submit.connect(self._worker.run)
        w = self._worker
        w.started.connect(self.started)
        w.task_done.connect(self.task_done)
        w.branch_finished.connect(self._on_branch)
        w.log_line.connect(self.log_line)
        w.done.connect(self._on_done)
        w.failed.connect(self._on_failed)
        start_in_background(self._thread)
        self._running = False
        self._job: RunJob | None = None
        self._cancel: threading.Event | None = None
        self._cancel_time: float | None = None
        self._killed = False
        self._late_failures: set[int] = set()
        self._backstop = QTimer(self)
        self._backstop.setSingleShot(True)
        self._backstop.timeout.connect(self._kill_workers)
        self._closed = False
        self.last_result: Any = None
        self.cancel_seconds: float | None = None  # Cancel -> finished, of the last cancelled run

    # -- public API -----------------------------------------------------------------------
    def start(self, dataset: Any, pipeline: Any, *, workers: int = -1, seed: int = 0,
              target: str | None = None, **run_options: Any) -> bool:
        """Start a run of ``pipeline`` (a spec or an ExpandedPipeline) on ``dataset``.

        Returns False (and does nothing) while a run is going or after shutdown. The dataset
        object is shallow-copied, so the GUI may change its target meanwhile; its arrays are
        shared read-only (the engine never writes to them). The pipeline is deep-copied, so
        editing it during the run changes nothing in the run. ``run_options`` go to
        engine.run.run as they are (e.g. machine=, study_storage=, parallel_branches=).
        """
        if self._running or self._closed:
            return False
        if dataset is None or pipeline is None:
            self.failed.emit("nothing to run: open a dataset and a pipeline first")
            return False
        self._cancel = threading.Event()
        self._cancel_time = None
        self._killed = False
        self._late_failures = set()
        self.cancel_seconds = None
        job = RunJob(copy.copy(dataset), _private_copy(pipeline), self.pool, self._cancel,
                     workers=workers, seed=seed, target=target, extra=dict(run_options))
        self._job = job
        self._running = True
        self.running_changed.emit(True)
        self._submit.emit(job)
        return True

    def cancel(self) -> None:
        """Stop the run: workers are killed within ~0.2 s by the engine (backstop here)."""
        if not self._running or self._cancel is None or self._cancel.is_set():
            return
        self._cancel_time = time.monotonic()
        self._cancel.set()
        self.log_line.emit("cancelling\u2026")
        self._backstop.start(BACKSTOP_MS)

    def set_pool(self, pool: TaskPool) -> bool:
        """Use another pool from the next run on (e.g. a cluster backend's); refused (False)
        while a run is going. The old pool is not shut down: its owner decides."""
        if self._running:
            return False
        self.pool = pool
        return True

    def is_running(self) -> bool:
        return self._running

    def worker_pids(self) -> list[int]:
        """PIDs of the live pool workers (for the resource gauges)."""
        try:
            return self.pool.worker_pids()
        except Exception:  # noqa: BLE001 - a pool being torn down
            return []

    def wait(self, timeout_s: float) -> bool:
        """Keep the GUI alive (process events) until the run has ended; True if it has."""
        deadline = time.monotonic() + timeout_s
        app = QCoreApplication.instance()
        while self._running and time.monotonic() < deadline:
            if app is not None:
                app.processEvents(QEventLoop.ProcessEventsFlag.AllEvents, 50)
            elif self._job is not None and self._job.ended.is_set():
                break  # no event loop to deliver the end: the thread has finished anyway
            if self._running and self._job is not None:
                self._job.ended.wait(0.01)
        return not self._running

    def confirm_close(self, parent: Any = None, ask: Callable[[Any], bool] | None = None,
                      wait_s: float = 5.0) -> bool:
        """For the main window's closeEvent: True when the window may close.

        Not running: True. Running: ask (``ask(parent) -> bool``, a Yes/No message box by
        default); No keeps the window open (False); Yes cancels and waits for the run to
        end while the GUI keeps painting, then returns True.
        """
        if not self._running:
            return True
        ask = ask or ask_stop_run
        if not ask(parent):
            return False
        self.cancel()
        self.wait(wait_s)
        return True

    def shutdown(self, wait_s: float = 5.0, stop_pool: bool = True) -> None:
        """At exit: cancel, wait for the run thread, stop it, and stop the pool's workers so
        no child process outlives the app (``stop_pool`` False keeps a pool shared with
        others, e.g. in tests). Safe to call twice."""
        if self._closed:
            return
        self._closed = True
        self.cancel()
        if not self.wait(wait_s):
            self._kill_workers()
            if self._job is not None:  # a QThread destroyed while running aborts the process
                self._job.ended.wait()
        self._backstop.stop()
        self._thread.quit()
        self._thread.wait()
        try:
            if stop_pool:
                self.pool.shutdown()
        finally:
            gc_guard.release()

    # -- from the run thread (queued: these run on the GUI thread) ------------------------
    @Slot(object)
    def _on_branch(self, result: Any) -> None:
        if self._killed and result.status == "failed":
            self._relabel(result)
            self._late_failures.add(result.id)
        self.branch_finished.emit(result)

    @Slot(object)
    def _on_done(self, result: Any) -> None:
        if getattr(result, "cancelled", False):
            for branch in result.branches:
                if branch.id in self._late_failures:
                    self._relabel(branch)
            if self._cancel_time is not None:
                self.cancel_seconds = time.monotonic() - self._cancel_time
        self.last_result = result
        self._end()
        self.finished.emit(result)
        self.running_changed.emit(False)

    @Slot(str)
    def _on_failed(self, message: str) -> None:
        self._end()
        self.failed.emit(message)
        self.running_changed.emit(False)

    def _end(self) -> None:
        self._backstop.stop()
        self._running = False

    @staticmethod
    def _relabel(branch: Any) -> None:
        """A branch whose worker we terminated after Cancel was cancelled, not broken."""
        branch.status = "cancelled"
        branch.error = "cancelled before it finished"

    @Slot()
    def _kill_workers(self) -> None:
        """Backstop: terminate the pool's worker processes directly (never blocks long)."""
        if not self._running:
            return
        import psutil

        procs = []
        for pid in self.worker_pids():
            try:
                proc = psutil.Process(pid)
                proc.terminate()
                procs.append(proc)
            except psutil.Error:
                pass
        if procs:
            self._killed = True
            self.log_line.emit(f"terminated {len(procs)} worker process(es)")
            _, alive = psutil.wait_procs(procs, timeout=0.2)
            for proc in alive:
                with contextlib.suppress(psutil.Error):   # gone meanwhile: nothing to kill
                    proc.kill()


def _private_copy(pipeline: Any) -> Any:
    """A deep copy of the spec / ExpandedPipeline (unfitted estimators copy cheaply); the
    object itself if something in it cannot be copied."""
    try:
        return copy.deepcopy(pipeline)
    except Exception:  # noqa: BLE001 - an exotic estimator: run on the original
        return pipeline


def ask_stop_run(parent: Any) -> bool:
    """The default close question: Yes stops the run."""
    from PySide6.QtWidgets import QMessageBox

    answer = QMessageBox.question(
        parent, "nirdesk \u2014 a run is going",
        "A run is still going. Stop it and close?\n\nFinished branches are kept; the others "
        "are cancelled.",
        QMessageBox.StandardButton.Yes | QMessageBox.StandardButton.No,
        QMessageBox.StandardButton.No)
    return answer == QMessageBox.StandardButton.Yes
