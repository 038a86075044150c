"""The assembled window (pytest-qt, offscreen): the editor, the run toolbar/panel, the results,
the gauges and the project work together - F5 runs what the editor shows, the results fill
and equal an independent scikit-learn computation, the run lands in the project (title marked
unsaved, history row), a reopened project shows the same run, closing during a run asks."""
from __future__ import annotations

import numpy as np
import psutil
import pytest
from PySide6.QtCore import Qt
from PySide6.QtTest import QTest
from sklearn.cross_decomposition import PLSRegression
from sklearn.metrics import mean_squared_error
from sklearn.model_selection import KFold

from app.common.settings import AppSettings
from app.shell.main_window import MainWindow
from engine.io import load_dataset
from engine.registry import allow_module_prefix
from tests.reference import RefSNV

allow_module_prefix("tests")  # tests.faulty.SlowRegressor by dotted class path
WAIT = 60_000
SPEC = [{"branch": [["SNV", {"class": "PLSRegression",
                             "params": {"n_components": 5, "scale": False}}],
                    ["MSC", {"class": "Ridge", "params": {"alpha": 1.0}}]], "n_jobs": 2}]


@pytest.fixture
def window(qtbot, tmp_path, tecator_dir):
    spec = tmp_path / "two.json"
    import json

    spec.write_text(json.dumps(SPEC))
    w = MainWindow(AppSettings(tmp_path / "settings.ini"))
    qtbot.addWidget(w)
    w.resize(1280, 800)
    w.show()
    qtbot.waitExposed(w)
    w.activateWindow()
    QTest.qWaitForWindowActive(w, 5000)
    w.start(str(tecator_dir), "fat", str(spec))
    qtbot.waitUntil(lambda: w.state.dataset is not None and w.state.pipeline is not None
                    and w.is_settled(), timeout=WAIT)
    yield w
    w.bench.project.ask = lambda kind, **info: {"unsaved": "discard"}.get(kind)
    w.close()
    w.shutdown()


def _independent_snv_pls_rmsecv(tecator_dir) -> float:
    """Branch 1 (SNV > PLS(5)) cross-validated with plain numpy/scikit-learn: KFold(5,
    shuffle, random_state 0) on the training rows, the engine's default splitter."""
    ds = load_dataset(tecator_dir, target="fat")
    train = ds.train_indices
    X, y = RefSNV().fit_transform(ds.X[train]), ds.y[train]
    pred = np.empty_like(y)
    for tr, va in KFold(5, shuffle=True, random_state=0).split(X):
        pred[va] = np.ravel(PLSRegression(5, scale=False).fit(X[tr], y[tr]).predict(X[va]))
    return float(np.sqrt(mean_squared_error(y, pred)))


def test_f5_runs_the_editors_pipeline_and_fills_results_and_project(window, qtbot, tecator_dir):
    w = window
    assert not w.isWindowModified()
    assert len(w.bench.editor.spec()[0]["branch"]) == 2
    board = w.bench.results.model
    waiting: list[list[str]] = []   # the Branch cells while the branches wait
    w.bench.run_controller.started.connect(lambda *_: waiting.append(
        [board.index(r, 0).data() for r in range(board.rowCount())]))
    with qtbot.waitSignal(w.bench.run_finished, timeout=WAIT) as finished:
        QTest.keyClick(w, Qt.Key.Key_F5)
    result = finished.args[0]
    # a waiting row is named as its finished row will be (from the steps RunStarted carries)
    assert waiting == [[board.index(r, 0).data() for r in range(board.rowCount())]]
    assert [b.status for b in result.branches] == ["ok", "ok"]
    # the run panel and the results panel both saw every branch
    assert w.bench.run_panel.branch_status(1) == "ok" and w.bench.run_panel.branch_status(2) == "ok"
    rmsecv = result.branch(1).metrics["cv"]["rmse"]
    assert rmsecv == pytest.approx(_independent_snv_pls_rmsecv(tecator_dir), rel=1e-9)
    assert board.rowCount() == 2 and board.status(1) == "ok"
    # the Resources gauges poll while the window is up (1 Hz GUI timer)
    assert w.bench.gauges.is_running()
    with qtbot.waitSignal(w.bench.gauges.sampled, timeout=5000) as sampled:
        pass
    assert sampled.args[0].mem_total > 0 and len(sampled.args[0].per_core) >= 1
    assert board.result(1).metrics["cv"]["rmse"] == rmsecv
    # the layout is stable once the plots are drawn: no dock creeps taller pass after pass
    # (a pyqtgraph view's size hint follows its own size; it grew the Results dock 4 px per
    # layout pass, resizing and repainting the whole window ~20 times per run)
    qtbot.wait(300)
    heights = []
    for _ in range(6):
        heights.append(w.docks["resultsDock"].height())
        qtbot.wait(60)
    assert len(set(heights)) == 1, heights
    # recorded in the project: unsaved marker, one row in the runs history
    qtbot.waitUntil(lambda: len(w.bench.project.runs()) == 1, timeout=WAIT)
    assert w.isWindowModified()
    assert w.bench.history.table.rowCount() == 1


