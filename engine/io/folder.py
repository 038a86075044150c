"""A "spectrum folder" dataset: one spectrum per file, plus a reference sheet of sample values.

Why two steps (plan, then load): the window shows what an import WILL do before anything is
read - how many files matched a reference row, which files have no reference and which
references have no file, which samples were scanned several times - and the user confirms or
fixes the sheet first. ``plan_folder_import`` only lists file names and reads the sheet (fast,
no spectra); ``load_folder_import`` reads the matched files, off the GUI thread, with a
progress callback and a ``threading.Event`` to cancel. A file its reader refuses is listed
(file + why) and the others still load; a cancelled or failed import returns nothing
(nothing half-loaded).

Matching: a file's stem (name without suffix) equals a reference id; failing that, a stem
ending in a replicate number ("s12_1", "s12-2", "s12.3") matches the id before it, and files
sharing an id are replicate scans of one sample: kept as rows with a shared group id (so a
group-aware splitter such as GroupKFold keeps them in one fold) or averaged into one row.
Rows follow the sheet's order (replicates by file name), so a folder import and a CSV of the
same samples in the same order give the same folds.
"""
from __future__ import annotations

import re
import threading
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Any

import numpy as np

from engine.dataset import SpectralDataset
from engine.errors import Cancelled, InputError
from engine.io.csvtable import CsvTable, read_table
from engine.io.fields import ID_NAMES, SPLIT_NAMES, Partition, RawColumn, partition_of, type_target

if TYPE_CHECKING:  # the readers load their libraries only when a folder import runs
    from engine.io.formats import SpectraFile

__all__ = ["LAYOUT_SPECTRUM_FOLDER", "FolderImport", "ImportPlan", "Refused",
           "load_folder_import", "plan_folder_import", "spectrum_files"]

LAYOUT_SPECTRUM_FOLDER = "spectrum-folder"
KEEP, AVERAGE = "keep", "average"
REPLICATE_MODES = (KEEP, AVERAGE)
#: a stem ending in a replicate number: "s12_1" -> ("s12", "1")
_REPLICATE = re.compile(r"^(?P<id>.+?)[_\-.](?P<rep>\d+)$")

Reader = Callable[[Path], "SpectraFile"]
Progress = Callable[[int, int], None]


def _default_reader(path: Path) -> SpectraFile:
    from engine.io.formats import read_spectra

    return read_spectra(path)


def _is_spectrum_file(path: Path) -> bool:
    """A file an instrument reader takes; a workbook beside the spectra is a sheet, not one."""
    from engine.io.formats import TABLE_FORMATS, format_of

    fmt = format_of(path)
    return fmt is not None and fmt not in TABLE_FORMATS


@dataclass(frozen=True)
class Refused:
    """A file left out of an import, and why (one line)."""

    file: Path
    reason: str


@dataclass
class ImportPlan:
    """What an import will do, before any spectrum is read (the window's preview).

    matched         (file, reference id) in load order: sheet order, replicates by name
    unmatched_files files no reference row answers to
    unmatched_ids   reference ids no file answers to
    replicates      reference id -> its files, for ids with more than one file
    """

    files: list[Path]
    sheet: Path
    id_column: str
    matched: list[tuple[Path, str]]
    unmatched_files: list[Path]
    unmatched_ids: list[str]
    replicates: dict[str, list[Path]]
    table: CsvTable = field(repr=False)
    id_index: int = 0
    group_column: str | None = None
    rows: dict[str, int] = field(default_factory=dict, repr=False)  # id -> table row

    @property
    def n_matched(self) -> int:
        return len(self.matched)

    def summary(self) -> list[str]:
        """Readable lines for `nirdesk info` and the import dialog."""
        ids = {i for _, i in self.matched}
        lines = [f"reference    {self.sheet.name}: {self.table.n_rows - 1} rows, ids from column "
                 f"{self.id_column!r}",
                 f"matched      {self.n_matched} of {len(self.files)} files -> {len(ids)} "
                 "samples" + (f" ({len(self.replicates)} with replicate scans)"
                              if self.replicates else "")]
        if self.unmatched_files:
            lines.append(f"no reference {len(self.unmatched_files)} files: "
                         + _shown([p.name for p in self.unmatched_files]))
        if self.unmatched_ids:
            lines.append(f"no file      {len(self.unmatched_ids)} references: "
                         + _shown(self.unmatched_ids))
        return lines

    def to_json(self) -> dict[str, Any]:
        return {"sheet": str(self.sheet), "id_column": self.id_column,
                "n_files": len(self.files), "n_matched": self.n_matched,
                "unmatched_files": [str(p) for p in self.unmatched_files],
                "unmatched_ids": list(self.unmatched_ids),
                "replicates": {k: [str(p) for p in v] for k, v in self.replicates.items()}}


