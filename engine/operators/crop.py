"""Selection of a wavelength range (CropRange) or of several windows (SelectRanges).

Why: the ends of NIR spectra are often noisy (detector limits) or irrelevant; keeping only
an informative range removes noise and speeds up modelling. Several windows keep the bands
of the analyte while dropping a water band or a detector change-over between them.
"""
from __future__ import annotations

from numbers import Real
from typing import Any, ClassVar

import numpy as np
from numpy.typing import ArrayLike
from sklearn.utils._param_validation import Interval
from sklearn.utils.validation import check_is_fitted

from engine.operators._base import SpectralOperator, as_axis, check_axis_length, check_optional_axis

__all__ = ["CropRange", "SelectRanges"]

# Relative tolerance on the range ends, so that start=1100 still keeps a column whose
# computed wavelength is 1099.9999999999998.
_RTOL = 1e-9


class CropRange(SpectralOperator):
    """Keep the columns whose wavelength lies in the closed interval [start, stop].

    Parameters
    ----------
    start, stop : float or None
        Ends of the range, both inclusive. None means unbounded on that side. The order of
        the two does not matter (start=2400, stop=1100 selects the same columns as
        start=1100, stop=2400), so the range works the same on increasing and decreasing
        (e.g. wavenumber) axes; the kept columns stay in their original order.
    wavelengths : array-like of shape (n_features,) or None
        The wavelength of every input column (list or ndarray). ``needs_wavelengths`` is
        True: the engine injects the axis with ``set_params(wavelengths=...)`` before
        fitting. When None, start and stop are **column indices** (0-based, both
        inclusive, unlike Python slices): CropRange(10, 20) keeps columns 10..20.

    A range that selects no column, or a wavelength axis whose length differs from the
    number of input columns, is a ValueError (in ``check_params`` already when the
    wavelengths are known, else in ``fit``).

    Attributes
    ----------
    support_ : ndarray of bool, shape (n_features_in_,)
        Mask of the kept columns.
    indices_ : ndarray of int
        Indices of the kept columns.
    """

    _parameter_constraints: ClassVar[dict[str, list[Any]]] = {
        # an open interval without bounds: any finite number (sklearn refuses +-inf there)
        "start": [None, Interval(Real, None, None, closed="neither")],
        "stop": [None, Interval(Real, None, None, closed="neither")],
        "wavelengths": ["array-like", None],
    }
    needs_wavelengths = True

    def __init__(self, start: float | None = None, stop: float | None = None,
                 wavelengths: ArrayLike | None = None) -> None:
        self.start = start
        self.stop = stop
        self.wavelengths = wavelengths

    # -- parameters ------------------------------------------------------------------------
    def _check_rules(self) -> None:
        """Raise ValueError unless wavelengths is None or a finite 1-D axis; when it is
        set, also if the range selects no column."""
        axis = check_optional_axis("CropRange", "wavelengths", self.wavelengths)
        if axis is not None:
            self._mask(axis, by_index=False)

    def _bounds(self) -> tuple[float, float]:
        lo = -np.inf if self.start is None else float(self.start)
        hi = np.inf if self.stop is None else float(self.stop)
        return (lo, hi) if lo <= hi else (hi, lo)

    def _mask(self, axis: np.ndarray, *, by_index: bool) -> np.ndarray:
        """Mask of the values of ``axis`` inside the range; ValueError if none is."""
        lo, hi = self._bounds()
        tol = _RTOL * max(float(np.max(np.abs(axis))), 1.0)
        mask = (axis >= lo - tol) & (axis <= hi + tol)
        if not mask.any():
            what = "column indices" if by_index else "wavelengths"
            hint = (" (start/stop are column indices because wavelengths is not set)"
                    if by_index else "")
            raise ValueError(f"CropRange: the range [{_fmt(self.start)}, {_fmt(self.stop)}] "
                             f"selects no column; the {what} span {axis.min():g} to "
                             f"{axis.max():g}{hint}")
        return mask

    def _selection_mask(self, n_features: int) -> np.ndarray:
        axis = check_optional_axis("CropRange", "wavelengths", self.wavelengths)
        check_axis_length("CropRange", axis, n_features)
        if axis is None:
            return self._mask(np.arange(n_features, dtype=np.float64), by_index=True)
        return self._mask(axis, by_index=False)

    # -- fit / transform -------------------------------------------------------------------
    def _fit(self, X: np.ndarray) -> None:
        self.support_ = self._selection_mask(X.shape[1])
        self.indices_ = np.flatnonzero(self.support_)

    def _transform(self, X: np.ndarray) -> np.ndarray:
        return X[:, self.indices_]

    def transform_wavelengths(self, wavelengths: ArrayLike) -> np.ndarray:
        """The wavelengths of the columns that ``transform`` keeps.

        ``wavelengths`` is the axis of the input columns. The columns are chosen from the
        parameters exactly as ``fit`` does (by wavelength if ``self.wavelengths`` is set,
        which must then have the same length, else by column index), so this works before
        fitting; the engine calls it after injecting the axis to get the axis of the next
        step's input.
        """
        axis = as_axis("CropRange", "wavelengths", wavelengths)
        return axis[self._selection_mask(axis.size)]

    def get_support(self, indices: bool = False) -> np.ndarray:
        """Mask (or, with indices=True, the indices) of the kept input columns."""
        check_is_fitted(self)
        return self.indices_.copy() if indices else self.support_.copy()

    def get_feature_names_out(self, input_features: Any = None) -> np.ndarray:
        """Names of the kept columns: the input feature names (as passed, or seen in fit
        for a DataFrame, else sklearn's default "x0", "x1", ...) restricted to the range,
        so that a kept name tells which original column it is."""
        check_is_fitted(self)
        seen = getattr(self, "feature_names_in_", None)
        if input_features is None:
            names = seen if seen is not None else np.array(
                [f"x{i}" for i in range(self.n_features_in_)], dtype=object)
        else:
            names = np.asarray(input_features, dtype=object)
            if names.shape != (self.n_features_in_,):
                raise ValueError(f"CropRange: input_features has {names.size} names but "
                                 f"the input had {self.n_features_in_} columns")
            if seen is not None and not np.array_equal(names, seen):
                raise ValueError("CropRange: input_features is not equal to "
                                 "feature_names_in_")
        return np.asarray(names, dtype=object)[self.support_]