def test_an_edit_in_the_editor_becomes_the_windows_pipeline_and_marks_unsaved(window, qtbot):
    w = window
    editor = w.bench.editor
    editor.controller.add_lane((0,))
    editor.controller.insert_step((0, 2), 0, {"class": "PLSRegression",
                                              "params": {"n_components": 3}})
    qtbot.waitUntil(lambda: len(w.state.pipeline.branches) == 3, timeout=WAIT)
    assert w.isWindowModified()
    # Ctrl+Z undoes it from anywhere in the window (focus on the spectra plot here); the
    # window's branches follow
    w.view.setFocus()
    QTest.keyClick(w.view, Qt.Key.Key_Z, Qt.KeyboardModifier.ControlModifier)
    QTest.keyClick(w.view, Qt.Key.Key_Z, Qt.KeyboardModifier.ControlModifier)
    qtbot.waitUntil(lambda: len(w.state.pipeline.branches) == 2, timeout=WAIT)
    QTest.keyClick(w.view, Qt.Key.Key_Z,
                   Qt.KeyboardModifier.ControlModifier | Qt.KeyboardModifier.ShiftModifier)
    qtbot.waitUntil(lambda: editor.controller.doc.lanes((0,)) == 3, timeout=WAIT)


def test_saved_project_reopens_with_its_run_in_the_results(window, qtbot, tmp_path):
    w = window
    with qtbot.waitSignal(w.bench.run_finished, timeout=WAIT) as finished:
        w.bench.start_run()
    rmsecv = finished.args[0].branch(1).metrics["cv"]["rmse"]
    qtbot.waitUntil(lambda: len(w.bench.project.runs()) == 1, timeout=WAIT)
    path = tmp_path / "saved.nirdesk"
    assert w.bench.project.save_as(str(path))
    assert not w.isWindowModified() and "saved.nirdesk" in w.windowTitle()

    w2 = MainWindow(AppSettings(tmp_path / "settings2.ini"))
    qtbot.addWidget(w2)
    try:
        with qtbot.waitSignal(w2.bench.project.run_loaded, timeout=WAIT):
            assert w2.bench.project.open_project(str(path))
        assert w2.state.dataset.name == "tecator" and w2.state.dataset.target == "fat"
        assert w2.bench.editor.spec() == w.bench.editor.spec()
        qtbot.waitUntil(lambda: w2.bench.results.selected_branch() is not None, timeout=WAIT)
        assert w2.bench.history.table.rowCount() == 1
        stored = w2.bench.project.runs()[0]
        assert stored.n_branches == 2
        board = w2.bench.results.model
        assert board.rowCount() == 2
        assert board.result(1).metrics["cv"]["rmse"] == pytest.approx(rmsecv, rel=1e-12)
    finally:
        w2.shutdown()


