"""Extended multiplicative signal correction (EMSC).

Why: MSC models a spectrum as offset + gain x reference; real scatter also bends the
baseline with wavelength, and known interferents (water, a container, a solvent) add their
own spectra. EMSC (Martens & Stark, J. Pharm. Biomed. Anal. 9, 1991, 625-635; Afseth &
Kohler, Chemom. Intell. Lab. Syst. 117, 2012, 92-99) fits every row on the reference, a
polynomial in the wavelength and the interferent spectra at once, then removes all but the
chemistry: ``(x - polynomial - interferents) / gain``. The least-squares fit of all rows is
one matrix product with the design's pseudo-inverse, learnt in fit.
"""
from __future__ import annotations

from numbers import Integral
from typing import Any, ClassVar

import numpy as np
from numpy.typing import ArrayLike
from sklearn.base import OneToOneFeatureMixin
from sklearn.utils._param_validation import Interval

from engine.operators._base import (
    SpectralOperator,
    check_axis_length,
    check_min_features,
    check_optional_axis,
)

__all__ = ["EMSC"]


def _spectra(name: str, value: Any, n_features: int | None) -> np.ndarray | None:
    """``value`` as a (k, n_features) float array of finite spectra, or None."""
    if value is None:
        return None
    try:
        arr = np.asarray(value, dtype=np.float64)
    except (TypeError, ValueError):
        raise ValueError(f"EMSC: {name} must be a spectrum (a list of numbers) or a list "
                         "of spectra") from None
    arr = np.atleast_2d(arr)
    if arr.ndim != 2 or arr.size == 0 or not np.all(np.isfinite(arr)):
        raise ValueError(f"EMSC: {name} must be one or more spectra of finite numbers; got "
                         f"shape {np.shape(value)}")
    if n_features is not None and arr.shape[1] != n_features:
        raise ValueError(f"EMSC: {name} has {arr.shape[1]} values per spectrum but the input "
                         f"has {n_features} columns; they must match")
    return arr


class EMSC(OneToOneFeatureMixin, SpectralOperator):
    """Extended multiplicative scatter correction with polynomial and interferent terms.

    Each row x is fitted by least squares as
    ``x ≈ b * reference + sum_k c_k t^k (k = 0..order) + sum_j h_j interferent_j`` and
    replaced by ``(x - sum_k c_k t^k - sum_j h_j interferent_j) / b``, where t is the
    wavelength mapped linearly onto [-1, 1].

    Parameters
    ----------
    order : int
        Degree of the polynomial baseline, >= 0 (0 = offset only: then EMSC equals MSC
        with the same reference; 2 is the usual EMSC).
    reference : array-like of shape (n_features,) or None
        The reference spectrum; None = the mean of the training rows (learnt in fit).
    interferents : array-like of shape (n_interferents, n_features) or None
        Spectra of known interferents whose contributions are removed (e.g. water).
    wavelengths : array-like of shape (n_features,) or None
        The x axis of the polynomial, injected by the engine (``needs_wavelengths``); when
        None the column index is used (the same result for an evenly spaced axis).

    A design whose columns are linearly dependent (a reference that is itself a polynomial
    of degree <= order, an interferent equal to the reference...) is refused in fit, since
    the gain b would not be defined. A row whose gain is 0 (a constant row) becomes zeros,
    as with MSC.

    Attributes
    ----------
    reference_ : ndarray of shape (n_features,)
    design_ : ndarray of shape (n_features, 2 + order + n_interferents)
        Columns: reference, polynomial terms, interferents.
    projector_ : ndarray of shape (2 + order + n_interferents, n_features)
        The design's pseudo-inverse: coefficients of a row x are ``projector_ @ x``.
    """

    _parameter_constraints: ClassVar[dict[str, list[Any]]] = {
        "order": [Interval(Integral, 0, None, closed="left")],
        "reference": ["array-like", None],
        "interferents": ["array-like", None],
        "wavelengths": ["array-like", None],
    }
    needs_wavelengths = True

    def __init__(self, order: int = 2, reference: ArrayLike | None = None,
                 interferents: ArrayLike | None = None,
                 wavelengths: ArrayLike | None = None) -> None:
        self.order = order
        self.reference = reference
        self.interferents = interferents
        self.wavelengths = wavelengths

    def _check_rules(self) -> None:
        check_optional_axis("EMSC", "wavelengths", self.wavelengths)
        reference = _spectra("reference", self.reference, None)
        if reference is not None and reference.shape[0] != 1:
            raise ValueError(f"EMSC: reference must be one spectrum; got {reference.shape[0]}")
        _spectra("interferents", self.interferents, None)

    def _check_n_features(self, n_features: int) -> None:
        interferents = _spectra("interferents", self.interferents, None)
        n_terms = 2 + int(self.order) + (0 if interferents is None else interferents.shape[0])
        check_min_features("EMSC", n_features, n_terms,
                           f"a fit on {n_terms} terms (reference, polynomial, interferents)")
        check_axis_length("EMSC", check_optional_axis("EMSC", "wavelengths", self.wavelengths),
                          n_features)

    def _fit(self, X: np.ndarray) -> None:
        n = X.shape[1]
        given = _spectra("reference", self.reference, n)
        self.reference_ = X.mean(axis=0) if given is None else given[0].copy()
        axis = check_optional_axis("EMSC", "wavelengths", self.wavelengths)
        x = np.arange(n, dtype=np.float64) if axis is None else axis
        lo, hi = x.min(), x.max()
        t = (2.0 * x - (lo + hi)) / (hi - lo) if hi > lo else np.zeros_like(x)
        columns = [self.reference_[:, None], np.vander(t, int(self.order) + 1, increasing=True)]
        interferents = _spectra("interferents", self.interferents, n)
        if interferents is not None:
            columns.append(interferents.T)
        design = np.hstack(columns)
        if np.linalg.matrix_rank(design) < design.shape[1]:
            what = ("the reference" if given is None and interferents is None else
                    "the reference and the interferents")
            raise ValueError(f"EMSC: {what} and a polynomial of order {self.order} are "
                             "linearly dependent (e.g. a constant or straight reference "
                             "spectrum); the scatter gain cannot be estimated")
        self.design_ = design
        self.projector_ = np.linalg.pinv(design)

    def _transform(self, X: np.ndarray) -> np.ndarray:
        coef = X @ self.projector_.T                # (n_rows, n_terms)
        gain = coef[:, 0]
        nuisance = coef[:, 1:] @ self.design_[:, 1:].T
        zero = gain == 0.0
        out = (X - nuisance) / np.where(zero, 1.0, gain)[:, None]
        out[zero | (X.max(axis=1) == X.min(axis=1))] = 0.0
        return out
