"""The step registry and the dotted-path allow-list (DESIGN.md decision 7)."""
from __future__ import annotations

import importlib

import pytest
from sklearn.base import BaseEstimator, RegressorMixin
from sklearn.cross_decomposition import PLSCanonical, PLSRegression
from sklearn.svm import SVR

from engine import registry
from engine.errors import SpecError
from engine.registry import (allow_module_prefix, allowed_module_prefixes, allowed_name_of,
                             kind_of, registry_entries, remove_module_prefix, resolve_class,
                             short_name_of)

EXPECTED = {
    "preprocessing": {"SNV", "MSC", "Detrend", "SavitzkyGolay", "FirstDerivative",
                      "SecondDerivative", "Normalize", "CropRange", "Baseline"},
    "scaling": {"StandardScaler", "MinMaxScaler"},
    "model": {"PLSRegression", "Ridge", "Lasso", "ElasticNet", "SVR", "KNeighborsRegressor",
              "RandomForestRegressor", "MLPRegressor", "LogisticRegression", "PLSDA",
              "RandomForestClassifier"},
    "splitter": {"KFold", "ShuffleSplit", "GroupKFold", "KennardStoneSplit"},
}


class LabModel(RegressorMixin, BaseEstimator):
    """A user's estimator, defined outside the allow-listed packages."""

    def __init__(self, k: int = 1) -> None:
        self.k = k

    def fit(self, X, y):
        return self

    def predict(self, X):
        return X[:, 0]


@pytest.fixture
def lab_prefix():
    prefix = LabModel.__module__
    allow_module_prefix(prefix)
    yield prefix
    remove_module_prefix(prefix)


def test_entries_cover_the_palette_and_resolve():
    entries = registry_entries()
    by_kind: dict[str, set[str]] = {}
    for e in entries:
        by_kind.setdefault(e.kind, set()).add(e.name)
        assert e.task in registry.TASKS
        assert e.description and "\n" not in e.description and len(e.description) < 100
        cls = resolve_class(e.name)
        assert cls.__name__ == e.name
        assert short_name_of(cls) == e.name and short_name_of(cls()) == e.name
        assert kind_of(cls) == e.kind
    assert by_kind == EXPECTED


def test_entries_filter_by_kind_and_task():
    models = {e.name for e in registry_entries(kind="model", task="classification")}
    assert models == {"LogisticRegression", "PLSDA", "RandomForestClassifier"}
    splitters = registry_entries(kind="splitter", task="regression")
    assert {e.name for e in splitters} == EXPECTED["splitter"]  # task "any" is kept


def test_dotted_allowed_paths_resolve():
    assert resolve_class("sklearn.svm.SVR") is SVR
    assert resolve_class("sklearn.cross_decomposition.PLSCanonical") is PLSCanonical
    assert resolve_class("engine.operators.SNV") is resolve_class("SNV")
    assert resolve_class("sklearn.model_selection.LeaveOneOut").__name__ == "LeaveOneOut"


@pytest.mark.parametrize("path", ["os.system", "builtins.eval", "subprocess.Popen",
                                  "posix.system", "sklearnevil.Model", "enginex.Thing"])
def test_non_allow_listed_paths_are_refused_before_import(path, monkeypatch):
    imported = []
    real = importlib.import_module
    monkeypatch.setattr(importlib, "import_module",
                        lambda name, *a: imported.append(name) or real(name, *a))
    with pytest.raises(SpecError, match="is not allowed"):
        resolve_class(path)
    assert imported == []


@pytest.mark.parametrize("path, message", [
    ("sklearn.utils.Bunch", "not a scikit-learn estimator"),
    ("sklearn.svm", "not an estimator or splitter class"),
    ("sklearn.base.clone", "not an estimator or splitter class"),
    ("sklearn.svm.SVRR", "has no class 'SVRR'"),
    ("sklearn.nosuchmodule.X", "cannot import module"),
    ("sklearn.svm.SVR()", "invalid class path"),
    ("sklearn..SVR", "invalid class path"),
])
def test_bad_dotted_paths(path, message):
    with pytest.raises(SpecError, match=message):
        resolve_class(path)


@pytest.mark.parametrize("name, suggestion", [
    ("SavitzkyGolai", "SavitzkyGolay"), ("snv", "SNV"), ("PLSRegresion", "PLSRegression")])
def test_unknown_names_suggest_close_registry_names(name, suggestion):
    with pytest.raises(SpecError) as info:
        resolve_class(name)
    assert f"unknown class '{name}'" in str(info.value)
    assert f"did you mean {suggestion}" in str(info.value)


def test_short_name_of_unregistered_class_is_a_public_dotted_path():
    assert short_name_of(PLSRegression) == "PLSRegression"
    assert short_name_of(PLSCanonical()) == "sklearn.cross_decomposition.PLSCanonical"
    assert resolve_class(short_name_of(PLSCanonical)) is PLSCanonical


def test_user_prefix_enables_a_module(lab_prefix):
    assert f"{lab_prefix}." in allowed_module_prefixes()
    path = f"{LabModel.__module__}.LabModel"
    assert resolve_class(path) is LabModel
    assert allowed_name_of(LabModel(k=2)) == path
    assert kind_of(LabModel) == "model" and registry.task_of(LabModel) == "regression"


def test_user_class_is_refused_without_its_prefix():
    with pytest.raises(SpecError, match="LabModel cannot be used in a pipeline.*not allowed"):
        allowed_name_of(LabModel)


@pytest.mark.parametrize("prefix", ["", ".", "a..b", "my-lab", "1abc"])
def test_invalid_prefixes_are_refused(prefix):
    with pytest.raises(SpecError, match="invalid module prefix"):
        allow_module_prefix(prefix)


def test_prefix_stops_at_a_module_boundary(lab_prefix):
    with pytest.raises(SpecError, match="is not allowed"):
        resolve_class(f"{lab_prefix}evil.Model")


def test_builtin_prefixes_cannot_be_removed():
    remove_module_prefix("sklearn")
    assert allowed_module_prefixes()[:2] == ("sklearn.", "engine.")
