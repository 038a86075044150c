"""Writers of instrument files for test data: SPC and JCAMP-DX, written independently of the
engine's readers (plain ``struct`` packing and text formatting from the format documents).

Why: a reader tested only on files written by its own code can share that code's mistakes.
These writers follow the documents (Galactic's SPC specification; IUPAC JCAMP-DX 4.24)
directly, and tests compare what the engine reads back with the arrays given here. The dataset
tests use them to write tecator/tablet as one file per sample.
"""
from __future__ import annotations

import struct
from collections.abc import Sequence
from pathlib import Path

import numpy as np

# SPC header flags (ftflgs)
SPC_TMULTI = 0x04
SPC_TXYXYS = 0x40
SPC_TXVALS = 0x80
SPC_X_NM = 3
SPC_X_WAVENUMBER = 1
SPC_Y_ABSORBANCE = 2
SPC_Y_LOG_1_R = 10


def write_spc(path: str | Path, axis: Sequence[float] | np.ndarray,
              spectra: Sequence[float] | np.ndarray, *, x_type: int = SPC_X_NM,
              y_type: int = SPC_Y_LOG_1_R, even: bool | None = None, xy: bool = False,
              y_format: str = "float", comment: str = "", version: int = 0x4B) -> Path:
    """One SPC file holding ``spectra`` (one row each; a 1-D array is one spectrum).

    ``even``: store x as first/last/npts (default: when ``axis`` is evenly spaced), else an x
    array (TXVALS); ``xy``: one x array per subfile (TXYXYS). ``y_format``: "float" (exponent
    0x80), "int32" or "int16" (scaled integers with a common exponent, as old instruments
    wrote). ``version`` 0x4D writes the byte of the old format (for refusal tests only).
    """
    x = np.asarray(axis, dtype=np.float64)
    y = np.atleast_2d(np.asarray(spectra, dtype=np.float64))
    n, p = y.shape
    if even is None:
        even = bool(np.allclose(np.diff(x), (x[-1] - x[0]) / (p - 1), rtol=0, atol=1e-9))
    flags = SPC_TMULTI if n > 1 else 0
    if xy:
        flags |= SPC_TXYXYS | SPC_TXVALS
    elif not even:
        flags |= SPC_TXVALS
    if y_format == "float":
        exp = -128
    else:
        bits = 32 if y_format == "int32" else 16
        if bits == 16:
            flags |= 0x01  # TSPREC
        exp = _int_exponent(y)
    head = bytearray(512)
    struct.pack_into("<BBbbiddi", head, 0, flags, version, 0, exp, p if not xy else 0,
                     float(x[0]), float(x[-1]), n)
    struct.pack_into("<BBB", head, 28, x_type, y_type, 0)  # fxtype, fytype, fztype
    struct.pack_into("<130s", head, 88, comment.encode("latin-1")[:129])
    out = bytearray(head)
    if flags & SPC_TXVALS and not xy:
        out += x.astype("<f4").tobytes()
    for i in range(n):
        out += struct.pack("<BbhfffiifI", 0, exp, i, float(i), 0.0, 0.0, p if xy else 0, 0,
                           0.0, 0)
        if xy:
            out += x.astype("<f4").tobytes()
        if y_format == "float":
            out += y[i].astype("<f4").tobytes()
        elif y_format == "int32":
            out += np.round(y[i] * 2.0 ** (32 - exp)).astype("<i4").tobytes()
        else:
            out += np.round(y[i] * 2.0 ** (16 - exp)).astype("<i2").tobytes()
    path = Path(path)
    path.write_bytes(bytes(out))
    return path


def spc_values(spectra: np.ndarray, y_format: str = "float") -> np.ndarray:
    """What an exact SPC reader returns for ``spectra`` written with ``y_format`` (float32
    rounding, or the integer quantisation write_spc applies)."""
    y = np.atleast_2d(np.asarray(spectra, dtype=np.float64))
    if y_format == "float":
        return y.astype(np.float32).astype(np.float64)
    bits = 32 if y_format == "int32" else 16
    exp = _int_exponent(y)
    return np.round(y * 2.0 ** (bits - exp)) * 2.0 ** (exp - bits)


def _int_exponent(y: np.ndarray) -> int:
    """The SPC exponent for scaled integers: |y| < 2**(exp - 1), so y * 2**(bits - exp) fits in
    a signed integer of ``bits`` bits."""
    peak = float(np.abs(y).max()) or 1.0
    return int(np.floor(np.log2(peak))) + 2


def write_jcamp(path: str | Path, axis: Sequence[float] | np.ndarray,
                spectrum: Sequence[float] | np.ndarray, *, title: str = "",
                x_units: str = "NANOMETERS", y_units: str = "LOG(1/R)",
                data_type: str = "NEAR INFRARED SPECTRUM", per_line: int = 8,
                table: str = "XYDATA") -> Path:
    """One JCAMP-DX 4.24 file holding ``spectrum`` over ``axis`` (evenly spaced for XYDATA).

    ``table`` "XYDATA" writes (X++(Y..Y)) in AFFN with full-precision y (repr), so that reading
    back is exact; "XYPOINTS" writes (XY..XY) pairs (any axis).
    """
    x = np.asarray(axis, dtype=np.float64)
    y = np.asarray(spectrum, dtype=np.float64).ravel()
    p = y.size
    lines = [f"##TITLE={title or Path(path).stem}", "##JCAMP-DX=4.24",
             f"##DATA TYPE={data_type}", f"##XUNITS={x_units}", f"##YUNITS={y_units}",
             "##XFACTOR=1", "##YFACTOR=1", f"##FIRSTX={float(x[0])!r}",
             f"##LASTX={float(x[-1])!r}", f"##NPOINTS={p}", f"##FIRSTY={float(y[0])!r}"]
    if table == "XYDATA":
        lines.append("##XYDATA=(X++(Y..Y))")
        for i in range(0, p, per_line):
            chunk = " ".join(repr(float(v)) for v in y[i:i + per_line])
            lines.append(f"{float(x[i])!r} {chunk}")
    else:
        lines.append("##XYPOINTS=(XY..XY)")
        lines += [f"{float(a)!r}, {float(b)!r}" for a, b in zip(x, y, strict=True)]
    lines.append("##END=")
    path = Path(path)
    path.write_text("\n".join(lines) + "\n", encoding="ascii")
    return path


def refusal_line(message: str, path: Path) -> str:
    """A reader's refusal as the user sees it: one line that names the file (asserted)."""
    assert "\n" not in message and str(path) in message
    return message
