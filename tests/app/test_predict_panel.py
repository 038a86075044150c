"""Predict panel: a project trained on the tablet calibration rows predicts the held-out tablets
exactly as the saved model and an independent scikit-learn refit do; wavelength mismatches are
explained and resampled on request; bad files keep what is shown; CSV export reads back."""
from __future__ import annotations

import csv
from pathlib import Path

import numpy as np
import pytest
from PySide6.QtCore import Qt
from PySide6.QtTest import QTest
from sklearn.cross_decomposition import PLSRegression
from sklearn.pipeline import Pipeline
from sklearn.preprocessing import StandardScaler

from app.predict.panel import PredictPanel
from tests.reference import RefSNV, read_folder, read_train

SPEC = {"name": "panel-test", "steps": [{"branch": [
    ["SNV", {"class": "PLSRegression", "params": {"n_components": 8, "scale": False}}],
    ["StandardScaler", {"class": "PLSRegression", "params": {"n_components": 6, "scale": False}}],
]}]}
REFERENCE = {  # the same pipelines in plain scikit-learn (+ the numpy SNV of tests/reference.py)
    1: lambda: Pipeline([("snv", RefSNV()), ("pls", PLSRegression(n_components=8, scale=False))]),
    2: lambda: Pipeline([("sc", StandardScaler()),
                         ("pls", PLSRegression(n_components=6, scale=False))]),
}


def write_csv(path: Path, wl: np.ndarray, X: np.ndarray, ids: list[str],
              y: np.ndarray | None) -> Path:
    """One CSV: sample_id, one column per wavelength, optionally api_mg (full precision)."""
    head = ["sample_id"] + [f"{w:g}" for w in wl] + (["api_mg"] if y is not None else [])
    with open(path, "w", newline="") as fh:
        w = csv.writer(fh)
        w.writerow(head)
        for i, row in enumerate(X):
            w.writerow([ids[i]] + [repr(float(v)) for v in row]
                       + ([repr(float(y[i]))] if y is not None else []))
    return path


@pytest.fixture(scope="module")
def setup(tmp_path_factory, tablet_dir):
    """A project with one real run (2 PLS branches, trained on the calibration rows) and the
    test tablets as a new CSV file."""
    from engine.io import load_dataset
    from engine.run import run
    from engine.store import Project

    root = tmp_path_factory.mktemp("predict_panel")
    dataset = load_dataset(tablet_dir)
    result = run(SPEC, dataset, verbose=0, parallel_branches=1)
    assert [b.status for b in result.branches] == ["ok", "ok"]
    project = root / "tablet.nirdesk"
    with Project.create(project) as p:
        p.record_run(result, dataset, SPEC)
    X, y, wl, test = read_folder(tablet_dir)
    ids = [f"tablet-{i}" for i in np.flatnonzero(test)]
    new = write_csv(root / "new.csv", wl, X[test], ids, y[test])
    return {"root": root, "project": str(project), "X": X, "y": y, "wl": wl, "test": test,
            "train": read_train(tablet_dir),   # 'cal' rows: the 'trans' rows are left out
            "ids": ids, "new": str(new), "best": result.best_branch}


@pytest.fixture
def panel(qtbot):
    p = PredictPanel()
    qtbot.addWidget(p)
    p.resize(1100, 560)
    p.show()
    yield p
    p.shutdown()


def ready(qtbot, panel: PredictPanel, project: str, spectra: str | None) -> None:
    panel.set_project(project)
    qtbot.waitUntil(lambda: panel.training is not None and not panel.is_busy(), timeout=20000)
    if spectra is not None:
        panel.open_spectra(spectra)
        qtbot.waitUntil(lambda: panel.dataset is not None and not panel.is_busy(), timeout=20000)


def click_predict(qtbot, panel: PredictPanel):
    with qtbot.waitSignal(panel.predicted, timeout=20000) as blocker:
        QTest.mouseClick(panel.predict_button, Qt.MouseButton.LeftButton)
    return blocker.args[0]


