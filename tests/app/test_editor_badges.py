"""Live policy badges of the pipeline editor (app.editor.model.badges over engine.policy.decide).

Machines and data sizes are given explicitly (MachineFacts/DataFacts), so the verdicts do not
depend on the machine the tests run on. Expected worker counts are computed here from the
documented rule (min(n_jobs, branches, usable CPUs)), texts from the policy's own Reason.
"""
from __future__ import annotations

import pytest

from app.editor.model.badges import DEFAULT_DATA, apply_edit, group_badges
from app.editor.model.document import PipelineDocument
from engine.machine import DataFacts, MachineFacts
from engine.pipeline import parse_pipeline
from engine.policy import FIX_MODEL_N_JOBS, FIX_NESTED, decide

GB = 2**30
#: a warm pool (workers already started): the cost rule then only refuses trivial work
TWO_CPUS = MachineFacts(usable_cpus=2, total_memory=8 * GB, available_memory=6 * GB,
                        pool_warm_workers=2)
EIGHT_CPUS = MachineFacts(usable_cpus=8, total_memory=32 * GB, available_memory=24 * GB,
                          pool_warm_workers=8)
#: enough work per branch that parallel branches pay for starting workers
BIG = DataFacts(n_train=2000, n_features=1000)

PLS10 = {"class": "PLSRegression", "params": {"n_components": 10}}
RF_ALL = {"class": "RandomForestRegressor", "params": {"n_jobs": -1}}


def tuned(model: str, n_jobs: int, space: dict) -> dict:
    return {"model": {"class": model},
            "finetune_params": {"n_trials": 100, "n_jobs": n_jobs, "model_params": space}}


PATTERNS = {
    "pure_parallel": [{"branch": [
        ["SNV", PLS10], ["MSC", {"class": "Ridge", "params": {"alpha": 1}}],
        ["StandardScaler", {"class": "ElasticNet", "params": {"alpha": 0.5}}],
        ["Detrend", {"class": "Lasso", "params": {"alpha": 0.1}}]], "n_jobs": 4}],
    "mixed": [{"branch": [["SNV", "PLSRegression"], ["MSC", "Ridge"]], "n_jobs": 2},
              {"branch": [["StandardScaler", RF_ALL]], "parallel": False}],
    "optuna": [{"branch": [
        [tuned("PLSRegression", 8, {"n_components": ["int", 1, 30]})],
        [tuned("Ridge", 8, {"alpha": ["float_log", 1e-5, 1e3]})]], "parallel": False}],
    "generator": [{"branch": {"_or_": ["SNV", "MSC", "Detrend", "StandardScaler"]}, "n_jobs": 4},
                  PLS10],
}


def one(badges):
    assert len(badges) == 1
    return badges[0]


def test_random_forest_with_all_cores_is_amber_and_the_fix_clears_it():
    doc = PipelineDocument.from_spec(
        [{"branch": [["SNV", "PLSRegression"], ["MSC", RF_ALL]], "n_jobs": 2}])
    badge = one(group_badges(doc, machine=TWO_CPUS, data=BIG))
    assert (badge.path, badge.colour, badge.text) == ((0,), "amber", "sequential")
    reason = next(r for r in badge.reasons if r.code == "model_n_jobs")
    assert reason.branch == 2 and "Branch 2" in reason.message
    assert "RandomForestRegressor" in reason.message and "n_jobs=-1" in reason.message
    assert f"{reason.message} — {FIX_MODEL_N_JOBS}" in badge.tooltip.splitlines()
    assert "Branch 2: MSC > RandomForestRegressor(n_jobs=-1)" in badge.details
    fix = badge.fixes[0]
    assert fix.apply == ("set_params", (0, 1, 1), {"n_jobs": 1})
    apply_edit(doc, fix.apply)
    assert doc.step_at((0, 1, 1)) == {"class": "RandomForestRegressor",
                                      "params": {"n_jobs": 1}}
    after = one(group_badges(doc, machine=TWO_CPUS, data=BIG))
    assert all(r.code != "model_n_jobs" for r in after.reasons)
    assert (after.colour, after.text) == ("green", f"parallel ×{min(2, 2, 2)}")
    # the other offered fix: run the group sequentially -> the user's choice, grey
    doc2 = PipelineDocument.from_spec(doc_spec := [
        {"branch": [["SNV", "PLSRegression"], ["MSC", RF_ALL]], "n_jobs": 2}])
    seq = next(f for f in group_badges(doc2, machine=TWO_CPUS, data=BIG)[0].fixes
               if f.label == "Run this group sequentially")
    apply_edit(doc2, seq.apply)
    assert doc2.to_spec() == parse_pipeline(
        [{"branch": doc_spec[0]["branch"]}]).spec
    assert one(group_badges(doc2, machine=TWO_CPUS, data=BIG)).colour == "grey"


