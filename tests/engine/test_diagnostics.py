"""engine.diagnostics: the T² and Q limits, the LatentModel's T², Q and leverage, PCA and the
outlier assessment, each checked against an independent computation written out here (plain
numpy/scipy formulas, scikit-learn's PCA up to sign) to 1e-9."""
from __future__ import annotations

import io
import threading

import numpy as np
import pytest
from scipy import stats
from sklearn.decomposition import PCA
from sklearn.linear_model import Ridge
from sklearn.pipeline import make_pipeline
from sklearn.preprocessing import StandardScaler

from engine.dataset import SpectralDataset
from engine.diagnostics import (
    FLAG_LEVEL,
    LatentModel,
    assess,
    assess_raw,
    explore_pca,
    fit_pca,
    latent_for_model,
    outliers,
    q_limit,
    residual_theta,
    t2_limit,
)
from engine.errors import Cancelled
from engine.pipeline import preprocess_branch

RTOL = 1e-9


def spectra(n=60, p=80, rank=4, noise=0.01, seed=0):
    """Smooth spectra: a few Gaussian bands with random intensities plus white noise."""
    rng = np.random.default_rng(seed)
    axis = np.linspace(1000, 2500, p)
    centres = rng.uniform(1100, 2400, rank)
    bands = np.exp(-0.5 * ((axis[None, :] - centres[:, None]) / 120.0) ** 2)
    X = rng.lognormal(0, 0.4, (n, rank)) @ bands + noise * rng.normal(size=(n, p))
    return X + 0.3, axis


# -- the limits, from the quantiles written out ---------------------------------------------
def _f_quantile(level, d1, d2):
    """F quantile through the Beta distribution: F = (d2 / d1) B / (1 - B), B ~ Beta(d1/2, d2/2)."""
    b = stats.beta.ppf(level, d1 / 2, d2 / 2)
    return d2 / d1 * b / (1 - b)


@pytest.mark.parametrize(("n", "a", "level"), [(30, 1, 0.95), (50, 3, 0.99), (400, 10, 0.99),
                                               (12, 11, 0.95)])
def test_t2_limit_is_jacksons_f_limit(n, a, level):
    expected = a * (n - 1) / (n - a) * _f_quantile(level, a, n - a)
    assert t2_limit(n, a, level) == pytest.approx(expected, rel=RTOL)


def test_t2_limit_refuses_impossible_models():
    for n, a, level in [(5, 5, 0.95), (5, 0, 0.95), (30, 2, 1.0), (30, 2, 0.0)]:
        with pytest.raises(ValueError):
            t2_limit(n, a, level)


def _theta_by_eigen(resid):
    lam = np.linalg.eigvalsh(resid.T @ resid / (resid.shape[0] - 1))
    lam = np.clip(lam, 0, None)
    return np.array([lam.sum(), (lam**2).sum(), (lam**3).sum()])


def test_residual_theta_is_sums_of_eigenvalue_powers():
    rng = np.random.default_rng(1)
    resid = rng.normal(size=(40, 15)) * np.linspace(0.1, 3, 15)
    np.testing.assert_allclose(residual_theta(resid), _theta_by_eigen(resid), rtol=RTOL)
    wide = rng.normal(size=(8, 30))  # fewer rows than columns: only 8 non-zero eigenvalues
    np.testing.assert_allclose(residual_theta(wide), _theta_by_eigen(wide), rtol=RTOL)


def test_q_limit_jackson_mudholkar_and_box_formulas():
    lam = np.array([2.0, 1.0, 0.5, 0.25, 0.1])
    theta = np.array([lam.sum(), (lam**2).sum(), (lam**3).sum()])
    t1, t2, t3 = theta
    for level in (0.95, 0.99):
        h0 = 1 - 2 * t1 * t3 / (3 * t2**2)
        assert h0 > 0
        c = stats.norm.ppf(level)
        jm = t1 * (c * np.sqrt(2 * t2 * h0**2) / t1 + 1 + t2 * h0 * (h0 - 1) / t1**2) ** (1 / h0)
        assert q_limit(theta, level) == pytest.approx(jm, rel=RTOL)
        # Box: g chi2(h) written as a Gamma(h/2, scale 2g) quantile
        g, h = t2 / t1, t1**2 / t2
        box = stats.gamma.ppf(level, h / 2, scale=2 * g)
        assert q_limit(theta, level, method="box") == pytest.approx(box, rel=RTOL)
        # two approximations of one distribution: close, not equal (5 unequal eigenvalues
        # are a hard case; the simulation test below checks both against the truth)
        assert jm == pytest.approx(box, rel=0.03 if level == 0.95 else 0.12)


