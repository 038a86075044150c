"""Binary dataset layouts: one ``.npz`` file, or a folder of ``.npy`` files (docs/formats.md).

Why: a user whose spectra outgrow CSV (20,000 x 1,000 is 160 MB of text and 1-2 s of parsing)
can keep them as NumPy arrays, which load at the speed of the disk. The arrays are named:

    X            (n, p) numbers: one spectrum per row (required)
    wavelengths  (p,) numbers: the axis (optional: without it the columns are numbered 1..p)
    y            (n,) one target named "y"; numbers = regression, text = class labels
    y_<name>     (n,) one target per array, named <name> (any number of them; with y or not)
    sample_ids   (n,) text or integers (optional: default 1..n)
    split        (n,) text partition labels, read as split.csv is (engine.io.fields.Partition)
    groups       (n,) text or integers: rows sharing a value stay in one CV fold
    units        () text "nm" or "cm-1" (optional: the axis units)

The names are matched without regard to case (``x`` is ``X``); the folder layout takes the
same names as file stems (X.npy, wavelengths.npy, y_fat.npy, ...) and also the CSV folder
layout's y.csv and split.csv, so a user can convert only X.csv and keep the rest.

Safety: an array is read by its NumPy header (parsed as a literal, never executed) and raw
bytes; nothing is ever unpickled. An object array (whose bytes are a pickle that could run
code) is refused from its header, before a byte of its data is read. The header's shape must
match the bytes stored, so a damaged or hostile header cannot make nirdesk allocate more
than the file holds.

Memory: X is read once, straight into its array (``readinto`` in blocks that report progress
and check cancellation). It is not memory-mapped: a read-only map would make any later
in-place edit of X an error, and even a copy-on-write map changes under a run, or kills the
process with SIGBUS, when another program rewrites or truncates the file (a user
re-exporting it) while nirdesk has it open; the map would save ~0.05 s on 160 MB. Stored
float64 C-order X needs no copy; another dtype or Fortran order costs one conversion copy.
"""
from __future__ import annotations

import math
import zipfile
import zlib
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import IO

import numpy as np
import numpy.lib.format as npformat

from engine.dataset import UNITS, SpectralDataset
from engine.errors import InputError
from engine.io.csvtable import read_table
from engine.io.fields import Partition, partition_of, read_split, read_y, type_target
from engine.io.layouts import (
    LAYOUT_NPY_FOLDER,
    LAYOUT_NPZ,
    csv_index,
    dataset_name,
    note_partition,
    npy_index,
    pick,
)
from engine.io.meter import Meter, Span
from engine.io.paths import require_file
from engine.io.ranges import MAX_ABS_VALUE, first_out_of_range, out_of_range_message

__all__ = ["ARRAY_NAMES", "TARGET_PREFIX", "load_npy_folder", "load_npz"]

#: the arrays nirdesk reads (lower case), besides the targets y_<name>
ARRAY_NAMES = ("x", "wavelengths", "y", "sample_ids", "split", "groups", "units")
TARGET_PREFIX = "y_"
_BLOCK = 1 << 23          # bytes read at a time: progress and cancel between blocks
_NUMBERS, _TEXT, _IDS = "fiu", "US", "fiuUS"
_KINDS = {"b": "booleans", "c": "complex numbers", "f": "numbers", "i": "integers",
          "u": "integers", "U": "text", "S": "bytes", "V": "records (a structured dtype)",
          "M": "dates", "m": "time spans", "O": "Python objects"}
_READ_ERRORS = (OSError, EOFError, RuntimeError, NotImplementedError, zipfile.BadZipFile,
                zlib.error)


@dataclass
class _Array:
    """One stored array, before its data is read."""

    name: str                          # as stored (member or file name without .npy)
    file: str                          # the path named in messages
    open: Callable[[], IO[bytes]]      # a fresh stream positioned at its .npy magic
    size: int                          # bytes stored (uncompressed)

    def error(self, message: str, row: int | None = None, column: int | None = None,
              column_name: str | None = None) -> InputError:
        return InputError(f"array {self.name!r} {message}", file=self.file, row=row,
                          column=column, column_name=column_name)


