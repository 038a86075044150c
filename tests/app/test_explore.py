"""The Explore view (issue 16): its scores, T² / Q and limits are the engine's explore_pca and
agree with scikit-learn's PCA and the F-distribution limit written out here; picking points
(click, Ctrl+click, box) selects the same rows in the window's state and the selection table,
and a selection made elsewhere (the results' diagnostics too) is ringed in the plots; the PCA
follows the branch, the component count and the exclusions off the GUI thread; 10,000
samples redraw at once."""
from __future__ import annotations

import json
import threading
import time

import numpy as np
import pytest
from PySide6.QtCore import QPoint, QPointF, QRectF, Qt, QThread
from PySide6.QtTest import QTest
from scipy import stats
from sklearn.decomposition import PCA

from app.common.plot_key import LimitLine
from app.common.settings import AppSettings
from app.explore import compute as C
from app.explore.scatter import EXCLUDED_COLOUR
from app.explore.view import ExploreView
from app.model.spectra_data import SpectraData
from app.model.state import PREPROCESSED, RAW, WorkbenchState
from app.shell.main_window import MainWindow
from app.spectra.selection_table import SelectionTable
from engine.dataset import SpectralDataset
from engine.diagnostics.pca import explore_pca
from engine.io import load_dataset
from engine.pipeline import parse_pipeline

WAIT = 60_000


def _state(ds: SpectralDataset, path: str | None = None) -> WorkbenchState:
    state = WorkbenchState()
    raw = SpectraData.build(ds.X, ds.wavelengths, wavelengths_known=True, title="raw")
    state.set_dataset(ds, raw, path)
    return state


def _view(qtbot, state: WorkbenchState) -> ExploreView:
    view = ExploreView(state)
    qtbot.addWidget(view)
    view.resize(1200, 460)
    view.show()
    qtbot.waitExposed(view)
    return view


def _settled(qtbot, view: ExploreView) -> None:
    qtbot.waitUntil(lambda: view.current() is not None and view.is_settled(), timeout=WAIT)


def _same_up_to_sign(a: np.ndarray, b: np.ndarray, tol: float = 1e-9) -> None:
    assert a.shape == b.shape
    for k in range(a.shape[1]):
        sign = np.sign(a[:, k] @ b[:, k]) or 1.0
        scale = max(1.0, float(np.abs(b[:, k]).max()))
        assert np.abs(a[:, k] - sign * b[:, k]).max() <= tol * scale


def _t2_limit(n: int, a: int, level: float) -> float:
    """Jackson (1991): A (n - 1) / (n - A) F_level(A, n - A), scipy's F quantile."""
    return a * (n - 1) / (n - a) * float(stats.f.ppf(level, a, n - a))


@pytest.fixture
def view_of_tecator(qtbot, tecator_dir):
    state = _state(load_dataset(tecator_dir), str(tecator_dir))
    view = _view(qtbot, state)
    yield state, view
    view.shutdown()


