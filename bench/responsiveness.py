"""Does the GUI thread stay responsive while a run goes on? (issue 7, run panel)

A 10 ms QTimer on the GUI thread records the gap between its timeouts; a gap longer than
10 ms is time the event loop could not serve (a stall = gap - 10 ms). The probe runs while a
real RunController + RunToolbar + RunPanel are live and updating, during a 2-worker run of
the 4-branch pattern (SNV+PLS(10), MSC+Ridge, StandardScaler+ElasticNet, Detrend+Lasso,
n_jobs 2) on tablet data replicated like bench/parallel.py case a (3,440 training rows).

Targets: p99 stall < 50 ms, max stall < 200 ms.

    xvfb-run -a .venv/bin/python bench/responsiveness.py [--runs 2] [--reps 8] [--main-window]
              [--shot /tmp/run.png]

The first run starts the pool's workers (cold), later runs reuse them (warm). --main-window
measures inside app.shell.main_window.MainWindow (it must have a ``run_controller``); without it a
small QMainWindow with the run toolbar and panel in a right dock stands in for it.
"""
from __future__ import annotations

import argparse
import os
import sys
import time
from pathlib import Path
from typing import Any

import numpy as np

REPO = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(REPO))

FOUR = [{"branch": [["SNV", {"class": "PLSRegression", "params": {"n_components": 10}}],
                    ["MSC", {"class": "Ridge", "params": {"alpha": 1.0}}],
                    ["StandardScaler", {"class": "ElasticNet", "params": {"alpha": 0.5}}],
                    ["Detrend", {"class": "Lasso", "params": {"alpha": 0.1}}]],
         "n_jobs": 2}]
INTERVAL_MS = 10


def tablet_dataset(reps: int):
    """tests/data/tablet with its training rows replicated ``reps`` times (tiny noise added),
    as bench/parallel.py does, so the run lasts long enough to measure."""
    from engine.dataset import SpectralDataset
    from engine.io import load_dataset

    base = load_dataset(REPO / "tests" / "data" / "tablet")
    if reps <= 1:
        return base
    train = base.train_indices
    rng = np.random.default_rng(0)
    X = np.vstack([base.X[train] + rng.normal(0, 1e-4, (train.size, base.n_wavelengths))
                   for _ in range(reps)] + [base.X[base.test_indices]])
    y = np.concatenate([base.y[train]] * reps + [base.y[base.test_indices]])
    test = np.r_[np.zeros(train.size * reps, bool), np.ones(base.n_test, bool)]
    return SpectralDataset(X, base.wavelengths, {"api_mg": y}, np.arange(y.size), test,
                           name=f"tablet x{reps}")


def harness_window():
    """Stand-in for the main window: run toolbar + run panel in a ~400 px right dock."""
    from PySide6.QtCore import Qt
    from PySide6.QtWidgets import QDockWidget, QLabel, QMainWindow

    from app.run import RunController, RunPanel, RunToolbar

    win = QMainWindow()
    win.run_controller = RunController(win)
    win.run_toolbar = RunToolbar(win)
    win.addToolBar(win.run_toolbar)
    win.run_toolbar.attach(win.run_controller)
    win.run_panel = RunPanel()
    win.run_panel.attach(win.run_controller)
    dock = QDockWidget("Run", win)
    dock.setWidget(win.run_panel)
    win.addDockWidget(Qt.DockWidgetArea.RightDockWidgetArea, dock)
    win.setCentralWidget(QLabel("spectra"))
    win.resize(1280, 800)
    win.resizeDocks([dock], [400], Qt.Orientation.Horizontal)
    return win


def probe_run(window: Any, start: Any, shot: str | None = None) -> dict[str, Any]:
    """Start a run with ``start()`` and measure GUI-thread stalls until it finishes.

    Works with any window that has a ``run_controller`` (the harness or the MainWindow, where
    ``start`` is the F5 path: editor spec, results panel and project recording included).
    """
    from PySide6.QtCore import QEventLoop, QTimer

    controller = window.run_controller
    ticks: list[float] = []
    signals = {"n": 0}
    out: dict[str, Any] = {}
    loop = QEventLoop()

    def count(*_):
        signals["n"] += 1

    def done(result=None, message=None):
        out["result"], out["error"] = result, message
        loop.quit()

    def grab():
        if shot and controller.is_running() and "shot" not in out:
            out["shot"] = window.grab().save(shot)

    connections = [(controller.task_done, count), (controller.log_line, count),
                   (controller.branch_finished, count),
                   (controller.finished, lambda r: done(result=r)),
                   (controller.failed, lambda m: done(message=m))]
    for signal, slot in connections:
        signal.connect(slot)
    probe = QTimer()
    probe.setInterval(INTERVAL_MS)
    probe.timeout.connect(lambda: ticks.append(time.perf_counter()))
    if shot:
        controller.task_done.connect(lambda e: e.done * 2 >= e.total and grab())
    probe.start()
    t0 = time.perf_counter()
    if not start():
        raise RuntimeError("the run did not start")
    loop.exec()
    wall = time.perf_counter() - t0
    probe.stop()
    for signal, slot in connections:
        signal.disconnect(slot)
    stalls = (np.maximum(np.diff(ticks) * 1000.0 - INTERVAL_MS, 0.0) if len(ticks) > 1
              else np.zeros(1))
    result = out.get("result")
    return {"wall_s": wall, "ticks": len(ticks), "signals": signals["n"],
            "p50_ms": float(np.percentile(stalls, 50)), "p99_ms": float(np.percentile(stalls, 99)),
            "max_ms": float(stalls.max()), "error": out.get("error"),
            "plan": None if result is None else
            [f"{g['mode']} x{g['workers']}" for g in result.parallel],
            "statuses": None if result is None else [b.status for b in result.branches]}