# -- reading one array -----------------------------------------------------------------------
def _read(a: _Array, kinds: str, meter: Meter | None = None) -> np.ndarray:
    """The array's values, checked to be of ``kinds`` (dtype kinds) before its data is read;
    with ``meter`` the read is X's: the scale is its bytes, reported block by block."""
    try:
        with a.open() as fp:
            try:
                version = npformat.read_magic(fp)
            except ValueError:
                raise a.error("is not a NumPy array (no .npy header): the file is damaged or "
                              "was not written by numpy.save/savez") from None
            if version not in ((1, 0), (2, 0)):
                raise a.error(f"has a .npy format version nirdesk does not read "
                              f"({version[0]}.{version[1]}: structured fields)")
            try:
                header = (npformat.read_array_header_1_0(fp) if version == (1, 0)
                          else npformat.read_array_header_2_0(fp))
            except ValueError as exc:
                raise a.error(f"has a damaged .npy header ({exc})") from None
            shape, fortran, dtype = header
            _check_dtype(a, dtype, kinds)
            count = math.prod(shape)
            nbytes = count * dtype.itemsize
            stored = a.size - fp.tell()
            if stored != nbytes:
                raise a.error(f"is damaged or cut short: its header says shape {shape} of "
                              f"{dtype} ({nbytes:,} bytes) but {stored:,} bytes are stored")
            span = meter.start(nbytes) if meter is not None else None
            out = np.empty(shape[::-1] if fortran else shape, dtype=dtype)
            if nbytes:
                _fill(fp, out.reshape(-1).view(np.uint8), a, span)
    except _READ_ERRORS as exc:
        raise a.error(f"cannot be read ({exc})") from None
    return out.T if fortran else out


def _fill(fp: IO[bytes], buffer: np.ndarray, a: _Array, span: Span | None) -> None:
    """Read ``buffer.size`` bytes into ``buffer`` (the array's own memory: no copy)."""
    view = memoryview(buffer)   # type: ignore[arg-type]  # numpy arrays export the buffer protocol
    total, done = buffer.size, 0
    while done < total:
        # fault the block's fresh pages in with numpy first (no GIL): readinto's copy would
        # fault them while holding the GIL, 20-80 ms per 8 MB block seen by the window's
        # thread, and 3x slower (issue 20)
        buffer[done:done + _BLOCK].fill(0)
        got = fp.readinto(view[done:done + _BLOCK])    # type: ignore[attr-defined]
        if not got:
            raise a.error(f"is cut short: {done:,} of {total:,} bytes could be read")
        done += got
        if span is not None:
            span.advance(got, total)


def _check_dtype(a: _Array, dtype: np.dtype, kinds: str) -> None:
    if dtype.hasobject:
        raise a.error("holds Python objects (dtype object), which only unpickling could "
                      "read, and nirdesk never unpickles a file: save numbers, or text as "
                      "a str array (np.asarray(values, dtype=str))")
    if dtype.kind not in kinds:
        wanted = " or ".join(w for w, ks in (("numbers", _NUMBERS), ("text", _TEXT))
                             if set(ks) & set(kinds))
        raise a.error(f"holds {_KINDS.get(dtype.kind, str(dtype))} ({dtype}); expected "
                      f"{wanted}")


# -- the meaning of each array -----------------------------------------------------------------
def _one_per_row(a: _Array, values: np.ndarray, n: int, what: str) -> np.ndarray:
    if values.ndim != 1:
        raise a.error(f"has shape {values.shape}; expected {what}: a 1-D array of {n} values, "
                      "one per spectrum")
    if values.size != n:
        raise a.error(f"has {values.size} values but 'X' has {n} rows (spectra); "
                      "they must pair one to one")
    return values


