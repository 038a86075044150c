"""A step added from the palette starts with chemometric defaults (issue 21: a new PLS step
defaulted to scale on while the demo and the docs use off): the registry's ``start`` field,
written explicitly into the spec by ``new_step``."""
from __future__ import annotations

import json

from sklearn.cross_decomposition import PLSRegression

from engine.registry import get_entry, new_step, registry_entries
from engine.resources import demo_pipeline_path


def test_a_new_pls_is_not_autoscaled_explicitly():
    assert PLSRegression().scale is True          # scikit-learn's own default
    assert new_step("PLSRegression") == {"class": "PLSRegression", "params": {"scale": False}}
    demo = json.loads(demo_pipeline_path().read_text())
    pls = [s for s in demo["steps"] if isinstance(s, dict) and s.get("class") == "PLSRegression"]
    assert pls and all(s["params"]["scale"] is False for s in pls)


def test_other_steps_start_bare_and_start_params_are_valid():
    assert new_step("SNV") == "SNV" and new_step("no such step") == "no such step"
    for entry in registry_entries():
        if entry.start:
            cls = entry.load()
            assert set(entry.start) <= set(cls().get_params()), entry.name
    # the PLS models nirdesk writes itself already default to centring only
    for name in ("IKPLS", "PLSDA", "PLSDAOneVsRest"):
        assert get_entry(name).load()().scale is False and new_step(name) == name
