"""The spectra view with real mouse events (pytest-qt, offscreen): hover shows the nearest
spectrum, a click selects it, Ctrl+click adds/removes, Shift+drag (or box mode) selects every
spectrum crossing the box; selections show in the table and as an overlay."""
from __future__ import annotations

import numpy as np
import pytest
from PySide6.QtCore import QEvent, QPoint, QPointF, Qt
from PySide6.QtGui import QMouseEvent
from PySide6.QtWidgets import QApplication

from app.common.settings import AppSettings
from app.shell.main_window import MainWindow
from app.spectra import view as spectra_view

WAIT = 30_000
LEFT = Qt.MouseButton.LeftButton
NONE = Qt.MouseButton.NoButton
NO_MOD = Qt.KeyboardModifier.NoModifier
CTRL = Qt.KeyboardModifier.ControlModifier
SHIFT = Qt.KeyboardModifier.ShiftModifier


@pytest.fixture
def window(qtbot, tmp_path, tecator_dir):
    w = MainWindow(AppSettings(persistent=False))
    qtbot.addWidget(w)
    w.apply_default_size((1100, 700))   # the proportions the window starts with
    w.show()
    qtbot.waitExposed(w)
    w.start(data=str(tecator_dir))
    qtbot.waitUntil(lambda: w.state.dataset is not None and w.is_settled(), timeout=WAIT)
    return w


def pixel(view, x: float, y: float) -> QPoint:
    """Viewport pixel of a data point."""
    return view.graphics.mapFromScene(view.vb.mapViewToScene(QPointF(x, y)))


def data_at(view, p: QPoint) -> QPointF:
    return view.vb.mapSceneToView(view.graphics.mapToScene(p))


def send(view, kind, p: QPoint, button=NONE, buttons=NONE, mods=NO_MOD):
    viewport = view.graphics.viewport()
    ev = QMouseEvent(kind, QPointF(p), QPointF(viewport.mapToGlobal(p)), button, buttons, mods)
    QApplication.sendEvent(viewport, ev)


def click(view, p: QPoint, mods=NO_MOD):
    send(view, QEvent.Type.MouseButtonPress, p, LEFT, LEFT, mods)
    send(view, QEvent.Type.MouseButtonRelease, p, LEFT, NONE, mods)


def drag(qtbot, view, a: QPoint, b: QPoint, mods=NO_MOD):
    """Press, move in steps, release. pyqtgraph drops mouse moves closer together than
    1/mouseRateLimit (10 ms), so the steps are 12 ms apart."""
    send(view, QEvent.Type.MouseButtonPress, a, LEFT, LEFT, mods)
    for k in range(1, 7):
        qtbot.wait(12)
        send(view, QEvent.Type.MouseMove, a + (b - a) * (k / 6), NONE, LEFT, mods)
    send(view, QEvent.Type.MouseButtonRelease, b, LEFT, NONE, mods)


def top_row(window, j=50):
    Y = window.state.shown.Y
    row = int(np.argmax(Y[:, j]))
    return row, float(window.state.shown.x[j]), float(Y[row, j])


def test_hover_shows_the_nearest_spectrum(window, qtbot):
    view = window.view
    qtbot.wait(12)  # pyqtgraph drops a move within 10 ms of the previous one
    row, x, y = top_row(window)
    send(view, QEvent.Type.MouseMove, pixel(view, x, y))
    qtbot.waitUntil(lambda: view.hovered == row, timeout=WAIT)
    ds = window.state.dataset
    text = view.hover_label.toPlainText()
    assert f"sample {ds.sample_ids[row]}" in text
    assert f"moisture = {ds.y[row]:.4g}" in text
    assert ("test" if ds.test_mask[row] else "train") in text
    assert window.statusBar().currentMessage() == text
    np.testing.assert_array_equal(view.hover_curve.yData, ds.X[row])
    # far from every spectrum: nothing hovered
    send(view, QEvent.Type.MouseMove, pixel(view, float(ds.wavelengths[2]),
                                            window.state.shown.y_max))
    qtbot.waitUntil(lambda: view.hovered is None, timeout=WAIT)
    assert not view.hover_label.isVisible()


