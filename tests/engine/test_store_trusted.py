"""The trusted-type list: each registered step lists exactly the types its fitted state holds,
the list names only real types, and loading refuses what no registered step lists."""
from __future__ import annotations

import importlib
from typing import Any, ClassVar

import numpy as np
import pytest

from engine.errors import InputError
from engine.operators import SpectralOperator
from engine.registry import (
    RegistryEntry,
    allow_module_prefix,
    get_entry,
    register,
    registry_entries,
    remove_module_prefix,
    unregister,
)
from engine.store.models import blob_types, dump_model, load_model_blob
from engine.store.trusted import ALWAYS_TRUSTED, SAMPLE_MODEL, registry_samples, trusted_types


@pytest.fixture(scope="module")
def samples():
    """(entry, label, fitted pipeline, types its skops dump names) for every sample."""
    return [(entry, label, pipeline, set(blob_types(dump_model(pipeline))))
            for entry, label, pipeline in registry_samples()]


def test_each_step_lists_the_types_its_samples_need(samples):
    """Per entry, not just overall: a step must save and reload on its own entry (plus what
    every model holds, plus the model an operator sample is fitted in front of)."""
    helper = set(get_entry(SAMPLE_MODEL).trusted)
    missing = {}
    for entry, label, _, types in samples:
        allowed = ALWAYS_TRUSTED | set(entry.trusted) | (helper if entry.kind != "model"
                                                         else set())
        if types - allowed:
            missing[label] = sorted(types - allowed)
    assert missing == {}, ("types a registered step needs but its entry does not list; review "
                           f"and add them to its RegistryEntry.trusted: {missing}")


def test_each_step_lists_no_type_its_samples_never_need(samples):
    needed: dict[str, set[str]] = {}
    for entry, _, _, types in samples:
        needed.setdefault(entry.name, set()).update(types)
    unused = {e.name: sorted(set(e.trusted) - needed[e.name])
              for e in registry_entries() if e.kind != "splitter"
              and set(e.trusted) - needed[e.name]}
    assert unused == {}


def test_the_samples_cover_every_operator_and_model(samples):
    wanted = {e.name for e in registry_entries() if e.kind != "splitter"}
    assert {entry.name for entry, _, _, _ in samples} == wanted
    assert all(e.trusted for e in registry_entries() if e.name in wanted)
    assert not any(e.trusted for e in registry_entries() if e.kind == "splitter")


def test_every_trusted_name_is_an_importable_type():
    for name in sorted(trusted_types()):
        module, _, attr = name.rpartition(".")
        obj = getattr(importlib.import_module(module), attr)
        assert isinstance(obj, type), name


def test_every_sample_reloads_and_predicts_identically(samples):
    X = np.random.default_rng(5).normal(size=(7, 24)) + 3.0
    for _, label, pipeline, _ in samples:
        again = load_model_blob(dump_model(pipeline), where=label)
        np.testing.assert_array_equal(again.predict(X), pipeline.predict(X), err_msg=label)


class Doubled(SpectralOperator):
    """A step from outside nirdesk: twice each value."""

    _parameter_constraints: ClassVar[dict[str, list[Any]]] = {}

    def __init__(self) -> None:
        pass

    def _transform(self, X: np.ndarray) -> np.ndarray:
        return 2.0 * X


def test_the_trust_list_follows_the_registry():
    """A registered step's fitted model saves and reloads with no other edit; once the step
    is unregistered the same blob is refused, naming the type."""
    from sklearn.pipeline import Pipeline

    own_type = f"{Doubled.__module__}.{Doubled.__qualname__}"
    allow_module_prefix(Doubled.__module__)
    register(RegistryEntry("Doubled", f"{Doubled.__module__}.Doubled", "preprocessing", "any",
                           "Twice each value.", trusted=(own_type,)))
    try:
        X = np.random.default_rng(1).normal(size=(30, 24))
        pipeline = Pipeline([("op", Doubled()), ("model", get_entry("Ridge").load()())])
        pipeline.fit(X, X[:, 0])
        blob = dump_model(pipeline)
        assert own_type in trusted_types()
        again = load_model_blob(blob, where="doubled")
        np.testing.assert_array_equal(again.predict(X), pipeline.predict(X))
    finally:
        unregister("Doubled")
        remove_module_prefix(Doubled.__module__)
    assert own_type not in trusted_types()
    with pytest.raises(InputError, match=f"not trust.*{own_type}"):
        load_model_blob(blob, where="doubled")
