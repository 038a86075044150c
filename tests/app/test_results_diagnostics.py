"""The results' Diagnostics tab (pytest-qt, offscreen) on real runs of the tablet data.

What is checked against independent computations written here (plain numpy / scipy /
scikit-learn, not the engine): the plotted regression vector equals the coef_ of a
PLSRegression fitted by scikit-learn on SNV done in numpy; VIP equals Wold's formula; T²
equals t (cov(T))⁻¹ tᵀ with np.linalg.inv; Q the squared residual norm; the limit lines the
F / Jackson-Mudholkar formulas; the studentized residuals e / (s sqrt(1 - h)) with the hat
matrix of the scores. A non-PLS branch is measured in a PCA of its preprocessed spectra
(scikit-learn's PCA). Picking a point, Ctrl+click and a box emit the dataset rows under the
mouse; show_selection highlights exactly the rows given. A run reloaded from a project file
gives the same numbers through the saved model.
"""
from __future__ import annotations

import time

import numpy as np
import pyqtgraph as pg
import pytest
from PySide6.QtCore import QEvent, QPoint, QPointF, QRectF, Qt
from PySide6.QtGui import QMouseEvent
from PySide6.QtTest import QTest
from PySide6.QtWidgets import QApplication
from scipy import stats
from sklearn.cross_decomposition import PLSRegression
from sklearn.decomposition import PCA

from app.common import gc_guard
from app.common.dots import Dots
from app.results.diagnostics import N_BINS
from app.results.diagnostics_task import BranchDiagnostics
from app.results.panel import ResultsPanel

WAIT = 30_000
A = 6
PIPELINE = {"name": "diagnostics test", "steps": [{"branch": [
    ["SNV", {"class": "PLSRegression", "params": {"n_components": A, "scale": False}}],
    ["SNV", {"class": "Ridge", "params": {"alpha": 1.0}}],
]}]}
PLS, RIDGE = 1, 2


@pytest.fixture(scope="module")
def tablet(tablet_dir):
    from engine.io import load_dataset
    from engine.run import run

    ds = load_dataset(tablet_dir)
    return ds, run(PIPELINE, ds, verbose=0)


@pytest.fixture
def panel(qtbot):
    gc_guard.acquire()
    p = ResultsPanel()
    qtbot.addWidget(p)
    p.resize(1280, 700)
    p.show()
    qtbot.waitExposed(p)
    yield p
    p.shutdown()
    gc_guard.release()


def snv(X: np.ndarray) -> np.ndarray:
    return (X - X.mean(axis=1, keepdims=True)) / X.std(axis=1, keepdims=True)


def show_diagnostics(qtbot, panel, bid: int) -> BranchDiagnostics:
    panel.select_branch(bid)
    panel.tabs.setCurrentWidget(panel.diagnostics)
    qtbot.waitUntil(lambda: panel.diagnostics_data() is not None
                    and panel.diagnostics_data().branch_id == bid, timeout=WAIT)
    return panel.diagnostics_data()