def test_scores_and_influence_equal_the_engine_and_sklearn(qtbot, view_of_tecator):
    state, view = view_of_tecator
    excluded = np.array([4, 50, 51, 199])
    state.set_excluded(excluded)
    view.components.setValue(4)
    qtbot.waitUntil(lambda: view.current() is not None and view.current().n_components == 4
                    and view.is_settled(), timeout=WAIT)
    ds = state.dataset
    result = view.current()
    engine_result, _axis = explore_pca(ds, None, 4)
    # what is drawn is the engine's: the scores plot shows PC1 vs PC2 of every row
    assert np.array_equal(view.scores.x, engine_result.scores[:, 0])
    assert np.array_equal(view.scores.y, engine_result.scores[:, 1])
    assert np.array_equal(view.influence.x, engine_result.t2)
    assert np.array_equal(view.influence.y, engine_result.q)
    # ... and agrees with scikit-learn: fitted on the rows not excluded, every row projected
    keep = np.setdiff1d(np.arange(ds.n_samples), excluded)
    pca = PCA(4, svd_solver="full").fit(ds.X[keep])
    _same_up_to_sign(result.scores, pca.transform(ds.X))
    _same_up_to_sign(result.loadings, pca.components_.T)
    assert np.allclose(result.explained[:4], pca.explained_variance_ratio_, rtol=1e-9)
    # T² = sum of squared scores over their calibration variances; Q = the residual's norm²
    scores = pca.transform(ds.X)
    t2 = (scores**2 / pca.explained_variance_).sum(axis=1)
    residual = (ds.X - pca.mean_) - scores @ pca.components_
    assert np.allclose(result.t2, t2, rtol=1e-9)
    assert np.allclose(result.q, (residual**2).sum(axis=1), rtol=1e-9)
    # the limit lines sit at the limits, the T² one at the F-distribution formula
    lines = view.influence.limit_lines
    for level in (0.95, 0.99):
        assert lines[("t2", level)].value() == pytest.approx(_t2_limit(keep.size, 4, level),
                                                             rel=1e-9)
        assert lines[("q", level)].value() == result.q_limits[level]
    # ... and are named (at the view's edges) by their level
    names = {(line.text, line.value) for line in view.influence.limit_labels.vertical
             + view.influence.limit_labels.horizontal}
    assert names == {(f"{s} {100 * level:g} %", lines[(k, level)].value())
                     for k, s in (("t2", "T\u00b2"), ("q", "Q")) for level in (0.95, 0.99)}
    # excluded rows are grey crosses, not coloured points; the status says what was fitted
    assert view.scores.excluded.x.size == 4
    assert view.scores.points.x.size == ds.n_samples - 4
    assert "fitted on 211 of 215 spectra (4 excluded" in view.status.full
    # axis titles name the components and their share of the variance
    share = 100 * pca.explained_variance_ratio_[0]
    assert view.scores.plot.getAxis("bottom").labelText == f"PC1 ({share:.1f} %)"


def test_branch_preprocessing_and_choices_recompute_off_the_gui_thread(qtbot, tecator_dir,
                                                                      tmp_path, monkeypatch):
    threads: list[str] = []
    original = C.compute

    def spy(request, cancel=None, **kwargs):
        main = threading.current_thread() is threading.main_thread()
        threads.append("main" if main else QThread.currentThread().objectName())
        return original(request, cancel=cancel, **kwargs)

    monkeypatch.setattr("app.explore.controller.compute", spy)
    ds = load_dataset(tecator_dir)
    state = _state(ds)
    spec = tmp_path / "two.json"
    spec.write_text(json.dumps({"steps": [{"branch": [["SNV"], ["Detrend"]]},
                                          {"class": "PLSRegression",
                                           "params": {"n_components": 3}}]}))
    state.set_pipeline(parse_pipeline(spec), str(spec))
    view = _view(qtbot, state)
    try:
        _settled(qtbot, view)
        assert view.current().request.branch is None and "raw spectra" in view.status.full
        # the chooser is the window's display: choosing branch 1 shows SNV in both views
        view.source.activated.emit(view.source.findData(1))
        assert state.display == PREPROCESSED and state.branch_id == 1
        qtbot.waitUntil(lambda: view.current().request.branch is not None
                        and view.is_settled(), timeout=WAIT)
        result = view.current()
        # SNV written out (population std), then scikit-learn's PCA
        centred = ds.X - ds.X.mean(axis=1, keepdims=True)
        snv = centred / centred.std(axis=1, keepdims=True)
        pca = PCA(result.n_components, svd_solver="full").fit(snv)
        _same_up_to_sign(result.scores, pca.transform(snv))
        assert "branch 1: SNV" in view.status.full
        # the component count is the user's; the scree colours the kept ones
        view.components.setValue(3)
        qtbot.waitUntil(lambda: view.current().n_components == 3 and view.is_settled(),
                        timeout=WAIT)
        assert view.scree.kept.opts["y1"].size == 3
        assert [view.pc_x.itemText(i) for i in range(view.pc_x.count())] == ["PC1", "PC2",
                                                                            "PC3"]
        view.pc_y.setCurrentIndex(2)
        view.pc_y.activated.emit(2)
        assert np.array_equal(view.scores.y, view.current().scores[:, 2])
        assert view.loadings.curves[1].getData()[1].tolist() == \
            view.current().loadings[:, 2].tolist()
        # an exclusion re-fits without those rows (debounced: one job for a burst)
        n_jobs = len(threads)
        state.set_excluded([0])
        state.set_excluded([0, 1, 2])
        qtbot.waitUntil(lambda: view.current().fit_rows.size == 212 and view.is_settled(),
                        timeout=WAIT)
        assert len(threads) == n_jobs + 1
        # back to raw: the spectra view's chooser and this one agree
        state.set_display(RAW)
        assert view.source.currentIndex() == 0
        qtbot.waitUntil(lambda: view.current().request.branch is None and view.is_settled(),
                        timeout=WAIT)
        assert threads and all(name == "nirdesk-explore" for name in threads)
    finally:
        view.shutdown()


