"""One reusable process pool for (branch, fold) tasks (docs/design.md decisions 1 and 3).

Why loky directly rather than joblib.Parallel: nirdesk needs to pick the next task itself
(longest first, so two workers finish together), to stream results as they arrive, to kill
the workers on Cancel, and to find out which task killed a worker. The dataset travels as a
memory-mapped .npy file (in /dev/shm when there is room) that every worker maps read-only,
so no worker holds a private copy of it; inner BLAS/OpenMP threads are limited so that
workers x threads never exceeds the usable CPUs.
"""
from __future__ import annotations

import contextlib
import os
import threading
from collections.abc import Callable
from concurrent.futures import FIRST_COMPLETED, wait
from dataclasses import dataclass
from typing import Any

import numpy as np

from engine.errors import Cancelled as Cancelled  # re-exported; raised when cancel is set
from engine.fold import FoldResult
from engine.lifeline import ignore_interrupts, interrupts_blocked, watch_parent
from engine.scratch import ScratchFolder
from engine.tasks import execute_task

THREAD_ENV_VARS = ("OMP_NUM_THREADS", "OPENBLAS_NUM_THREADS", "MKL_NUM_THREADS",
                   "BLIS_NUM_THREADS", "VECLIB_MAXIMUM_THREADS", "NUMEXPR_NUM_THREADS")
IDLE_TIMEOUT_S = 600  # warm workers wait this long for the next run before exiting


@dataclass
class Task:
    """One unit of work: fit ``pipeline`` on train_idx, predict predict_idx."""

    branch_id: int
    fold: int
    pipeline: Any
    train_idx: np.ndarray
    predict_idx: np.ndarray
    cost: float = 0.0  # estimated seconds, for longest-first scheduling
    kind: str = "fit"  # see engine.tasks.execute_task
    extra: dict[str, Any] | None = None


class SharedData:
    """X and y written once as .npy files that workers memory-map read-only.

    The folder is an engine.scratch.ScratchFolder: in /dev/shm (RAM-backed) when it has room
    for the data twice over, otherwise the system temp folder; named after this process and
    removed on every exit nirdesk controls, reclaimed by the next nirdesk after a kill. Class
    labels are stored as fixed-width unicode (no pickle needed).
    """

    def __init__(self, X: np.ndarray, y: np.ndarray) -> None:
        y = np.asarray(y)
        if y.dtype == object:
            y = y.astype(str)
        self._scratch = ScratchFolder(room=X.nbytes + y.nbytes)
        self.folder = self._scratch.path
        self.x_path = str(self.folder / "X.npy")
        self.y_path = str(self.folder / "y.npy")
        try:
            _write_npy(self.x_path, X)
            np.save(self.y_path, y, allow_pickle=False)
        except BaseException:
            self._scratch.close()
            raise

    def close(self) -> None:
        self._scratch.close()


def _write_npy(path: str, X: np.ndarray) -> None:
    """X as a .npy file (the bytes np.save writes), copied in through a memory map.

    Why not np.save: its ``tofile`` holds the GIL while it writes, 0.3-0.5 s for 800 MB
    (100,000 x 1,000), and the window's thread waits that long when a run starts (issue 20);
    numpy's copy into the map runs without the GIL.
    """
    X = np.asarray(X)
    target = np.lib.format.open_memmap(path, mode="w+", dtype=X.dtype, shape=X.shape)
    try:
        if X.size:
            target[...] = X
        target.flush()
    finally:
        del target


_WORKER_DATA: dict[str, tuple[np.ndarray, np.ndarray]] = {}
_WORKER_LIMITS: Any = None


def _init_worker(threads: int, parent: int | None = None) -> None:
    """Runs once in each worker: die with the parent process (engine.lifeline), leave
    Ctrl-C to the parent, cap BLAS/OpenMP threads for the worker's lifetime."""
    global _WORKER_LIMITS
    from threadpoolctl import threadpool_limits

    watch_parent(parent)
    ignore_interrupts()

    _WORKER_LIMITS = threadpool_limits(limits=threads)


