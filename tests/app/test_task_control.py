"""The task per target in the window (issue 15): the Dataset panel shows the engine's task for
the target, offers whole-number codes as classes without switching them, switches on one click
(through WorkbenchState.set_task -> dataset.set_task), a PLS-DA run then scores classes like an
independent scikit-learn computation, and a saved project reopens with the choice."""
from __future__ import annotations

import json
import shutil

import numpy as np
import pytest
from PySide6.QtCore import Qt
from PySide6.QtTest import QTest
from sklearn.cross_decomposition import PLSRegression
from sklearn.metrics import balanced_accuracy_score
from sklearn.model_selection import KFold

from app.common.settings import AppSettings
from app.model.spectra_data import SpectraData
from app.model.state import WorkbenchState
from app.shell.main_window import MainWindow
from app.spectra.dataset_panel import DatasetPanel
from engine.io import load_dataset

WAIT = 60_000
SPEC = [{"class": "PLSDA", "params": {"n_components": 5}}]


@pytest.fixture
def graded_dir(tmp_path, tecator_dir):
    """The tecator spectra with a 'grade' column of codes 1..6 (fat sextiles) beside fat."""
    folder = tmp_path / "graded"
    shutil.copytree(tecator_dir, folder)
    lines = (folder / "y.csv").read_text().splitlines()
    fat = np.array([float(line.split(",")[1]) for line in lines[1:]])
    grade = 1 + np.searchsorted(np.quantile(fat, [1 / 6, 2 / 6, 3 / 6, 4 / 6, 5 / 6]), fat,
                                side="right")
    assert sorted(set(grade.tolist())) == [1, 2, 3, 4, 5, 6]
    rows = [lines[0] + ",grade"] + [f"{line},{g}" for line, g in zip(lines[1:], grade,
                                                                      strict=True)]
    (folder / "y.csv").write_text("\n".join(rows) + "\n")
    return folder


def _panel(qtbot, folder, target):
    state = WorkbenchState()
    panel = DatasetPanel(state)
    qtbot.addWidget(panel)
    ds = load_dataset(folder, target=target)
    raw = SpectraData.build(ds.X, ds.wavelengths, wavelengths_known=True, title="raw")
    state.set_dataset(ds, raw, str(folder))
    return state, panel


def test_codes_are_offered_not_switched_and_one_click_switches(qtbot, graded_dir):
    state, panel = _panel(qtbot, graded_dir, "grade")
    panel.show()
    heard: list[str] = []
    state.events.connect("task", lambda: heard.append(state.dataset.task("grade")))
    # offered, never switched silently: still regression, the offer names the six codes
    assert state.dataset.task("grade") == "regression" and "grade" not in state.dataset.tasks
    assert panel.task.currentData() == "regression"
    assert panel.offer.isVisible()
    assert panel.offer_text.text() == "Classification? 6 whole-number values"
    QTest.mouseClick(panel.offer_button, Qt.MouseButton.LeftButton)
    assert heard == ["classification"]
    assert state.dataset.tasks == {"grade": "classification"}
    assert state.dataset.is_classification
    assert panel.task.currentData() == "classification" and not panel.offer.isVisible()
    # the chooser switches back (the user's choice, kept as such: no offer again)
    panel.task.activated.emit(panel.task.findData("regression"))
    assert heard == ["classification", "regression"]
    assert state.dataset.tasks == {"grade": "regression"} and not panel.offer.isVisible()


def test_fractional_target_is_not_offered_and_cannot_be_classes(qtbot, graded_dir):
    state, panel = _panel(qtbot, graded_dir, "fat")
    panel.show()
    assert panel.task.currentData() == "regression" and not panel.offer.isVisible()
    item = panel.task.model().item(panel.task.findData("classification"))
    assert not item.isEnabled() and "fractional" in item.toolTip()
    # another target of the same dataset: the panel follows the chooser
    state.set_target("grade")
    assert panel.offer.isVisible()


def test_text_target_is_classification_and_cannot_be_regressed(qtbot, tmp_path, tecator_dir):
    folder = tmp_path / "labels"
    shutil.copytree(tecator_dir, folder)
    lines = (folder / "y.csv").read_text().splitlines()
    rows = [lines[0] + ",kind"] + [f"{line},{'lean' if i % 2 else 'rich'}"
                                   for i, line in enumerate(lines[1:])]
    (folder / "y.csv").write_text("\n".join(rows) + "\n")
    _state, panel = _panel(qtbot, folder, "kind")
    assert panel.task.currentData() == "classification" and not panel.offer.isVisible()
    item = panel.task.model().item(panel.task.findData("regression"))
    assert not item.isEnabled() and "text" in item.toolTip()
    assert "automatic" in panel.task.toolTip()


