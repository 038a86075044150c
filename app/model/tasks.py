"""The slow work the window hands to its background thread, as plain functions (no Qt).

Each function takes plain values and returns plain values, so it can run on the loader's
QThread while the GUI stays responsive, and be tested without a display. Engine modules
(numpy parsing, scikit-learn) are imported here, lazily, never at window start-up.
"""
from __future__ import annotations

import threading
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np

from app.model.spectra_data import SpectraData

# Files that belong to a folder layout: opening one of them opens its folder (a user who picks
# X.csv in a file dialog means the dataset, not a lone table without its y.csv).
_LAYOUT_STEMS = {"x", "y", "split", "xcal", "ycal", "xval", "yval", "xtrain", "ytrain", "xtest",
                 "ytest"}


class Cancelled(Exception):
    """The user asked for something else before this finished."""


@dataclass
class LoadedDataset:
    dataset: Any          # engine.dataset.SpectralDataset
    raw: SpectraData
    path: str             # what was opened (the folder, for a file inside a folder layout)


def resolve_dataset_path(path: str | Path) -> Path:
    """The path to load: a file that is part of a folder layout (X.csv, Ycal.csv.gz, ...)
    stands for its folder; anything else is loaded as given."""
    p = Path(path)
    if p.is_file():
        low = p.name.lower()
        stem = low[:-7] if low.endswith(".csv.gz") else low[:-4] if low.endswith(".csv") else None
        if stem in _LAYOUT_STEMS:
            from engine.io import detect_layout
            from engine.errors import NirdeskInputError

            try:
                if detect_layout(p.parent) in ("folder", "nirs4all"):
                    return p.parent
            except NirdeskInputError:
                pass
    return p


def load(path: str, target: str | None = None, cancel: threading.Event | None = None
         ) -> LoadedDataset:
    """Read a dataset (any layout the engine knows) and prepare the raw spectra for drawing."""
    from engine.io import load_dataset

    resolved = resolve_dataset_path(path)
    dataset = load_dataset(resolved, target=target)
    _check(cancel)
    raw = SpectraData.build(dataset.X, dataset.wavelengths,
                            wavelengths_known=not dataset.metadata.get("wavelengths_unknown"),
                            title="raw")
    return LoadedDataset(dataset=dataset, raw=raw, path=str(resolved))


def read_pipeline(path: str, cancel: threading.Event | None = None) -> Any:
    """Parse a pipeline JSON file into its branches (engine.pipeline.ExpandedPipeline)."""
    from engine.pipeline import parse_pipeline

    return parse_pipeline(Path(path))


def preprocess(X: np.ndarray, y: np.ndarray | None, test_mask: np.ndarray,
               wavelengths: np.ndarray, wavelengths_known: bool, branch: Any, title: str,
               seed: int = 0, cancel: threading.Event | None = None) -> SpectraData:
    """Apply a branch's preprocessing to every spectrum, fitted on the training rows only.

    The branch's sklearn Pipeline is built as a run builds it (wavelengths injected into
    operators such as CropRange, seeds filled in); its steps before the model are fitted on
    the rows not held out for test, then transform all rows. The x axis follows operators that
    change it (``transform_wavelengths``).
    """
    from engine.run import build_pipeline

    pipeline = build_pipeline(branch, wavelengths, seed)
    steps = pipeline.steps[:-1]
    train = np.flatnonzero(~test_mask)
    if train.size == 0:
        raise ValueError("every row is held out for test: nothing to fit the preprocessing on")
    Z = X
    x = np.asarray(wavelengths, dtype=np.float64)
    fit_rows = Z[train]
    y_fit = None if y is None else y[train]
    for _, step in steps:
        _check(cancel)
        fit_rows = step.fit_transform(fit_rows, y_fit)
        Z = step.transform(Z)
        if hasattr(step, "transform_wavelengths"):
            x = np.asarray(step.transform_wavelengths(x), dtype=np.float64)
    _check(cancel)
    return SpectraData.build(np.asarray(Z), x, wavelengths_known=wavelengths_known, title=title)


def _check(cancel: threading.Event | None) -> None:
    if cancel is not None and cancel.is_set():
        raise Cancelled()
