"""The shape every reader returns (SpectraFile), the refusal of a missing optional package
(FormatMissing) and the few rules every reader applies the same way: a descending axis is
sorted with a note, micrometres become nm, and a result is checked before anyone sees it.

Why a module of its own: the readers and the dispatching package both need these, and the
readers must not import the package that imports them (one-way imports, no cycle).
"""
from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import numpy as np

from engine.errors import InputError

__all__ = ["FormatMissing", "SpectraFile", "ascending", "axis_units", "check"]


class FormatMissing(InputError):
    """The format's reader needs an optional package that is not installed (the message says
    which, e.g. ``pip install h5py`` for MATLAB v7.3 files)."""


@dataclass
class SpectraFile:
    """Spectra read from one file, before any matching with reference values."""

    spectra: np.ndarray
    axis: np.ndarray
    units: str
    names: list[str]
    metadata: dict[str, Any] = field(default_factory=dict)
    notes: list[str] = field(default_factory=list)
    targets: dict[str, np.ndarray] = field(default_factory=dict)

    @property
    def n_spectra(self) -> int:
        return int(self.spectra.shape[0])


def check(result: SpectraFile, path: Path) -> None:
    """Refuse what no reader may return: no spectrum, no points, non-finite values, a
    non-ascending axis or mismatched shapes (a reader's bug or a file it misread)."""
    s, a = result.spectra, result.axis
    if s.ndim != 2 or s.shape[0] == 0 or s.shape[1] == 0:
        raise InputError("the file holds no spectrum data", file=path)
    if a.shape != (s.shape[1],):
        raise InputError(f"the axis has {a.size} points but the spectra {s.shape[1]}", file=path)
    if len(result.names) != s.shape[0]:
        raise InputError(f"{len(result.names)} names for {s.shape[0]} spectra", file=path)
    if not np.isfinite(s).all():
        i, j = np.argwhere(~np.isfinite(s))[0]
        raise InputError(f"spectrum {i + 1} has a non-finite value at point {j + 1}", file=path)
    if not np.isfinite(a).all() or (a.size > 1 and not (np.diff(a) > 0).all()):
        raise InputError("the x axis is not strictly monotonic (repeated or unordered values)",
                         file=path)


def axis_units(axis: np.ndarray, unit: str, notes: list[str]) -> tuple[np.ndarray, str]:
    """``axis`` in nirdesk's units: "nm" and "cm-1" as they are, micrometres converted to nm
    (x 1000, noted: some NIR instruments write µm), anything else kept with units "" (unknown)
    and a note naming what the file said."""
    if unit in ("nm", "cm-1"):
        return axis, unit
    if unit == "µm":
        notes.append("axis in micrometres: converted to nm (x 1000)")
        return np.asarray(axis, dtype=np.float64) * 1000.0, "nm"
    if unit:
        notes.append(f"x units {unit!r} are not nm or cm-1: axis units unknown")
    return axis, ""


def ascending(axis: np.ndarray, spectra: np.ndarray, notes: list[str],
              units: str = "") -> tuple[np.ndarray, np.ndarray]:
    """``axis`` and ``spectra`` with the axis ascending; a descending axis (OPUS and many
    PerkinElmer exports store wavenumbers high -> low) is reversed and noted, not refused."""
    axis = np.asarray(axis, dtype=np.float64)
    spectra = np.asarray(spectra, dtype=np.float64)
    if axis.size > 1 and axis[0] > axis[-1]:
        unit = f" {units}" if units else ""
        notes.append(f"axis was descending ({axis[0]:g} -> {axis[-1]:g}{unit}): sorted ascending")
        return axis[::-1].copy(), spectra[:, ::-1].copy()
    return axis, spectra
