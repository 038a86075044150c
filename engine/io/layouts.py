"""The dataset layouts nirdesk reads, and how a path is recognised as one of them.

1. "folder":    X.csv (+ y.csv, + optional split.csv) in a folder;
2. "nirs4all":  Xcal/Ycal/Xval/Yval or Xtrain/Ytrain/Xtest/Ytest, .csv or .csv.gz, in a folder;
3. "single-csv": one CSV with wavelength columns (numeric headers) plus target/id/split columns;
4. "npz":       one .npz file of named arrays (engine.io.binary);
5. "npy-folder": X.npy (+ wavelengths.npy, y.npy or y.csv, ...) in a folder (engine.io.binary).

Each CSV loader reads its files with ``csvtable``, gives the cells meaning with ``fields`` and
returns one SpectralDataset; anything unusable raises one InputError naming file, row and column.
A ``meter`` (engine.io.meter) passed to a loader hears its progress and may cancel it.
"""
from __future__ import annotations

import os
from collections.abc import Callable
from pathlib import Path

import numpy as np

from engine.dataset import SpectralDataset
from engine.errors import InputError
from engine.io.csvtable import CsvTable, read_table
from engine.io.fields import (
    ID_NAMES,
    SPLIT_NAMES,
    Partition,
    RawColumn,
    XBlock,
    YBlock,
    check_same_rows,
    check_wavelengths,
    partition_of,
    read_ids,
    read_split,
    read_x,
    read_y,
    type_target,
)
from engine.io.meter import Meter
from engine.io.paths import kind_of

LAYOUT_FOLDER = "folder"
LAYOUT_NIRS4ALL = "nirs4all"
LAYOUT_SINGLE_CSV = "single-csv"
LAYOUT_NPZ = "npz"
LAYOUT_NPY_FOLDER = "npy-folder"

EXPECTED = ("expected X.csv with y.csv (and optionally split.csv); or nirs4all files "
            "Xcal/Ycal/Xval/Yval or Xtrain/Ytrain/Xtest/Ytest (.csv or .csv.gz); "
            "or the path of one CSV file with wavelength columns and target columns; "
            "or X.npy (with wavelengths.npy, y.npy ...); or one .npz file")
NIRS4ALL_ROLES = {"x_train": ("xcal", "xtrain"), "y_train": ("ycal", "ytrain"),
                  "x_test": ("xval", "xtest"), "y_test": ("yval", "ytest")}


# -- recognising a path ----------------------------------------------------------------------
def _csv_stem(name: str) -> str | None:
    """Lower-case name without .csv / .csv.gz, or None for other files."""
    low = name.lower()
    for ext in (".csv.gz", ".csv"):
        if low.endswith(ext):
            return low[: -len(ext)]
    return None


def _npy_stem(name: str) -> str | None:
    """Lower-case name without .npy, or None for other files."""
    low = name.lower()
    return low[:-4] if low.endswith(".npy") and len(low) > 4 else None


def csv_index(folder: Path) -> dict[str, list[Path]]:
    """The folder's CSV files by lower-case stem (X.csv and x.csv.gz both under "x")."""
    return _index(folder, _csv_stem)


def npy_index(folder: Path) -> dict[str, list[Path]]:
    """The folder's .npy files by lower-case stem."""
    return _index(folder, _npy_stem)


def _index(folder: Path, stem_of: Callable[[str], str | None] = _csv_stem
           ) -> dict[str, list[Path]]:
    index: dict[str, list[Path]] = {}
    for entry in sorted(folder.iterdir()):
        stem = stem_of(entry.name)
        if stem is not None and entry.is_file():
            index.setdefault(stem, []).append(entry)
    return index


def pick(index: dict[str, list[Path]], stems: tuple[str, ...], folder: Path) -> Path | None:
    """The one file answering to any of ``stems``; two candidates are an ambiguity error."""
    found = [p for s in stems for p in index.get(s, [])]
    if len(found) > 1:
        raise InputError("ambiguous dataset files: " + ", ".join(p.name for p in found)
                         + " (keep only one of them)", file=str(folder))
    return found[0] if found else None


