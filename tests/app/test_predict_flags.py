"""Predict view with outlier flags (pytest-qt, offscreen): a project calibrated on instrument
1's tablets predicts a file mixing instrument 1's test tablets and instrument 2's spectra.

What is checked against an independent computation written here (SNV in numpy, scikit-learn's
PLSRegression refitted on the calibration rows, T² with np.linalg.inv of the score
covariance, Q the squared residual, the F and Jackson-Mudholkar / Box limits with scipy): the
T², Q and leverage columns, which rows are flagged (marked on the whole row, the flag's words
after a warning sign), the count in the summary line, the "flagged only" filter, and the
points and limit lines of the T² vs Q tab. A project whose model kept no diagnostics still
predicts, with the note in place of flags.
"""
from __future__ import annotations

import csv
from pathlib import Path

import numpy as np
import pytest
from PySide6.QtCore import Qt
from PySide6.QtTest import QTest
from scipy import stats
from sklearn.cross_decomposition import PLSRegression

from app.predict.panel import PredictPanel
from app.predict.table import FLAG_COLUMN, FLAG_MARK, FLAGGED_BACKGROUND
from tests.reference import read_folder, read_matrix, read_train

A = 8
SPEC = {"name": "flags-test", "steps": [
    "SNV", {"class": "PLSRegression", "params": {"n_components": A, "scale": False}}]}
N_TEST, N_OTHER = 30, 10
WAIT = 30_000


def snv(X: np.ndarray) -> np.ndarray:
    return (X - X.mean(axis=1, keepdims=True)) / X.std(axis=1, keepdims=True)


def write_csv(path: Path, wl: np.ndarray, X: np.ndarray, ids: list[str]) -> Path:
    with open(path, "w", newline="") as fh:
        w = csv.writer(fh)
        w.writerow(["sample_id"] + [f"{v:g}" for v in wl])
        for sid, row in zip(ids, X, strict=True):
            w.writerow([sid] + [repr(float(v)) for v in row])
    return path


def independent(X_cal: np.ndarray, y_cal: np.ndarray, X_new: np.ndarray) -> dict:
    """T², Q, leverage, limits and flags of the new spectra, from first principles."""
    z_cal, z_new = snv(X_cal), snv(X_new)
    pls = PLSRegression(n_components=A, scale=False).fit(z_cal, y_cal)
    mean = z_cal.mean(axis=0)
    t_cal = (z_cal - mean) @ pls.x_rotations_
    inv = np.linalg.inv(np.cov(t_cal.T))
    n = z_cal.shape[0]

    def stats_of(z):
        t = (z - mean) @ pls.x_rotations_
        t2 = np.einsum("ij,jk,ik->i", t, inv, t)
        e = (z - mean) - t @ pls.x_loadings_.T
        return t2, (e**2).sum(axis=1)

    e_cal = (z_cal - mean) - t_cal @ pls.x_loadings_.T
    lam = np.linalg.eigvalsh(e_cal.T @ e_cal / (n - 1))
    lam = lam[lam > 1e-12 * lam.max()]
    th1, th2, th3 = (lam**1).sum(), (lam**2).sum(), (lam**3).sum()
    h0 = 1 - 2 * th1 * th3 / (3 * th2**2)

    def q_lim(level):
        if h0 <= 0:   # Jackson-Mudholkar undefined: Box (the documented fallback)
            return th2 / th1 * stats.chi2.ppf(level, th1**2 / th2)
        c = stats.norm.ppf(level)
        return th1 * (c * np.sqrt(2 * th2 * h0**2) / th1 + 1
                      + th2 * h0 * (h0 - 1) / th1**2) ** (1 / h0)

    t2_lim = {lv: A * (n - 1) / (n - A) * stats.f.ppf(lv, A, n - A) for lv in (0.95, 0.99)}
    q_lims = {lv: q_lim(lv) for lv in (0.95, 0.99)}
    t2, q = stats_of(z_new)
    cal_t2, cal_q = stats_of(z_cal)
    return {"t2": t2, "q": q, "leverage": 1 / n + t2 / (n - 1),
            "flagged": (t2 > t2_lim[0.99]) | (q > q_lims[0.99]),
            "t2_lim": t2_lim, "q_lim": q_lims, "cal_t2": cal_t2, "cal_q": cal_q}


@pytest.fixture(scope="module")
def setup(tmp_path_factory, tablet_dir):
    from engine.io import load_dataset
    from engine.run import run
    from engine.store import Project

    root = tmp_path_factory.mktemp("predict_flags")
    dataset = load_dataset(tablet_dir)
    result = run(SPEC, dataset, verbose=0)
    project = root / "tablet.nirdesk"
    with Project.create(project) as p:
        p.record_run(result, dataset, SPEC)
    X, y, wl, test = read_folder(tablet_dir)
    _, X2 = read_matrix(tablet_dir / "X_instrument2.csv")
    rows = np.flatnonzero(test)[:N_TEST]
    other = np.flatnonzero(test)[N_TEST:N_TEST + N_OTHER]
    X_new = np.vstack([X[rows], X2[other]])
    ids = [f"inst1-{i}" for i in rows] + [f"inst2-{i}" for i in other]
    new = write_csv(root / "new.csv", wl, X_new, ids)
    train = read_train(tablet_dir)   # 'cal' rows only: the 'trans' rows are excluded
    ref = independent(X[train], y[train], X_new)
    return {"project": str(project), "new": str(new), "ids": ids, "ref": ref, "root": root}


