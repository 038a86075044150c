"""Results views (pytest-qt, offscreen), on a real run of the demo preprocessings into PLS on the
tablet data, plus an Optuna-tuned Ridge and a branch that fails.

What is checked against independent computations: the plotted points are the dataset rows the
engine's index conventions say (oof <-> train_indices, test <-> test_indices), the corner
figures equal scikit-learn's RMSE / R2 of those points, the Spectra tab equals SNV / MSC done
in plain numpy, CSV files read back to the same numbers; sorting happens through a real mouse
click on the header.
"""
from __future__ import annotations

import copy
import csv
import math
import threading
from pathlib import Path

import numpy as np
import pytest
from PySide6.QtCore import QPoint, Qt
from PySide6.QtGui import QImage
from PySide6.QtTest import QTest
from sklearn.metrics import (
    accuracy_score,
    balanced_accuracy_score,
    confusion_matrix,
    mean_squared_error,
    r2_score,
)

from app.common import gc_guard
from app.results import data as D
from app.results.compare import RunComparison
from app.results.leaderboard import SORT_ROLE
from app.results.panel import ResultsPanel
from tests.faulty import failing_model

WAIT = 20_000
PIPELINE = {"name": "results test", "steps": [{"branch": [
    [{"branch": {"_or_": ["SNV", "MSC", {"class": "SavitzkyGolay",
                                          "params": {"window_length": 11, "polyorder": 2,
                                                     "deriv": 1}}, "Detrend"]}},
     {"class": "PLSRegression", "params": {"n_components": 10, "scale": False}}],
    ["SNV", {"model": {"class": "Ridge"},
             "finetune_params": {"n_trials": 8,
                                 "model_params": {"alpha": ["float_log", 1e-6, 1e2]}}}],
    ["SNV", failing_model("the fit failed on purpose")],
    ["MSC", {"model": {"class": "PLSRegression", "params": {"scale": False}},
             "finetune_params": {"n_trials": 15,
                                 "model_params": {"n_components": ["int", 1, 15]}}}],
]}]}
SNV_PLS, MSC_PLS, RIDGE, FAILING, SWEEP = 1, 2, 5, 6, 7


@pytest.fixture(scope="module")
def tablet(tablet_dir):
    from engine.io import load_dataset
    from engine.run import run

    ds = load_dataset(tablet_dir)
    result = run(PIPELINE, ds, verbose=0)
    return ds, result


@pytest.fixture
def panel(qtbot):
    gc_guard.acquire()
    p = ResultsPanel()
    qtbot.addWidget(p)
    p.resize(1280, 300)
    p.show()
    qtbot.waitExposed(p)
    yield p
    p.shutdown()
    p.shutdown()  # safe twice
    gc_guard.release()


def filled(panel, ds, result):
    panel.begin_run(ds, {b.id: b.name for b in result.branches})
    for b in result.branches:
        panel.add_branch(b)
    return panel


def column_of(panel, header: str) -> int:
    return panel.model.headers().index(header)


def shown_ids(panel) -> list[int]:
    return [panel.table.branch_at_row(r) for r in range(panel.table.proxy.rowCount())]


