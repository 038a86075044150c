"""`nirdesk --self-test`: prove that this installation works, frozen or not, in a few seconds.

Why it exists: a packaged app fails in ways the source tree never shows - a Qt plugin left
out, resources not found in the bundle, or worker processes that start a second copy of the
GUI instead of computing (the frozen-executable pitfall of loky/multiprocessing). The
self-test exercises exactly those paths and prints a short report:

1. the main window opens (offscreen platform), loads the bundled demo dataset and pipeline
   and draws the spectra;
2. the demo pipeline's (branch, fold) tasks run on the engine's TaskPool with 2 workers. A
   rendezvous step at the head of every task's pipeline makes the first task wait until a
   second process arrives, so passing proves two worker processes computed at the same
   time (not merely that two were started); every fit also records which process ran it;
3. the same tasks run again in this process, one after the other, and every prediction
   must match the parallel ones.

Exit code 0 when everything works; 1 with a "self-test FAILED: ..." line otherwise.
Qt is imported inside functions only: pool workers import this module (for Rendezvous).
"""
from __future__ import annotations

import json
import os
import platform
import sys
import tempfile
import threading
import time
from pathlib import Path
from typing import Any

import numpy as np
from sklearn.base import BaseEstimator, TransformerMixin

WORKERS = 2
RENDEZVOUS_TIMEOUT_S = 60.0   # how long the first task waits for the second worker
POOL_TIMEOUT_S = 180.0        # the whole parallel stage; then the pool is killed
WINDOW_TIMEOUT_S = 60.0       # loading and drawing the demo in the window


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

    def fit(self, X: Any, y: Any = None) -> "Rendezvous":
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


def versions() -> list[str]:
    """Versions of nirdesk and of what it is built on (first lines of the report)."""
    import joblib
    import PySide6
    import pyqtgraph
    import sklearn
    from PySide6.QtCore import qVersion

    from app.main import app_version

    kind = "frozen app" if getattr(sys, "frozen", False) else "Python install"
    return [f"nirdesk {app_version()} ({kind}: {sys.executable})",
            f"Python {platform.python_version()} on {platform.platform()}",
            f"PySide6 {PySide6.__version__}, Qt {qVersion()}, pyqtgraph {pyqtgraph.__version__}",
            f"numpy {np.__version__}, scikit-learn {sklearn.__version__}, "
            f"joblib {joblib.__version__}"]


def check_window() -> list[str]:
    """Open the main window offscreen on the demo data and wait until it is loaded and drawn."""
    from PySide6.QtGui import QGuiApplication
    from PySide6.QtWidgets import QApplication

    from app.gui import set_app_icon
    from app.main_window import MainWindow
    from app.screenshot import WhenSettled
    from app.settings import AppSettings
    from engine.resources import demo_dataset_path, demo_pipeline_path

    demo = demo_dataset_path()
    if not (demo / "X.csv").is_file():
        raise SelfTestError(f"the bundled demo dataset is missing: {demo}")
    start = time.perf_counter()
    # "-platform offscreen" beats QT_QPA_PLATFORM: the self-test never shows a window
    app = QApplication.instance() or QApplication([sys.argv[0], "-platform", "offscreen"])
    set_app_icon(app)
    icon_ok = not app.windowIcon().isNull()
    window = MainWindow(AppSettings(persistent=False), quiet_errors=True)
    window.resize(1280, 800)
    outcome: dict[str, Any] = {}

    def finish(timed_out: bool) -> None:
        outcome["timed_out"] = timed_out
        outcome["pixels"] = not window.grab().isNull()
        window.close()

    window.show()
    WhenSettled(window, finish, timeout_s=WINDOW_TIMEOUT_S)
    window.start(str(demo), None, str(demo_pipeline_path()))
    app.exec()
    dataset = window.state.dataset
    errors = list(window.errors)
    window.shutdown()
    window.deleteLater()
    app.processEvents()
    seconds = time.perf_counter() - start
    if errors:
        raise SelfTestError(f"the window could not open the demo: {errors[0]}")
    if outcome.get("timed_out") or dataset is None:
        raise SelfTestError(f"the window did not load and draw the demo within "
                            f"{WINDOW_TIMEOUT_S:.0f} s")
    if not outcome.get("pixels"):
        raise SelfTestError("the window could not be rendered")
    return [f"window: Qt platform {QGuiApplication.platformName()}, demo {dataset.name} "
            f"{dataset.n_samples} x {dataset.n_wavelengths} loaded and drawn in {seconds:.2f} s"
            f", app icon {'set' if icon_ok else 'MISSING'}"]


def _tasks(prepared: list[Any], dataset: Any, head: Any) -> list[Any]:
    """Every CV fold and the refit of every branch, each pipeline behind ``head`` if given."""
    from sklearn.pipeline import Pipeline

    from engine.executor import Task
    from engine.tasks import REFIT

    tasks = []
    for prep in prepared:
        pipe = prep.pipeline if head is None else Pipeline([("rendezvous", head),
                                                            *prep.pipeline.steps])
        for fold, (train, test) in enumerate(prep.folds):
            tasks.append(Task(prep.branch.id, fold, pipe, train, test, cost=1.0))
        tasks.append(Task(prep.branch.id, REFIT, pipe, dataset.train_indices,
                          dataset.test_indices, cost=1.0))
    return tasks


def _rmse(pairs: dict[tuple[int, int], np.ndarray], dataset: Any, bid: int) -> float:
    """Cross-validated RMSE of one branch from its fold predictions (refit excluded)."""
    from engine.tasks import REFIT

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
        except Exception as exc:  # noqa: BLE001 - Cancelled by the watchdog, or a pool error
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


def run_self_test() -> int:
    """Print the report; 0 when every check passed, 1 with one clear line when one failed."""
    start = time.perf_counter()
    print("nirdesk self-test", flush=True)
    try:
        for stage in (versions, check_window, check_pool):
            for line in stage():
                print(f"  {line}", flush=True)
    except SelfTestError as exc:
        print(f"self-test FAILED: {exc}", file=sys.stderr, flush=True)
        return 1
    except Exception as exc:  # noqa: BLE001 - an installation problem: say what, not a traceback
        print(f"self-test FAILED: {type(exc).__name__}: {exc}", file=sys.stderr, flush=True)
        return 1
    print(f"self-test passed in {time.perf_counter() - start:.2f} s", flush=True)
    return 0
