"""Loading spectra + reference values from files into a SpectralDataset.

    load_dataset(path, target=None, cancel=None, progress=None) -> SpectralDataset
    detect_layout(path) -> "folder" | "nirs4all" | "single-csv" | "npz" | "npy-folder"
    resolve_dataset_path(path) -> the folder, for a file of a folder layout (X.csv, Ycal.csv)
    load_data(path, reference=..., task=...) -> SpectralDataset: every kind of input the CLI's
        --data takes: a layout above, one instrument file (engine.io.formats), or a spectrum
        folder / a selection of files with a reference sheet (engine.io.folder)

Layouts (docs/design.md "Dataset input"): a folder with X.csv / y.csv / split.csv; a nirs4all folder
(Xcal/Ycal/Xval/Yval or Xtrain/Ytrain/Xtest/Ytest, .csv or .csv.gz, header optional); one CSV
with wavelength columns and target columns; one .npz file or a folder of .npy arrays
(engine.io.binary). Every unusable input raises ONE ``engine.errors.InputError`` that names
the file, the 1-based line and the column (for an array: the array, its row and column).
A load that takes a while reports ``progress(done, total)`` and stops at its next block when
``cancel`` is set (engine.io.meter; ``engine.errors.Cancelled``).
"""
from __future__ import annotations

import os
import threading
from collections.abc import Callable, Sequence
from pathlib import Path

import numpy as np

from engine.dataset import SpectralDataset
from engine.errors import InputError
from engine.io.binary import load_npy_folder, load_npz
from engine.io.layouts import (
    LAYOUT_FOLDER,
    LAYOUT_NIRS4ALL,
    LAYOUT_NPY_FOLDER,
    LAYOUT_NPZ,
    LAYOUT_SINGLE_CSV,
    detect_layout,
    load_folder,
    load_nirs4all,
    load_single_csv,
    resolve_dataset_path,
)
from engine.io.meter import Meter

__all__ = ["LAYOUT_FOLDER", "LAYOUT_INSTRUMENT_FILE", "LAYOUT_NIRS4ALL", "LAYOUT_NPY_FOLDER",
           "LAYOUT_NPZ", "LAYOUT_SINGLE_CSV",
           "detect_layout", "instrument_suffix", "load_data", "load_dataset",
           "load_instrument_file", "resolve_dataset_path"]

LAYOUT_INSTRUMENT_FILE = "instrument-file"
#: the tables the CSV layouts read, never taken for an instrument file
_TABLE_SUFFIXES = (".csv", ".gz", ".txt", ".tsv")

_LOADERS: dict[str, Callable[[Path, Meter], SpectralDataset]] = {
    LAYOUT_FOLDER: load_folder, LAYOUT_NIRS4ALL: load_nirs4all,
    LAYOUT_SINGLE_CSV: load_single_csv, LAYOUT_NPZ: load_npz,
    LAYOUT_NPY_FOLDER: load_npy_folder}


def load_dataset(path: str | os.PathLike[str], target: str | None = None,
                 split_map: dict[str, str] | None = None, *,
                 cancel: threading.Event | None = None,
                 progress: Callable[[int, int], None] | None = None) -> SpectralDataset:
    """Read the dataset at ``path`` (layout detected) and select ``target`` if given.

    Nothing is modified on failure: the caller's current dataset stays as it was, since the
    new one only exists once every check has passed. An unknown ``target`` raises an InputError
    listing the targets the file has. ``split_map`` gives partition labels other than
    train/test a role (SpectralDataset.map_partition); unmapped, their rows are excluded.
    ``progress(done, total)`` hears how far the load is (in bytes of the spectra files; it
    reaches total at the end) and a set ``cancel`` stops it with engine.errors.Cancelled
    within a block of work (engine.io.meter).
    """
    layout = detect_layout(path)
    meter = Meter(progress, cancel)
    dataset = _LOADERS[layout](Path(path), meter)
    meter.check()
    dataset.ascending()
    if split_map:
        dataset.map_partition(split_map)
    if target is not None:
        dataset.select_target(target)
    meter.finish()
    return dataset


