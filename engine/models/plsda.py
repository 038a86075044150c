"""PLS-DA: partial least squares discriminant analysis.

Why: chemometricians classify spectra (origin, grade, adulteration) with the same latent
variables they use for regression; PLS-DA regresses a one-hot class matrix on the spectra
with PLS and predicts the class whose column scores highest. sklearn has no such classifier.
"""
from __future__ import annotations

from numbers import Integral
from typing import Any, ClassVar

import numpy as np
from sklearn.base import BaseEstimator, ClassifierMixin
from sklearn.cross_decomposition import PLSRegression
from sklearn.utils._param_validation import Interval
from sklearn.utils.multiclass import check_classification_targets
from sklearn.utils.validation import check_is_fitted, validate_data

__all__ = ["PLSDA"]


class PLSDA(ClassifierMixin, BaseEstimator):
    """PLS regression on one-hot encoded classes; predicts the arg-max column.

    Parameters
    ----------
    n_components : int, default 2
        Number of PLS latent variables (must not exceed the number of features).
    scale : bool, default False
        Scale X and the one-hot matrix to unit variance inside PLS. False by default because
        spectra are usually already on one scale and the preprocessing decides it.

    Attributes
    ----------
    classes_ : ndarray of shape (n_classes,)
    pls_ : PLSRegression fitted on (X, one-hot(y))
    n_features_in_ : int

    No ``predict_proba``: the PLS outputs are not probabilities (they can be negative or
    above 1), and presenting them as such would mislead; ``decision_function`` gives them.
    """

    _parameter_constraints: ClassVar[dict[str, list[Any]]] = {
        "n_components": [Interval(Integral, 1, None, closed="left")],
        "scale": ["boolean"],
    }

    def __init__(self, n_components: int = 2, scale: bool = False) -> None:
        self.n_components = n_components
        self.scale = scale

    def fit(self, X: Any, y: Any) -> PLSDA:
        """Fit PLS on the one-hot matrix of ``y`` (at least two classes)."""
        self._validate_params()
        X, y = validate_data(self, X, y, dtype=np.float64)
        check_classification_targets(y)
        self.classes_, codes = np.unique(y, return_inverse=True)
        if self.classes_.size < 2:
            raise ValueError("PLSDA needs at least 2 classes; y has only one class "
                             f"({self.classes_[0]})")
        onehot = np.zeros((codes.size, self.classes_.size))
        onehot[np.arange(codes.size), codes] = 1.0
        self.pls_ = PLSRegression(n_components=self.n_components, scale=self.scale)
        self.pls_.fit(X, onehot)
        return self

    def _scores(self, X: Any) -> np.ndarray:
        check_is_fitted(self)
        X = validate_data(self, X, dtype=np.float64, reset=False)
        return np.asarray(self.pls_.predict(X)).reshape(X.shape[0], self.classes_.size)

    def decision_function(self, X: Any) -> np.ndarray:
        """PLS-predicted one-hot scores, shape (n_samples, n_classes); for two classes the
        sklearn convention (n_samples,) with positive values meaning ``classes_[1]``."""
        scores = self._scores(X)
        if self.classes_.size == 2:
            return scores[:, 1] - scores[:, 0]
        return scores

    def predict(self, X: Any) -> np.ndarray:
        """The class whose one-hot column gets the highest PLS prediction."""
        scores = self._scores(X)
        return self.classes_[np.argmax(scores, axis=1)]