def _texts(a: _Array, values: np.ndarray) -> np.ndarray:
    """Values as stripped str (bytes decoded as UTF-8, integers written out)."""
    if values.dtype.kind == "S":
        try:
            values = np.char.decode(values, "utf-8")
        except UnicodeDecodeError as exc:
            raise a.error(f"holds bytes that are not UTF-8 text ({exc.reason})") from None
    elif values.dtype.kind == "f":
        values = np.array([f"{v:g}" for v in values.tolist()], dtype=str)
    return np.char.strip(values.astype(str))


def _no_empty(a: _Array, values: np.ndarray, what: str) -> np.ndarray:
    empty = np.flatnonzero(values == "")
    if empty.size:
        raise a.error(f"has an empty {what}", row=int(empty[0]) + 1)
    return values


def _finite(a: _Array, values: np.ndarray, wavelengths: np.ndarray | None = None) -> None:
    """Refuse NaN, infinity and values beyond engine.io.ranges' bound (row, and column with
    its wavelength for X), as the CSV readers refuse such a cell."""
    if values.size == 0:
        return
    hi, lo = float(values.max()), float(values.min())   # two reductions, no temporaries:
    if lo >= -MAX_ABS_VALUE and hi <= MAX_ABS_VALUE:      # the common case ends here
        return
    if not (np.isfinite(hi) and np.isfinite(lo)):
        where = tuple(int(k) for k in np.argwhere(~np.isfinite(values))[0])
        raise _at(a, values, where, wavelengths,
                  f"{float(values[where])!r} is not a finite number (NaN and infinity are "
                  "not allowed)")
    big = first_out_of_range(values)
    if big is not None:
        raise _at(a, values, big, wavelengths,
                  out_of_range_message(f"{float(values[big]):g}"))


def _at(a: _Array, values: np.ndarray, where: tuple[int, ...],
        wavelengths: np.ndarray | None, message: str) -> InputError:
    """The refusal of one value: the file, the array's 1-based row (and column, with its
    wavelength when known) in the CSV readers' form."""
    column = where[1] + 1 if values.ndim > 1 else None
    name = (f"{wavelengths[where[1]]:g}" if wavelengths is not None and column is not None
            else None)
    return InputError(f"array {a.name!r}: {message}", file=a.file, row=where[0] + 1,
                      column=column, column_name=name)


def _wavelengths(a: _Array, values: np.ndarray, p: int) -> np.ndarray:
    """The axis: p finite values, no duplicate, monotonic (check_wavelengths' rules)."""
    if values.ndim != 1 or values.size != p:
        raise a.error(f"has shape {values.shape} but 'X' has {p} columns; expected one "
                      "wavelength per column")
    wl = values.astype(np.float64)
    _finite(a, wl)
    _, first, counts = np.unique(wl, return_index=True, return_counts=True)
    if np.any(counts > 1):
        dup = wl[first[np.flatnonzero(counts > 1)[0]]]
        at = np.flatnonzero(wl == dup)
        raise a.error(f"has the wavelength {dup:g} twice (values {at[0] + 1} and {at[1] + 1})",
                      column=int(at[1]) + 1)
    if p > 1:
        steps = np.sign(np.diff(wl))
        bad = np.flatnonzero(steps != steps[0])
        if bad.size:
            j = int(bad[0]) + 1
            order = "increasing" if steps[0] > 0 else "decreasing"
            raise a.error(f"is not monotonic: value {j} ({wl[j - 1]:g}) is followed by value "
                          f"{j + 1} ({wl[j]:g}), breaking the {order} order", column=j + 1)
    return wl


def _target(a: _Array, name: str, n: int) -> np.ndarray:
    """A target: float64 numbers (finite) or str class labels (none empty)."""
    values = _one_per_row(a, _read(a, _NUMBERS + _TEXT), n, f"target {name!r}")
    if values.dtype.kind in _TEXT:
        return _no_empty(a, _texts(a, values), f"label (target {name!r} needs a value for "
                                               "every sample)")
    values = values.astype(np.float64)
    _finite(a, values)
    return values