def instrument_suffix(path: str | os.PathLike[str]) -> str | None:
    """The format name when ``path`` is a file an instrument reader takes (by suffix)."""
    p = Path(path)
    if not p.is_file() or p.suffix.lower() in _TABLE_SUFFIXES:
        return None
    from engine.io.formats import format_of

    return format_of(p)


def load_instrument_file(path: str | os.PathLike[str], *, sheet: str | None = None
                         ) -> SpectralDataset:
    """One instrument/exchange file (OPUS, JCAMP-DX, SPC, Excel, MATLAB) as a dataset: its
    spectra, axis and units, and the targets the file itself holds (an Excel sheet's target
    columns, a .mat file's y); spectra alone are for predict, info and preprocess.

    ``sheet`` names the Excel sheet (default: the first). A workbook whose first sheet holds no
    table is refused with the names of its sheets, so the user can choose one."""
    from engine.io.formats import format_of, read_spectra
    from engine.io.formats.xlsx import sheet_names

    p = Path(path)
    excel = format_of(p) == "Excel"
    if sheet is not None and not excel:
        raise InputError("--sheet is for an Excel workbook", file=str(p))
    try:
        sf = read_spectra(p, sheet=sheet) if excel else read_spectra(p)
    except InputError as exc:
        names = sheet_names(p) if excel and sheet is None else []
        if len(names) > 1:
            raise InputError(f"{exc.message}; the workbook's sheets: {', '.join(names)} "
                             "(choose one with --sheet NAME)", file=exc.file, row=exc.row,
                             column=exc.column, column_name=exc.column_name) from None
        raise
    meta = {"path": str(p), "layout": LAYOUT_INSTRUMENT_FILE, "x_file": str(p),
            "target_file": None, "wavelengths_unknown": False, "format": p.suffix.lower(),
            "file_metadata": sf.metadata, "notes": list(sf.notes)}
    return SpectralDataset(X=sf.spectra, wavelengths=sf.axis, targets=dict(sf.targets),
                           sample_ids=np.asarray(sf.names, dtype=str),
                           test_mask=np.zeros(sf.n_spectra, dtype=bool),
                           name=p.name, metadata=meta, units=sf.units)


def load_data(path: str | os.PathLike[str] | Sequence[str | os.PathLike[str]], *,
              target: str | None = None, reference: str | os.PathLike[str] | None = None,
              id_column: str | None = None, group_column: str | None = None,
              replicates: str = "keep",
              common_axis: bool = False, task: str | None = None,
              sheet: str | None = None,
              split_map: dict[str, str] | None = None,
              cancel: threading.Event | None = None,
              progress: Callable[[int, int], None] | None = None) -> SpectralDataset:
    """Whatever ``--data`` names, as one dataset (the one entry point of the CLI).

    With ``reference`` (a CSV sheet) ``path`` is a spectrum folder or a list of files matched
    by file-name stem with the sheet's ``id_column`` (engine.io.folder; refused files are in
    ``metadata["refused"]``); ``group_column`` names the sheet column whose equal values mark
    replicate scans of one sample when the sheet has one row per file. Without ``reference``:
    an instrument file, or a dataset layout. ``task`` ("regression" | "classification") is
    the user's choice for the selected target. ``sheet`` names the sheet of an Excel workbook.
    ``split_map`` maps partition labels other than train/test to train, test or exclude.
    ``progress(done, total)`` and ``cancel`` follow the load (a spectrum folder: files; a
    dataset layout: bytes, see load_dataset); an instrument file only checks ``cancel`` once
    it is read.
    """
    if reference is not None:
        from engine.io.folder import load_folder_import, plan_folder_import

        source: Path | list[Path] = (Path(path) if isinstance(path, (str, os.PathLike))
                                     else [Path(p) for p in path])
        plan = plan_folder_import(source, Path(reference), id_column,
                                  group_column=group_column)
        dataset = load_folder_import(plan, replicates=replicates, common_axis=common_axis,
                                     cancel=cancel, progress=progress).dataset
        if split_map:
            dataset.map_partition(split_map)
        if target is not None:
            dataset.select_target(target)
    else:
        if not isinstance(path, (str, os.PathLike)):
            raise InputError("a selection of spectrum files needs a reference sheet "
                             "(--reference SHEET)")
        for flag, value in (("--id-column", id_column), ("--group-column", group_column)):
            if value is not None:
                raise InputError(f"{flag} is for a spectrum folder with --reference SHEET",
                                 file=str(path))
        if instrument_suffix(path) is not None:
            dataset = load_instrument_file(path, sheet=sheet)
            Meter(progress, cancel).check()
            if split_map:
                dataset.map_partition(split_map)
            if target is not None:
                dataset.select_target(target)
        else:
            if sheet is not None:
                raise InputError("--sheet is for an Excel workbook", file=str(path))
            _refuse_bare_spectrum_folder(Path(path))
            dataset = load_dataset(path, target=target, split_map=split_map, cancel=cancel,
                                   progress=progress)
    _check_range(dataset)
    if task is not None:
        if dataset.target is None:
            raise InputError("--task needs a target, and the data has none",
                             file=str(dataset.metadata.get("path", dataset.name)))
        dataset.set_task(dataset.target, task)
    return dataset