def _click(qtbot, plot, row: int, modifier=Qt.KeyboardModifier.NoModifier) -> None:
    """A real mouse click on the point of ``row`` (data -> scene -> widget pixels)."""
    pos = plot.mapFromScene(plot.vb.mapViewToScene(_point(plot, row)))
    QTest.mouseClick(plot.viewport(), Qt.MouseButton.LeftButton, modifier,
                     QPoint(pos.x(), pos.y()))


def _point(plot, row: int):
    from PySide6.QtCore import QPointF

    return QPointF(float(plot.x[row]), float(plot.y[row]))


def test_picking_points_selects_rows_everywhere_and_back(qtbot, view_of_tecator):
    state, view = view_of_tecator
    table = SelectionTable(state)
    qtbot.addWidget(table)
    _settled(qtbot, view)
    plot = view.scores
    # a point far from the others, so the click cannot hit a neighbour
    centre = np.array([plot.x.mean(), plot.y.mean()])
    row = int(np.argmax(np.hypot(plot.x - centre[0], plot.y - centre[1])))
    _click(qtbot, plot, row)
    assert state.selection.tolist() == [row]
    assert table.model.rows.tolist() == [row]          # the selection table follows
    assert np.array_equal(view.influence.rings.x, [view.current().t2[row]])
    # Ctrl+click on an influence point adds it, Ctrl+click again removes it
    inf = view.influence
    far = int(np.argmax(inf.x))
    _click(qtbot, inf, far, Qt.KeyboardModifier.ControlModifier)
    assert sorted(state.selection.tolist()) == sorted({row, far})
    _click(qtbot, inf, far, Qt.KeyboardModifier.ControlModifier)
    assert state.selection.tolist() == [row]
    # a box (what Shift+drag emits) selects every point inside it, Ctrl adds
    x0, x1 = np.quantile(plot.x, [0.2, 0.6])
    y0, y1 = np.quantile(plot.y, [0.1, 0.9])
    inside = np.flatnonzero((plot.x >= x0) & (plot.x <= x1) & (plot.y >= y0) & (plot.y <= y1))
    plot.vb.boxed.emit(QRectF(x0, y0, x1 - x0, y1 - y0), Qt.KeyboardModifier.NoModifier)
    assert state.selection.tolist() == inside.tolist()
    assert table.model.rows.tolist() == inside.tolist()
    plot.vb.boxed.emit(QRectF(x0, y0, x1 - x0, y1 - y0),
                              Qt.KeyboardModifier.ControlModifier
                              | Qt.KeyboardModifier.ShiftModifier)
    assert state.selection.tolist() == inside.tolist()
    # a selection made elsewhere (the spectra view, the table) is ringed in both plots
    state.set_selection([3, 9])
    assert np.array_equal(plot.rings.x, view.current().scores[[3, 9], 0])
    assert np.array_equal(inf.rings.y, view.current().q[[3, 9]])
    # a click on empty space clears it
    plot.vb.clicked.emit(_far_corner(plot), Qt.KeyboardModifier.NoModifier)
    assert state.selection.size == 0


def _far_corner(plot):
    from PySide6.QtCore import QPointF

    (x0, x1), (y0, y1) = plot.vb.viewRange()
    return QPointF(x1 + 10 * (x1 - x0), y1 + 10 * (y1 - y0))


