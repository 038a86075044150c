"""The main window (pytest-qt, offscreen): every dataset layout opens, every bad input gives
a dialog naming file/row/column while the open dataset stays, target chooser, colour modes,
raw vs preprocessed, export, recent files and layout, drag-and-drop, first-run demo."""
from __future__ import annotations

from pathlib import Path

import numpy as np
import pyqtgraph as pg
import pytest
from PySide6.QtCore import QMimeData, QPoint, QPointF, Qt, QUrl
from PySide6.QtGui import QDragEnterEvent, QDropEvent
from PySide6.QtWidgets import QApplication

from app.common.settings import AppSettings
from app.common.spectra_layer import SpectraLayer
from app.model.spectra_data import COLUMN_LABEL, UNIT_LABEL
from app.model.state import PREPROCESSED, RAW
from app.shell.main_window import MainWindow
from engine.errors import InputError
from engine.io import load_dataset

RNG = np.random.default_rng(1)
N, P = 30, 12
WL = np.linspace(1100.0, 2400.0, P)
WAIT = 30_000  # ms; generous for a loaded machine, waits end as soon as the condition holds


# -- small datasets in tmp_path, one per layout ------------------------------------------------
def _spectra(n=N, p=P):
    return np.round(1.0 + np.cumsum(RNG.normal(0, 0.02, (n, p)), axis=1)
                    + RNG.normal(0, 0.2, (n, 1)), 6)


def _table(rows, header=None, d=","):
    lines = [d.join(header)] if header is not None else []
    lines += [d.join(str(v) for v in row) for row in rows]
    return "\n".join(lines) + "\n"


def make_folder(root: Path, name="folder_ds", n=N) -> Path:
    folder = root / name
    folder.mkdir(parents=True)
    (folder / "X.csv").write_text(_table(_spectra(n), [f"{w:g}" for w in WL]))
    y = np.column_stack([RNG.uniform(1, 40, n), RNG.uniform(10, 20, n)]).round(3)
    (folder / "y.csv").write_text(_table(y, ["fat", "protein"]))
    (folder / "split.csv").write_text("split\n" + "\n".join(
        "test" if i % 5 == 0 else "train" for i in range(n)) + "\n")
    return folder


def make_nirs4all(root: Path, name="n4a_ds") -> Path:
    """Headerless ';' files: no wavelengths known, so the axis shows column numbers."""
    folder = root / name
    folder.mkdir(parents=True)
    for part, n in (("cal", 20), ("val", 8)):
        (folder / f"X{part}.csv").write_text(_table(_spectra(n), d=";"))
        (folder / f"Y{part}.csv").write_text(_table(RNG.uniform(0, 9, (n, 1)).round(3), d=";"))
    return folder


def make_single_csv(root: Path, name="single.csv") -> Path:
    X = _spectra()
    header = ["id"] + [f"{w:g}" for w in WL] + ["grade", "fat", "split"]
    rows = [[f"s{i:03d}", *X[i], "AB"[i % 2], round(float(RNG.uniform(0, 30)), 2),
             "test" if i < 6 else "train"] for i in range(N)]
    path = root / name
    path.write_text(_table(rows, header))
    return path


# -- fixtures -----------------------------------------------------------------------------
def settle(qtbot, window):
    qtbot.waitUntil(lambda: bool(window.state.dataset is not None or window.errors)
                    and window.is_settled(), timeout=WAIT)


@pytest.fixture
def make_window(qtbot, tmp_path):
    def make(settings_path: Path | None = None, start: bool = True, **start_args):
        window = MainWindow(AppSettings(settings_path or tmp_path / "settings.ini"))
        qtbot.addWidget(window)  # closed (threads stopped, plot closed) at teardown
        window.resize(1100, 700)
        window.show()
        qtbot.waitExposed(window)
        if start:
            window.start(**start_args)
            settle(qtbot, window)
        return window
    return make


def open_and_wait(qtbot, window, path, target=None):
    with qtbot.waitSignal(window.dataset_loaded, timeout=WAIT):
        window.open_dataset(path, target)
    settle(qtbot, window)
    return window.state.dataset