def _units(a: _Array) -> str:
    values = _read(a, _TEXT)
    if values.size != 1:
        raise a.error(f"has shape {values.shape}; expected one text value, nm or cm-1")
    unit = str(_texts(a, values.reshape(1))[0])
    if unit not in UNITS or not unit:
        raise a.error(f"is {unit!r}; expected nm or cm-1")
    return unit


# -- the layouts -------------------------------------------------------------------------------
def _role(name: str) -> tuple[str, str] | None:
    """("x" | "wavelengths" | ..., "") for a fixed name, ("target", NAME) for y / y_NAME."""
    low = name.lower()
    if low == "y":
        return "target", name
    if low in ARRAY_NAMES:
        return low, ""
    if low.startswith(TARGET_PREFIX) and len(name) > len(TARGET_PREFIX):
        return "target", name[len(TARGET_PREFIX):]
    return None


def _sort(arrays: list[_Array], where: str) -> tuple[dict[str, _Array],
                                                     list[tuple[str, _Array]], list[str]]:
    """The arrays by role, the targets in stored order, and the names nirdesk does not read."""
    fixed: dict[str, _Array] = {}
    targets: dict[str, _Array] = {}
    ignored: list[str] = []
    for a in arrays:
        role = _role(a.name)
        if role is None:
            ignored.append(a.name)
            continue
        kind, target = role
        slot, key = (targets, target) if kind == "target" else (fixed, kind)
        if key in slot:
            raise InputError(f"two arrays for {'target ' if kind == 'target' else ''}{key!r}: "
                             f"{slot[key].name!r} and {a.name!r} (keep one)", file=where)
        slot[key] = a
    if "x" not in fixed:
        shown = ", ".join(repr(a.name) for a in arrays) or "none"
        raise InputError(f"no array named 'X' (the spectra, one per row); the arrays: {shown}",
                         file=where)
    return fixed, list(targets.items()), ignored


def _assemble(path: Path, layout: str, arrays: list[_Array], meter: Meter,
              y_csv: Path | None = None, split_csv: Path | None = None) -> SpectralDataset:
    where = str(path)
    fixed, targets, ignored = _sort(arrays, where)
    if y_csv is not None and targets:
        names = ", ".join(a.name for _, a in targets)
        raise InputError(f"both {y_csv.name} and target arrays ({names}); keep one of them",
                         file=where)
    xa = fixed["x"]
    X = _read(xa, _NUMBERS, meter)
    if X.ndim != 2:
        raise xa.error(f"has shape {X.shape}; expected 2-D: one spectrum per row, one "
                       "wavelength per column")
    n, p = X.shape
    if n == 0 or p == 0:
        raise xa.error(f"has shape {X.shape}: no spectra")
    if X.dtype != np.float64 or not X.flags.c_contiguous:
        X = np.ascontiguousarray(X, dtype=np.float64)
    meter.check()
    notes: list[str] = []
    wl_array = fixed.get("wavelengths")
    if wl_array is not None:
        wavelengths = _wavelengths(wl_array, _read(wl_array, _NUMBERS), p)
    else:
        wavelengths = np.arange(1, p + 1, dtype=np.float64)
        notes.append(f"wavelengths unknown (no 'wavelengths' array); columns numbered 1..{p}")
    _finite(xa, X, wavelengths if wl_array is not None else None)
    meter.check()
    target_values = {name: _target(a, name, n) for name, a in targets}
    target_file: str | None = targets[0][1].file if targets else None
    if y_csv is not None:
        yb = read_y(read_table(y_csv), n_expected=n)
        if yb.n != n:
            raise InputError(f"{y_csv.name} has {yb.n} rows of targets but {xa.name} has {n} "
                             "spectra; rows must pair one to one", file=str(y_csv))
        target_values = {c.name: type_target(c) for c in yb.columns}
        target_file = str(y_csv)
    ids_array = fixed.get("sample_ids")
    ids = (_no_empty(ids_array, _texts(ids_array, _one_per_row(
        ids_array, _read(ids_array, _IDS), n, "sample ids")), "sample id")
        if ids_array is not None else np.arange(1, n + 1).astype(str))
    groups_array = fixed.get("groups")
    groups = (_no_empty(groups_array, _texts(groups_array, _one_per_row(
        groups_array, _read(groups_array, _IDS), n, "groups")), "group")
        if groups_array is not None else None)
    units = _units(fixed["units"]) if "units" in fixed else ""
    part = Partition(np.zeros(n, dtype=bool), {})
    split_array, split_where, split_file = fixed.get("split"), "", None
    if split_array is not None and split_csv is not None:
        raise InputError(f"both {split_csv.name} and the array {split_array.name!r}; keep one",
                         file=where)
    if split_array is not None:
        labels = _no_empty(split_array, _texts(split_array, _one_per_row(
            split_array, _read(split_array, _TEXT), n, "partition labels")),
            "partition label (expected train or test)")
        part = partition_of(labels.tolist())
        split_where, split_file = f"{Path(split_array.file).name}, array 'split'", split_array.file
    elif split_csv is not None:
        part = read_split(read_table(split_csv), n, None, 0, x_name=xa.name)
        split_where, split_file = split_csv.name, str(split_csv)
    if ignored:
        notes.append(f"arrays not read: {', '.join(ignored)} (nirdesk reads X, wavelengths, "
                     "y, y_<name>, sample_ids, split, groups, units)")
    meta = {"path": where, "layout": layout, "x_file": xa.file, "target_file": target_file,
            "split_file": split_file, "wavelengths_unknown": wl_array is None,
            "has_id_column": ids_array is not None, "format": path.suffix.lower() or ".npy",
            "notes": notes}
    note_partition(meta, part, split_where)
    return SpectralDataset(X=X, wavelengths=wavelengths, targets=target_values, sample_ids=ids,
                           test_mask=part.test_mask, excluded=part.excluded, groups=groups,
                           units=units, name=dataset_name(path), metadata=meta)