def refit(s: dict, branch: int, X_new: np.ndarray) -> np.ndarray:
    train = s["train"]
    return np.ravel(REFERENCE[branch]().fit(s["X"][train], s["y"][train]).predict(X_new))


def saved_model(s: dict, branch: int, X_new: np.ndarray) -> np.ndarray:
    from engine.store import Project

    with Project.open(s["project"], readonly=True) as p:
        return np.ravel(p.load_model(1, branch).predict(X_new))


def assert_draws(panel: PredictPanel, X_train, wl_train, X_new, wl_new) -> None:
    """What the plot draws is exactly the data: ONE spectra layer (the one the main view and
    the results use, no per-spectrum curves) whose two groups hold every training spectrum
    then every new one, each on its own axis, with the shared opacity rule."""
    from app.common import colours
    from app.common.spectra_layer import SpectraLayer

    items = panel.plot.getPlotItem().items
    assert [i for i in items if isinstance(i, SpectraLayer)] == [panel.layer]
    assert not [i for i in items if hasattr(i, "xData")]
    content = panel.layer.content
    train, new = content.groups
    for group, X, wl in ((train, X_train, wl_train), (new, X_new, wl_new)):
        data = content.data_of(group)
        np.testing.assert_array_equal(data.Y[group.rows], X)
        np.testing.assert_array_equal(data.x, wl)
    assert new.rgba[3] == colours.alpha_for(len(X_new))
    assert train.rgba[3] == min(110, colours.alpha_for(len(X_train)))
    assert [label.text for _, label in panel.legend.items] == [
        f"training ({len(X_train)})", f"new ({len(X_new)})"]
    panel.plot.getPlotItem().vb.autoRange()
    xr, yr = panel.plot.getPlotItem().vb.viewRange()
    lo = min(X_train.min(), X_new.min())
    hi = max(X_train.max(), X_new.max())
    assert xr[0] <= min(wl_train.min(), wl_new.min()) and xr[1] >= max(wl_train.max(),
                                                                        wl_new.max())
    assert yr[0] <= lo and yr[1] >= hi


def test_default_branch_predictions_equal_the_saved_model_and_plain_sklearn(setup, panel, qtbot):
    ready(qtbot, panel, setup["project"], setup["new"])
    choice = panel.current_choice()
    assert (choice.run_id, choice.branch_id) == (1, setup["best"]) and choice.best
    assert [c.branch_id for c in panel.choices()] == [1, 2]
    assert "RMSECV" in panel.model_combo.currentText()
    result = click_predict(qtbot, panel)
    X_new, y_new = setup["X"][setup["test"]], setup["y"][setup["test"]]
    best = setup["best"]
    np.testing.assert_allclose(result.predictions, saved_model(setup, best, X_new),
                               rtol=0, atol=1e-9)
    np.testing.assert_allclose(result.predictions, refit(setup, best, X_new), rtol=0, atol=1e-9)
    # the table shows exactly those numbers, in file order, with reference and error
    table = panel.table_model
    # (then the outlier columns, tests/app/test_predict_flags.py)
    assert table.titles()[:4] == ["Sample", "Prediction", "Reference", "Error"]
    assert table.rowCount() == len(setup["ids"]) == panel.proxy.rowCount()
    assert list(table.column("Sample")) == setup["ids"]
    np.testing.assert_array_equal(table.column("Prediction"), result.predictions)
    np.testing.assert_array_equal(table.column("Reference"), y_new)
    np.testing.assert_allclose(table.column("Error"), result.predictions - y_new, atol=1e-12)
    first = panel.proxy.index(0, 1)
    assert panel.proxy.data(first) == f"{result.predictions[0]:.3f}"
    rmsep = float(np.sqrt(np.mean((result.predictions - y_new) ** 2)))
    assert f"RMSEP {rmsep:.4g}" in panel.summary.text() and "R\u00b2" in panel.summary.text()
    # the plot: the shared spectra layer draws every training spectrum, then every new one
    assert_draws(panel, setup["X"][setup["train"]], setup["wl"], X_new, setup["wl"])
    assert panel.export_button.isEnabled()


