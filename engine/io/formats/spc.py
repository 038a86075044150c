"""Thermo/Galactic SPC binary spectra (the "new" 0x4B format, single and multi-spectrum).

Why our own reader: the format is small and documented (Galactic's SPC file format
specification, 1996: a 512-byte header, an optional shared x array, then one 32-byte subheader
and its y values per spectrum), and the Python packages for it are unmaintained (spc-spectra,
last release 2018) or young (spc-io 0.2); ~150 lines of numpy ``frombuffer`` read it faster
than either and refuse bad files with a line of our own. The test writer in
tests/formats_writers.py is an independent implementation (struct packing, not this module).

Supported: evenly spaced x (first/last/npts), one shared x array (TXVALS), one x array per
spectrum (TXYXYS, refused when the arrays differ), 32-bit float y (exponent 0x80), 32-bit and
16-bit integer y scaled by 2**(exponent - bits), little-endian (0x4B) and big-endian (0x4C)
files. The old 0x4D format is refused with one line.
"""
from __future__ import annotations

import struct
from pathlib import Path
from typing import Any

import numpy as np

from engine.errors import InputError
from engine.io.formats.base import SpectraFile, ascending, axis_units

HEADER_SIZE = 512
SUBHEADER_SIZE = 32
# ftflgs bits
TSPREC, TCGRAM, TMULTI, TRANDM, TORDRD, TALABS, TXYXYS, TXVALS = (1 << i for i in range(8))
FLOAT_EXPONENT = -128  # fexp/subexp 0x80: y values are IEEE float32
#: fxtype codes -> nirdesk units (others are kept in the metadata by name)
X_TYPES = {0: "arbitrary", 1: "cm-1", 2: "µm", 3: "nm", 4: "seconds", 5: "minutes", 6: "Hz",
           7: "kHz", 8: "MHz", 9: "m/z", 10: "ppm", 11: "days", 12: "years",
           13: "Raman shift cm-1", 14: "eV", 16: "diode number", 17: "channel", 18: "degrees",
           22: "data points", 23: "ms", 24: "µs", 25: "ns", 26: "GHz", 27: "cm", 28: "m",
           29: "mm", 30: "hours", 255: "interferogram"}
Y_TYPES = {0: "arbitrary intensity", 1: "interferogram", 2: "absorbance", 3: "Kubelka-Munk",
           4: "counts", 5: "volts", 6: "degrees", 7: "mA", 8: "mm", 9: "mV", 10: "log(1/R)",
           11: "percent", 12: "intensity", 13: "relative intensity", 14: "energy",
           16: "decibel", 19: "°F", 20: "°C", 21: "K", 22: "index of refraction",
           23: "extinction coefficient", 24: "real", 25: "imaginary", 26: "complex",
           128: "transmittance", 129: "reflectance", 130: "valley peaks", 131: "emission"}
_UNITS = {1: "cm-1", 2: "µm", 3: "nm", 13: "cm-1"}
#: the main header up to fcmnt (offsets per the specification)
_HEAD = "BBbbiddiBBBbi9s9sh32s130s30siiBBhf48sfifB187s"