@pytest.mark.parametrize(("lam", "level", "rel"), [
    (np.array([1.0, 0.6, 0.3, 0.2, 0.1, 0.05]), 0.95, 0.03),
    (np.array([1.0, 0.6, 0.3, 0.2, 0.1, 0.05]), 0.99, 0.07),
    (np.linspace(1.0, 0.1, 30), 0.99, 0.01),
])
def test_q_limit_matches_the_simulated_quantile_of_a_weighted_chi_square(lam, level, rel):
    """Q = Σ λ_j z_j² for normal z (what Q is when the residuals are normal): its simulated
    quantile lies close to both approximations, closer as the eigenvalues get more even."""
    theta = np.array([lam.sum(), (lam**2).sum(), (lam**3).sum()])
    z = np.random.default_rng(2).normal(size=(400_000, lam.size))
    simulated = np.quantile((z**2) @ lam, level)
    assert q_limit(theta, level) == pytest.approx(simulated, rel=rel)
    assert q_limit(theta, level, method="box") == pytest.approx(simulated, rel=rel)


def test_q_limit_falls_back_to_box_when_h0_is_not_positive():
    lam = np.array([10.0] + [0.05] * 500)  # one dominant eigenvalue among many small ones
    theta = np.array([lam.sum(), (lam**2).sum(), (lam**3).sum()])
    assert 1 - 2 * theta[0] * theta[2] / (3 * theta[1] ** 2) <= 0
    assert q_limit(theta, 0.99) == q_limit(theta, 0.99, method="box")
    assert q_limit(np.zeros(3), 0.99) == 0.0
    with pytest.raises(ValueError, match="unknown Q limit method"):
        q_limit(theta, 0.99, method="chi")


# -- PCA against scikit-learn and the formulas -----------------------------------------------
def _same_up_to_sign(a, b):
    signs = np.sign(np.sum(a * b, axis=0))
    np.testing.assert_allclose(a * signs, b, rtol=RTOL, atol=RTOL * np.abs(b).max())


@pytest.mark.parametrize(("n", "p"), [(60, 80), (200, 40)])  # wide and tall
def test_pca_scores_loadings_variance_equal_sklearn(n, p):
    X, axis = spectra(n=n, p=p)
    result = fit_pca(X, 3, wavelengths=axis)
    reference = PCA(n_components=min(n, p), svd_solver="full").fit(X)
    _same_up_to_sign(result.loadings, reference.components_[:3].T)
    _same_up_to_sign(result.scores, reference.transform(X)[:, :3])
    k = result.explained_variance_ratio.size
    assert k >= 3
    np.testing.assert_allclose(result.explained_variance_ratio,
                               reference.explained_variance_ratio_[:k], rtol=RTOL)
    np.testing.assert_allclose(result.model.score_var, reference.explained_variance_[:3],
                               rtol=RTOL)
    np.testing.assert_array_equal(result.model.wavelengths, axis)