def test_closing_during_a_run_asks_then_stops_it(window, qtbot):
    w = window
    w.bench.editor.set_spec([{"branch": [[{"class": "tests.faulty.SlowRegressor",
                                           "params": {"seconds": 30}}]]}])
    w.bench.flush_edits()
    asked = []

    def ask(_parent):
        asked.append(True)
        return True

    with qtbot.waitSignal(w.bench.run_controller.running_changed, timeout=WAIT):
        assert w.bench.start_run()
    assert w.bench.run_controller.is_running()
    w.bench.project.ask = lambda kind, **info: {"unsaved": "discard"}.get(kind)
    assert w.bench.confirm_close(ask=ask) is True
    assert asked == [True]
    assert not w.bench.run_controller.is_running()
    assert not [p for p in psutil.Process().children(recursive=True)
                if p.is_running() and p.status() != psutil.STATUS_ZOMBIE
                and "resource_tracker" not in " ".join(p.cmdline())]


def test_settings_execution_on_a_dask_cluster_gives_the_local_results(window, qtbot,
                                                                      dask_cluster, tecator_dir):
    """Settings > Execution > Dask: the next F5 runs on the cluster; the numbers equal a
    local in-process run of the same spec; the gauges list the cluster's two workers."""
    from engine.backends import ExecutionChoice
    from engine.run import run

    w = window
    choice = ExecutionChoice("dask", dask_cluster.address)
    # chosen while a (local) run is going: it applies once that run has finished
    with qtbot.waitSignal(w.bench.run_finished, timeout=WAIT):
        assert w.bench.start_run()
        assert not w.bench.apply_execution_choice(choice)
        assert w.bench.execution_choice().backend == "loky"
    qtbot.waitUntil(lambda: w.bench.execution_choice() == choice, timeout=WAIT)
    with qtbot.waitSignal(w.bench.run_finished, timeout=WAIT) as finished:
        QTest.keyClick(w, Qt.Key.Key_F5)
    on_cluster = finished.args[0]
    local = run(SPEC, load_dataset(tecator_dir, target="fat"), verbose=0)
    for a, b in zip(on_cluster.branches, local.branches, strict=True):
        assert a.status == b.status == "ok"
        for part in ("cv", "test"):
            for key, value in b.metrics[part].items():
                assert a.metrics[part][key] == pytest.approx(value, rel=1e-12, abs=1e-12)
    qtbot.waitUntil(lambda: len(w.bench.gauges.sample_now().remote or []) == 2, timeout=WAIT)
    # back to this computer
    assert w.bench.apply_execution_choice(ExecutionChoice())
    assert w.bench.gauges.sample_now().remote in (None, [])


def test_demo_run_with_screenshot_exits_0_after_the_results(tmp_path):
    """`nirdesk --demo-run --screenshot PATH`: opens the demo, runs it, saves the window with
    its results, exits 0 (a subprocess, as a user or a release script runs it)."""
    import os
    import subprocess
    import sys

    from PySide6.QtGui import QImage

    png = tmp_path / "demo.png"
    env = dict(os.environ, QT_QPA_PLATFORM="offscreen",
               NIRDESK_SETTINGS=str(tmp_path / "s.ini"))
    proc = subprocess.run([sys.executable, "-m", "app.main", "--demo-run", "--screenshot",
                           str(png)], env=env, capture_output=True, text=True, timeout=240)
    assert proc.returncode == 0, proc.stderr[-2000:]
    assert "demo run: 4 branches ok" in proc.stdout
    image = QImage(str(png))
    assert image.width() == 1280 and image.height() == 800


