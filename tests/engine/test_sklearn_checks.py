"""scikit-learn's own estimator checks (``parametrize_with_checks``) on every registered
nirdesk estimator: each operator and PLSDA (splitters are not estimators).

The list comes from the registry, so a new nirdesk step is checked as soon as it has an
entry. sklearn's checks fit on tiny data (2 to 10 columns, sometimes 1 row), so a step whose
default parameters need wider spectra (a Savitzky-Golay window of 11) is checked with the
smallest parameters that make sense (CHECK_PARAMS); everything else uses its defaults.
"""
from __future__ import annotations

import os
import warnings

import numpy as np
import pytest
from sklearn.utils.estimator_checks import parametrize_with_checks

from engine.operators import orthogonal
from engine.registry import registry_entries

#: Parameters that suit sklearn's tiny check data (the defaults assume hundreds of columns).
CHECK_PARAMS = {
    "SavitzkyGolay": {"window_length": 1, "polyorder": 0},
    "FirstDerivative": {"window_length": 3, "polyorder": 1},
    "SecondDerivative": {"window_length": 3, "polyorder": 2},
    "EMSC": {"order": 0},
    "Whittaker": {"order": 1},
    "ModPoly": {"order": 1},
    "Resample": {"step": 0.5},
    "EPO": {"n_components": 1},
    "SelectRanges": {"ranges": [[0, 1]]},
    # fewer Monte Carlo runs: 50 runs x 6 PLS fits per check fit made CARS's checks ~50 s
    "CARS": {"n_runs": 5},
    "MCUVE": {"n_runs": 10},
}

#: The narrowest spectra each step can work on. A few of sklearn's checks fit on 2 columns
#: only (make_blobs' default); for these steps they do not apply: a derivative window of 3
#: points or the ALS second difference cannot exist on 2 columns, and the step refuses with
#: a ValueError naming n_features (as sklearn's own check_fit2d_1feature expects of narrow
#: input). What those checks test is tested on wider data: fit returning self, idempotent
#: fits, untouched parameters and read-only input in tests/engine/test_operators.py
#: (test_fit_returns_self_is_idempotent_and_keeps_params, test_input_untouched...), and
#: n_features_in_ by sklearn's check_n_features_in_after_fitting here.
MIN_COLUMNS = {"FirstDerivative": 3, "SecondDerivative": 3, "Baseline": 3, "AirPLS": 3,
               "ArPLS": 3}
TWO_COLUMN_CHECKS = ("check_fit_check_is_fitted", "check_n_features_in",
                     "check_estimators_overwrite_params", "check_estimators_fit_returns_self",
                     "check_readonly_memmap_input", "check_fit_idempotent")


#: Checks that cannot apply to one step, each with its reason (sklearn's xfail mechanism).
#: - The reflectance conversions refuse values <= 0 (log10(1/R) and (1-R)^2/2R are undefined
#:   at 0), and sklearn makes its "positive only" data with ``X - X.min()``, which puts an
#:   exact 0 in every data set; so every check that fits on such data cannot apply. What those
#:   checks test is tested on reflectance in tests/engine/test_operators_conversion.py and the
#:   shared contract tests. check_positive_only_tag_during_fit wants sklearn's own wording
#:   ("Negative values in data"); nirdesk's refusal names the row and column instead.
#: - EMSC: sklearn's data is standardised, so the mean reference spectrum is 0 and EMSC refuses
#:   it (no scatter gain can be estimated against a zero spectrum).
#: - airPLS, arPLS, ModPoly iterate per spectrum inside transform, until each spectrum
#:   converges: there is no single n_iter_ that fit could report.
_ZERO_IN_DATA = "sklearn's positive data (X - X.min()) holds a 0, where R -> absorbance is " \
    "undefined and refused"
_CONVERSION_CHECKS = (
    "check_fit_score_takes_y", "check_estimators_overwrite_params",
    "check_dont_overwrite_parameters", "check_estimators_fit_returns_self",
    "check_readonly_memmap_input", "check_n_features_in_after_fitting",
    "check_estimators_dtypes", "check_dtype_object", "check_pipeline_consistency",
    "check_estimators_nan_inf", "check_estimators_pickle",
    "check_f_contiguous_array_estimator", "check_transformer_data_not_an_array",
    "check_transformer_general", "check_transformer_preserve_dtypes",
    "check_methods_sample_order_invariance", "check_methods_subset_invariance",
    "check_fit2d_1sample", "check_fit2d_1feature", "check_dict_unchanged",
    "check_fit_idempotent", "check_fit_check_is_fitted", "check_n_features_in",
    "check_fit2d_predict1d")
