"""The slow work the window hands to its background thread, as plain functions (no Qt).

Each function takes plain values and returns plain values, so it can run on the loader's
QThread while the GUI stays responsive, and be tested without a display. Engine modules
(numpy parsing, scikit-learn) are imported here, lazily, never at window start-up.
"""
from __future__ import annotations

import threading
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import numpy as np

from app.model.spectra_data import SpectraData
from engine.errors import Cancelled  # the user asked for something else before this finished


@dataclass
class LoadedDataset:
    dataset: Any          # engine.dataset.SpectralDataset
    raw: SpectraData
    path: str             # what was opened (the folder, for a file inside a folder layout)
    refused: list[str] = field(default_factory=list)  # "file: why" for files left out


#: the CSV layouts, whose header holds wavelengths in nm (docs/design.md "Dataset input"), and
#: the binary ones, whose wavelengths array is that header (nm unless its units array says)
_CSV_LAYOUTS = ("folder", "nirs4all", "single-csv", "npz", "npy-folder")
PREVIEW_SPECTRA = 8  # spectra read for the Import dialog's preview


def axis_units(dataset: Any) -> str:
    """The units the x axis is labelled with: the dataset's own, and nm for the CSV layouts
    (whose wavelength header is in nm by design) when the engine was not told otherwise."""
    if dataset.units:
        return str(dataset.units)
    return "nm" if dataset.metadata.get("layout") in _CSV_LAYOUTS else ""


def _loaded(dataset: Any, path: str) -> LoadedDataset:
    raw = SpectraData.build(dataset.X, dataset.wavelengths,
                            wavelengths_known=not dataset.metadata.get("wavelengths_unknown"),
                            title="raw", units=axis_units(dataset))
    return LoadedDataset(dataset=dataset, raw=raw, path=path)


def load(path: str, target: str | None = None, cancel: threading.Event | None = None,
         excel_sheet: str | None = None, progress: ImportProgress | None = None
         ) -> LoadedDataset:
    """Read a dataset (a CSV or binary layout or one instrument file, through
    engine.io.load_data) and prepare the raw spectra for drawing; ``excel_sheet`` names a
    workbook's sheet. ``progress`` hears how far the read is (bytes of the spectra files) and
    a set ``cancel`` stops it at the reader's next block (Cancelled)."""
    from engine.io import instrument_suffix, load_data, resolve_dataset_path

    resolved = path if instrument_suffix(path) is not None else resolve_dataset_path(path)
    dataset = load_data(resolved, target=target, sheet=excel_sheet, cancel=cancel,
                        progress=progress)
    if target is not None and dataset.target != target:
        dataset.select_target(target)
    _check(cancel)
    return _loaded(dataset, str(resolved))


@dataclass
class ImportPreview:
    """What the Import dialog shows before anything is loaded."""

    plan: Any                 # engine.io.folder.ImportPlan, or None for one instrument file
    x: np.ndarray             # the first file's axis
    curves: list[np.ndarray]  # the first spectra (at most PREVIEW_SPECTRA)
    units: str                # "nm", "cm-1" or "" (unknown)
    n_spectra: int            # spectra in the first file read
    sheets: list[str] = field(default_factory=list)  # an Excel workbook's sheets, in order
    excel_sheet: str | None = None                    # the sheet previewed (and to import)


