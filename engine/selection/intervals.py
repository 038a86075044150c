"""Interval arithmetic of wavelength selection: cut an axis into intervals, turn chosen
intervals into SelectRanges windows, and find which input columns a fitted pipeline keeps.

Why here, pure numpy and below everything: the iPLS search, its window (the shaded intervals)
and the results' spectra (a branch's selected wavelengths) must agree on what an interval is
and which wavelengths a selection kept; none of them may re-derive it.
"""
from __future__ import annotations

from collections.abc import Sequence
from typing import Any

import numpy as np

__all__ = ["contiguous_runs", "interval_bounds", "kept_columns", "kept_windows", "ranges_of",
           "split_axis"]


def split_axis(axis: Any, n_intervals: int | None = None,
               width: float | None = None) -> list[tuple[int, int]]:
    """Cut the columns of ``axis`` into consecutive intervals, as (first, last) column
    indices (both inclusive), in column order.

    ``n_intervals``: that many intervals of (nearly) equal column counts; the first
    n_columns mod n_intervals are one column longer (numpy's array_split). ``width``: each
    interval spans ``width`` axis units from its first wavelength (the last may be shorter);
    on a descending axis (wavenumbers) the distance is measured the same way. Exactly one of
    the two must be given. ValueError (one line) for more intervals than columns, a width
    below the axis step, or bad values.
    """
    values = np.asarray(axis, dtype=np.float64)
    if values.ndim != 1 or values.size < 1 or not np.all(np.isfinite(values)):
        raise ValueError("iPLS: the wavelength axis must be a non-empty 1-D array of finite "
                         "numbers")
    n = values.size
    if (n_intervals is None) == (width is None):
        raise ValueError("iPLS: give either the number of intervals or their width, not both")
    if n_intervals is not None:
        count = int(n_intervals)
        if count != n_intervals or not 1 <= count <= n:
            raise ValueError(f"iPLS: the number of intervals must be a whole number from 1 to "
                             f"the {n} wavelengths, got {n_intervals!r}")
        parts = np.array_split(np.arange(n), count)
        return [(int(p[0]), int(p[-1])) for p in parts]
    step = float(width)  # type: ignore[arg-type]
    if not np.isfinite(step) or step <= 0:
        raise ValueError(f"iPLS: the interval width must be a positive number, got {width!r}")
    label = np.floor(np.abs(values - values[0]) / step + 1e-9).astype(np.int64)
    if np.any(np.diff(label) < 0):
        raise ValueError("iPLS: the wavelength axis must be monotonic to cut it by width")
    starts = np.flatnonzero(np.r_[True, np.diff(label) != 0])
    stops = np.r_[starts[1:] - 1, n - 1]
    return [(int(a), int(b)) for a, b in zip(starts, stops, strict=True)]


def interval_bounds(axis: Any, intervals: Sequence[tuple[int, int]]) -> list[tuple[float, float]]:
    """The (first, last) wavelength of each interval."""
    values = np.asarray(axis, dtype=np.float64)
    return [(float(values[a]), float(values[b])) for a, b in intervals]


def ranges_of(axis: Any, intervals: Sequence[tuple[int, int]],
              chosen: Sequence[int]) -> list[list[float]]:
    """SelectRanges windows ([start, stop] wavelengths, in column order) for the chosen
    interval indices; neighbouring intervals are merged into one window."""
    values = np.asarray(axis, dtype=np.float64)
    columns = np.zeros(values.size, dtype=bool)
    for i in chosen:
        a, b = intervals[int(i)]
        columns[a:b + 1] = True
    return [[float(values[a]), float(values[b])] for a, b in contiguous_runs(columns)]


def contiguous_runs(mask: Any) -> list[tuple[int, int]]:
    """(first, last) indices of every run of True in a boolean mask, in order."""
    m = np.asarray(mask, dtype=bool).ravel()
    if m.size == 0:
        return []
    edges = np.diff(np.r_[0, m.astype(np.int8), 0])
    starts, stops = np.flatnonzero(edges == 1), np.flatnonzero(edges == -1) - 1
    return [(int(a), int(b)) for a, b in zip(starts, stops, strict=True)]


def kept_columns(wavelengths: Any, axis: Any) -> np.ndarray | None:
    """Which columns of the spectra (``wavelengths``, their axis) a branch's preprocessing
    kept, given the axis its model sees (``axis``, e.g. from preprocess_branch): the indices
    when ``axis`` is a proper subset of ``wavelengths`` (CropRange, SelectRanges, a fitted
    VIP/SR/CARS/MC-UVE selector), else None (nothing dropped, or new columns made by
    Resample). Read from the axis the fitted steps produced, so it holds for a model fresh
    from a run and for one rebuilt from a project alike."""
    full = np.asarray(wavelengths, dtype=np.float64).ravel()
    seen = np.asarray(axis, dtype=np.float64).ravel()
    if seen.size == 0 or seen.size >= full.size:
        return None
    order = np.argsort(full, kind="stable")
    where = np.searchsorted(full[order], seen)
    where = np.clip(where, 0, full.size - 1)
    hits = order[where]
    if not np.array_equal(full[hits], seen) or np.unique(hits).size != hits.size:
        return None
    return np.sort(hits)


def kept_windows(wavelengths: Any, columns: Any) -> list[tuple[float, float]]:
    """The kept columns as (first, last) wavelength windows, neighbours merged, in axis
    order (for shading a selection on the spectra)."""
    full = np.asarray(wavelengths, dtype=np.float64).ravel()
    mask = np.zeros(full.size, dtype=bool)
    mask[np.asarray(columns, dtype=np.intp)] = True
    return [(float(full[a]), float(full[b])) for a, b in contiguous_runs(mask)]