_CONVERSION = {**{c: _ZERO_IN_DATA for c in _CONVERSION_CHECKS},
               "check_positive_only_tag_during_fit": "nirdesk's refusal names the row and "
               "column of the value <= 0 instead of sklearn's 'Negative values in data'"}
_PER_ITERATION = {"check_transformer_n_iter": "iterates per spectrum in transform until each "
                  "converges; there is no single n_iter_ for fit to report"}
NOT_APPLICABLE: dict[str, dict[str, str]] = {
    "Absorbance": _CONVERSION,
    "KubelkaMunk": _CONVERSION,
    "EMSC": {c: "sklearn's data is standardised: the mean reference spectrum is 0, which EMSC "
             "refuses (no scatter gain)" for c in (
                 "check_transformer_data_not_an_array", "check_transformer_general",
                 "check_transformer_preserve_dtypes")},
    # PCR(2) keeps the 2 largest-variance directions of sklearn's standardised 10-column
    # data, which need not hold its one informative column (R² > 0.5 is asked); with 5
    # components it passes. PCR's fit is tested against PCA + LinearRegression instead.
    "PCR": {"check_regressors_train": "2 principal components of sklearn's standardised "
            "random columns need not span its one informative column"},
    "AirPLS": _PER_ITERATION,
    "ArPLS": _PER_ITERATION,
    "ModPoly": _PER_ITERATION,
}


class EPO(orthogonal.EPO):
    """EPO as sklearn's checks can fit it: its difference spectra must be as wide as the
    data, and the checks fit on 1 to 10 columns; so without given ones this test double
    draws three fixed random difference spectra as wide as each check's data. Everything
    else (validation, fit/transform, n_features_in_, dtypes, pickling) is the real EPO's;
    the real one's refusal without differences is tested in test_operators_orthogonal."""

    def _check_n_features(self, n_features: int) -> None:
        if self.differences is not None:
            super()._check_n_features(n_features)

    def _fit(self, X):
        if self.differences is not None:
            return super()._fit(X)
        self.differences = np.random.default_rng(0).normal(size=(3, X.shape[1]))
        try:
            super()._fit(X)
        finally:
            self.differences = None
        return None


#: Stand-ins for steps whose parameters must match the data's width (see EPO above).
CHECK_CLASSES = {"EPO": EPO}


def nirdesk_estimators() -> list:
    return [CHECK_CLASSES.get(e.name, e.load())(**CHECK_PARAMS.get(e.name, {}))
            for e in registry_entries()
            if e.path.startswith("engine.") and e.kind != "splitter"]


def expected_failures(estimator) -> dict[str, str]:
    """sklearn's mechanism for checks that do not apply (parametrize_with_checks'
    expected_failed_checks; sklearn >= 1.6 has no xfail tag any more)."""
    name = type(estimator).__name__
    failures = dict(NOT_APPLICABLE.get(name, {}))
    minimum = MIN_COLUMNS.get(name)
    if minimum is not None and minimum > 2:
        failures.update({check: f"needs at least {minimum} columns; the check fits on 2"
                         for check in TWO_COLUMN_CHECKS})
    return failures


def test_every_registered_nirdesk_estimator_is_checked():
    names = {type(est).__name__ for est in nirdesk_estimators()}
    assert names == {e.name for e in registry_entries()
                     if e.path.startswith("engine.") and e.kind != "splitter"}
    assert {"SNV", "MSC", "Detrend", "SavitzkyGolay", "FirstDerivative", "SecondDerivative",
            "Normalize", "CropRange", "Baseline", "PLSDA"} <= names


def _runs_here(param) -> bool:
    """False for the array-API checks when SCIPY_ARRAY_API is not set: sklearn would skip
    every one of them here; where the environment sets it, they run. (Without pandas, the
    DataFrame half of check_classifier_data_not_an_array is sklearn's one remaining skip; its
    NotAnArray half runs first.)"""
    check = (param.values if hasattr(param, "values") else param)[1]
    name = getattr(check, "func", check).__name__
    return "array_api" not in name or bool(os.environ.get("SCIPY_ARRAY_API"))


_CHECKS = parametrize_with_checks(nirdesk_estimators(), expected_failed_checks=expected_failures,
                                  xfail_strict=True)


@pytest.mark.parametrize(_CHECKS.args[0], [p for p in _CHECKS.args[1] if _runs_here(p)],
                         **_CHECKS.kwargs)
def test_sklearn_estimator_checks(estimator, check) -> None:
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")   # PLS convergence warnings on sklearn's random data
        check(estimator)