def detect_layout(path: str | os.PathLike[str]) -> str:
    """Which layout ``path`` holds: "folder", "nirs4all", "single-csv", "npz" or "npy-folder".

    A .npz file is the binary layout, any other file is read as one CSV table (a lone .npy
    file is refused: it holds one array, X without its targets); a folder must hold X.csv
    (folder layout), X.npy (npy folder) or nirs4all Xcal/Xtrain/Xval/Xtest files, only one
    of them. Anything else is an InputError listing what was expected.
    """
    p = Path(path)
    if not p.exists():
        raise InputError("no such file or folder", file=str(path))
    if p.is_file():
        suffix = p.suffix.lower()
        if suffix == ".npz":
            return LAYOUT_NPZ
        if suffix == ".npy":
            raise InputError("a lone .npy file holds one array; put the spectra in a folder "
                             "as X.npy (with wavelengths.npy, y.npy ...), or save all the "
                             "arrays in one .npz file (docs/formats.md)", file=str(path))
        return LAYOUT_SINGLE_CSV
    if not p.is_dir():
        raise InputError(f"this is {kind_of(p)}, not a data file or folder (nirdesk reads "
                         "regular files and folders only)", file=str(path))
    try:
        index = _index(p)
    except OSError as exc:
        raise InputError(f"cannot list the folder ({exc.strerror or exc})",
                         file=str(path)) from None
    folder_layout = "x" in index
    nirs4all = [s for stems in (NIRS4ALL_ROLES["x_train"], NIRS4ALL_ROLES["x_test"])
                for s in stems if s in index]
    npy = npy_index(p).get("x", [])
    if folder_layout and nirs4all:
        raise InputError("the folder holds both X.csv and nirs4all files ("
                         + ", ".join(index[s][0].name for s in nirs4all)
                         + "); keep one layout per folder", file=str(path))
    if npy and (folder_layout or nirs4all):
        other = index["x"][0].name if folder_layout else index[nirs4all[0]][0].name
        raise InputError(f"the folder holds both {npy[0].name} and {other}; keep one layout "
                         "per folder", file=str(path))
    if folder_layout:
        return LAYOUT_FOLDER
    if nirs4all:
        return LAYOUT_NIRS4ALL
    if npy:
        return LAYOUT_NPY_FOLDER
    present = sorted(e.name for e in p.iterdir())
    shown = (", ".join(present[:12]) + (", ..." if len(present) > 12 else "")) or "nothing"
    raise InputError(f"no dataset found in this folder ({EXPECTED}); it holds: {shown}",
                     file=str(path))


#: File names (without .csv / .csv.gz, lower case) that belong to a folder layout.
LAYOUT_FILE_STEMS = frozenset({"x", "y", "split"}
                              | {s for stems in NIRS4ALL_ROLES.values() for s in stems})


def resolve_dataset_path(path: str | Path) -> Path:
    """The path to load for ``path``: a file that is part of a folder layout (X.csv,
    Ycal.csv.gz, X.npy, ...) stands for its folder, so a user who picks X.csv in a file
    dialog (or on a command line) gets the dataset, not a lone table without its y.csv;
    anything else is returned as given."""
    p = Path(path)
    in_layout = _csv_stem(p.name) in LAYOUT_FILE_STEMS or _npy_stem(p.name) is not None
    if p.is_file() and in_layout:
        try:
            if detect_layout(p.parent) in (LAYOUT_FOLDER, LAYOUT_NIRS4ALL, LAYOUT_NPY_FOLDER):
                return p.parent
        except InputError:
            pass
    return p


def dataset_name(path: Path) -> str:
    return path.name or path.resolve().name


# -- layout 1: X.csv / y.csv / split.csv -------------------------------------------------------
def load_folder(folder: Path, meter: Meter | None = None) -> SpectralDataset:
    """X.csv (header = wavelengths, optional leading id column), y.csv (header = target names;
    a headerless numeric y.csv is accepted), optional split.csv. ``meter`` hears X.csv's
    progress (the small y.csv and split.csv are read after it)."""
    meter = meter or Meter()
    index = _index(folder)
    x_path = pick(index, ("x",), folder)
    y_path = pick(index, ("y",), folder)
    split_path = pick(index, ("split",), folder)
    assert x_path is not None  # detect_layout guarantees it
    xt = read_table(x_path, span=meter.start(_size(x_path)))
    xb = read_x(xt, header_required=True,
                hint=f"; row 1 of {x_path.name} must hold the wavelengths")
    meter.check()
    targets: dict[str, np.ndarray] = {}
    if y_path is not None:
        yb = read_y(read_table(y_path, delimiter_hint=xt.delimiter), n_expected=xb.n)
        _check_xy(xb, yb)
        targets = {c.name: type_target(c) for c in yb.columns}
    part = Partition(np.zeros(xb.n, dtype=bool), {})
    if split_path is not None:
        st = read_table(split_path, delimiter_hint=xt.delimiter)
        part = read_split(st, xb.n, xt, xb.first_row)
    meta = _metadata(folder, LAYOUT_FOLDER, xb, x_path, y_path)
    meta["split_file"] = None if split_path is None else str(split_path)
    note_partition(meta, part, split_path.name if split_path is not None else "")
    return SpectralDataset(X=xb.X, wavelengths=xb.wavelengths, targets=targets,
                           sample_ids=_ids(xb), test_mask=part.test_mask,
                           excluded=part.excluded, name=dataset_name(folder), metadata=meta)


