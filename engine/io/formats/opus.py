"""Bruker OPUS binary files, through the ``brukeropus`` package (MIT, pure Python, numpy only).

Why a library and not our own parser: OPUS is an undocumented binary with a directory of typed
blocks (spectra, interferograms, parameter blocks, history) that Bruker has changed over the
years; brukeropus decodes it, is small (70 kB) and needs nothing but numpy. This module only
chooses the block, sorts the axis and turns the library's failures into one line.
"""
from __future__ import annotations

from pathlib import Path
from typing import Any

import numpy as np

from engine.errors import InputError
from engine.io.formats.base import SpectraFile, ascending, axis_units

DEFAULT_BLOCK = "a"
#: OPUS data-block x units (the DXU parameter) -> nirdesk's units
_X_UNITS = {"WN": "cm-1", "MI": "µm", "LGW": "log(cm-1)", "MIN": "min", "PNT": "points"}
#: acquisition/sample parameters worth keeping (OPUS three-letter codes)
_PARAMS = {"ins": "instrument", "snm": "sample", "sfm": "sample_form", "src": "source",
           "bms": "beamsplitter", "dtc": "detector", "res": "resolution", "nss": "scans"}


def read_opus(path: Path, *, block: str | None = None) -> SpectraFile:
    """The ``block`` spectrum ("a" absorbance by default; "sm", "rf", "t", "r", ... on request)
    of the OPUS file ``path``; InputError naming the blocks the file has when it lacks it."""
    import brukeropus  # imported here: only a user who opens an OPUS file pays for it

    key = block or DEFAULT_BLOCK
    try:
        opus = brukeropus.read_opus(str(path))
    except Exception as exc:  # noqa: BLE001 - any decoding failure of a damaged file is one line
        raise InputError(f"cannot read this OPUS file, it is damaged or truncated "
                         f"({type(exc).__name__}: {exc})", file=path) from None
    if not opus.is_opus:
        raise InputError("not an OPUS file (no OPUS file header)", file=path)
    keys = list(opus.data_keys)
    if key not in keys:
        has = ", ".join(f"{k} ({_label(opus, k)})" for k in keys) or "none"
        what = "no absorbance block 'a'" if key == DEFAULT_BLOCK else f"no block {key!r}"
        raise InputError(f"{what}; the file's data blocks: {has}", file=path)
    data = getattr(opus, key)
    x = np.asarray(data.x, dtype=np.float64)
    y = np.asarray(data.y, dtype=np.float64)
    if y.ndim == 1:
        y = y[None, :]
    if y.ndim != 2 or y.shape[1] != x.size or x.size == 0:
        raise InputError(f"block {key!r} holds no usable spectrum ({x.size} x values, y of "
                         f"shape {y.shape})", file=path)
    notes: list[str] = []
    dxu = str(_param(data.params, "dxu") or "WN")
    x, units = axis_units(x, _X_UNITS.get(dxu, dxu), notes)
    axis, spectra = ascending(x, y, notes, units)
    meta: dict[str, Any] = {"format": "OPUS", "block": key, "block_label": _label(opus, key),
                            "blocks": keys}
    for code, name in _PARAMS.items():
        value = _param(opus.params, code)
        if value is not None:
            meta[name] = value if isinstance(value, int | float) else str(value)
    for code, name in (("dat", "date"), ("tim", "time")):
        value = _param(data.params, code)
        if value is not None:
            meta[name] = str(value)
    if spectra.shape[0] == 1:
        # "sample.0" and "sample.1" are two measurements of one sample: keep the number
        names = [path.name if path.suffix[1:].isdigit() else path.stem]
    else:
        names = [f"{path.name}#{i + 1}" for i in range(spectra.shape[0])]
    return SpectraFile(spectra=spectra, axis=axis, units=units, names=names, metadata=meta,
                       notes=notes)


def _label(opus: Any, key: str) -> str:
    return str(getattr(getattr(opus, key, None), "label", key))


def _param(params: Any, code: str) -> Any:
    try:
        return params[code]
    except (KeyError, TypeError, AttributeError):
        return None