def preview_import(source: str | list[str], sheet: str | None = None,
                   id_column: str | None = None, cancel: threading.Event | None = None,
                   excel_sheet: str | None = None) -> ImportPreview:
    """The plan (engine.io.folder.plan_folder_import, when a sheet is given) and the first
    spectra read with the engine's reader, for the Import dialog; nothing is loaded.

    One Excel workbook: its sheets are listed, and ``excel_sheet`` is previewed (default: the
    first sheet that holds a table, so a leading notes sheet does not stop the preview)."""
    if sheet is None and isinstance(source, str) and Path(source).is_file():
        from engine.io.formats import format_of

        if format_of(source) == "Excel":
            return _preview_workbook(Path(source), excel_sheet)
    from engine.io.folder import plan_folder_import, spectrum_files
    from engine.io.formats import read_spectra

    plan = None
    if sheet:
        plan = plan_folder_import(source if isinstance(source, str) else list(source),
                                  sheet, id_column or None)
        files = [f for f, _ in plan.matched] or list(plan.files)
    elif isinstance(source, str) and Path(source).is_dir():
        files = spectrum_files(source)
    else:
        files = [Path(source if isinstance(source, str) else source[0])]
    curves: list[np.ndarray] = []
    x, units, n_first = np.zeros(0), "", 0
    for f in files:
        _check(cancel)
        sf = read_spectra(f)
        if not curves:
            x, units, n_first = np.asarray(sf.axis, dtype=float), sf.units, sf.n_spectra
        curves.extend(np.asarray(row, dtype=float) for row in sf.spectra)
        one_file = plan is None and not Path(str(source)).is_dir()
        if len(curves) >= PREVIEW_SPECTRA or one_file:
            break
    return ImportPreview(plan=plan, x=x, curves=curves[:PREVIEW_SPECTRA], units=units,
                         n_spectra=n_first)


def _preview_workbook(path: Path, excel_sheet: str | None) -> ImportPreview:
    """The Import dialog's preview of one workbook sheet (see preview_import)."""
    from engine.errors import InputError
    from engine.io.formats import read_spectra
    from engine.io.formats.xlsx import sheet_names

    sheets = sheet_names(path)
    tried = [excel_sheet] if excel_sheet else sheets
    first_error: InputError | None = None
    for name in tried:
        try:
            sf = read_spectra(path, sheet=name)
        except InputError as exc:
            first_error = first_error or exc
            continue
        return ImportPreview(plan=None, x=np.asarray(sf.axis, dtype=float),
                             curves=[np.asarray(r, dtype=float)
                                     for r in sf.spectra[:PREVIEW_SPECTRA]],
                             units=sf.units, n_spectra=sf.n_spectra, sheets=sheets,
                             excel_sheet=name)
    assert first_error is not None   # tried is never empty: a workbook has a sheet
    raise first_error


class ImportProgress:
    """How far a background read is: files of an import, or bytes of a dataset load. Written
    by the worker thread and polled by a GUI timer (plain ints: no signal needed across
    threads, and the reader never waits for the GUI)."""

    def __init__(self) -> None:
        self.done = 0
        self.total = 0

    def __call__(self, done: int, total: int) -> None:
        self.done, self.total = done, total


def import_folder(plan: Any, replicates: str = "keep", progress: ImportProgress | None = None,
                  cancel: threading.Event | None = None) -> LoadedDataset:
    """Read a planned folder import (engine.io.folder.load_folder_import); refused files are
    in ``dataset.metadata["refused"]``."""
    from engine.io.folder import load_folder_import

    result = load_folder_import(plan, replicates=replicates, cancel=cancel, progress=progress)
    loaded = _loaded(result.dataset, str(result.dataset.metadata.get("path", plan.sheet)))
    loaded.refused = [f"{r.file.name}: {r.reason}" for r in result.refused]
    return loaded


def read_pipeline(path: str, cancel: threading.Event | None = None) -> Any:
    """Parse a pipeline JSON file into its branches (engine.pipeline.ExpandedPipeline)."""
    from engine.pipeline import parse_pipeline

    return parse_pipeline(Path(path))


def preprocess(X: np.ndarray, y: np.ndarray | None, held_out: np.ndarray,
               wavelengths: np.ndarray, wavelengths_known: bool, branch: Any, title: str,
               seed: int = 0, cancel: threading.Event | None = None, units: str = "nm"
               ) -> SpectraData:
    """Every spectrum after a branch's preprocessing, fitted on the rows a run fits on (not
    ``held_out``: the test rows and the excluded ones), ready to draw:
    engine.pipeline.preprocess_branch does the work (as a run builds the branch; the x axis
    follows operators that change it)."""
    from engine.pipeline import preprocess_branch

    Z, x = preprocess_branch(branch, X, wavelengths, train_indices=np.flatnonzero(~held_out),
                             y=y, seed=seed, cancel=cancel)
    return SpectraData.build(Z, x, wavelengths_known=wavelengths_known, title=title,
                             units=units)


def _check(cancel: threading.Event | None) -> None:
    if cancel is not None and cancel.is_set():
        raise Cancelled()
