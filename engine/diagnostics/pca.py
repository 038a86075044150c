"""Principal component analysis of spectra: scores, loadings, explained variance and the
T², Q and leverage of every sample against the PCA model.

Why its own PCA rather than sklearn's: the explorer needs every eigenvalue (the Q limit's θ
come from the eigenvalues the model leaves out) and must stay fast on 10,000 spectra. Two
routes to the same numbers:

* small data (n·p·min(n, p) <= 2e9): an economy QR of the centred matrix, then the SVD of its
  small triangular factor -- as accurate as a full SVD (QR is backward stable), and it never
  forms the (n x p) left singular vectors;
* larger data: the eigen-decomposition of the smaller cross-product matrix (Z'Z or ZZ'), about
  three times faster (0.35 s + 0.5 s single-threaded at 10,000 x 1,000). Its eigenvalues carry
  an absolute rounding error of ~1e-16 of the largest one: the leading components and the
  explained variance are exact to ~1e-12, the tiny trailing eigenvalues that only enter θ2
  and θ3 far more accurately than the limits need; θ1 is summed from the residuals directly.

Many spectra (n >= p on the cross-product route): every pass over the data (mean, Z'Z,
scores and residuals) goes a block of rows at a time, so a PCA of 100,000 x 1,000 spectra
(800 MB) needs a few tens of MB besides its input instead of three matrices as big as it
(centred data, reconstruction, residuals), reports its progress and can be cancelled between
blocks (issue 20).
"""
from __future__ import annotations

import threading
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

import numpy as np

from engine.diagnostics.latent import LatentModel
from engine.errors import Cancelled

__all__ = ["AUTO_MAX_COMPONENTS", "AUTO_VARIANCE", "PCAResult", "auto_components",
           "explore_pca", "fit_pca"]

AUTO_VARIANCE = 0.99
"""The automatic choice keeps the fewest components explaining this share of the variance."""
AUTO_MAX_COMPONENTS = 10
"""... but never more than this many (spectra have long tails of tiny components)."""


@dataclass
class PCAResult:
    """A fitted PCA and the statistics of the rows it describes.

    model                     the LatentModel (mean, loadings, score variances, θ)
    scores                    (n, a) scores of the rows
    loadings                  (p, a) loadings (unit columns; each one's largest |value| > 0)
    explained_variance_ratio  (k,) share of the total variance per component, k >= a (scree)
    t2, q, leverage           (n,) per row
    fit_rows                  rows the model was fitted on (explore_pca: the non-excluded
                              rows; fit_pca: None = all rows given)
    """

    model: LatentModel
    scores: np.ndarray
    loadings: np.ndarray
    explained_variance_ratio: np.ndarray
    t2: np.ndarray
    q: np.ndarray
    leverage: np.ndarray
    fit_rows: np.ndarray | None = None

    @property
    def n_components(self) -> int:
        return self.model.n_components


def auto_components(explained_variance_ratio: np.ndarray, n_samples: int,
                    n_features: int) -> int:
    """The automatic number of components: the smallest a whose cumulative explained variance
    reaches AUTO_VARIANCE (99 %), capped at min(AUTO_MAX_COMPONENTS, n - 1, p), at least 1."""
    cumulative = np.cumsum(np.asarray(explained_variance_ratio, dtype=np.float64))
    reached = np.flatnonzero(cumulative >= AUTO_VARIANCE - 1e-12)
    a = int(reached[0]) + 1 if reached.size else int(cumulative.size)
    return max(1, min(a, AUTO_MAX_COMPONENTS, n_samples - 1, n_features))


_EXACT_BELOW = 2e9
"""n·p·min(n, p) up to which the QR + SVD route is taken (module docstring)."""


