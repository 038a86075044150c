"""Instrument and exchange files: one reader per format, all returning a :class:`SpectraFile`.

Why one shape for every format: a folder of single-spectrum files, a multi-spectrum file and a
table all become the same thing (spectra + axis + units + per-spectrum names + metadata) before
the dataset layer matches them with reference values. A reader refuses a file it cannot use with
one InputError naming the file and why; it never returns an empty or half-read spectrum.

Contract (issue 15):

    read_spectra(path, *, block=None, sheet=None, variables=None) -> SpectraFile
                          dispatch on suffix (and content sniffing: OPUS files end in .0, .1 ...)
    SpectraFile.spectra   (n, p) float64, one row per spectrum in the file
    SpectraFile.axis      (p,) float64, strictly ASCENDING (a reader sorts a descending axis and
                          adds a note to ``notes``)
    SpectraFile.units     "nm", "cm-1" or "" (unknown)
    SpectraFile.names     n names (the file stem for a single spectrum; the file's own sample
                          names for multi-spectrum files)
    SpectraFile.metadata  dict of what the file says (instrument, date, y-units, block, ...)
    SpectraFile.notes     readable notes for the loader report ("axis was descending: sorted")
    SpectraFile.targets   {name: (n,) values} read from the same file (MATLAB y, Excel target
                          columns); empty for instrument files, whose references live elsewhere
    SUFFIXES              {suffix: format name}; FormatMissing names the optional extra a
                          format needs when its library is not installed

Every reader is plain Python with no Qt and no shared state, so the window can run it on a
worker thread, and reading a file never builds a dataset (a preview reads, draws, forgets).
Excel tables also come as CSV-shaped rows (:func:`engine.io.formats.xlsx.read_xlsx_table`) so
the CSV layouts can read a workbook exactly as they read a CSV file.
"""
from __future__ import annotations

import re
from collections.abc import Callable
from pathlib import Path
from typing import Any

from engine.errors import InputError
from engine.io.formats.base import FormatMissing, SpectraFile, check

__all__ = ["SUFFIXES", "TABLE_FORMATS", "FormatMissing", "SpectraFile", "format_of",
           "read_spectra"]

#: file suffix (lower case) -> format name. OPUS files have numbered suffixes (.0, .1, ...):
#: those are recognised by content (``format_of``), not listed here.
SUFFIXES: dict[str, str] = {
    ".jdx": "JCAMP-DX",
    ".dx": "JCAMP-DX",
    ".jcamp": "JCAMP-DX",
    ".spc": "SPC",
    ".xlsx": "Excel",
    ".xlsm": "Excel",
    ".mat": "MATLAB",
    ".opus": "OPUS",
}

#: formats that hold a table (the CSV layouts' shapes: also a reference sheet), not instrument
#: spectra: a folder import must not take a workbook beside the spectra for a spectrum file
TABLE_FORMATS = frozenset({"Excel"})

_NUMBERED = re.compile(r"^\.\d+$")
OPUS_MAGIC = b"\x0a\x0a\xfe\xfe"


def format_of(path: str | Path) -> str | None:
    """The format name of ``path`` (by suffix, else by content for OPUS), or None."""
    p = Path(path)
    suffix = p.suffix.lower()
    if suffix in SUFFIXES:
        return SUFFIXES[suffix]
    if _NUMBERED.match(suffix) or not suffix:
        try:
            with p.open("rb") as fh:
                head = fh.read(4)
        except OSError:
            return None
        if head == OPUS_MAGIC:
            return "OPUS"
    return None


def read_spectra(path: str | Path, *, block: str | None = None, sheet: str | None = None,
                 variables: dict[str, str] | None = None) -> SpectraFile:
    """Read one instrument/exchange file (OPUS, JCAMP-DX, SPC, Excel, MATLAB) into a SpectraFile.

    ``block`` selects another data block where a format has several (OPUS: "a" absorbance by
    default); ``sheet`` an Excel sheet (default: the first); ``variables`` the MATLAB variable
    names ({"X": ..., "y": ..., "axis": ...}) where guessing by name is not enough.
    InputError (one line, naming the file) for a file no reader can use.
    """
    p = Path(path)
    if not p.is_file():
        raise InputError("no such file" if not p.exists() else "not a file", file=p)
    fmt = format_of(p)
    readers: dict[str, Callable[[], SpectraFile]] = {
        "OPUS": lambda: _opus().read_opus(p, block=block),
        "JCAMP-DX": lambda: _jcamp().read_jcamp(p),
        "SPC": lambda: _spc().read_spc(p),
        "Excel": lambda: _xlsx().read_xlsx(p, sheet=sheet),
        "MATLAB": lambda: _matlab().read_mat(p, variables=variables),
    }
    if fmt is None and _NUMBERED.match(p.suffix):
        raise InputError("not an OPUS file (a numbered suffix, but no OPUS header) and no other "
                         "format nirdesk reads", file=p)
    if fmt is None:
        known = ", ".join(sorted(SUFFIXES)) + ", OPUS .0/.1/..."
        raise InputError(f"unknown spectrum file format {p.suffix or '(no suffix)'!r} "
                         f"(nirdesk reads {known})", file=p)
    if p.stat().st_size == 0:
        raise InputError(f"the file is empty (0 bytes), not a {fmt} file", file=p)
    result = readers[fmt]()
    check(result, p)
    return result


# the readers are imported on first use: a window that never opens an OPUS file never loads it
def _opus() -> Any:
    from engine.io.formats import opus
    return opus


def _jcamp() -> Any:
    from engine.io.formats import jcampdx
    return jcampdx


def _spc() -> Any:
    from engine.io.formats import spc
    return spc


def _xlsx() -> Any:
    from engine.io.formats import xlsx
    return xlsx


def _matlab() -> Any:
    from engine.io.formats import matlab
    return matlab
