"""Supervised wavelength selection steps: VIP, selectivity ratio, CARS and MC-UVE.

Why steps (transformers fitted with y) rather than a one-off analysis: selecting wavelengths
with the reference values is learning from them. Done once on all calibration rows and then
cross-validated, the selection has already seen every CV fold's test rows, and the RMSECV
is optimistic (on pure noise, strikingly so: tests/engine/test_selectors.py). As pipeline
steps they are fitted again inside every CV fold on that fold's training rows only, like
any other step, so the RMSECV judges the selection procedure honestly.

Every selector keeps a subset of the input columns in their original order: ``support_``
(mask), ``indices_``, ``get_support`` as scikit-learn's selectors, a ``scores_`` per input
column (what the selection ranked), and the axis follows through ``transform_wavelengths``
once fitted. Before fitting the kept columns are unknown, so steps that need the wavelength
axis (CropRange, Detrend, ...) belong before a selector, not after it.

The PLS models inside are fitted with engine.models.IKPLS (the same model as sklearn's
PLSRegression, several times faster; centring only unless ``scale``); the fitted selector
keeps only numpy arrays, so a saved model needs no further trusted type.
"""
from __future__ import annotations

import math
from numbers import Integral, Real
from typing import Any, ClassVar

import numpy as np
from sklearn.utils._param_validation import Interval
from sklearn.utils.validation import check_is_fitted, check_random_state, validate_data

from engine.models.ikpls import IKPLS
from engine.operators._base import SpectralOperator, as_axis

__all__ = ["CARS", "MCUVE", "SRSelector", "VIPSelector"]


class _Selector(SpectralOperator):
    """Common plumbing: fit(X, y) validates, ``_scores`` ranks, ``_choose`` keeps."""

    def fit(self, X: Any, y: Any = None) -> _Selector:
        """Learn which columns to keep from the training rows and their reference values."""
        name = type(self).__name__
        self.check_params()
        if y is None:
            raise ValueError(f"{name} requires y to be passed, but the target y is None "
                             "(it selects the wavelengths that predict the reference values)")
        X, y = validate_data(self, X, y, dtype=np.float64, y_numeric=True,
                             ensure_min_samples=2)
        y = np.asarray(y, dtype=np.float64).ravel()
        if np.ptp(y) == 0:
            raise ValueError(f"{name}: y is constant; there is nothing to select wavelengths "
                             "for")
        support = self._select(X, y)
        if not support.any():  # a threshold above every score: keep the best column
            support[int(np.argmax(self.scores_))] = True
        self.support_ = support
        self.indices_ = np.flatnonzero(support)
        return self

    def _select(self, X: np.ndarray, y: np.ndarray) -> np.ndarray:  # pragma: no cover
        raise NotImplementedError

    def _keep(self, scores: np.ndarray, threshold: float) -> np.ndarray:
        """Mask of the columns to keep: the ``n_keep`` best scores when set, else those at
        or above ``threshold`` but at least the ``n_components`` best (so that a PLS with as
        many components can follow; raw absorbance spectra, dominated by baselines, can
        leave every selectivity ratio under its F boundary)."""
        self.scores_ = scores
        n_keep = getattr(self, "n_keep", None)
        if n_keep is None:
            mask = scores >= threshold
            least = min(int(self.n_components), scores.size)
            if mask.sum() >= least:
                return mask
            n_keep = least
        order = np.argsort(-scores, kind="stable")[:min(int(n_keep), scores.size)]
        mask = np.zeros(scores.size, dtype=bool)
        mask[order] = True
        return mask

    def _transform(self, X: np.ndarray) -> np.ndarray:
        return X[:, self.indices_]

    def get_support(self, indices: bool = False) -> np.ndarray:
        """Mask (or, with indices=True, the indices) of the kept input columns."""
        check_is_fitted(self)
        return self.indices_.copy() if indices else self.support_.copy()

    def transform_wavelengths(self, wavelengths: Any) -> np.ndarray:
        """The kept wavelengths once fitted; before fitting the kept columns are unknown and
        the axis is returned unchanged (see the module doc)."""
        axis = as_axis(type(self).__name__, "wavelengths", wavelengths)
        support = getattr(self, "support_", None)
        if support is None or support.size != axis.size:
            return axis
        return axis[support]

    def get_feature_names_out(self, input_features: Any = None) -> np.ndarray:
        check_is_fitted(self)
        names = (np.asarray(input_features, dtype=object) if input_features is not None
                 else np.array([f"x{i}" for i in range(self.n_features_in_)], dtype=object))
        return names[self.support_]

    def __sklearn_tags__(self) -> Any:
        tags = super().__sklearn_tags__()
        tags.target_tags.required = True
        return tags


