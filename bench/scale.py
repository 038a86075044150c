"""The window at scale: 100,000 x 1,000 spectra (800 MB) opened, drawn, recoloured, saved in a
project and reopened, with the longest GUI-thread pause and the main process's peak memory
(issue 20).

The real MainWindow (offscreen unless a display is set) does what a user does with the menus:

  1. open the dataset file (a folder: X.csv with an id column and 1,000 wavelengths, y.csv,
     split.csv; or with --format npz the same data as one .npz), until every spectrum is
     drawn;
  2. recolour by partition, until drawn again;
  3. File > Save As a project, until the save has landed;
  4. File > Open that project (a fresh start: New project first), until drawn;
  5. Explore: the PCA of the raw spectra, until its scores are shown;
  6. Run (F5) two PLS(10) branches (SNV and raw) on the worker pool, until the results show
     (task progress on the way).

A 5 ms QTimer on the GUI thread records the gaps between its ticks; a gap over 5 ms is time the
event loop could not serve (the "pause"). A sampling thread records the main process's RSS
every 10 ms. Targets: longest pause < 50 ms; peak RSS < 2.5 x the dataset's bytes.

``--trace`` says where the pauses come from: each pause over 50 ms with the GUI thread's time
in it on the CPU and waiting for a CPU (/proc schedstat; the rest it was blocked, mostly on
the GIL), every event delivery over 20 ms (receiver, its parents, event type), the garbage
collections, the GUI thread's stack sampled during pauses (the other threads' when it is
outside Python), and what the other threads were doing when the RSS peaked.

    .venv/bin/python bench/scale.py [--n 100000] [--p 1000] [--data /tmp/nirdesk-scale]
                                    [--steps open recolour save reopen explore] [--shot PNG]

The dataset is written once (about 840 MB of CSV) and reused from ``--data``.
"""
from __future__ import annotations

import argparse
import os
import sys
import tempfile
import threading
import time
from pathlib import Path
from typing import Any, ClassVar

import numpy as np

REPO = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(REPO))
sys.path.insert(0, str(REPO / "bench"))

STEPS = ("open", "recolour", "save", "reopen", "explore", "run")
#: the run step: two PLS branches on the worker pool (12 tasks, progress per task)
RUN_SPEC = [{"branch": [["SNV", {"class": "PLSRegression", "params": {"n_components": 10}}],
                        [{"class": "PLSRegression", "params": {"n_components": 10}}]],
             "n_jobs": 2}]


def write_data(folder: Path, n: int, p: int) -> None:
    from csv_load import write_dataset

    marker = folder / f".complete-{n}x{p}"
    if marker.exists():
        return
    folder.mkdir(parents=True, exist_ok=True)
    t0 = time.perf_counter()
    write_dataset(folder, n, p)
    rng = np.random.default_rng(3)
    labels = np.where(rng.uniform(size=n) < 0.2, "test", "train")
    (folder / "split.csv").write_text("split\n" + "\n".join(labels) + "\n")
    marker.write_text("")
    print(f"wrote {folder} ({(folder / 'X.csv').stat().st_size / 1e6:.0f} MB) in "
          f"{time.perf_counter() - t0:.0f} s", flush=True)


def write_npz(folder: Path) -> Path:
    """The same dataset as one uncompressed .npz (docs/formats.md), written once."""
    target = folder.with_suffix(".npz")
    if not target.exists():
        from engine.io import load_dataset

        ds = load_dataset(folder)
        labels = np.where(ds.test_mask, "test", "train")
        np.savez(target, X=ds.X, wavelengths=ds.wavelengths, y=ds.y,
                 sample_ids=ds.sample_ids.astype(str), split=labels)
    return target