def test_click_and_ctrl_click_select_spectra(window, qtbot):
    view, st = window.view, window.state
    row, x, y = top_row(window)
    click(view, pixel(view, x, y))
    assert list(st.selection) == [row]
    table = window.selection_table
    assert table.model.rowCount() == 1
    assert table.model.data(table.model.index(0, 0)) == st.dataset.sample_ids[row]
    assert table.summary.text() == "1 spectrum selected"
    np.testing.assert_array_equal(view.selection_curve.yData, st.dataset.X[row])
    row2 = int(np.argmin(st.shown.Y[:, 50]))
    click(view, pixel(view, x, float(st.shown.Y[row2, 50])), CTRL)
    assert list(st.selection) == sorted([row, row2])
    assert view.selection_curve.yData.size == 2 * st.dataset.n_wavelengths
    click(view, pixel(view, x, y), CTRL)                       # Ctrl+click again: removed
    assert list(st.selection) == [row2]
    click(view, pixel(view, float(st.dataset.wavelengths[2]), st.shown.y_max))  # empty spot
    assert st.selection.size == 0 and table.model.rowCount() == 0
    qtbot.waitUntil(window.is_settled, timeout=WAIT)


def test_shift_drag_selects_every_spectrum_crossing_the_box(window, qtbot):
    view, st, data = window.view, window.state, window.state.shown
    boxes = []
    view.vb.boxed.connect(lambda rect, mods: boxes.append(rect))
    px_x, px_y = view.vb.viewPixelSize()

    def check_box(a: QPoint, b: QPoint):
        """The emitted box is the dragged one (to a pixel); returns the rows inside it."""
        rect = boxes[-1]
        pa, pb = data_at(view, a), data_at(view, b)
        assert abs(rect.left() - pa.x()) <= 1.5 * px_x and abs(rect.right() - pb.x()) <= 1.5 * px_x
        assert abs(rect.top() - pb.y()) <= 1.5 * px_y and abs(rect.bottom() - pa.y()) <= 1.5 * px_y
        return data.rows_in_box(rect.left(), rect.right(), rect.top(), rect.bottom())

    x0, x1 = float(data.x[40]), float(data.x[60])
    a, b = pixel(view, x0, 3.3), pixel(view, x1, 3.0)
    drag(qtbot, view, a, b, SHIFT)
    expected = check_box(a, b)
    assert 20 < expected.size < data.n_samples
    np.testing.assert_array_equal(st.selection, expected)
    assert window.selection_table.model.rowCount() == expected.size
    assert view.vb.viewRange()[0][0] < x0  # a selection drag does not pan or zoom
    # box mode: a plain drag selects; Ctrl adds to the selection
    window.actions["box_select"].trigger()
    low = np.sort(data.Y[:, 85])  # a box around the lowest spectra near column 85
    c, d = pixel(view, float(data.x[80]), low[25]), pixel(view, float(data.x[90]), low[0])
    drag(qtbot, view, c, d, CTRL)
    more = check_box(c, d)
    assert more.size and np.setdiff1d(more, expected).size
    np.testing.assert_array_equal(st.selection, np.union1d(expected, more))
    window.actions["clear_selection"].trigger()
    assert st.selection.size == 0
    window.actions["box_select"].trigger()        # back to pan mode: a plain drag pans
    before = view.vb.viewRange()[0]
    drag(qtbot, view, c, d)
    assert st.selection.size == 0 and view.vb.viewRange()[0] != before
    qtbot.waitUntil(window.is_settled, timeout=WAIT)


def test_a_very_large_selection_is_drawn_by_the_spectra_layer(window, qtbot, monkeypatch):
    monkeypatch.setattr(spectra_view, "OVERLAY_MAX_POINTS", 500)
    view, st = window.view, window.state
    st.set_selection(range(20))                     # 20 x 100 points > 500
    groups = view.layer.content.groups
    np.testing.assert_array_equal(groups[-1].rows, np.arange(20))
    assert view.selection_curve.xData is None or view.selection_curve.xData.size == 0
    qtbot.waitUntil(window.is_settled, timeout=WAIT)
    st.set_selection([3])                            # small again: overlay, layer group gone
    assert sum(g.rows.size for g in view.layer.content.groups) == 215
    assert view.selection_curve.yData.size == 100
    qtbot.waitUntil(window.is_settled, timeout=WAIT)


def test_selection_table_row_highlights_the_spectrum(window, qtbot):
    st = window.state
    st.set_selection([7, 9])
    table = window.selection_table
    table.view.clicked.emit(table.model.index(1, 0))
    assert window.view.hovered == 9
    qtbot.waitUntil(window.is_settled, timeout=WAIT)