@dataclass
class FolderImport:
    """The loaded dataset and what was left out (``refused``: file + why)."""

    dataset: SpectralDataset
    plan: ImportPlan
    refused: list[Refused]

    def summary(self) -> list[str]:
        lines = [f"loaded       {self.dataset.n_samples} rows from "
                 f"{self.plan.n_matched - len(self.refused)} files"]
        lines += [f"refused      {r.file.name}: {r.reason}" for r in self.refused]
        return lines


def _shown(names: Sequence[str], limit: int = 8) -> str:
    return ", ".join(names[:limit]) + (f", ... ({len(names) - limit} more)"
                                       if len(names) > limit else "")


def spectrum_files(source: str | Path | Sequence[str | Path],
                   suffixes: Sequence[str] | None = None,
                   exclude: Sequence[Path] = ()) -> list[Path]:
    """The spectrum files of a folder (those with a reader's suffix, sorted by name; the
    reference sheet excluded), or the given selection of files as it is."""
    if isinstance(source, (str, Path)) and Path(source).is_dir():
        folder = Path(source)
        skip = {p.resolve() for p in exclude}
        try:
            entries = sorted(folder.iterdir())
        except OSError as exc:
            raise InputError(f"cannot list the folder ({exc.strerror or exc})",
                             file=folder) from None
        if suffixes is not None:
            known = {s.lower() for s in suffixes}
            files = [p for p in entries if p.is_file() and p.suffix.lower() in known]
        else:
            files = [p for p in entries if p.is_file() and _is_spectrum_file(p)]
        files = [p for p in files if p.resolve() not in skip]
        if not files:
            raise InputError("no spectrum files in this folder (OPUS, JCAMP-DX, SPC, ...)",
                             file=folder)
        return files
    paths = [Path(source)] if isinstance(source, (str, Path)) else [Path(p) for p in source]
    for p in paths:
        if not p.is_file():
            raise InputError("no such file", file=p)
    if not paths:
        raise InputError("no spectrum files given")
    return paths


def _id_column(table: CsvTable, id_column: str | None, group_column: str | None) -> int:
    """The sheet's id column: the one named, else the first id-like name that is not the
    group column, else the first column."""
    header = table.row(0)
    if id_column is not None:
        if id_column not in header:
            raise table.error(f"no column {id_column!r} (the sheet has: {', '.join(header)})", 0)
        return header.index(id_column)
    for j, name in enumerate(header):
        if name != group_column and name.strip().lower() in ID_NAMES | {"file", "filename",
                                                                        "file name"}:
            return j
    return 0


def plan_folder_import(source: str | Path | Sequence[str | Path], sheet: str | Path,
                       id_column: str | None = None, *, group_column: str | None = None,
                       suffixes: Sequence[str] | None = None) -> ImportPlan:
    """Match spectrum files (a folder, or a selection) with the rows of a reference sheet.

    ``id_column`` names the sheet's sample-id column (default: the first column named id,
    sample, sample_id, name or file, else the first column). ``group_column`` names a column
    whose equal values mark replicate scans of one sample when the sheet has one row per file.
    Reads no spectrum; InputError for an unusable sheet or an empty folder.
    """
    sheet = Path(sheet)
    table = _read_sheet(sheet)
    if table.n_rows < 2:
        raise table.error("the reference sheet has a header row but no data rows", 0)
    j = _id_column(table, id_column, group_column)
    header = table.row(0)
    if group_column is not None and group_column not in header:
        raise table.error(f"no column {group_column!r} (the sheet has: {', '.join(header)})", 0)
    rows: dict[str, int] = {}
    for i in range(1, table.n_rows):
        sample = table.cell(i, j).strip()
        if not sample:
            raise table.error("empty sample id", i, j, header)
        if sample in rows:
            raise table.error(f"sample id {sample!r} appears twice (also row "
                              f"{table.line(rows[sample])})", i, j, header)
        rows[sample] = i
    files = spectrum_files(source, suffixes, exclude=(sheet,))
    by_id: dict[str, list[Path]] = {}
    unmatched: list[Path] = []
    for p in files:
        stem = p.name[: -len(p.suffix)] if p.suffix else p.name
        key: str | None = stem if stem in rows else None
        if key is None:
            m = _REPLICATE.match(stem)
            if m and m.group("id") in rows:
                key = m.group("id")
        if key is None:
            unmatched.append(p)
        else:
            by_id.setdefault(key, []).append(p)
    ordered = sorted(by_id, key=rows.__getitem__)
    matched = [(p, key) for key in ordered for p in sorted(by_id[key])]
    return ImportPlan(files=files, sheet=sheet, id_column=header[j], matched=matched,
                      unmatched_files=unmatched,
                      unmatched_ids=[k for k in rows if k not in by_id],
                      replicates={k: sorted(v) for k, v in by_id.items() if len(v) > 1},
                      table=table, id_index=j, group_column=group_column, rows=rows)


