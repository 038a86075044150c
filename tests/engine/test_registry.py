"""The step registry and the dotted-path allow-list (docs/design.md decision 7)."""
from __future__ import annotations

import importlib
import inspect

import pytest
from sklearn.base import BaseEstimator, RegressorMixin
from sklearn.cross_decomposition import PLSCanonical, PLSRegression
from sklearn.svm import SVR

from engine import registry
from engine.errors import SpecError
from engine.registry import (
    allow_module_prefix,
    allowed_module_prefixes,
    allowed_name_of,
    kind_of,
    registry_entries,
    remove_module_prefix,
    resolve_class,
    short_name_of,
)

EXPECTED = {
    "preprocessing": {"SNV", "MSC", "Detrend", "SavitzkyGolay", "FirstDerivative",
                      "SecondDerivative", "Normalize", "CropRange", "Baseline",
                      # issue 18's toolbox
                      "RNV", "EMSC", "NorrisWilliams", "Whittaker", "GaussianSmooth",
                      "SelectRanges", "Resample", "AirPLS", "ArPLS", "Rubberband", "ModPoly",
                      "Absorbance", "KubelkaMunk", "OPLS", "OSC", "EPO",
                      # issue 19's supervised wavelength selection
                      "VIPSelector", "SRSelector", "CARS", "MCUVE"},
    "scaling": {"StandardScaler", "MinMaxScaler"},
    "model": {"PLSRegression", "Ridge", "Lasso", "ElasticNet", "SVR", "KNeighborsRegressor",
              "RandomForestRegressor", "MLPRegressor", "LogisticRegression", "PLSDA",
              "RandomForestClassifier", "PCR", "MLR", "SIMCA", "PLSDAOneVsRest", "IKPLS"},
    "splitter": {"KFold", "ShuffleSplit", "GroupKFold", "KennardStoneSplit", "SPXYSplit",
                 "VenetianBlinds", "ContiguousBlocks", "LeaveOneGroupOut"},
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
    assert models == {"LogisticRegression", "PLSDA", "RandomForestClassifier", "SIMCA",
                      "PLSDAOneVsRest"}
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
    with pytest.raises(SpecError, match=r"LabModel cannot be used in a pipeline.*not allowed"):
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


# -- one entry per step: its facts, registration, cost -------------------------------------

def test_every_entry_holds_its_step_s_facts():
    for e in registry_entries():
        cls = e.load()
        assert e.label and e.short and " " not in e.short, e.name
        assert e.cost is None or e.cost in registry.COSTS
        assert all(isinstance(w, str) and w for w in e.synonyms)
        if e.kind != "splitter":   # a fitted step's own type is among the types it trusts
            assert f"{cls.__module__}.{cls.__qualname__}" in e.trusted, e.name
        params = set(inspect.signature(cls).parameters)
        for part in e.summary:    # every summary field names a constructor parameter
            text = part if isinstance(part, str) else part[0]
            assert {f.split("}")[0] for f in text.split("{")[1:]} <= params, e.name
    by_name = {e.name: e for e in registry_entries()}
    assert (by_name["SavitzkyGolay"].label, by_name["SavitzkyGolay"].short) == (
        "Savitzky-Golay", "SG")
    assert by_name["SNV"].label == by_name["SNV"].short == "SNV"


def test_importing_the_registry_imports_no_step_class():
    import subprocess
    import sys

    code = ("import sys, engine.registry\n"
            "print(sorted(m for m in sys.modules if m.split('.')[0] in "
            "('sklearn', 'numpy', 'scipy') or m.startswith('engine.operators')))")
    done = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True)
    assert done.returncode == 0, done.stderr
    assert done.stdout.strip() == "[]"


def test_register_and_unregister_keep_the_allow_list_rule(lab_prefix):
    entry = registry.RegistryEntry("LabModel", f"{LabModel.__module__}.LabModel", "model",
                                   "regression", "A lab's own model.", abbrev="Lab",
                                   cost="threads", synonyms=("in-house",))
    registry.register(entry)
    try:
        assert registry.get_entry("LabModel") is entry
        assert resolve_class("LabModel") is LabModel
        assert short_name_of(LabModel(k=3)) == "LabModel" == allowed_name_of(LabModel)
        assert registry.entry_of(LabModel) is entry and registry.cost_of(LabModel()) == "threads"
        assert "LabModel" in {e.name for e in registry_entries("model", "regression")}
        with pytest.raises(ValueError, match="already registered"):
            registry.register(entry)
        remove_module_prefix(lab_prefix)           # the prefix withdrawn: no longer resolves
        with pytest.raises(SpecError, match="no longer allowed"):
            resolve_class("LabModel")
        allow_module_prefix(lab_prefix)
    finally:
        assert registry.unregister("LabModel") is entry
    assert registry.get_entry("LabModel") is None and registry.unregister("LabModel") is None
    assert registry.entry_of(LabModel) is None


def test_register_refuses_a_class_outside_the_allow_list():
    entry = registry.RegistryEntry("Evil", "os.system", "model", "regression", "no")
    with pytest.raises(ValueError, match="not allowed"):
        registry.register(entry)
    assert registry.get_entry("Evil") is None


@pytest.mark.parametrize("fields, message", [
    (dict(kind="transformer"), "kind must be one of"),
    (dict(task="clustering"), "task must be one of"),
    (dict(cost="cheap"), "cost must be None or one of"),
    (dict(path="NoModule"), "dotted 'module.Class' path"),
    (dict(summary=(("a", "b", "c"),)), "summary parts"),
    (dict(description="two\nlines"), "one line"),
])
def test_bad_entries_are_refused_when_made(fields, message):
    base = dict(name="X", path="engine.x.X", kind="model", task="any", description="x")
    with pytest.raises(ValueError, match=message):
        registry.RegistryEntry(**{**base, **fields})


def test_cost_of_classes_instances_names_and_paths():
    from sklearn.linear_model import LinearRegression, Ridge
    from sklearn.neural_network import MLPRegressor

    from engine.models import PLSDA
    from engine.operators import SNV

    assert registry.cost_of(PLSRegression) == registry.cost_of(PLSRegression()) == "blas"
    assert registry.cost_of(Ridge(alpha=2)) == registry.cost_of(PLSDA()) == "blas"
    assert registry.cost_of(LinearRegression()) == "blas"     # allow-listed, not in the palette
    assert registry.cost_of(MLPRegressor) == "neural"
    assert registry.cost_of("RandomForestRegressor") == "threads"
    assert registry.cost_of("sklearn.linear_model.LinearRegression") == "blas"
    assert registry.cost_of(SNV()) is None and registry.cost_of(SVR()) is None
    assert registry.cost_of("NoSuchStep") is None and registry.cost_of(LabModel) is None
