"""The parameter schema (engine.pipeline.params): one code path for every class, fields from
its ``_parameter_constraints`` or its constructor; values checked as typed; finetune checks.

Bounds are checked against the class's own validation (independent of the schema): the
minimum a field offers is accepted by the estimator, one below it is refused.
"""
from __future__ import annotations

import math

import pytest
from sklearn.cross_decomposition import PLSRegression
from sklearn.linear_model import Ridge

from engine.operators import SavitzkyGolay
from engine.pipeline.params import (
    ParamField,
    field_rule,
    finetune_dimension_kinds,
    finetune_error,
    param_fields,
    validate_finetune,
    validate_params,
    validate_value,
)
from engine.registry import registry_entries


def _field(fields: list[ParamField], name: str) -> ParamField:
    return next(f for f in fields if f.name == name)


def _sklearn_accepts(cls, **params) -> bool:
    """Independent check: does the estimator's own validation accept these params?"""
    try:
        obj = cls(**params)
        (getattr(obj, "check_params", None) or obj._validate_params)()
    except (ValueError, TypeError):
        return False
    return True


def test_param_fields_of_pls_ridge_and_savitzky_golay():
    pls = param_fields("PLSRegression")
    n = _field(pls, "n_components")
    assert n.kind == "int" and n.default == PLSRegression().n_components
    assert n.minimum == 1 and _sklearn_accepts(PLSRegression, n_components=n.minimum)
    assert not _sklearn_accepts(PLSRegression, n_components=n.minimum - 1)
    assert _field(pls, "scale").kind == "bool"
    ridge = _field(param_fields("Ridge"), "alpha")
    assert ridge.kind == "float" and ridge.minimum == 0 and ridge.min_inclusive
    assert _sklearn_accepts(Ridge, alpha=0.0) and not _sklearn_accepts(Ridge, alpha=-1e-9)
    solver = _field(param_fields("Ridge"), "solver")
    assert solver.kind == "choice" and "auto" in solver.choices
    assert all(_sklearn_accepts(Ridge, solver=c) for c in solver.choices)
    sg = param_fields("SavitzkyGolay")
    assert [f.name for f in sg] == ["window_length", "polyorder", "deriv", "delta", "mode"]
    assert _field(sg, "deriv").kind == "int" and _field(sg, "mode").kind == "choice"
    assert all(_sklearn_accepts(SavitzkyGolay, mode=m) for m in _field(sg, "mode").choices)
    assert _field(param_fields("RandomForestRegressor"), "n_jobs").kind == "none_or_int"
    assert _field(param_fields("MLPRegressor"), "hidden_layer_sizes").kind == "json"
    with pytest.raises(ValueError):
        param_fields("NoSuchModel")


NIRDESK_STEPS = [e.name for e in registry_entries() if e.path.startswith("engine.")]


@pytest.mark.parametrize("name", NIRDESK_STEPS)
def test_nirdesk_fields_come_from_their_constraints_and_agree_with_the_class(name):
    """Every nirdesk step declares a constraint per parameter; its fields' bounds and choices
    are exactly what the class itself accepts (its check_params is the independent judge)."""
    cls = next(e for e in registry_entries() if e.name == name).load()
    fields = param_fields(name)
    shown = {f.name for f in fields}
    declared = set(cls._parameter_constraints)
    assert shown <= declared and declared - shown <= {"wavelengths"}
    assert ("wavelengths" in declared) == bool(getattr(cls, "needs_wavelengths", False))
    for f in fields:
        assert _sklearn_accepts(cls, **{f.name: f.default}), f.name
        if f.kind in ("int", "none_or_int") and f.minimum is not None:
            low = f.minimum if f.min_inclusive else f.minimum + 1
            if f.name != "window_length":  # window > polyorder: a rule between the two
                assert _sklearn_accepts(cls, **{f.name: low}), (f.name, low)
            assert not _sklearn_accepts(cls, **{f.name: low - 1}), (f.name, low - 1)
        if f.kind in ("float", "none_or_float"):
            for bound, inclusive, step in ((f.minimum, f.min_inclusive, -1e-9),
                                           (f.maximum, f.max_inclusive, 1e-9)):
                if bound is not None:
                    assert _sklearn_accepts(cls, **{f.name: bound}) == inclusive, f.name
                    assert not _sklearn_accepts(cls, **{f.name: bound + step}), f.name
        if f.kind == "choice":
            assert all(_sklearn_accepts(cls, **{f.name: c}) for c in f.choices)
            assert not _sklearn_accepts(cls, **{f.name: "no-such-choice"})