def _check_range(dataset: SpectralDataset) -> None:
    """Refuse values nirdesk cannot compute with (engine.io.ranges) whatever format they came
    from (the CSV readers already name the cell); NaN is a gap some formats allow in targets."""
    from engine.io.ranges import MAX_ABS_VALUE, first_out_of_range, out_of_range_message

    where = str(dataset.metadata.get("x_file") or dataset.metadata.get("path") or dataset.name)
    X = np.asarray(dataset.X)
    hi, lo = (float(X.max()), float(X.min())) if X.size else (0.0, 0.0)
    all_finite = bool(np.isfinite(hi) and np.isfinite(lo))
    bad = None if all_finite else ~np.isfinite(X)   # (two reductions: no block-sized mask)
    if bad is not None and bad.any():
        i, j = (int(k) for k in np.argwhere(bad)[0])
        raise InputError(f"spectrum {i + 1} ({dataset.sample_ids[i]}) has {float(X[i, j])!r} at "
                         f"{dataset.wavelengths[j]:g} (NaN and infinity are not allowed)",
                         file=where)
    big = None if lo >= -MAX_ABS_VALUE and hi <= MAX_ABS_VALUE else first_out_of_range(X)
    if big is not None:
        i, j = big
        raise InputError(f"spectrum {i + 1} ({dataset.sample_ids[i]}) at "
                         f"{dataset.wavelengths[j]:g}: {out_of_range_message(f'{X[i, j]:g}')}",
                         file=where)
    for name, values in dataset.targets.items():
        values = np.asarray(values)
        if values.dtype.kind == "f":
            hit = first_out_of_range(np.where(np.isfinite(values), values, 0.0))
            if hit is not None:
                i = hit[0]
                raise InputError(f"target {name!r} of sample {dataset.sample_ids[i]}: "
                                 f"{out_of_range_message(f'{values[i]:g}')}", file=where)


def _refuse_bare_spectrum_folder(folder: Path) -> None:
    """A folder of instrument files but no X.csv: say that it needs a reference sheet."""
    if not folder.is_dir():
        return
    try:
        detect_layout(folder)
    except InputError:
        spectra = [p for p in folder.iterdir() if instrument_suffix(p) is not None]
        if spectra:
            raise InputError(f"a spectrum folder ({len(spectra)} spectrum files): give the "
                             "reference sheet with --reference SHEET (and --id-column NAME)",
                             file=str(folder)) from None
        raise