def _independent_statistics(Xcal, Xnew, a):
    """T², Q and leverage from an eigen-decomposition of the covariance matrix, the inverse of
    the score covariance and the hat matrix t (TᵀT)⁻¹ tᵀ."""
    n = Xcal.shape[0]
    mean = Xcal.mean(axis=0)
    lam, vec = np.linalg.eigh(np.cov(Xcal, rowvar=False))
    order = np.argsort(lam)[::-1]
    lam, load = lam[order], vec[:, order[:a]]
    t_cal = (Xcal - mean) @ load
    t = (Xnew - mean) @ load
    score_cov = np.cov(t_cal, rowvar=False).reshape(a, a)
    t2 = np.einsum("ij,jk,ik->i", t, np.linalg.inv(score_cov), t)
    resid = (Xnew - mean) - t @ load.T
    q = np.sum(resid**2, axis=1)
    leverage = 1 / n + np.einsum("ij,jk,ik->i", t, np.linalg.inv(t_cal.T @ t_cal), t)
    left = np.clip(lam[a:], 0, None)
    theta = np.array([left.sum(), (left**2).sum(), (left**3).sum()])
    return t2, q, leverage, theta


def test_pca_t2_q_leverage_and_theta_equal_the_formulas():
    X, axis = spectra(n=70, p=50, noise=0.05)
    new, _ = spectra(n=9, p=50, noise=0.05, seed=5)
    result = fit_pca(X, 3, wavelengths=axis)
    t2, q, leverage, theta = _independent_statistics(X, X, 3)
    np.testing.assert_allclose(result.t2, t2, rtol=RTOL)
    np.testing.assert_allclose(result.q, q, rtol=RTOL)
    np.testing.assert_allclose(result.leverage, leverage, rtol=RTOL)
    np.testing.assert_allclose(result.model.theta, theta, rtol=1e-8)
    t2n, qn, levn, _ = _independent_statistics(X, new, 3)
    np.testing.assert_allclose(result.model.t2(new), t2n, rtol=RTOL)
    np.testing.assert_allclose(result.model.q(new), qn, rtol=RTOL)
    np.testing.assert_allclose(result.model.leverage(new), levn, rtol=RTOL)
    # the limits the model gives are those of the formulas with its n, a and θ
    assert result.model.t2_limit(0.99) == pytest.approx(t2_limit(70, 3, 0.99), rel=RTOL)
    assert result.model.q_limit(0.95) == pytest.approx(q_limit(theta, 0.95), rel=1e-8)
    # θ of the explicit residual matrix equals θ of the left-out eigenvalues
    resid = (X - X.mean(0)) - result.scores @ result.loadings.T
    np.testing.assert_allclose(residual_theta(resid), result.model.theta, rtol=1e-8)


def test_pca_mean_leverage_is_components_plus_one_over_n():
    X, _ = spectra(n=50, p=30)
    result = fit_pca(X, 4)
    assert result.leverage.sum() == pytest.approx(1 + 4, rel=RTOL)  # trace of the hat matrix


def test_pca_automatic_choice_is_the_first_to_reach_99_percent():
    X, _ = spectra(n=80, p=60, rank=3, noise=0.001)
    result = fit_pca(X)
    ratio = PCA().fit(X).explained_variance_ratio_
    expected = int(np.argmax(np.cumsum(ratio) >= 0.99)) + 1
    assert result.model.n_components == min(expected, 10)
    assert 1 <= expected <= 3
    # many equal components: the cap of 10 applies
    noise = np.random.default_rng(0).normal(size=(100, 40))
    assert fit_pca(noise).model.n_components == 10
    assert fit_pca(noise[:6]).model.n_components <= 5  # and n - 1


def test_pca_refuses_bad_input():
    X, _ = spectra(n=10, p=20)
    with pytest.raises(ValueError, match="between 1 and 9"):
        fit_pca(X, 10)
    with pytest.raises(ValueError, match="do not vary"):
        fit_pca(np.ones((5, 4)))
    with pytest.raises(ValueError, match="missing"):
        fit_pca(np.where(X > 1, np.nan, X))


# -- LatentModel saving ----------------------------------------------------------------------
def test_latent_model_round_trips_through_npz_without_pickle():
    X, axis = spectra()
    model = fit_pca(X, 3, wavelengths=axis).model
    buffer = io.BytesIO()
    np.savez(buffer, **model.to_arrays())
    buffer.seek(0)
    with np.load(buffer, allow_pickle=False) as data:
        back = LatentModel.from_arrays(dict(data))
    assert back.kind == "pca" and back.n_samples == model.n_samples
    np.testing.assert_array_equal(back.t2(X), model.t2(X))
    np.testing.assert_array_equal(back.q(X), model.q(X))
    assert back.q_limit(0.99) == model.q_limit(0.99)


