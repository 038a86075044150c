"""SIMCA against an independent computation: scikit-learn's PCA per class, Hotelling's T² and
Q written out, the F-based T² limit and the Jackson-Mudholkar Q limit from their formulas;
the nearest class by the reduced distance, and soft membership (an unknown material lies
inside no class model)."""
from __future__ import annotations

import numpy as np
import pytest
from scipy import stats
from sklearn.decomposition import PCA

from engine.models import SIMCA


def _classes(seed: int = 0, per_class: int = 30, p: int = 40):
    rng = np.random.default_rng(seed)
    axis = np.linspace(0, 1, p)
    centres = {"wheat": np.exp(-(axis - 0.3) ** 2 / 0.01), "barley": np.exp(-(axis - 0.5) ** 2
                                                                            / 0.01),
               "oats": np.exp(-(axis - 0.7) ** 2 / 0.01)}
    X, y = [], []
    for label, centre in centres.items():
        amounts = rng.normal(size=(per_class, 2)) * [0.3, 0.1]
        X.append(centre + amounts @ np.array([np.ones(p), axis])
                 + rng.normal(scale=0.01, size=(per_class, p)))
        y += [label] * per_class
    return np.vstack(X), np.array(y), axis


def reference(X_cal, y_cal, X, k, level):
    """(reduced T², reduced Q) per class, computed without nirdesk."""
    classes = np.unique(y_cal)
    t2r = np.empty((len(X), classes.size))
    qr = np.empty_like(t2r)
    for c, label in enumerate(classes):
        rows = X_cal[y_cal == label]
        n = len(rows)
        pca = PCA(n_components=k, svd_solver="full").fit(rows)
        var = pca.explained_variance_                             # ddof=1
        t = pca.transform(X)
        t2 = np.sum(t**2 / var, axis=1)
        q = np.sum((X - pca.inverse_transform(t)) ** 2, axis=1)
        t2_lim = k * (n - 1) / (n - k) * stats.f.ppf(level, k, n - k)
        residual = rows - pca.inverse_transform(pca.transform(rows))
        lam = np.linalg.eigvalsh(residual.T @ residual / (n - 1))
        lam = lam[lam > 1e-14 * lam.max()]
        th1, th2, th3 = (np.sum(lam**i) for i in (1, 2, 3))
        h0 = 1 - 2 * th1 * th3 / (3 * th2**2)
        z = stats.norm.ppf(level)
        q_lim = th1 * (z * np.sqrt(2 * th2 * h0**2) / th1 + 1
                       + th2 * h0 * (h0 - 1) / th1**2) ** (1 / h0)
        t2r[:, c], qr[:, c] = t2 / t2_lim, q / q_lim
    return t2r, qr


@pytest.mark.parametrize(("k", "level"), [(1, 0.95), (2, 0.95), (3, 0.99)])
def test_reduced_statistics_and_classes_equal_the_independent_computation(k, level):
    X, y, _ = _classes()
    X_new, _, _ = _classes(seed=1, per_class=10)
    model = SIMCA(n_components=k, level=level).fit(X, y)
    t2r, qr = reference(X, y, X_new, k, level)
    ours_t2, ours_q = model.reduced_statistics(X_new)
    np.testing.assert_allclose(ours_t2, t2r, rtol=1e-7)
    np.testing.assert_allclose(ours_q, qr, rtol=1e-7)
    distance = np.sqrt(t2r**2 + qr**2)
    np.testing.assert_allclose(model.distances(X_new), distance, rtol=1e-7)
    expected = np.unique(y)[np.argmin(distance, axis=1)]
    assert model.predict(X_new).tolist() == expected.tolist()
    np.testing.assert_array_equal(model.membership(X_new), (t2r <= 1) & (qr <= 1))


def test_classes_are_found_and_an_unknown_material_belongs_to_none():
    X, y, axis = _classes()
    X_new, y_new, _ = _classes(seed=2, per_class=10)
    model = SIMCA(n_components=2).fit(X, y)
    assert np.mean(model.predict(X_new) == y_new) == 1.0
    inside = model.membership(X_new)
    own = inside[np.arange(len(y_new)), np.searchsorted(model.classes_, y_new)]
    assert own.mean() > 0.8                                  # ~95 % limits
    stranger = np.exp(-(axis - 0.9) ** 2 / 0.01)[None, :]
    assert not model.membership(stranger).any()


def test_binary_decision_function_follows_sklearns_convention():
    X, y, _ = _classes()
    keep = y != "oats"
    model = SIMCA(2).fit(X[keep], y[keep])
    d = model.distances(X[keep])
    np.testing.assert_allclose(model.decision_function(X[keep]), d[:, 0] - d[:, 1])
    assert model.classes_[(model.decision_function(X[keep]) > 0).astype(int)].tolist() == \
        model.predict(X[keep]).tolist()


def test_a_class_with_one_sample_is_refused_by_name():
    X, y, _ = _classes()
    y = y.copy()
    y[0] = "rye"
    with pytest.raises(ValueError, match="class 'rye' has 1 sample"):
        SIMCA().fit(X, y)
