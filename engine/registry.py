"""Names a pipeline spec may use for its steps, and the allow-list for dotted class paths.

Why a registry (DESIGN.md decision 7): a pipeline file comes from outside (a colleague, a
download), so it must never be able to name an arbitrary callable such as ``os.system``.
Steps are therefore named either by a short registry name ("SNV", "PLSRegression") or by a
dotted class path whose module lies under an allow-listed prefix ("sklearn.", "engine." and
whatever the user enables with :func:`allow_module_prefix`). The prefix is checked *before*
anything is imported, and the object found must be an estimator class or a CV splitter class.

Entries are resolved lazily (by dotted path) so that importing the registry is cheap and
does not depend on every module being importable; the GUI palette reads
:func:`registry_entries` (name, kind, task, one-line description) without importing anything.
"""
from __future__ import annotations

import difflib
import importlib
import inspect
import sys
from dataclasses import dataclass
from typing import Any

from engine.errors import SpecError

__all__ = [
    "KINDS",
    "TASKS",
    "RegistryEntry",
    "allow_module_prefix",
    "allowed_module_prefixes",
    "allowed_name_of",
    "get_entry",
    "kind_of",
    "registry_entries",
    "remove_module_prefix",
    "resolve_class",
    "short_name_of",
    "task_of",
]

KINDS = ("preprocessing", "scaling", "model", "splitter")
TASKS = ("regression", "classification", "any")


@dataclass(frozen=True)
class RegistryEntry:
    """One palette entry: a short name bound to a class by its dotted import path."""

    name: str
    path: str          # "module.Class", imported only when the class is needed
    kind: str          # one of KINDS
    task: str          # one of TASKS
    description: str   # one line for the palette / tooltips

    def load(self) -> type:
        """Import and return the class (ImportError here is a broken install, not bad input)."""
        module_name, _, attr = self.path.rpartition(".")
        return getattr(importlib.import_module(module_name), attr)


_OPS = "engine.operators"
_ENTRIES: dict[str, RegistryEntry] = {e.name: e for e in (
    # preprocessing (nirdesk operators)
    RegistryEntry("SNV", f"{_OPS}.SNV", "preprocessing", "any",
                  "Standard normal variate: centre and scale each spectrum (scatter correction)."),
    RegistryEntry("MSC", f"{_OPS}.MSC", "preprocessing", "any",
                  "Multiplicative scatter correction against the mean training spectrum."),
    RegistryEntry("Detrend", f"{_OPS}.Detrend", "preprocessing", "any",
                  "Subtract each spectrum's polynomial trend (baseline offset and slope)."),
    RegistryEntry("SavitzkyGolay", f"{_OPS}.SavitzkyGolay", "preprocessing", "any",
                  "Savitzky-Golay smoothing or derivative (window_length, polyorder, deriv)."),
    RegistryEntry("FirstDerivative", f"{_OPS}.FirstDerivative", "preprocessing", "any",
                  "First Savitzky-Golay derivative: removes offsets, sharpens bands."),
    RegistryEntry("SecondDerivative", f"{_OPS}.SecondDerivative", "preprocessing", "any",
                  "Second Savitzky-Golay derivative: removes offsets and slopes."),
    RegistryEntry("Normalize", f"{_OPS}.Normalize", "preprocessing", "any",
                  "Divide each spectrum by its norm (vector, area or max)."),
    RegistryEntry("CropRange", f"{_OPS}.CropRange", "preprocessing", "any",
                  "Keep only the wavelengths between start and stop."),
    RegistryEntry("Baseline", f"{_OPS}.Baseline", "preprocessing", "any",
                  "Subtract an asymmetric least squares (ALS) baseline from each spectrum."),
    # scaling (per wavelength, learnt on the training rows)
    RegistryEntry("StandardScaler", "sklearn.preprocessing.StandardScaler", "scaling", "any",
                  "Centre each wavelength and scale it to unit variance."),
    RegistryEntry("MinMaxScaler", "sklearn.preprocessing.MinMaxScaler", "scaling", "any",
                  "Scale each wavelength to a fixed range (default 0..1)."),
    # regression models
    RegistryEntry("PLSRegression", "sklearn.cross_decomposition.PLSRegression", "model",
                  "regression", "Partial least squares regression, the chemometrics workhorse."),
    RegistryEntry("Ridge", "sklearn.linear_model.Ridge", "model", "regression",
                  "Linear least squares with an L2 penalty (alpha)."),
    RegistryEntry("Lasso", "sklearn.linear_model.Lasso", "model", "regression",
                  "Linear model with an L1 penalty: selects a few wavelengths."),
    RegistryEntry("ElasticNet", "sklearn.linear_model.ElasticNet", "model", "regression",
                  "Linear model mixing L1 and L2 penalties (alpha, l1_ratio)."),
    RegistryEntry("SVR", "sklearn.svm.SVR", "model", "regression",
                  "Support vector regression (RBF kernel by default)."),
    RegistryEntry("KNeighborsRegressor", "sklearn.neighbors.KNeighborsRegressor", "model",
                  "regression", "Average of the k most similar spectra."),
    RegistryEntry("RandomForestRegressor", "sklearn.ensemble.RandomForestRegressor", "model",
                  "regression", "Ensemble of decision trees (non-linear, slower)."),
    RegistryEntry("MLPRegressor", "sklearn.neural_network.MLPRegressor", "model", "regression",
                  "Small fully connected neural network."),
    # classification models
    RegistryEntry("LogisticRegression", "sklearn.linear_model.LogisticRegression", "model",
                  "classification", "Linear classifier with class probabilities."),
    RegistryEntry("PLSDA", "engine.models.PLSDA", "model", "classification",
                  "PLS discriminant analysis: PLS on one-hot classes, predicts the largest."),
    RegistryEntry("RandomForestClassifier", "sklearn.ensemble.RandomForestClassifier", "model",
                  "classification", "Ensemble of decision trees for class labels."),
    # cross-validation splitters
    RegistryEntry("KFold", "sklearn.model_selection.KFold", "splitter", "any",
                  "K folds; each sample is tested once."),
    RegistryEntry("ShuffleSplit", "sklearn.model_selection.ShuffleSplit", "splitter", "any",
                  "Repeated random train/test splits."),
    RegistryEntry("GroupKFold", "sklearn.model_selection.GroupKFold", "splitter", "any",
                  "K folds that keep each group (e.g. replicate scans) in one fold."),
    RegistryEntry("KennardStoneSplit", "engine.splitters.KennardStoneSplit", "splitter", "any",
                  "One split: Kennard-Stone picks a training set spanning the spectra."),
)}

