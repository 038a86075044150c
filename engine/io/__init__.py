"""Loading spectra + reference values from files into a SpectralDataset.

    load_dataset(path, target=None) -> SpectralDataset
    detect_layout(path) -> "folder" | "nirs4all" | "single-csv"
    resolve_dataset_path(path) -> the folder, for a file of a folder layout (X.csv, Ycal.csv)

Layouts (docs/design.md "Dataset input"): a folder with X.csv / y.csv / split.csv; a nirs4all folder
(Xcal/Ycal/Xval/Yval or Xtrain/Ytrain/Xtest/Ytest, .csv or .csv.gz, header optional); one CSV
with wavelength columns and target columns. Every unusable input raises ONE
``engine.errors.InputError`` that names the file, the 1-based line and the column.
"""
from __future__ import annotations

import os
from pathlib import Path

from engine.dataset import SpectralDataset
from engine.io.layouts import (
    LAYOUT_FOLDER,
    LAYOUT_NIRS4ALL,
    LAYOUT_SINGLE_CSV,
    detect_layout,
    load_folder,
    load_nirs4all,
    load_single_csv,
    resolve_dataset_path,
)

__all__ = ["LAYOUT_FOLDER", "LAYOUT_NIRS4ALL", "LAYOUT_SINGLE_CSV", "detect_layout", "load_dataset",
           "resolve_dataset_path"]

_LOADERS = {LAYOUT_FOLDER: load_folder, LAYOUT_NIRS4ALL: load_nirs4all,
            LAYOUT_SINGLE_CSV: load_single_csv}


def load_dataset(path: str | os.PathLike[str], target: str | None = None) -> SpectralDataset:
    """Read the dataset at ``path`` (layout detected) and select ``target`` if given.

    Nothing is modified on failure: the caller's current dataset stays as it was, since the
    new one only exists once every check has passed. An unknown ``target`` raises an InputError
    listing the targets the file has.
    """
    layout = detect_layout(path)
    dataset = _LOADERS[layout](Path(path))
    if target is not None:
        dataset.select_target(target)
    return dataset
