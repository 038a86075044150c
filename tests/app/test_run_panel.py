"""Run / Cancel from the GUI (pytest-qt, offscreen): the controller drives the engine on a
QThread, the panel shows per-branch progress and the log, Cancel stops the workers within
2 s and leaves no child process, a failing branch shows failed while the others finish,
closing during a run asks first, and the GUI thread keeps serving its event loop."""
from __future__ import annotations

import json
import time

import numpy as np
import psutil
import pytest
from PySide6.QtCore import Qt, QTimer
from PySide6.QtGui import QAction, QKeySequence
from PySide6.QtTest import QTest
from PySide6.QtWidgets import QDockWidget, QLabel, QMainWindow
from sklearn.cross_decomposition import PLSRegression
from sklearn.model_selection import KFold

from app.run import RunController, RunPanel, RunToolbar, confirm_close
from app.run.panel import group_title
from engine.events import TaskDone
from engine.executor import TaskPool
from engine.io import load_dataset
from engine.registry import allow_module_prefix
from engine.resources import demo_pipeline_path

allow_module_prefix("tests")  # tests.faulty estimators by dotted class path

WAIT = 60_000  # ms; waits end as soon as the signal arrives
SLOW = {"class": "tests.faulty.SlowRegressor", "params": {"seconds": 30}}
CANCEL_SPEC = [{"branch": [[{"class": "Ridge"}]]}, {"branch": [[SLOW], [SLOW]], "n_jobs": 2}]


@pytest.fixture(scope="module")
def pool():
    p = TaskPool()
    yield p
    p.shutdown()


@pytest.fixture
def parallel_small(monkeypatch):
    """The test data is tiny: without this the policy would (rightly) run it sequentially and
    the pool's two workers would not be exercised (the rule itself is tested in test_policy)."""
    import engine.policy as policy

    for name in ("COLD_START_SECONDS", "WARM_START_SECONDS", "TASK_OVERHEAD_SECONDS"):
        monkeypatch.setattr(policy, name, 0.0)


class Harness(QMainWindow):
    """What the main window will do: toolbar + run dock, Esc also used by "Clear selection",
    closeEvent asking through confirm_close."""

    def __init__(self, pool, dataset, pipeline, ask=None):
        super().__init__()
        self.run_controller = RunController(self, pool_factory=lambda: pool)
        self.cleared = 0
        self.clear_action = QAction("Clear selection", self)
        self.clear_action.setShortcut(QKeySequence("Esc"))
        self.clear_action.triggered.connect(self._clear)
        self.addAction(self.clear_action)
        self.toolbar = RunToolbar(self)
        self.addToolBar(self.toolbar)
        self.toolbar.attach(self.run_controller, esc_actions=[self.clear_action])
        self.panel = RunPanel()
        self.panel.attach(self.run_controller)
        dock = QDockWidget("Run", self)
        dock.setWidget(self.panel)
        self.addDockWidget(Qt.DockWidgetArea.RightDockWidgetArea, dock)
        self.setCentralWidget(QLabel("spectra"))
        self.dataset, self.pipeline, self.ask = dataset, pipeline, ask
        self.toolbar.run_action.triggered.connect(lambda: self.start_run())
        self.events = {"started": [], "tasks": [], "branches": [], "finished": [], "failed": []}
        c = self.run_controller
        c.started.connect(lambda plan, names: self.events["started"].append((plan, names)))
        c.task_done.connect(self.events["tasks"].append)
        c.branch_finished.connect(self.events["branches"].append)
        c.finished.connect(self.events["finished"].append)
        c.failed.connect(self.events["failed"].append)
        self.resize(1000, 600)

    def _clear(self):
        self.cleared += 1

    def start_run(self, target=None):
        return self.run_controller.start(self.dataset, self.pipeline,
                                         workers=self.toolbar.workers(), target=target)

    def closeEvent(self, event):  # noqa: N802
        if not confirm_close(self.run_controller, self, ask=self.ask):
            event.ignore()
            return
        self.run_controller.shutdown(stop_pool=False)
        super().closeEvent(event)


@pytest.fixture
def make_window(qtbot, pool):
    made = []

    def make(dataset, pipeline, ask=None):
        win = Harness(pool, dataset, pipeline, ask)
        qtbot.addWidget(win)
        win.show()
        qtbot.waitExposed(win)
        win.activateWindow()
        QTest.qWaitForWindowActive(win, 5000)   # window shortcuts need the active window
        made.append(win)
        return win

    yield make
    for win in made:
        win.run_controller.shutdown(stop_pool=False)