def _read_sheet(sheet: Path) -> CsvTable:
    """A CSV/TSV sheet, or the first worksheet of an Excel workbook, as one table."""
    suffix = sheet.suffix.lower()
    if suffix in (".xlsx", ".xlsm"):
        from engine.io.formats.xlsx import read_xlsx_table

        return read_xlsx_table(sheet)
    if suffix not in (".csv", ".txt", ".tsv", ".gz"):
        raise InputError("a reference sheet is a CSV file or an Excel workbook (.xlsx)",
                         file=sheet)
    return read_table(sheet)


def _span(axis: np.ndarray) -> str:
    return f"{axis.size} points {axis[0]:g}..{axis[-1]:g}"


def load_folder_import(plan: ImportPlan, *, replicates: str = KEEP, common_axis: bool = False,
                       cancel: threading.Event | None = None, progress: Progress | None = None,
                       reader: Reader | None = None) -> FolderImport:
    """Read the matched files of ``plan`` into one SpectralDataset.

    replicates   "keep": one row per file, replicate scans share a group id; "average": one
                 row per sample, the mean of its scans
    common_axis  files whose axes differ are interpolated (linearly) onto the overlap of all
                 axes, on the first file's points; otherwise such a file is refused, naming
                 both ranges
    cancel       set it to stop: Cancelled is raised and nothing is returned
    progress     called as progress(done, total) after each file
    reader       path -> SpectraFile (default: engine.io.formats.read_spectra)
    """
    if replicates not in REPLICATE_MODES:
        raise InputError(f"unknown replicate mode {replicates!r} (expected keep or average)")
    read = reader or _default_reader
    total = len(plan.matched)
    if not total:
        raise InputError("no spectrum file matches a reference id (file names must equal the "
                         f"values of column {plan.id_column!r}, optionally followed by _1, _2 "
                         "for replicate scans)", file=plan.sheet)
    spectra: list[np.ndarray] = []
    axes: list[np.ndarray] = []
    kept: list[tuple[Path, str]] = []
    refused: list[Refused] = []
    units = ""
    notes: list[str] = []
    for done, (path, key) in enumerate(plan.matched, start=1):
        if cancel is not None and cancel.is_set():
            raise Cancelled("import cancelled")
        try:
            sf = read(path)
            if sf.n_spectra != 1:
                raise InputError(f"holds {sf.n_spectra} spectra; a spectrum folder needs one "
                                 "spectrum per file", file=path)
            axis, row = _ascending(np.asarray(sf.axis, np.float64),
                                   np.asarray(sf.spectra, np.float64)[0])
            if sf.units and units and sf.units != units:
                raise InputError(f"axis in {sf.units} but the other files are in {units}",
                                 file=path)
            if axes and not common_axis and not _same_axis(axes[0], axis):
                raise InputError(f"axis {_span(axis)} differs from {kept[0][0].name}'s "
                                 f"{_span(axes[0])} (ask for a common axis to interpolate)",
                                 file=path)
        except InputError as exc:
            refused.append(Refused(path, exc.message))
        else:
            units = units or sf.units
            spectra.append(row)
            axes.append(axis)
            kept.append((path, key))
        if progress is not None:
            progress(done, total)
    if not kept:
        raise InputError(f"none of the {total} matched files could be read (first: "
                         f"{refused[0].file.name}: {refused[0].reason})", file=plan.sheet)
    axis, X = _on_common_axis(axes, spectra, notes) if common_axis else (axes[0],
                                                                       np.vstack(spectra))
    dataset = _build(plan, kept, X, axis, units, replicates, notes, refused)
    return FolderImport(dataset, plan, refused)