def test_ten_thousand_samples_stay_fluid(qtbot):
    """10,000 spectra x 200 points: the PCA runs on the view's thread; a full redraw (all four
    plots) and a selection change each take a fraction of a second on the GUI thread."""
    rng = np.random.default_rng(0)
    n, p = 10_000, 200
    wl = np.linspace(1000, 2500, p)
    base = np.sin(wl / 200.0)
    X = 1.0 + rng.normal(0, 0.3, (n, 1)) * base + rng.normal(0, 0.01, (n, p)).cumsum(axis=1)
    y = rng.uniform(0, 50, n)
    ds = SpectralDataset(X=X, wavelengths=wl, targets={"y": y},
                         sample_ids=np.array([f"s{i}" for i in range(n)]),
                         test_mask=np.arange(n) % 5 == 0, name="big")
    state = _state(ds)
    view = _view(qtbot, state)
    try:
        _settled(qtbot, view)
        timings = []
        for _ in range(3):
            start = time.perf_counter()
            view.redraw()
            view.repaint()
            timings.append(time.perf_counter() - start)
        start = time.perf_counter()
        state.set_selection(np.arange(0, n, 3))
        view.repaint()
        selection_s = time.perf_counter() - start
        start = time.perf_counter()
        state.set_colour_mode("partition")
        view.repaint()
        colour_s = time.perf_counter() - start
        print(f"\n10,000 samples: PCA {view.current().seconds:.2f} s (background); redraw "
              f"{1000 * min(timings):.0f} ms (min of 3, draw only {view.last_draw_ms:.0f} ms); "
              f"selection of 3,334 {1000 * selection_s:.0f} ms; colour switch "
              f"{1000 * colour_s:.0f} ms")
        assert view.scores.points.x.size == n
        assert min(timings) < 0.5 and selection_s < 0.5 and colour_s < 0.5
    finally:
        view.shutdown()


def test_window_explore_dock_actions_and_undo(qtbot, tmp_path, tecator_dir):
    spec = tmp_path / "pls.json"
    spec.write_text(json.dumps([{"class": "PLSRegression", "params": {"n_components": 3}}]))
    w = MainWindow(AppSettings(tmp_path / "s.ini"))
    qtbot.addWidget(w)
    w.resize(1280, 800)
    w.show()
    qtbot.waitExposed(w)
    try:
        w.start(str(tecator_dir), None, str(spec))
        qtbot.waitUntil(lambda: w.state.dataset is not None and w.is_settled(), timeout=WAIT)
        view = w.exploration.view
        assert not view.controller.active and view.current() is None   # behind Results
        w.actions["explore"].trigger()
        qtbot.waitUntil(lambda: view.current() is not None and w.is_settled(), timeout=WAIT)
        assert w.docks["exploreDock"].height() > 0.35 * w.height()   # ~300 of 800 px
        # the toolbar offers the window's own actions: Exclude selected and Run
        toolbar_actions = view.toolbar.actions()
        assert w.actions["exclude_selected"] in toolbar_actions
        assert w.bench.run_toolbar.run_action in toolbar_actions
        assert w.actions["exclude_selected"] in view.scores.vb.menu.actions()
        row = int(np.argmax(view.current().q))
        view.influence.picked.emit(np.array([row]), "replace")
        assert w.selection_table.model.rows.tolist() == [row]
        w.actions["exclude_selected"].trigger()
        assert w.state.excluded.tolist() == [row]
        qtbot.waitUntil(lambda: view.current().fit_rows.size == 214 and w.is_settled(),
                        timeout=WAIT)
        assert view.scores.excluded.x.size == 1
        # drawn where it now lies (a grey cross), even though the view's range just grew
        inf = view.influence
        qtbot.wait(50)
        image = inf.grab().toImage()
        pos = inf.mapFromScene(inf.vb.mapViewToScene(_point(inf, row)))
        assert image.pixelColor(pos.x(), pos.y()).name() == EXCLUDED_COLOUR
        # the results' diagnostics plots are linked both ways through the shell
        w.bench.results.rows_selected.emit(np.array([3, 5]))
        assert w.state.selection.tolist() == [3, 5]
        assert np.array_equal(view.scores.rings.x, view.current().scores[[3, 5], 0])
        w.state.set_selection([7])
        assert w.bench.results.diagnostics.selected_rows().tolist() == [7]
        w.bench.results.rows_selected.emit(np.array([2, 10_000]))   # another run's rows
        assert w.state.selection.tolist() == [2]
        w.bench.editor.actions()["undo"].trigger()
        assert w.state.excluded.size == 0
        qtbot.waitUntil(lambda: view.current().fit_rows.size == 215 and w.is_settled(),
                        timeout=WAIT)
    finally:
        w.bench.project.ask = lambda kind, **info: {"unsaved": "discard"}.get(kind)
        w.close()
        w.shutdown()