def note_partition(meta: dict, part: Partition, where: str) -> None:
    """Keep the rows of labels that are neither train nor test (for --split-map) and say so."""
    if part.other:
        meta["partition_other"] = part.other
        meta["partition_source"] = where
        meta["notes"].append(part.note(where))


def _size(path: Path) -> int:
    """Bytes of a file for the progress scale (0 when it cannot be told: the reader then
    names the problem)."""
    try:
        return path.stat().st_size
    except OSError:
        return 0


def _check_xy(xb: XBlock, yb: YBlock) -> None:
    check_same_rows(xb.table, xb.first_row, xb.n, yb.table, yb.first_row, yb.n,
                    b_what=("row of targets", "rows of targets"))


def _ids(xb: XBlock) -> np.ndarray:
    return xb.ids if xb.ids is not None else np.arange(1, xb.n + 1).astype(str)


def _metadata(path: Path, layout: str, xb: XBlock, x_path: Path, y_path: Path | None) -> dict:
    return {"path": str(path), "layout": layout, "x_file": str(x_path),
            "target_file": None if y_path is None else str(y_path),
            "delimiter": xb.table.delimiter, "decimal_comma": xb.table.decimal_comma,
            "wavelengths_unknown": not xb.wavelengths_known, "has_id_column": xb.ids is not None,
            "notes": list(xb.notes)}