def _shared_arrays(x_path: str, y_path: str) -> tuple[np.ndarray, np.ndarray]:
    """Map the run's data once per worker (a new run has new paths; old maps are dropped)."""
    if x_path not in _WORKER_DATA:
        _WORKER_DATA.clear()
        _WORKER_DATA[x_path] = (np.load(x_path, mmap_mode="r", allow_pickle=False),
                                np.load(y_path, mmap_mode="r", allow_pickle=False))
    return _WORKER_DATA[x_path]


def run_pool_task(kind: str, branch_id: int, fold: int, pipeline: Any, x_path: str, y_path: str,
                  train_idx: np.ndarray, predict_idx: np.ndarray,
                  extra: dict[str, Any] | None = None) -> FoldResult:
    """The function a worker runs: one task on the memory-mapped dataset."""
    X, y = _shared_arrays(x_path, y_path)
    try:
        return execute_task(kind, branch_id, fold, pipeline, X, y, train_idx, predict_idx, extra)
    finally:
        _release_freed_memory()


def _release_freed_memory() -> None:
    """Give the task's freed working arrays back to the OS (glibc keeps them in its heap
    otherwise), so an idle warm worker holds only what it needs and the gauges tell the truth."""
    global _MALLOC_TRIM
    if _MALLOC_TRIM is None:
        try:
            import ctypes

            _MALLOC_TRIM = ctypes.CDLL("libc.so.6").malloc_trim
        except (OSError, AttributeError):
            _MALLOC_TRIM = False
    if _MALLOC_TRIM:
        _MALLOC_TRIM(0)


_MALLOC_TRIM: Any = None


def error_text(exc: BaseException) -> str:
    """One line for the user: "ValueError: ...", never a traceback or a module path."""
    message = str(exc).strip().splitlines()
    return f"{type(exc).__name__}: {message[0]}" if message else type(exc).__name__


def _is_worker_death(exc: BaseException) -> bool:
    from concurrent.futures.process import BrokenProcessPool

    from joblib.externals.loky.process_executor import ShutdownExecutorError, TerminatedWorkerError

    return (isinstance(exc, (BrokenProcessPool, TerminatedWorkerError))
            and not isinstance(exc, ShutdownExecutorError))


