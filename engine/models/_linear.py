"""The part nirdesk's linear regressors share once their coefficients are found.

PCR and MLR differ only in how they compute the regression vector (principal components or
ordinary least squares); storing it, tagging multi-output support and predicting
y = X b + b0 are one piece of code.
"""
from __future__ import annotations

from typing import Any

import numpy as np
from sklearn.base import BaseEstimator, RegressorMixin
from sklearn.utils.validation import check_is_fitted, validate_data

__all__ = ["LinearRegressor"]


class LinearRegressor(RegressorMixin, BaseEstimator):
    """Base of a regressor that ends as ``coef_`` and ``intercept_`` on the original X."""

    def _store_coefficients(self, coef: np.ndarray, intercept: np.ndarray, y: np.ndarray
                            ) -> None:
        """coef (n_features, n_targets) and intercept (n_targets,) as sklearn's linear
        models keep them: a vector and a float for a 1-D y, else (n_targets, n_features)."""
        self.coef_ = coef[:, 0] if y.ndim == 1 else coef.T
        self.intercept_ = float(intercept[0]) if y.ndim == 1 else intercept

    def __sklearn_tags__(self) -> Any:
        tags = super().__sklearn_tags__()
        tags.target_tags.multi_output = True   # one coefficient vector per column of y
        return tags

    def predict(self, X: Any) -> np.ndarray:
        check_is_fitted(self)
        X = validate_data(self, X, dtype=np.float64, reset=False)
        return X @ self.coef_.T + self.intercept_
