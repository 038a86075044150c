"""MATLAB .mat files: spectra, reference values and the axis as named variables.

Why scipy.io.loadmat: it reads v4-v7 MAT files (already a dependency), and it never executes
code (MATLAB objects and function handles come back as opaque arrays we ignore). v7.3 files
are HDF5: read with h5py when it is installed, else refused with a line saying so.

Which variable is what: by name (case-insensitive, the common names of chemometrics data sets
and toolboxes, in order), or named explicitly with ``variables={"X": ..., "y": ..., "axis":
...}``. A spectra matrix stored wavelengths x samples is transposed (noted) when only that
orientation fits the axis.
"""
from __future__ import annotations

from pathlib import Path
from typing import Any

import numpy as np

from engine.errors import InputError
from engine.io.formats.base import FormatMissing, SpectraFile, ascending

X_NAMES = ("x", "spectra", "xcal", "x_cal", "spectrum", "nir", "absorbance", "data", "xtrain")
Y_NAMES = ("y", "ref", "reference", "references", "ycal", "y_cal", "yref", "target", "targets",
           "ytrain")
AXIS_NAMES = ("wl", "wavelengths", "wavelength", "axis", "wn", "wavenumbers", "wavenumber",
              "lambda", "nm", "xaxis", "x_axis", "wave")
NAME_NAMES = ("names", "ids", "samples", "sample_names", "sampleid", "sample_id")
_V73 = b"MATLAB 7.3 MAT-file"
ROLES = ("X", "y", "axis", "names")


def read_mat(path: Path, *, variables: dict[str, str] | None = None) -> SpectraFile:
    """Spectra (``X``), reference values (``y``) and axis from the MAT file ``path``."""
    variables = dict(variables or {})
    unknown = set(variables) - set(ROLES)
    if unknown:
        raise InputError(f"unknown variable role(s) {sorted(unknown)} (use {', '.join(ROLES)})",
                         file=path)
    content = _load(path)
    if not content:
        raise InputError("the MAT file holds no numeric variable", file=path)
    lower = {k.lower(): k for k in content}

    def pick(role: str, candidates: tuple[str, ...]) -> str | None:
        if role in variables:
            name = variables[role]
            if name not in content:
                raise InputError(f"no variable {name!r} (for {role}); the file has "
                                 f"{_listing(content)}", file=path)
            return name
        return next((lower[c] for c in candidates if c in lower), None)

    x_name = pick("X", X_NAMES)
    if x_name is None:
        matrices = [k for k, v in content.items() if _numeric(v) and v.ndim == 2
                    and min(v.shape) > 1]
        if len(matrices) != 1:
            raise InputError("cannot tell which variable holds the spectra (none is named X, "
                             f"spectra, Xcal ...); the file has {_listing(content)}: name it "
                             "with the X variable option", file=path)
        x_name = matrices[0]
    X = content[x_name]
    if not _numeric(X) or X.ndim != 2:
        raise InputError(f"variable {x_name!r} is not a numeric matrix ({_describe(X)})",
                         file=path)
    X = np.asarray(X, dtype=np.float64)
    notes: list[str] = []
    axis_name = pick("axis", AXIS_NAMES)
    axis: np.ndarray | None = None
    if axis_name is not None:
        a = content[axis_name]
        if not _numeric(a) or a.size not in X.shape or min(a.shape, default=0) > 1:
            raise InputError(f"axis variable {axis_name!r} ({_describe(a)}) does not fit the "
                             f"spectra {x_name!r} ({X.shape[0]} x {X.shape[1]})", file=path)
        axis = np.asarray(a, dtype=np.float64).ravel()
        if axis.size != X.shape[1] and axis.size == X.shape[0]:
            X = X.T
            notes.append(f"{x_name!r} was stored points x samples: transposed")
    if axis is None:
        axis = np.arange(1, X.shape[1] + 1, dtype=np.float64)
        notes.append("no axis variable (wl, wavelengths, axis, wn ...): points numbered 1..p")
    n = X.shape[0]
    targets: dict[str, np.ndarray] = {}
    y_name = pick("y", Y_NAMES)
    if y_name is not None:
        y = content[y_name]
        if not _numeric(y) or y.ndim != 2 or n not in y.shape:
            raise InputError(f"reference variable {y_name!r} ({_describe(y)}) does not have one "
                             f"value per spectrum ({n})", file=path)
        y = np.asarray(y, dtype=np.float64)
        if y.shape[0] != n:
            y = y.T
        if y.shape[1] == 1:
            targets[y_name] = y[:, 0]
        else:
            targets.update({f"{y_name}{k + 1}": y[:, k] for k in range(y.shape[1])})
    names = [f"{path.stem}_{i + 1}" for i in range(n)]
    names_name = pick("names", NAME_NAMES)
    if names_name is not None:
        texts = _strings(content[names_name])
        if texts is None or len(texts) != n:
            raise InputError(f"names variable {names_name!r} does not hold {n} names", file=path)
        names = texts
    units = "nm" if axis_name and axis_name.lower() in ("wl", "nm", "wavelengths",
                                                        "wavelength", "lambda") else (
        "cm-1" if axis_name and axis_name.lower().startswith(("wn", "wavenumber")) else "")
    axis, spectra = ascending(axis, X, notes, units)
    meta = {"format": "MATLAB", "variables": {"X": x_name, "y": y_name, "axis": axis_name,
                                              "names": names_name}}
    return SpectraFile(spectra=spectra, axis=axis, units=units, names=names, metadata=meta,
                       notes=notes, targets=targets)