@pytest.fixture
def panel(qtbot):
    p = PredictPanel()
    qtbot.addWidget(p)
    p.resize(1280, 800)
    p.show()
    yield p
    p.shutdown()


def predict(qtbot, panel: PredictPanel, project: str, spectra: str):
    panel.set_project(project)
    qtbot.waitUntil(lambda: panel.training is not None and not panel.is_busy(), timeout=WAIT)
    panel.open_spectra(spectra)
    qtbot.waitUntil(lambda: panel.dataset is not None and not panel.is_busy(), timeout=WAIT)
    with qtbot.waitSignal(panel.predicted, timeout=WAIT) as blocker:
        QTest.mouseClick(panel.predict_button, Qt.MouseButton.LeftButton)
    return blocker.args[0]


def test_flag_columns_marks_and_count_equal_an_independent_computation(setup, panel, qtbot):
    result = predict(qtbot, panel, setup["project"], setup["new"])
    ref = setup["ref"]
    model = panel.table_model
    assert model.titles()[-4:] == ["T\u00b2", "Q", "Leverage", FLAG_COLUMN]
    np.testing.assert_allclose(model.column("T\u00b2"), ref["t2"], rtol=1e-8)
    np.testing.assert_allclose(model.column("Q"), ref["q"], rtol=1e-8)
    np.testing.assert_allclose(model.column("Leverage"), ref["leverage"], rtol=1e-8)
    flagged = ref["flagged"]
    assert 0 < flagged.sum() < flagged.size          # both kinds in the file
    assert flagged[N_TEST:].all()                    # another instrument's spectra are outside
    np.testing.assert_array_equal(model.flagged(), flagged)
    assert panel.flagged_rows() == np.flatnonzero(flagged).tolist()

    col = model.titles().index(FLAG_COLUMN)
    for row in range(len(flagged)):
        text = model.data(model.index(row, col))
        brush = model.data(model.index(row, 0), Qt.ItemDataRole.BackgroundRole)
        if flagged[row]:
            assert text == FLAG_MARK + result.flags[row]
            assert "Q>99%" in text or "T2>99%" in text
            assert brush.color() == FLAGGED_BACKGROUND
        else:
            assert text == "" and brush is None
    k, n = int(flagged.sum()), flagged.size
    assert f"{k} of {n} spectra outside the model (99 %)" in panel.flag_line.text()

    # flagged only: the proxy keeps exactly the flagged rows, in the table's order
    assert panel.flagged_only_box.isEnabled()
    QTest.mouseClick(panel.flagged_only_box, Qt.MouseButton.LeftButton)
    assert panel.proxy.rowCount() == k
    shown = {panel.proxy.data(panel.proxy.index(r, 0)) for r in range(k)}
    assert shown == {setup["ids"][i] for i in np.flatnonzero(flagged)}
    QTest.mouseClick(panel.flagged_only_box, Qt.MouseButton.LeftButton)
    assert panel.proxy.rowCount() == n

    # the exported CSV carries the same flags (the engine's columns)
    out = setup["root"] / "flags.csv"
    assert panel.export_csv(str(out))
    with open(out, newline="") as fh:
        rows = list(csv.DictReader(fh))
    assert [r["flag"] for r in rows] == list(result.flags)
    np.testing.assert_allclose([float(r["q"]) for r in rows], ref["q"], rtol=1e-8)

    # sorting by the flag column puts the flagged rows together
    panel.table.sortByColumn(col, Qt.SortOrder.DescendingOrder)
    top = [panel.proxy.data(panel.proxy.index(r, col)) for r in range(k)]
    assert all(t.startswith(FLAG_MARK) for t in top)