def test_fix_through_the_controller_is_one_undoable_edit(qtbot):
    from app.editor.commands import EditorController

    ctrl = EditorController()
    ctrl.load([{"branch": [["SNV", "PLSRegression"], ["MSC", RF_ALL]], "n_jobs": 2}])
    before = ctrl.doc.to_json()
    badge = one(group_badges(ctrl.doc, machine=TWO_CPUS, data=BIG))
    ctrl.apply_fix(badge.fixes[0])
    assert ctrl.undo_stack.count() == 1 and ctrl.undo_stack.undoText().startswith("Set n_jobs=1")
    ctrl.undo_stack.undo()
    assert ctrl.doc.to_json() == before


def test_mlp_is_amber_neural_network():
    doc = PipelineDocument.from_spec(
        [{"branch": [["SNV", "PLSRegression"], ["MSC", "MLPRegressor"]], "n_jobs": 2}])
    badge = one(group_badges(doc, machine=TWO_CPUS, data=BIG))
    assert (badge.colour, badge.text) == ("amber", "sequential")
    reason = next(r for r in badge.reasons if r.code == "neural_network")
    assert reason.branch == 2 and "MLPRegressor" in reason.message
    assert reason.fix in badge.tooltip
    assert [f.label for f in badge.fixes] == ["Run this group sequentially"]


def test_nested_optuna_in_a_parallel_group_is_amber():
    space = {"n_components": ["int", 1, 20]}
    spec = [{"branch": [[tuned("PLSRegression", 2, space)], ["SNV", "Ridge"]], "n_jobs": 2}]
    doc = PipelineDocument.from_spec(spec)
    badge = one(group_badges(doc, machine=TWO_CPUS, data=BIG))
    reason = next(r for r in badge.reasons if r.code == "nested_parallelism")
    assert reason.severity == "warning" and reason.fix == FIX_NESTED
    assert badge.colour == "amber"
    assert "2 branches x 2 trials" in badge.tooltip
    fix = next(f for f in badge.fixes if "trials one at a time" in f.label)
    apply_edit(doc, fix.apply)
    assert doc.step_at((0, 0, 0))["finetune_params"]["n_jobs"] == 1
    after = one(group_badges(doc, machine=TWO_CPUS, data=BIG))
    assert all(r.code != "nested_parallelism" for r in after.reasons)
    assert after.colour == "green"


def test_too_many_workers_are_capped_with_a_fix():
    spec = [{"branch": [["SNV", PLS10], ["MSC", "Ridge"], ["Detrend", "Lasso"],
                        ["StandardScaler", "ElasticNet"]], "n_jobs": 16}]
    doc = PipelineDocument.from_spec(spec)
    badge = one(group_badges(doc, machine=TWO_CPUS, data=BIG))
    expected = min(16, 4, TWO_CPUS.usable_cpus)
    assert badge.text == f"parallel ×{expected}" and badge.workers == expected
    reason = next(r for r in badge.reasons if r.code == "workers_capped")
    assert "n_jobs=16 asked" in reason.message and reason.message in badge.tooltip
    fix = one(badge.fixes)
    assert fix.apply == ("set_branch_options", (0,), None, expected)
    apply_edit(doc, fix.apply)
    assert doc.branch_options((0,)) == {"parallel": None, "n_jobs": expected}
    after = one(group_badges(doc, machine=TWO_CPUS, data=BIG))
    assert after.text == badge.text and not after.fixes
    assert all(r.code != "workers_capped" for r in after.reasons)


def test_memory_cap_on_workers_offers_n_jobs_but_a_cap_on_trials_does_not():
    """The two memory reasons differ by Reason.data["trials"], not by their wording."""
    per_worker = 4 * BIG.n_train * BIG.n_features * 8 + 150 * 2**20
    tight = MachineFacts(usable_cpus=4, total_memory=GB, available_memory=int(2.6 * per_worker),
                         pool_warm_workers=4)
    spec = [{"branch": [["SNV", PLS10], ["MSC", "Ridge"], ["Detrend", "Lasso"],
                        ["StandardScaler", "ElasticNet"]], "n_jobs": 4}]
    badge = one(group_badges(PipelineDocument.from_spec(spec), machine=tight, data=BIG))
    [memory] = [r for r in badge.reasons if r.code == "memory"]
    assert badge.colour == "amber" and badge.workers == 2 and not memory.data.get("trials")
    assert [f.apply for f in badge.fixes] == [("set_branch_options", (0,), None, 2)]
    tuned_spec = [{"branch": [[tuned("Ridge", 4, {"alpha": ["float_log", 1e-5, 1e3]})],
                              ["MSC", "Lasso"]]}]
    little = MachineFacts(usable_cpus=4, total_memory=GB, available_memory=int(1.5 * per_worker),
                          pool_warm_workers=4)
    badge = one(group_badges(PipelineDocument.from_spec(tuned_spec), machine=little, data=BIG))
    [memory] = [r for r in badge.reasons if r.code == "memory"]
    assert memory.data["trials"] is True and memory.path == (0, 0, 0)
    assert not [f for f in badge.fixes if f.apply[0] == "set_branch_options"]