def load_npz(path: Path, meter: Meter | None = None) -> SpectralDataset:
    """One .npz file (numpy.savez or savez_compressed) holding the arrays named above."""
    meter = meter or Meter()
    require_file(path, "dataset file")
    try:
        archive = zipfile.ZipFile(path)
    except (zipfile.BadZipFile, OSError) as exc:
        raise InputError(f"not a valid .npz file (not a zip archive: {exc})",
                         file=str(path)) from None
    with archive:
        arrays = []
        for info in archive.infolist():
            if info.is_dir():
                continue
            name = info.filename[:-4] if info.filename.endswith(".npy") else info.filename
            arrays.append(_Array(name, str(path), _member(archive, info), info.file_size))
        return _assemble(path, LAYOUT_NPZ, arrays, meter)


def _member(archive: zipfile.ZipFile, info: zipfile.ZipInfo) -> Callable[[], IO[bytes]]:
    return lambda: archive.open(info)


def load_npy_folder(folder: Path, meter: Meter | None = None) -> SpectralDataset:
    """A folder of .npy files named as the .npz arrays (X.npy, wavelengths.npy, y.npy,
    y_<name>.npy, ...), where y.csv and split.csv of the CSV folder layout may stand for the
    target and split arrays."""
    meter = meter or Meter()
    arrays = []
    for files in npy_index(folder).values():
        if len(files) > 1:
            raise InputError("ambiguous dataset files: " + ", ".join(f.name for f in files)
                             + " (keep only one of them)", file=str(folder))
        arrays.append(_Array(files[0].name[:-4], str(files[0]), _file(files[0]),
                             files[0].stat().st_size))
    csvs = csv_index(folder)
    y_csv, split_csv = pick(csvs, ("y",), folder), pick(csvs, ("split",), folder)
    return _assemble(folder, LAYOUT_NPY_FOLDER, arrays, meter, y_csv=y_csv,
                     split_csv=split_csv)


def _file(path: Path) -> Callable[[], IO[bytes]]:
    def open_file() -> IO[bytes]:
        require_file(path)          # never open a FIFO or a device (it would block)
        return path.open("rb")
    return open_file