class Probe:
    """Gaps between the ticks of a 5 ms timer on the GUI thread, and the process's RSS."""

    def __init__(self, trace: bool = False) -> None:
        import psutil
        from PySide6.QtCore import QTimer

        self.proc = psutil.Process()
        self.gaps: list[float] = []
        self.ends: list[float] = []          # when each gap ended (perf_counter)
        # the GUI thread's (on-CPU ns, runnable-but-waiting ns) at each tick: a pause spent
        # waiting for a CPU is the scheduler's, one spent on the CPU is the GUI thread's work
        self._schedstat = Path(f"/proc/self/task/{threading.get_native_id()}/schedstat")
        self.sched: list[tuple[int, int]] = []
        self.peak_rss = 0
        self._last = time.perf_counter()
        self._timer = QTimer()
        self._timer.setInterval(5)
        self._timer.timeout.connect(self._tick)
        self._stop = threading.Event()
        self._sampler = threading.Thread(target=self._sample, daemon=True)
        self.trace = trace
        self.stalls: dict[str, int] = {}     # GUI-thread stack during a pause -> samples
        self._gui = threading.get_ident()
        self.peak_stacks: dict[str, str] = {}

    def _tick(self) -> None:
        now = time.perf_counter()
        self.gaps.append(now - self._last)
        self.ends.append(now)
        if self.trace:
            run_ns, wait_ns, _ = self._schedstat.read_text().split()
            self.sched.append((int(run_ns), int(wait_ns)))
        self._last = now

    def _sample(self) -> None:
        import traceback

        while not self._stop.is_set():
            rss = self.proc.memory_info().rss
            if rss > self.peak_rss and self.trace:     # what every thread does at a new peak
                names = {t.ident: t.name for t in threading.enumerate()}
                self.peak_stacks = {
                    names.get(ident, str(ident)): "".join(traceback.format_stack(f, limit=6))
                    for ident, f in sys._current_frames().items()
                    if ident not in (self._gui, threading.get_ident())}
            self.peak_rss = max(self.peak_rss, rss)
            if self.trace and time.perf_counter() - self._last > 0.03:
                frames = sys._current_frames()
                frame = frames.get(self._gui)
                if frame is not None:
                    stack = traceback.format_stack(frame, limit=12)
                    key = "".join(line for line in stack if "bench/scale.py" not in line)
                    if not key:   # the GUI thread is in Qt's C++ code or waits for the GIL
                        names = {t.ident: t.name for t in threading.enumerate()}
                        others = [f"  [{names.get(ident, ident)}] "
                                  + traceback.format_stack(f, limit=3)[-1].strip()
                                  for ident, f in frames.items()
                                  if ident not in (self._gui, threading.get_ident())]
                        key = "  (GUI thread outside Python; other threads:)\n" + \
                            "\n".join(others) + "\n"
                    self.stalls[key] = self.stalls.get(key, 0) + 1
                del frames, frame      # a kept frame would keep its thread's locals alive
            time.sleep(0.01)

    def _gc_timing(self, phase: str, info: dict[str, int]) -> None:
        if phase == "start":
            self._gc_start = time.perf_counter()
        else:
            self.collections.append((self._gc_start, time.perf_counter() - self._gc_start,
                                     info["generation"], info["collected"]))

    def start(self) -> None:
        if self.trace:
            import gc

            self.collections: list[tuple[float, float, int, int]] = []
            gc.callbacks.append(self._gc_timing)
        self._timer.start()
        self._sampler.start()

    def reset(self) -> None:
        self.gaps.clear()
        self.ends.clear()
        self.sched.clear()
        self._last = time.perf_counter()
        self.peak_rss = self.proc.memory_info().rss

    def stop(self) -> None:
        self._timer.stop()
        self._stop.set()