# -- layout 2: nirs4all ------------------------------------------------------------------------
def load_nirs4all(folder: Path, meter: Meter | None = None) -> SpectralDataset:
    """Xcal/Ycal (train) and Xval/Yval (test), or the Xtrain/.../Ytest spelling.

    Headers are optional (see fields.read_x / read_y for the detection rules); cal rows come
    first, then val rows (test_mask True). The X parts must share their wavelengths.
    ``meter`` hears the X files' progress, each its share by size.
    """
    meter = meter or Meter()
    index = _index(folder)
    files = {role: pick(index, stems, folder) for role, stems in NIRS4ALL_ROLES.items()}
    x_train, x_test, y_train, y_test = (files[r] for r in ("x_train", "x_test", "y_train",
                                                           "y_test"))
    if x_train is None:
        found = x_test or y_train or y_test  # the layout was detected from one of them
        raise InputError(f"found {found.name if found else 'nirs4all files'} but no Xcal/Xtrain "
                         "file (the training spectra)", file=str(folder))
    if y_test is not None and x_test is None:
        raise InputError(f"found {y_test.name} but no Xval/Xtest file", file=str(folder))
    if x_test is not None and (y_train is None) != (y_test is None):
        have, miss = (y_train, "Yval/Ytest") if y_train is not None else (y_test, "Ycal/Ytrain")
        raise InputError(f"found {have.name if have else '?'} but no {miss} file (targets are "
                         "needed for both parts, or for none)", file=str(folder))

    hint = None
    parts: list[XBlock] = []
    y_parts: list[YBlock] = []
    sizes = {role: _size(p) if p is not None else 0 for role, p in files.items()}
    whole = meter.start(sizes["x_train"] + sizes["x_test"])
    shares = {"x_train": (0.0, sizes["x_train"] / max(1, whole.meter.total)),
              "x_test": (sizes["x_train"] / max(1, whole.meter.total), 1.0)}
    for x_role, y_role in (("x_train", "y_train"), ("x_test", "y_test")):
        x_file, y_file = files[x_role], files[y_role]
        if x_file is None:
            continue
        xt = read_table(x_file, delimiter_hint=hint, span=whole.part(*shares[x_role]))
        hint = hint or xt.delimiter
        xb = read_x(xt, header_required=False)
        if y_file is not None:
            yt = read_table(y_file, delimiter_hint=xt.delimiter)
            yb = read_y(yt, n_expected=xb.n)
            if xb.header_guessed and not yb.has_header and yb.n == xb.n + 1:
                # Row 1 of X looked like wavelengths, but the all-numeric Y has a row for it:
                # it is a spectrum (never lose a headerless file's first row).
                xb = read_x(xt, header_required=False, numeric_header=False)
                xb.notes.append(f"row 1 of {xt.name} looked like wavelengths but {yt.name} has a "
                                "row for it, so it was read as a spectrum")
            _check_xy(xb, yb)
            y_parts.append(yb)
        parts.append(xb)
        meter.check()
    xb = parts[0]
    if len(parts) > 1:
        wavelengths, known = _same_wavelengths(xb, parts[1])
    else:
        wavelengths, known = xb.wavelengths, xb.wavelengths_known
    targets: dict[str, np.ndarray] = {}
    if y_parts:
        targets = {c.name: type_target(c) for c in _same_targets(y_parts)}

    X = np.vstack([p.X for p in parts]) if len(parts) > 1 else xb.X
    test_mask = np.concatenate([np.zeros(xb.n, bool)] + [np.ones(p.n, bool) for p in parts[1:]])
    if all(p.ids is not None for p in parts):
        ids = np.concatenate([p.ids for p in parts])
    else:
        ids = np.arange(1, X.shape[0] + 1).astype(str)
    meta = _metadata(folder, LAYOUT_NIRS4ALL, xb, x_train, y_train)
    meta["files"] = {role: None if p is None else str(p) for role, p in files.items()}
    meta["wavelengths_unknown"] = not known
    meta["notes"] = [n for p in parts for n in p.notes]
    return SpectralDataset(X=X, wavelengths=wavelengths, targets=targets, sample_ids=ids,
                           test_mask=test_mask, name=dataset_name(folder), metadata=meta)


def _same_wavelengths(a: XBlock, b: XBlock) -> tuple[np.ndarray, bool]:
    """The common wavelengths of two X parts; a headerless part takes the other's header."""
    pa, pb = a.X.shape[1], b.X.shape[1]
    if pa != pb:
        raise InputError(f"{b.table.name} has {pb} spectral columns but {a.table.name} has {pa}; "
                         "the X files must have the same wavelengths", file=b.table.file,
                         row=b.table.line(b.first_row),
                         column=min(pa, pb) + 1 + (b.ids is not None))
    if a.wavelengths_known and b.wavelengths_known:
        tol = 1e-9 * max(1.0, float(np.abs(a.wavelengths).max()))
        diff = np.flatnonzero(np.abs(a.wavelengths - b.wavelengths) > tol)
        if diff.size:
            j = int(diff[0])
            col = j + (b.ids is not None)
            raise b.table.error(f"wavelength {b.wavelengths[j]:g} differs from {a.table.name} "
                                f"({a.wavelengths[j]:g} in the same column); the X files must "
                                "have the same wavelengths", 0, col, b.table.row(0))
    if a.wavelengths_known:
        return a.wavelengths, True
    if b.wavelengths_known:
        return b.wavelengths, True
    return a.wavelengths, False


def _same_targets(parts: list[YBlock]) -> list[RawColumn]:
    """Concatenate the target columns of cal and val; names and column counts must agree."""
    first = parts[0]
    columns = list(first.columns)
    for other in parts[1:]:
        if len(other.columns) != len(columns):
            raise other.table.error(f"{len(other.columns)} target columns but {first.table.name} "
                                    f"has {len(columns)}", 0, min(len(columns), len(other.columns)))
        if first.has_header and other.has_header:
            for a, b in zip(columns, other.columns, strict=True):
                if a.name != b.name:
                    col = b.segments[0].column
                    raise other.table.error(f"target name {b.name!r} does not match "
                                            f"{first.table.name} ({a.name!r})", 0, col,
                                            other.table.row(0))
        elif other.has_header:  # headerless cal, named val: take val's names
            columns = [RawColumn(b.name, a.raw, a.number_text, a.segments)
                       for a, b in zip(columns, other.columns, strict=True)]
        columns = [a.concat(b) for a, b in zip(columns, other.columns, strict=True)]
    return columns