def test_operator_fields_keep_the_inspector_s_former_bounds_and_order():
    """What the removed hand table gave the inspector, now read from the constraints."""
    sg = {f.name: f for f in param_fields("SavitzkyGolay")}
    assert (sg["window_length"].kind, sg["window_length"].minimum) == ("int", 1)
    assert (sg["delta"].minimum, sg["delta"].min_inclusive, sg["delta"].maximum) == (0, False,
                                                                                     None)
    assert sg["mode"].choices == ("interp", "mirror", "nearest", "constant", "wrap")
    assert _field(param_fields("FirstDerivative"), "polyorder").minimum == 1
    assert _field(param_fields("SecondDerivative"), "polyorder").minimum == 2
    p = _field(param_fields("Baseline"), "p")
    assert (p.kind, p.minimum, p.maximum, p.min_inclusive, p.max_inclusive) == (
        "float", 0, 1, False, False)
    assert _field(param_fields("Normalize"), "method").choices == ("vector", "area", "max")
    assert _field(param_fields("MSC"), "reference").choices == ("mean", "median")
    crop = param_fields("CropRange")
    assert [(f.name, f.kind) for f in crop] == [("start", "none_or_float"),
                                                ("stop", "none_or_float")]
    assert [f.name for f in param_fields("Detrend")] == ["order"]
    # sklearn's splitters declare nothing: fields from their defaults, a seed by convention
    seed = _field(param_fields("KFold"), "random_state")
    assert (seed.kind, seed.minimum, seed.maximum) == ("none_or_int", 0, 2**32 - 1)
    assert _field(param_fields("KennardStoneSplit"), "metric").kind == "choice"


def test_field_rules_in_words():
    sg = {f.name: f for f in param_fields("SavitzkyGolay")}
    assert field_rule(sg["window_length"]) == "integer >= 1"
    assert field_rule(sg["delta"]) == "number > 0"
    assert field_rule(sg["mode"]) == "one of interp, mirror, nearest, constant, wrap"
    assert field_rule(_field(param_fields("Baseline"), "p")) == "number in (0, 1)"
    assert field_rule(_field(param_fields("CropRange"), "start")) == "number or None"
    assert field_rule(_field(param_fields("PLSRegression"), "scale")) == "true or false"


def test_validate_value_as_typed():
    n = _field(param_fields("PLSRegression"), "n_components")
    assert validate_value(n, "12") == (12, None)
    assert validate_value(n, "0")[1] == "n_components must be >= 1, got 0"
    assert "whole number" in validate_value(n, "1.5")[1]
    assert "whole number" in validate_value(n, "ten")[1]
    alpha = _field(param_fields("Ridge"), "alpha")
    assert validate_value(alpha, "0.5") == (0.5, None)
    assert validate_value(alpha, "2") == (2, None)
    assert "must be >= 0" in validate_value(alpha, "-1")[1]
    assert "number" in validate_value(alpha, "abc")[1]
    p = _field(param_fields("Baseline"), "p")
    assert "must be < 1" in validate_value(p, "1")[1]
    assert validate_value(_field(param_fields("PLSRegression"), "scale"), False) == (False, None)
    mode = _field(param_fields("SavitzkyGolay"), "mode")
    assert validate_value(mode, "mirror") == ("mirror", None)
    assert "one of" in validate_value(mode, "bogus")[1]
    seed = _field(param_fields("Ridge"), "random_state")
    assert validate_value(seed, "") == (None, None)
    gamma = _field(param_fields("SVR"), "gamma")
    assert validate_value(gamma, "scale") == ("scale", None)
    assert validate_value(gamma, "0.1") == (0.1, None)
    lam = _field(param_fields("Baseline"), "lam")
    assert validate_value(lam, "inf")[1] and validate_value(lam, "0")[1]
    assert validate_value(lam, "1e7") == (1e7, None) and not math.isinf(lam.maximum or 0)
    # rules between parameters are the engine's own
    assert validate_params("SavitzkyGolay", {"window_length": 5, "polyorder": 2}) is None
    msg = validate_params("SavitzkyGolay", {"window_length": 5, "polyorder": 5})
    assert msg and "polyorder" in msg


def test_finetune_validation_reuses_the_engine():
    assert finetune_dimension_kinds == ("int", "float", "float_log", "categorical")
    ok = {"n_trials": 100, "n_jobs": 8, "model_params": {"n_components": ["int", 1, 30]}}
    config = validate_finetune(ok, "PLSRegression")
    assert config.n_trials == 100 and config.dimension("n_components").high == 30
    assert "log range needs low > 0" in finetune_error(
        {"model_params": {"alpha": ["float_log", 0, 1]}}, "Ridge")
    assert "n_trials" in finetune_error({"n_trials": 0}, "Ridge")
    assert "metric" in finetune_error({"metric": "rmse"}, "LogisticRegression")


def test_importing_the_schema_is_cheap():
    """The window imports it before scikit-learn is loaded (start-up cost guard)."""
    import subprocess
    import sys

    code = ("import sys, engine.pipeline.params\n"
            "print([m for m in sys.modules if m == 'sklearn' or m.startswith('sklearn.')][:3])")
    done = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True)
    assert done.returncode == 0, done.stderr
    assert done.stdout.strip() == "[]"