def reference(ds, rows):
    """The PLS branch redone independently: SNV in numpy, scikit-learn's PLS, numpy stats."""
    Z = snv(ds.X[rows])
    y = ds.targets[ds.target][rows]
    pls = PLSRegression(n_components=A, scale=False).fit(Z, y)
    n, p = Z.shape
    zc = Z - Z.mean(axis=0)
    t = zc @ pls.x_rotations_
    t2 = np.einsum("ij,jk,ik->i", t, np.linalg.inv(np.cov(t.T)), t)
    e_mat = zc - t @ pls.x_loadings_.T
    q = (e_mat**2).sum(axis=1)
    lam = np.linalg.eigvalsh(e_mat.T @ e_mat / (n - 1))
    lam = lam[lam > 1e-12 * lam.max()]
    th1, th2, th3 = (lam**1).sum(), (lam**2).sum(), (lam**3).sum()
    h0 = 1 - 2 * th1 * th3 / (3 * th2**2)

    def q_lim(level):
        if h0 <= 0:   # Jackson-Mudholkar undefined: Box's scaled chi-square (as documented)
            return th2 / th1 * stats.chi2.ppf(level, th1**2 / th2)
        c = stats.norm.ppf(level)
        return th1 * (c * np.sqrt(2 * th2 * h0**2) / th1 + 1
                      + th2 * h0 * (h0 - 1) / th1**2) ** (1 / h0)

    def t2_lim(level):
        return A * (n - 1) / (n - A) * stats.f.ppf(level, A, n - A)

    w, t_fit, y_load = pls.x_weights_, pls.x_scores_, pls.y_loadings_
    ss = (y_load**2).sum(axis=0) * (t_fit**2).sum(axis=0)
    vip = np.sqrt(p * ((w / np.linalg.norm(w, axis=0)) ** 2 @ ss) / ss.sum())
    e = y - pls.predict(Z).ravel()
    tc = np.column_stack([np.ones(n), t])
    h = np.einsum("ij,jk,ik->i", tc, np.linalg.inv(tc.T @ tc), tc)
    s = np.sqrt(e @ e / (n - A - 1))
    return {"coef": pls.coef_.ravel(), "vip": vip, "t2": t2, "q": q, "scores": t,
            "t2_lim": {lv: t2_lim(lv) for lv in (0.95, 0.99)},
            "q_lim": {lv: q_lim(lv) for lv in (0.95, 0.99)},
            "leverage": h, "studentized": e / (s * np.sqrt(1 - h))}


def test_pls_branch_plots_equal_an_independent_computation(tablet, panel, qtbot):
    ds, result = tablet
    panel.set_run(result, ds)
    d = show_diagnostics(qtbot, panel, PLS)
    rows = ds.train_indices
    np.testing.assert_array_equal(d.rows, rows)
    ref = reference(ds, rows)
    page, plot = panel.diagnostics, panel.diagnostics.plot
    assert page.note.text() == ""           # a PLS branch from the run: nothing to explain

    page.set_view("coef")
    (x, coef), = plot.curves.values()
    np.testing.assert_allclose(x, ds.wavelengths)
    np.testing.assert_allclose(coef, ref["coef"], rtol=1e-9, atol=1e-9 * abs(ref["coef"]).max())
    assert plot.plot.getAxis("bottom").labelText == "Wavelength (nm)"

    page.set_view("vip")
    (x, vip), = plot.curves.values()
    np.testing.assert_allclose(vip, ref["vip"], rtol=1e-9)
    assert plot.lines == {"VIP = 1": 1.0}

    page.set_view("influence")
    np.testing.assert_allclose(plot.px, ref["t2"], rtol=1e-9)
    np.testing.assert_allclose(plot.py, ref["q"], rtol=1e-9)
    np.testing.assert_array_equal(plot.point_rows, rows)
    assert set(plot.lines) == {"T\u00b2 95 %", "T\u00b2 99 %", "Q 95 %", "Q 99 %"}
    for level in (0.95, 0.99):
        pct = f"{level * 100:g} %"
        assert plot.lines[f"T\u00b2 {pct}"] == pytest.approx(ref["t2_lim"][level], rel=1e-9)
        assert plot.lines[f"Q {pct}"] == pytest.approx(ref["q_lim"][level], rel=1e-9)
    outside = (ref["t2"] > ref["t2_lim"][0.99]) | (ref["q"] > ref["q_lim"][0.99])
    assert plot.outside.x.size == outside.sum() > 0
    np.testing.assert_allclose(np.sort(plot.outside.x), np.sort(ref["t2"][outside]), rtol=1e-9)
    key = plot.key.texts()
    assert f"calibration ({rows.size})" in key
    assert f"outside a 99 % limit ({outside.sum()})" in key
    qtbot.wait(50)                           # laid out and painted, as the user sees it
    assert_nothing_covers_a_sample(plot)

    page.set_view("scores")
    page.lv_x.setValue(2)
    page.lv_y.setValue(3)
    # PLS scores are defined up to the sign of each component: same as sklearn's fit
    for got, want in ((plot.px, ref["scores"][:, 1]), (plot.py, ref["scores"][:, 2])):
        sign = np.sign(got @ want)
        np.testing.assert_allclose(got, sign * want, rtol=1e-9, atol=1e-9)
    assert plot.plot.getAxis("bottom").labelText.startswith("LV 2")

    page.set_view("residuals")
    np.testing.assert_allclose(plot.px, ref["leverage"], rtol=1e-9)
    np.testing.assert_allclose(plot.py, ref["studentized"], rtol=1e-7)