def _decompose(zc: np.ndarray, k: int) -> tuple[np.ndarray, np.ndarray, bool]:
    """(all eigenvalues of zc'zc in decreasing order, the first k eigenvectors as (p, k)
    columns, whether they came from the QR + SVD route) of the centred matrix zc. (Many rows
    and not exact: fit_pca streams them through :func:`_eigen_of_gram` instead.)"""
    n, p = zc.shape
    exact = n * p * min(n, p) <= _EXACT_BELOW
    if exact and n >= p:
        r = np.asarray(np.linalg.qr(zc, mode="r"))
        _, s, vt = np.linalg.svd(r, full_matrices=False)
        eigen, v = s**2, vt[:k].T
    elif exact:
        # zc' = Q r  =>  zc = r' Q' ; with r' = U S W', zc's right vectors are zc' U / s
        r = np.asarray(np.linalg.qr(zc.T, mode="r"))
        u, s, _ = np.linalg.svd(r.T, full_matrices=False)
        eigen, v = s**2, (zc.T @ u[:, :k]) / s[:k]
    elif n >= p:
        return (*_eigen_of_gram(zc.T @ zc, k), False)
    else:
        lam, vec = np.linalg.eigh(zc @ zc.T)
        eigen = np.clip(lam[::-1], 0.0, None)
        v = (zc.T @ vec[:, ::-1][:, :k]) / np.sqrt(np.where(eigen[:k] > 0, eigen[:k], 1.0))
    return eigen, _unit_signed(v, normalise=not exact or n < p), exact


def _eigen_of_gram(gram: np.ndarray, k: int) -> tuple[np.ndarray, np.ndarray]:
    """(eigenvalues in decreasing order, the first k unit, signed eigenvectors) of Z'Z."""
    lam, vec = np.linalg.eigh(gram)
    return np.clip(lam[::-1], 0.0, None), _unit_signed(vec[:, ::-1][:, :k], normalise=True)


def _unit_signed(v: np.ndarray, *, normalise: bool) -> np.ndarray:
    """Unit columns (when ``normalise``) with a deterministic sign: each loading's largest
    |value| is positive (sklearn's convention)."""
    if normalise:
        v = v / np.where((norm := np.linalg.norm(v, axis=0)) > 0, norm, 1.0)
    biggest = v[np.argmax(np.abs(v), axis=0), np.arange(v.shape[1])]
    return v * np.where(biggest < 0, -1.0, 1.0)


def _components(eigen: np.ndarray, right: np.ndarray, n: int, p: int,
                n_components: int | None) -> tuple[np.ndarray, int, np.ndarray]:
    """(explained variance ratio, number of components, loadings) from the decomposition."""
    total = float(eigen.sum())
    if total <= 0.0:
        raise ValueError("the spectra do not vary (every row is the same): nothing for PCA")
    ratio = eigen / total
    a = auto_components(ratio, n, p) if n_components is None else int(n_components)
    return ratio, a, right[:, :a].copy()


BLOCK_VALUES = 2**22
"""Values (rows x columns) per block on the streamed route: 32 MB of float64."""

Progress = Callable[[int, int], None]


def _streamed(n: int, p: int) -> bool:
    """Whether fit_pca goes over the rows in blocks (the cross-product route with n >= p)."""
    return n >= p and n * p * min(n, p) > _EXACT_BELOW


