"""The types a saved model may contain: nirdesk's explicit skops trust list.

Why an explicit list: a project file comes from outside (a colleague, a download) and a model
blob is a description of objects to rebuild. skops never unpickles, but it does instantiate
the classes the blob names, so nirdesk decides which classes those may be. skops' own default
list is broad (every scikit-learn estimator, numpy ufuncs, ...); nirdesk's is exactly the set
of types that the fitted pipelines of its registry produce, and nothing else. A blob naming
any other type is refused before skops sees it (engine.store.models), with the type named.

How the list was made: :func:`collect_registry_types` fits every registry operator and model
(with the parameter variants that change what a fitted model holds: MLP solvers, KNN search
trees and metrics, ...) on tiny data inside a Pipeline, dumps it with skops and reads every
type named in the dump's schema. The result was frozen below as a literal (run
``python -m engine.store.trusted`` to print a fresh one) so that a library upgrade can never
silently widen what a project file may instantiate; tests/test_store_trusted.py fails when
the registry needs a type that is missing here, and then a human reviews the new type.
A few numpy scalar types beyond those seen are listed because their width differs by
platform (numpy.int32 is the default integer on Windows).
"""
from __future__ import annotations

import warnings
from collections.abc import Iterator
from typing import Any

__all__ = ["TRUSTED_TYPES", "collect_registry_types", "registry_samples"]

TRUSTED_TYPES: frozenset[str] = frozenset({
    # containers and scalars skops writes for every estimator's state
    "builtins.dict",
    "builtins.list",
    "builtins.str",
    "builtins.tuple",
    "numpy.ndarray",
    "numpy.float64",
    "numpy.float32",
    "numpy.int64",
    "numpy.int32",
    "numpy.bool_",
    "numpy.random.mtrand.RandomState",
    # the pipeline itself
    "sklearn.pipeline.Pipeline",
    # nirdesk operators and models (engine.registry)
    "engine.operators.scatter.SNV",
    "engine.operators.scatter.MSC",
    "engine.operators.baseline.Detrend",
    "engine.operators.baseline.Baseline",
    "engine.operators.derivatives.SavitzkyGolay",
    "engine.operators.derivatives.FirstDerivative",
    "engine.operators.derivatives.SecondDerivative",
    "engine.operators.normalize.Normalize",
    "engine.operators.crop.CropRange",
    "engine.models.plsda.PLSDA",
    # scikit-learn scalers and models of the registry, and what their fitted state holds
    "sklearn.preprocessing._data.StandardScaler",
    "sklearn.preprocessing._data.MinMaxScaler",
    "sklearn.cross_decomposition._pls.PLSRegression",
    "sklearn.linear_model._ridge.Ridge",
    "sklearn.linear_model._coordinate_descent.Lasso",
    "sklearn.linear_model._coordinate_descent.ElasticNet",
    "sklearn.linear_model._logistic.LogisticRegression",
    "sklearn.svm._classes.SVR",
    "sklearn.neighbors._regression.KNeighborsRegressor",
    "sklearn.neighbors._kd_tree.KDTree",
    "sklearn.neighbors._ball_tree.BallTree",
    "sklearn.metrics._dist_metrics.EuclideanDistance64",
    "sklearn.metrics._dist_metrics.ManhattanDistance64",
    "sklearn.metrics._dist_metrics.ChebyshevDistance64",
    "sklearn.metrics._dist_metrics.MinkowskiDistance64",
    "sklearn.ensemble._forest.RandomForestRegressor",
    "sklearn.ensemble._forest.RandomForestClassifier",
    "sklearn.tree._classes.DecisionTreeRegressor",
    "sklearn.tree._classes.DecisionTreeClassifier",
    "sklearn.tree._tree.Tree",
    "sklearn.neural_network._multilayer_perceptron.MLPRegressor",
    "sklearn.neural_network._stochastic_optimizers.AdamOptimizer",
    "sklearn.neural_network._stochastic_optimizers.SGDOptimizer",
})

#: Parameter variants per registry name that change the *types* inside a fitted model (the
#: defaults are always included). Values a finetuning search commonly explores.
VARIANTS: dict[str, list[dict[str, Any]]] = {
    "MLPRegressor": [{"solver": "sgd", "max_iter": 5}, {"solver": "lbfgs", "max_iter": 5},
                     {"max_iter": 5}],
    "KNeighborsRegressor": [{"algorithm": "kd_tree"}, {"algorithm": "ball_tree"},
                            {"algorithm": "brute"}, {"p": 1, "algorithm": "kd_tree"},
                            {"metric": "chebyshev", "algorithm": "ball_tree"},
                            {"p": 3, "algorithm": "ball_tree"}],
    "SVR": [{"kernel": "linear"}, {"kernel": "poly"}],
    "Normalize": [{"method": "area"}, {"method": "max"}],
    "CropRange": [{"start": 1010.0, "stop": 1030.0}],
    "PLSRegression": [{"scale": True}],
    "Ridge": [{"solver": "svd"}, {"solver": "lsqr"}],
    "RandomForestRegressor": [{"n_estimators": 3, "max_depth": 3}],
    "RandomForestClassifier": [{"n_estimators": 3, "max_depth": 3}],
    "LogisticRegression": [{"max_iter": 50}],
}
_SLOW_DEFAULTS = {"RandomForestRegressor", "RandomForestClassifier", "MLPRegressor",
                  "LogisticRegression"}


def registry_samples() -> Iterator[tuple[str, Any]]:
    """(label, fitted sklearn Pipeline) for every registry operator and model and its variants.

    Operators are fitted alone and in front of a PLS model, models alone, all on 40 x 24
    random spectra (class labels for classifiers), so that every type a real nirdesk model
    can hold appears in at least one dump.
    """
    import numpy as np
    from sklearn.cross_decomposition import PLSRegression
    from sklearn.pipeline import Pipeline

    from engine.registry import registry_entries

    rng = np.random.default_rng(0)
    X = rng.normal(size=(40, 24)) + 3.0
    y = X[:, :4].sum(axis=1) + rng.normal(scale=0.1, size=40)
    labels = np.array(["a", "b", "c", "d"] * 10)
    axis = np.linspace(1000.0, 1046.0, 24)
    for entry in registry_entries():
        if entry.kind == "splitter":
            continue
        cls = entry.load()
        variants = VARIANTS.get(entry.name, [])
        if entry.name not in _SLOW_DEFAULTS:
            variants = [{}] + variants
        for params in variants:
            est = cls(**params)
            if getattr(est, "needs_wavelengths", False):
                est.set_params(wavelengths=axis)
            label = entry.name + (f"({params})" if params else "")
            if entry.kind == "model":
                pipeline = Pipeline([("model", est)])
                target = labels if entry.task == "classification" else y
            else:
                pipeline = Pipeline([("op", est), ("model", PLSRegression(2))])
                target = y
            with warnings.catch_warnings():
                warnings.simplefilter("ignore")  # convergence warnings of the tiny fits
                pipeline.fit(X, target)
            yield label, pipeline


def collect_registry_types() -> dict[str, list[str]]:
    """type name -> labels of the samples whose skops dump names it."""
    import skops.io as sio

    from engine.store.models import blob_types

    found: dict[str, list[str]] = {}
    for label, pipeline in registry_samples():
        for name in blob_types(sio.dumps(pipeline)):
            found.setdefault(name, []).append(label)
    return found


if __name__ == "__main__":  # pragma: no cover - a maintainer's helper
    for name in sorted(collect_registry_types()):
        print(f'    "{name}",' + ("" if name in TRUSTED_TYPES else "  # NEW: review before adding"))