def test_another_branch_from_the_list(setup, panel, qtbot):
    ready(qtbot, panel, setup["project"], setup["new"])
    other = 2 if setup["best"] == 1 else 1
    panel.model_combo.setCurrentIndex([c.branch_id for c in panel.choices()].index(other))
    qtbot.waitUntil(lambda: panel.training is not None and panel.training.key[2] == other)
    result = click_predict(qtbot, panel)
    assert result.branch_id == other
    X_new = setup["X"][setup["test"]]
    np.testing.assert_allclose(result.predictions, refit(setup, other, X_new), rtol=0, atol=1e-9)


def test_wavelength_mismatch_is_explained_and_resampling_predicts(setup, panel, qtbot):
    coarse_wl = setup["wl"][::2]
    X_coarse = setup["X"][setup["test"]][:, ::2]
    path = write_csv(setup["root"] / "coarse.csv", coarse_wl, X_coarse, setup["ids"], None)
    ready(qtbot, panel, setup["project"], str(path))
    assert "differ from the model's" in panel.message_text()
    # the new spectra are drawn on their own (coarser) axis over the training ones
    assert_draws(panel, setup["X"][setup["train"]], setup["wl"], X_coarse, coarse_wl)
    qtbot.waitUntil(panel.is_drawn, timeout=20000)
    with qtbot.waitSignal(panel.error, timeout=20000) as blocker:
        QTest.mouseClick(panel.predict_button, Qt.MouseButton.LeftButton)
    text = blocker.args[0]
    assert "299 wavelengths 600..1792" in text and "597 wavelengths 600..1792" in text
    assert "Resample to the model's wavelengths" in text and "--resample" not in text
    assert "\n" not in text and panel.message_text() == text and panel.result is None
    QTest.mouseClick(panel.resample_box, Qt.MouseButton.LeftButton)
    assert panel.resample_box.isChecked()
    result = click_predict(qtbot, panel)
    assert result.resampled and "resampled" in panel.summary.text()
    X_interp = np.array([np.interp(setup["wl"], coarse_wl, row) for row in X_coarse])
    np.testing.assert_allclose(result.predictions, saved_model(setup, setup["best"], X_interp),
                               rtol=0, atol=1e-9)
    assert result.reference is None
    titles = panel.table_model.titles()     # no reference: no Reference/Error columns
    assert titles[:2] == ["Sample", "Prediction"] and "Reference" not in titles


def test_a_bad_file_names_row_and_column_and_keeps_what_was_shown(setup, panel, qtbot):
    ready(qtbot, panel, setup["project"], setup["new"])
    result = click_predict(qtbot, panel)
    dataset = panel.dataset
    lines = Path(setup["new"]).read_text().splitlines()[:4]
    cells = lines[2].split(",")
    cells[5] = "n/a"
    lines[2] = ",".join(cells)
    bad = setup["root"] / "bad.csv"
    bad.write_text("\n".join(lines) + "\n")
    with qtbot.waitSignal(panel.error, timeout=20000) as blocker:
        panel.open_spectra(str(bad))
    text = blocker.args[0]
    assert "bad.csv" in text and "row 3" in text and "column 6" in text and "\n" not in text
    assert "Traceback" not in text
    assert panel.dataset is dataset and panel.result is result
    assert panel.table_model.rowCount() == len(setup["ids"])
    assert_draws(panel, setup["X"][setup["train"]], setup["wl"], setup["X"][setup["test"]],
                 setup["wl"])


def test_export_csv_reads_back(setup, panel, qtbot, tmp_path):
    ready(qtbot, panel, setup["project"], setup["new"])
    assert not panel.export_button.isEnabled()
    assert panel.export_csv(str(tmp_path / "early.csv")) is False
    assert "predict first" in panel.message_text()
    result = click_predict(qtbot, panel)
    out = tmp_path / "predictions.csv"
    assert panel.export_csv(str(out))
    with open(out, newline="") as fh:
        rows = list(csv.reader(fh))
    # (then t2, q, leverage, flag: tests/app/test_predict_flags.py)
    assert rows[0][:4] == ["sample_id", "prediction", "reference", "error"]
    assert [r[0] for r in rows[1:]] == setup["ids"]
    np.testing.assert_array_equal([float(r[1]) for r in rows[1:]], result.predictions)
    np.testing.assert_array_equal([float(r[2]) for r in rows[1:]], setup["y"][setup["test"]])
    with qtbot.waitSignal(panel.error):
        assert panel.export_csv(str(tmp_path / "missing" / "p.csv")) is False
    assert "cannot write the predictions" in panel.message_text()


