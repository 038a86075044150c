"""An Excel workbook as --data: the sheet is chosen (--sheet / sheet=), the first sheet by
default, and a first sheet without a table is refused naming the workbook's sheets."""
from __future__ import annotations

from pathlib import Path

import numpy as np
import openpyxl
import pytest

from engine.cli import main as cli_main
from engine.errors import InputError
from engine.io import load_data


@pytest.fixture()
def book(tmp_path: Path) -> tuple[Path, np.ndarray]:
    """A workbook whose first sheet is a note and whose second holds 12 spectra + 2 targets."""
    rng = np.random.default_rng(0)
    X = rng.normal(size=(12, 3))
    wb = openpyxl.Workbook()
    wb.active.title = "Notes"
    wb.active.append(["measured on the second instrument"])
    sheet = wb.create_sheet("Spectra")
    sheet.append(["sample", 900, 902, 904, "fat", "moisture"])
    for i, row in enumerate(X):
        sheet.append([f"s{i}", *row.tolist(), float(i), float(-i)])
    path = tmp_path / "book.xlsx"
    wb.save(path)
    return path, X


def test_the_chosen_sheet_and_target_are_read(book):
    path, X = book
    ds = load_data(path, sheet="Spectra", target="moisture")
    # Excel keeps 15 significant digits: what openpyxl reads back, not the float64 written
    wb = openpyxl.load_workbook(path, read_only=True)
    try:
        stored = [[c.value for c in row[1:4]] for row in wb["Spectra"].iter_rows(min_row=2)]
    finally:
        wb.close()   # a read-only workbook keeps its file open until closed
    np.testing.assert_array_equal(ds.X, np.asarray(stored, dtype=float))
    np.testing.assert_allclose(ds.X, X, rtol=1e-14)
    np.testing.assert_array_equal(ds.wavelengths, [900.0, 902.0, 904.0])
    assert ds.target == "moisture"
    np.testing.assert_array_equal(ds.y, -np.arange(12.0))


def test_a_first_sheet_without_a_table_names_the_sheets(book, capsys):
    path, _ = book
    with pytest.raises(InputError, match=r"the workbook's sheets: Notes, Spectra \(choose one"):
        load_data(path)
    assert cli_main(["info", str(path)]) == 2
    err = capsys.readouterr().err.strip().splitlines()
    assert len(err) == 1 and "--sheet NAME" in err[0] and str(path) in err[0]
    assert cli_main(["info", str(path), "--sheet", "Spectra"]) == 0
    assert "12 samples" in capsys.readouterr().out


def test_sheet_is_refused_for_files_that_are_not_workbooks(tecator_dir, capsys):
    with pytest.raises(InputError, match="--sheet is for an Excel workbook"):
        load_data(tecator_dir, sheet="Spectra")