def test_user_sequential_is_grey():
    for options in ({"parallel": False}, {"n_jobs": 1}, {}):
        doc = PipelineDocument.from_spec(
            [{"branch": [["SNV", "PLSRegression"], ["MSC", "Ridge"]], **options}])
        badge = one(group_badges(doc, machine=TWO_CPUS, data=BIG))
        assert (badge.colour, badge.text) == ("grey", "sequential")
        assert badge.reasons[0].code == "user_sequential"


def test_global_workers_cap_the_machine():
    doc = PipelineDocument.from_spec(PATTERNS["pure_parallel"])
    free = one(group_badges(doc, machine=EIGHT_CPUS, data=BIG))
    assert free.text == f"parallel ×{min(4, 4, 8)}"
    capped = one(group_badges(doc, machine=EIGHT_CPUS, data=BIG, global_workers=3))
    assert capped.text == f"parallel ×{min(4, 4, 3)}"
    one_worker = one(group_badges(doc, machine=EIGHT_CPUS, data=BIG, global_workers=1))
    assert one_worker.text == "sequential"
    with pytest.raises(ValueError):
        group_badges(doc, machine=EIGHT_CPUS, global_workers=0)


def test_badges_follow_the_policy_for_each_pattern():
    """Every top-level branch step gets the policy's verdict at its own document path."""
    for name, spec in PATTERNS.items():
        doc = PipelineDocument.from_spec(spec)
        badges = group_badges(doc, machine=TWO_CPUS, data=BIG)
        plan = decide(parse_pipeline(spec), machine=TWO_CPUS, data=BIG)
        groups = [g for g in plan.groups if g.group is not None]
        verdicts = [(g.mode, g.workers) for g in groups]
        assert [(b.mode, b.workers) for b in badges] == verdicts, name
        for badge in badges:
            assert doc.kind_at(badge.path) in ("branch", "generator"), name
    mixed = group_badges(PipelineDocument.from_spec(PATTERNS["mixed"]), machine=TWO_CPUS,
                         data=BIG)
    assert [b.path for b in mixed] == [(0,), (1,)]
    assert mixed[1].colour == "grey"     # RandomForest(n_jobs=-1) sequential by choice


def test_a_branch_step_continuing_an_earlier_one_says_whose_plan_runs_it():
    spec = [{"branch": [["SNV"], ["MSC"]], "n_jobs": 2},
            {"branch": [["Detrend", PLS10], ["Lasso"]], "n_jobs": 2}]
    doc = PipelineDocument.from_spec(spec)
    first, second = group_badges(doc, machine=TWO_CPUS, data=BIG)
    plan = decide(parse_pipeline(spec), machine=TWO_CPUS, data=BIG)
    assert len(plan.groups) == 1 and first.path == (0,)
    assert first.text == f"parallel ×{plan.groups[0].workers}"
    assert (second.path, second.colour, second.text) == ((1,), "grey", "with step 1")
    assert "its own n_jobs=2 is not used" in second.tooltip


def test_incomplete_documents_and_expanded_input():
    doc = PipelineDocument()
    doc.make_branch((), 0)
    assert group_badges(doc, machine=TWO_CPUS) == []
    exp = parse_pipeline(PATTERNS["generator"])
    badge = one(group_badges(exp, machine=TWO_CPUS, data=BIG))
    assert badge.path == (0,) and badge.text == "parallel ×2"


def test_cold_pool_and_little_work_stays_sequential_with_the_policys_reason():
    """Starting workers costs ~1 s; on the default data a few linear models are less work
    than that, so the policy keeps the group sequential and says why; sequential is the
    faster plan here, nothing to fix, so the badge is green (issue 21)."""
    cold = MachineFacts(usable_cpus=2, total_memory=8 * GB, available_memory=6 * GB)
    doc = PipelineDocument.from_spec(PATTERNS["generator"])
    badge = one(group_badges(doc, machine=cold, data=DEFAULT_DATA))
    assert (badge.colour, badge.text) == ("green", "sequential \u00b7 faster")
    reason = next(r for r in badge.reasons if r.code == "too_small")
    assert reason.message in badge.tooltip
    # the only fix offered is the worker cap (n_jobs=4 on 2 CPUs); nothing "fixes" little work
    assert [f.apply for f in badge.fixes] == [("set_branch_options", (0,), None, 2)]


def test_default_data_and_repeatable_verdicts():
    """Runs on every edit (its speed is measured by bench/gui.py, part 4): the same document
    gives the same badges every time, for each seed pattern."""
    assert DataFacts(500, 700) == DEFAULT_DATA
    for spec in PATTERNS.values():
        doc = PipelineDocument.from_spec(spec)
        first = group_badges(doc, machine=TWO_CPUS)
        assert first
        for _ in range(3):
            again = group_badges(doc, machine=TWO_CPUS)
            assert [(b.path, b.colour, b.text, b.tooltip) for b in again] == \
                [(b.path, b.colour, b.text, b.tooltip) for b in first]