# -- opening every layout -----------------------------------------------------------------------
def test_first_run_opens_the_demo_dataset_and_pipeline(make_window):
    w = make_window()
    ds = w.state.dataset
    assert ds.name == "tecator" and ds.n_samples == 215
    # the title names the project (none saved yet); loading the demo is not an unsaved change
    assert w.windowTitle() == "nirdesk \u2014 Untitled[*]" and not w.isWindowModified()
    assert [b.id for b in w.state.pipeline.branches] == [1, 2, 3, 4]
    panel = w.dataset_panel
    assert panel.samples.text() == "215 spectra \u00d7 100 points"
    assert panel.wavelengths.text() == "850 \u2013 1050 nm"
    assert panel.partition.text() == "172 train \u00b7 43 test (split.csv)"
    assert w.view.plot.getAxis("bottom").labelText == UNIT_LABEL
    # every spectrum in ONE item, whatever the dataset's size
    layers = [i for i in w.view.plot.items if isinstance(i, SpectraLayer)]
    assert len(layers) == 1
    assert sum(g.rows.size for g in layers[0].content.groups) == 215
    assert not [i for i in w.view.plot.items
                if isinstance(i, pg.PlotCurveItem) and i.isVisible() and i.xData is not None
                and len(i.xData)]  # no per-spectrum curves: only overlays, empty for now


@pytest.mark.parametrize("maker, layout, n, label, targets", [
    (make_folder, "folder", N, UNIT_LABEL, ["fat", "protein"]),
    (make_nirs4all, "nirs4all", 28, COLUMN_LABEL, ["y"]),
    (make_single_csv, "single-csv", N, UNIT_LABEL, ["grade", "fat"]),
])
def test_each_layout_opens_with_its_summary(make_window, tmp_path, qtbot, maker, layout, n,
                                            label, targets):
    w = make_window()
    ds = open_and_wait(qtbot, w, maker(tmp_path))
    assert ds.metadata["layout"] == layout and ds.n_samples == n
    assert w.state.raw.x_label == label
    assert w.view.plot.getAxis("bottom").labelText == label
    assert [w.dataset_panel.target.itemText(i)
            for i in range(w.dataset_panel.target.count())][:len(targets)] == targets
    assert w.dataset_panel.samples.text().startswith(f"{n:,} spectra")
    if label == COLUMN_LABEL:
        assert "no wavelength header" in w.dataset_panel.wavelengths.text()
    assert w.view.is_drawn()


def test_loading_runs_in_the_background_with_a_busy_indicator(make_window, tmp_path, qtbot):
    w = make_window()
    before = w.state.dataset
    with qtbot.waitSignal(w.dataset_loaded, timeout=WAIT):
        w.open_dataset(make_folder(tmp_path))
        assert w.busy.isVisibleTo(w) and "Loading folder_ds" in w.busy_label.text()
        assert w.state.dataset is before  # the GUI thread did not wait for the load
    settle(qtbot, w)
    assert not w.busy.isVisibleTo(w)


# -- bad inputs ---------------------------------------------------------------------------------
def _bad_ragged(root):
    folder = make_folder(root, "ragged")
    lines = (folder / "X.csv").read_text().splitlines()
    lines[3] = ",".join(lines[3].split(",")[:-2])
    (folder / "X.csv").write_text("\n".join(lines) + "\n")
    return folder


def _bad_text_in_y(root):
    folder = make_folder(root, "text_y")
    lines = (folder / "y.csv").read_text().splitlines()
    lines[2] = "abc," + lines[2].split(",")[1]
    (folder / "y.csv").write_text("\n".join(lines) + "\n")
    return folder


def _bad_nan_single(root):
    path = make_single_csv(root, "nan.csv")
    lines = path.read_text().splitlines()
    cells = lines[4].split(",")
    cells[3] = "nan"
    lines[4] = ",".join(cells)
    path.write_text("\n".join(lines) + "\n")
    return path


def _bad_nirs4all_widths(root):
    folder = make_nirs4all(root, "widths")
    (folder / "Xval.csv").write_text(_table(_spectra(8, P - 2), d=";"))
    return folder


def _bad_duplicate_wavelength(root):
    folder = make_folder(root, "dup")
    lines = (folder / "X.csv").read_text().splitlines()
    head = lines[0].split(",")
    head[5] = head[2]
    lines[0] = ",".join(head)
    (folder / "X.csv").write_text("\n".join(lines) + "\n")
    return folder


def _bad_empty_file(root):
    folder = make_folder(root, "empty")
    (folder / "X.csv").write_text("")
    return folder