def _load(path: Path) -> dict[str, Any]:
    with path.open("rb") as fh:
        head = fh.read(128)
    if head.startswith(_V73):
        return _load_v73(path)
    import scipy.io

    try:
        raw = scipy.io.loadmat(str(path), squeeze_me=False, struct_as_record=True,
                               chars_as_strings=True)
    except NotImplementedError:  # v7.3 without the text header
        return _load_v73(path)
    except Exception as exc:  # noqa: BLE001 - scipy's many failure types on a bad file: one line
        raise InputError(f"not a readable MATLAB .mat file ({type(exc).__name__}: {exc})",
                         file=path) from None
    return {k: v for k, v in raw.items() if not k.startswith("__")}


def _load_v73(path: Path) -> dict[str, Any]:
    try:
        import h5py  # optional: only for v7.3 files
    except ImportError:
        raise FormatMissing("a MATLAB v7.3 (HDF5) file: reading it needs the h5py package "
                            "(pip install h5py), or save it in MATLAB with -v7", file=path
                            ) from None
    out: dict[str, Any] = {}
    try:
        with h5py.File(path, "r") as f:
            for k, v in f.items():
                if isinstance(v, h5py.Dataset) and v.dtype.kind in "fiu" and v.ndim == 2:
                    out[k] = np.asarray(v[()]).T  # HDF5 stores MATLAB's column-major reversed
    except OSError as exc:
        raise InputError(f"not a readable MATLAB v7.3 file ({exc})", file=path) from None
    return out


def _numeric(v: Any) -> bool:
    return isinstance(v, np.ndarray) and v.dtype.kind in "fiub" and v.size > 0


def _strings(v: Any) -> list[str] | None:
    """Sample names from a char matrix (one name per row), a string vector or a cell array of
    strings; None for anything else."""
    if not isinstance(v, np.ndarray):
        return None
    if v.dtype.kind == "U":
        if v.ndim == 2 and v.shape[0] > 1 and v.shape[1] == 1:
            return [str(s).strip() for s in v[:, 0]]
        return [str(s).strip() for s in v.ravel()]
    if v.dtype == object:
        out = []
        for item in v.ravel():
            arr = np.asarray(item)
            if arr.dtype.kind != "U":
                return None
            out.append("".join(arr.ravel().tolist()).strip())
        return out
    return None


def _describe(v: Any) -> str:
    if isinstance(v, np.ndarray):
        return f"{' x '.join(map(str, v.shape))} {v.dtype}"
    return type(v).__name__


def _listing(content: dict[str, Any]) -> str:
    return ", ".join(f"{k} ({_describe(v)})" for k, v in content.items()) or "no variables"
