"""A run names the calibration samples outside its models' 99 % T2/Q limits.

The reference is written here from the textbook formulas (scikit-learn's PLS transform for
the scores, scipy for the F and normal quantiles), not from engine.diagnostics.
"""
from __future__ import annotations

import json

import numpy as np
from scipy import stats

from engine.dataset import SpectralDataset
from engine.executor import TaskPool
from engine.run import run
from tests.faulty import failing_model

PLS = {"class": "PLSRegression", "params": {"n_components": 3, "scale": False}}
PIPELINE = [{"branch": [[PLS], ["SNV", {"class": "Ridge", "params": {"alpha": 0.1}}]],
             "n_jobs": 1}]
SPIKED = 7  # a calibration row with a spike


def _dataset() -> SpectralDataset:
    rng = np.random.default_rng(11)
    n, p = 90, 50
    wl = np.linspace(1100, 2500, p)
    conc = rng.uniform(0, 1, size=(n, 3))
    bands = np.stack([np.exp(-((wl - c) / 90) ** 2) for c in (1300, 1700, 2100)])
    X = conc @ bands + 0.3 + rng.normal(0, 0.002, (n, p))
    X[SPIKED, 20] += 0.3
    y = 5 * conc[:, 0] + 2 * conc[:, 1] + rng.normal(0, 0.02, n)
    test = np.arange(n) % 5 == 0
    return SpectralDataset(X=X, wavelengths=wl, targets={"y": y},
                           sample_ids=np.array([f"t{i}" for i in range(n)]), test_mask=test)


def _reference_outliers(pls, X_cal: np.ndarray, level: float = 0.99) -> dict[int, str]:
    """Position in X_cal -> "T2>99%" / "Q>99%" / both, computed from the formulas."""
    n = X_cal.shape[0]
    xs = (X_cal - pls._x_mean) / pls._x_std
    t = xs @ pls.x_rotations_
    np.testing.assert_allclose(t, pls.transform(X_cal), atol=1e-10)  # sklearn's own scores
    a = t.shape[1]
    t2 = np.sum(t**2 / np.var(t, axis=0, ddof=1), axis=1)
    residual = xs - t @ pls.x_loadings_.T
    q = np.sum(residual**2, axis=1)
    lam = np.linalg.eigvalsh(residual.T @ residual / (n - 1))
    th1, th2, th3 = (np.sum(lam**i) for i in (1, 2, 3))
    h0 = 1 - 2 * th1 * th3 / (3 * th2**2)
    if h0 > 0:  # Jackson & Mudholkar (1979)
        c = stats.norm.ppf(level)
        q_lim = th1 * (c * np.sqrt(2 * th2 * h0**2) / th1 + 1
                       + th2 * h0 * (h0 - 1) / th1**2) ** (1 / h0)
    else:  # undefined there: Box (1954), g chi2(h)
        q_lim = th2 / th1 * stats.chi2.ppf(level, th1**2 / th2)
    t2_lim = a * (n - 1) / (n - a) * stats.f.ppf(level, a, n - a)
    out = {}
    for i in range(n):
        broken = (["T2>99%"] if t2[i] > t2_lim else []) + (["Q>99%"] if q[i] > q_lim else [])
        if broken:
            out[i] = "; ".join(broken)
    return out


def test_the_outliers_of_a_pls_branch_match_the_formulas():
    ds = _dataset()
    result = run(PIPELINE, ds, verbose=0, parallel_branches=1)
    pls_branch, ridge_branch = result.branches
    train = ds.train_indices
    pls = pls_branch.model[-1]
    reference = _reference_outliers(pls, ds.X[train])
    got = {o["row"]: o for o in pls_branch.outliers}
    assert sorted(got) == sorted(int(train[i]) for i in reference)
    for i, limit in reference.items():
        entry = got[int(train[i])]
        assert entry["limit"] == limit and entry["id"] == f"t{train[i]}"
    assert "Q>99%" in got[SPIKED]["limit"]
    assert pls_branch.diagnostics.kind == "pls" and pls_branch.diagnostics.n_samples == train.size
    # the Ridge branch is judged in a PCA of its SNV-preprocessed calibration spectra
    assert ridge_branch.diagnostics.kind == "pca" and SPIKED in {o["row"] for o in
                                                                 ridge_branch.outliers}
    doc = json.loads(json.dumps(result.to_json()))
    assert [o["row"] for o in doc["branches"][0]["outliers"]] == sorted(got)
    assert set(doc["branches"][0]["outliers"][0]) == {"id", "row", "t2", "q", "limit"}


def test_excluded_samples_are_not_in_the_calibration_diagnostics():
    ds = _dataset()
    ds.exclude([SPIKED])
    b = run(PIPELINE, ds, verbose=0, parallel_branches=1).branches[0]
    assert SPIKED not in {o["row"] for o in b.outliers}
    assert b.diagnostics.n_samples == ds.n_train


def test_failing_diagnostics_never_fail_the_branch_nor_change_its_metrics(monkeypatch):
    plain = run(PIPELINE, _dataset(), verbose=0, parallel_branches=1)
    import engine.diagnostics

    def broken(*args, **kwargs):
        raise np.linalg.LinAlgError("SVD did not converge")

    monkeypatch.setattr(engine.diagnostics, "calibration_assessment", broken)
    result = run(PIPELINE, _dataset(), verbose=0, parallel_branches=1)
    for a, b in zip(result.branches, plain.branches, strict=True):
        assert a.status == "ok" and a.outliers is None and a.diagnostics is None
        assert a.metrics == b.metrics
        assert any("diagnostics (T2/Q outliers) could not be computed: LinAlgError" in w
                   for w in a.warnings)
    assert json.loads(json.dumps(result.to_json()))["branches"][0]["outliers"] is None


def test_a_failed_branch_has_no_outliers():
    spec = [failing_model()]
    b = run(spec, _dataset(), verbose=0, parallel_branches=1).branches[0]
    assert b.status == "failed" and b.outliers is None and b.to_json()["outliers"] is None


def test_parallel_and_sequential_runs_name_the_same_outliers(monkeypatch):
    import engine.policy as policy

    for name in ("COLD_START_SECONDS", "WARM_START_SECONDS", "TASK_OVERHEAD_SECONDS"):
        monkeypatch.setattr(policy, name, 0.0)
    pool = TaskPool()
    try:
        seq = run(PIPELINE, _dataset(), verbose=0, parallel_branches=1, pool=pool)
        par = run(PIPELINE, _dataset(), verbose=0, parallel_branches=2, pool=pool)
    finally:
        pool.shutdown()
    assert par.parallel[0]["mode"] == "parallel"
    for a, b in zip(seq.branches, par.branches, strict=True):
        assert a.outliers == b.outliers and a.outliers
        for key, value in a.diagnostics.to_arrays().items():
            np.testing.assert_array_equal(value, b.diagnostics.to_arrays()[key])


def test_verbose_2_names_the_outliers():
    lines: list[str] = []
    result = run(PIPELINE, _dataset(), verbose=2, parallel_branches=1, log=lines.append)
    text = lines[-1]
    n = len(result.branches[0].outliers)
    assert "calibration samples outside the 99% T2/Q limits:" in text
    n_cal = result.train_indices.size
    assert f"[1] PLSRegression(n_components=3, scale=False): {n} of {n_cal}: " in text
    assert f"t{SPIKED} (" in text and "diag s" in text
