"""engine.diagnostics.interpret_pls: regression vector, VIP, scores, T², Q, leverage and
studentized residuals of a fitted PLS branch (regression and PLS-DA), each equal to an
independent computation written out here from the fitted model's matrices, to 1e-9."""
from __future__ import annotations

import numpy as np
import pytest
from sklearn.cross_decomposition import PLSRegression
from sklearn.linear_model import Ridge
from sklearn.pipeline import make_pipeline

from engine.diagnostics import (
    LEVELS,
    assess_raw,
    interpret_pls,
    is_pls_family,
    latent_for_model,
    q_limit,
    t2_limit,
)
from engine.models import PLSDA
from engine.operators import MSC, SNV, CropRange

RTOL = 1e-9


def spectra(n=60, p=90, seed=0):
    rng = np.random.default_rng(seed)
    axis = np.linspace(1000, 2500, p)
    centres = np.array([1200.0, 1500.0, 1800.0, 2100.0, 2300.0])
    bands = np.exp(-0.5 * ((axis[None, :] - centres[:, None]) / 100.0) ** 2)
    conc = rng.uniform(0.2, 1.0, (n, centres.size))
    X = conc @ bands + 0.01 * rng.normal(size=(n, p)) + rng.uniform(0, 0.2, (n, 1))
    y = conc[:, 1] * 10 + 0.05 * rng.normal(size=n)
    return X, y, axis, conc


def _vip_loop(w, t, yq):
    """VIP_j = sqrt(p Σ_k SS_k (w_jk/||w_k||)² / Σ_k SS_k), SS_k = Σ_c q_ck² t_kᵀt_k, a loop."""
    p, a = w.shape
    ss = [sum(yq[c, k] ** 2 for c in range(yq.shape[0])) * float(t[:, k] @ t[:, k])
          for k in range(a)]
    out = np.zeros(p)
    for j in range(p):
        acc = 0.0
        for k in range(a):
            acc += ss[k] * (w[j, k] / np.linalg.norm(w[:, k])) ** 2
        out[j] = np.sqrt(p * acc / sum(ss))
    return out


def _independent(pls, Z):
    """Scores, T², Q, leverage and θ from sklearn's fitted matrices, written out."""
    n = Z.shape[0]
    zs = (Z - pls._x_mean) / pls._x_std
    t = zs @ pls.x_rotations_
    cov = np.atleast_2d(np.cov(t, rowvar=False))
    t2 = np.einsum("ij,jk,ik->i", t, np.linalg.inv(cov), t)
    resid = zs - t @ pls.x_loadings_.T
    q = (resid**2).sum(axis=1)
    leverage = 1 / n + np.einsum("ij,jk,ik->i", t, np.linalg.inv(t.T @ t), t)
    lam = np.clip(np.linalg.eigvalsh(resid.T @ resid / (n - 1)), 0, None)
    theta = np.array([lam.sum(), (lam**2).sum(), (lam**3).sum()])
    return t, t2, q, leverage, theta


