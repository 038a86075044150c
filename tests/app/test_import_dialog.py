"""File > Import (app.spectra.import_dialog): the preview is the engine's plan, the import gives
the engine's X, refusals keep what is open, and Cancel stops a large folder import."""
from __future__ import annotations

import csv
import threading
from pathlib import Path

import numpy as np
import pytest

from app.model.spectra_data import UNIT_LABEL
from app.spectra.import_dialog import ImportDialog
from engine.io import load_data, load_dataset
from engine.io.folder import plan_folder_import
from tests.formats_writers import write_jcamp

WAIT = 30000


def write_folder(folder: Path, tecator_dir: Path, n_files: int = 12, extra_ids=("ghost1",),
                 unreferenced: int = 2, corrupt: str | None = None) -> Path:
    """Tecator's first spectra as one JCAMP-DX file per sample, and a sheet (fat) that lists
    ``extra_ids`` with no file and leaves the last ``unreferenced`` files out."""
    ds = load_dataset(tecator_dir)
    folder.mkdir(parents=True, exist_ok=True)
    for i in range(n_files):
        write_jcamp(folder / f"s{i:04d}.jdx", ds.wavelengths, ds.X[i % ds.n_samples])
    if corrupt:
        (folder / corrupt).write_text("##TITLE=broken\n##XYDATA=(X++(Y..Y))\nnot numbers\n")
    sheet = folder.parent / "sheet.csv"
    with sheet.open("w", newline="") as fh:
        w = csv.writer(fh)
        w.writerow(["sample_id", "fat"])
        for i in range(n_files - unreferenced):
            w.writerow([f"s{i:04d}", f"{ds.targets['fat'][i % ds.n_samples]!r}"])
        if corrupt:
            w.writerow([Path(corrupt).stem, "1.0"])
        for extra in extra_ids:
            w.writerow([extra, "2.0"])
    return sheet


@pytest.fixture
def dialog(qtbot):
    loaded: list = []
    d = ImportDialog(on_loaded=loaded.append)
    d.loaded_list = loaded
    qtbot.addWidget(d)
    d.show()
    return d


def preview(qtbot, d, source, sheet=None):
    with qtbot.waitSignal(d.jobs.busy_changed, timeout=WAIT,
                          check_params_cb=lambda busy, label: not busy):
        d.set_source(source, sheet)
    assert d.preview is not None, d.status.text()


def test_preview_is_the_engine_plan_and_import_gives_engine_x(dialog, qtbot, tmp_path,
                                                                tecator_dir):
    folder = tmp_path / "spectra"
    sheet = write_folder(folder, tecator_dir)
    preview(qtbot, dialog, str(folder), str(sheet))
    plan = plan_folder_import(folder, sheet)
    matched, no_ref, no_file = dialog.table_columns()
    assert matched == [f"{f.name} \u2192 {sid}" for f, sid in plan.matched]
    assert no_ref == [f.name for f in plan.unmatched_files] == ["s0010.jdx", "s0011.jdx"]
    assert no_file == list(plan.unmatched_ids) == ["ghost1"]
    # the first spectra drawn are the first matched files, on their axis, in nm
    ds = load_dataset(tecator_dir)
    curves = [i for i in dialog.plot.listDataItems()]
    assert len(curves) == 8
    np.testing.assert_array_equal(curves[0].getData()[1], ds.X[0])
    assert dialog.plot.getAxis("bottom").labelText == UNIT_LABEL
    assert "850 \u2013 1050 nm" in dialog.axis_label.text()
    assert dialog.import_button.isEnabled()

    with qtbot.waitSignal(dialog.accepted, timeout=WAIT):
        dialog.start_import()
    (loaded,) = dialog.loaded_list
    expected = load_data(folder, reference=sheet)
    np.testing.assert_array_equal(loaded.dataset.X, expected.X)
    np.testing.assert_array_equal(loaded.dataset.X, ds.X[:10])
    assert loaded.dataset.units == expected.units == "nm"
    assert loaded.raw.x_label == UNIT_LABEL


def test_refused_files_are_listed_and_the_rest_imported(dialog, qtbot, tmp_path, tecator_dir):
    folder = tmp_path / "spectra"
    sheet = write_folder(folder, tecator_dir, corrupt="s9999.jdx", unreferenced=0)
    preview(qtbot, dialog, str(folder), str(sheet))
    with qtbot.waitSignal(dialog.jobs.busy_changed, timeout=WAIT,
                          check_params_cb=lambda busy, label: not busy):
        dialog.start_import()
    (loaded,) = dialog.loaded_list
    assert loaded.dataset.n_samples == 12
    assert dialog.refused_list.isVisible() and dialog.refused_list.count() == 1
    assert dialog.refused_list.item(0).text().startswith("s9999.jdx: ")
    assert "1 file refused" in dialog.status.text()