class SharedCache:
    """The one dataset a pool has sent to its workers, kept while runs use the same arrays.

    Runs on the open dataset (the app re-running) reuse what the workers hold instead of
    sending it again; new arrays replace it. "The same" means the same objects at the same
    address with the same cheap checksum of every ~1000th value (an in-place edit shows).
    ``make(X, y)`` builds the pool's shared form (a memory-mapped file, scattered futures),
    which must have ``close()``.
    """

    def __init__(self, make: Callable[[np.ndarray, np.ndarray], Any]) -> None:
        self._make = make
        self.value: Any = None
        self._key: tuple | None = None
        self._arrays: tuple[np.ndarray, np.ndarray] | None = None  # keeps their ids unique

    def get(self, X: np.ndarray, y: np.ndarray) -> Any:
        key = (id(X), X.shape, X.ctypes.data, id(y), np.asarray(y).shape,
               float(np.asarray(X).ravel()[:: max(1, X.size // 1000)].sum()))
        if self.value is None or key != self._key:
            self.release()
            self.value = self._make(X, y)
            self._key, self._arrays = key, (X, y)
        return self.value

    def release(self) -> None:
        if self.value is not None:
            self.value.close()
        self.value = self._key = self._arrays = None


class TaskPool:
    """The reusable worker pool. Keep one per application; it stays warm between runs."""

    def __init__(self) -> None:
        self._executor: Any = None
        self._config: tuple[int, int] | None = None
        self._lock = threading.Lock()
        self._shared = SharedCache(SharedData)

    def share(self, X: np.ndarray, y: np.ndarray) -> SharedData:
        """The memory-mapped copy of (X, y) for the workers, written once per dataset.

        Runs on the same arrays (the app re-running on the open dataset) reuse the file, so
        the workers keep their mapping and nothing is written again; a new dataset replaces it.
        """
        return self._shared.get(X, y)

    def release_shared(self) -> None:
        self._shared.release()

    # -- pool life cycle -------------------------------------------------------------------
    def _get_executor(self, workers: int, threads: int) -> Any:
        from joblib.externals.loky import get_reusable_executor

        env = {name: str(threads) for name in THREAD_ENV_VARS}
        _start_resource_trackers()
        with self._lock, interrupts_blocked():  # workers start deaf to the group's Ctrl-C
            self._executor = get_reusable_executor(max_workers=workers, timeout=IDLE_TIMEOUT_S,
                                                   initializer=_init_worker,
                                                   initargs=(threads, os.getpid()),
                                                   env=env, reuse="auto")
            self._config = (workers, threads)
            return self._executor

    def worker_pids(self) -> list[int]:
        """PIDs of the live worker processes (for the GUI's gauges and for tests)."""
        executor = self._executor
        processes = getattr(executor, "_processes", None) or {}
        return [p.pid for p in list(processes.values()) if p.is_alive()]

    @property
    def warm_workers(self) -> int:
        return len(self.worker_pids())

    def kill(self, timeout: float = 2.0) -> None:
        """Terminate every worker now (Cancel) and wait until they are gone."""
        import psutil

        pids = self.worker_pids()
        with self._lock:
            if self._executor is not None:
                self._executor.shutdown(wait=True, kill_workers=True)
            self._executor = None
        procs = []
        for pid in pids:
            with contextlib.suppress(psutil.NoSuchProcess):  # gone already
                procs.append(psutil.Process(pid))
        _, alive = psutil.wait_procs(procs, timeout=timeout)
        for proc in alive:
            proc.kill()
        _forget_loky_executor()
        _stop_resource_trackers()

    def shutdown(self) -> None:
        """At application exit: no child process may outlive nirdesk, no file in /dev/shm."""
        self.kill()
        self.release_shared()

    # -- running tasks ---------------------------------------------------------------------
    def run_tasks(self, tasks: list[Task], shared: SharedData, *, workers: int, threads: int,
                  on_result: Callable[[FoldResult], None],
                  on_failure: Callable[[int, str], None],
                  cancel: threading.Event | None = None) -> None:
        """Run tasks on ``workers`` processes, longest first, at most ``workers`` in flight.

        on_result gets each FoldResult as it arrives; on_failure(branch_id, message) once per
        branch whose task raised or killed its worker (its other tasks are dropped). A worker
        death breaks every task in flight; those are re-run one at a time, and the one that
        dies alone is the culprit. Raises Cancelled after killing the pool when cancel is set.
        """
        pending = sorted(tasks, key=lambda t: -t.cost)
        suspects: list[Task] = []
        failed: set[int] = set()
        in_flight: dict[Any, Task] = {}
        executor = self._get_executor(workers, threads)

        def submit(task: Task) -> None:
            with interrupts_blocked():  # a submit may start workers and loky's threads
                future = executor.submit(run_pool_task, task.kind, task.branch_id, task.fold,
                                         task.pipeline, shared.x_path, shared.y_path,
                                         task.train_idx, task.predict_idx, task.extra)
            in_flight[future] = task

        while pending or suspects or in_flight:
            if cancel is not None and cancel.is_set():
                self.kill()
                raise Cancelled()
            # after a worker death, suspects run alone until each is cleared or convicted
            limit = 1 if suspects else workers
            queue = suspects if suspects else pending
            while queue and len(in_flight) < limit:
                task = queue.pop(0)
                if task.branch_id not in failed:
                    submit(task)
            if not in_flight:
                continue
            done, _ = wait(list(in_flight), timeout=0.1, return_when=FIRST_COMPLETED)
            crashed: list[Task] = []
            for future in done:
                task = in_flight.pop(future)
                try:
                    result = future.result()
                except Exception as exc:  # noqa: BLE001 - every failure is reported per branch
                    if _is_worker_death(exc):
                        crashed.append(task)
                    elif task.branch_id not in failed:
                        failed.add(task.branch_id)
                        on_failure(task.branch_id, error_text(exc))
                else:
                    if task.branch_id not in failed:
                        on_result(result)
            if crashed:
                crashed += list(in_flight.values())  # the others in flight broke with it
                in_flight.clear()
                alone = len(crashed) == 1 and limit == 1
                if alone:
                    culprit = crashed[0]
                    failed.add(culprit.branch_id)
                    on_failure(culprit.branch_id, "the worker process died while fitting this "
                               "branch (killed, out of memory, or a crash in native code)")
                else:
                    suspects = crashed + suspects
                executor = self._get_executor(workers, threads)  # loky replaces a broken pool


def _forget_loky_executor() -> None:
    """Drop loky's module-level reference to the killed executor and collect it now.

    Its queues and locks unregister from the resource tracker when they are freed; freed
    later (at some garbage collection), they would start a new tracker process after we
    stopped it."""
    # the killed executor's queue feeder threads unregister their locks as they exit
    for thread in [t for t in threading.enumerate() if t.name == "QueueFeederThread"]:
        thread.join(timeout=1.0)
    try:
        from joblib.externals.loky import reusable_executor

        with reusable_executor._executor_lock:
            reusable_executor._executor = None
            reusable_executor._executor_kwargs = None
    except Exception:  # noqa: BLE001 - private API; worst case a tracker restarts later
        pass
    collect_garbage()


def _collect_here() -> None:
    import gc

    gc.collect()


# How _forget_loky_executor collects. A GUI replaces it (app.common.gc_guard) so that a collection
# asked for by the run thread runs on the GUI thread: a collection on another thread can
# destroy Qt objects there, which crashes Qt.
collect_garbage: Callable[[], None] = _collect_here


def _start_resource_trackers() -> None:
    """Start loky's and multiprocessing's resource trackers before workers are started with
    SIGINT blocked: starting multiprocessing's tracker *unblocks* SIGINT in the calling
    thread (SIG_UNBLOCK, not a restore), so the workers started after it in the same block
    would inherit an open mask and die of a group Ctrl-C while still importing."""
    try:
        from joblib.externals.loky.backend import resource_tracker as loky_tracker

        loky_tracker.ensure_running()
    except Exception:  # noqa: BLE001 - loky starts it itself later; only the mask is at stake
        pass
    try:
        from multiprocessing import resource_tracker as mp_tracker

        mp_tracker.ensure_running()
    except Exception:  # noqa: BLE001 - as above
        pass


def _stop_resource_trackers() -> None:
    """loky and multiprocessing each start a resource-tracker helper process; stop them so
    that a cancelled run leaves no child process. They restart on the next run."""
    try:
        from joblib.externals.loky.backend import resource_tracker as loky_tracker

        loky_tracker._resource_tracker._stop()
    except Exception:  # noqa: BLE001 - private API; a leftover idle helper is harmless
        pass
    try:
        from multiprocessing import resource_tracker as mp_tracker

        # private and absent from typeshed's multiprocessing stubs, hence the ignore
        mp_tracker._resource_tracker._stop()  # type: ignore[attr-defined]
    except Exception:  # noqa: BLE001 - private API, as above
        pass


_DEFAULT_POOL: TaskPool | None = None


def default_pool() -> TaskPool:
    """The process-wide pool that the CLI and the app share and keep warm."""
    global _DEFAULT_POOL
    if _DEFAULT_POOL is None:
        _DEFAULT_POOL = TaskPool()
    return _DEFAULT_POOL


def shutdown_default_pool() -> None:
    """Stop the process-wide pool if one was made (workers, trackers, the /dev/shm data):
    what a command does on its way out, whichever way it ends. Safe to call twice."""
    pool = _DEFAULT_POOL
    if pool is not None and (pool._executor is not None or pool._shared.value is not None):
        pool.shutdown()  # (a pool never started, or already killed, has nothing to stop)