@pytest.mark.parametrize("make", [
    lambda: PLSRegression(n_components=4),                                  # raw spectra
    lambda: make_pipeline(SNV(), PLSRegression(n_components=3)),
    lambda: make_pipeline(MSC(), PLSRegression(n_components=5, scale=True)),  # scaled X
], ids=["raw", "snv", "msc-scaled"])
def test_regression_interpretation_equals_the_formulas(make):
    X, y, axis, _ = spectra()
    model = make().fit(X, y)
    rows = np.arange(100, 160)
    result = interpret_pls(model, X, y, axis, rows)
    assert result is not None and result.classes is None
    pls = model[-1] if hasattr(model, "steps") else model
    Z = X if not hasattr(model, "steps") else model[:-1].transform(X)
    np.testing.assert_array_equal(result.rows, rows)
    np.testing.assert_array_equal(result.wavelengths, axis)
    # the regression vector, in the units of the preprocessed spectra, reproduces predict
    assert result.regression_vector.shape == (90,)
    np.testing.assert_allclose(Z @ result.regression_vector + result.intercept,
                               model.predict(X).ravel(), rtol=RTOL)
    t, t2, q, leverage, theta = _independent(pls, Z)
    np.testing.assert_allclose(result.scores, t, rtol=RTOL, atol=1e-12)
    np.testing.assert_allclose(result.scores, pls.x_scores_, rtol=1e-7, atol=1e-10)
    np.testing.assert_allclose(result.t2, t2, rtol=RTOL)
    np.testing.assert_allclose(result.q, q, rtol=RTOL)
    np.testing.assert_allclose(result.leverage, leverage, rtol=RTOL)
    np.testing.assert_allclose(result.latent.theta, theta, rtol=1e-8)
    np.testing.assert_array_equal(result.x_loadings, pls.x_loadings_)
    np.testing.assert_array_equal(result.x_weights, pls.x_weights_)
    np.testing.assert_allclose(result.vip, _vip_loop(pls.x_weights_, t, pls.y_loadings_),
                               rtol=RTOL)
    assert np.mean(result.vip**2) == pytest.approx(1.0, rel=RTOL)
    # studentized residuals: e / (s sqrt(1 - h)), s² = SSE / (n - a - 1)
    a = pls.n_components
    e = y - model.predict(X).ravel()
    s = np.sqrt(e @ e / (X.shape[0] - a - 1))
    np.testing.assert_allclose(result.studentized, e / (s * np.sqrt(1 - leverage)), rtol=1e-8)
    for level in LEVELS:
        assert result.limits["t2"][level] == pytest.approx(t2_limit(60, a, level), rel=RTOL)
        assert result.limits["q"][level] == pytest.approx(q_limit(theta, level), rel=1e-8)
    # the latent space a run saves with the model is the one interpreted here
    latent = latent_for_model(model, X, axis)
    assert latent is not None and latent.kind == "pls"
    np.testing.assert_allclose(latent.q(Z), result.q, rtol=RTOL)


def test_plsda_interpretation_has_one_regression_column_per_class():
    X, _, axis, conc = spectra(n=75)
    labels = np.array(["low", "mid", "high"])[np.digitize(conc[:, 2], [0.45, 0.75])]
    model = make_pipeline(CropRange(start=1100, stop=2400, wavelengths=axis),
                          PLSDA(n_components=4)).fit(X, labels)
    result = interpret_pls(model, X, labels, axis, np.arange(75))
    assert result is not None
    assert result.classes == ["high", "low", "mid"]
    Z = model[:-1].transform(X)
    np.testing.assert_array_equal(result.wavelengths, axis[(axis >= 1100) & (axis <= 2400)])
    assert result.regression_vector.shape == (Z.shape[1], 3)
    pls = model[-1].pls_
    decision = Z @ result.regression_vector + result.intercept
    np.testing.assert_allclose(decision, pls.predict(Z), rtol=RTOL, atol=1e-12)
    np.testing.assert_array_equal(np.array(result.classes)[decision.argmax(axis=1)],
                                  model.predict(X))
    t, t2, q, leverage, _ = _independent(pls, Z)
    np.testing.assert_allclose(result.t2, t2, rtol=RTOL)
    np.testing.assert_allclose(result.q, q, rtol=RTOL)
    np.testing.assert_allclose(result.leverage, leverage, rtol=RTOL)
    assert pls.y_loadings_.shape[0] == 3  # VIP sums over the three one-hot columns
    np.testing.assert_allclose(result.vip, _vip_loop(pls.x_weights_, t, pls.y_loadings_),
                               rtol=RTOL)
    assert result.studentized is None
    # a cropping pipeline judged from raw spectra: the same numbers as the interpretation
    latent = latent_for_model(model, X, axis)
    assert latent is not None
    assessed = assess_raw(model, latent, X)
    np.testing.assert_allclose(assessed.q, result.q, rtol=RTOL)
    np.testing.assert_allclose(assessed.t2, result.t2, rtol=RTOL)


def test_only_pls_family_models_are_interpreted():
    X, y, axis, _ = spectra()
    assert is_pls_family(PLSRegression(2).fit(X, y))
    assert is_pls_family(make_pipeline(SNV(), PLSRegression(2)).fit(X, y))
    assert is_pls_family(PLSDA(2).fit(X, y > y.mean()))
    ridge = make_pipeline(SNV(), Ridge()).fit(X, y)
    assert not is_pls_family(ridge)
    assert interpret_pls(ridge, X, y, axis, np.arange(60)) is None
    assert is_pls_family(PLSRegression(2)) and is_pls_family(PLSDA())  # fitted or not
    with pytest.raises(ValueError, match="not fitted"):
        interpret_pls(make_pipeline(SNV(), PLSRegression(2)), X, y, axis, np.arange(60))