def click_point(qtbot, plot, i: int, modifier=Qt.KeyboardModifier.NoModifier) -> None:
    qtbot.wait(QApplication.doubleClickInterval() + 50)   # two clicks, not a double click
    # where the point is once pending layout and range changes have run (mapped after the wait)
    scene = plot.plot.vb.mapViewToScene(QPointF(plot.px[i], plot.py[i]))
    pos = plot.graphics.mapFromScene(scene)
    QTest.mouseClick(plot.graphics.viewport(), Qt.MouseButton.LeftButton, modifier,
                     QPoint(round(pos.x()), round(pos.y())))


def scene_points(plot) -> list[QPointF]:
    vb = plot.plot.vb
    return [vb.mapViewToScene(QPointF(x, y)) for x, y in zip(plot.px, plot.py, strict=True)]


def label_rects(plot) -> list[QRectF]:
    return [item.sceneBoundingRect() for item in plot.limit_labels.items.values()
            if item.isVisible()]


def clear_points(plot) -> list[int]:
    """Plotted points, loneliest first, that no label covers."""
    scene = scene_points(plot)
    labels = label_rects(plot)
    xy = np.array([[p.x(), p.y()] for p in scene])
    d = np.sqrt(((xy[:, None, :] - xy[None, :, :]) ** 2).sum(axis=2))
    np.fill_diagonal(d, np.inf)
    order = np.argsort(-d.min(axis=1))
    return [int(i) for i in order if not any(r.contains(scene[i]) for r in labels)]


def assert_nothing_covers_a_sample(plot) -> None:
    """The key is above the view box (never over a sample); every limit's label is shown,
    inside the view box, over no sample and over no other label."""
    vb = plot.plot.vb.sceneBoundingRect()
    key = plot.key.label.sceneBoundingRect()
    assert key.height() > 0 and not key.intersects(vb) and key.bottom() <= vb.top()
    labels = label_rects(plot)
    assert len(labels) == len(plot.lines)
    for k, rect in enumerate(labels):
        assert vb.contains(rect), f"label {k} is cut by the plot's edge"
        assert not any(rect.intersects(other) for other in labels[k + 1:])
        assert not any(rect.contains(p) for p in scene_points(plot))


def pixel(plot, fx: float, fy: float) -> QPoint:
    """The widget pixel at fractions (fx from the left, fy from the top) of the view box."""
    r = plot.plot.vb.sceneBoundingRect()
    p = plot.graphics.mapFromScene(QPointF(r.left() + fx * r.width(), r.top() + fy * r.height()))
    return QPoint(p.x(), p.y())


def view_at(plot, p: QPoint) -> QPointF:
    return plot.plot.vb.mapSceneToView(plot.graphics.mapToScene(p))


def mouse_drag(qtbot, plot, a: QPoint, b: QPoint, mods=Qt.KeyboardModifier.NoModifier):
    """Press, move in steps, release (pyqtgraph drops moves closer than 10 ms apart)."""
    viewport = plot.graphics.viewport()
    left, none = Qt.MouseButton.LeftButton, Qt.MouseButton.NoButton

    def send(kind, p, button, buttons):
        QApplication.sendEvent(viewport, QMouseEvent(kind, QPointF(p), QPointF(
            viewport.mapToGlobal(p)), button, buttons, mods))

    qtbot.wait(QApplication.doubleClickInterval() + 50)
    send(QEvent.Type.MouseButtonPress, a, left, left)
    for k in range(1, 7):
        qtbot.wait(12)
        send(QEvent.Type.MouseMove, a + (b - a) * (k / 6), none, left)
    send(QEvent.Type.MouseButtonRelease, b, left, none)


