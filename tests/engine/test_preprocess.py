"""engine.pipeline.preprocess_branch: a branch's preprocessing on every spectrum, fitted on the
training rows only, the x axis following the operators that change it -- checked against an
independent plain numpy/scikit-learn computation (tests/reference.py) for each source it
accepts: a branch being run, a fitted pipeline (no refit) and a reloaded branch's JSON steps
with its tuned parameters."""
from __future__ import annotations

import threading

import numpy as np
import pytest
from sklearn.cross_decomposition import PLSRegression

from engine.executor import Cancelled
from engine.pipeline import build_pipeline, parse_pipeline, preprocess_branch
from tests.reference import RefMSC, RefSNV, read_folder

CROP = {"class": "CropRange", "params": {"start": 900, "stop": 1000}}
PLS3 = {"class": "PLSRegression", "params": {"n_components": 3}}


@pytest.fixture(scope="module")
def tecator(tecator_dir):
    X, y, wl, test = read_folder(tecator_dir)
    return X, y, wl, np.flatnonzero(~test)


def _detrend(X, axis, order):
    """Each spectrum minus its least-squares polynomial in the wavelength (the axis has
    uneven steps, so the column index would not do)."""
    t = (axis - axis.mean()) / axis.std()
    return np.array([row - np.polyval(np.polyfit(t, row, order), t) for row in X])


def _one_branch(spec):
    [branch] = parse_pipeline(spec).branches
    return branch


def test_crop_then_snv_then_msc_fitted_on_the_training_rows(tecator):
    X, y, wl, train = tecator
    branch = _one_branch([CROP, "SNV", "MSC", PLS3])
    Z, axis = preprocess_branch(branch, X, wl, train_indices=train, y=y)
    keep = (wl >= 900) & (wl <= 1000)
    np.testing.assert_array_equal(axis, wl[keep])               # the axis followed the crop
    snv = RefSNV().transform(X[:, keep])
    expected = RefMSC().fit(snv[train]).transform(snv)          # MSC's reference: train rows
    assert Z.shape == (X.shape[0], keep.sum())
    np.testing.assert_allclose(Z, expected, rtol=1e-9, atol=1e-9)
    everyone = RefMSC().fit(snv).transform(snv)
    assert not np.allclose(Z, everyone)                         # the test rows did not count


def test_a_fitted_pipeline_transforms_as_fitted_without_a_refit(tecator):
    X, y, wl, _ = tecator
    pipeline = build_pipeline(_one_branch(["MSC", "Detrend", PLS3]), wl, 0)
    first = np.arange(40)
    pipeline.fit(X[first], y[first])          # fitted on 40 rows, NOT on the training rows
    Z, axis = preprocess_branch(pipeline, X, wl)
    expected = _detrend(RefMSC().fit(X[first]).transform(X), wl, 1)
    np.testing.assert_allclose(Z, expected, rtol=1e-8, atol=1e-8)
    np.testing.assert_array_equal(axis, wl)
    # the model itself is left out: Z is spectra, not PLS scores
    assert Z.shape == X.shape
    scores = PLSRegression(n_components=3).fit(expected[first], y[first]).transform(expected)
    assert scores.shape[1] == 3 != Z.shape[1]


def test_saved_json_steps_with_best_params_are_rebuilt_as_the_refit_was(tecator):
    X, y, wl, train = tecator
    steps = [CROP, {"class": "Detrend", "params": {"order": 1}},
             {"model": {"class": "PLSRegression"},
              "finetune_params": {"model_params": {"Detrend__order": ["int", 1, 3],
                                                   "n_components": ["int", 1, 8]}}}]
    Z, axis = preprocess_branch(steps, X, wl, train_indices=train, y=y,
                                best_params={"Detrend__order": 2, "n_components": 4})
    keep = (wl >= 900) & (wl <= 1000)
    np.testing.assert_allclose(Z, _detrend(X[:, keep], wl[keep], 2), rtol=1e-8, atol=1e-8)
    np.testing.assert_array_equal(axis, wl[keep])
    plain, _ = preprocess_branch(steps, X, wl, train_indices=train, y=y)
    np.testing.assert_allclose(plain, _detrend(X[:, keep], wl[keep], 1), rtol=1e-8,
                               atol=1e-8)


def test_no_training_row_cancel_and_wrong_sources_are_refused(tecator):
    X, _y, wl, train = tecator
    branch = _one_branch(["SNV", PLS3])
    with pytest.raises(ValueError, match="no training rows"):
        preprocess_branch(branch, X, wl, train_indices=np.array([], dtype=int))
    cancel = threading.Event()
    cancel.set()
    with pytest.raises(Cancelled):
        preprocess_branch(branch, X, wl, train_indices=train, cancel=cancel)
    with pytest.raises(ValueError, match="make 2 branches"):
        preprocess_branch([{"branch": [["SNV"], ["MSC"]]}, PLS3], X, wl, train_indices=train)
    with pytest.raises(TypeError, match="ConcreteBranch"):
        preprocess_branch("SNV", X, wl, train_indices=train)