def test_a_branch_that_does_not_suit_the_data_is_one_line_not_a_traceback(qtbot, tecator_dir,
                                                                          tmp_path):
    state = _state(load_dataset(tecator_dir))
    spec = tmp_path / "wide.json"
    spec.write_text(json.dumps({"steps": [{"class": "SavitzkyGolay",
                                           "params": {"window_length": 501}},
                                          {"class": "PLSRegression",
                                           "params": {"n_components": 2}}]}))
    state.set_pipeline(parse_pipeline(spec), str(spec))
    view = _view(qtbot, state)
    try:
        _settled(qtbot, view)
        state.set_display(PREPROCESSED, 1)
        qtbot.waitUntil(lambda: view.controller.error != "" and view.is_settled(),
                        timeout=WAIT)
        text = view.message.text()
        assert text.startswith("PCA of the branch 1: ") and "\n" not in text
        assert "Traceback" not in text and view.current() is None
        # back to raw: the plots return
        state.set_display(RAW)
        _settled(qtbot, view)
        assert view.current().request.branch is None and view.controller.error == ""
    finally:
        view.shutdown()


# -- what the user sees: keys, limit labels, caption, scree, mouse ------------------------------

def _four_classes(n: int = 10_000) -> SpectralDataset:
    rng = np.random.default_rng(0)
    wl = np.linspace(1000, 2500, 200)
    cls = rng.integers(0, 4, n)
    X = 1.0 + (rng.normal(0, 0.3, (n, 1)) + 0.4 * cls[:, None]) * np.sin(wl / 200) \
        + rng.normal(0, 0.01, (n, wl.size)).cumsum(axis=1)
    return SpectralDataset(X=X, wavelengths=wl,
                           targets={"grade": np.array(["A", "B", "C", "D"])[cls]},
                           sample_ids=np.array([f"s{i}" for i in range(n)]),
                           test_mask=np.arange(n) % 5 == 0, name="big", units="nm")


def _scene_points(plot) -> np.ndarray:
    """Scene positions of every drawn point (one matrix product, not 10,000 mappings)."""
    t = plot.vb.childGroup.sceneTransform()
    return np.column_stack([t.m11() * plot.x + t.m21() * plot.y + t.dx(),
                            t.m12() * plot.x + t.m22() * plot.y + t.dy()])


def _inside(rect, xy: np.ndarray) -> np.ndarray:
    return ((xy[:, 0] >= rect.left()) & (xy[:, 0] <= rect.right())
            & (xy[:, 1] >= rect.top()) & (xy[:, 1] <= rect.bottom()))


def test_keys_and_limit_labels_never_cover_a_point(qtbot):
    """10,000 samples in 4 classes with excluded rows, in a dock-sized view: each plot's key
    is above its view box (so it covers no point, whatever the zoom), and the four limit
    labels sit inside the view, over no point and over no other label."""
    state = _state(_four_classes())
    view = ExploreView(state)
    qtbot.addWidget(view)
    view.resize(908, 300)                       # the dock at 1280 x 800
    view.show()
    qtbot.waitExposed(view)
    try:
        _settled(qtbot, view)
        state.set_excluded(np.argsort(view.current().q)[-20:])
        qtbot.waitUntil(lambda: view.current().fit_rows.size == 9_980 and view.is_settled(),
                        timeout=WAIT)
        qtbot.wait(50)
        for plot in (view.scores, view.influence):
            assert plot.key.texts()[:4] == [f"{c} ({n:,})" for c, n in zip(
                "ABCD", np.unique(state.y, return_counts=True)[1], strict=True)]
            assert plot.key.texts()[4] == "excluded (20)"
            key = plot.key.label.sceneBoundingRect()
            assert key.height() > 0 and key.bottom() <= plot.vb.sceneBoundingRect().top()
        inf = view.influence
        vb = inf.vb.sceneBoundingRect()
        xy = _scene_points(inf)
        rects = [item.sceneBoundingRect() for item in inf.limit_labels.items.values()]
        assert len(rects) == 4 and all(item.isVisible()
                                       for item in inf.limit_labels.items.values())
        for k, rect in enumerate(rects):
            assert vb.contains(rect)
            assert not _inside(rect, xy).any()
            assert not any(rect.intersects(other) for other in rects[k + 1:])
    finally:
        view.shutdown()