def _blocks(n: int, p: int) -> list[slice]:
    rows = max(1, BLOCK_VALUES // max(p, 1))
    return [slice(start, min(n, start + rows)) for start in range(0, n, rows)]


def _fit_pca_streamed(Z: np.ndarray, rows: np.ndarray | None, k_max: int,
                      n_components: int | None, axis: np.ndarray,
                      progress: Progress | None, cancel: threading.Event | None) -> PCAResult:
    """fit_pca's cross-product route, a block of rows at a time (module docstring)."""
    n = Z.shape[0] if rows is None else rows.size
    p = Z.shape[1]
    blocks = _blocks(n, p)
    done, total = 0, 3 * n

    def block(part: slice) -> np.ndarray:
        return np.asarray(Z[part] if rows is None else Z[rows[part]], dtype=np.float64)

    def step(part: slice) -> None:
        nonlocal done
        _check(cancel)
        done += part.stop - part.start
        if progress is not None:
            progress(done, total)

    sums = np.zeros(p)
    for part in blocks:
        values = block(part)
        if not np.all(np.isfinite(values)):
            raise ValueError("PCA cannot use spectra with missing or infinite values")
        sums += values.sum(axis=0)
        step(part)
    mean = sums / n
    gram = np.zeros((p, p))
    for part in blocks:
        centred = block(part) - mean
        gram += centred.T @ centred
        step(part)
    eigen, right = _eigen_of_gram(gram, k_max)
    ratio, a, loadings = _components(eigen, right, n, p, n_components)
    scores, q = np.empty((n, a)), np.empty(n)
    for part in blocks:
        centred = block(part) - mean
        scores[part] = centred @ loadings
        centred -= scores[part] @ loadings.T
        q[part] = np.einsum("ij,ij->i", centred, centred)
        step(part)
    return _result(mean, loadings, scores, q, eigen, ratio, a, n, p, k_max, axis, exact=False)


def _result(mean: np.ndarray, loadings: np.ndarray, scores: np.ndarray, q: np.ndarray,
            eigen: np.ndarray, ratio: np.ndarray, a: int, n: int, p: int, k_max: int,
            axis: np.ndarray, *, exact: bool) -> PCAResult:
    """The model and the rows' statistics from the decomposition (both routes)."""
    lam = eigen[a:] / (n - 1)
    theta1 = float(lam.sum()) if exact else float(q.sum()) / (n - 1)
    theta = np.array([theta1, (lam**2).sum(), (lam**3).sum()], dtype=np.float64)
    score_var = np.var(scores, axis=0, ddof=1)
    model = LatentModel(kind="pca", mean=mean, scale=np.ones(p), rotations=loadings,
                        loadings=loadings, score_var=score_var, n_samples=n, theta=theta,
                        wavelengths=axis)
    t2 = model.t2_of_scores(scores)
    k = max(a, min(k_max, ratio.size))
    return PCAResult(model=model, scores=scores, loadings=loadings,
                     explained_variance_ratio=ratio[:k].copy(), t2=t2, q=q,
                     leverage=1.0 / n + t2 / (n - 1))


def fit_pca(Z: np.ndarray, n_components: int | None = None, *,
            wavelengths: np.ndarray | None = None, max_components: int = 20,
            rows: np.ndarray | None = None, progress: Progress | None = None,
            cancel: threading.Event | None = None) -> PCAResult:
    """PCA of the rows of ``Z`` (mean-centred, not scaled: spectra share one unit).

    ``n_components`` None chooses automatically (:func:`auto_components`: the fewest
    components reaching 99 % cumulative explained variance, capped at min(10, n - 1, p)).
    ``explained_variance_ratio`` covers max(a, min(max_components, rank bound)) components for
    the scree plot. T² and Q use Jackson's (1991) and Jackson & Mudholkar's (1979) definitions
    (see engine.diagnostics.latent); θ_i = Σ λ_j^i over the left-out eigenvalues
    λ_j = s_j² / (n - 1).

    ``rows`` fits on those rows of Z only (no copy of them on the streamed route);
    ``progress(done, total)`` and ``cancel`` (engine.errors.Cancelled) are served between
    blocks on the streamed route (many spectra), and at its end otherwise.

    Raises ValueError for fewer than 2 rows, spectra that do not vary, or a number of
    components outside 1..min(n - 1, p).
    """
    if not isinstance(Z, np.ndarray) or Z.dtype != np.float64:
        Z = np.asarray(Z, dtype=np.float64)
    if Z.ndim != 2 or (Z.shape[0] if rows is None else np.size(rows)) < 2 or Z.shape[1] < 1:
        raise ValueError(f"PCA needs at least 2 spectra with at least 1 value each; got shape "
                         f"{Z.shape if rows is None else (np.size(rows), Z.shape[-1])}")
    n, p = Z.shape if rows is None else (np.size(rows), Z.shape[1])
    streamed = _streamed(n, p)
    if not streamed:
        if rows is not None:
            Z = Z[np.asarray(rows)]
        if not np.all(np.isfinite(Z)):
            raise ValueError("PCA cannot use spectra with missing or infinite values")
    limit = min(n - 1, p)
    if n_components is not None and not 1 <= int(n_components) <= limit:
        raise ValueError(f"the number of PCA components must be between 1 and {limit} "
                         f"(n - 1 = {n - 1}, p = {p}); got {n_components}")
    axis = (np.arange(p, dtype=np.float64) if wavelengths is None
            else np.asarray(wavelengths, dtype=np.float64))
    if axis.shape != (p,):
        raise ValueError(f"wavelengths has {axis.size} values but the spectra have {p} columns")
    k_max = max(1, min(int(max_components), limit))
    if n_components is not None:
        k_max = max(k_max, int(n_components))
    if streamed:
        return _fit_pca_streamed(Z, None if rows is None else np.asarray(rows), k_max,
                                 n_components, axis, progress, cancel)
    mean = Z.mean(axis=0)
    centred = Z - mean
    eigen, right, exact = _decompose(centred, k_max)
    ratio, a, loadings = _components(eigen, right, n, p, n_components)
    scores = centred @ loadings
    residual = centred - scores @ loadings.T
    q = np.einsum("ij,ij->i", residual, residual)
    if progress is not None:
        progress(1, 1)
    return _result(mean, loadings, scores, q, eigen, ratio, a, n, p, k_max, axis, exact=exact)


def _check(cancel: threading.Event | None) -> None:
    if cancel is not None and cancel.is_set():
        raise Cancelled()


def explore_pca(dataset: Any, steps: Any = None, n_components: int | None = None, *,
                cancel: threading.Event | None = None, seed: int = 0,
                best_params: dict[str, Any] | None = None,
                progress: Progress | None = None) -> tuple[PCAResult, np.ndarray]:
    """PCA of a dataset after a branch's preprocessing, for the Explore view.

    ``steps`` is what engine.pipeline.preprocess_branch accepts (a ConcreteBranch, a branch's
    JSON steps, or a fitted Pipeline ending in its model); None = the raw spectra. Unfitted
    steps are fitted as a run fits them, on the dataset's training rows (``train_indices``,
    with ``seed`` and ``best_params`` as a run would), then applied to every row.

    The PCA is fitted on the rows that are not excluded (``dataset.excluded``; none when the
    dataset has no such mask) and every row is projected, so an excluded sample is still seen
    against the model of the others. Returns (result, axis): scores, T², Q and leverage for
    ALL rows of the dataset (``result.fit_rows`` = the rows fitted), and the x axis of the
    preprocessed spectra.

    ``cancel`` is checked between the steps (and between blocks of rows on many spectra);
    once set, engine.errors.Cancelled is raised. ``progress(done, total)`` follows the PCA's
    passes over the rows (fit_pca).
    """
    _check(cancel)
    X = np.asarray(dataset.X, dtype=np.float64)
    n = X.shape[0]
    excluded = getattr(dataset, "excluded", None)
    mask = np.zeros(n, dtype=bool)
    if excluded is not None and np.size(excluded) == n:
        mask = np.asarray(excluded, dtype=bool)
    fit_rows = np.flatnonzero(~mask)
    if fit_rows.size < 2:
        raise ValueError(f"PCA needs at least 2 spectra that are not excluded; "
                         f"{fit_rows.size} of {n} are left")
    if steps is None:
        Z, axis = X, np.asarray(dataset.wavelengths, dtype=np.float64)
    else:
        from engine.pipeline.preprocess import preprocess_branch

        train = np.intersect1d(np.asarray(dataset.train_indices, dtype=np.intp), fit_rows)
        if train.size == 0:
            train = fit_rows
        y = None
        if getattr(dataset, "target", None) is not None:
            y = dataset.y
        Z, axis = preprocess_branch(steps, X, dataset.wavelengths, train_indices=train, y=y,
                                    seed=seed, best_params=best_params, cancel=cancel)
        Z = np.asarray(Z, dtype=np.float64)
    _check(cancel)
    everything = fit_rows.size == n
    fitted = fit_pca(Z, n_components, wavelengths=axis, rows=None if everything else fit_rows,
                     progress=progress, cancel=cancel)
    _check(cancel)
    model = fitted.model
    scores = np.empty((n, model.n_components))
    t2, q, leverage = np.empty(n), np.empty(n), np.empty(n)
    scores[fit_rows], t2[fit_rows], q[fit_rows] = fitted.scores, fitted.t2, fitted.q
    leverage[fit_rows] = fitted.leverage
    if not everything:  # the excluded rows, projected on the model of the others
        left_out = np.flatnonzero(mask)
        scores[left_out], t2[left_out], q[left_out], leverage[left_out] = \
            model.project(Z[left_out])
    result = PCAResult(model=model, scores=scores, loadings=fitted.loadings,
                       explained_variance_ratio=fitted.explained_variance_ratio,
                       t2=t2, q=q, leverage=leverage, fit_rows=fit_rows)
    return result, axis