class StallProbe:
    """A 10 ms GUI-thread timer: the largest gap between its timeouts is how long the event
    loop was blocked."""

    def __init__(self):
        self.times = []
        self.timer = QTimer()
        self.timer.setInterval(10)
        self.timer.timeout.connect(lambda: self.times.append(time.perf_counter()))
        self.timer.start()

    def max_gap(self):
        self.timer.stop()
        return float(np.max(np.diff(self.times))) if len(self.times) > 1 else float("inf")


def _children():
    return [p for p in psutil.Process().children(recursive=True)
            if p.status() != psutil.STATUS_ZOMBIE]


def _snv(X):
    centred = X - X.mean(axis=1, keepdims=True)
    return centred / np.sqrt((centred ** 2).mean(axis=1, keepdims=True))


def test_demo_pipeline_runs_to_completion_with_2_workers(make_window, qtbot, tecator_dir,
                                                         parallel_small):
    ds = load_dataset(tecator_dir)
    spec = json.loads(demo_pipeline_path().read_text())
    win = make_window(ds, spec)
    win.toolbar.set_workers(2)
    assert win.toolbar.workers() == 2
    target = ds.target
    probe = StallProbe()
    with qtbot.waitSignal(win.run_controller.finished, timeout=WAIT):
        QTest.keyClick(win, Qt.Key.Key_F5)               # Run's shortcut
        assert win.run_controller.is_running()
        assert not win.toolbar.run_action.isEnabled()
        ds.select_target("fat")                          # the GUI changes its target meanwhile
        spec["steps"][1]["params"]["n_components"] = 2   # and edits the pipeline
    assert probe.max_gap() < 1.0
    result = win.events["finished"][0]
    assert not result.cancelled and result.dataset["target"] == target
    assert [b.status for b in result.branches] == ["ok"] * 4
    panel = win.panel
    assert all(panel.branch_status(b.id) == "ok" for b in result.branches)
    # 5 folds + refit
    assert all(panel.branch_progress(b.id)[:2] == (6, 6) for b in result.branches)
    assert panel.overall.value() == panel.overall.maximum() == 24
    assert [t for t in panel.group_titles()] == ["step 1 \u00b7 parallel \u00d72"]
    plan, names = win.events["started"][0]
    assert plan[0]["branch_ids"] == [1, 2, 3, 4] and len(names) == 4
    assert win.events["tasks"][-1].done == 24
    log = panel.log.toPlainText()
    assert log.rstrip().endswith(f"wall time {result.seconds:.3f} s")   # the timing table
    assert "id  branch" in log
    # RMSECV / RMSEP of SNV > PLS(10), computed independently with numpy + scikit-learn
    ds.select_target(target)
    train, test = ds.train_indices, ds.test_indices
    X, y = _snv(ds.X), ds.y
    pred = np.empty(train.size)
    for tr, va in KFold(5, shuffle=True, random_state=0).split(train):
        pls = PLSRegression(n_components=10, scale=False).fit(X[train[tr]], y[train[tr]])
        pred[va] = pls.predict(X[train[va]]).ravel()
    snv = next(b for b in result.branches if b.name.startswith("SNV"))
    np.testing.assert_allclose(snv.metrics["cv"]["rmse"], np.sqrt(np.mean((y[train] - pred) ** 2)),
                               rtol=1e-6)
    refit = PLSRegression(n_components=10, scale=False).fit(X[train], y[train])
    rmsep = np.sqrt(np.mean((y[test] - refit.predict(X[test]).ravel()) ** 2))
    np.testing.assert_allclose(snv.metrics["test"]["rmse"], rmsep, rtol=1e-6)
    assert win.toolbar.run_action.isEnabled() and not win.toolbar.cancel_action.isEnabled()


def test_failing_branch_shows_failed_while_others_finish(make_window, qtbot, tecator_dir,
                                                         parallel_small):
    ds = load_dataset(tecator_dir)
    spec = [{"branch": [["SNV", {"class": "PLSRegression", "params": {"n_components": 5}}],
                        [{"class": "tests.faulty.RaisingRegressor",
                          "params": {"message": "singular matrix"}}],
                        ["MSC", "Ridge"]], "n_jobs": 2}]
    win = make_window(ds, spec)
    win.toolbar.set_workers(2)
    with qtbot.waitSignal(win.run_controller.finished, timeout=WAIT):
        win.toolbar.run_action.trigger()
    result = win.events["finished"][0]
    assert [b.status for b in result.branches] == ["ok", "failed", "ok"]
    panel = win.panel
    assert [panel.branch_status(i) for i in (1, 2, 3)] == ["ok", "failed", "ok"]
    assert "ValueError: singular matrix" in panel._rows[2].toolTip(2)
    assert "[2] tests.faulty.RaisingRegressor" in panel.log.toPlainText() or \
        "FAILED - ValueError: singular matrix" in panel.log.toPlainText()
    assert "2 ok, 1 failed" in panel.status_label.text()


