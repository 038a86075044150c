"""The PCA of many spectra, a block of rows at a time (issue 20): the same numbers as a plain
SVD, its progress, cancel, and no temporary as large as the data."""
from __future__ import annotations

import threading
import tracemalloc

import numpy as np
import pytest
from sklearn.decomposition import PCA

from engine.diagnostics import pca as P
from engine.errors import Cancelled


@pytest.fixture(scope="module")
def spectra() -> np.ndarray:
    rng = np.random.default_rng(8)
    n, p = 5000, 700                  # 5000*700*700 = 2.45e9 > 2e9: the streamed route
    assert P._streamed(n, p)
    grid = np.linspace(0, 1, p)
    conc = rng.uniform(0, 1, (n, 4))
    bands = np.stack([np.exp(-((grid - c) / 0.05) ** 2) for c in (0.2, 0.4, 0.6, 0.8)])
    return conc @ bands + rng.normal(0, 1e-3, (n, p))


def test_streamed_route_equals_a_plain_svd(spectra, monkeypatch):
    monkeypatch.setattr(P, "BLOCK_VALUES", 700 * 333)     # several uneven blocks
    fitted = P.fit_pca(spectra, 4)
    reference = PCA(n_components=20, svd_solver="full").fit(spectra)
    np.testing.assert_allclose(fitted.explained_variance_ratio[:20],
                               reference.explained_variance_ratio_, rtol=1e-8, atol=1e-12)
    signs = np.sign(np.sum(fitted.loadings * reference.components_[:4].T, axis=0))
    np.testing.assert_allclose(fitted.loadings, reference.components_[:4].T * signs, atol=1e-8)
    scores = (spectra - spectra.mean(axis=0)) @ reference.components_[:4].T * signs
    np.testing.assert_allclose(fitted.scores, scores, atol=1e-8)
    residual = spectra - spectra.mean(axis=0) - scores @ (reference.components_[:4].T * signs).T
    np.testing.assert_allclose(fitted.q, np.sum(residual**2, axis=1), rtol=1e-6, atol=1e-12)


def test_rows_fit_those_rows_only(spectra):
    rows = np.flatnonzero(np.arange(spectra.shape[0]) % 7 != 0)
    by_rows = P.fit_pca(spectra, 3, rows=rows)
    copied = P.fit_pca(spectra[rows], 3)
    np.testing.assert_allclose(by_rows.scores, copied.scores, atol=1e-10)
    np.testing.assert_allclose(by_rows.q, copied.q, rtol=1e-9, atol=1e-14)
    assert by_rows.model.n_samples == rows.size


def test_progress_reaches_its_total_and_cancel_stops(spectra, monkeypatch):
    monkeypatch.setattr(P, "BLOCK_VALUES", 700 * 500)
    seen: list[tuple[int, int]] = []
    P.fit_pca(spectra, 2, progress=lambda done, total: seen.append((done, total)))
    assert len(seen) == 3 * 10 and seen[-1] == (3 * 5000, 3 * 5000)
    assert [d for d, _ in seen] == sorted(d for d, _ in seen)
    cancel = threading.Event()

    def stop_half_way(done: int, total: int) -> None:
        if done >= total // 2:
            cancel.set()

    with pytest.raises(Cancelled):
        P.fit_pca(spectra, 2, progress=stop_half_way, cancel=cancel)


def test_missing_values_are_refused_on_the_streamed_route(spectra):
    bad = spectra.copy()
    bad[4321, 5] = np.nan
    with pytest.raises(ValueError, match="missing or infinite"):
        P.fit_pca(bad, 2)


def test_no_temporary_as_large_as_the_data(spectra, monkeypatch):
    monkeypatch.setattr(P, "BLOCK_VALUES", 700 * 500)   # 2.8 MB blocks of a 28 MB matrix
    tracemalloc.start()
    try:
        fitted = P.fit_pca(spectra, 4)
        _, peak = tracemalloc.get_traced_memory()
    finally:
        tracemalloc.stop()
    assert fitted.scores.shape == (5000, 4)
    # two blocks, the p x p cross-product and its eigenvectors, the scores; before: three
    # matrices as large as the data (centred, reconstruction, residuals)
    assert peak < 0.5 * spectra.nbytes, peak / spectra.nbytes