def test_picking_emits_dataset_rows_and_show_selection_highlights(tablet, panel, qtbot):
    ds, result = tablet
    panel.set_run(result, ds)
    show_diagnostics(qtbot, panel, PLS)
    page, plot = panel.diagnostics, panel.diagnostics.plot
    page.set_view("influence")
    emitted = []
    panel.rows_selected.connect(emitted.append)
    # two samples far from any other (so the click is exact) and not under the legend
    far, other = clear_points(plot)[:2]
    click_point(qtbot, plot, far)
    assert emitted and emitted[-1].tolist() == [int(plot.point_rows[far])]
    click_point(qtbot, plot, other, Qt.KeyboardModifier.ControlModifier)
    assert sorted(emitted[-1].tolist()) == sorted({int(plot.point_rows[far]),
                                                   int(plot.point_rows[other])})
    click_point(qtbot, plot, other, Qt.KeyboardModifier.ControlModifier)   # toggles it off
    assert emitted[-1].tolist() == [int(plot.point_rows[far])]

    # hovering names the sample under the mouse
    plot.viewbox.hovered.emit(QPointF(plot.px[far], plot.py[far]))
    tip = plot.graphics.toolTip()
    assert tip.startswith(f"Sample {ds.sample_ids[plot.point_rows[far]]}\n")
    assert f"{plot.px[far]:.4g}" in tip and f"{plot.py[far]:.4g}" in tip

    # a box: every sample with T² and Q inside it, as dataset rows
    box = QRectF(0.0, 0.0, float(np.median(plot.px)), float(np.median(plot.py)))
    plot.viewbox.boxed.emit(box, Qt.KeyboardModifier.NoModifier)
    inside = (plot.px <= box.right()) & (plot.py <= box.bottom())
    np.testing.assert_array_equal(emitted[-1], np.sort(ds.train_indices[inside]))

    # with the mouse, as in the spectra view and Explore: a plain drag pans (no selection),
    # Shift+drag selects the samples in the box, Ctrl+Shift+drag adds to them
    n_emitted = len(emitted)
    before = plot.plot.vb.viewRange()
    a, b = pixel(plot, 0.3, 0.35), pixel(plot, 0.6, 0.75)
    mouse_drag(qtbot, plot, a, b)
    assert len(emitted) == n_emitted and plot.plot.vb.viewRange() != before
    plot.plot.vb.setRange(xRange=before[0], yRange=before[1], padding=0)
    mouse_drag(qtbot, plot, a, b, Qt.KeyboardModifier.ShiftModifier)
    assert len(emitted) == n_emitted + 1
    x0, x1 = sorted(view_at(plot, p).x() for p in (a, b))
    y0, y1 = sorted(view_at(plot, p).y() for p in (a, b))
    boxed = (plot.px >= x0) & (plot.px <= x1) & (plot.py >= y0) & (plot.py <= y1)
    assert boxed.any()
    np.testing.assert_array_equal(emitted[-1], np.sort(plot.point_rows[boxed]))
    assert plot.plot.vb.viewRange() == before             # a selection does not pan
    c, e = pixel(plot, 0.05, 0.5), pixel(plot, 0.3, 0.95)
    mouse_drag(qtbot, plot, c, e, Qt.KeyboardModifier.ShiftModifier
               | Qt.KeyboardModifier.ControlModifier)
    x0, x1 = sorted(view_at(plot, p).x() for p in (c, e))
    y0, y1 = sorted(view_at(plot, p).y() for p in (c, e))
    added = (plot.px >= x0) & (plot.px <= x1) & (plot.py >= y0) & (plot.py <= y1)
    np.testing.assert_array_equal(emitted[-1], np.sort(plot.point_rows[boxed | added]))
    assert "Shift+drag" in page.toolTip()

    # the window's selection drawn here: only rows of the calibration can be highlighted
    chosen = np.array([ds.train_indices[3], ds.train_indices[10], ds.test_indices[0]])
    panel.show_selection(chosen)
    hx, hy = plot.highlight.x, plot.highlight.y
    mask = np.isin(plot.point_rows, chosen)
    assert mask.sum() == 2
    np.testing.assert_array_equal(np.sort(hx), np.sort(plot.px[mask]))
    np.testing.assert_array_equal(np.sort(hy), np.sort(plot.py[mask]))
    n_emitted = len(emitted)
    page.set_view("scores")                    # the selection follows to the other plot
    hx = panel.diagnostics.plot.highlight.x
    assert len(hx) == 2 and len(emitted) == n_emitted   # showing never emits