def test_no_project_an_empty_project_and_a_file_that_is_not_a_project(panel, qtbot, tmp_path):
    from engine.store import Project

    assert not panel.predict_button.isEnabled() and not panel.model_combo.isEnabled()
    assert "project" in panel.message_text()
    Project.create(tmp_path / "empty.nirdesk").close()
    with qtbot.waitSignal(panel.error, timeout=20000) as blocker:
        panel.set_project(str(tmp_path / "empty.nirdesk"))
    assert "no runs yet" in blocker.args[0]
    assert panel.choices() == [] and not panel.predict_button.isEnabled()
    junk = tmp_path / "junk.nirdesk"
    junk.write_text("not a database\n")
    with qtbot.waitSignal(panel.error, timeout=20000) as blocker:
        panel.set_project(str(junk))
    assert "junk.nirdesk" in blocker.args[0] and "\n" not in blocker.args[0]
    assert "bug" not in blocker.args[0]


def test_shutdown_stops_the_thread_and_closes_the_plot(qtbot):
    p = PredictPanel()
    qtbot.addWidget(p)
    p.shutdown()
    assert p._jobs._thread.isFinished()
    p.shutdown()   # twice is harmless


def test_a_classification_model_shows_labels_and_accuracy(panel, qtbot, tmp_path, tecator_dir):
    """Tecator meat as lean / fat (fat above 20 %): PLS-DA predictions, a Wrong column and the
    accuracy, checked against the saved model and scikit-learn's accuracy_score."""
    from sklearn.metrics import accuracy_score, balanced_accuracy_score

    from engine.dataset import SpectralDataset
    from engine.io import load_dataset
    from engine.run import run
    from engine.store import Project

    meat = load_dataset(tecator_dir)
    labels = np.where(meat.targets["fat"] > 20.0, "fat", "lean")
    ds = SpectralDataset(X=meat.X, wavelengths=meat.wavelengths, targets={"class": labels},
                         sample_ids=meat.sample_ids, test_mask=meat.test_mask, name="meat")
    spec = ["SNV", {"class": "PLSDA", "params": {"n_components": 6}}]
    result = run(spec, ds, verbose=0, parallel_branches=1)
    project = tmp_path / "meat.nirdesk"
    with Project.create(project) as p:
        p.record_run(result, ds, spec)
    test = meat.test_mask
    new = write_csv(tmp_path / "meat_new.csv", meat.wavelengths, meat.X[test],
                    [f"m{i}" for i in range(int(test.sum()))], None)
    text = new.read_text().splitlines()   # add the class column by hand (write_csv is numeric)
    rows = [text[0] + ",class"] + [line + "," + lab
                                      for line, lab in zip(text[1:], labels[test], strict=True)]
    new.write_text("\n".join(rows) + "\n")
    ready(qtbot, panel, str(project), str(new))
    assert "CV balanced accuracy" in panel.model_combo.currentText()
    out = click_predict(qtbot, panel)
    with Project.open(project, readonly=True) as p:
        expected = p.load_model(1, 1).predict(meat.X[test])
    np.testing.assert_array_equal(out.predictions, expected)
    assert panel.table_model.titles()[:4] == ["Sample", "Prediction", "Reference", "Wrong"]
    np.testing.assert_array_equal(panel.table_model.column("Wrong"),
                                  (expected != labels[test]).astype(int))
    acc = accuracy_score(labels[test], expected)
    bal = balanced_accuracy_score(labels[test], expected)
    assert f"accuracy {acc:.3f}" in panel.summary.text()
    assert f"balanced accuracy {bal:.3f}" in panel.summary.text()
