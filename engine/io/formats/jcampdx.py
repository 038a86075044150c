"""JCAMP-DX text spectra (IUPAC JCAMP-DX 4.24), decoded by the ``jcamp`` package (MIT).

Why the package and not a reader of our own: ``jcamp`` is one pure-Python module (13 kB,
numpy only) that already decodes every XYDATA compression of the standard (AFFN, PAC, SQZ,
DIF, DUP and ASDF) and XYPOINTS, and its arrays are what the tests compare with; a second
decoder would be a second place for the same bugs. What it lacks is a clear refusal: it
returns an empty spectrum for a file it cannot decode and raises bare IndexErrors on others.
So this module looks at the labels first (compound LINK files, NTUPLES, NMR spectra are
refused by name), then checks that the decoded arrays are a whole spectrum.
"""
from __future__ import annotations

import io
import re
from pathlib import Path
from typing import Any

import numpy as np

from engine.errors import InputError
from engine.io.formats.base import SpectraFile, ascending, axis_units

#: JCAMP x units (upper case, blanks removed) -> nirdesk's units
X_UNITS = {"1/CM": "cm-1", "CM-1": "cm-1", "CM^-1": "cm-1", "WAVENUMBERS": "cm-1",
           "NANOMETERS": "nm", "NM": "nm", "MICROMETERS": "µm", "UM": "µm", "MICRONS": "µm"}
_LABEL = re.compile(r"^\s*##([^=]*)=(.*)$", re.MULTILINE)


def _key(label: str) -> str:
    """JCAMP label names ignore case, blanks, '-', '/' and '_' (##DATA TYPE == ##DATATYPE)."""
    return re.sub(r"[\s\-/_]", "", label).upper()


def read_jcamp(path: Path) -> SpectraFile:
    """The one spectrum of the JCAMP-DX file ``path``; InputError (one line) for a file that
    holds no single decodable optical spectrum."""
    import jcamp  # imported here: only a user who opens a JCAMP file pays for it

    try:
        text = path.read_bytes().decode("latin-1")
    except OSError as exc:
        raise InputError(f"cannot read the file ({exc.strerror or exc})", file=path) from None
    labels = [(_key(m.group(1)), m.group(2).strip()) for m in _LABEL.finditer(text)]
    if not labels:
        raise InputError("not a JCAMP-DX file (no ##LABEL= lines)", file=path)
    first: dict[str, str] = {}
    for k, v in labels:
        first.setdefault(k, v)
    _refuse_unsupported(path, labels, first)
    try:  # the text already read (jcamp.read takes any iterable of lines): one read per file
        data = jcamp.read(io.StringIO(text))
    except Exception as exc:  # noqa: BLE001 - the decoder's failures on a bad file are one line
        raise InputError(f"cannot decode the JCAMP-DX data ({type(exc).__name__}: {exc})",
                         file=path) from None
    x = np.asarray(data.get("x", []), dtype=np.float64).ravel()
    y = np.asarray(data.get("y", []), dtype=np.float64).ravel()
    table = first.get("XYDATA") or first.get("XYPOINTS") or first.get("PEAKTABLE")
    if x.size == 0 or y.size == 0:
        why = (f"the data table {table!r} is not an encoding nirdesk can decode "
               "(expected (X++(Y..Y)) or (XY..XY))" if table else "no ##XYDATA= data table")
        raise InputError(f"no spectrum decoded: {why}", file=path)
    if x.size != y.size:
        raise InputError(f"{x.size} x values but {y.size} y values (truncated data table?)",
                         file=path)
    npoints = first.get("NPOINTS")
    if npoints and _int(npoints) not in (None, x.size):
        raise InputError(f"##NPOINTS= says {npoints} points but the data table holds {x.size} "
                         "(truncated or damaged file)", file=path)
    raw_units = str(data.get("xunits", first.get("XUNITS", ""))).strip()
    notes: list[str] = []
    x, units = axis_units(x, X_UNITS.get(raw_units.upper().replace(" ", ""), raw_units), notes)
    axis, spectra = ascending(x, y[None, :], notes, units)
    meta: dict[str, Any] = {"format": "JCAMP-DX", "x_units": raw_units,
                            "y_units": str(data.get("yunits", first.get("YUNITS", ""))).strip(),
                            "encoding": table or ""}
    for key, name in (("TITLE", "title"), ("DATATYPE", "data_type"), ("ORIGIN", "origin"),
                      ("OWNER", "owner"), ("LONGDATE", "date"), ("DATE", "date"),
                      ("SPECTROMETER/DATASYSTEM", "instrument"), ("JCAMPDX", "jcamp_version")):
        value = first.get(_key(key))
        if value and name not in meta:
            meta[name] = value.split("\n")[0].strip()
    return SpectraFile(spectra=spectra, axis=axis, units=units, names=[path.stem],
                       metadata=meta, notes=notes)


def _refuse_unsupported(path: Path, labels: list[tuple[str, str]], first: dict[str, str]) -> None:
    data_type = first.get("DATATYPE", "").upper()
    if "LINK" in data_type or "BLOCKS" in first:
        n = first.get("BLOCKS", "several")
        raise InputError(f"a compound JCAMP-DX file (LINK, {n} blocks); nirdesk reads one "
                         "spectrum per file: save each block as its own file", file=path)
    if "NTUPLES" in first:
        raise InputError(f"an NTUPLES JCAMP-DX file ({first['NTUPLES'] or 'multi-dimensional'}"
                         "); nirdesk reads XYDATA/XYPOINTS spectra only", file=path)
    if "NMR" in data_type or any(k.startswith(".OBSERVEFREQUENCY") for k, _ in labels):
        raise InputError(f"an NMR spectrum ({first.get('DATATYPE')}); nirdesk reads optical "
                         "(NIR/IR/UV-Vis) spectra", file=path)
    if "MASS" in data_type:
        raise InputError(f"a mass spectrum ({first.get('DATATYPE')}); nirdesk reads optical "
                         "spectra", file=path)
    tables = sum(1 for k, _ in labels if k in ("XYDATA", "XYPOINTS"))
    if tables > 1:
        raise InputError(f"{tables} data tables in one file; nirdesk reads one spectrum per "
                         "JCAMP-DX file", file=path)


def _int(text: str) -> int | None:
    try:
        return int(float(text))
    except ValueError:
        return None