def click_header(qtbot, panel, col: int) -> None:
    header = panel.table.horizontalHeader()
    x = header.sectionViewportPosition(col) + header.sectionSize(col) // 2
    QTest.mouseClick(header.viewport(), Qt.MouseButton.LeftButton, Qt.KeyboardModifier.NoModifier,
                     QPoint(x, header.height() // 2))


def click_row(panel, bid: int) -> None:
    table = panel.table
    row = table.proxy_row_of(bid)
    rect = table.visualRect(table.proxy.index(row, 1))
    QTest.mouseClick(table.viewport(), Qt.MouseButton.LeftButton, Qt.KeyboardModifier.NoModifier,
                     rect.center())


def show_tab(panel, name: str) -> None:
    """Click the plot's tab (hidden tabs are drawn when they are opened)."""
    bar = panel.tabs.tabBar()
    index = panel.tabs.indexOf(panel.plots[name])
    QTest.mouseClick(bar, Qt.MouseButton.LeftButton, Qt.KeyboardModifier.NoModifier,
                     bar.tabRect(index).center())
    assert panel.tabs.currentIndex() == index


def sk_stats(observed, predicted) -> tuple[float, float]:
    return math.sqrt(mean_squared_error(observed, predicted)), r2_score(observed, predicted)


# -- leaderboard ---------------------------------------------------------------------------------
def test_rows_wait_then_fill_as_branches_finish(panel, tablet, qtbot):
    ds, result = tablet
    panel.begin_run(ds, {b.id: b.name for b in result.branches})
    assert panel.model.rowCount() == len(result.branches)
    assert {panel.model.status(b.id) for b in result.branches} == {"waiting"}
    panel.mark_running(SNV_PLS)
    assert panel.model.status(SNV_PLS) == "running"
    rmse_col = column_of(panel, "RMSECV")
    for b in result.branches:
        panel.add_branch(b)
        row = panel.model.row_of(b.id)
        text = panel.model.index(row, rmse_col).data()
        if b.status == "ok":
            assert float(text) == pytest.approx(b.metrics["cv"]["rmse"], rel=1e-3)
        else:
            assert text == ""
        assert panel.model.status(b.id) == b.status
    # the best row: engine's rule, bold, and the panel followed it
    assert panel.model.best_id == result.best_branch
    best_row = panel.model.row_of(result.best_branch)
    assert panel.model.index(best_row, 0).data(Qt.ItemDataRole.FontRole).bold()
    other = panel.model.row_of(SNV_PLS if result.best_branch != SNV_PLS else MSC_PLS)
    assert panel.model.index(other, 0).data(Qt.ItemDataRole.FontRole) is None
    assert panel.selected_branch() == result.best_branch
    ok = [b for b in result.branches if b.status == "ok"]
    assert result.best_branch == min(ok, key=lambda b: b.metrics["cv"]["rmse"]).id
    # sorted by RMSECV ascending at first, the failed branch last
    assert shown_ids(panel)[0] == result.best_branch
    assert shown_ids(panel)[-1] == FAILING


def test_header_click_sorts_numerically_with_missing_values_last(panel, tablet, qtbot):
    ds, result = tablet
    filled(panel, ds, result)
    col = column_of(panel, "RMSEP")
    click_header(qtbot, panel, col)
    header = panel.table.horizontalHeader()
    assert header.sortIndicatorSection() == col
    for _ in range(2):  # the order after the click, then the reverse after a second click
        order = header.sortIndicatorOrder()
        ids = shown_ids(panel)
        assert ids[-1] == FAILING  # no RMSEP: last in both directions
        rmsep = [result.branch(i).metrics["test"]["rmse"] for i in ids[:-1]]
        expected = sorted(rmsep, reverse=order == Qt.SortOrder.DescendingOrder)
        assert rmsep == expected
        shown = [float(panel.table.proxy.index(r, col).data()) for r in range(len(ids) - 1)]
        assert shown == pytest.approx(rmsep, rel=1e-3)
        click_header(qtbot, panel, col)
        assert header.sortIndicatorOrder() != order


def test_clicking_a_row_selects_the_branch(panel, tablet, qtbot):
    ds, result = tablet
    filled(panel, ds, result)
    with qtbot.waitSignal(panel.branch_selected, timeout=WAIT) as sig:
        click_row(panel, MSC_PLS)
    assert sig.args == [MSC_PLS]
    assert panel.selected_branch() == MSC_PLS
    # a branch that finishes later no longer moves the selection away
    panel.add_branch(result.branch(RIDGE))
    assert panel.selected_branch() == MSC_PLS
    # the keyboard walks the rows in their sorted order
    below = shown_ids(panel)[shown_ids(panel).index(MSC_PLS) + 1]
    QTest.keyClick(panel.table, Qt.Key.Key_Down)
    assert panel.selected_branch() == below


def test_shutdown_stops_the_threads(qtbot, tablet):
    ds, result = tablet
    gc_guard.acquire()
    try:
        p = ResultsPanel()
        qtbot.addWidget(p)
        p.resize(1280, 300)
        p.show()
        filled(p, ds, result)
        p.tabs.setCurrentWidget(p.plots["spectra"])
        qtbot.waitUntil(lambda: p.spectra_data() is not None, timeout=WAIT)
        threads = [p._jobs._thread, p.plots["spectra"].renderer._thread]
        assert all(t.isRunning() for t in threads)
        p.shutdown()
        assert all(t.isFinished() for t in threads)
        p.shutdown()
        # a branch selected after the shutdown (a late click, a queued signal) draws nothing
        # and raises nothing: the plot widgets are closed
        p.tabs.setCurrentWidget(p.plots["predicted"])
        p.select_branch(result.branches[-1].id)
        qtbot.wait(50)
    finally:
        gc_guard.release()


# -- plots ---------------------------------------------------------------------------------------
def test_predicted_and_residual_plots_show_the_branch_predictions(panel, tablet, qtbot):
    ds, result = tablet
    filled(panel, ds, result)
    click_row(panel, SNV_PLS)
    b = result.branch(SNV_PLS)
    y = np.asarray(ds.y, dtype=float)
    train = np.flatnonzero(~ds.test_mask & ~ds.excluded)
    test = np.flatnonzero(ds.test_mask)
    pred = panel.plots["predicted"]
    assert pred.has_plot
    x_cv, y_cv = pred.cv_points.getData()
    x_te, y_te = pred.test_points.getData()
    np.testing.assert_array_equal(x_cv, y[train])
    np.testing.assert_array_equal(y_cv, b.oof_predictions)
    np.testing.assert_array_equal(x_te, y[test])
    np.testing.assert_array_equal(y_te, b.test_predictions)
    lx, ly = pred.identity.getData()
    np.testing.assert_array_equal(lx, ly)  # the 1:1 line
    assert lx.min() <= min(y.min(), b.oof_predictions.min(), b.test_predictions.min())
    assert lx.max() >= max(y.max(), b.oof_predictions.max(), b.test_predictions.max())
    # the corner figures: scikit-learn on the same rows, and the engine's metrics
    rmsecv, r2cv = sk_stats(y[train], b.oof_predictions)
    rmsep, r2p = sk_stats(y[test], b.test_predictions)
    assert pred.stats["cv"]["rmse"] == pytest.approx(rmsecv, rel=1e-12)
    assert pred.stats["cv"]["r2"] == pytest.approx(r2cv, rel=1e-12)
    assert pred.stats["test"]["rmse"] == pytest.approx(rmsep, rel=1e-12)
    assert pred.stats["test"]["r2"] == pytest.approx(r2p, rel=1e-12)
    assert rmsecv == pytest.approx(b.metrics["cv"]["rmse"], rel=1e-9)
    assert f"RMSECV {rmsecv:.4g}" in pred.corner_text
    assert f"RMSEP {rmsep:.4g}" in pred.corner_text
    assert f"R\u00b2 {r2p:.4g}" in pred.corner_text
    shown = pred.corner_shown()  # what the user reads: both rows' numbers
    for value in (rmsecv, r2cv, rmsep, r2p):
        assert f"{value:.4g}" in shown
    assert str(ds.n_train) in shown and str(ds.n_test) in shown
    assert "api_mg" in pred.plot.getAxis("bottom").labelText
    # residuals: predicted - observed against predicted
    show_tab(panel, "residuals")
    res = panel.plots["residuals"]
    rx, ry = res.cv_points.getData()
    np.testing.assert_array_equal(rx, b.oof_predictions)
    np.testing.assert_allclose(ry, b.oof_predictions - y[train])
    _tx, ty = res.test_points.getData()
    np.testing.assert_allclose(ty, b.test_predictions - y[test])
    assert res.corner_text == pred.corner_text


def test_components_curve_and_search_history(panel, tablet, qtbot):
    ds, result = tablet
    filled(panel, ds, result)
    click_row(panel, SNV_PLS)
    b = result.branch(SNV_PLS)
    show_tab(panel, "components")
    comp = panel.plots["components"]
    assert comp.has_plot
    k, rmse = comp.curve.getData()
    np.testing.assert_array_equal(k, b.curve["n_components"])
    np.testing.assert_array_equal(rmse, b.curve["rmsecv"])
    assert comp.chosen_k == 10
    _ck, cr = comp.chosen.getData()
    # the 10-component point of the curve is the branch's RMSECV (independent: sklearn)
    y = np.asarray(ds.y, dtype=float)
    assert cr[0] == pytest.approx(sk_stats(y[ds.train_indices], b.oof_predictions)[0], rel=1e-9)
    show_tab(panel, "history")
    history = panel.plots["history"]
    assert not history.has_plot and "not finetuned" in history.message.text()

    click_row(panel, RIDGE)
    r = result.branch(RIDGE)
    assert history.has_plot
    done = [t for t in r.trials if t["value"] is not None]
    tx, ty = history.trials.getData()
    np.testing.assert_array_equal(tx, [t["number"] for t in done])
    np.testing.assert_array_equal(ty, [t["value"] for t in done])
    _bx, by = history.best.getData()
    np.testing.assert_array_equal(by, np.minimum.accumulate([t["value"] for t in done]))
    assert by[-1] == pytest.approx(r.metrics["cv"]["rmse"], rel=1e-9)  # best trial = the branch
    show_tab(panel, "components")
    assert not comp.has_plot and "PLS" in comp.message.text()


def test_failed_branch_shows_its_error(panel, tablet, qtbot):
    ds, result = tablet
    filled(panel, ds, result)
    click_row(panel, FAILING)
    error = result.branch(FAILING).error
    assert error and "the fit failed on purpose" in error
    assert panel.right.currentWidget() is panel.error_page
    assert panel.error_page.isVisible()
    assert error in panel.error_text()
    row = panel.model.row_of(FAILING)
    status_col = column_of(panel, "Status")
    assert error in panel.model.index(row, status_col).data(Qt.ItemDataRole.ToolTipRole)
    click_row(panel, SNV_PLS)
    assert panel.right.currentWidget() is panel.tabs and panel.error_text() == ""


def test_spectra_tab_shows_the_branch_preprocessing_off_the_gui_thread(panel, tablet, qtbot,
                                                                      monkeypatch):
    ds, result = tablet
    from app.results import spectra_task

    threads = []
    original = spectra_task.branch_spectra

    def spy(*args, **kwargs):
        threads.append(threading.get_ident())
        return original(*args, **kwargs)

    monkeypatch.setattr(spectra_task, "branch_spectra", spy)
    filled(panel, ds, result)
    click_row(panel, SNV_PLS)
    assert threads == []  # nothing computed while the tab is hidden
    show_tab(panel, "spectra")
    qtbot.waitUntil(lambda: panel.spectra_data() is not None, timeout=WAIT)
    assert threads and threads[0] != threading.get_ident()
    X = ds.X
    centred = X - X.mean(axis=1, keepdims=True)
    snv = centred / np.sqrt((centred ** 2).mean(axis=1, keepdims=True))
    np.testing.assert_allclose(panel.spectra_data().Y, snv, rtol=1e-10, atol=1e-10)
    qtbot.waitUntil(panel.plots["spectra"].is_drawn, timeout=WAIT)

    # MSC: the reference spectrum is the mean of the TRAINING spectra only
    click_row(panel, MSC_PLS)
    qtbot.waitUntil(lambda: panel.spectra_data() is not None, timeout=WAIT)
    ref = X[ds.train_indices].mean(axis=0)
    msc = np.empty_like(X)
    for i, row in enumerate(X):
        slope, intercept = np.polyfit(ref, row, 1)
        msc[i] = (row - intercept) / slope
    np.testing.assert_allclose(panel.spectra_data().Y, msc, rtol=1e-8, atol=1e-8)


def test_a_reloaded_run_without_models_rebuilds_the_preprocessing(panel, tablet, qtbot):
    ds, result = tablet
    reloaded = copy.copy(result)
    reloaded.branches = [copy.copy(b) for b in result.branches]
    for b in reloaded.branches:
        b.model = None
    panel.set_run(reloaded, ds)
    assert panel.selected_branch() == result.best_branch
    assert panel.model.rowCount() == len(result.branches)
    panel.select_branch(MSC_PLS)
    panel.tabs.setCurrentWidget(panel.plots["spectra"])
    qtbot.waitUntil(lambda: panel.spectra_data() is not None, timeout=WAIT)
    fitted = result.branch(MSC_PLS).model[:-1].transform(ds.X)
    np.testing.assert_allclose(panel.spectra_data().Y, fitted, rtol=1e-9, atol=1e-9)


# -- exports ---------------------------------------------------------------------------------------
def read_csv(path):
    with open(path, newline="", encoding="utf-8") as fh:
        return list(csv.DictReader(fh))


def test_leaderboard_csv_reads_back_in_the_order_shown(panel, tablet, tmp_path, qtbot):
    ds, result = tablet
    filled(panel, ds, result)
    click_header(qtbot, panel, column_of(panel, "R\u00b2 test"))
    rows = read_csv(panel.export_leaderboard_csv(tmp_path / "board.csv"))
    assert [int(r["branch_id"]) for r in rows] == shown_ids(panel)
    for r in rows:
        b = result.branch(int(r["branch_id"]))
        assert r["branch"] == b.name and r["status"] == b.status
        assert r["best"] == ("1" if b.id == result.best_branch else "0")
        if b.status == "ok":
            for key in ("rmse", "r2", "bias", "rpd", "sep", "mae"):
                assert float(r[f"cv_{key}"]) == b.metrics["cv"][key]
                assert float(r[f"test_{key}"]) == b.metrics["test"][key]
        else:
            assert r["cv_rmse"] == "" and r["error"] == b.error
    assert "alpha" in next(r for r in rows if int(r["branch_id"]) == RIDGE)["best_params"]


def test_predictions_csv_reads_back(panel, tablet, tmp_path):
    ds, result = tablet
    filled(panel, ds, result)
    rows = read_csv(panel.export_predictions_csv(tmp_path / "pred.csv"))
    ok = [b for b in result.branches if b.status == "ok"]
    assert {int(r["branch_id"]) for r in rows} == {b.id for b in ok}
    y = np.asarray(ds.y, dtype=float)
    mine = [r for r in rows if int(r["branch_id"]) == SNV_PLS]
    cv = [r for r in mine if r["partition"] == "cv"]
    test = [r for r in mine if r["partition"] == "test"]
    assert len(cv) == ds.n_train and len(test) == ds.n_test
    b = result.branch(SNV_PLS)
    rows_cv = np.array([int(r["row"]) - 1 for r in cv])
    np.testing.assert_array_equal(rows_cv, ds.train_indices)
    np.testing.assert_array_equal([r["sample_id"] for r in cv], ds.sample_ids[ds.train_indices])
    obs = np.array([float(r["observed"]) for r in cv])
    prd = np.array([float(r["predicted"]) for r in cv])
    np.testing.assert_array_equal(obs, y[ds.train_indices])
    np.testing.assert_array_equal(prd, b.oof_predictions)
    assert sk_stats(obs, prd)[0] == pytest.approx(b.metrics["cv"]["rmse"], rel=1e-12)
    tp = np.array([float(r["predicted"]) for r in test])
    np.testing.assert_array_equal(tp, b.test_predictions)
    np.testing.assert_allclose([float(r["residual"]) for r in test], tp - y[ds.test_indices])
    one = read_csv(panel.export_predictions_csv(tmp_path / "one.csv", branch_id=RIDGE))
    # every row but the excluded ones (the tablet's 'trans' rows are left out)
    assert {int(r["branch_id"]) for r in one} == {RIDGE}
    assert len(one) == ds.n_samples - int(ds.excluded.sum())


def test_each_plot_exports_a_png_and_an_empty_plot_refuses(panel, tablet, tmp_path, qtbot):
    ds, result = tablet
    filled(panel, ds, result)
    click_row(panel, RIDGE)
    for name in ("predicted", "residuals", "history", "spectra"):
        path = panel.export_plot_png(name, tmp_path / f"{name}.png")
        image = QImage(str(path))
        assert image.width() > 200 and image.height() > 100
        small = image.scaled(64, 32)
        colours = {small.pixel(x, y) for x in range(64) for y in range(32)}
        assert len(colours) > 20, name  # a drawn plot, not a blank canvas
    with pytest.raises(ValueError, match="RMSECV-vs-components"):
        panel.export_plot_png("components", tmp_path / "components.png")
    with pytest.raises(ValueError, match="unknown plot"):
        panel.export_plot_png("nonsense", tmp_path / "x.png")


def test_export_actions_write_the_files_the_dialog_names(panel, tablet, tmp_path, monkeypatch,
                                                        qtbot):
    ds, result = tablet
    filled(panel, ds, result)
    answers = iter([str(tmp_path / "board"), str(tmp_path / "pred.csv"), str(tmp_path / "plot")])
    monkeypatch.setattr(panel, "ask_path", lambda *a: next(answers))
    board, preds, plot = panel.actions()
    exported = []
    panel.exported.connect(exported.append)
    for action in (board, preds, plot):
        action.trigger()
    # the predictions are written on the panel's background thread
    qtbot.waitUntil(lambda: len(exported) == 3, timeout=30_000)
    assert sorted(Path(p).name for p in exported) == ["board.csv", "plot.png", "pred.csv"]
    assert len(read_csv(tmp_path / "board.csv")) == len(result.branches)
    assert len(read_csv(tmp_path / "pred.csv")) > ds.n_samples
    assert QImage(str(tmp_path / "plot.png")).width() > 200


def test_add_branch_is_cheap_and_clear_empties(panel, tablet, qtbot):
    import time

    ds, result = tablet
    panel.begin_run(ds, {b.id: b.name for b in result.branches})
    panel.tabs.setCurrentWidget(panel.plots["spectra"])
    times = []
    for b in result.branches:
        t0 = time.perf_counter()
        panel.add_branch(b)
        times.append(time.perf_counter() - t0)
    # measured 0.2-1 ms: the table row only; the plots and spectra come after it returns
    assert max(times) < 0.02, times  # plots are drawn after add_branch returns
    qtbot.waitUntil(lambda: panel.spectra_data() is not None, timeout=WAIT)
    assert panel.selected_branch() == result.best_branch
    panel.clear()
    assert panel.model.rowCount() == 0 and panel.selected_branch() is None
    assert not panel.plots["predicted"].has_plot


# -- classification --------------------------------------------------------------------------------
def test_classification_runs_show_accuracy_columns(panel, tecator_dir):
    from engine.dataset import SpectralDataset
    from engine.io import load_dataset
    from engine.run import run

    base = load_dataset(tecator_dir)
    fat = base.targets["fat"]
    labels = np.where(fat > np.median(fat), "fatty", "lean")
    ds = SpectralDataset(base.X, base.wavelengths, {"class": labels}, base.sample_ids,
                         base.test_mask, name="tecator classes")
    result = run([{"branch": {"_or_": ["SNV", "MSC"]}},
                  {"class": "PLSDA", "params": {"n_components": 5}}], ds, verbose=0)
    panel.set_run(result, ds)
    headers = panel.model.headers()
    assert "BAcc CV" in headers and "RMSECV" not in headers
    col = headers.index("BAcc CV")
    for b in result.branches:
        train = ds.train_indices
        expected = balanced_accuracy_score(labels[train], b.oof_predictions.astype(str))
        shown = panel.model.index(panel.model.row_of(b.id), col).data()
        assert float(shown) == pytest.approx(expected, abs=5e-4)
        acc = panel.model.index(panel.model.row_of(b.id), headers.index("Acc CV")).data()
        assert float(acc) == pytest.approx(accuracy_score(labels[train],
                                                          b.oof_predictions.astype(str)), abs=5e-4)
    best = max(result.branches, key=lambda b: (b.metrics["cv"]["balanced_accuracy"], -b.id))
    assert panel.model.best_id == best.id == result.best_branch
    # predicted vs observed becomes the confusion matrix of the CV predictions
    panel.select_branch(result.branches[1].id)
    pred = panel.plots["predicted"]
    assert pred.has_plot and pred.classes == ["fatty", "lean"]
    b = result.branches[1]
    expected = confusion_matrix(labels[ds.train_indices], b.oof_predictions.astype(str),
                                labels=["fatty", "lean"])
    np.testing.assert_array_equal(pred.confusion, expected)
    np.testing.assert_array_equal(pred.matrix.image, expected)
    acc = accuracy_score(labels[ds.test_indices], b.test_predictions.astype(str))
    assert pred.stats["test"]["accuracy"] == pytest.approx(acc)
    assert f"{acc:.3g}" in pred.corner_text
    # back to a regression run: no matrix left over
    panel.clear()
    assert not pred.matrix.isVisible() and pred.confusion is None


# -- comparing runs ------------------------------------------------------------------------------
def test_run_comparison_matches_branches_by_name_with_deltas(qtbot, tablet):
    _ds, result = tablet
    a = result
    b = result.to_json()
    b["branches"] = copy.deepcopy(b["branches"])
    for i, br in enumerate(b["branches"]):
        if br["status"] == "ok":
            br["metrics"]["cv"]["rmse"] *= 1.0 + 0.01 * (i - 2)
    b["branches"] = list(reversed(b["branches"][1:]))  # another order, and SNV>PLS left out
    b["branches"].append({"name": "new branch", "status": "ok",
                          "metrics": {"cv": {"rmse": 3.0, "r2": 0.9}, "test": None}})
    widget = RunComparison()
    qtbot.addWidget(widget)
    widget.resize(1280, 260)
    widget.show()
    widget.set_runs(a, b, "seed 0", "seed 1")
    model = widget.model
    names = [p[0] for p in model.pairs]
    assert names[:len(a.branches)] == [br.name for br in a.branches] and names[-1] == "new branch"
    b_by_name = {br["name"]: br for br in b["branches"]}
    for br in a.branches:
        delta = model.delta(br.name, "rmsecv")
        other = b_by_name.get(br.name)
        if br.status != "ok" or other is None:
            assert delta is None
        else:
            assert delta == pytest.approx(other["metrics"]["cv"]["rmse"] - br.metrics["cv"]["rmse"])
    assert "1 only in A" in widget.caption.text() and "1 only in B" in widget.caption.text()
    # a real click on the delta header sorts by it, missing deltas last
    col = model.headers().index("\u0394 RMSECV")
    header = widget.table.horizontalHeader()
    x = header.sectionViewportPosition(col) + header.sectionSize(col) // 2
    QTest.mouseClick(header.viewport(), Qt.MouseButton.LeftButton, Qt.KeyboardModifier.NoModifier,
                     QPoint(x, header.height() // 2))
    values = [widget.proxy.index(r, col).data(SORT_ROLE) for r in range(widget.proxy.rowCount())]
    present = [v for v in values if v is not None]
    both = sum(1 for br in a.branches
               if br.status == "ok" and b_by_name.get(br.name, {}).get("status") == "ok")
    assert values[:len(present)] == present and len(present) == both
    descending = header.sortIndicatorOrder() == Qt.SortOrder.DescendingOrder
    assert present == sorted(present, reverse=descending)


def test_short_names_keep_branches_apart():
    steps = [{"class": "SavitzkyGolay", "params": {"window_length": 11, "polyorder": 2,
                                                   "deriv": 1}},
             {"class": "PLSRegression", "params": {"n_components": 10, "scale": False}}]
    assert D.short_name(steps) == "SG(11, 2, 1) > PLS(10, False)"
    assert D.short_name(["SNV", {"class": "PLSRegression", "params": {"n_components": 900}}]) \
        != D.short_name(["SNV", {"class": "PLSRegression", "params": {"n_components": 10}}])
    tuned = {"model": {"class": "Ridge"}, "finetune_params": {"n_trials": 8}}
    assert D.short_name(["MSC", tuned]) == "MSC > Ridge"
    assert D.short_name([{"class": "sklearn.svm.NuSVR", "params": {"kernel": "rbf"}}]) == \
        "NuSVR('rbf')"


def test_leaderboard_and_comparison_name_branches_from_their_steps(panel, tablet, qtbot):
    """The branch column is built from each result's structured steps with the registry's
    abbreviations (no parsing of the branch name); the comparison still matches by name."""
    ds, result = tablet
    filled(panel, ds, result)
    for b in result.branches:
        text = panel.model.index(panel.model.row_of(b.id), 0).data()
        assert text == f"{b.id}: {D.short_name(b.steps)}"
    sg = next(b for b in result.branches if "SavitzkyGolay" in b.name)
    assert D.short_name(sg.steps) == "SG(11, 2, 1) > PLS(10, False)"
    widget = RunComparison()
    qtbot.addWidget(widget)
    widget.set_runs(result, result.to_json())
    shown = [widget.model.index(r, 0).data() for r in range(widget.model.rowCount())]
    assert shown == [D.short_name(b.steps) for b in result.branches]


def test_a_saved_run_plots_its_own_target_and_refuses_another_dataset(panel, tablet):
    from engine.dataset import SpectralDataset

    ds, result = tablet
    y = np.asarray(ds.y, dtype=float)
    # the user has since selected another target: the run's own (api_mg) is plotted
    other = SpectralDataset(ds.X, ds.wavelengths, {"other": y + 100.0, "api_mg": y},
                            ds.sample_ids, ds.test_mask, name="tablet", target="other")
    panel.set_run(result, other)
    panel.select_branch(SNV_PLS)
    x_cv, _ = panel.plots["predicted"].cv_points.getData()
    np.testing.assert_array_equal(x_cv, y[ds.train_indices])
    assert "api_mg" in panel.plots["predicted"].plot.getAxis("bottom").labelText
    # a dataset with fewer rows than the run used: a message, not a crash or a wrong plot
    half = SpectralDataset(ds.X[:300], ds.wavelengths, {"api_mg": y[:300]}, ds.sample_ids[:300],
                           ds.test_mask[:300], name="half")
    panel.set_run(result, half)
    panel.select_branch(SNV_PLS)
    page = panel.plots["predicted"]
    assert not page.has_plot and "another dataset" in page.message.text()


def test_a_tuned_pls_branch_shows_its_sweep_and_chosen_components(panel, tablet, qtbot):
    ds, result = tablet
    filled(panel, ds, result)
    b = result.branch(SWEEP)
    assert b.tuning["method"] == "exact_sweep"
    click_row(panel, SWEEP)
    show_tab(panel, "components")
    comp = panel.plots["components"]
    assert comp.chosen_k == b.best_params["n_components"]
    k, rmse = comp.curve.getData()
    ck, cr = comp.chosen.getData()
    assert ck[0] == comp.chosen_k and cr[0] == rmse[list(k).index(comp.chosen_k)]
    # the default rule (fewest components within one SE of the minimum): the curve's lowest
    # point is the stored minimum, and the choice never has more components than it
    minimum = b.tuning["minimum"]
    assert b.tuning["selection"] == "one_se"
    assert rmse.min() == pytest.approx(minimum["value"], rel=1e-12)
    assert comp.chosen_k <= minimum["params"]["n_components"] and cr[0] >= rmse.min()
    show_tab(panel, "history")
    history = panel.plots["history"]
    tx, _ty = history.trials.getData()
    assert len(tx) == len(b.trials) == 15
    # each trial of the sweep is one component count: its value is the curve's point
    by_k = dict(zip(k.astype(int).tolist(), rmse.tolist(), strict=True))
    for t in b.trials:
        assert t["value"] == pytest.approx(by_k[t["params"]["n_components"]], rel=1e-12)