def test_an_import_refused_by_the_engine_shows_one_line_and_loads_nothing(dialog, qtbot,
                                                                         tmp_path, tecator_dir):
    ds = load_dataset(tecator_dir)
    one = write_jcamp(tmp_path / "one.jdx", ds.wavelengths, ds.X[0])
    preview(qtbot, dialog, str(one))
    one.write_text("##TITLE=now broken\n##END=\n")  # changed between preview and import
    with qtbot.waitSignal(dialog.jobs.busy_changed, timeout=WAIT,
                          check_params_cb=lambda busy, label: not busy):
        dialog.start_import()
    assert dialog.loaded_list == []
    text = dialog.status.text()
    assert "\n" not in text and "one.jdx" in text and "stays open" in text
    assert dialog.isVisible()


def test_a_folder_without_sheet_asks_for_it(dialog, qtbot, tmp_path, tecator_dir):
    folder = tmp_path / "spectra"
    write_folder(folder, tecator_dir, n_files=3)
    preview(qtbot, dialog, str(folder))
    assert not dialog.import_button.isEnabled()
    assert "reference sheet" in dialog.status.text()


def test_cancel_stops_a_large_folder_import(dialog, qtbot, tmp_path, tecator_dir):
    folder = tmp_path / "big"
    n = 3000
    sheet = write_folder(folder, tecator_dir, n_files=n, extra_ids=(), unreferenced=0)
    preview(qtbot, dialog, str(folder), str(sheet))
    handle = dialog.start_import()
    qtbot.waitUntil(lambda: dialog._progress.done >= 1, timeout=WAIT)
    with qtbot.waitSignal(handle.cancelled, timeout=WAIT):
        dialog.cancel_or_close()
    read = dialog._progress.done
    assert 0 < read < n
    assert dialog.loaded_list == [] and dialog.isVisible()
    assert "cancelled" in dialog.status.text()
    qtbot.wait(300)
    assert dialog._progress.done == read  # nothing read after the cancel was seen
    assert isinstance(handle._cancel, threading.Event) and handle._cancel.is_set()


def test_a_workbook_previews_its_first_table_sheet_and_imports_the_chosen_sheet(
        dialog, qtbot, tmp_path, tecator_dir):
    import openpyxl

    ds = load_dataset(tecator_dir)
    wb = openpyxl.Workbook()
    wb.active.title = "Notes"
    wb.active.append(["instrument 2, December"])
    for name, rows in (("Cal", range(0, 10)), ("Val", range(10, 14))):
        sheet = wb.create_sheet(name)
        sheet.append(["sample", *ds.wavelengths.tolist(), "fat"])
        for i in rows:
            sheet.append([f"s{i}", *ds.X[i].tolist(), float(ds.targets["fat"][i])])
    book = tmp_path / "book.xlsx"
    wb.save(book)
    preview(qtbot, dialog, str(book))
    # the notes sheet holds no table: the preview shows the first sheet that does
    assert dialog.excel_sheet() == "Cal" and dialog.preview.excel_sheet == "Cal"
    assert [dialog.excel_combo.itemText(i) for i in range(dialog.excel_combo.count())] == \
        ["Notes", "Cal", "Val"]
    np.testing.assert_allclose(dialog.preview.curves[0], ds.X[0], rtol=1e-14)
    # choosing another sheet previews it, and Import loads that sheet through engine.io
    with qtbot.waitSignal(dialog.jobs.busy_changed, timeout=WAIT,
                          check_params_cb=lambda busy, label: not busy):
        dialog.excel_combo.setCurrentText("Val")
        dialog.excel_combo.activated.emit(2)
    assert dialog.preview.excel_sheet == "Val" and dialog.preview.n_spectra == 4
    with qtbot.waitSignal(dialog.jobs.busy_changed, timeout=WAIT,
                          check_params_cb=lambda busy, label: not busy):
        dialog.start_import()
    [loaded] = dialog.loaded_list
    expected = load_data(book, sheet="Val")
    np.testing.assert_array_equal(loaded.dataset.X, expected.X)
    assert loaded.dataset.n_samples == 4