def _bad_unknown_folder(root):
    folder = root / "nothing_here"
    folder.mkdir()
    (folder / "notes.txt").write_text("hello")
    return folder


@pytest.mark.parametrize("make_bad", [_bad_ragged, _bad_text_in_y, _bad_nan_single,
                                      _bad_nirs4all_widths, _bad_duplicate_wavelength,
                                      _bad_empty_file, _bad_unknown_folder,
                                      lambda root: root / "missing"])
def test_bad_input_shows_a_dialog_naming_file_row_column_and_keeps_the_dataset(
        make_window, tmp_path, qtbot, make_bad):
    w = make_window()
    before, title = w.state.dataset, w.windowTitle()
    bad = make_bad(tmp_path)
    with pytest.raises(InputError) as expected:
        load_dataset(bad)
    err = expected.value
    with qtbot.waitSignal(w.load_failed, timeout=WAIT) as failed:
        w.open_dataset(bad)
    assert failed.args == [str(err)]
    box = w.error_box
    qtbot.waitUntil(box.isVisible, timeout=WAIT)
    text = box.informativeText()
    assert str(err) in text and "The dataset already open stays open." in text
    assert Path(err.file).name in text
    if err.row is not None:
        assert f"row {err.row}" in text and f"Row: {err.row}" in box.detailedText()
    if err.column is not None:
        assert f"column {err.column}" in text and f"Column: {err.column}" in box.detailedText()
    assert "bug" not in text
    assert w.state.dataset is before and w.windowTitle() == title
    assert w.view.is_drawn() and w.state.shown.n_samples == before.n_samples
    box.done(0)
    qtbot.waitUntil(lambda: not box.isVisible(), timeout=WAIT)


def test_a_bad_pipeline_is_reported_and_the_open_one_stays(make_window, tmp_path, qtbot):
    w = make_window()
    before = w.state.pipeline
    bad = tmp_path / "bad.json"
    bad.write_text('{"steps": [{"class": "os.system"}]}')
    w.open_pipeline(bad)
    qtbot.waitUntil(lambda: w.error_box is not None and w.error_box.isVisible(), timeout=WAIT)
    assert "bad.json" in w.error_box.informativeText()
    assert w.state.pipeline is before
    w.error_box.done(0)


# -- target, colours, raw vs preprocessed ---------------------------------------------------------
def test_target_chooser_updates_statistics_colours_and_table(make_window, qtbot):
    w = make_window()
    combo = w.dataset_panel.target
    assert [combo.itemText(i) for i in range(combo.count())] == ["moisture", "fat", "protein"]
    assert combo.isEnabled()
    w.state.set_selection([0, 1])
    combo.setCurrentIndex(2)
    combo.activated.emit(2)
    ds = w.state.dataset
    assert ds.target == "protein"
    stats = [w.dataset_panel.stats_form.itemAt(i, w.dataset_panel.stats_form.ItemRole.FieldRole)
             .widget().text() for i in range(w.dataset_panel.stats_form.rowCount())]
    assert stats[0] == f"{ds.y.mean():.4g} \u00b1 {ds.y.std(ddof=1):.4g}"
    assert w.view.colour_bar.getAxis("left").labelText == "protein"
    assert w.view.colour_bar.levels() == (ds.y.min(), ds.y.max())
    assert w.selection_table.model.headerData(1, Qt.Orientation.Horizontal) == "protein"
    settle(qtbot, w)


def test_colour_modes_bar_and_legend(make_window, qtbot):
    w = make_window()
    view = w.view
    assert w.state.colour_mode == "target"
    assert view.colour_bar.isVisible() and not view.legend.isVisible()
    assert 1 < len(view.layer.content.groups) <= 32
    w.actions["colour_partition"].trigger()
    assert w.state.colour_mode == "partition"
    assert w.controls.colour.currentData() == "partition"
    assert not view.colour_bar.isVisible() and view.legend.isVisible()
    labels = [label.text for _, label in view.legend.items]
    assert labels == ["train (172)", "test (43)"]
    assert [g.rows.size for g in view.layer.content.groups] == [172, 43]
    settle(qtbot, w)
    # a class-label target colours by class, with a legend
    w.controls.colour.setCurrentIndex(0)
    w.controls.colour.activated.emit(0)
    assert w.state.colour_mode == "target" and view.colour_bar.isVisible()
    w.actions["band"].trigger()
    assert w.state.band and view.mean_curve.isVisible()
    np.testing.assert_allclose(view.mean_curve.yData, w.state.dataset.X.mean(axis=0))
    settle(qtbot, w)