# -- layout 3: one CSV -------------------------------------------------------------------------
def load_single_csv(path: Path, meter: Meter | None = None) -> SpectralDataset:
    """One table: wavelength columns (numeric headers, contiguous) plus target columns, and
    optionally an id column (id/sample/sample_id/name) and a partition column (split/set/
    partition; test/val/validation rows are held out). ``meter`` hears its progress."""
    meter = meter or Meter()
    t = read_table(path, span=meter.start(_size(path)))
    header = t.row(0)
    if t.n_rows == 1:
        raise t.error("the file has a header row but no data rows", 0)
    kinds = [_column_kind(t, j, name) for j, name in enumerate(header)]
    wl = [j for j, k in enumerate(kinds) if k == "wl"]
    if not wl:
        raise t.error("no wavelength columns: no column header is a number (expected one column "
                      "per wavelength, headed by the wavelength, plus target columns)", 0)
    c0, c1 = wl[0], wl[-1] + 1
    for j in range(c0, c1):
        if kinds[j] != "wl":
            before = max(i for i in wl if i < j)
            after = min(i for i in wl if i > j)
            raise t.error(f"column {header[j]!r} lies between wavelength columns {before + 1} and "
                          f"{after + 1}; the wavelength columns must be contiguous", 0, j, header)
    for kind, what in (("id", "sample-id"), ("split", "partition")):
        cols = [j for j, k in enumerate(kinds) if k == kind]
        if len(cols) > 1:
            raise t.error(f"a second {what} column (the first is column {cols[0] + 1})", 0,
                          cols[1], header)
    target_cols = [j for j, k in enumerate(kinds) if k == "target"]
    seen: dict[str, int] = {}
    for j in target_cols:
        if header[j] in seen:
            raise t.error(f"target name {header[j]!r} appears twice (also column "
                          f"{seen[header[j]] + 1})", 0, j, header)
        seen[header[j]] = j
    wavelengths = np.array([t.to_number(header[j]) for j in range(c0, c1)], dtype=np.float64)
    check_wavelengths(t, wavelengths, c0, header,
                      hint="; row 1 must be the header (wavelengths as numbers, other "
                           "columns named)")
    X = t.numbers(1, None, c0, c1, header, what="a spectrum")
    meter.check()
    targets = {header[j]: type_target(RawColumn.from_table(t, header[j], 1, j, header))
               for j in target_cols}
    id_cols = [j for j, k in enumerate(kinds) if k == "id"]
    ids = (read_ids(t, 1, id_cols[0], header) if id_cols
           else np.arange(1, t.n_rows).astype(str))
    split_cols = [j for j, k in enumerate(kinds) if k == "split"]
    part = (_partition(t, split_cols[0], header) if split_cols
            else Partition(np.zeros(t.n_rows - 1, bool), {}))
    meta = {"path": str(path), "layout": LAYOUT_SINGLE_CSV, "x_file": str(path),
            "target_file": str(path), "delimiter": t.delimiter, "decimal_comma": t.decimal_comma,
            "wavelengths_unknown": False, "has_id_column": bool(id_cols),
            "partition_column": header[split_cols[0]] if split_cols else None, "notes": []}
    if split_cols:
        note_partition(meta, part, f"{path.name}, column {header[split_cols[0]]!r}")
    return SpectralDataset(X=X, wavelengths=wavelengths, targets=targets, sample_ids=ids,
                           test_mask=part.test_mask, excluded=part.excluded,
                           name=dataset_name(path), metadata=meta)


def _column_kind(t: CsvTable, j: int, name: str) -> str:
    if t.to_number(name) is not None:
        return "wl"
    if name.lower() in ID_NAMES or (name == "" and j == 0):
        return "id"
    if name.lower() in SPLIT_NAMES:
        return "split"
    if name == "":
        raise t.error("empty column header (name the column)", 0, j)
    return "target"


def _partition(t: CsvTable, j: int, header: list[str]) -> Partition:
    values = [str(s).strip() for s in t.column(j, 1)]
    for i, v in enumerate(values):
        if not v:
            raise t.error("empty cell in the partition column (expected train or test)", i + 1, j,
                          header)
    return partition_of(values)
