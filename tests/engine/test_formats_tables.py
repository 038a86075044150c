"""Excel and MATLAB readers (issue 15): workbooks written with openpyxl and MAT files
written with scipy.io.savemat read back as written, as CSV-shaped rows and as spectra.
"""
from __future__ import annotations

from pathlib import Path

import numpy as np
import openpyxl
import pytest
import scipy.io

from engine.errors import InputError
from engine.io.formats import read_spectra
from engine.io.formats.xlsx import read_xlsx_table, sheet_names
from tests.formats_writers import refusal_line


# -- Excel ---------------------------------------------------------------------------------
def _workbook(path: Path, wl: np.ndarray, X: np.ndarray) -> Path:
    wb = openpyxl.Workbook()
    notes = wb.active
    notes.title = "Notes"
    notes.append(["measured on the tablet instrument"])
    ws = wb.create_sheet("Spectra")
    ws.append([None])  # a blank first row: the table starts on row 2
    ws.append(["sample", *[float(w) for w in wl], "hardness", "grade"])
    for i, row in enumerate(X):
        ws.append([f"s{i + 1}", *[float(v) for v in row], 10.0 + i, "AB"[i % 2]])
    wb.save(path)
    return path


def test_xlsx_sheet_reads_as_csv_rows_and_as_spectra(tmp_path: Path, tablet: tuple) -> None:
    wl, X = tablet
    path = _workbook(tmp_path / "book.xlsx", wl, X)
    assert sheet_names(path) == ["Notes", "Spectra"]
    table = read_xlsx_table(path, sheet="Spectra")
    assert table.lines.tolist() == list(range(2, 2 + 1 + len(X)))  # the sheet's row numbers
    assert table.row(0)[0] == "sample" and float(table.row(0)[1]) == wl[0]
    np.testing.assert_array_equal(table.numbers(1, None, 1, 1 + wl.size), X)
    got = read_spectra(path, sheet="Spectra")
    np.testing.assert_array_equal(got.spectra, X)
    np.testing.assert_array_equal(got.axis, wl)
    assert got.names == [f"s{i + 1}" for i in range(len(X))]
    np.testing.assert_array_equal(got.targets["hardness"], 10.0 + np.arange(len(X)))
    assert got.targets["grade"].tolist() == ["AB"[i % 2] for i in range(len(X))]


def test_xlsx_errors_name_the_sheet_and_cell(tmp_path: Path, tablet: tuple) -> None:
    wl, X = tablet
    path = _workbook(tmp_path / "book.xlsx", wl, X)
    with pytest.raises(InputError) as exc:
        read_spectra(path, sheet="Missing")
    assert "'Notes', 'Spectra'" in refusal_line(str(exc.value), path)
    with pytest.raises(InputError) as exc:
        read_spectra(path)  # the first sheet holds one line of text, no table
    assert "[Notes], row 1: the sheet has a header row but no data rows" in refusal_line(
        str(exc.value), path)
    wb = openpyxl.load_workbook(path)
    wb["Spectra"]["C5"] = "n/a"
    wb.save(path)
    with pytest.raises(InputError) as exc:
        read_spectra(path, sheet="Spectra")
    assert "[Spectra], row 5, column 3" in refusal_line(str(exc.value), path)
    fake = tmp_path / "fake.xlsx"
    fake.write_text("a,b\n1,2\n")
    with pytest.raises(InputError) as exc:
        read_spectra(fake)
    assert "not a readable Excel" in refusal_line(str(exc.value), fake)


# -- MATLAB --------------------------------------------------------------------------------
def test_mat_variables_found_by_name(tmp_path: Path, tablet: tuple) -> None:
    wl, X = tablet
    y = np.arange(len(X), dtype=np.float64) / 3
    path = tmp_path / "cal.mat"
    names = np.array([f"tab {i}" for i in range(len(X))], dtype=object)  # a cell array
    scipy.io.savemat(path, {"Xcal": X, "wavelengths": wl, "Ycal": y[:, None], "names": names})
    got = read_spectra(path)
    assert got.names == [f"tab {i}" for i in range(len(X))]
    np.testing.assert_array_equal(got.spectra, X)
    np.testing.assert_array_equal(got.axis, wl)
    np.testing.assert_array_equal(got.targets["Ycal"], y)
    assert got.units == "nm" and got.n_spectra == len(X)


def test_mat_variables_named_explicitly_and_transposed(tmp_path: Path, tablet: tuple) -> None:
    wl, X = tablet
    path = tmp_path / "odd.mat"
    scipy.io.savemat(path, {"M": X.T[::-1], "lam": wl[::-1], "protein": np.arange(12.0),
                            "other": np.ones((3, 3))})
    got = read_spectra(path, variables={"X": "M", "axis": "lam", "y": "protein"})
    np.testing.assert_array_equal(got.spectra, X)
    np.testing.assert_array_equal(got.axis, wl)
    np.testing.assert_array_equal(got.targets["protein"], np.arange(12.0))
    assert any("transposed" in n for n in got.notes)
    with pytest.raises(InputError) as exc:
        read_spectra(path)  # two matrices and no known name: it says so and lists them
    assert "M (597 x 12 float64)" in refusal_line(str(exc.value), path)
    with pytest.raises(InputError) as exc:
        read_spectra(path, variables={"X": "nope"})
    assert "no variable 'nope'" in refusal_line(str(exc.value), path)


def test_mat_v73_and_garbage_are_refused(tmp_path: Path) -> None:
    v73 = tmp_path / "new.mat"
    v73.write_bytes(b"MATLAB 7.3 MAT-file, Platform: GLNXA64" + b"\0" * 200)
    with pytest.raises(InputError) as exc:
        read_spectra(v73)
    assert "v7.3" in refusal_line(str(exc.value), v73)
    junk = tmp_path / "junk.mat"
    junk.write_bytes(b"\x00\x01garbage" * 30)
    with pytest.raises(InputError) as exc:
        read_spectra(junk)
    assert "not a readable MATLAB" in refusal_line(str(exc.value), junk)