def test_class_target_legend(make_window, tmp_path, qtbot):
    w = make_window()
    open_and_wait(qtbot, w, make_single_csv(tmp_path), target="grade")
    assert not w.view.colour_bar.isVisible()
    assert [label.text for _, label in w.view.legend.items] == ["A (15)", "B (15)"]


def test_raw_and_preprocessed_toggle(make_window, qtbot):
    from engine.operators import MSC

    w = make_window()
    st, ds = w.state, w.state.dataset
    raw = st.shown
    combo = w.controls.display
    assert [combo.itemText(i) for i in range(combo.count())][:3] == [
        "Raw spectra", "Branch 1: SNV", "Branch 2: MSC"]
    combo.setCurrentIndex(2)
    combo.activated.emit(2)
    qtbot.waitUntil(lambda: st.shown is not raw, timeout=WAIT)
    settle(qtbot, w)
    assert st.display == PREPROCESSED and st.branch_id == 2
    assert w.actions["preprocessed"].isChecked()
    np.testing.assert_allclose(st.shown.Y, MSC().fit(ds.X[~ds.test_mask]).transform(ds.X))
    assert "MSC" in st.shown.title and "172 training" in st.shown.title
    assert w.view.plot.getAxis("left").labelText == "Preprocessed signal"
    pre = st.shown
    w.actions["preprocessed"].trigger()                # Ctrl+T: back to raw
    assert st.display == RAW and st.shown is raw and combo.currentIndex() == 0
    w.actions["preprocessed"].trigger()                # again: from the cache, at once
    assert st.shown is pre
    settle(qtbot, w)


def test_preprocessing_that_does_not_suit_the_data_falls_back_to_raw(make_window, tmp_path,
                                                                     qtbot):
    w = make_window()
    spec = tmp_path / "wide.json"
    spec.write_text('{"steps": [{"class": "SavitzkyGolay", "params": {"window_length": 501}},'
                    ' {"class": "PLSRegression", "params": {"n_components": 2}}]}')
    with qtbot.waitSignal(w.pipeline_loaded, timeout=WAIT):
        w.open_pipeline(spec)
    with qtbot.waitSignal(w.preprocessing_failed, timeout=WAIT):
        w.state.set_display(PREPROCESSED, 1)
    assert w.state.display == RAW and w.state.shown is w.state.raw
    assert "bug" not in w.error_box.informativeText()
    w.error_box.done(0)


# -- export ----------------------------------------------------------------------------------
def test_export_png_and_svg(make_window, tmp_path):
    w = make_window()
    png = w.export_view(tmp_path / "plot.png")
    svg = w.export_view(tmp_path / "plot.svg")
    assert png.read_bytes()[:8] == b"\x89PNG\r\n\x1a\n" and png.stat().st_size > 10_000
    text = svg.read_text()
    assert "<svg" in text and text.count("<polyline") >= 215  # every spectrum as a vector
    assert "Wavelength (nm)" in text and "moisture" in text
    assert w.export_view(tmp_path / "plot.jpg") is None and ".png or .svg" in w.errors[-1]
    w.error_box.done(0)


# -- recent files, layout, drag-and-drop --------------------------------------------------------
def test_recent_files_and_layout_are_restored(make_window, tmp_path, qtbot):
    ini = tmp_path / "restore.ini"
    w = make_window(ini)
    a, b = make_folder(tmp_path), make_single_csv(tmp_path)
    open_and_wait(qtbot, w, a)
    open_and_wait(qtbot, w, b)
    recent = w.settings.recent_files()
    assert recent[:2] == [str(b.resolve()), str(a.resolve())]
    assert [act.data() for act in w.recent_menu.actions() if act.data()][:2] == recent[:2]
    w.docks["selectionDock"].hide()
    w.resize(760, 590)  # within the offscreen screen (800 x 800): restoreGeometry clamps
    w.close()

    w2 = make_window(ini, start=False)
    assert w2.restore_layout()
    assert (w2.width(), w2.height()) == (760, 590)
    assert not w2.docks["selectionDock"].isVisible()
    w2.start()
    settle(qtbot, w2)
    assert w2.state.dataset.name == "single.csv"       # the most recent, not the demo
    w2.recent_menu.actions()[1].trigger()              # "2 folder_ds"
    qtbot.waitUntil(lambda: w2.state.dataset.name == "folder_ds", timeout=WAIT)
    settle(qtbot, w2)