def _fmt(value: float | None) -> str:
    return "None" if value is None else f"{value:g}"


class SelectRanges(CropRange):
    """Keep the columns whose wavelength lies in any of several closed windows.

    Parameters
    ----------
    ranges : array-like of [start, stop] pairs
        The windows, e.g. ``[[1100, 1300], [1500, 1750]]``; each pair's order does not
        matter and windows may overlap (a column is kept once). The kept columns stay in
        their original order, so the wavelength axis follows (``transform_wavelengths``).
    wavelengths : array-like of shape (n_features,) or None
        The wavelength of every input column, injected by the engine
        (``needs_wavelengths``). When None, the windows are **column indices** (0-based,
        both ends inclusive), as with CropRange.

    A window that selects no column is a ValueError naming it (a typo in a window should
    not silently drop it). ``support_``, ``indices_``, ``get_support`` and
    ``get_feature_names_out`` are those of CropRange.
    """

    _parameter_constraints: ClassVar[dict[str, list[Any]]] = {
        "ranges": ["array-like"],
        "wavelengths": ["array-like", None],
    }

    def __init__(self, ranges: ArrayLike = ((1100.0, 2500.0),),
                 wavelengths: ArrayLike | None = None) -> None:
        self.ranges = ranges
        self.wavelengths = wavelengths

    def _windows(self) -> np.ndarray:
        """The windows as an (n, 2) finite float array; ValueError otherwise."""
        try:
            windows = np.asarray(self.ranges, dtype=np.float64)
        except (TypeError, ValueError):
            windows = np.empty((0, 0))
        if windows.ndim == 1 and windows.size == 2:
            windows = windows[None, :]
        if windows.ndim != 2 or windows.shape[1] != 2 or windows.shape[0] == 0 \
                or not np.all(np.isfinite(windows)):
            raise ValueError("SelectRanges: ranges must be a list of [start, stop] pairs of "
                             f"finite numbers, e.g. [[1100, 1300], [1500, 1750]]; got "
                             f"{self.ranges!r}")
        return windows

    def _check_rules(self) -> None:
        """Raise ValueError unless ranges are [start, stop] pairs and wavelengths is None or
        a finite axis; when it is set, also if a window selects no column."""
        windows = self._windows()
        axis = check_optional_axis("SelectRanges", "wavelengths", self.wavelengths)
        if axis is not None:
            self._union(windows, axis, by_index=False)

    def _union(self, windows: np.ndarray, axis: np.ndarray, *, by_index: bool) -> np.ndarray:
        mask = np.zeros(axis.size, dtype=bool)
        for k, (start, stop) in enumerate(windows, start=1):
            try:
                mask |= CropRange(float(start), float(stop))._mask(axis, by_index=by_index)
            except ValueError as exc:
                detail = str(exc).partition("selects no column; ")[2]
                raise ValueError(f"SelectRanges: window {k} [{start:g}, {stop:g}] selects no "
                                 f"column; {detail}") from None
        return mask

    def _selection_mask(self, n_features: int) -> np.ndarray:
        windows = self._windows()
        axis = check_optional_axis("SelectRanges", "wavelengths", self.wavelengths)
        check_axis_length("SelectRanges", axis, n_features)
        if axis is None:
            return self._union(windows, np.arange(n_features, dtype=np.float64), by_index=True)
        return self._union(windows, axis, by_index=False)
