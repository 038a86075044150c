"""The Dask backend: the same (branch, fold) and (trial, fold) tasks on a dask.distributed cluster.

Why a second pool class rather than joblib's dask backend: engine.run drives its pool through
five calls (``share``, ``run_tasks``, ``warm_workers``, ``kill``, ``shutdown``) and merges
the results itself in the main process, exactly as for the local loky pool; DaskPool offers
those calls on Client futures, so nothing above it changes and a cluster run computes the
same numbers as a local one.

What differs from the local pool, and why:

* Data. A memory-mapped file in /dev/shm is invisible to other hosts, so ``share`` keeps
  the arrays and ``run_tasks`` scatters them to every worker ONCE per dataset
  (``Client.scatter(broadcast=True)``); later runs on the same arrays reuse the scattered
  copies. Tasks then name the scattered futures, never the arrays.
* Threads. Workers are started by someone else (``dask worker``), so no initialiser caps
  their BLAS threads. Each task sets the cap (threadpoolctl) before it runs and leaves it
  in place: with 1 BLAS thread per task, as locally, the results are bit-identical.
* Failures. A task that raises is reported for its branch with the same one-line text
  (engine.executor.error_text). A worker that dies is Dask's business: the scheduler
  re-runs its tasks on the other workers; a task that kills several workers comes back as
  KilledWorker and fails its branch. If no worker is left for ``no_worker_timeout``
  seconds, or the scheduler connection is lost, the remaining branches fail: never a hang.
* Cancel cancels the futures (a task already running on a worker finishes there and its
  result is dropped; Dask cannot interrupt a running Python function).

Connecting and describing the cluster live in engine.backends.dask_cluster (re-exported
here). dask.distributed is imported only inside functions, and this module only when a Dask
pool is made (``nirdesk[cluster]`` is optional).
"""
from __future__ import annotations

import asyncio
import contextlib
import queue
import threading
import time
import uuid
from collections.abc import Callable
from typing import Any

import numpy as np

from engine.backends.dask_cluster import (  # noqa: F401 - re-exported (see the docstring)
    DEFAULT_TIMEOUT_S,
    ClusterError,
    ClusterInfo,
    check_connection,
    cluster_facts,
    connect,
    normalise_address,
    probe,
    version_warnings,
    worker_rows,
)
from engine.errors import Cancelled
from engine.executor import SharedCache, Task, error_text
from engine.fold import FoldResult
from engine.machine import MachineFacts
from engine.tasks import execute_task

NO_WORKER_TIMEOUT_S = 30.0     # a run waits this long for a worker to (re)appear, then fails
REMOTE_INFO_TTL_S = 1.0        # the gauges' worker list is refreshed at most this often
GAUGE_KEYS = ("name", "cores", "memory_used", "memory_limit", "cpu_percent")  # app.monitor.gauges
WORKER_DEATH_MESSAGE = ("the worker process died while fitting this branch (killed, out of "
                        "memory, or a crash in native code)")


# -- the task a worker runs -----------------------------------------------------------------

_BLAS_THREADS: int | None = None
_BLAS_LIMITS: Any = None


def _cap_threads(threads: int) -> None:
    """Cap BLAS/OpenMP threads in this worker process for good (as loky's initialiser does):
    a context manager would restore the old cap when one task ends while another task of
    the same worker still runs, which makes results depend on timing."""
    global _BLAS_THREADS, _BLAS_LIMITS
    if threads != _BLAS_THREADS:
        from threadpoolctl import threadpool_limits

        _BLAS_LIMITS = threadpool_limits(limits=threads)
        _BLAS_THREADS = threads


def run_dask_task(kind: str, branch_id: int, fold: int, pipeline: Any, X: np.ndarray,
                  y: np.ndarray, train_idx: np.ndarray, predict_idx: np.ndarray,
                  extra: dict[str, Any] | None, threads: int) -> FoldResult:
    """The function a Dask worker runs: one task on the scattered dataset (X, y arrive as
    the worker's copy of the scattered arrays, not through the task message)."""
    from engine.executor import _release_freed_memory

    _cap_threads(threads)
    try:
        return execute_task(kind, branch_id, fold, pipeline, X, y, train_idx, predict_idx, extra)
    finally:
        _release_freed_memory()


