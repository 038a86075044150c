"""The engine half of `nirdesk --self-test`: prove that worker processes compute in parallel.

Why in the engine: the pool's worker processes import the step class of the test pipeline
(:class:`Rendezvous`); living here, they never import the GUI package. The window half (the
main window loads and draws the demo) is app.shell.selftest, which prints this part's report.

The demo pipeline's (branch, fold) tasks run on the engine's TaskPool with 2 workers. A
rendezvous step at the head of every task's pipeline makes the first task wait until a second
process arrives, so passing proves two worker processes computed at the same time (not merely
that two were started); every fit also records which process ran it. The same tasks then run
again in this process, one after the other, and every prediction must match the parallel ones.
"""
from __future__ import annotations

import json
import os
import tempfile
import threading
import time
from pathlib import Path
from typing import Any

import numpy as np
from sklearn.base import BaseEstimator, TransformerMixin

__all__ = ["POOL_TIMEOUT_S", "RENDEZVOUS_TIMEOUT_S", "WORKERS", "Rendezvous", "SelfTestError",
           "check_pool"]

WORKERS = 2
RENDEZVOUS_TIMEOUT_S = 60.0   # how long the first task waits for the second worker
POOL_TIMEOUT_S = 180.0        # the whole parallel stage; then the pool is killed


class SelfTestError(Exception):
    """A check failed; the message is the one line the user sees."""


class Rendezvous(BaseEstimator, TransformerMixin):
    """Identity step that records the process fitting it and, on the first fits, waits until
    ``parties`` different processes have arrived (one file per process in ``folder``).

    A pool that ran the tasks one at a time, or in a single process, never gets past the
    wait and fails with a clear error after ``timeout`` seconds.
    """

    def __init__(self, folder: str = "", parties: int = WORKERS,
                 timeout: float = RENDEZVOUS_TIMEOUT_S) -> None:
        self.folder = folder
        self.parties = parties
        self.timeout = timeout

    def fit(self, X: Any, y: Any = None) -> Rendezvous:
        folder = Path(self.folder)
        with open(folder / f"{os.getpid()}.fits", "a", encoding="ascii") as fh:
            fh.write("fit\n")
        deadline = time.monotonic() + self.timeout
        while len(list(folder.glob("*.fits"))) < self.parties:
            if time.monotonic() > deadline:
                raise RuntimeError(f"no second worker process started a task within "
                                   f"{self.timeout:.0f} s: tasks are not running in parallel")
            time.sleep(0.01)
        self.pid_ = os.getpid()
        return self

    def transform(self, X: Any) -> Any:
        return X


def _tasks(prepared: list[Any], dataset: Any, head: Any) -> list[Any]:
    """Every CV fold and the refit of every branch, each pipeline behind ``head`` if given."""
    from sklearn.pipeline import Pipeline

    from engine.executor import Task
    from engine.fold import REFIT

    tasks = []
    for prep in prepared:
        pipe = prep.pipeline if head is None else Pipeline([("rendezvous", head),
                                                            *prep.pipeline.steps])
        for fold, (train, test) in enumerate(prep.folds):
            tasks.append(Task(prep.branch.id, fold, pipe, train, test, cost=1.0))
        tasks.append(Task(prep.branch.id, REFIT, pipe, dataset.train_indices,
                          dataset.test_indices, cost=1.0))
    return tasks


def _rmse(pairs: dict[tuple[int, int], tuple[np.ndarray, np.ndarray]], dataset: Any,
          bid: int) -> float:
    """Cross-validated RMSE of one branch from its fold predictions (refit excluded)."""
    from engine.fold import REFIT

    idx = [k for k in pairs if k[0] == bid and k[1] != REFIT]
    rows = np.concatenate([pairs[k][0] for k in sorted(idx)])
    pred = np.concatenate([pairs[k][1] for k in sorted(idx)])
    return float(np.sqrt(np.mean((dataset.y[rows] - pred) ** 2)))