_BUILTIN_PREFIXES = ("sklearn.", "engine.")
_user_prefixes: list[str] = []


# -- allow-list -----------------------------------------------------------------------------

def _normalise_prefix(prefix: str) -> str:
    if not isinstance(prefix, str):
        raise SpecError(f"a module prefix must be a string, got {type(prefix).__name__}")
    body = prefix[:-1] if prefix.endswith(".") else prefix
    if not body or not all(part.isidentifier() for part in body.split(".")):
        raise SpecError(f"invalid module prefix {prefix!r}: expected a dotted module name "
                        "such as 'mypackage' or 'mypackage.models'")
    return body + "."


def allow_module_prefix(prefix: str) -> None:
    """Allow dotted class paths under ``prefix`` (e.g. "mylab." or "mylab.models").

    The prefix always ends at a module boundary: "mylab" allows "mylab.X" and
    "mylab.sub.X", never "mylab_evil.X".
    """
    norm = _normalise_prefix(prefix)
    if norm not in _BUILTIN_PREFIXES and norm not in _user_prefixes:
        _user_prefixes.append(norm)


def remove_module_prefix(prefix: str) -> None:
    """Withdraw a prefix added with :func:`allow_module_prefix` (built-ins stay)."""
    norm = _normalise_prefix(prefix)
    if norm in _user_prefixes:
        _user_prefixes.remove(norm)


def allowed_module_prefixes() -> tuple[str, ...]:
    """The prefixes currently allowed, built-ins first."""
    return _BUILTIN_PREFIXES + tuple(_user_prefixes)


def _module_allowed(module_name: str) -> bool:
    return any((module_name + ".").startswith(p) for p in allowed_module_prefixes())


# -- classification of classes -------------------------------------------------------------

def _is_splitter_class(cls: type) -> bool:
    return (callable(getattr(cls, "split", None)) and callable(getattr(cls, "get_n_splits", None))
            and not hasattr(cls, "fit"))


def _is_estimator_class(cls: type) -> bool:
    return callable(getattr(cls, "get_params", None)) and callable(getattr(cls, "fit", None))


def get_entry(name: str) -> RegistryEntry | None:
    """The registry entry called ``name``, or None."""
    return _ENTRIES.get(name)


def registry_entries(kind: str | None = None, task: str | None = None) -> list[RegistryEntry]:
    """All entries in palette order, optionally filtered by kind and/or task.

    ``task`` keeps entries of that task plus the task-independent ("any") ones.
    """
    return [e for e in _ENTRIES.values()
            if (kind is None or e.kind == kind)
            and (task is None or e.task in (task, "any"))]


def _registered_name(cls: type) -> str | None:
    entry = _ENTRIES.get(getattr(cls, "__name__", ""))
    if entry is None:
        return None
    try:
        return entry.name if entry.load() is cls else None
    except ImportError:
        return None


def kind_of(cls: type) -> str | None:
    """"preprocessing", "scaling", "model" or "splitter" for a class; None if it is none.

    Registered classes use their entry; other classes are classified by their methods
    (a splitter has split/get_n_splits and no fit; a model predicts; an operator transforms).
    """
    name = _registered_name(cls)
    if name is not None:
        return _ENTRIES[name].kind
    if _is_splitter_class(cls):
        return "splitter"
    if _is_estimator_class(cls):
        if callable(getattr(cls, "predict", None)):
            return "model"
        if callable(getattr(cls, "transform", None)):
            return "preprocessing"
    return None