def test_a_non_pls_branch_says_why_and_shows_pca_t2_q(tablet, panel, qtbot):
    ds, result = tablet
    panel.set_run(result, ds)
    d = show_diagnostics(qtbot, panel, RIDGE)
    page, plot = panel.diagnostics, panel.diagnostics.plot
    assert "Ridge, not a PLS model" in page.note.text()
    assert "PCA" in page.note.text()
    assert page.view() == "influence"
    assert [page.view_enabled(k) for k in ("coef", "vip", "scores", "influence", "residuals")] \
        == [False, False, False, True, False]
    Z = snv(ds.X[ds.train_indices])
    pca = PCA(n_components=d.n_components).fit(Z)
    t = pca.transform(Z)
    t2 = (t**2 / t.var(axis=0, ddof=1)).sum(axis=1)
    q = ((Z - pca.mean_ - t @ pca.components_) ** 2).sum(axis=1)
    np.testing.assert_allclose(plot.px, t2, rtol=1e-7)
    np.testing.assert_allclose(plot.py, q, rtol=1e-7, atol=1e-12 * q.max())
    assert {"T\u00b2 99 %", "Q 99 %"} <= set(plot.lines)


def test_a_run_reloaded_from_a_project_loads_its_model(tablet, panel, qtbot, tmp_path):
    from engine.store import Project

    ds, result = tablet
    path = tmp_path / "p.nirdesk"
    with Project.create(path) as project:
        run_id = project.record_run(result, ds, PIPELINE)
        stored = project.load_run(run_id)
    panel.set_run(result, ds)
    live = show_diagnostics(qtbot, panel, PLS)
    panel.set_run(stored.to_run_result(), ds, project_file=str(path), run_id=run_id)
    saved = show_diagnostics(qtbot, panel, PLS)
    assert panel.diagnostics.note.text() == ""
    for name in ("regression_vector", "vip", "t2", "q", "studentized"):
        np.testing.assert_allclose(getattr(saved, name), getattr(live, name), rtol=1e-12)
    # without the project at hand the branch is refitted from its steps, and says so
    panel.set_run(stored.to_run_result(), ds)
    refit = show_diagnostics(qtbot, panel, PLS)
    assert "refitted from the branch's saved steps" in panel.diagnostics.note.text()
    np.testing.assert_allclose(refit.regression_vector, live.regression_vector, rtol=1e-9,
                               atol=1e-12)


def test_plsda_branch_has_one_regression_vector_per_class(tablet_dir, panel, qtbot):
    from engine.io import load_dataset
    from engine.run import run

    ds = load_dataset(tablet_dir)
    y = ds.targets[ds.target]
    cuts = np.quantile(y, [1 / 3, 2 / 3])
    ds.targets["grade"] = np.where(y < cuts[0], "low", np.where(y < cuts[1], "mid", "high"))
    ds.target = "grade"
    result = run({"steps": ["SNV", {"class": "PLSDA", "params": {"n_components": 4}}]}, ds,
                 verbose=0)
    panel.set_run(result, ds)
    d = show_diagnostics(qtbot, panel, result.branches[0].id)
    page, plot = panel.diagnostics, panel.diagnostics.plot
    assert d.classes == ["high", "low", "mid"]
    assert not page.view_enabled("residuals") and page.view_enabled("scores")
    page.set_view("coef")
    assert list(plot.curves) == ["class high", "class low", "class mid"]
    page.set_view("scores")
    assert plot.key.texts() == ["class high", "class low", "class mid"]
    # each class in the colour of its points (the key is the only place that says which):
    # point i is drawn with sprite code[i], and sprite k has the colour of class k's entry
    labels = np.asarray(d.labels).astype(str)
    codes = np.searchsorted(np.array(["high", "low", "mid"]), labels)
    np.testing.assert_array_equal(plot.points.kind, codes)
    colours_drawn = [plot.points.sprites[k][3].color().name() for k in range(3)]
    assert [e.colour for e in plot.key.entries] == colours_drawn == plot.point_colours