def _drop(window, paths):
    mime = QMimeData()
    mime.setUrls([QUrl.fromLocalFile(str(p)) for p in paths])
    enter = QDragEnterEvent(QPoint(200, 200), Qt.DropAction.CopyAction, mime,
                            Qt.MouseButton.LeftButton, Qt.KeyboardModifier.NoModifier)
    QApplication.sendEvent(window, enter)
    assert enter.isAccepted()
    drop = QDropEvent(QPointF(200, 200), Qt.DropAction.CopyAction, mime,
                      Qt.MouseButton.LeftButton, Qt.KeyboardModifier.NoModifier)
    QApplication.sendEvent(window, drop)
    assert drop.isAccepted()


def test_drag_and_drop_of_folders_files_and_pipelines(make_window, tmp_path, qtbot):
    from engine.resources import demo_pipeline_path

    w = make_window()
    folder = make_folder(tmp_path)
    with qtbot.waitSignal(w.dataset_loaded, timeout=WAIT):
        _drop(w, [folder])
    assert w.state.dataset.name == "folder_ds"
    n4a = make_nirs4all(tmp_path)
    with qtbot.waitSignal(w.dataset_loaded, timeout=WAIT):
        _drop(w, [n4a / "Xcal.csv", n4a / "Ycal.csv"])   # files of one folder: the folder
    assert w.state.dataset.name == "n4a_ds" and w.state.dataset.n_test == 8
    with qtbot.waitSignal(w.dataset_loaded, timeout=WAIT):
        _drop(w, [folder / "X.csv"])                     # X.csv stands for its folder
    assert w.state.dataset.name == "folder_ds" and w.state.dataset.target == "fat"
    with qtbot.waitSignal(w.pipeline_loaded, timeout=WAIT):
        _drop(w, [demo_pipeline_path()])
    mime = QMimeData()
    mime.setText("not a file")
    enter = QDragEnterEvent(QPoint(5, 5), Qt.DropAction.CopyAction, mime,
                            Qt.MouseButton.LeftButton, Qt.KeyboardModifier.NoModifier)
    QApplication.sendEvent(w, enter)
    assert not enter.isAccepted()
    settle(qtbot, w)


# -- help ---------------------------------------------------------------------------------------
def test_shortcut_help_is_read_from_the_actions_so_it_cannot_drift(make_window):
    from PySide6.QtGui import QKeySequence

    native = QKeySequence.SequenceFormat.NativeText
    w = make_window(start=False)
    rows = {text: keys for keys, text in w.shortcut_rows()}
    assert rows["Open a dataset file"] == "Ctrl+O"
    assert rows["Export the plot as PNG / SVG"] == "Ctrl+E / Ctrl+Shift+E"
    assert rows["Run the pipeline / cancel the run"] == "F5 / Esc"
    assert rows["Undo / redo a pipeline edit"] == "Ctrl+Z / Ctrl+Shift+Z"
    assert rows["Duplicate / delete / enable-disable the selected step"] == \
        "Ctrl+D / Del / Space"
    assert rows["Select the spectra crossing a box"] == "Shift+drag"   # mouse: not actions
    # every action with a shortcut (window, project, editor, run) is in the help
    listed = {k for keys, _ in w.shortcut_rows() for k in keys.split(" / ")}
    with_keys = {name: a.shortcut().toString(native) for name, a in w.shortcut_actions().items()
                 if not a.shortcut().isEmpty()}
    assert {"Ctrl+N", "Ctrl+S", "F1", "Ctrl+Q"} <= set(with_keys.values())
    assert set(with_keys.values()) <= listed, set(with_keys.values()) - listed
    # a changed shortcut changes the help, and the dialog shows it
    w.actions["reset_zoom"].setShortcut(QKeySequence("Ctrl+9"))
    assert {t: k for k, t in w.shortcut_rows()}["Reset zoom"] == "Ctrl+9"
    w.actions["shortcuts"].trigger()
    assert "Ctrl+9" in w.info_box.text() and "Ctrl+0" not in w.info_box.text()
    w.info_box.done(0)
