"""PLS-DA one-vs-rest equals one scikit-learn PLSRegression per class on its 0/1 indicator;
with two classes it predicts as PLS2-DA (engine.models.PLSDA: the one-hot matrix has rank one),
with three it differs; soft membership: one, several or no class per sample."""
from __future__ import annotations

import numpy as np
import pytest
from sklearn.cross_decomposition import PLSRegression

from engine.models import PLSDA, PLSDAOneVsRest


def _three_classes(seed: int = 0, per_class: int = 25, p: int = 30):
    rng = np.random.default_rng(seed)
    axis = np.linspace(0, 1, p)
    bands = [np.exp(-(axis - c) ** 2 / 0.005) for c in (0.2, 0.5, 0.8)]
    X = np.vstack([band + rng.normal(scale=0.05, size=(per_class, p)) for band in bands])
    y = np.repeat(np.array(["a", "b", "c"]), per_class)
    return X, y


@pytest.mark.parametrize("k", [1, 3])
def test_each_class_model_is_a_pls1_on_its_indicator(k):
    X, y = _three_classes()
    X_new, _ = _three_classes(seed=1, per_class=5)
    model = PLSDAOneVsRest(n_components=k).fit(X, y)
    expected = np.column_stack([PLSRegression(k, scale=False).fit(X, (y == c).astype(float))
                                .predict(X_new).ravel() for c in ("a", "b", "c")])
    np.testing.assert_allclose(model.indicator_predictions(X_new), expected, rtol=1e-12,
                               atol=1e-12)
    assert model.predict(X_new).tolist() == np.array(["a", "b", "c"])[
        np.argmax(expected, axis=1)].tolist()
    np.testing.assert_array_equal(model.membership(X_new), expected > 0.5)


def test_two_classes_predict_as_pls2_da_and_three_do_not():
    X, y = _three_classes()
    two = y != "c"
    a = PLSDAOneVsRest(2).fit(X[two], y[two])
    b = PLSDA(2).fit(X[two], y[two])
    np.testing.assert_allclose(a.decision_function(X), b.decision_function(X), rtol=1e-9,
                               atol=1e-12)
    ovr = PLSDAOneVsRest(1).fit(X, y).indicator_predictions(X)
    pls2 = PLSDA(1).fit(X, y).decision_function(X)
    assert np.abs(ovr - pls2).max() > 1e-3


def test_soft_membership_flags_an_unknown_and_an_ambiguous_sample():
    X, y = _three_classes()
    model = PLSDAOneVsRest(3, threshold=0.5).fit(X, y)
    axis = np.linspace(0, 1, X.shape[1])
    unknown = np.zeros((1, X.shape[1]))                          # no band at all
    mixture = (np.exp(-(axis - 0.2) ** 2 / 0.005) + np.exp(-(axis - 0.5) ** 2 / 0.005))[None]
    assert model.membership(unknown).sum() == 0
    assert model.membership(mixture)[0, :2].all()
    assert model.membership(X).sum(axis=1).tolist() == [1] * len(X)