def wait_until(app: Any, done: Any, timeout: float) -> float:
    """Run the event loop until ``done()``; the seconds it took."""
    t0 = time.perf_counter()
    while not done():
        app.processEvents()
        time.sleep(0.01)      # polling the view costs the GUI thread too: not too often
        if time.perf_counter() - t0 > timeout:
            raise SystemExit(f"timed out after {timeout:.0f} s")
    return time.perf_counter() - t0


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--n", type=int, default=100_000)
    parser.add_argument("--p", type=int, default=1_000)
    parser.add_argument("--data", default="/tmp/nirdesk-scale")
    parser.add_argument("--format", choices=("csv", "npz"), default="csv",
                        help="open the CSV folder, or the same data as one .npz file")
    parser.add_argument("--steps", nargs="+", choices=STEPS, default=list(STEPS))
    parser.add_argument("--shot", help="save a PNG of the window after the reopen")
    parser.add_argument("--timeout", type=float, default=600.0)
    parser.add_argument("--trace", action="store_true",
                        help="print the GUI thread's stacks seen during pauses over 30 ms")
    args = parser.parse_args()
    folder = Path(args.data) / f"{args.n}x{args.p}"
    write_data(folder, args.n, args.p)
    source = folder if args.format == "csv" else write_npz(folder)

    if not os.environ.get("DISPLAY"):
        os.environ.setdefault("QT_QPA_PLATFORM", "offscreen")
    tmp = Path(tempfile.mkdtemp(prefix="nirdesk-scale-"))
    os.environ["NIRDESK_AUTOSAVE_DIR"] = str(tmp / "autosave")
    import warnings

    warnings.filterwarnings("ignore")
    from PySide6.QtWidgets import QApplication

    from app.common.settings import AppSettings
    from app.shell.main_window import MainWindow

    if args.trace:
        class TimingApp(QApplication):
            """Every event delivery timed: the slow ones say which widget and event."""

            slow: ClassVar[list[tuple[float, float, str]]] = []

            def notify(self, receiver: Any, event: Any) -> bool:
                t = time.perf_counter()
                kind = event.type()
                done = super().notify(receiver, event)
                seconds = time.perf_counter() - t
                if seconds > 0.02 and threading.current_thread() is threading.main_thread():
                    chain, obj = [], receiver
                    while obj is not None and len(chain) < 3:
                        name = obj.objectName() if hasattr(obj, "objectName") else ""
                        chain.append(type(obj).__name__ + (f"({name})" if name else ""))
                        obj = obj.parent() if hasattr(obj, "parent") else None
                    TimingApp.slow.append((t, seconds, "<".join(chain) + " " + kind.name))
                return done

        app = TimingApp([])
    else:
        app = QApplication.instance() or QApplication([])
    window = MainWindow(AppSettings(persistent=False), quiet=True)
    window.resize(1280, 800)
    window.show()
    for _ in range(20):
        app.processEvents()
    probe = Probe(args.trace)
    probe.start()
    state, view, project = window.state, window.view, window.bench.project
    dataset_bytes = args.n * args.p * 8
    base_rss = probe.proc.memory_info().rss
    print(f"{args.n:,} x {args.p:,} spectra = {dataset_bytes / 1e6:.0f} MB as float64; "
          f"window 1280x800, platform {app.platformName()}, load avg "
          f"{os.getloadavg()[0]:.2f}; main process RSS before opening {base_rss / 1e6:.0f} MB",
          flush=True)
    saved = tmp / "scale.nirdesk"
    rows = []

    def drawn() -> bool:
        return state.dataset is not None and view.is_drawn()

    def step(name: str, action: Any, done: Any) -> None:
        probe.reset()
        t0 = time.perf_counter()
        action()
        wait_until(app, done, args.timeout)
        seconds = time.perf_counter() - t0
        pause = max(probe.gaps, default=0.0) * 1000 - 5
        over = sum(1 for g in probe.gaps if g * 1000 - 5 > 50)
        rows.append((name, seconds, pause, over, probe.peak_rss))
        if args.trace:
            print("    pauses over 50 ms at (s after the step's start: ms, of which on CPU / "
                  "waiting for a CPU): " + ", ".join(
                      f"{end - gap - t0:.1f}: {gap * 1000 - 5:.0f} "
                      f"({(probe.sched[i][0] - probe.sched[i - 1][0]) / 1e6:.0f}/"
                      f"{(probe.sched[i][1] - probe.sched[i - 1][1]) / 1e6:.0f})"
                      for i, (gap, end) in enumerate(zip(probe.gaps, probe.ends, strict=True))
                      if i and gap * 1000 - 5 > 50))
        if args.trace:
            slow = [(start - t0, sec, gen, n) for start, sec, gen, n in probe.collections
                    if start >= t0]
            print(f"    garbage collections: {len(slow)}, {sum(c[1] for c in slow):.2f} s; "
                  "over 10 ms (s after start: ms, generation, collected): " + ", ".join(
                      f"{at:.1f}: {sec * 1000:.0f} g{gen} {n}" for at, sec, gen, n in slow
                      if sec > 0.01))
            probe.collections.clear()
            events = [e for e in app.slow if e[0] >= t0]
            print("    slow event deliveries (s after start: ms what): " + ", ".join(
                f"{at - t0:.1f}: {sec * 1000:.0f} {what}" for at, sec, what in events))
            app.slow.clear()
        if args.trace and probe.peak_stacks:
            print("    at the peak RSS, the other threads were in:")
            for thread, stack in probe.peak_stacks.items():
                if "wait" not in stack.splitlines()[-1] and "select" not in stack:
                    print(f"      [{thread}]\n{stack}")
            probe.peak_stacks = {}
        if args.trace and probe.stalls:
            for stack, count in sorted(probe.stalls.items(), key=lambda kv: -kv[1])[:4]:
                print(f"    --- {count} x 10 ms in:\n{stack}")
            probe.stalls.clear()
        print(f"  {name:<9} {seconds:7.2f} s   longest GUI pause {pause:5.0f} ms "
              f"({over} over 50 ms)   peak RSS {probe.peak_rss / 1e6:6.0f} MB = "
              f"{probe.peak_rss / dataset_bytes:.2f} x the dataset", flush=True)

    try:
        if "open" in args.steps:
            step("open", lambda: window.open_dataset(source),
                 lambda: drawn() and state.dataset.n_samples == args.n)
        if "recolour" in args.steps:
            mode = "partition" if state.colour_mode != "partition" else "target"
            step("recolour", lambda: state.set_colour_mode(mode), view.is_drawn)
        if "save" in args.steps:
            holder: dict[str, Any] = {}
            step("save", lambda: holder.setdefault("ok", project.save_as(saved)),
                 lambda: "ok" in holder and not project._busy)
            print(f"            project file {saved.stat().st_size / 1e6:.0f} MB")
        if "reopen" in args.steps:
            def reopen() -> None:
                project.new_project()
                wait_until(app, lambda: state.dataset is None or not project._busy, 60)
                project.open_project(saved)
            step("reopen", reopen, lambda: drawn() and state.dataset.n_samples == args.n)
            if args.shot:
                window.grab().save(args.shot)
        if "explore" in args.steps:
            control = window.exploration.view.controller
            got: dict[str, Any] = {}
            control.result_ready.connect(lambda result: got.setdefault("result", result))
            control.failed.connect(lambda error: got.setdefault("error", error))
            step("explore", lambda: control.set_active(True), lambda: bool(got))
            if "error" in got:
                print(f"            PCA failed: {got['error']}")
        if "run" in args.steps:
            bench = window.bench
            runner = bench.run_controller
            ran: dict[str, Any] = {"tasks": 0, "times": []}

            def task_done(_event: Any) -> None:
                ran["tasks"] += 1
                ran["times"].append(time.perf_counter())
            runner.task_done.connect(task_done)
            runner.finished.connect(lambda result: ran.setdefault("result", result))
            runner.failed.connect(lambda message: ran.setdefault("error", message))
            bench.editor.set_spec(RUN_SPEC)
            bench.flush_edits()
            started = time.perf_counter()
            step("run", bench.start_run, lambda: "result" in ran or "error" in ran)
            result = ran.get("result")
            if args.trace:
                print("            task events at (s): "
                      + ", ".join(f"{t - started:.1f}" for t in ran["times"]))
            print(f"            {ran['tasks']} task events; "
                  + (f"error {ran['error']}" if result is None else
                     "RMSECV " + ", ".join(f"{b.metrics['cv']['rmse']:.3f}"
                                          for b in result.branches)))
    finally:
        probe.stop()
        worst = max((r[2] for r in rows), default=0.0)
        peak = max((r[4] for r in rows), default=0)
        print(f"longest GUI pause {worst:.0f} ms (target < 50); peak main-process RSS "
              f"{peak / 1e6:.0f} MB = {peak / dataset_bytes:.2f} x the dataset (target < 2.5)")
        window.shutdown() if hasattr(window, "shutdown") else None
        window.close()


if __name__ == "__main__":
    main()