def _pls(X: np.ndarray, y: np.ndarray, n_components: int, scale: bool) -> IKPLS:
    k = max(1, min(int(n_components), X.shape[0] - 1, X.shape[1]))
    return IKPLS(n_components=k, scale=scale, algorithm=2).fit(X, y)


_COMMON: dict[str, list[Any]] = {
    "n_components": [Interval(Integral, 1, None, closed="left")],
    "n_keep": [None, Interval(Integral, 1, None, closed="left")],
    "scale": ["boolean"],
}


class VIPSelector(_Selector):
    """Keep the wavelengths whose PLS variable importance in projection (VIP) is high.

    VIP after Wold (S. Wold, E. Johansson, M. Cocchi, "PLS: partial least squares
    projections to latent structures", in 3D QSAR in Drug Design, ESCOM, 1993, 523-550), as
    written by Chong & Jun (Chemom. Intell. Lab. Syst. 78, 2005, 103-112): for a PLS model
    with A components, weights w_a, scores t_a and y loadings q_a,
    VIP_j = sqrt(p * sum_a SS_a (w_ja / ||w_a||)^2 / sum_a SS_a), SS_a = q_a^2 t_a't_a.
    The mean of VIP^2 over the p wavelengths is 1, hence Wold's usual threshold 1.

    Parameters
    ----------
    n_components : int, default 10
        Components of the PLS model the importance is read from (fewer when the fold has
        fewer rows or columns).
    threshold : float, default 1.0
        Keep the wavelengths with VIP >= threshold (at least the ``n_components`` best).
    n_keep : int or None, default None
        Keep this many wavelengths with the highest VIP instead of using the threshold.
    scale : bool, default False
        Autoscale the wavelengths before the PLS (centring only by default).

    Attributes: ``scores_`` (the VIP of every input column), ``support_``, ``indices_``.
    """

    _parameter_constraints: ClassVar[dict[str, list[Any]]] = {
        **_COMMON, "threshold": [Interval(Real, 0, None, closed="left")]}

    def __init__(self, n_components: int = 10, threshold: float = 1.0,
                 n_keep: int | None = None, scale: bool = False) -> None:
        self.n_components = n_components
        self.threshold = threshold
        self.n_keep = n_keep
        self.scale = scale

    def _select(self, X: np.ndarray, y: np.ndarray) -> np.ndarray:
        return self._keep(vip_scores(X, y, self.n_components, self.scale),
                          float(self.threshold))


def vip_scores(X: np.ndarray, y: np.ndarray, n_components: int, scale: bool = False
               ) -> np.ndarray:
    """VIP of every column of X for a PLS model of y (see VIPSelector)."""
    pls = _pls(X, y, n_components, scale)
    Xc = (X - pls.x_mean_) / pls.x_std_
    scores = Xc @ pls.x_rotations_
    ss = (pls.y_loadings_[0] ** 2) * np.sum(scores * scores, axis=0)
    norms = np.linalg.norm(pls.x_weights_, axis=0)
    norms[norms == 0] = 1.0
    w2 = (pls.x_weights_ / norms) ** 2
    total = float(ss.sum())
    if total <= 0:
        return np.ones(X.shape[1])
    return np.sqrt(X.shape[1] * (w2 @ ss) / total)


