"""The types a saved model may contain: nirdesk's explicit skops trust list.

Why an explicit list: a project file comes from outside (a colleague, a download) and a model
blob is a description of objects to rebuild. skops never unpickles, but it does instantiate
the classes the blob names, so nirdesk decides which classes those may be. skops' own default
list is broad (every scikit-learn estimator, numpy ufuncs, ...); nirdesk's is exactly the
types the fitted pipelines of its registered steps hold, and nothing else. A blob naming any
other type is refused before skops sees it (engine.store.models), with the type named.

Where the list lives: with each step. A registry entry lists the types its fitted state
holds (``RegistryEntry.trusted``, literal strings reviewed by a person), so a step registered
with :func:`engine.registry.register` saves and reloads with no other edit; this module adds
only what every model holds (:data:`ALWAYS_TRUSTED`). The lists are literals, never computed
from what a library happens to write, so an upgrade can never silently widen what a project
file may instantiate. ``RegistryEntry.samples`` are the parameter sets that exercise those
types: tests/engine/test_store_trusted.py fits each on tiny data and fails when a dump needs a
type its entry does not list (``python tools/update_trusted_types.py`` prints what to review).
"""
from __future__ import annotations

import warnings
from collections.abc import Iterable, Iterator
from typing import Any

from engine.registry import RegistryEntry, get_entry, registry_entries

__all__ = ["ALWAYS_TRUSTED", "SAMPLE_MODEL", "TRANSFER_TRUSTED", "registry_samples",
           "trusted_types"]

#: What every saved model holds, whatever its steps: skops' containers and scalars, numpy
#: arrays and scalar types, and the Pipeline itself. The numpy scalar types include widths a
#: given platform may not produce (numpy.int32 is the default integer on Windows).
ALWAYS_TRUSTED: frozenset[str] = frozenset({
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
    "sklearn.pipeline.Pipeline",
})

#: What a transferred model adds (engine.transfer, issue 19): DS/PDS in front of a branch's
#: pipeline, or its final model wrapped in a slope/bias correction. They are no pipeline steps
#: (no registry entry: a transfer is fitted on paired spectra by `nirdesk transfer`), so they
#: are listed here; their state is numpy arrays and floats. tests/engine/test_transfer.py
#: dumps each transferred model and fails if it needs a type outside the list.
TRANSFER_TRUSTED: frozenset[str] = frozenset({
    "engine.transfer.methods.DirectStandardisation",
    "engine.transfer.methods.PiecewiseDirectStandardisation",
    "engine.transfer.methods.SlopeBiasCorrected",
})

#: The model an operator sample is fitted in front of (a pipeline ends with a model).
SAMPLE_MODEL = "PLSRegression"


def trusted_types(entries: Iterable[RegistryEntry] | None = None) -> frozenset[str]:
    """Every type a saved model may name: :data:`ALWAYS_TRUSTED`, :data:`TRANSFER_TRUSTED` and
    the ``trusted`` types of ``entries`` (default: every step registered now)."""
    steps = registry_entries() if entries is None else entries
    return ALWAYS_TRUSTED | TRANSFER_TRUSTED | frozenset(t for e in steps for t in e.trusted)


def registry_samples(entries: Iterable[RegistryEntry] | None = None
                     ) -> Iterator[tuple[RegistryEntry, str, Any]]:
    """(entry, label, fitted sklearn Pipeline) for every sample of every operator and model
    entry (default: all registered; splitters are never part of a saved model).

    Operators are fitted in front of a :data:`SAMPLE_MODEL`, models alone, all on 40 x 24
    random spectra (class labels for classifiers), so that every type a real nirdesk model
    can hold appears in at least one dump.
    """
    import numpy as np
    from sklearn.pipeline import Pipeline

    rng = np.random.default_rng(0)
    X = rng.normal(size=(40, 24)) + 6.0   # > 0: the absorbance conversions refuse R <= 0
    y = X[:, :4].sum(axis=1) + rng.normal(scale=0.1, size=40)
    labels = np.array(["a", "b", "c", "d"] * 10)
    axis = np.linspace(1000.0, 1046.0, 24)
    model_entry = get_entry(SAMPLE_MODEL)
    assert model_entry is not None, f"{SAMPLE_MODEL} is a built-in registry entry"
    for entry in registry_entries() if entries is None else entries:
        if entry.kind == "splitter":
            continue
        cls = entry.load()
        for params in entry.samples:
            est = cls(**params)
            if getattr(est, "needs_wavelengths", False):
                est.set_params(wavelengths=axis)
            label = entry.name + (f"({dict(params)})" if params else "")
            if entry.kind == "model":
                pipeline = Pipeline([("model", est)])
                target = labels if entry.task == "classification" else y
            else:
                pipeline = Pipeline([("op", est), ("model", model_entry.load()(2))])
                target = y
            with warnings.catch_warnings():
                warnings.simplefilter("ignore")  # convergence warnings of the tiny fits
                pipeline.fit(X, target)
            yield entry, label, pipeline
