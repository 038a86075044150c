"""What a fitted PLS model says about itself: regression vector, loadings, weights, scores,
VIP, and T², Q, leverage and studentized residuals of its calibration samples.

Why: a chemometrician trusts a PLS calibration by looking inside it (does the regression
vector follow known absorption bands? is any calibration sample far outside the others?).
Everything here is read from the fitted sklearn PLSRegression (for PLS-DA: the PLSRegression
inside engine.models.PLSDA, on the one-hot class matrix) in the units of the spectra as the
model received them, i.e. after the branch's preprocessing (engine.pipeline.preprocess_branch
on the fitted Pipeline: no second way of preprocessing).
"""
from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass, field
from typing import Any

import numpy as np

from engine.diagnostics.latent import ROWS_AT_ONCE_VALUES, LatentModel
from engine.diagnostics.limits import LEVELS, residual_theta

__all__ = ["PLSInterpretation", "final_estimator", "interpret_pls", "is_pls_family",
           "pls_latent", "pls_of", "preprocessed", "regression_coefficients", "vip"]


@dataclass
class PLSInterpretation:
    """A PLS branch looked inside, on its calibration samples.

    rows               (n,) dataset rows of the calibration (train, not excluded)
    wavelengths        (p,) axis of the preprocessed data
    regression_vector  (p,) regression; (p, c) PLS-DA, one column per class: the model's
                       prediction is Z @ regression_vector + intercept, Z the preprocessed
                       spectra
    classes            PLS-DA class labels (column order), None for regression
    x_loadings, x_weights  (p, a)
    scores             (n, a) X scores of the calibration samples
    vip                (p,) Wold's variable importance in projection
    t2, q, leverage    (n,) of the calibration samples
    studentized        (n,) studentized residuals (single-target regression only, else None)
    limits             {"t2": {0.95: .., 0.99: ..}, "q": {0.95: .., 0.99: ..}}
    latent             the LatentModel (PLS space) the statistics come from
    intercept          () regression; (c,) PLS-DA
    """

    rows: np.ndarray
    wavelengths: np.ndarray
    regression_vector: np.ndarray
    classes: list[str] | None
    x_loadings: np.ndarray
    x_weights: np.ndarray
    scores: np.ndarray
    vip: np.ndarray
    t2: np.ndarray
    q: np.ndarray
    leverage: np.ndarray
    studentized: np.ndarray | None
    limits: dict[str, dict[float, float]]
    latent: LatentModel
    intercept: np.ndarray = field(default_factory=lambda: np.zeros(()))


def final_estimator(model: Any) -> Any:
    """The model at the end of a Pipeline (or the estimator itself)."""
    steps = getattr(model, "steps", None)
    if steps:
        return steps[-1][1]
    return model


def pls_of(estimator: Any) -> Any:
    """The fitted sklearn PLSRegression behind a PLS-family estimator (or a Pipeline ending in
    one), or None (another model, or one not fitted yet)."""
    from sklearn.cross_decomposition import PLSRegression

    estimator = final_estimator(estimator)
    inner = estimator if isinstance(estimator, PLSRegression) else getattr(estimator, "pls_",
                                                                           None)
    if isinstance(inner, PLSRegression) and hasattr(inner, "x_rotations_"):
        return inner
    return None


def is_pls_family(estimator: Any) -> bool:
    """True for sklearn's PLSRegression and engine.models.PLSDA, fitted or not, and for any
    fitted estimator exposing a PLSRegression as ``pls_`` (how PCR/OPLS can join later); a
    Pipeline is judged by its final step."""
    from sklearn.cross_decomposition import PLSRegression

    from engine.models.plsda import PLSDA

    estimator = final_estimator(estimator)
    return (isinstance(estimator, (PLSRegression, PLSDA))
            or isinstance(getattr(estimator, "pls_", None), PLSRegression))


def preprocessed(model: Any, X: np.ndarray,
                 wavelengths: np.ndarray | None) -> tuple[np.ndarray, np.ndarray]:
    """(Z, axis): X through the fitted preprocessing steps of ``model`` (a fitted Pipeline,
    via engine.pipeline.preprocess_branch), or X itself for a bare estimator. ``wavelengths``
    None = column numbers (enough to transform: a fitted pipeline has its axis injected)."""
    X = np.asarray(X, dtype=np.float64)
    if X.ndim == 1:
        X = X[None, :]
    axis = (np.arange(X.shape[1], dtype=np.float64) if wavelengths is None
            else np.asarray(wavelengths, dtype=np.float64))
    if getattr(model, "steps", None):
        from engine.pipeline.preprocess import preprocess_branch

        Z, axis = preprocess_branch(model, X, axis)
        return np.asarray(Z, dtype=np.float64), axis
    return X, axis


