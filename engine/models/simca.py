"""SIMCA: soft independent modelling of class analogy (Wold 1976).

Why: chemometricians authenticate and classify materials by modelling each class on its
own (one PCA per class) and asking, for a new spectrum, how far it lies from each class
model: inside the class's scores (Hotelling's T²) and close to its subspace (Q residual).
Unlike PLS-DA, a spectrum can be inside several class models or none (an unknown material);
``membership`` gives that soft answer, ``predict`` the nearest class.

The per-class statistics and their limits are nirdesk's diagnostics (engine.diagnostics:
LatentModel for T² and Q, the Jackson F limit for T², Jackson-Mudholkar for Q), the same
numbers the Explore view and the outlier flags show; only arrays are kept, so a fitted SIMCA
saves and reloads as plain numbers.
"""
from __future__ import annotations

from numbers import Integral, Real
from typing import Any, ClassVar

import numpy as np
from sklearn.base import BaseEstimator, ClassifierMixin
from sklearn.utils._param_validation import Interval
from sklearn.utils.extmath import svd_flip
from sklearn.utils.multiclass import check_classification_targets
from sklearn.utils.validation import check_is_fitted, validate_data

__all__ = ["SIMCA"]


class SIMCA(ClassifierMixin, BaseEstimator):
    """One PCA per class; a sample's distance to a class is
    sqrt((T²/T²_lim)² + (Q/Q_lim)²) with both limits at ``level`` (the reduced T² and Q of
    PLS_Toolbox's SIMCA), and ``predict`` gives the class at the smallest distance.

    Parameters
    ----------
    n_components : int, default 2
        Principal components per class model (fewer for a class with fewer samples: at
        most its samples - 1 and the number of variables).
    level : float in (0, 1), default 0.95
        Confidence level of the T² and Q limits that scale the distances and decide
        ``membership``.

    Attributes
    ----------
    classes_ : (n_classes,)
    means_ : (n_classes, n_features) class means
    loadings_ : list of (n_features, a_c) per-class PCA loadings
    score_var_ : list of (a_c,) per-class score variances (ddof=1)
    theta_ : (n_classes, 3) per-class residual eigenvalue sums (for the Q limit)
    n_samples_ : (n_classes,) calibration samples per class
    t2_limits_, q_limits_ : (n_classes,) the limits at ``level``
    n_features_in_ : int
    """

    _parameter_constraints: ClassVar[dict[str, list[Any]]] = {
        "n_components": [Interval(Integral, 1, None, closed="left")],
        "level": [Interval(Real, 0, 1, closed="neither")],
    }

    def __init__(self, n_components: int = 2, level: float = 0.95) -> None:
        self.n_components = n_components
        self.level = level

    def fit(self, X: Any, y: Any) -> SIMCA:
        """A PCA model per class, with its T² and Q limits."""
        from engine.diagnostics.limits import residual_theta

        self._validate_params()
        X, y = validate_data(self, X, y, dtype=np.float64)
        check_classification_targets(y)
        self.classes_, codes = np.unique(y, return_inverse=True)
        if self.classes_.size < 2:
            raise ValueError("SIMCA needs at least 2 classes; y has only one class "
                             f"({self.classes_[0]})")
        p = X.shape[1]
        means, loadings, score_var, theta, counts = [], [], [], [], []
        for c, label in enumerate(self.classes_):
            rows = X[codes == c]
            n_c = rows.shape[0]
            if n_c < 2:
                raise ValueError(f"SIMCA: class '{label}' has 1 sample; each class model "
                                 f"needs at least 2")
            a = min(self.n_components, n_c - 1, p)
            mean = rows.mean(axis=0)
            u, s, vt = np.linalg.svd(rows - mean, full_matrices=False)
            u, vt = svd_flip(u, vt)
            scores = u[:, :a] * s[:a]
            residual = rows - mean - scores @ vt[:a]
            means.append(mean)
            loadings.append(vt[:a].T.copy())
            score_var.append(s[:a] ** 2 / (n_c - 1))
            theta.append(residual_theta(residual))
            counts.append(n_c)
        self.means_ = np.array(means)
        self.loadings_, self.score_var_ = loadings, score_var
        self.theta_ = np.array(theta)
        self.n_samples_ = np.array(counts, dtype=np.int64)
        models = self._class_models()
        self.t2_limits_ = np.array([m.t2_limit(self.level) for m in models])
        self.q_limits_ = np.array([m.q_limit(self.level) for m in models])
        return self

    def _class_models(self) -> list[Any]:
        """The class PCA models as engine.diagnostics LatentModels (rebuilt from the arrays)."""
        from engine.diagnostics.latent import LatentModel

        p = self.means_.shape[1]
        return [LatentModel(kind="pca", mean=self.means_[c], scale=np.ones(p),
                            rotations=self.loadings_[c], loadings=self.loadings_[c],
                            score_var=self.score_var_[c], n_samples=int(self.n_samples_[c]),
                            theta=self.theta_[c], wavelengths=np.arange(p, dtype=np.float64))
                for c in range(self.classes_.size)]

    def reduced_statistics(self, X: Any) -> tuple[np.ndarray, np.ndarray]:
        """(T²/T²_lim, Q/Q_lim), each (n_samples, n_classes). A class model that leaves no
        residual on its calibration (Q_lim = 0) is judged by T² alone."""
        check_is_fitted(self)
        X = validate_data(self, X, dtype=np.float64, reset=False)
        t2 = np.empty((X.shape[0], self.classes_.size))
        q = np.empty_like(t2)
        for c, model in enumerate(self._class_models()):
            _, t2_c, q_c, _ = model.project(X)
            t2[:, c] = t2_c / self.t2_limits_[c]
            q[:, c] = q_c / self.q_limits_[c] if self.q_limits_[c] > 0 else 0.0
        return t2, q

    def distances(self, X: Any) -> np.ndarray:
        """(n_samples, n_classes) sqrt(reduced T² ² + reduced Q ²): 1 is the edge of a class
        model on one statistic."""
        t2, q = self.reduced_statistics(X)
        return np.sqrt(t2**2 + q**2)

    def membership(self, X: Any) -> np.ndarray:
        """(n_samples, n_classes) True where a sample lies within both limits of a class
        model (soft assignment: any number of classes, possibly none)."""
        t2, q = self.reduced_statistics(X)
        return (t2 <= 1.0) & (q <= 1.0)

    def decision_function(self, X: Any) -> np.ndarray:
        """Minus the distances (larger = closer); for two classes the sklearn convention
        (n_samples,), positive meaning ``classes_[1]``."""
        d = self.distances(X)
        if self.classes_.size == 2:
            return d[:, 0] - d[:, 1]
        return -d

    def predict(self, X: Any) -> np.ndarray:
        """The class whose model is nearest (smallest distance)."""
        nearest = np.argmin(self.distances(X), axis=1)
        return self.classes_[nearest]