def test_cancel_with_esc_stops_within_2_s_and_leaves_no_process(make_window, qtbot, tecator_dir,
                                                                parallel_small):
    ds = load_dataset(tecator_dir)
    win = make_window(ds, CANCEL_SPEC)
    win.toolbar.set_workers(2)
    c = win.run_controller
    probe = StallProbe()
    assert win.start_run()
    assert not win.start_run()                        # one run at a time
    assert win.toolbar.cancel_action.shortcut() == QKeySequence("Esc")
    assert win.clear_action.shortcut().isEmpty()      # lent to Cancel while running
    qtbot.waitUntil(lambda: win.panel.branch_status(1) == "ok", timeout=WAIT)
    qtbot.waitUntil(lambda: len(c.worker_pids()) == 2, timeout=WAIT)
    qtbot.wait(700)                                   # the slow fits are in the workers now
    workers = c.worker_pids()
    with qtbot.waitSignal(c.finished, timeout=WAIT):
        t0 = time.monotonic()
        QTest.keyClick(win, Qt.Key.Key_Escape)
    seconds = time.monotonic() - t0
    assert seconds < 2.0, f"cancel took {seconds:.2f} s"
    assert win.cleared == 0
    assert probe.max_gap() < 1.0
    assert not [p for p in workers if psutil.pid_exists(p)
                and psutil.Process(p).status() != psutil.STATUS_ZOMBIE]
    assert _children() == []
    result = win.events["finished"][0]
    assert result.cancelled
    assert [b.status for b in result.branches] == ["ok", "cancelled", "cancelled"]
    assert [win.panel.branch_status(i) for i in (1, 2, 3)] == ["ok", "cancelled", "cancelled"]
    assert win.panel.status_label.text().startswith("Cancelled")
    assert not c.is_running() and win.toolbar.run_action.isEnabled()
    assert win.clear_action.shortcut() == QKeySequence("Esc")   # given back
    QTest.keyClick(win, Qt.Key.Key_Escape)
    assert win.cleared == 1


def test_closing_during_a_run_asks_then_cancels_and_waits(make_window, qtbot, tecator_dir,
                                                          parallel_small):
    ds = load_dataset(tecator_dir)
    answers = []
    win = make_window(ds, CANCEL_SPEC, ask=lambda parent: answers.pop(0))
    win.toolbar.set_workers(2)
    c = win.run_controller
    assert win.start_run()
    qtbot.waitUntil(lambda: len(c.worker_pids()) == 2, timeout=WAIT)
    answers.append(False)
    assert not win.close()                      # "No": the window and the run go on
    assert win.isVisible() and c.is_running()
    answers.append(True)
    t0 = time.monotonic()
    assert win.close()                          # "Yes": cancelled, waited for, closed
    assert time.monotonic() - t0 < 3.0
    assert not c.is_running() and win.events["finished"][0].cancelled
    assert _children() == []


def test_bad_target_fails_with_one_line_and_nothing_runs(make_window, qtbot, tecator_dir):
    ds = load_dataset(tecator_dir)
    win = make_window(ds, ["SNV", "PLSRegression"])
    with qtbot.waitSignal(win.run_controller.failed, timeout=WAIT) as blocker:
        assert win.start_run(target="nope")
    message = blocker.args[0]
    assert "unknown target 'nope'" in message and "\n" not in message
    assert win.panel.status_label.text() == f"Could not run: {message}"
    assert not win.run_controller.is_running() and win.toolbar.run_action.isEnabled()
    assert win.events["finished"] == []