def idle_stalls(seconds: float) -> dict[str, float]:
    """The same probe with no run going: what the machine's load alone costs the GUI thread
    (a shared machine stalls an idle event loop too)."""
    from PySide6.QtCore import QEventLoop, QTimer

    ticks: list[float] = []
    probe = QTimer()
    probe.setInterval(INTERVAL_MS)
    probe.timeout.connect(lambda: ticks.append(time.perf_counter()))
    loop = QEventLoop()
    QTimer.singleShot(int(seconds * 1000), loop.quit)
    probe.start()
    loop.exec()
    probe.stop()
    stalls = (np.maximum(np.diff(ticks) * 1000.0 - INTERVAL_MS, 0.0) if len(ticks) > 1
              else np.zeros(1))
    return {"p99_ms": float(np.percentile(stalls, 99)), "max_ms": float(stalls.max())}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--runs", type=int, default=2, help="runs in a row (1st cold, then warm)")
    parser.add_argument("--reps", type=int, default=8, help="replicate the training rows")
    parser.add_argument("--workers", type=int, default=2)
    parser.add_argument("--main-window", action="store_true", help="measure in MainWindow")
    parser.add_argument("--idle", type=float, default=5.0,
                        help="seconds of probing with no run first (the machine's own noise)")
    parser.add_argument("--shot", help="save a PNG of the window half way through run 1")
    args = parser.parse_args()

    if not os.environ.get("DISPLAY") and not os.environ.get("WAYLAND_DISPLAY"):
        os.environ.setdefault("QT_QPA_PLATFORM", "offscreen")
    import warnings

    warnings.filterwarnings("ignore")
    from PySide6.QtWidgets import QApplication

    app = QApplication.instance() or QApplication([])
    ds = tablet_dataset(args.reps)
    if args.main_window:
        from app.common.settings import AppSettings
        from app.model.spectra_data import SpectraData
        from app.shell.main_window import MainWindow

        window = MainWindow(AppSettings(persistent=False), quiet=True)
        window.run_controller = window.bench.run_controller
        window.run_toolbar = window.bench.run_toolbar
        window.resize(1280, 800)
        window.show()
        window.show_dataset(ds, SpectraData.build(ds.X, ds.wavelengths, wavelengths_known=True,
                                                      title="raw"), None)
        window.bench.editor.set_spec(FOUR)
        window.bench.flush_edits()

        def start() -> bool:
            return window.bench.start_run()
    else:
        window = harness_window()

        def start() -> bool:
            return window.run_controller.start(ds, FOUR, workers=args.workers)
    window.run_toolbar.set_workers(args.workers)  # the count the run uses, shown
    window.show()
    app.processEvents()
    print(f"data: {ds.name} {ds.X.shape[0]} x {ds.X.shape[1]} ({ds.n_train} train), "
          f"{args.workers} workers, probe {INTERVAL_MS} ms, "
          f"window {'MainWindow' if args.main_window else 'harness'}, "
          f"platform {app.platformName()}, load avg {os.getloadavg()[0]:.2f}")
    try:
        if args.idle > 0:
            idle = idle_stalls(args.idle)
            print(f"idle ({args.idle:g} s, no run): stall p99 {idle['p99_ms']:.1f} ms, "
                  f"max {idle['max_ms']:.1f} ms")
        for i in range(args.runs):
            r = probe_run(window, start, args.shot if i == 0 else None)
            if r["error"]:
                print(f"run {i + 1}: failed: {r['error']}")
                continue
            print(f"run {i + 1} ({'cold' if i == 0 else 'warm'} pool): wall {r['wall_s']:.2f} s, "
                  f"plan {r['plan']}, {r['signals']} signals, {r['ticks']} probe ticks; "
                  f"stall p50 {r['p50_ms']:.1f} ms, p99 {r['p99_ms']:.1f} ms, "
                  f"max {r['max_ms']:.1f} ms  (targets p99 < 50, max < 200)")
    finally:
        if args.main_window:
            window.shutdown()
        else:
            window.run_controller.shutdown()
        window.close()


if __name__ == "__main__":
    main()