class SRSelector(_Selector):
    """Keep the wavelengths with a high selectivity ratio (target projection).

    T. Rajalahti, R. Arneberg, F.S. Berven, K.-M. Myhr, R.J. Ulvik, O.M. Kvalheim,
    "Biomarker discovery in mass spectral profiles by means of selectivity ratio plot",
    Chemom. Intell. Lab. Syst. 95 (2009) 35-48. A PLS model's regression vector b gives the
    target-projection weight w = b / ||b||; the centred spectra split into the target
    component X_TP = t p' (t = X w, p = X't / t't) and the residual E = X - X_TP; the
    selectivity ratio of wavelength j is ||X_TP[:, j]||^2 / ||E[:, j]||^2, explained over
    residual variance. Rajalahti et al. judge it against an F-distribution boundary,
    F(0.95; N-1, N-2) for N calibration samples: the default threshold.

    Parameters
    ----------
    n_components : int, default 10
        Components of the PLS model whose regression vector is projected on.
    threshold : float or None, default None
        Keep SR >= threshold (at least the ``n_components`` best); None = the F boundary
        F(0.95; N-1, N-2) of the fold's N rows. On raw absorbance spectra (baselines
        dominate the variance) few or no wavelengths pass it: preprocess first (SNV, a
        derivative), as Rajalahti et al. did.
    n_keep : int or None, default None
        Keep this many wavelengths with the highest SR instead.
    scale : bool, default False
        Autoscale the wavelengths before the PLS.

    Attributes: ``scores_`` (SR of every input column), ``threshold_`` (the one used),
    ``support_``, ``indices_``.
    """

    _parameter_constraints: ClassVar[dict[str, list[Any]]] = {
        **_COMMON, "threshold": [None, Interval(Real, 0, None, closed="left")]}

    def __init__(self, n_components: int = 10, threshold: float | None = None,
                 n_keep: int | None = None, scale: bool = False) -> None:
        self.n_components = n_components
        self.threshold = threshold
        self.n_keep = n_keep
        self.scale = scale

    def _select(self, X: np.ndarray, y: np.ndarray) -> np.ndarray:
        n = X.shape[0]
        if self.threshold is None:
            from scipy.stats import f

            self.threshold_ = float(f.ppf(0.95, n - 1, max(n - 2, 1)))
        else:
            self.threshold_ = float(self.threshold)
        return self._keep(selectivity_ratio(X, y, self.n_components, self.scale),
                          self.threshold_)


def selectivity_ratio(X: np.ndarray, y: np.ndarray, n_components: int,
                      scale: bool = False) -> np.ndarray:
    """Selectivity ratio of every column of X (see SRSelector)."""
    pls = _pls(X, y, n_components, scale)
    Xc = (X - pls.x_mean_) / pls.x_std_
    b = (pls.x_rotations_ @ pls.y_loadings_.T).ravel()
    norm = float(np.linalg.norm(b))
    if norm == 0:
        return np.zeros(X.shape[1])
    t = Xc @ (b / norm)
    p = Xc.T @ t / float(t @ t)
    explained = np.outer(t, p)
    residual = Xc - explained
    num = np.sum(explained ** 2, axis=0)
    den = np.sum(residual ** 2, axis=0)
    with np.errstate(divide="ignore", invalid="ignore"):
        ratio = np.where(den > 0, num / np.where(den > 0, den, 1.0), np.inf)
    ratio[(den == 0) & (num == 0)] = 0.0
    return ratio


def _fold_indices(n: int, n_splits: int, rng: np.random.Generator) -> list[np.ndarray]:
    """A seeded random partition of range(n) into n_splits test folds."""
    order = rng.permutation(n)
    return [part for part in np.array_split(order, n_splits) if part.size]


def _rmsecv(X: np.ndarray, y: np.ndarray, folds: list[np.ndarray], n_components: int,
            scale: bool) -> tuple[float, int]:
    """Lowest RMSECV over k = 1..n_components (PLS per fold, all k from one fit), and k."""
    n = X.shape[0]
    sq = None
    for test in folds:
        train = np.setdiff1d(np.arange(n), test, assume_unique=True)
        pls = _pls(X[train], y[train], n_components, scale)
        scores = ((X[test] - pls.x_mean_) / pls.x_std_) @ pls.x_rotations_
        pred = np.cumsum(scores * pls.y_loadings_[0], axis=1) * pls.y_std_[0] + pls.y_mean_[0]
        err = ((pred - y[test, None]) ** 2).sum(axis=0)
        sq = err if sq is None else sq[:err.size] + err[:sq.size]
    assert sq is not None
    rmse = np.sqrt(sq / n)
    k = int(np.argmin(rmse))
    return float(rmse[k]), k + 1


