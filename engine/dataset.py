"""The in-memory dataset every part of nirdesk works on.

A SpectralDataset is deliberately plain numpy: X is a C-contiguous float64 array so that a
worker pool can memory-map it instead of copying it (docs/design.md decision 3), and everything
else is a small 1-D array aligned with X's rows.
"""
from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

import numpy as np

from engine.errors import InputError


@dataclass
class SpectralDataset:
    """Spectra, their wavelengths, reference values and the train/test partition.

    X            (n_samples, n_wavelengths) float64
    wavelengths  (n_wavelengths,) float64, strictly increasing or strictly decreasing
    targets      ordered dict name -> (n_samples,) array; float64 for numeric targets,
                 str (dtype object->'<U') for class labels
    sample_ids   (n_samples,) str
    test_mask    (n_samples,) bool; True = held out for the final test, never used to fit
    target       the selected target name (defaults to the first one)
    """

    X: np.ndarray
    wavelengths: np.ndarray
    targets: dict[str, np.ndarray]
    sample_ids: np.ndarray
    test_mask: np.ndarray
    name: str = "dataset"
    target: str | None = None
    metadata: dict[str, Any] = field(default_factory=dict)

    def __post_init__(self) -> None:
        self.X = np.ascontiguousarray(self.X, dtype=np.float64)
        self.wavelengths = np.asarray(self.wavelengths, dtype=np.float64)
        self.sample_ids = np.asarray(self.sample_ids).astype(str)
        self.test_mask = np.asarray(self.test_mask, dtype=bool)
        n, p = self.X.shape
        if self.wavelengths.shape != (p,):
            raise ValueError(f"{p} spectral columns but {self.wavelengths.size} wavelengths")
        for name, values in self.targets.items():
            if len(values) != n:
                raise ValueError(f"target {name!r} has {len(values)} rows, X has {n}")
        if self.sample_ids.shape != (n,) or self.test_mask.shape != (n,):
            raise ValueError("sample_ids and test_mask must have one entry per spectrum")
        if self.target is None and self.targets:
            self.target = next(iter(self.targets))
        if self.target is not None:
            self.select_target(self.target)

    # -- targets ---------------------------------------------------------------------------
    @property
    def target_names(self) -> list[str]:
        return list(self.targets)

    def select_target(self, name: str) -> None:
        """Choose the modelled target; an unknown name is an input error listing the known ones."""
        if name not in self.targets:
            known = ", ".join(self.targets) or "none"
            raise InputError(f"unknown target {name!r}; the dataset has: {known}",
                             file=self.metadata.get("target_file", self.name))
        self.target = name

    @property
    def y(self) -> np.ndarray:
        if self.target is None:
            raise InputError("the dataset has no target column", file=self.name)
        return self.targets[self.target]

    @property
    def is_classification(self) -> bool:
        """Class labels are stored as strings; numbers are a regression target."""
        return self.y.dtype.kind in "UOS"

    # -- partition -------------------------------------------------------------------------
    @property
    def n_samples(self) -> int:
        return self.X.shape[0]

    @property
    def n_wavelengths(self) -> int:
        return self.X.shape[1]

    @property
    def train_indices(self) -> np.ndarray:
        return np.flatnonzero(~self.test_mask)

    @property
    def test_indices(self) -> np.ndarray:
        return np.flatnonzero(self.test_mask)

    @property
    def n_train(self) -> int:
        return int((~self.test_mask).sum())

    @property
    def n_test(self) -> int:
        return int(self.test_mask.sum())

    def summary(self) -> dict[str, Any]:
        """The "dataset" block of the results JSON (docs/design.md)."""
        return {"name": self.name, "n_samples": self.n_samples,
                "n_wavelengths": self.n_wavelengths, "target": self.target,
                "n_train": self.n_train, "n_test": self.n_test}
