"""Interval PLS window: the search runs off the GUI thread and the view draws exactly what
the engine found (one bar per interval at its RMSECV, the chosen ones coloured and shaded,
the full-range and chosen levels), adds the chosen windows before the branch's model, says
one line when the data cannot be searched, and cancels; in the main window the action opens
it on the open dataset and edited pipeline, and Add is one undoable editor edit."""
from __future__ import annotations

import numpy as np
import pytest

from app.ipls.view import IplsView

TIMEOUT = 120000


@pytest.fixture(scope="module")
def tablet(tablet_dir):
    from engine.io import load_dataset

    return load_dataset(tablet_dir)


@pytest.fixture
def view(qtbot):
    v = IplsView()
    qtbot.addWidget(v)
    v.resize(1000, 560)
    v.show()
    yield v
    v.shutdown()


def _search(qtbot, view, intervals=6, k=5, workers=1):
    view.intervals_spin.setValue(intervals)
    view.k_spin.setValue(k)
    view.workers_spin.setValue(workers)
    handle = view.start()
    assert handle is not None
    qtbot.waitUntil(lambda: handle.done(), timeout=TIMEOUT)
    return handle


def test_draws_the_engines_search_and_adds_it_before_the_model(qtbot, view, tablet):
    from engine.pipeline import parse_pipeline
    from engine.selection.ipls import interval_pls

    spec = ["SNV", {"class": "PLSRegression", "params": {"n_components": 8}}]
    view.set_context(tablet, parse_pipeline(spec))
    assert "SNV" in view.target_label.text() and view.run_button.isEnabled()
    handle = _search(qtbot, view)
    assert handle.status == "ok", view.status_text()
    expected = interval_pls(tablet, steps=["SNV"], n_intervals=6, k_max=5)
    result = view.outcome.result
    assert result.selected == expected.selected and result.rmsecv == expected.rmsecv
    heights = view.bars.opts["height"]
    np.testing.assert_allclose(heights, expected.interval_rmsecv)
    chosen = [i for i, b in enumerate(view.bars.opts["brushes"])
              if b.color().name() == "#1f77b4"]
    assert chosen == list(expected.selected)
    assert len(view.shades) == len(expected.ranges)
    assert view.full_line.value() == pytest.approx(expected.full.rmsecv)
    assert view.chosen_line.value() == pytest.approx(expected.rmsecv)
    x, y = view.spectrum_curve.getData()
    assert x.size == tablet.n_wavelengths and np.all(np.isfinite(y))
    assert "Chosen" in view.status_text() and f"{expected.rmsecv:.4g}" in view.status_text()

    with qtbot.waitSignal(view.add_step) as blocker:
        view.add_button.click()
    container, index, step = blocker.args
    assert (container, index) == ((), 1)                  # between SNV and the model
    assert step == {"class": "SelectRanges", "params": {"ranges": expected.ranges}}


def test_a_class_target_is_one_line_and_nothing_is_drawn(qtbot, view, tablet_dir):
    from engine.io import load_dataset

    labels = load_dataset(tablet_dir)
    labels.targets["grade"] = np.where(labels.y > 200, "high", "low").astype(object)
    labels.select_target("grade")
    view.set_context(labels, None)
    with qtbot.waitSignal(view.error) as blocker:
        _search(qtbot, view)
    assert "numeric target" in blocker.args[0] and "\n" not in blocker.args[0]
    assert view.bars is None and not view.add_button.isEnabled()


def test_cancel_stops_the_search(qtbot, view, tablet):
    view.set_context(tablet, None)
    view.intervals_spin.setValue(60)
    handle = view.start()
    qtbot.waitUntil(lambda: view._progress.read()[1] >= 1, timeout=TIMEOUT)
    view.cancel_button.click()
    qtbot.waitUntil(lambda: handle.done(), timeout=TIMEOUT)
    assert handle.status == "cancelled" and "cancelled" in view.status_text()
    assert view.run_button.isEnabled() and view.outcome is None


def test_refuses_to_start_during_a_run(qtbot, tablet):
    v = IplsView(run_active=lambda: True)
    qtbot.addWidget(v)
    v.set_context(tablet, None)
    assert v.start() is None and "run is going" in v.status_text()
    v.shutdown()


def test_the_window_opens_it_and_add_is_one_undoable_edit(qtbot, tmp_path, tablet_dir):
    from app.common.settings import AppSettings
    from app.shell.main_window import MainWindow

    w = MainWindow(AppSettings(tmp_path / "settings.ini"), quiet=True)
    qtbot.addWidget(w)
    w.open_dataset(str(tablet_dir))
    qtbot.waitUntil(lambda: w.state.dataset is not None, timeout=TIMEOUT)
    model = {"class": "PLSRegression", "params": {"n_components": 6, "scale": False}}
    w.bench.editor.set_spec(["SNV", model])
    w.actions["ipls"].trigger()
    view = w.bench.ipls_view
    assert view is not None and w.bench.ipls_dialog.isVisible()
    assert "SNV" in view.target_label.text()
    _search(qtbot, view, intervals=5, k=4, workers=1)
    assert view.outcome is not None, view.status_text()
    step = view.selection_step()
    view.add_button.click()
    assert w.bench.editor.spec() == ["SNV", step, model]
    # the window follows the edit: the branch now holds the windows before its model
    qtbot.waitUntil(lambda: "SelectRanges" in view.target_label.text(), timeout=TIMEOUT)
    w.bench.editor.actions()["undo"].trigger()
    assert w.bench.editor.spec() == ["SNV", model]
    w.close()
    w.shutdown()
    assert view._closed