_MC: dict[str, list[Any]] = {
    **_COMMON,
    "n_runs": [Interval(Integral, 2, None, closed="left")],
    "sample_ratio": [Interval(Real, 0, 1, closed="right")],
    "random_state": [None, "random_state"],
}


class CARS(_Selector):
    """Competitive adaptive reweighted sampling (CARS).

    H. Li, Y. Liang, Q. Xu, D. Cao, "Key wavelengths screening using competitive adaptive
    reweighted sampling method for multivariate calibration", Analytica Chimica Acta 648
    (2009) 77-84. In each of N Monte Carlo runs, a PLS model is fitted on a random
    ``sample_ratio`` of the rows using the wavelengths still in play; its regression
    coefficients |b_j| weight them. An exponentially decreasing function keeps
    r_i = a exp(-k i) of the p wavelengths (r_1 = 1, r_N = 2/p: a = (p/2)^(1/(N-1)),
    k = ln(p/2)/(N-1)): the wavelengths with the largest weights are kept by force, then
    adaptive reweighted sampling draws that many of them with replacement, with
    probability proportional to their weights, and the distinct ones drawn stay in play.
    Every run's subset is scored by ``cv``-fold RMSECV (lowest over the components) on all
    the step's rows; the subset with the lowest RMSECV is kept.

    Parameters
    ----------
    n_components : int, default 10
        Most PLS components (fewer when the subset or the fold is smaller).
    n_runs : int, default 50
        Monte Carlo sampling runs (N).
    sample_ratio : float, default 0.8
        Fraction of the rows each run's PLS model is fitted on.
    cv : int, default 5
        Folds of the internal cross-validation that scores each run's subset.
    n_keep : None
        Not used by CARS (its subset size comes from the RMSECV); always None.
    scale : bool, default False
        Autoscale the wavelengths inside the PLS models.
    random_state : int, RandomState or None, default None
        Seed of the row sampling, the weighted draws and the internal folds; a run fills
        an unset seed with the run's seed, so results are reproducible.

    Attributes: ``scores_`` (how often each wavelength survived the runs, 0..1; the kept
    subset is ``support_``), ``rmsecv_`` (per run), ``best_run_``, ``n_components_``.
    """

    _parameter_constraints: ClassVar[dict[str, list[Any]]] = {
        **_MC, "cv": [Interval(Integral, 2, None, closed="left")], "n_keep": [None]}

    def __init__(self, n_components: int = 10, n_runs: int = 50, sample_ratio: float = 0.8,
                 cv: int = 5, n_keep: None = None, scale: bool = False,
                 random_state: Any = None) -> None:
        self.n_components = n_components
        self.n_runs = n_runs
        self.sample_ratio = sample_ratio
        self.cv = cv
        self.n_keep = n_keep
        self.scale = scale
        self.random_state = random_state

    def _select(self, X: np.ndarray, y: np.ndarray) -> np.ndarray:
        seed = check_random_state(self.random_state).randint(0, 2**31 - 1)
        rng = np.random.default_rng(seed)
        n, p = X.shape
        runs = int(self.n_runs)
        folds = _fold_indices(n, min(int(self.cv), n), rng)
        if p <= 2:  # nothing to shrink
            self.scores_ = np.ones(p)
            self.rmsecv_ = np.array([_rmsecv(X, y, folds, self.n_components, self.scale)[0]])
            self.best_run_, self.n_components_ = 0, 1
            return np.ones(p, dtype=bool)
        a = (p / 2.0) ** (1.0 / (runs - 1))
        k = math.log(p / 2.0) / (runs - 1)
        n_fit = max(2, round(float(self.sample_ratio) * n))
        in_play = np.arange(p)
        subsets, rmsecv, comps = [], [], []
        survived = np.zeros(p)
        for i in range(1, runs + 1):
            rows = rng.choice(n, size=n_fit, replace=False)
            pls = _pls(X[np.ix_(rows, in_play)], y[rows], self.n_components, self.scale)
            weights = np.abs(pls.coef_.ravel())
            keep_n = max(1, min(in_play.size, round(a * math.exp(-k * i) * p)))
            order = np.argsort(-weights, kind="stable")[:keep_n]
            forced, w = in_play[order], weights[order]
            if w.sum() > 0 and keep_n > 1:
                drawn = rng.choice(forced.size, size=keep_n, replace=True, p=w / w.sum())
                in_play = np.sort(forced[np.unique(drawn)])
            else:
                in_play = np.sort(forced)
            value, comp = _rmsecv(X[:, in_play], y, folds, self.n_components, self.scale)
            subsets.append(in_play)
            rmsecv.append(value)
            comps.append(comp)
            survived[in_play] += 1
        best = int(np.argmin(rmsecv))
        self.rmsecv_ = np.asarray(rmsecv)
        self.best_run_, self.n_components_ = best, comps[best]
        self.scores_ = survived / runs
        mask = np.zeros(p, dtype=bool)
        mask[subsets[best]] = True
        return mask