def test_latent_model_from_arrays_refuses_bad_shapes():
    X, axis = spectra()
    good = fit_pca(X, 3, wavelengths=axis).model.to_arrays()
    for key, value in [("mean", np.zeros(5)), ("rotations", np.zeros((80, 2))),
                       ("theta", np.zeros(2)), ("score_var", np.zeros(4)),
                       ("n_samples", np.array(3)), ("kind", np.array(7)),
                       ("format", np.array(99)), ("mean", np.array(["a"] * 80))]:
        with pytest.raises(ValueError):
            LatentModel.from_arrays({**good, key: value})
    missing = dict(good)
    del missing["theta"]
    with pytest.raises(ValueError, match="theta"):
        LatentModel.from_arrays(missing)


def test_latent_model_names_a_column_mismatch():
    X, _ = spectra()
    model = fit_pca(X, 2).model
    with pytest.raises(ValueError, match="columns"):
        model.t2(X[:, :10])


# -- assessment ------------------------------------------------------------------------------
def test_assess_flags_the_limits_broken_in_ascii():
    X, _ = spectra(n=80, p=60, noise=0.02)
    model = fit_pca(X, 3).model
    far = X[:3].copy()
    far[0] += 50 * np.std(X, axis=0)          # off the model plane: Q
    far[1] = X.mean(0) + 6 * (X[1] - X.mean(0))  # along the model, far out: T²
    result = assess(model, far)
    assert result.level == FLAG_LEVEL
    assert result.t2_limit == model.t2_limit(0.99) and result.q_limit == model.q_limit(0.99)
    for i in range(3):
        expected = "; ".join((["T2>99%"] if result.t2[i] > result.t2_limit else [])
                             + (["Q>99%"] if result.q[i] > result.q_limit else []))
        assert result.flags[i] == expected
    assert "Q>99%" in result.flags[0]
    assert "T2>99%" in result.flags[1]
    assert assess(model, far, level=0.95).flags[0].endswith("Q>95%")
    found = outliers(result, ["a", "b", "c"], rows=[10, 11, 12])
    assert [f["row"] for f in found] == [10 + i for i in range(3) if result.flags[i]]
    first = found[0]
    assert first == {"id": "a", "row": 10, "t2": float(result.t2[0]), "q": float(result.q[0]),
                     "limit": result.flags[0]}
    # dataset-wide ids indexed by rows
    ids = [f"s{i}" for i in range(20)]
    assert outliers(result, ids, rows=[10, 11, 12])[0]["id"] == "s10"


def test_a_model_that_reconstructs_its_calibration_exactly_does_not_flag_it_for_rounding():
    X, _ = spectra(n=5, p=30)
    model = fit_pca(X, 4).model          # 5 centred rows have 4 dimensions: Q = 0 up to rounding
    assert model.q_limit(0.99) < 1e-20  # rounding only
    assert not any("Q" in flag for flag in assess(model, X).flags)
    other, _ = spectra(n=3, p=30, seed=9)
    assert all("Q>99%" in flag for flag in assess(model, other).flags)


def test_latent_for_a_non_pls_model_is_the_automatic_pca_of_its_preprocessed_spectra():
    X, axis = spectra(n=50, p=40)
    y = X[:, 5] * 3 + 1
    model = make_pipeline(StandardScaler(), Ridge()).fit(X, y)
    latent = latent_for_model(model, X, axis)
    Z, _ = preprocess_branch(model, X, axis)
    expected = fit_pca(Z).model
    assert latent is not None and latent.kind == "pca"
    assert latent.n_components == expected.n_components
    np.testing.assert_allclose(latent.t2(Z), expected.t2(Z), rtol=RTOL)
    np.testing.assert_allclose(assess_raw(model, latent, X).q, expected.q(Z), rtol=RTOL,
                               atol=1e-12)
    assert latent_for_model(model, X[:2], axis) is None


