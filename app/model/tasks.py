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
from engine.errors import Cancelled  # the user asked for something else before this finished


@dataclass
class LoadedDataset:
    dataset: Any          # engine.dataset.SpectralDataset
    raw: SpectraData
    path: str             # what was opened (the folder, for a file inside a folder layout)


def load(path: str, target: str | None = None, cancel: threading.Event | None = None
         ) -> LoadedDataset:
    """Read a dataset (any layout the engine knows) and prepare the raw spectra for drawing."""
    from engine.io import load_dataset, resolve_dataset_path

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
    """Every spectrum after a branch's preprocessing, fitted on the rows not held out for
    test, ready to draw: engine.pipeline.preprocess_branch does the work (as a run builds
    the branch; the x axis follows operators that change it)."""
    from engine.pipeline import preprocess_branch

    Z, x = preprocess_branch(branch, X, wavelengths, train_indices=np.flatnonzero(~test_mask),
                             y=y, seed=seed, cancel=cancel)
    return SpectraData.build(Z, x, wavelengths_known=wavelengths_known, title=title)


def _check(cancel: threading.Event | None) -> None:
    if cancel is not None and cancel.is_set():
        raise Cancelled()