def task_of(cls: type) -> str:
    """"regression", "classification" or "any" (for operators, splitters and unknown models)."""
    name = _registered_name(cls)
    if name is not None:
        return _ENTRIES[name].task
    from sklearn.base import ClassifierMixin, RegressorMixin
    if issubclass(cls, ClassifierMixin):
        return "classification"
    if issubclass(cls, RegressorMixin):
        return "regression"
    return "any"


# -- resolution ----------------------------------------------------------------------------

def _suggest(name: str) -> str:
    names = list(_ENTRIES)
    lower = {n.lower(): n for n in names}
    hits = difflib.get_close_matches(name.lower(), list(lower), n=3, cutoff=0.6)
    if not hits:
        return ""
    return "; did you mean " + " or ".join(lower[h] for h in hits) + "?"


def resolve_class(name: str) -> type:
    """The class a spec names: a registry short name or an allow-listed dotted path.

    Raises SpecError (without ``where``; the parser adds it) for unknown names, paths outside
    the allow-list (checked before any import), import failures, and objects that are not
    estimator or CV splitter classes.
    """
    if not isinstance(name, str) or not name:
        raise SpecError(f"a class name must be a non-empty string, got {name!r}")
    entry = _ENTRIES.get(name)
    if entry is not None:
        return entry.load()
    if "." not in name:
        raise SpecError(f"unknown class {name!r}{_suggest(name)} "
                        "(use a registry name or an allowed dotted path such as "
                        "'sklearn.svm.SVR')")
    module_name, _, attr = name.rpartition(".")
    parts = name.split(".")
    if not all(p.isidentifier() for p in parts):
        raise SpecError(f"invalid class path {name!r}")
    if not _module_allowed(module_name):
        allowed = ", ".join(f"{p}*" for p in allowed_module_prefixes())
        raise SpecError(f"class path {name!r} is not allowed: only classes under {allowed} "
                        "may be named in a pipeline (see allow_module_prefix)")
    try:
        module = importlib.import_module(module_name)
    except ImportError as exc:
        raise SpecError(f"cannot import module {module_name!r} for class {name!r}: {exc}") \
            from None
    obj = getattr(module, attr, None)
    if obj is None:
        raise SpecError(f"module {module_name!r} has no class {attr!r}{_suggest(attr)}")
    if not inspect.isclass(obj):
        raise SpecError(f"{name!r} is a {type(obj).__name__}, not an estimator or splitter "
                        "class")
    # A re-exported class must itself come from an allowed module.
    if not _module_allowed(getattr(obj, "__module__", "") or ""):
        raise SpecError(f"{name!r} is defined in module {obj.__module__!r}, which is not "
                        "allowed")
    if not (_is_estimator_class(obj) or _is_splitter_class(obj)):
        raise SpecError(f"{name!r} is not a scikit-learn estimator (get_params/fit) nor a "
                        "CV splitter (split/get_n_splits)")
    return obj


def short_name_of(cls_or_obj: Any) -> str:
    """The name a spec uses for a class or instance: its registry name if registered, else
    the shortest already-imported public dotted path (e.g. "sklearn.svm.SVR" rather than
    "sklearn.svm._classes.SVR"), an allowed one if there is one. Does not check that the
    class may be used: see :func:`allowed_name_of`."""
    cls = cls_or_obj if inspect.isclass(cls_or_obj) else type(cls_or_obj)
    name = _registered_name(cls)
    if name is not None:
        return name
    module_name = getattr(cls, "__module__", "") or ""
    qual = cls.__qualname__
    candidates = []
    if "." not in qual and module_name:
        parts = module_name.split(".")
        for k in range(1, len(parts) + 1):
            mod = sys.modules.get(".".join(parts[:k]))
            if mod is not None and getattr(mod, qual, None) is cls:
                candidates.append(".".join(parts[:k]))
    # Prefer a path the allow-list accepts, so that the name resolves again when loaded.
    for mod_name in candidates:
        if _module_allowed(mod_name):
            return f"{mod_name}.{qual}"
    return f"{candidates[0] if candidates else module_name}.{qual}"


def allowed_name_of(cls_or_obj: Any) -> str:
    """Like :func:`short_name_of`, but raise SpecError unless a spec may name this class
    (registered, or an allow-listed dotted path that resolves back to the same class)."""
    cls = cls_or_obj if inspect.isclass(cls_or_obj) else type(cls_or_obj)
    name = short_name_of(cls)
    if name in _ENTRIES:
        return name
    try:
        ok = resolve_class(name) is cls
    except SpecError as exc:
        raise SpecError(f"class {cls.__qualname__} cannot be used in a pipeline: "
                        f"{exc.message}") from None
    if not ok:
        raise SpecError(f"class {cls.__qualname__} cannot be used in a pipeline: {name!r} "
                        "names a different class")
    return name