def _independent_plsda_balanced_accuracy(folder) -> float:
    """PLS-DA (one-hot PLS(5), arg-max) cross-validated with plain numpy/scikit-learn on the
    training rows: KFold(5, shuffle, random_state 0), the engine's default splitter."""
    ds = load_dataset(folder, target="grade")
    train = ds.train_indices
    X, y = ds.X[train], np.asarray(ds.targets["grade"])[train].astype(int)
    pred = np.empty_like(y)
    for tr, va in KFold(5, shuffle=True, random_state=0).split(X):
        classes, codes = np.unique(y[tr], return_inverse=True)
        onehot = np.eye(classes.size)[codes]
        scores = PLSRegression(5, scale=False).fit(X[tr], onehot).predict(X[va])
        pred[va] = classes[np.argmax(scores, axis=1)]
    return float(balanced_accuracy_score(y, pred))


def test_window_runs_plsda_on_the_chosen_classes_and_the_project_keeps_it(qtbot, tmp_path,
                                                                         graded_dir):
    spec = tmp_path / "plsda.json"
    spec.write_text(json.dumps(SPEC))
    w = MainWindow(AppSettings(tmp_path / "settings.ini"))
    qtbot.addWidget(w)
    w.resize(1280, 800)
    w.show()
    qtbot.waitExposed(w)
    w.start(str(graded_dir), "grade", str(spec))
    qtbot.waitUntil(lambda: w.state.dataset is not None and w.state.pipeline is not None
                    and w.is_settled(), timeout=WAIT)
    w2 = None
    try:
        panel = w.dataset_panel
        assert w.bench.editor.palette._task == "regression"
        assert panel.offer.isVisible() and not w.isWindowModified()
        QTest.mouseClick(panel.offer_button, Qt.MouseButton.LeftButton)
        assert w.state.dataset.is_classification
        # the editor's palette now offers the classification models; the project changed
        assert w.bench.editor.palette._task == "classification"
        assert w.isWindowModified()
        with qtbot.waitSignal(w.bench.run_finished, timeout=WAIT) as finished:
            assert w.bench.start_run()
        result = finished.args[0]
        assert result.task == "classification"
        assert [b.status for b in result.branches] == ["ok"]
        cv = result.branch(1).metrics["cv"]
        assert cv["balanced_accuracy"] == pytest.approx(
            _independent_plsda_balanced_accuracy(graded_dir), abs=1e-12)
        # the results show the class metrics (the leaderboard's columns are the task's) and a
        # confusion matrix of the six codes whose counts are the run's out-of-fold predictions
        assert w.bench.results.model.task == "classification"
        predicted = w.bench.results.plots["predicted"]
        qtbot.waitUntil(lambda: predicted.confusion is not None, timeout=WAIT)
        assert predicted.classes == ["1", "2", "3", "4", "5", "6"]
        ds = w.state.dataset
        observed = np.asarray(ds.targets["grade"])[ds.train_indices].astype(int)
        oof = np.asarray(result.branch(1).oof_predictions).astype(int)
        expected = np.zeros((6, 6), dtype=int)
        np.add.at(expected, (observed - 1, oof - 1), 1)
        assert np.array_equal(predicted.confusion, expected)
        qtbot.waitUntil(lambda: len(w.bench.project.runs()) == 1, timeout=WAIT)
        path = tmp_path / "graded.nirdesk"
        assert w.bench.project.save_as(str(path))

        w2 = MainWindow(AppSettings(tmp_path / "settings2.ini"))
        qtbot.addWidget(w2)
        w2.show()
        with qtbot.waitSignal(w2.bench.project.run_loaded, timeout=WAIT):
            assert w2.bench.project.open_project(str(path))
        ds = w2.state.dataset
        assert ds.target == "grade" and ds.tasks == {"grade": "classification"}
        assert ds.is_classification
        assert w2.dataset_panel.task.currentData() == "classification"
        assert not w2.dataset_panel.offer.isVisible()
        assert w2.bench.editor.palette._task == "classification"
        # the same spectra saved again with the other choice: the latest choice is kept
        w2.dataset_panel.task.activated.emit(w2.dataset_panel.task.findData("regression"))
        assert w2.isWindowModified()
        assert w2.bench.project.save()
        w3 = MainWindow(AppSettings(tmp_path / "settings3.ini"))
        qtbot.addWidget(w3)
        try:
            with qtbot.waitSignal(w3.bench.project.project_opened, timeout=WAIT):
                assert w3.bench.project.open_project(str(path))
            qtbot.waitUntil(lambda: w3.state.dataset is not None, timeout=WAIT)
            assert w3.state.dataset.tasks == {"grade": "regression"}
            assert w3.dataset_panel.task.currentData() == "regression"
        finally:
            w3.shutdown()
    finally:
        for win in (w, w2):
            if win is not None:
                win.bench.project.ask = lambda kind, **info: {"unsaved": "discard"}.get(kind)
                win.close()
                win.shutdown()