# -- explore_pca on a dataset ----------------------------------------------------------------
def _dataset(n=40, p=50, excluded=None):
    X, axis = spectra(n=n, p=p)
    test = np.zeros(n, dtype=bool)
    test[-8:] = True
    data = SpectralDataset(X=X, wavelengths=axis, targets={"y": X[:, 3]},
                           sample_ids=np.array([f"s{i}" for i in range(n)]), test_mask=test)
    if excluded is not None:
        data.exclude(excluded)
    return data


def test_explore_pca_fits_without_the_excluded_rows_and_projects_all():
    data = _dataset(excluded=[0, 5])
    result, axis = explore_pca(data, n_components=3)
    keep = np.setdiff1d(np.arange(40), [0, 5])
    np.testing.assert_array_equal(result.fit_rows, keep)
    alone = fit_pca(data.X[keep], 3)
    np.testing.assert_array_equal(axis, data.wavelengths)
    assert result.scores.shape == (40, 3) and result.t2.shape == (40,)
    np.testing.assert_allclose(result.t2[keep], alone.t2, rtol=RTOL)
    np.testing.assert_allclose(result.q[keep], alone.q, rtol=RTOL)
    np.testing.assert_allclose(result.t2[[0, 5]], alone.model.t2(data.X[[0, 5]]), rtol=RTOL)
    np.testing.assert_allclose(result.q[[0, 5]], alone.model.q(data.X[[0, 5]]), rtol=RTOL)
    np.testing.assert_allclose(result.scores[[0, 5]], alone.model.scores(data.X[[0, 5]]),
                               rtol=RTOL)
    np.testing.assert_allclose(result.leverage[[0, 5]],
                               alone.model.leverage(data.X[[0, 5]]), rtol=RTOL)
    assert result.model.n_samples == 38


def test_explore_pca_after_a_branch_preprocessing():
    data = _dataset()
    steps = [{"class": "SNV"}, {"class": "PLSRegression", "params": {"n_components": 2}}]
    result, axis = explore_pca(data, steps)
    Z, expected_axis = preprocess_branch(steps, data.X, data.wavelengths,
                                         train_indices=data.train_indices, y=data.y)
    np.testing.assert_array_equal(axis, expected_axis)
    alone = fit_pca(Z)
    assert result.model.n_components == alone.model.n_components
    np.testing.assert_allclose(result.q, alone.q, rtol=RTOL, atol=1e-15)


def test_explore_pca_stops_when_cancelled():
    cancel = threading.Event()
    cancel.set()
    with pytest.raises(Cancelled):
        explore_pca(_dataset(), cancel=cancel)


@pytest.mark.parametrize(("n", "p"), [(300, 60), (40, 200)])  # tall and wide
def test_the_cross_product_route_for_large_data_gives_the_same_pca(monkeypatch, n, p):
    """Large data takes the eigen-decomposition of the smaller cross-product matrix (faster);
    forced here on small data, it gives the QR + SVD route's numbers."""
    import engine.diagnostics.pca as pca_module

    X, axis = spectra(n=n, p=p, noise=0.02)
    exact = fit_pca(X, 4, wavelengths=axis)
    monkeypatch.setattr(pca_module, "_EXACT_BELOW", 0)
    fast = fit_pca(X, 4, wavelengths=axis)
    np.testing.assert_allclose(fast.loadings, exact.loadings, rtol=1e-9, atol=1e-12)
    np.testing.assert_allclose(fast.scores, exact.scores, rtol=1e-9, atol=1e-12)
    np.testing.assert_allclose(fast.explained_variance_ratio[:6],
                               exact.explained_variance_ratio[:6], rtol=1e-9)
    np.testing.assert_allclose(fast.t2, exact.t2, rtol=1e-9)
    np.testing.assert_allclose(fast.q, exact.q, rtol=1e-9)
    np.testing.assert_allclose(fast.model.theta, exact.model.theta, rtol=1e-7)
    assert fast.model.n_components == exact.model.n_components