def test_start_with_a_project_path_opens_it_instead_of_the_demo(qtbot, tmp_path, tecator_dir):
    """`nirdesk PROJECT` (double-click): the project's dataset and pipeline, not the demo."""
    from engine.store import Project

    ds = load_dataset(tecator_dir)
    ds.X[0, 0] += 1.0   # not the demo's data: the window must show the project's own
    path = tmp_path / "p.nirdesk"
    with Project.create(path) as project:
        project.save_dataset(ds)
        project.save_pipeline(SPEC, name="two")
    w = MainWindow(AppSettings(tmp_path / "s.ini"))
    qtbot.addWidget(w)
    try:
        assert w.start_with_project(str(path))
        assert w.state.dataset.n_samples == 215
        np.testing.assert_array_equal(w.state.dataset.X, ds.X)
        assert "p.nirdesk" in w.windowTitle() and not w.isWindowModified()
        assert len(w.bench.editor.spec()[0]["branch"]) == 2
        # a file that is not a project: one line in the message area, and nothing opened in
        # its place (the demo data would pass for the project's)
        bad = tmp_path / "bad.nirdesk"
        bad.write_bytes(b"not a database at all" * 10)
        w2 = MainWindow(AppSettings(tmp_path / "s2.ini"), quiet=True)
        qtbot.addWidget(w2)
        assert not w2.start_with_project(str(bad))
        assert len(w2.errors) == 1 and "bad.nirdesk" in w2.errors[0]
        assert w2.errors[0] in w2.statusBar().currentMessage()
        qtbot.wait(300)
        assert w2.state.dataset is None
        w2.shutdown()
    finally:
        w.shutdown()


def test_esc_in_the_editor_clears_its_card_not_the_spectra_selection(window, qtbot):
    """Esc with a card selected (focus in the editor) unselects the card; the spectra selected
    in the plot stay selected (the window's Esc would have cleared them)."""
    w = window
    w.state.set_selection([0, 1, 2])
    canvas = w.bench.editor.canvas
    canvas.select((0, 0, 0))
    canvas.setFocus()
    qtbot.waitUntil(canvas.hasFocus, timeout=5000)
    QTest.keyClick(canvas, Qt.Key.Key_Escape)
    assert canvas.selected is None
    assert list(w.state.selection) == [0, 1, 2]
    # with no card selected, Esc is the window's again
    QTest.keyClick(canvas, Qt.Key.Key_Escape)
    assert w.state.selection.size == 0


def test_esc_cancels_a_run_even_with_a_card_selected_in_the_editor(window, qtbot):
    w = window
    w.bench.editor.set_spec([{"branch": [[{"class": "tests.faulty.SlowRegressor",
                                           "params": {"seconds": 30}}]]}])
    w.bench.flush_edits()
    canvas = w.bench.editor.canvas
    canvas.select((0, 0, 0))
    with qtbot.waitSignal(w.bench.run_controller.running_changed, timeout=WAIT):
        assert w.bench.start_run()
    canvas.setFocus()
    qtbot.waitUntil(canvas.hasFocus, timeout=5000)
    with qtbot.waitSignal(w.bench.run_finished, timeout=5000) as finished:
        QTest.keyClick(canvas, Qt.Key.Key_Escape)
    assert finished.args[0].cancelled


def test_the_workbench_needs_no_main_window(qtbot, tmp_path, tecator_dir):
    """Built on a plain QMainWindow with a state, settings and a notifier: it reports through
    the notifier and asks for docks and the shown pipeline through signals, never through a
    window's methods."""
    from PySide6.QtWidgets import QMainWindow

    from app.common.notify import Notifier
    from app.model.state import WorkbenchState
    from app.model.tasks import load
    from app.shell.workbench import Workbench

    host = QMainWindow()
    qtbot.addWidget(host)
    state = WorkbenchState()
    notifier = Notifier(host, quiet=True)
    bench = Workbench(state, AppSettings(tmp_path / "s.ini"), notifier, host)
    docks, edited = [], []
    bench.raise_dock.connect(docks.append)
    bench.pipeline_edited.connect(edited.append)
    try:
        assert not bench.start_run()
        assert host.statusBar().currentMessage() == "Open a dataset first: nothing to run on"
        loaded = load(str(tecator_dir), "fat")
        state.set_dataset(loaded.dataset, loaded.raw, loaded.path)
        bench.dataset_opened(loaded.dataset)
        bench.editor.set_spec(SPEC)
        bench.flush_edits()
        assert [len(p.branches) for p in edited] == [2]
        with qtbot.waitSignal(bench.run_finished, timeout=WAIT):
            assert bench.start_run()
        assert docks[:2] == ["runDock", "resultsDock"]
        assert host.statusBar().currentMessage().startswith("Run finished: 2 of 2 branches ok")
        assert bench.confirm_close()          # quiet: no question
    finally:
        bench.shutdown()