def pls_latent(pls: Any, Z: np.ndarray, wavelengths: np.ndarray) -> LatentModel:
    """The PLS X space of a fitted PLSRegression as a LatentModel, its score variances and
    residual θ taken from the preprocessed calibration spectra ``Z`` it was fitted on:
    scores t = ((Z - x_mean) / x_std) @ x_rotations_, reconstruction t @ x_loadings_ᵀ."""
    return _pls_space(pls, Z, wavelengths)[0]


def _pls_space(pls: Any, Z: np.ndarray, wavelengths: np.ndarray
               ) -> tuple[LatentModel, np.ndarray, np.ndarray]:
    """(LatentModel, calibration scores, calibration Q) in one pass over Z."""
    Z = np.asarray(Z, dtype=np.float64)
    mean = np.asarray(pls._x_mean, dtype=np.float64)
    if Z.ndim != 2 or Z.shape[1] != mean.size:
        raise ValueError(f"the calibration spectra have {Z.shape[-1]} columns after "
                         f"preprocessing but the PLS model has {mean.size}")
    n, p = Z.shape
    if Z.size > ROWS_AT_ONCE_VALUES and n >= p:
        step = max(1, 2**22 // p)
        return pls_space_of_blocks(pls, (Z[i:i + step] for i in range(0, n, step)), n,
                                   wavelengths)
    scale = np.asarray(pls._x_std, dtype=np.float64)
    rotations = np.asarray(pls.x_rotations_, dtype=np.float64)
    loadings = np.asarray(pls.x_loadings_, dtype=np.float64)
    zs = (Z - mean) / scale
    cal_scores = zs @ rotations
    residual = zs - cal_scores @ loadings.T
    theta = residual_theta(residual)
    q = np.einsum("ij,ij->i", residual, residual)
    latent = LatentModel(kind="pls", mean=mean, scale=scale, rotations=rotations,
                         loadings=loadings, score_var=np.var(cal_scores, axis=0, ddof=1),
                         n_samples=n, theta=theta, wavelengths=wavelengths)
    return latent, cal_scores, q


def pls_space_of_blocks(pls: Any, blocks: Iterable[np.ndarray], n: int,
                        wavelengths: np.ndarray) -> tuple[LatentModel, np.ndarray, np.ndarray]:
    """:func:`pls_latent` with the calibration scores and Q, from the n preprocessed
    calibration rows given as consecutive ``blocks`` of rows: E'E is summed over the blocks
    (engine.diagnostics.limits.residual_theta's cross-product), so neither the residuals nor
    the spectra themselves need to be held whole; the blocks may be made on the fly
    (engine.diagnostics.assess.calibration_assessment: 100,000 spectra, issue 20)."""
    mean = np.asarray(pls._x_mean, dtype=np.float64)
    scale = np.asarray(pls._x_std, dtype=np.float64)
    rotations = np.asarray(pls.x_rotations_, dtype=np.float64)
    loadings = np.asarray(pls.x_loadings_, dtype=np.float64)
    p = mean.size
    scores = np.empty((n, rotations.shape[1]))
    q = np.empty(n)
    gram = np.zeros((p, p))
    start = 0
    for block in blocks:
        if block.ndim != 2 or block.shape[1] != p:
            raise ValueError(f"the calibration spectra have {block.shape[-1]} columns after "
                             f"preprocessing but the PLS model has {p}")
        part = slice(start, start + block.shape[0])
        start = part.stop
        zs = (block - mean) / scale
        scores[part] = zs @ rotations
        zs -= scores[part] @ loadings.T
        q[part] = np.einsum("ij,ij->i", zs, zs)
        gram += zs.T @ zs
    if start != n:
        raise ValueError(f"{start} calibration rows were given for {n}")
    lam = np.clip(np.linalg.eigvalsh(gram), 0.0, None) / (n - 1)
    theta = np.array([float(q.sum()) / (n - 1), np.sum(lam**2), np.sum(lam**3)])
    latent = LatentModel(kind="pls", mean=mean, scale=scale, rotations=rotations,
                         loadings=loadings, score_var=np.var(scores, axis=0, ddof=1),
                         n_samples=n, theta=theta, wavelengths=wavelengths)
    return latent, scores, q


def regression_coefficients(pls: Any) -> tuple[np.ndarray, np.ndarray]:
    """(B, b0) with the prediction ``Z @ B + b0`` on the preprocessed spectra Z: B is
    (p, n_targets) in the units of Z (sklearn's coef_ already divides by x_std), b0 the
    intercept y_mean - x_mean @ B (sklearn centres X before applying coef_)."""
    p = np.asarray(pls.x_rotations_).shape[0]
    coef = np.asarray(pls.coef_, dtype=np.float64)
    if coef.ndim == 1:
        coef = coef[:, None]
    elif coef.shape[0] != p:  # sklearn >= 1.3 stores (n_targets, p)
        coef = coef.T
    intercept = (np.asarray(pls.intercept_, dtype=np.float64).reshape(-1)
                 - np.asarray(pls._x_mean, dtype=np.float64) @ coef)
    return coef, intercept


def vip(x_weights: np.ndarray, x_scores: np.ndarray, y_loadings: np.ndarray) -> np.ndarray:
    """Wold's variable importance in projection (Wold, Johansson & Cocchi 1993; Wold,
    Sjöström & Eriksson 2001, Chemom. Intell. Lab. Syst. 58:109-130)::

        VIP_j = sqrt( p Σ_k SS_k (w_jk / ||w_k||)² / Σ_k SS_k ),  SS_k = Σ_c q_ck² t_kᵀ t_k

    with w_k the X weights, t_k the X scores and q_ck the Y loadings of component k (summed
    over the Y columns c: the one-hot class columns for PLS-DA). Σ_j VIP_j² = p, so the mean
    square VIP is 1 and "VIP > 1" marks the more important wavelengths.
    """
    w = np.asarray(x_weights, dtype=np.float64)
    t = np.asarray(x_scores, dtype=np.float64)
    yq = np.asarray(y_loadings, dtype=np.float64)
    if yq.ndim == 1:
        yq = yq[None, :]
    ss = (yq**2).sum(axis=0) * np.einsum("ik,ik->k", t, t)
    total = ss.sum()
    p = w.shape[0]
    if total <= 0:
        return np.zeros(p)
    weights = (w / np.linalg.norm(w, axis=0)) ** 2
    return np.asarray(np.sqrt(p * (weights @ ss) / total))


def interpret_pls(model: Any, X_cal: np.ndarray, y_cal: np.ndarray | None,
                  wavelengths: np.ndarray, rows: np.ndarray | None = None
                  ) -> PLSInterpretation | None:
    """Look inside a fitted PLS branch on its calibration samples.

    ``model`` is the branch's fitted sklearn Pipeline (preprocessing steps + final estimator)
    or a bare estimator; ``X_cal`` the raw calibration spectra (the rows the model was refitted
    on) with reference values ``y_cal`` and dataset ``rows``; ``wavelengths`` the raw axis.
    None when the final estimator is not PLS-family; ValueError when it is not fitted.

    Studentized residuals (regression with one target): r_i = e_i / (s sqrt(1 - h_i)), with
    e_i = y_i - ŷ_i, h_i the leverage and s² = SSE / (n - a - 1) (a components + intercept);
    None for PLS-DA, several targets or n <= a + 1.
    """
    if not is_pls_family(model):
        return None
    pls = pls_of(model)
    if pls is None:
        raise ValueError("the PLS model is not fitted: nothing to interpret")
    Z, axis = preprocessed(model, X_cal, wavelengths)
    latent, scores, q = _pls_space(pls, Z, axis)
    t2 = latent.t2_of_scores(scores)
    leverage = 1.0 / latent.n_samples + t2 / (latent.n_samples - 1)
    coef, intercept = regression_coefficients(pls)
    final = final_estimator(model)
    classes = None
    if pls is not final and hasattr(final, "classes_"):
        classes = [str(c) for c in final.classes_]
    n, a = Z.shape[0], latent.n_components
    studentized = None
    if classes is None and coef.shape[1] == 1 and y_cal is not None and n > a + 1:
        y = np.asarray(y_cal, dtype=np.float64).reshape(-1)
        if y.size == n:
            residual = y - (Z @ coef[:, 0] + intercept[0])
            s = np.sqrt(residual @ residual / (n - a - 1))
            if s > 0:
                studentized = residual / (s * np.sqrt(np.clip(1.0 - leverage, 1e-12, None)))
    limits = {"t2": {level: latent.t2_limit(level) for level in LEVELS},
              "q": {level: latent.q_limit(level) for level in LEVELS}}
    single = classes is None and coef.shape[1] == 1
    return PLSInterpretation(
        rows=np.arange(n) if rows is None else np.asarray(rows),
        wavelengths=axis,
        regression_vector=coef[:, 0].copy() if single else coef.copy(),
        classes=classes,
        x_loadings=np.asarray(pls.x_loadings_, dtype=np.float64).copy(),
        x_weights=np.asarray(pls.x_weights_, dtype=np.float64).copy(),
        scores=scores,
        vip=vip(pls.x_weights_, scores, pls.y_loadings_),
        t2=t2, q=q, leverage=leverage, studentized=studentized, limits=limits,
        latent=latent,
        intercept=np.asarray(intercept[0] if single else intercept, dtype=np.float64))
