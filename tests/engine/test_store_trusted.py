"""The frozen trusted-type list covers every model nirdesk's registry can produce, and only
names real types."""
from __future__ import annotations

import importlib

import numpy as np

from engine.registry import registry_entries
from engine.store.models import dump_model, load_model_blob
from engine.store.trusted import TRUSTED_TYPES, collect_registry_types, registry_samples


def test_every_registry_operator_and_model_needs_only_trusted_types():
    found = collect_registry_types()
    missing = {name: labels for name, labels in found.items() if name not in TRUSTED_TYPES}
    assert missing == {}, ("types needed by registry models but not trusted; review and add "
                           f"them to engine/store/trusted.py: {missing}")


def test_the_samples_cover_every_registry_entry():
    labels = {label.split("(")[0] for label, _ in registry_samples()}
    wanted = {e.name for e in registry_entries() if e.kind != "splitter"}
    assert labels == wanted


def test_every_trusted_name_is_an_importable_type():
    for name in sorted(TRUSTED_TYPES):
        module, _, attr = name.rpartition(".")
        obj = getattr(importlib.import_module(module), attr)
        assert isinstance(obj, type), name


def test_every_sample_reloads_and_predicts_identically():
    X = np.random.default_rng(5).normal(size=(7, 24)) + 3.0
    for label, pipeline in registry_samples():
        again = load_model_blob(dump_model(pipeline), where=label)
        np.testing.assert_array_equal(again.predict(X), pipeline.predict(X), err_msg=label)