def test_workers_spin_auto_and_group_titles(qtbot):
    bar = RunToolbar()
    qtbot.addWidget(bar)
    assert bar.workers() == -1 and bar.workers_spin.text() == "Auto"
    with qtbot.waitSignal(bar.workers_changed) as blocker:
        QTest.keyClick(bar.workers_spin, Qt.Key.Key_Up)
    assert blocker.args == [1] and bar.workers() == 1
    # the plan entry as the engine writes it (the title reads the reason's data, not its text)
    from engine.machine import DataFacts, MachineFacts
    from engine.pipeline import parse_pipeline
    from engine.policy import decide

    spec = ["SNV", "PLSRegression", {"branch": [["MSC", "Ridge"], ["Lasso"]], "n_jobs": 1}]
    plan = decide(parse_pipeline(spec), machine=MachineFacts(2, 8 * 2**30, 4 * 2**30),
                  data=DataFacts(n_train=100, n_features=50)).to_json()
    seq = plan[1]
    assert seq["reasons"][0]["message"] == "Sequential: this branch step asks for n_jobs=1"
    assert group_title(seq)[0] == ("step 3 \u00b7 sequential \u2014 "
                                   "this branch step asks for n_jobs=1")
    assert group_title(seq)[1] == ("Sequential: this branch step asks for n_jobs=1 (fix: set "
                                   "n_jobs=-1 (auto) or 2+ to run its branches in parallel)")


def test_remaining_time_follows_the_task_rate(qtbot):
    panel = RunPanel()
    qtbot.addWidget(panel)
    panel.on_running_changed(True)
    panel.on_started([{"step": "step 1", "mode": "parallel", "workers": 2, "reasons": [],
                       "branch_ids": [1, 2], "tasks": {1: 6, 2: 6}, "tuned": {}}],
                     {1: "a", 2: "b"})
    panel.on_task_done(TaskDone(1, 0, 1, 12, 1.0))      # the first task after a 1 s start
    assert panel.remaining_seconds() is None            # no rate measured yet
    panel.on_task_done(TaskDone(1, 1, 3, 12, 2.0))      # 2 more tasks in 1 s
    expected = 1.0 / 2 * (12 - 3)                        # 0.5 s per task, 9 left
    assert abs(panel.remaining_seconds() - expected) < 0.2
    assert panel.branch_status(1) == "running" and panel.branch_status(2) == "queued"
    assert panel.overall.value() == 3 and panel.overall.maximum() == 12
    assert "left" in panel.time_label.text()
    panel.on_running_changed(False)


def test_per_branch_counts_from_the_engine_are_used_when_present(qtbot):
    """TaskDone is throttled (20 Hz), so counting events undercounts a branch; an engine
    that reports branch_done / branch_total per event gives exact bars."""
    from types import SimpleNamespace

    panel = RunPanel()
    qtbot.addWidget(panel)
    panel.on_running_changed(True)
    panel.on_started([{"step": "step 1", "mode": "sequential", "workers": 1, "reasons": [],
                       "branch_ids": [1], "tasks": {1: None}, "tuned": {1: True}}], {1: "tuned"})
    assert panel.branch_progress(1) == (0, None, "tasks")
    panel.on_task_done(TaskDone(1, 0, 1, 31, 0.2))                 # today's engine: counted
    assert panel.branch_progress(1) == (1, None, "tasks")
    panel.on_task_done(SimpleNamespace(branch_id=1, fold=0, done=9, total=31, elapsed=0.5,
                                       branch_done=9, branch_total=31))
    assert panel.branch_progress(1) == (9, 31, "tasks")
    panel.on_running_changed(False)


def test_the_plan_rows_are_read_from_the_run_started_event(qtbot):
    """The worker copies the engine's groups and counts (RunStarted) into the plan rows; the
    panel sizes every bar from them, tuned branches included."""
    from app.run.worker import annotate_plan
    from engine.events import RunStarted

    plan = [{"step": "top level", "path": None, "mode": "sequential", "workers": 1,
             "reasons": []},
            {"step": "step 3", "path": [2], "mode": "parallel", "workers": 2, "reasons": []}]
    event = RunStarted(4, 4 + 16 + 5, plan, {1: "PLS", 2: "tuned Ridge", 4: "timed"},
                       [[1], [2, 3, 4]], {1: 4, 2: 16, 4: None}, {1: False, 2: True, 4: True})
    rows = annotate_plan(event)
    assert [r["branch_ids"] for r in rows] == [[1], [2, 4]]       # 3 does not run (disabled)
    assert rows[1]["tasks"] == {2: 16, 4: None} and rows[1]["tuned"] == {2: True, 4: True}
    assert rows[1]["steps"] == {2: [], 4: []}   # the event named none: nothing invented
    assert "branch_ids" not in event.plan[0]                       # the event is not changed
    panel = RunPanel()
    qtbot.addWidget(panel)
    panel.on_running_changed(True)
    panel.on_started(rows, dict(event.branch_names))
    assert panel.branch_progress(1) == (0, 4, "folds")
    assert panel.branch_progress(2) == (0, 16, "tasks")
    assert panel.branch_progress(4) == (0, None, "tasks")
    assert panel.overall.maximum() == 4 + 16
    panel.on_running_changed(False)
