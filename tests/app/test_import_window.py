"""The window side of issue 15: File > Import, drops of instrument files and spectrum folders,
and the x axis named by the data's units."""
from __future__ import annotations

import shutil
from pathlib import Path

import numpy as np
import pytest
from PySide6.QtCore import QMimeData, QPointF, Qt, QUrl
from PySide6.QtGui import QDropEvent

from app.common.settings import AppSettings
from app.model.spectra_data import (
    UNIT_LABEL,
    UNKNOWN_UNITS_LABEL,
    WAVENUMBER_LABEL,
    SpectraData,
)
from app.shell.main_window import MainWindow
from engine.io import load_data
from tests.app.test_import_dialog import write_folder

WAIT = 30000
OPUS = Path(__file__).resolve().parents[1] / "data" / "formats" / "opus" / "file.0"


@pytest.fixture
def window(qtbot, tmp_path):
    w = MainWindow(AppSettings(tmp_path / "settings.ini"))
    qtbot.addWidget(w)
    w.resize(1100, 700)
    w.show()
    qtbot.waitExposed(w)
    w.start()
    qtbot.waitUntil(lambda: w.state.dataset is not None and w.is_settled(), timeout=WAIT)
    return w


def drop(window, *paths: Path) -> None:
    """A real QDropEvent through the window's dropEvent (as the desktop sends it)."""
    mime = QMimeData()
    mime.setUrls([QUrl.fromLocalFile(str(p)) for p in paths])
    event = QDropEvent(QPointF(50, 50), Qt.DropAction.CopyAction, mime,
                       Qt.MouseButton.LeftButton, Qt.KeyboardModifier.NoModifier)
    window.dropEvent(event)


def test_units_name_the_x_axis():
    Y, x = np.ones((2, 3)), np.array([1.0, 2.0, 3.0])
    assert SpectraData.build(Y, x, wavelengths_known=True, title="r").x_label == UNIT_LABEL
    assert SpectraData.build(Y, x, wavelengths_known=True, title="r",
                             units="cm-1").x_label == "Wavenumber (cm\u207b\u00b9)"
    assert SpectraData.build(Y, x, wavelengths_known=True, title="r",
                             units="").x_label == UNKNOWN_UNITS_LABEL


def test_a_dropped_opus_copy_loads_with_the_wavenumber_label(window, qtbot, tmp_path):
    copy = tmp_path / "sample.0"
    shutil.copy(OPUS, copy)
    with qtbot.waitSignal(window.dataset_loaded, timeout=WAIT):
        drop(window, copy)
    ds = window.state.dataset
    expected = load_data(copy)
    np.testing.assert_array_equal(ds.X, expected.X)
    assert ds.units == "cm-1"
    assert window.view.plot.getAxis("bottom").labelText == WAVENUMBER_LABEL
    assert window.dataset_panel.wavelengths.text().endswith("cm\u207b\u00b9")


def test_a_dropped_refused_file_keeps_the_open_dataset(window, qtbot, tmp_path):
    bad = tmp_path / "broken.jdx"
    bad.write_text("##TITLE=broken\n##END=\n")
    before = window.state.dataset
    with qtbot.waitSignal(window.spectra.load_failed, timeout=WAIT) as sig:
        drop(window, bad)
    assert "\n" not in sig.args[0] and "broken.jdx" in sig.args[0]
    assert window.state.dataset is before
    assert window.view.plot.getAxis("bottom").labelText == UNIT_LABEL


def test_a_dropped_spectrum_folder_opens_the_import_dialog(window, qtbot, tmp_path, tecator_dir):
    folder = tmp_path / "spectra"
    sheet = write_folder(folder, tecator_dir)
    drop(window, folder)
    dialog = window.import_dialog
    assert dialog.isVisible() and dialog.source() == str(folder)
    qtbot.waitUntil(lambda: dialog.preview is not None or "sheet" in dialog.status.text(),
                    timeout=WAIT)
    assert not dialog.import_button.isEnabled()  # it needs the sheet first
    dialog.sheet_edit.setText(str(sheet))
    with qtbot.waitSignal(dialog.jobs.busy_changed, timeout=WAIT,
                          check_params_cb=lambda busy, label: not busy):
        dialog.refresh_preview()
    assert dialog.preview.plan is not None and dialog.import_button.isEnabled()
    with qtbot.waitSignal(window.dataset_loaded, timeout=WAIT):
        dialog.start_import()
    np.testing.assert_array_equal(window.state.dataset.X,
                                  load_data(folder, reference=sheet).X)
    assert window.view.plot.getAxis("bottom").labelText == UNIT_LABEL
    # a successful import closes the dialog, and the window lets go of it (deleted later)
    assert window.import_dialog is None
    # the imported folder is a recent dataset; reopening it goes back to the Import dialog
    # (it needs its sheet) instead of failing with "give the reference sheet"
    entry = next(a for a in window.recent_menu.actions() if a.data() == str(folder)
                 or str(folder) in (a.toolTip() or ""))
    entry.trigger()
    assert window.import_dialog is not dialog and window.import_dialog.isVisible()
    assert window.import_dialog.source() == str(folder)
    window.import_dialog.reject()


def test_file_import_action_has_a_shortcut_and_opens_the_dialog(window, qtbot):
    action = window.actions["import"]
    assert action.shortcut().toString() == "Ctrl+I"
    assert action in window.menuBar().actions()[0].menu().actions()
    action.trigger()
    assert window.import_dialog.isVisible()
    window.import_dialog.reject()
