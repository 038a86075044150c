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

#: what a partition label other than train/test can be mapped to (map_partition)
PARTITION_ROLES = ("train", "test", "exclude")


def partition_note(other: dict[str, list[int]], where: str) -> str:
    """The loader's note on rows whose partition label is neither train nor test ("" when
    there are none): they are left out until the user maps their label."""
    if not other:
        return ""
    parts = [f"{len(rows)} labelled {label!r}" for label, rows in other.items()]
    first = next(iter(other))
    return (f"{where}: rows neither train nor test ({', '.join(parts)}) are left out of "
            f"the model; map a label with --split-map {first}=train|test|exclude, or "
            f"re-include the rows in the window (they then train)")

REGRESSION, CLASSIFICATION = "regression", "classification"
TASKS = (REGRESSION, CLASSIFICATION)
UNITS = ("nm", "cm-1", "")
#: at most this many distinct whole numbers make a numeric target a class candidate
MAX_CODES = 10


def _whole(values: np.ndarray) -> bool:
    return bool(np.all(np.isfinite(values)) and np.all(values == np.round(values)))


def looks_like_codes(values: np.ndarray) -> bool:
    """Whole numbers with few distinct values (2..MAX_CODES, and fewer than half the rows):
    oil type 1..6 or grade 1..3, not a count measured on a continuous scale."""
    if values.dtype.kind in "UOS" or values.size == 0 or not _whole(values):
        return False
    n_distinct = np.unique(values).size
    return 2 <= n_distinct <= min(MAX_CODES, values.size // 2)


def code_labels(values: np.ndarray) -> np.ndarray:
    """Numeric class codes as labels: 1.0 -> "1" (so results and predictions read as codes)."""
    return np.array([f"{v:.0f}" if v == int(v) else f"{v:g}" for v in values.tolist()],
                    dtype=str)


@dataclass
class SpectralDataset:
    """Spectra, their wavelengths, reference values and the train/test partition.

    X            (n_samples, n_wavelengths) float64
    wavelengths  (n_wavelengths,) float64, strictly increasing (the loaders sort a descending
                 axis, see ``ascending``)
    targets      ordered dict name -> (n_samples,) array; float64 for numeric targets,
                 str (dtype object->'<U') for class labels
    sample_ids   (n_samples,) str
    test_mask    (n_samples,) bool; True = held out for the final test, never used to fit
    target       the selected target name (defaults to the first one)
    units        the axis units: "nm", "cm-1" or "" (unknown), kept in the project
    tasks        the user's task choice per target ("regression" | "classification"); a
                 target without a choice takes the automatic one (text = classes)
    groups       (n_samples,) str: rows sharing a group (replicate scans of one sample) stay
                 in one fold of a group-aware splitter; None = the sample ids
    excluded     (n_samples,) bool; True = left out of everything a run fits or scores
                 (calibration, CV folds, test scoring) while staying in the data, so the
                 user can look at it and include it again (default: none excluded)
    """

    X: np.ndarray
    wavelengths: np.ndarray
    targets: dict[str, np.ndarray]
    sample_ids: np.ndarray
    test_mask: np.ndarray
    name: str = "dataset"
    target: str | None = None
    metadata: dict[str, Any] = field(default_factory=dict)
    units: str = ""
    tasks: dict[str, str] = field(default_factory=dict)
    groups: np.ndarray | None = None
    excluded: np.ndarray = field(default_factory=lambda: np.zeros(0, dtype=bool))

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
        if self.groups is not None:
            self.groups = np.asarray(self.groups).astype(str)
            if self.groups.shape != (n,):
                raise ValueError("groups must have one entry per spectrum")
        excluded = np.asarray(self.excluded, dtype=bool)
        self.excluded = np.zeros(n, dtype=bool) if excluded.size == 0 else excluded.copy()
        if self.excluded.shape != (n,):
            raise ValueError("excluded must have one entry per spectrum")
        if self.units not in UNITS:
            raise ValueError(f"unknown axis units {self.units!r} (expected one of {UNITS})")
        for name, task in self.tasks.items():
            self._check_task(name, task)
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
        """The selected target as the models see it: numbers for regression, str labels for
        classification (numeric codes the user declared classes become labels "1", "2", ...)."""
        if self.target is None:
            raise InputError("the dataset has no target column", file=self.name)
        values = self.targets[self.target]
        if values.dtype.kind not in "UOS" and self.task(self.target) == CLASSIFICATION:
            return code_labels(values)
        return values

    @property
    def is_classification(self) -> bool:
        """Text targets are classes; numbers are regression unless the user said otherwise."""
        return self.target is not None and self.task(self.target) == CLASSIFICATION

    # -- task per target -------------------------------------------------------------------
    def task(self, name: str) -> str:
        """The task for target ``name``: the user's choice, else text = classification."""
        chosen = self.tasks.get(name)
        if chosen is not None:
            return chosen
        return CLASSIFICATION if self.targets[name].dtype.kind in "UOS" else REGRESSION

    def set_task(self, name: str, task: str) -> None:
        """Record the user's task for target ``name``; refused (InputError) when the values
        cannot be that task (text cannot be regressed, fractional numbers are not codes)."""
        if name not in self.targets:
            self.select_target(name)  # raises the listing error
        self._check_task(name, task)
        self.tasks[name] = task

    def _check_task(self, name: str, task: str) -> None:
        where = self.metadata.get("target_file") or self.name
        if task not in TASKS:
            raise InputError(f"unknown task {task!r} (expected regression or classification)",
                             file=where)
        values = self.targets[name]
        if task == REGRESSION and values.dtype.kind in "UOS":
            raise InputError(f"target {name!r} holds text labels; it can only be classification",
                             file=where)
        if task == CLASSIFICATION and values.dtype.kind not in "UOS" and not _whole(values):
            raise InputError(f"target {name!r} holds fractional numbers, not class codes; it "
                             "can only be regression", file=where)

    def class_candidates(self) -> list[str]:
        """Numeric targets the window/CLI may OFFER as classes (whole numbers, few distinct
        values) while they stay regression until the user chooses (never switched silently)."""
        return [name for name in self.targets if name not in self.tasks
                and looks_like_codes(self.targets[name])]

    # -- partition -------------------------------------------------------------------------
    @property
    def n_samples(self) -> int:
        return self.X.shape[0]

    @property
    def n_wavelengths(self) -> int:
        return self.X.shape[1]

    # Every run path takes its rows from train_indices / test_indices (folds, refit, test
    # scoring, preprocessing fitted on the training rows), so leaving the excluded rows out
    # here leaves them out everywhere with no other change.
    @property
    def train_indices(self) -> np.ndarray:
        return np.flatnonzero(~self.test_mask & ~self.excluded)

    @property
    def test_indices(self) -> np.ndarray:
        return np.flatnonzero(self.test_mask & ~self.excluded)

    @property
    def n_train(self) -> int:
        return int((~self.test_mask & ~self.excluded).sum())

    @property
    def n_test(self) -> int:
        return int((self.test_mask & ~self.excluded).sum())

    # -- exclusions --------------------------------------------------------------------------
    def exclude(self, rows: Any) -> None:
        """Leave these rows (dataset row indices or a boolean mask) out of every run."""
        self.excluded[self._rows(rows)] = True

    def include(self, rows: Any = None) -> None:
        """Take these rows back into the runs (None = every row: "include all")."""
        if rows is None:
            self.excluded[:] = False
        else:
            self.excluded[self._rows(rows)] = False

    def map_partition(self, mapping: dict[str, str]) -> None:
        """Give the rows of partition labels that are neither train nor test (kept by the
        loader in ``metadata["partition_other"]``, excluded until mapped) a role: "train",
        "test" or "exclude". An unknown label is refused with the labels the data has."""
        other: dict[str, list[int]] = self.metadata.get("partition_other") or {}
        where = str(self.metadata.get("split_file") or self.metadata.get("path") or self.name)
        for label, role in mapping.items():
            if role not in PARTITION_ROLES:
                raise InputError(f"partition label {label!r} can be mapped to "
                                 f"{', '.join(PARTITION_ROLES)}, not {role!r}", file=where)
            if label not in other:
                known = ", ".join(repr(k) for k in other) or "none"
                raise InputError(f"no rows are labelled {label!r} in the partition (labels "
                                 f"other than train/test: {known})", file=where)
            rows = np.asarray(other[label], dtype=np.intp)
            self.test_mask = self.test_mask.copy()  # it may be shared with the caller's array
            self.excluded[rows] = role == "exclude"
            if role != "exclude":
                self.test_mask[rows] = role == "test"
            self.metadata.setdefault("notes", []).append(
                f"{len(rows)} rows labelled {label!r} mapped to {role}")
        # the loader's "left out" note now speaks only of the labels still unmapped
        source = str(self.metadata.get("partition_source", ""))
        old = partition_note(other, source)
        notes = self.metadata.setdefault("notes", [])
        left = {k: v for k, v in other.items() if k not in mapping}
        if old in notes:
            notes[notes.index(old)] = partition_note(left, source)
            self.metadata["notes"] = [n for n in notes if n]
        # what is still left out, and what was mapped (the report says both)
        self.metadata["partition_other"] = left
        self.metadata["partition_mapped"] = {
            **(self.metadata.get("partition_mapped") or {}), **mapping}

    def _rows(self, rows: Any) -> np.ndarray:
        picked = np.asarray(rows)
        if picked.dtype == bool:
            if picked.shape != (self.n_samples,):
                raise ValueError(f"a row mask needs {self.n_samples} entries, not {picked.size}")
            return np.flatnonzero(picked)
        picked = picked.astype(np.intp, copy=False).ravel()
        if picked.size and (picked.min() < 0 or picked.max() >= self.n_samples):
            raise IndexError(f"row out of range 0..{self.n_samples - 1}")
        return picked

    @property
    def excluded_rows(self) -> np.ndarray:
        return np.flatnonzero(self.excluded)

    @property
    def excluded_ids(self) -> list[str]:
        """The sample ids of the excluded rows, in row order."""
        return [str(i) for i in self.sample_ids[self.excluded]]

    @property
    def n_excluded(self) -> int:
        return int(self.excluded.sum())

    def rows_of_ids(self, ids: Any, *, where: str | None = None) -> np.ndarray:
        """Dataset rows of these sample ids (every row of an id that names several rows);
        an id the dataset does not have is an InputError naming it (``where``: the file the
        ids came from)."""
        wanted = [str(i) for i in ids]
        known = set(self.sample_ids.tolist())
        unknown = [i for i in wanted if i not in known]
        if unknown:
            more = f" (and {len(unknown) - 1} more)" if len(unknown) > 1 else ""
            raise InputError(f"unknown sample id {unknown[0]!r}{more} (not in the dataset "
                             f"{self.name!r})",
                             file=where or self.metadata.get("path", self.name))
        return np.flatnonzero(np.isin(self.sample_ids, np.asarray(wanted, dtype=str)))

    def summary(self) -> dict[str, Any]:
        """The "dataset" block of the results JSON (docs/design.md)."""
        return {"name": self.name, "n_samples": self.n_samples,
                "n_wavelengths": self.n_wavelengths, "target": self.target,
                "n_train": self.n_train, "n_test": self.n_test, "units": self.units,
                "task": self.task(self.target) if self.target is not None else None,
                "n_excluded": self.n_excluded, "excluded": self.excluded_ids}

    # -- axis --------------------------------------------------------------------------------
    def ascending(self) -> None:
        """Sort a descending axis ascending (spectral columns reordered) and say so in the
        loader notes: every part of nirdesk then sees one axis direction."""
        wl = self.wavelengths
        if wl.size > 1 and wl[0] > wl[-1]:
            order = np.argsort(wl, kind="stable")
            self.wavelengths = wl[order]
            self.X = np.ascontiguousarray(self.X[:, order])
            self.metadata.setdefault("notes", []).append(
                f"axis was descending ({wl[0]:g} .. {wl[-1]:g}): sorted ascending")