class MCUVE(_Selector):
    """Monte Carlo uninformative variable elimination (MC-UVE).

    UVE after V. Centner, D.-L. Massart, O.E. de Noord, S. de Jong, B.M. Vandeginste,
    C. Sterna, "Elimination of uninformative variables for multivariate calibration",
    Analytical Chemistry 68 (1996) 3851-3858: as many artificial noise variables as there
    are wavelengths (uniform, scaled by 1e-10 so that they do not change the PLS model)
    are appended to the spectra; the stability c_j = mean(b_j) / std(b_j) of every
    regression coefficient over many PLS models is computed, and the wavelengths whose
    |c_j| does not exceed the largest |c| of the noise variables are eliminated. The
    models are fitted on ``n_runs`` random subsets of ``sample_ratio`` of the rows (the
    Monte Carlo form of W. Cai, Y. Li, X. Shao, Chemom. Intell. Lab. Syst. 90 (2008)
    188-194) instead of Centner's leave-one-out jackknife.

    Parameters
    ----------
    n_components : int, default 10
        PLS components of every model (fewer when the rows or columns are fewer).
    n_runs : int, default 100
        Monte Carlo models.
    sample_ratio : float, default 0.8
        Fraction of the rows each model is fitted on.
    n_keep : int or None, default None
        Keep this many wavelengths with the largest |c| instead of the noise cut-off.
    scale : bool, default False
        Autoscale inside the PLS models.
    random_state : int, RandomState or None, default None
        Seed of the noise variables and the row sampling.

    Attributes: ``scores_`` (|c| of every wavelength), ``cutoff_`` (the largest |c| of the
    noise variables), ``support_``, ``indices_``. At least the ``n_components`` best
    wavelengths are kept.
    """

    _parameter_constraints: ClassVar[dict[str, list[Any]]] = dict(_MC)

    def __init__(self, n_components: int = 10, n_runs: int = 100, sample_ratio: float = 0.8,
                 n_keep: int | None = None, scale: bool = False,
                 random_state: Any = None) -> None:
        self.n_components = n_components
        self.n_runs = n_runs
        self.sample_ratio = sample_ratio
        self.n_keep = n_keep
        self.scale = scale
        self.random_state = random_state

    def _select(self, X: np.ndarray, y: np.ndarray) -> np.ndarray:
        seed = check_random_state(self.random_state).randint(0, 2**31 - 1)
        rng = np.random.default_rng(seed)
        n, p = X.shape
        noise = rng.uniform(size=(n, p)) * 1e-10
        Xa = np.hstack([X, noise])
        n_fit = max(2, round(float(self.sample_ratio) * n))
        coefs = np.empty((int(self.n_runs), 2 * p))
        for r in range(coefs.shape[0]):
            rows = rng.choice(n, size=n_fit, replace=False)
            coefs[r] = _pls(Xa[rows], y[rows], self.n_components, self.scale).coef_.ravel()
        spread = coefs.std(axis=0, ddof=1)
        with np.errstate(divide="ignore", invalid="ignore"):
            c = np.abs(np.where(spread > 0, coefs.mean(axis=0) / np.where(spread > 0, spread,
                                                                          1.0), 0.0))
        self.cutoff_ = float(c[p:].max())
        return self._keep(c[:p], np.nextafter(self.cutoff_, np.inf))
