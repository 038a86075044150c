"""Excel workbooks (.xlsx/.xlsm): a sheet as the rows a CSV file would give, and as spectra.

Why rows first: an Excel sheet holds the same tables as the CSV layouts (one column per
wavelength headed by the wavelength, target columns, an id column), so the layouts read it
through the same ``CsvTable`` they get from a CSV file (:func:`read_xlsx_table`): one set of
rules and messages for both. Cells become the text a CSV export would hold (numbers as
``repr(float)``, which round-trips exactly); row numbers are the sheet's own, so a message
names the row Excel shows.

Library: openpyxl (MIT, pure Python, one small dependency). python-calamine reads faster, but it
is a compiled wheel per platform and cannot write; openpyxl both reads in streaming mode
(read_only) and lets the tests write workbooks with the same package, and a spectral table of a
few thousand cells reads in well under a second. Formulas are read as their cached values
(``data_only``): nothing in a workbook is executed.
"""
from __future__ import annotations

import datetime as dt
import zipfile
from pathlib import Path
from typing import Any

import numpy as np

from engine.errors import InputError
from engine.io.csvtable import CsvTable
from engine.io.fields import ID_NAMES
from engine.io.formats.base import SpectraFile, ascending


def _open(path: Path) -> Any:
    import openpyxl  # imported here: only a user who opens a workbook pays for it

    try:
        return openpyxl.load_workbook(path, read_only=True, data_only=True)
    except (zipfile.BadZipFile, KeyError, OSError, ValueError) as exc:
        raise InputError(f"not a readable Excel .xlsx workbook ({type(exc).__name__}: {exc}; "
                         "old .xls files: save them as .xlsx)", file=path) from None
    except Exception as exc:  # noqa: BLE001 - openpyxl's own errors on a damaged workbook
        raise InputError(f"cannot read the workbook ({type(exc).__name__}: {exc})",
                         file=path) from None


def sheet_names(path: str | Path) -> list[str]:
    """The workbook's sheet names in order (for a sheet chooser)."""
    p = Path(path)
    wb = _open(p)
    try:
        return list(wb.sheetnames)
    finally:
        wb.close()


def _text(value: Any) -> str:
    if value is None:
        return ""
    if isinstance(value, bool):
        return "TRUE" if value else "FALSE"
    if isinstance(value, int):
        return str(value)
    if isinstance(value, float):
        return repr(value)
    if isinstance(value, dt.datetime | dt.date | dt.time):
        return value.isoformat()
    return str(value)


def read_xlsx_table(path: str | Path, sheet: str | None = None) -> CsvTable:
    """The used range of ``sheet`` (default: the first) as a CsvTable of cell texts.

    Leading and trailing empty rows and trailing empty columns are dropped (a sheet's "used
    range" often runs past the table); the row numbers are the sheet's (1-based). The file is
    named "book.xlsx [Sheet]" in messages when the workbook has several sheets.
    """
    return _read_table(Path(path), sheet)[0]


def _read_table(p: Path, sheet: str | None) -> tuple[CsvTable, str]:
    wb = _open(p)
    try:
        names = list(wb.sheetnames)
        if not names:
            raise InputError("the workbook has no sheet", file=p)
        if sheet is None:
            sheet = names[0]
        elif sheet not in names:
            raise InputError(f"no sheet {sheet!r}; the workbook's sheets: "
                             f"{', '.join(repr(n) for n in names)}", file=p)
        ws = wb[sheet]
        rows: list[list[str]] = []
        lines: list[int] = []
        for r, values in enumerate(ws.iter_rows(values_only=True), start=1):
            cells = [_text(v) for v in values]
            if not any(c.strip() for c in cells):
                if rows:
                    rows.append(cells)
                    lines.append(r)
                continue
            rows.append(cells)
            lines.append(r)
    finally:
        wb.close()
    while rows and not any(c.strip() for c in rows[-1]):
        rows.pop()
        lines.pop()
    file = f"{p} [{sheet}]" if len(names) > 1 else str(p)
    if not rows:
        raise InputError(f"sheet {sheet!r} is empty", file=p)
    width = max(max((j + 1 for j, c in enumerate(row) if c.strip()), default=0) for row in rows)
    grid = np.full((len(rows), width), "", dtype=object)
    for i, row in enumerate(rows):
        grid[i, :min(len(row), width)] = row[:width]
    return CsvTable(file=file, delimiter="\t", decimal_comma=False, cells=grid,
                    lines=np.asarray(lines, dtype=np.int64)), sheet


def read_xlsx(path: Path, *, sheet: str | None = None) -> SpectraFile:
    """A sheet in the single-table layout as spectra: the columns headed by numbers are the
    spectrum (contiguous), an id/sample/name column gives the names, the other columns are
    targets (numbers, or text for classes). The dataset layer reads the same sheet through
    :func:`read_xlsx_table` with every rule of the CSV layouts; this is for previews and for
    the spectrum-file API."""
    t, sheet = _read_table(path, sheet)
    if t.n_rows < 2:
        raise t.error("the sheet has a header row but no data rows", 0)
    header = t.row(0)
    wl = [j for j, name in enumerate(header) if t.to_number(name) is not None]
    if not wl:
        raise t.error("no wavelength columns: no column header is a number (expected one "
                      "column per wavelength, headed by the wavelength)", 0)
    c0, c1 = wl[0], wl[-1] + 1
    if len(wl) != c1 - c0:
        j = next(j for j in range(c0, c1) if j not in wl)
        raise t.error("the wavelength columns must be contiguous", 0, j, header)
    axis = np.array([t.to_number(header[j]) for j in range(c0, c1)], dtype=np.float64)
    spectra = t.numbers(1, None, c0, c1, header, what="a spectrum")
    others = [j for j in range(t.n_cols) if not c0 <= j < c1]
    id_col = next((j for j in others if header[j].lower() in ID_NAMES), None)
    names = ([str(c).strip() for c in t.cells[1:, id_col]] if id_col is not None
             else [str(i) for i in range(1, t.n_rows)])
    targets: dict[str, np.ndarray] = {}
    for j in others:
        if j == id_col or not header[j]:
            continue
        texts = [str(c).strip() for c in t.cells[1:, j]]
        numbers = [t.to_number(c) if c else np.nan for c in texts]
        if all(v is not None for v in numbers):
            targets[header[j]] = np.array(numbers, dtype=np.float64)
        else:
            targets[header[j]] = np.array(texts, dtype=object)
    notes: list[str] = []
    axis, spectra = ascending(axis, spectra, notes)
    return SpectraFile(spectra=spectra, axis=axis, units="", names=names,
                       metadata={"format": "Excel", "sheet": sheet},
                       notes=notes, targets=targets)