def check_pool() -> list[str]:
    """Run the demo pipeline's tasks on 2 worker processes, then in this process; compare."""
    import psutil
    from threadpoolctl import threadpool_limits

    from engine.executor import TaskPool
    from engine.io import load_dataset
    from engine.pipeline import parse_pipeline
    from engine.resources import demo_dataset_path, demo_pipeline_path
    from engine.run import prepare
    from engine.tasks import execute_task

    dataset = load_dataset(demo_dataset_path())
    spec = json.loads(demo_pipeline_path().read_text(encoding="utf-8"))
    prepared = prepare(parse_pipeline(spec), dataset, seed=0)
    pool = TaskPool()
    cancel = threading.Event()
    watchdog = threading.Timer(POOL_TIMEOUT_S, cancel.set)
    watchdog.daemon = True
    results: dict[tuple[int, int], tuple[np.ndarray, np.ndarray]] = {}
    failures: list[str] = []
    with tempfile.TemporaryDirectory(prefix="nirdesk-selftest-") as folder:
        tasks = _tasks(prepared, dataset, Rendezvous(folder, WORKERS))
        start = time.perf_counter()
        watchdog.start()
        try:
            pool.run_tasks(tasks, pool.share(dataset.X, dataset.y), workers=WORKERS, threads=1,
                           on_result=lambda r: results.__setitem__(
                               (r.branch_id, r.fold), (r.predict_idx, r.predictions)),
                           on_failure=lambda bid, msg: failures.append(f"branch {bid}: {msg}"),
                           cancel=cancel)
        except Exception as exc:  # Cancelled by the watchdog, or a pool error (re-raised)
            pool.shutdown()
            raise SelfTestError(f"the worker pool did not finish within {POOL_TIMEOUT_S:.0f} s"
                                if cancel.is_set() else f"the worker pool failed: {exc}") from exc
        finally:
            watchdog.cancel()
        parallel_s = time.perf_counter() - start
        fits = {int(p.stem): len(p.read_text(encoding="ascii").split())
                for p in Path(folder).glob("*.fits")}
        live = pool.worker_pids()
        workers_info = []
        for pid in sorted(fits):
            try:
                proc = psutil.Process(pid)
                workers_info.append((pid, proc.ppid(), " ".join(proc.cmdline())))
            except (psutil.Error, OSError):
                workers_info.append((pid, None, "?"))
        pool.shutdown()
    if failures:
        raise SelfTestError(f"a task failed on the worker pool: {failures[0]}")
    me = os.getpid()
    if len(fits) != WORKERS or me in fits:
        raise SelfTestError(f"expected tasks in {WORKERS} worker processes other than this "
                            f"one ({me}), got {sorted(fits)}")
    if not set(fits) <= set(live):
        raise SelfTestError(f"the processes that ran tasks {sorted(fits)} are not the pool's "
                            f"workers {sorted(live)}")
    if len(results) != len(tasks):
        raise SelfTestError(f"{len(results)} of {len(tasks)} tasks returned a result")

    start = time.perf_counter()
    sequential: dict[tuple[int, int], tuple[np.ndarray, np.ndarray]] = {}
    with threadpool_limits(limits=1):
        for task in _tasks(prepared, dataset, None):
            part = execute_task("fit", task.branch_id, task.fold, task.pipeline, dataset.X,
                                dataset.y, task.train_idx, task.predict_idx)
            sequential[(part.branch_id, part.fold)] = (part.predict_idx, part.predictions)
    sequential_s = time.perf_counter() - start
    diff = max(float(np.max(np.abs(results[k][1] - sequential[k][1]), initial=0.0))
               for k in sequential)
    scale = max(float(np.max(np.abs(p), initial=0.0)) for _, p in sequential.values())
    if diff > 1e-9 * max(scale, 1.0):
        raise SelfTestError(f"parallel and sequential predictions differ by {diff:.3g}")

    lines = [f"pool: {len(tasks)} tasks ({len(prepared)} branches x {len(prepared[0].folds)} "
             f"folds + refit) on {WORKERS} workers in {parallel_s:.2f} s, including worker start",
             f"main pid {me}; worker pids: {' '.join(str(p) for p in sorted(fits))} "
             f"(tasks per worker: {', '.join(str(fits[p]) for p in sorted(fits))})"]
    for pid, ppid, command in workers_info:
        lines.append(f"  worker {pid}: parent {ppid}, command {command}")
    # "SNV > PLSRegression(...)": the preprocessing names the branch well enough here
    names = {p.branch.id: p.branch.name.split(" > ")[0].split("(")[0] for p in prepared}
    rmse = ", ".join(f"[{b}] {names[b]} {_rmse(results, dataset, b):.4g}" for b in sorted(names))
    lines += [f"sequential in-process run: {sequential_s:.2f} s; largest difference from the "
              f"parallel predictions {diff:.3g}",
              f"RMSECV ({dataset.target}): {rmse}"]
    return lines