def _snv_pls_on(spectra: np.ndarray, column: int, components: int, every: int, seed: int):
    """(model, rows, axis, z_once, latent_once): SNV + PLS fitted on a target made from one
    column, the calibration rows (all but every ``every``-th) and their one-pass preprocessed
    spectra and latent space, the reference the block routes are compared with."""
    from sklearn.cross_decomposition import PLSRegression
    from sklearn.pipeline import Pipeline

    from engine.diagnostics import latent_from_preprocessed
    from engine.diagnostics.pls import preprocessed
    from engine.operators import SNV

    rng = np.random.default_rng(seed)
    y = spectra[:, column] * 3 + rng.normal(0, 0.01, spectra.shape[0])
    model = Pipeline([("snv", SNV()),
                      ("pls", PLSRegression(n_components=components))]).fit(spectra, y)
    rows = np.flatnonzero(np.arange(spectra.shape[0]) % every != 0)
    axis = np.arange(spectra.shape[1], dtype=float)
    z_once, _ = preprocessed(model, spectra[rows], axis)
    return model, rows, axis, z_once, latent_from_preprocessed(model, z_once, axis)


def test_block_paths_of_the_run_diagnostics_equal_one_pass(spectra, monkeypatch):
    """PLS latent space, projection and preprocessing of many calibration rows, a block of
    rows at a time (run.attach_diagnostics on 100,000 spectra) == the one-pass numbers."""
    import importlib

    # (the package's names ``assess``... are functions: the modules by their full names)
    assess_module = importlib.import_module("engine.diagnostics.assess")
    latent_module = importlib.import_module("engine.diagnostics.latent")
    pls_module = importlib.import_module("engine.diagnostics.pls")
    from engine.diagnostics import latent_from_preprocessed, preprocessed_rows

    model, rows, axis, z_once, latent_once = _snv_pls_on(spectra, 100, 4, every=4, seed=3)
    projected_once = latent_once.project(z_once)
    for module in (latent_module, pls_module, assess_module):
        monkeypatch.setattr(module, "ROWS_AT_ONCE_VALUES", 1000)   # every path in blocks
    Z, _ = preprocessed_rows(model, spectra, rows, axis)
    np.testing.assert_allclose(Z, z_once, rtol=0, atol=1e-12)
    latent = latent_from_preprocessed(model, Z, axis)
    np.testing.assert_allclose(latent.theta, latent_once.theta, rtol=1e-9)
    np.testing.assert_allclose(latent.score_var, latent_once.score_var, rtol=1e-12)
    for got, expected in zip(latent.project(Z), projected_once, strict=True):
        np.testing.assert_allclose(got, expected, rtol=1e-9, atol=1e-14)


def test_a_run_s_pls_diagnostics_of_many_rows_never_hold_the_preprocessed_rows(spectra,
                                                                               monkeypatch):
    """run.attach_diagnostics on many calibration rows: the PLS latent space and the rows'
    T², Q, leverage and flags from blocks preprocessed on the fly equal the one-pass numbers
    (preprocess all rows, latent space, assess), and no array as large as the preprocessed
    rows is made (issue 20: 640 MB of a run's 100,000 x 1,000)."""
    import importlib

    from engine.diagnostics import assess, calibration_assessment

    assess_module = importlib.import_module("engine.diagnostics.assess")
    model, rows, axis, z_once, latent_once = _snv_pls_on(spectra, 300, 5, every=50, seed=5)
    judged_once = assess(latent_once, z_once)

    monkeypatch.setattr(assess_module, "ROWS_AT_ONCE_VALUES", 1000)    # the streamed route
    monkeypatch.setattr(assess_module, "BLOCK_VALUES", 700 * 300)      # in 300-row blocks
    tracemalloc.start()
    try:
        latent, judged = calibration_assessment(model, spectra, rows, axis)
        _, peak = tracemalloc.get_traced_memory()
    finally:
        tracemalloc.stop()
    np.testing.assert_allclose(latent.theta, latent_once.theta, rtol=1e-9)
    np.testing.assert_allclose(latent.score_var, latent_once.score_var, rtol=1e-12)
    for name in ("t2", "q", "leverage"):
        np.testing.assert_allclose(getattr(judged, name), getattr(judged_once, name),
                                   rtol=1e-9, atol=1e-14)
    assert judged.flags == judged_once.flags and judged.n_flagged > 0
    assert (judged.t2_limit, judged.q_limit) == pytest.approx(
        (judged_once.t2_limit, judged_once.q_limit), rel=1e-9)
    # a few 300-row blocks, and the p x p cross-product with its eigenvalue workspace (14 MB
    # of the 27 MB here; 8 MB of the 640 MB at 80,000 x 1,000). One pass holds all of Z.
    assert peak < 0.7 * z_once.nbytes, peak / z_once.nbytes