def test_close_limits_keep_their_labels_apart(qtbot, view_of_tecator):
    """Two T² limits a pixel apart (and two Q limits): the labels still do not overlap."""
    _, view = view_of_tecator
    _settled(qtbot, view)
    labels = view.influence.limit_labels
    labels.set([LimitLine(5.0, "T\u00b2 95 %", "#e08000"),
                LimitLine(5.01, "T\u00b2 99 %", "#c00000")],
               [LimitLine(0.3, "Q 95 %", "#e08000"), LimitLine(0.301, "Q 99 %", "#c00000")])
    labels.fit_range(view.influence.x, view.influence.y)
    qtbot.wait(50)
    rects = [item.sceneBoundingRect() for item in labels.items.values()]
    assert len(rects) == 4
    for k, rect in enumerate(rects):
        assert not any(rect.intersects(other) for other in rects[k + 1:])


def test_the_caption_drops_whole_parts_and_keeps_the_full_line_in_its_tooltip(qtbot,
                                                                          view_of_tecator):
    _, view = view_of_tecator
    _settled(qtbot, view)
    full = view.status.full
    assert view.status.text() == full and full in view.status.toolTip()
    view.resize(520, 460)
    qtbot.waitUntil(lambda: view.status.text() != full, timeout=WAIT)
    shown = view.status.text()
    assert shown.endswith(" \u00b7 \u2026")
    kept = shown.split(" \u00b7 ")[:-1]
    assert kept and kept == full.split(" \u00b7 ")[:len(kept)]     # whole parts, no cut word
    assert view.status.fontMetrics().horizontalAdvance(shown) \
        <= view.status.contentsRect().width()
    assert full in view.status.toolTip() and "Shift+drag" in view.status.toolTip()


def test_scree_is_readable_when_the_first_component_explains_nearly_all(qtbot,
                                                                        view_of_tecator):
    """Tecator's PC1 explains ~99 %: on a log axis the second component's bar is still tens
    of pixels tall, every bar top is log10 of the engine's share, and the bars are labelled."""
    _, view = view_of_tecator
    _settled(qtbot, view)
    view.tabs.setCurrentWidget(view.scree)
    qtbot.wait(50)
    result, scree = view.current(), view.scree
    pct = 100 * result.explained
    assert pct[0] > 95
    tops = np.concatenate([scree.kept.opts["y1"], scree.rest.opts["y1"]])
    np.testing.assert_allclose(tops, np.maximum(np.log10(pct), scree.floor), rtol=1e-12)
    assert scree.floor >= -6.0 and (np.log10(pct[:14]) > scree.floor).all()
    vb = scree.plot.vb
    base = vb.mapViewToScene(QPointF(2, scree.floor)).y()
    top = vb.mapViewToScene(QPointF(2, np.log10(pct[1]))).y()
    assert base - top > 20                         # PC2's bar: readable, not a sliver
    texts = [item.textItem.toPlainText() for item in scree.values]
    assert texts[:2] == [f"{pct[0]:.0f}", f"{pct[1]:.2g}"]
    shown = [item.sceneBoundingRect() for item in scree.values if item.isVisible()]
    assert shown and all(vb.sceneBoundingRect().contains(r) for r in shown)
    assert not any(r.intersects(o) for i, r in enumerate(shown) for o in shown[i + 1:])
    assert f"kept ({result.n_components}: " in scree.key.text()
    assert f"PC2: {pct[1]:.3g} % ({pct[0] + pct[1]:.4g} %)" in scree.toolTip()


