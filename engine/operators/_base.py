"""Shared machinery of the preprocessing operators: a base transformer and parameter checks.

Why a common base: every operator must behave the same way towards the rest of nirdesk
(sklearn Pipeline, clone(), the pipeline parser and the engine), so the fit/transform plumbing,
the data validation and the wavelength-axis conventions live here once:

* ``_parameter_constraints`` (class attribute, scikit-learn's vocabulary: Interval, StrOptions
  or :class:`engine.constraints.Choices`, "array-like", None, ...) declares each parameter's
  valid values as data. ``check_params()`` checks them without any data (scikit-learn decides,
  nirdesk words the refusal), then runs ``_check_rules()`` for what one constraint cannot say
  (polyorder < window_length, an odd window). The pipeline parser calls ``check_params`` at
  parse time, and ``fit`` calls it again (sklearn convention: ``__init__`` only stores its
  arguments, so validation cannot happen earlier). The editor's inspector and ``nirdesk info``
  read the same declaration (engine.pipeline.params).
* ``needs_wavelengths`` (class attribute) tells the engine to inject the wavelength axis of the
  step's input columns with ``set_params(wavelengths=...)`` before fitting.
* ``transform_wavelengths(wavelengths)`` maps the wavelength axis of the input columns to the
  axis of the output columns, so the engine can follow the axis along a chain of steps
  (identity for every operator that keeps the columns).
"""
from __future__ import annotations

from typing import Any, ClassVar

import numpy as np
from sklearn.base import BaseEstimator, TransformerMixin
from sklearn.utils.validation import check_is_fitted, validate_data

from engine.constraints import check_constraints

__all__ = ["SpectralOperator"]


class SpectralOperator(TransformerMixin, BaseEstimator):
    """Base class of nirdesk's preprocessing operators (rows = spectra, columns = wavelengths).

    Subclasses declare ``_parameter_constraints`` (one entry per constructor parameter) and
    implement optionally ``_check_rules`` (data-free rules between parameters),
    ``_check_n_features`` (checks that need the number of columns), ``_fit`` (learn state from
    the training rows, if any) and ``_transform`` (the actual computation, vectorised over
    rows). Input is validated with sklearn's ``validate_data`` and converted to a finite
    float64 array; the input array is never modified in place.
    """

    #: Each constructor parameter's valid values, in scikit-learn's vocabulary.
    _parameter_constraints: ClassVar[dict[str, list[Any]]] = {}

    #: True when the engine must inject the wavelength axis via ``set_params(wavelengths=...)``.
    needs_wavelengths: ClassVar[bool] = False

    def check_params(self) -> None:
        """Raise ValueError naming the operator, the parameter, the allowed values and the
        value received if a constructor parameter is invalid (no data needed): first each
        parameter against ``_parameter_constraints``, then ``_check_rules``."""
        check_constraints(type(self).__name__, self._parameter_constraints,
                          self.get_params(deep=False))
        self._check_rules()

    def _check_rules(self) -> None:
        """Raise ValueError for what a single constraint cannot say (rules between
        parameters such as polyorder < window_length); the constraints already hold."""

    def _check_n_features(self, n_features: int) -> None:
        """Raise ValueError if the parameters do not suit ``n_features`` input columns."""

    def _fit(self, X: np.ndarray) -> None:
        """Learn whatever the operator needs from the (validated) training rows."""

    def _transform(self, X: np.ndarray) -> np.ndarray:  # pragma: no cover - abstract
        raise NotImplementedError

    def fit(self, X: Any, y: Any = None) -> SpectralOperator:
        """Validate the parameters and the data, then learn from the training rows.

        ``y`` is ignored; it is accepted so that the operator fits into a sklearn Pipeline.
        """
        self.check_params()
        X = validate_data(self, X, dtype=np.float64, reset=True)
        self._check_n_features(X.shape[1])
        self._fit(X)
        return self

    def transform(self, X: Any) -> np.ndarray:
        """Apply the operator to every row of ``X``; returns a new float64 array."""
        check_is_fitted(self)
        X = validate_data(self, X, dtype=np.float64, reset=False)
        return self._transform(X)

    def transform_wavelengths(self, wavelengths: Any) -> np.ndarray:
        """The wavelength axis of the output columns given that of the input columns.

        Operators that keep the columns return the axis unchanged (as a float64 array);
        CropRange overrides this. Works on an unfitted operator (it only uses the params).
        """
        return as_axis(type(self).__name__, "wavelengths", wavelengths)


# -- checks shared by the operators' rules ----------------------------------------------------
# Each helper raises ValueError naming the operator and what is wrong, e.g.
# "Detrend: wavelengths has 10 values but the input has 151 columns; they must match".


def as_axis(owner: str, name: str, value: Any) -> np.ndarray:
    """Convert a wavelength axis (list or ndarray) to a 1-D finite float64 array."""
    try:
        axis = np.asarray(value, dtype=np.float64)
    except (TypeError, ValueError):
        raise ValueError(f"{owner}: {name} must be a 1-D sequence of numbers; "
                         f"got {type(value).__name__}") from None
    if axis.ndim != 1 or axis.size == 0:
        raise ValueError(f"{owner}: {name} must be a non-empty 1-D sequence of numbers; "
                         f"got shape {axis.shape}")
    if not np.all(np.isfinite(axis)):
        raise ValueError(f"{owner}: {name} must contain only finite numbers")
    return axis


def check_optional_axis(owner: str, name: str, value: Any) -> np.ndarray | None:
    """Check that ``value`` is None or a non-empty 1-D sequence of finite numbers."""
    if value is None:
        return None
    return as_axis(owner, name, value)


def check_axis_length(owner: str, axis: np.ndarray | None, n_features: int) -> None:
    """Check that an injected wavelength axis has one entry per input column."""
    if axis is not None and axis.size != n_features:
        raise ValueError(f"{owner}: wavelengths has {axis.size} values but the input has "
                         f"{n_features} columns; they must match")


def check_min_features(owner: str, n_features: int, minimum: int, why: str) -> None:
    """Raise a readable ValueError when the input has fewer columns than ``minimum``."""
    if n_features < minimum:
        raise ValueError(f"{owner}: {why} needs at least {minimum} columns; "
                         f"the input has n_features={n_features}")