def test_export_of_the_diagnostics_plot_while_another_tab_is_shown(tablet, panel, tmp_path):
    ds, result = tablet
    panel.set_run(result, ds)
    panel.select_branch(PLS)
    out = panel.export_plot_png("Diagnostics", tmp_path / "diag.png")
    assert out.stat().st_size > 1000
    assert panel.diagnostics_data().branch_id == PLS


@pytest.mark.parametrize("classes", [False, True], ids=["reference levels", "classes"])
def test_ten_thousand_samples_are_three_array_items_and_redraw_quickly(panel, qtbot, classes):
    """10,000 samples x 1,000 wavelengths: every view draws its samples as three array items
    (points, marks outside a limit, selection rings), never one item per point or per colour
    group; the per-sample colours of the scores plot are an index into a few sprites.
    (Measured on 2 cores: a view switch 20-40 ms, a highlight or a box ~5-10 ms, including
    the paint; 100-280 ms with one ScatterPlotItem per colour before.)"""
    rng = np.random.default_rng(0)
    n, p = 10_000, 1_000
    d = BranchDiagnostics(
        branch_id=1, kind="pls", note="", rows=np.arange(n), sample_ids=np.arange(n).astype(str),
        t2=rng.chisquare(3, n), q=rng.chisquare(5, n), leverage=rng.random(n) / 100,
        limits={"t2": {0.95: 7.8, 0.99: 11.3}, "q": {0.95: 11.0, 0.99: 15.0}},
        latent_kind="pls", n_components=3, wavelengths=np.linspace(1000, 2500, p),
        regression_vector=rng.normal(size=p), vip=rng.random(p) * 2,
        scores=rng.normal(size=(n, 3)), studentized=rng.normal(size=n), y=rng.normal(size=n),
        labels=rng.choice(["a", "b", "c", "d", "e"], n) if classes else None)
    page = panel.diagnostics
    panel.tabs.setCurrentWidget(page)
    page.set_diagnostics(d, "y")
    chosen = np.arange(0, n, 7)
    for view in ("influence", "scores", "residuals"):
        start = time.perf_counter()
        page.set_view(view)
        page.show_selection(chosen)
        qtbot.wait(1)
        elapsed = time.perf_counter() - start
        plot = page.plot
        drawn = [item for item in plot.plot.items
                 if isinstance(item, (pg.ScatterPlotItem, Dots))]
        assert drawn == [plot.points, plot.outside, plot.highlight], view
        assert plot.points.x.size == n and plot.highlight.x.size == chosen.size
        np.testing.assert_array_equal(plot.highlight.x, plot.px[chosen])
        if view == "scores":     # one sprite per class or reference level, an index per point
            assert len(plot.points.sprites) == (5 if classes else N_BINS)
            assert set(np.unique(plot.points.kind)) <= set(range(len(plot.points.sprites)))
            assert np.unique(plot.points.kind).size > 1
        else:
            assert len(plot.points.sprites) == 1
        if view == "influence":
            outside = (d.t2 > 11.3) | (d.q > 15.0)
            np.testing.assert_array_equal(plot.outside.x, d.t2[outside])
        assert elapsed < 1.0, f"{view}: {elapsed:.2f} s for 10,000 samples"
    start = time.perf_counter()
    page.plot.viewbox.boxed.emit(QRectF(-1, -1, 2, 2), Qt.KeyboardModifier.NoModifier)
    assert time.perf_counter() - start < 0.2