def test_mouse_shift_drag_selects_and_a_plain_drag_pans(qtbot, view_of_tecator):
    state, view = view_of_tecator
    _settled(qtbot, view)
    plot = view.scores
    qtbot.wait(50)
    r = plot.vb.sceneBoundingRect()

    def at(fx, fy):
        p = plot.mapFromScene(QPointF(r.left() + fx * r.width(), r.top() + fy * r.height()))
        return QPoint(p.x(), p.y())

    a, b = at(0.2, 0.2), at(0.7, 0.8)
    before = plot.vb.viewRange()
    _mouse_drag(qtbot, plot, a, b)
    assert state.selection.size == 0 and plot.vb.viewRange() != before
    plot.vb.setRange(xRange=before[0], yRange=before[1], padding=0)
    _mouse_drag(qtbot, plot, a, b, Qt.KeyboardModifier.ShiftModifier)
    (x0, x1), (y0, y1) = ([min(v), max(v)] for v in zip(
        *[(q.x(), q.y()) for q in (plot.vb.mapSceneToView(plot.mapToScene(p))
                                   for p in (a, b))], strict=True))
    boxed = np.flatnonzero((plot.x >= x0) & (plot.x <= x1) & (plot.y >= y0) & (plot.y <= y1))
    assert boxed.size and state.selection.tolist() == boxed.tolist()
    assert plot.vb.viewRange() == before


def _mouse_drag(qtbot, plot, a: QPoint, b: QPoint, mods=Qt.KeyboardModifier.NoModifier):
    from PySide6.QtCore import QEvent
    from PySide6.QtGui import QMouseEvent
    from PySide6.QtWidgets import QApplication

    viewport = plot.viewport()
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


def test_a_long_pca_shows_its_progress_then_its_result(qtbot, monkeypatch):
    """Many spectra go through the PCA a block at a time: the view says how far it is (the
    percentages grow) until the scores replace the message."""
    from app.explore import controller as explore_controller
    from engine.diagnostics import pca as engine_pca

    monkeypatch.setattr(engine_pca, "BLOCK_VALUES", 400 * 50)      # 50 rows a block
    monkeypatch.setattr(explore_controller, "PROGRESS_MS", 5)
    slow_fit = engine_pca._fit_pca_streamed

    def slowed(*args, **kwargs):
        progress = args[5]

        def slow_progress(done: int, total: int) -> None:
            time.sleep(0.01)                    # the engine's pace, slowed for the poll
            if progress is not None:
                progress(done, total)
        return slow_fit(*args[:5], slow_progress, *args[6:], **kwargs)

    monkeypatch.setattr(engine_pca, "_fit_pca_streamed", slowed)
    rng = np.random.default_rng(5)
    n, p = 6000, 400                                # 6000*400*400 = 9.6e8: not streamed...
    monkeypatch.setattr(engine_pca, "_EXACT_BELOW", 1e8)          # ... unless the bar is lower
    X = rng.normal(0, 1, (n, 3)) @ rng.normal(0, 1, (3, p)) + rng.normal(0, 0.01, (n, p))
    ds = SpectralDataset(X=X, wavelengths=np.linspace(1000, 2500, p),
                         targets={"y": rng.normal(size=n)}, sample_ids=np.arange(n).astype(str),
                         test_mask=np.zeros(n, bool), name="many")
    state = _state(ds)
    view = ExploreView(state)
    qtbot.addWidget(view)
    seen: list[int] = []
    view.controller.progress.connect(seen.append)
    messages: list[str] = []
    view.controller.progress.connect(lambda _p: messages.append(view.message.text()))
    view.resize(1200, 460)
    view.show()
    try:
        _settled(qtbot, view)
        assert len(seen) >= 3 and seen == sorted(seen) and 0 < seen[-1] <= 100
        assert all(m.startswith("Computing the PCA\u2026 ") and m.endswith(" %")
                   for m in messages)
        assert view.scores.points.x.size == n
        reference, _ = explore_pca(ds)
        _same_up_to_sign(view.current().scores, reference.scores, tol=1e-8)
    finally:
        view.shutdown()