def _ascending(axis: np.ndarray, row: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    if axis.size > 1 and axis[0] > axis[-1]:
        order = np.argsort(axis, kind="stable")
        return axis[order], row[order]
    return axis, row


def _same_axis(a: np.ndarray, b: np.ndarray) -> bool:
    if a.shape != b.shape:
        return False
    tol = 1e-9 * max(1.0, float(np.abs(a).max()))
    return bool(np.all(np.abs(a - b) <= tol))


def _on_common_axis(axes: list[np.ndarray], spectra: list[np.ndarray],
                    notes: list[str]) -> tuple[np.ndarray, np.ndarray]:
    """Linear interpolation onto the overlap of every axis, on the first axis' points."""
    if all(_same_axis(axes[0], a) for a in axes[1:]):
        return axes[0], np.vstack(spectra)
    lo = max(float(a[0]) for a in axes)
    hi = min(float(a[-1]) for a in axes)
    grid = axes[0][(axes[0] >= lo) & (axes[0] <= hi)]
    if grid.size < 2:
        raise InputError(f"the files' axes do not overlap (common range {lo:g}..{hi:g})")
    X = np.vstack([np.interp(grid, a, s) for a, s in zip(axes, spectra, strict=True)])
    n_moved = sum(not _same_axis(grid, a) for a in axes)
    notes.append(f"{n_moved} spectra interpolated (linear) onto the common axis {_span(grid)}")
    return grid, X


def _build(plan: ImportPlan, kept: list[tuple[Path, str]], X: np.ndarray, axis: np.ndarray,
           units: str, replicates: str, notes: list[str],
           refused: list[Refused]) -> SpectralDataset:
    table, header = plan.table, plan.table.row(0)
    keys = [key for _, key in kept]
    stems = [p.name[: -len(p.suffix)] if p.suffix else p.name for p, _ in kept]
    groups = list(keys)
    if plan.group_column is not None:
        g = header.index(plan.group_column)
        groups = [str(table.cells[plan.rows[k], g]).strip() for k in keys]
    ids = stems
    if replicates == AVERAGE:
        order: dict[str, list[int]] = {}
        for i, grp in enumerate(groups):
            order.setdefault(grp, []).append(i)
        X = np.vstack([X[idx].mean(axis=0) for idx in order.values()])
        first = [idx[0] for idx in order.values()]
        n_avg = sum(len(idx) > 1 for idx in order.values())
        if n_avg:
            notes.append(f"replicate scans averaged: {n_avg} samples")
        keys = [keys[i] for i in first]
        groups = list(order)
        ids = groups if plan.group_column is not None else keys
    rows = [plan.rows[k] for k in keys]
    skip = {plan.id_index} | ({header.index(plan.group_column)} if plan.group_column else set())
    split_cols = [j for j, name in enumerate(header)
                  if j not in skip and name.strip().lower() in SPLIT_NAMES]
    skip |= set(split_cols)
    sub = _rows_table(table, rows)
    targets = {header[j]: type_target(RawColumn.from_table(sub, header[j], 1, j, header))
               for j in range(len(header)) if j not in skip and header[j].strip()}
    part = (partition_of([str(table.cells[r, split_cols[0]]) for r in rows])
            if split_cols else Partition(np.zeros(len(rows), bool), {}))
    partition_source = (f"{Path(plan.sheet).name}, column {header[split_cols[0]]!r}"
                        if split_cols else "")
    if part.other:
        notes.append(part.note(partition_source))
    meta = {"path": str(plan.files[0].parent), "layout": LAYOUT_SPECTRUM_FOLDER,
            "x_file": str(plan.files[0].parent), "target_file": str(plan.sheet),
            "id_column": plan.id_column, "replicates": replicates,
            "import": plan.to_json(),
            "refused": [{"file": str(r.file), "reason": r.reason} for r in refused],
            "wavelengths_unknown": False, "notes": notes}
    if part.other:
        meta["partition_other"] = part.other
        meta["partition_source"] = partition_source
    return SpectralDataset(X=X, wavelengths=axis, targets=targets, sample_ids=np.asarray(ids),
                           test_mask=part.test_mask, excluded=part.excluded,
                           name=plan.files[0].parent.name or "spectra", metadata=meta, units=units,
                           groups=np.asarray(groups) if replicates == KEEP else None)


def _rows_table(table: CsvTable, rows: list[int]) -> CsvTable:
    """The sheet restricted to the header and ``rows`` (errors still name the sheet's lines)."""
    keep = [0, *rows]
    return table.take_rows(keep)