def test_the_influence_tab_plots_new_spectra_on_the_calibration(setup, panel, qtbot):
    predict(qtbot, panel, setup["project"], setup["new"])
    ref = setup["ref"]
    panel.plot_tabs.setCurrentWidget(panel.influence)
    plot = panel.influence
    assert plot.is_plot_shown()
    points = plot.points()
    np.testing.assert_allclose(np.sort(points["calibration"][0]), np.sort(ref["cal_t2"]),
                               rtol=1e-8)
    np.testing.assert_allclose(np.sort(points["calibration"][1]), np.sort(ref["cal_q"]),
                               rtol=1e-8)
    flagged = ref["flagged"]
    np.testing.assert_allclose(points["outside"][0], ref["t2"][flagged], rtol=1e-8)
    np.testing.assert_allclose(points["inside"][1], ref["q"][~flagged], rtol=1e-8)
    for level in (0.95, 0.99):
        pct = f"{level * 100:g} %"
        assert plot.lines[f"T\u00b2 {pct}"] == pytest.approx(ref["t2_lim"][level], rel=1e-9)
        assert plot.lines[f"Q {pct}"] == pytest.approx(ref["q_lim"][level], rel=1e-9)
    # another instrument's spectra lie far beyond the limits: log axes, the same points
    assert plot.log_box.isChecked()
    np.testing.assert_allclose(plot.outside.x, np.log10(ref["t2"][flagged]), rtol=1e-9)
    line = plot.line_of["Q 99 %"]
    assert line.value() == pytest.approx(np.log10(ref["q_lim"][0.99]), rel=1e-9)
    plot.log_box.setChecked(False)
    np.testing.assert_allclose(plot.outside.x, ref["t2"][flagged], rtol=1e-9)
    assert line not in plot._line_items      # lines redrawn on the linear axes
    assert plot.key.texts() == [f"calibration ({ref['cal_t2'].size})",
                                f"new, inside ({(~flagged).sum()})",
                                f"new, outside (99 %) ({flagged.sum()})"]
    # the key above the plot, the four limits named inside it, over no point and no label
    for log in (False, True):
        plot.log_box.setChecked(log)
        qtbot.wait(50)
        vb = plot.plot.getPlotItem().vb
        area = vb.sceneBoundingRect()
        key = plot.key.label.sceneBoundingRect()
        assert key.height() > 0 and key.bottom() <= area.top()
        t = vb.childGroup.sceneTransform()
        xy = np.vstack([np.column_stack([x, y]) for x, y in (
            (s.x, s.y) for s in (plot.calibration, plot.inside, plot.outside))])
        xy = np.column_stack([t.m11() * xy[:, 0] + t.m21() * xy[:, 1] + t.dx(),
                              t.m12() * xy[:, 0] + t.m22() * xy[:, 1] + t.dy()])
        rects = [item.sceneBoundingRect() for item in plot.limit_labels.items.values()]
        assert len(rects) == 4
        for k, rect in enumerate(rects):
            assert area.contains(rect)
            assert not any(rect.intersects(other) for other in rects[k + 1:])
            assert not ((xy[:, 0] >= rect.left()) & (xy[:, 0] <= rect.right())
                        & (xy[:, 1] >= rect.top()) & (xy[:, 1] <= rect.bottom())).any()


def test_a_model_saved_without_diagnostics_predicts_with_a_note(setup, panel, qtbot,
                                                                 monkeypatch):
    """An older project: the store has no diagnostics for the model (load_diagnostics gives
    None, as for a file written before nirdesk kept them)."""
    from engine.store import Project

    monkeypatch.setattr(Project, "load_diagnostics", lambda self, run_id, branch_id: None)
    result = predict(qtbot, panel, setup["project"], setup["new"])
    assert result.flags is None and result.t2 is None
    assert panel.table_model.titles()[-1] != FLAG_COLUMN
    assert not panel.flagged_only_box.isEnabled()
    assert "no outlier flags" in panel.flag_line.text().lower() or \
        "diagnostics" in panel.flag_line.text().lower()
    assert not panel.influence.is_plot_shown()
    assert "diagnostics" in panel.influence.message.text()


def test_ten_thousand_calibration_and_new_spectra_are_three_array_items(qtbot):
    """A 10,000-sample calibration and 10,000 new spectra: the plot holds three array items
    (calibration, new inside, new flagged), never an item per point, with or without log
    axes; the key counts what each draws."""
    import pyqtgraph as pg

    from app.common.dots import Dots
    from app.predict.flags import InfluencePlot
    from app.predict.jobs import CalibrationInfluence

    rng = np.random.default_rng(1)
    n = 10_000
    limits = {"t2": {0.95: 7.8, 0.99: 11.3}, "q": {0.95: 11.0, 0.99: 15.0}}
    plot = InfluencePlot()
    qtbot.addWidget(plot)
    plot.resize(900, 600)
    plot.show()
    plot.set_calibration(CalibrationInfluence(limits, 3, "pls", rng.chisquare(3, n),
                                              rng.chisquare(5, n)))
    t2, q = rng.chisquare(3, n) * 3, rng.chisquare(5, n) * 3
    flagged = (t2 > 11.3) | (q > 15.0)
    for log in (False, True):
        plot.set_new(t2, q, flagged)
        plot.log_box.setChecked(log)
        qtbot.wait(1)
        drawn = [item for item in plot.plot.getPlotItem().items
                 if isinstance(item, (pg.ScatterPlotItem, Dots))]
        assert drawn == [plot.calibration, plot.inside, plot.outside]
        tx = np.log10 if log else (lambda v: v)
        np.testing.assert_allclose(plot.outside.x, tx(t2[flagged]))
        np.testing.assert_allclose(plot.inside.y, tx(q[~flagged]))
        assert plot.calibration.x.size == n
    assert plot.key.texts() == [f"calibration ({n:,})", f"new, inside ({(~flagged).sum():,})",
                                f"new, outside (99 %) ({flagged.sum():,})"]
    plot.close_plot()
