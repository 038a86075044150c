"""PLS-DA one-vs-rest, with soft class assignment.

Why a second PLS-DA: engine.models.PLSDA fits ONE PLS model to the whole one-hot class
matrix (PLS2-DA), so every class shares the same latent variables. With several classes
that differ in unrelated bands, chemometricians fit one PLS1 model per class (this class
= 1, the others = 0), each with its own components, and read each model's prediction
against a threshold: a sample can then belong to one class, several (ambiguous) or none
(an unknown material) - the soft assignment PLS_Toolbox and Unscrambler report beside
the hard "largest prediction" answer.
"""
from __future__ import annotations

from numbers import Integral, Real
from typing import Any, ClassVar

import numpy as np
from sklearn.base import BaseEstimator, ClassifierMixin
from sklearn.cross_decomposition import PLSRegression
from sklearn.utils._param_validation import Interval
from sklearn.utils.multiclass import check_classification_targets
from sklearn.utils.validation import check_is_fitted, validate_data

__all__ = ["PLSDAOneVsRest"]


class PLSDAOneVsRest(ClassifierMixin, BaseEstimator):
    """One PLS1 regression per class on its 0/1 indicator; ``predict`` gives the class with
    the largest prediction, ``membership`` every class whose prediction exceeds
    ``threshold``.

    Parameters
    ----------
    n_components : int, default 2
        PLS latent variables of each class model.
    scale : bool, default False
        Scale X inside each PLS (False: the preprocessing decides, as for PLSDA).
    threshold : float, default 0.5
        The indicator prediction above which a sample belongs to a class (``membership``).

    Attributes
    ----------
    classes_ : (n_classes,)
    models_ : list of fitted PLSRegression, one per class (in ``classes_`` order)
    n_features_in_ : int
    """

    _parameter_constraints: ClassVar[dict[str, list[Any]]] = {
        "n_components": [Interval(Integral, 1, None, closed="left")],
        "scale": ["boolean"],
        "threshold": [Interval(Real, None, None, closed="neither")],
    }

    def __init__(self, n_components: int = 2, scale: bool = False,
                 threshold: float = 0.5) -> None:
        self.n_components = n_components
        self.scale = scale
        self.threshold = threshold

    def fit(self, X: Any, y: Any) -> PLSDAOneVsRest:
        """One PLS1 model per class (at least two classes)."""
        self._validate_params()
        X, y = validate_data(self, X, y, dtype=np.float64)
        check_classification_targets(y)
        self.classes_, codes = np.unique(y, return_inverse=True)
        if self.classes_.size < 2:
            raise ValueError("PLSDAOneVsRest needs at least 2 classes; y has only one class "
                             f"({self.classes_[0]})")
        self.models_ = [PLSRegression(n_components=self.n_components, scale=self.scale)
                        .fit(X, (codes == c).astype(np.float64))
                        for c in range(self.classes_.size)]
        return self

    def indicator_predictions(self, X: Any) -> np.ndarray:
        """(n_samples, n_classes): each class model's prediction of its 0/1 indicator."""
        check_is_fitted(self)
        X = validate_data(self, X, dtype=np.float64, reset=False)
        return np.column_stack([np.asarray(m.predict(X)).reshape(X.shape[0])
                                for m in self.models_])

    def membership(self, X: Any) -> np.ndarray:
        """(n_samples, n_classes) True where a class model's prediction exceeds
        ``threshold`` (soft assignment: any number of classes, possibly none)."""
        return self.indicator_predictions(X) > self.threshold

    def decision_function(self, X: Any) -> np.ndarray:
        """The indicator predictions; for two classes sklearn's (n_samples,) convention,
        positive meaning ``classes_[1]``."""
        scores = self.indicator_predictions(X)
        if scores.shape[1] == 2:
            return scores[:, 1] - scores[:, 0]
        return scores

    def predict(self, X: Any) -> np.ndarray:
        """The class whose model predicts the largest indicator."""
        best = np.argmax(self.indicator_predictions(X), axis=1)
        return self.classes_[best]