def read_spc(path: Path) -> SpectraFile:
    """Every spectrum of the SPC file ``path`` (one row per subfile)."""
    try:
        raw = path.read_bytes()
    except OSError as exc:
        raise InputError(f"cannot read the file ({exc.strerror or exc})", file=path) from None
    if len(raw) < 2:
        raise InputError("not an SPC file (too short)", file=path)
    version = raw[1]
    if version == 0x4D:
        raise InputError("an old-format SPC file (version 0x4D, before 1996); nirdesk reads the "
                         "new format: re-save it with a current program", file=path)
    if version not in (0x4B, 0x4C):
        raise InputError(f"not an SPC file (version byte 0x{version:02X}, expected 0x4B)",
                         file=path)
    if len(raw) < HEADER_SIZE:
        raise InputError(f"truncated SPC file ({len(raw)} bytes, shorter than the 512-byte "
                         "header)", file=path)
    end = "<" if version == 0x4B else ">"
    h = struct.unpack_from(end + _HEAD, raw, 0)
    flags, _, _, fexp, fnpts, first, last, fnsub, fxtype, fytype, fztype = h[:11]
    comment = h[17].split(b"\0")[0].decode("latin-1").strip()
    multi = bool(flags & TMULTI)
    xyxys = bool(flags & TXYXYS)
    nsub = fnsub if multi else 1
    if nsub < 1:
        raise InputError("the SPC header says it holds no spectrum (0 subfiles)", file=path)
    if flags & TXYXYS and not flags & TXVALS:
        raise InputError("inconsistent SPC header (TXYXYS without TXVALS)", file=path)
    pos = HEADER_SIZE
    shared_x: np.ndarray | None = None
    if flags & TXVALS and not xyxys:
        shared_x = _array(raw, pos, fnpts, end + "f4", path, "the x values")
        pos += 4 * fnpts
    ys: list[np.ndarray] = []
    xs: list[np.ndarray] = []
    z: list[float] = []
    for i in range(nsub):
        if len(raw) < pos + SUBHEADER_SIZE:
            raise InputError(f"truncated SPC file: spectrum {i + 1} of {nsub} is missing",
                             file=path)
        (_, subexp, _, subtime, _, _, subnpts, _, _) = struct.unpack_from(
            end + "Bbhfffiif", raw, pos)
        pos += SUBHEADER_SIZE
        npts = subnpts if xyxys else fnpts
        if npts <= 0:
            raise InputError(f"spectrum {i + 1} has no points", file=path)
        if xyxys:
            xs.append(_array(raw, pos, npts, end + "f4", path, f"the x values of spectrum {i + 1}"))
            pos += 4 * npts
        exp = subexp if multi else fexp
        if exp == FLOAT_EXPONENT or fexp == FLOAT_EXPONENT:
            y = _array(raw, pos, npts, end + "f4", path, f"spectrum {i + 1}").astype(np.float64)
            pos += 4 * npts
        elif flags & TSPREC:
            y = _array(raw, pos, npts, end + "i2", path, f"spectrum {i + 1}") * 2.0 ** (exp - 16)
            pos += 2 * npts
        else:
            y = _array(raw, pos, npts, end + "i4", path, f"spectrum {i + 1}") * 2.0 ** (exp - 32)
            pos += 4 * npts
        ys.append(np.asarray(y, dtype=np.float64))
        z.append(float(subtime))
    if xyxys:
        for i, x in enumerate(xs[1:], start=2):
            if x.shape != xs[0].shape or not np.array_equal(x, xs[0]):
                raise InputError(f"spectrum {i} has its own x axis ({_range(x)}) unlike spectrum 1 "
                                 f"({_range(xs[0])}); nirdesk needs one axis per file", file=path)
        axis = xs[0].astype(np.float64)
    elif shared_x is not None:
        axis = shared_x.astype(np.float64)
    else:
        axis = np.linspace(first, last, fnpts)
    notes: list[str] = []
    axis, units = axis_units(axis, _UNITS.get(fxtype, X_TYPES.get(fxtype, "")), notes)
    axis, spectra = ascending(axis, np.vstack(ys), notes, units)
    meta: dict[str, Any] = {"format": "SPC", "x_type": X_TYPES.get(fxtype, f"code {fxtype}"),
                            "y_units": Y_TYPES.get(fytype, f"code {fytype}"),
                            "z_type": X_TYPES.get(fztype, f"code {fztype}")}
    if comment:
        meta["comment"] = comment
    if nsub > 1:
        meta["z"] = z
        names = [f"{path.stem}_{i + 1}" for i in range(nsub)]
    else:
        names = [path.stem]
    return SpectraFile(spectra=spectra, axis=axis, units=units, names=names, metadata=meta,
                       notes=notes)


def _array(raw: bytes, pos: int, n: int, dtype: str, path: Path, what: str) -> np.ndarray:
    size = np.dtype(dtype).itemsize * n
    if len(raw) < pos + size:
        raise InputError(f"truncated SPC file: {what} need {size} bytes at offset {pos}, the "
                         f"file has {max(len(raw) - pos, 0)}", file=path)
    return np.frombuffer(raw, dtype=dtype, count=n, offset=pos)


def _range(x: np.ndarray) -> str:
    return f"{x[0]:g}..{x[-1]:g}, {x.size} points" if x.size else "no points"