# -- the pool ---------------------------------------------------------------------------------


class DaskShared:
    """A dataset for a Dask run: the arrays here, their scattered futures once scattered.

    ``x_path``/``y_path`` exist for code that logs them; nothing reads files on a cluster.
    """

    def __init__(self, X: np.ndarray, y: np.ndarray) -> None:
        y = np.asarray(y)
        if y.dtype == object:  # as engine.executor.SharedData: identical labels, no objects
            y = y.astype(str)
        self.X = np.ascontiguousarray(X)
        self.y = y
        self.futures: tuple[Any, Any] | None = None
        self.x_path = self.y_path = "<scattered to the Dask workers>"
        self.scatter_seconds = 0.0

    @property
    def nbytes(self) -> int:
        return int(self.X.nbytes + self.y.nbytes)

    def close(self) -> None:
        self.futures = None  # dropping the futures lets the scheduler free the workers' copies


class DaskPool:
    """engine.executor.TaskPool's interface on a dask.distributed cluster.

    Construction does not connect (cheap, safe on the GUI thread); the first call that needs
    the cluster connects (blocking up to ``timeout`` s, ClusterError on failure), so call
    ``connect``/``machine_facts``/``run_tasks`` off the GUI thread. One pool per scheduler
    address is kept by engine.backends.make_pool and reused by every run.
    """

    def __init__(self, address: str, *, timeout: float = DEFAULT_TIMEOUT_S,
                 no_worker_timeout: float = NO_WORKER_TIMEOUT_S, client: Any = None) -> None:
        self.address = (normalise_address(address) if client is None
                        else str(client.scheduler.address))
        self.timeout = timeout
        self.no_worker_timeout = no_worker_timeout
        self._client = client
        self._lock = threading.RLock()
        self._shared = SharedCache(DaskShared)
        self._outstanding: set[Any] = set()
        self._rows: list[dict[str, Any]] = []
        self._rows_time = 0.0
        self._refreshing = False
        self._closed = False
        self.last_scatter_seconds = 0.0

    # -- connection ------------------------------------------------------------------------
    def connect(self) -> Any:
        """The Client, connecting now if needed (blocking; ClusterError on failure)."""
        with self._lock:
            if self._client is None or self._client.status in ("closed", "closing", "failed"):
                if self._closed:
                    raise ClusterError(f"the connection to {self.address} was closed")
                self._client = connect(self.address, self.timeout)
                self._refresh_rows()
            return self._client

    @property
    def connected(self) -> bool:
        client = self._client
        return client is not None and client.status == "running"

    @property
    def broken(self) -> bool:
        """Shut down, or connected once and the connection has since closed or failed (a
        pool that has not connected yet is not broken: it connects on first use)."""
        client = self._client
        return self._closed or (client is not None
                                and client.status in ("closed", "closing", "failed"))

    def _identity(self) -> dict[str, Any]:
        return dict(self.connect().scheduler_info(n_workers=-1))

    def _refresh_rows(self) -> list[dict[str, Any]]:
        try:
            rows = worker_rows(self._identity())
        finally:
            self._refreshing = False
        self._rows, self._rows_time = rows, time.monotonic()
        return rows

    def workers(self) -> list[dict[str, Any]]:
        """The cluster's workers now (blocking: asks the scheduler)."""
        return self._refresh_rows()

    def machine_facts(self) -> MachineFacts:
        """The cluster's threads and memory for engine.run.run(machine=...) (blocking)."""
        return cluster_facts(self._refresh_rows())

    def known_machine_facts(self) -> MachineFacts | None:
        """machine_facts from the last worker list seen, without asking the scheduler (for
        the editor's policy badges on the GUI thread); None before the first connection."""
        return cluster_facts(self._rows) if self.connected and self._rows else None

    def remote_workers(self) -> list[dict[str, Any]] | None:
        """For app.monitor.gauges.set_remote_workers_provider: never blocks. Returns the last known
        worker list (refreshed on a short-lived thread when older than REMOTE_INFO_TTL_S),
        or None when not connected."""
        if not self.connected:
            return None
        if time.monotonic() - self._rows_time > REMOTE_INFO_TTL_S and not self._refreshing:
            self._refreshing = True
            threading.Thread(target=self._refresh_quietly, name="nirdesk-dask-info",
                             daemon=True).start()
        return [{key: r[key] for key in GAUGE_KEYS} for r in self._rows]

    def _refresh_quietly(self) -> None:
        try:
            self._refresh_rows()
        except Exception:  # noqa: BLE001 - the gauges keep the last list; connected says the rest
            self._refreshing = False

    # -- TaskPool interface ----------------------------------------------------------------
    def worker_pids(self) -> list[int]:
        """Always empty: cluster workers are not processes of this machine (the gauges show
        them through remote_workers instead)."""
        return []

    @property
    def warm_workers(self) -> int:
        """Worker threads of the cluster as last seen (0 before connecting): all warm."""
        return sum(r["cores"] for r in self._rows)

    def share(self, X: np.ndarray, y: np.ndarray) -> DaskShared:
        """The dataset for run_tasks, scattered at its first use and then kept: runs on the
        same arrays (the app re-running on the open dataset) reuse the workers' copies."""
        with self._lock:
            return self._shared.get(X, y)

    def release_shared(self) -> None:
        with self._lock:
            self._shared.release()

    def _scatter(self, shared: DaskShared) -> tuple[Any, Any]:
        with self._lock:
            if shared.futures is None or any(f.status != "finished" for f in shared.futures):
                client = self.connect()
                start = time.perf_counter()
                shared.futures = tuple(client.scatter([shared.X, shared.y], broadcast=True,
                                                      hash=False, timeout=self.no_worker_timeout))
                shared.scatter_seconds = self.last_scatter_seconds = time.perf_counter() - start
            return shared.futures

    def kill(self, timeout: float = 2.0) -> None:
        """Cancel every future this pool has in flight (Cancel). The cluster's workers are
        not ours: they keep running; a task already executing finishes there unseen."""
        with self._lock:
            futures = list(self._outstanding)
            self._outstanding.clear()
        client = self._client
        if futures and client is not None and client.status == "running":
            with contextlib.suppress(Exception):  # a lost connection has cancelled them already
                client.cancel(futures, force=True, asynchronous=False)

    def shutdown(self) -> None:
        """At application exit: cancel, drop the scattered data, disconnect (the cluster
        keeps running: nirdesk never starts or stops a scheduler or a worker)."""
        self.kill()
        self.release_shared()
        with self._lock:
            self._closed = True
            client, self._client = self._client, None
        if client is not None:
            with contextlib.suppress(Exception):  # closing a broken connection
                client.close(timeout=2)

    def run_tasks(self, tasks: list[Task], shared: DaskShared, *, workers: int, threads: int,
                  on_result: Callable[[FoldResult], None],
                  on_failure: Callable[[int, str], None],
                  cancel: threading.Event | None = None) -> None:
        """Run tasks on the cluster, longest first, at most ``workers`` in flight.

        Same contract as TaskPool.run_tasks: on_result per FoldResult, on_failure(branch_id,
        message) once per failed branch (its other tasks dropped), Cancelled after the
        futures were cancelled when ``cancel`` is set. Results arrive in this thread.
        """
        pending = sorted(tasks, key=lambda t: -t.cost)
        failed: set[int] = set()
        in_flight: dict[Any, Task] = {}
        done: queue.Queue = queue.Queue()

        def fail(task: Task, message: str) -> None:
            if task.branch_id not in failed:
                failed.add(task.branch_id)
                on_failure(task.branch_id, message)

        def fail_all(message: str) -> None:
            for task in list(in_flight.values()) + pending:
                fail(task, message)
            self._forget(list(in_flight))
            in_flight.clear()
            pending.clear()

        if cancel is not None and cancel.is_set():
            raise Cancelled()
        try:
            client = self.connect()
            x_future, y_future = self._scatter(shared)
        except Exception as exc:  # noqa: BLE001 - every branch learns why, the run goes on
            message = (str(exc) if isinstance(exc, ClusterError)
                       else _cluster_text(exc, self.address))
            for task in pending:
                fail(task, message)
            return
        run_id = uuid.uuid4().hex[:8]
        no_workers_since: float | None = None
        last_check = time.monotonic()

        def submit(task: Task) -> None:
            future = client.submit(run_dask_task, task.kind, task.branch_id, task.fold,
                                   task.pipeline, x_future, y_future, task.train_idx,
                                   task.predict_idx, task.extra, threads, pure=False,
                                   key=f"nirdesk-{run_id}-{task.kind}-{task.branch_id}-"
                                       f"{task.fold}-{uuid.uuid4().hex[:6]}")
            in_flight[future] = task
            with self._lock:
                self._outstanding.add(future)
            future.add_done_callback(done.put)

        while pending or in_flight:
            if cancel is not None and cancel.is_set():
                self.kill()
                raise Cancelled()
            while pending and len(in_flight) < max(1, workers):
                task = pending.pop(0)
                if task.branch_id not in failed:
                    submit(task)
            if not in_flight:
                continue
            try:
                future = done.get(timeout=0.1)
            except queue.Empty:
                future = None
            if future is not None and future in in_flight:
                task = in_flight.pop(future)
                self._forget([future])
                try:
                    result = future.result(timeout=self.timeout)
                except Exception as exc:  # noqa: BLE001 - every failure is reported per branch
                    fail(task, _task_failure_text(exc, self.address))
                else:
                    if task.branch_id not in failed:
                        on_result(result)
                continue
            # nothing finished: make sure something still can (workers present, connected)
            now = time.monotonic()
            if now - last_check < 1.0:
                continue
            last_check = now
            if client.status != "running":
                fail_all(f"lost the connection to the Dask scheduler at {self.address}")
                return
            try:
                n_workers = int(client.scheduler_info(n_workers=0).get("n_workers", 0))
            except Exception:  # noqa: BLE001 - judged by client.status at the next check
                continue
            if n_workers:
                no_workers_since = None
            elif no_workers_since is None:
                no_workers_since = now
            elif now - no_workers_since > self.no_worker_timeout:
                self.kill()
                fail_all(f"no Dask worker is connected to the scheduler at {self.address} "
                         f"(waited {self.no_worker_timeout:g} s)")
                return

    def _forget(self, futures: list[Any]) -> None:
        with self._lock:
            self._outstanding.difference_update(futures)


def _task_failure_text(exc: BaseException, address: str) -> str:
    """The branch's one-line error: the task's own exception as locally, or what Dask did."""
    name = type(exc).__name__
    if name == "KilledWorker":
        return WORKER_DEATH_MESSAGE + " (Dask retried it on other workers; each one died)"
    if name in ("CancelledError", "FutureCancelledError", "FuturesCancelledError"):
        reason = getattr(exc, "reason", "") or ""
        if "lost" in reason or "forgotten" in reason:  # its scattered input is gone
            return ("the dataset was lost: the only workers holding it left the cluster "
                    f"({address}); run again to send it to the workers there now")
        return (f"the Dask scheduler at {address} dropped this task"
                + (f" ({reason})" if reason and reason != "unknown" else ""))
    return error_text(exc)


def _cluster_text(exc: BaseException, address: str) -> str:
    if isinstance(exc, (TimeoutError, asyncio.TimeoutError)):
        return f"no Dask worker took the dataset at {address} in time (are workers connected?)"
    return f"Dask cluster at {address}: {error_text(exc)}"
