"""PLSDA: a sklearn-compatible PLS discriminant analysis classifier."""
from __future__ import annotations

import numpy as np
import pytest
from sklearn.base import clone
from sklearn.model_selection import cross_val_score

from engine.errors import SpecError
from engine.models import PLSDA
from engine.pipeline import parse_pipeline


def _three_blobs(n_per_class: int = 30, seed: int = 0) -> tuple[np.ndarray, np.ndarray]:
    """Separable 'spectra': each class adds its own band to a noisy common signal."""
    rng = np.random.default_rng(seed)
    axis = np.linspace(0, 1, 50)
    bands = [np.exp(-((axis - c) ** 2) / 0.005) for c in (0.2, 0.5, 0.8)]
    X = np.vstack([rng.normal(0, 0.05, (n_per_class, axis.size)) + 1.0 + b for b in bands])
    y = np.repeat(np.array(["low", "mid", "high"]), n_per_class)
    return X, y


def test_separable_classes_are_predicted():
    X, y = _three_blobs()
    model = PLSDA(n_components=3).fit(X, y)
    assert list(model.classes_) == ["high", "low", "mid"]
    assert (model.predict(X) == y).mean() == 1.0
    assert model.decision_function(X).shape == (90, 3)
    assert cross_val_score(PLSDA(n_components=3), X, y, cv=3).min() == 1.0


def test_binary_decision_function_follows_sklearn_convention():
    X, y = _three_blobs()
    keep = y != "mid"
    model = PLSDA(n_components=2).fit(X[keep], y[keep])
    scores = model.decision_function(X[keep])
    assert scores.shape == (keep.sum(),)
    assert np.array_equal(model.classes_[(scores > 0).astype(int)], model.predict(X[keep]))


def test_integer_labels_and_clone():
    X, y = _three_blobs()
    codes = np.unique(y, return_inverse=True)[1] + 10
    model = clone(PLSDA(n_components=3, scale=True)).fit(X, codes)
    assert model.predict(X).dtype == codes.dtype
    assert (model.predict(X) == codes).all()


def test_single_class_is_refused():
    X, _ = _three_blobs()
    with pytest.raises(ValueError, match="at least 2 classes"):
        PLSDA().fit(X[:5], np.zeros(5))


def test_registry_name_and_spec_validation():
    p = parse_pipeline(["SNV", {"class": "PLSDA", "params": {"n_components": 3}}])
    assert p.branches[0].name == "SNV > PLSDA(n_components=3)"
    with pytest.raises(SpecError, match="'n_components' parameter of PLSDA"):
        parse_pipeline([{"class": "PLSDA", "params": {"n_components": 0}}])
