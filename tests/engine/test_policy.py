"""The parallel policy (engine.policy) and the machine facts it decides from (engine.machine).

Every reason is checked from a JSON spec AND from live estimator objects: the library nirdesk
replaces checks serialised dicts only, so its safety detection never fires on the objects its
own guide uses. The policy is pure, so each test hands it an invented machine.
"""
from __future__ import annotations

import json
import os
import random
import re

import numpy as np
import psutil
import pytest
from sklearn.base import BaseEstimator, RegressorMixin
from sklearn.cross_decomposition import PLSRegression
from sklearn.ensemble import BaggingRegressor, RandomForestRegressor
from sklearn.linear_model import ElasticNet, Lasso, Ridge
from sklearn.neural_network import MLPRegressor
from sklearn.preprocessing import StandardScaler

from engine import policy
from engine.dataset import SpectralDataset
from engine.machine import DataFacts, MachineFacts, usable_cpus
from engine.operators import MSC, SNV, Detrend
from engine.pipeline import parse_pipeline
from engine.policy import GroupPlan, Plan, decide, estimate_task_seconds
from engine.registry import allow_module_prefix, remove_module_prefix


@pytest.fixture(autouse=True)
def trials_always_worth_it(monkeypatch, request):
    """Most tests here are about the nesting rules, on small data; the size rule for
    parallel trials has its own test (test_tiny_trials_run_one_at_a_time)."""
    name = request.node.name
    if ("trial" in name or "nest" in name or "optuna" in name) and "tiny_trials" not in name:
        for name in ("COLD_START_SECONDS", "WARM_START_SECONDS", "TASK_OVERHEAD_SECONDS"):
            monkeypatch.setattr(policy, name, 0.0)

GiB = 2**30
MB = 2**20
TWO_CPUS = MachineFacts(usable_cpus=2, total_memory=16 * GiB, available_memory=8 * GiB,
                        pool_warm_workers=2)
FOUR_CPUS = MachineFacts(usable_cpus=4, total_memory=16 * GiB, available_memory=8 * GiB,
                         pool_warm_workers=4)
TABLET = DataFacts(n_train=3400, n_features=597, n_test=200)   # replicated tablet set
TINY = DataFacts(n_train=50, n_features=100)

FIX_N_JOBS = "set the model's n_jobs=1 or run this branch group sequentially"


class FakeBooster(RegressorMixin, BaseEstimator):
    """Stands in for GPU-capable / multi-threaded boosters (xgboost, catboost, lightgbm)."""

    def __init__(self, device=None, tree_method=None, task_type=None, use_gpu=None,
                 gpu_id=None, n_jobs=None, thread_count=None):
        self.device = device
        self.tree_method = tree_method
        self.task_type = task_type
        self.use_gpu = use_gpu
        self.gpu_id = gpu_id
        self.n_jobs = n_jobs
        self.thread_count = thread_count

    def fit(self, X, y):
        return self

    def predict(self, X):
        return np.zeros(len(X))


class XGBLike(FakeBooster):
    """A class from an "xgboost" module: its n_jobs=None means every core."""


XGBLike.__module__ = "xgboost.sklearn"


@pytest.fixture
def booster_allowed():
    prefix = FakeBooster.__module__
    allow_module_prefix(prefix)
    yield f"{prefix}.FakeBooster"
    remove_module_prefix(prefix)


def plan_of(spec, machine: MachineFacts = TWO_CPUS, data: DataFacts = TABLET, **kw) -> Plan:
    """Parse (JSON text for "json" specs goes through json.dumps first) and decide."""
    return decide(parse_pipeline(spec), machine=machine, data=data, **kw)


def only(plan: Plan) -> GroupPlan:
    assert len(plan.groups) == 1
    return plan.groups[0]


def by_code(group: GroupPlan, code: str) -> list:
    return [r for r in group.reasons if r.code == code]


def two_lanes(form: str, second_json: dict, second_live, **options):
    """[SNV, PLS] beside [MSC, <second>] as JSON text or as live objects."""
    if form == "json":
        return json.dumps([{"branch": [["SNV", "PLSRegression"], ["MSC", second_json]],
                            **options}])
    return [{"branch": [[SNV(), PLSRegression()], [MSC(), second_live]], **options}]


def four_pattern(form: str, **options):
    """The seed's "Pure Parallel" pattern (bench case a)."""
    if form == "json":
        return json.dumps([{"branch": [
            ["SNV", {"class": "PLSRegression", "params": {"n_components": 10}}],
            ["MSC", {"class": "Ridge", "params": {"alpha": 1.0}}],
            ["StandardScaler", {"class": "ElasticNet", "params": {"alpha": 0.5}}],
            ["Detrend", {"class": "Lasso", "params": {"alpha": 0.1}}]], **options}])
    return [{"branch": [[SNV(), PLSRegression(n_components=10)], [MSC(), Ridge(alpha=1.0)],
                        [StandardScaler(), ElasticNet(alpha=0.5)], [Detrend(), Lasso(alpha=0.1)]],
             **options}]


def tuned(form: str, model: str, n_jobs: int, n_trials: int = 50):
    ft = {"n_trials": n_trials, "n_jobs": n_jobs}
    if form == "json":
        return {"model": {"class": model}, "finetune_params": ft}
    live = {"PLSRegression": PLSRegression, "Ridge": Ridge, "Lasso": Lasso}[model]()
    return {"model": live, "finetune_params": ft}


def tuned_group(form: str, models: list[str], trial_jobs: int, **options):
    spec = [{"branch": [[tuned(form, m, trial_jobs)] for m in models], **options}]
    return json.dumps(spec) if form == "json" else spec


FORMS = pytest.mark.parametrize("form", ["json", "live"])


# -- models with their own parallelism -----------------------------------------------------------

@FORMS
def test_model_n_jobs_disables_parallel_in_the_seed_words(form):
    g = only(plan_of(two_lanes(form, {"class": "RandomForestRegressor", "params": {"n_jobs": -1}},
                               RandomForestRegressor(n_jobs=-1), parallel=True)))
    assert (g.mode, g.workers, g.requested, g.user_sequential) == ("sequential", 1, -1, False)
    [r] = g.reasons
    assert r.to_json() == {
        "code": "model_n_jobs", "severity": "warning", "branch": 2,
        "message": "Parallel execution disabled: Branch 2 uses n_jobs=-1 (RandomForestRegressor)",
        "fix": FIX_N_JOBS, "path": [0, 1, 1],
        "data": {"key": "n_jobs", "value": -1, "step": [0, 1, 1], "nested": False}}


@FORMS
def test_model_with_n_jobs_1_does_not_block(form):
    g = only(plan_of(two_lanes(form, {"class": "RandomForestRegressor", "params": {"n_jobs": 1}},
                               RandomForestRegressor(n_jobs=1), n_jobs=2)))
    assert (g.mode, g.workers) == ("parallel", 2)
    assert not by_code(g, "model_n_jobs")


def test_nested_n_jobs_inside_a_meta_estimator_fires():
    # The parser stores JSON-able params only, so a nested estimator reaches the policy as
    # the live template of a step; put one there the way a Python caller's object would be.
    expanded = parse_pipeline(two_lanes("live", None, Ridge(), n_jobs=2))
    expanded.branches[1].steps[-1].estimator = BaggingRegressor(
        estimator=RandomForestRegressor(n_jobs=4))
    g = only(decide(expanded, machine=TWO_CPUS, data=TABLET))
    assert g.mode == "sequential"
    [r] = by_code(g, "model_n_jobs")
    assert r.branch == 2 and r.message == ("Parallel execution disabled: Branch 2 uses n_jobs=4 "
                                           "(RandomForestRegressor in BaggingRegressor)")


def test_thread_settings_of_booster_libraries():
    expanded = parse_pipeline(two_lanes("live", None, Ridge(), n_jobs=2))
    step = expanded.branches[1].steps[-1]
    step.estimator = FakeBooster(thread_count=8)          # catboost style
    assert by_code(only(decide(expanded, machine=TWO_CPUS, data=TABLET)), "model_n_jobs")[0] \
        .message.endswith("uses thread_count=8 (FakeBooster)")
    step.estimator = XGBLike()                            # xgboost: n_jobs=None = all cores
    [r] = by_code(only(decide(expanded, machine=TWO_CPUS, data=TABLET)), "model_n_jobs")
    assert r.message == ("Parallel execution disabled: Branch 2 uses n_jobs=None, all cores "
                         "(XGBLike)")
    step.estimator = XGBLike(n_jobs=1)
    assert only(decide(expanded, machine=TWO_CPUS, data=TABLET)).mode == "parallel"
    step.estimator = FakeBooster()                        # not a threaded library: None = 1
    assert only(decide(expanded, machine=TWO_CPUS, data=TABLET)).mode == "parallel"


# -- neural networks and GPUs ------------------------------------------------------------------

@FORMS
def test_mlp_is_a_neural_network(form):
    g = only(plan_of(two_lanes(form, {"class": "MLPRegressor", "params": {"max_iter": 50}},
                               MLPRegressor(max_iter=50), n_jobs=2)))
    assert g.mode == "sequential"
    [r] = g.reasons
    assert (r.code, r.severity, r.branch) == ("neural_network", "warning", 2)
    assert r.message == "Parallel execution disabled: Branch 2 uses a neural network (MLPRegressor)"
    assert "separate sequential branch step" in r.fix


@FORMS
def test_every_offending_branch_gets_its_reason(form):
    if form == "json":
        spec = json.dumps([{"branch": [
            ["SNV", "PLSRegression"],
            ["MSC", {"class": "RandomForestRegressor", "params": {"n_jobs": -1}}],
            ["Detrend", {"class": "MLPRegressor", "params": {"max_iter": 50}}]], "n_jobs": -1}])
    else:
        spec = [{"branch": [[SNV(), PLSRegression()], [MSC(), RandomForestRegressor(n_jobs=-1)],
                            [Detrend(), MLPRegressor(max_iter=50)]], "n_jobs": -1}]
    g = only(plan_of(spec))
    assert [(r.code, r.branch) for r in g.reasons] == [("model_n_jobs", 2), ("neural_network", 3)]
    assert g.mode == "sequential" and not g.user_sequential


@FORMS
def test_gpu_model(form, booster_allowed):
    g = only(plan_of(two_lanes(form, {"class": booster_allowed, "params": {"device": "cuda"}},
                               FakeBooster(device="cuda"), parallel=True)))
    assert g.mode == "sequential"
    [r] = g.reasons
    assert (r.code, r.severity, r.branch) == ("gpu", "warning", 2)
    assert r.message == ("Parallel execution disabled: Branch 2 uses the GPU "
                         "(device='cuda', FakeBooster)")


@pytest.mark.parametrize("params, gpu", [
    ({"device": "cuda:1"}, True), ({"device": "gpu"}, True), ({"tree_method": "gpu_hist"}, True),
    ({"task_type": "GPU"}, True), ({"use_gpu": True}, True), ({"gpu_id": 0}, True),
    ({"device": "cpu"}, False), ({"gpu_id": -1}, False), ({"use_gpu": False}, False),
    ({"tree_method": "hist"}, False)])
def test_gpu_parameters(params, gpu):
    expanded = parse_pipeline(two_lanes("live", None, Ridge(), n_jobs=2))
    expanded.branches[1].steps[-1].estimator = FakeBooster(**params)
    g = only(decide(expanded, machine=TWO_CPUS, data=TABLET))
    assert bool(by_code(g, "gpu")) is gpu
    assert g.mode == ("sequential" if gpu else "parallel")


# -- predict mode, user choice, overrides ------------------------------------------------------

@pytest.mark.parametrize("mode", ["predict", "explain"])
def test_predict_and_explain_are_sequential(mode):
    g = only(plan_of(four_pattern("live", n_jobs=4), mode=mode))
    assert (g.mode, g.workers, g.user_sequential) == ("sequential", 1, False)
    [r] = g.reasons
    assert (r.code, r.severity) == ("predict_mode", "info") and f"{mode} mode" in r.message


@FORMS
@pytest.mark.parametrize("options", [{}, {"parallel": False}, {"n_jobs": 1}])
def test_sequential_by_default_is_the_users_choice(form, options):
    g = only(plan_of(four_pattern(form, **options)))
    assert (g.mode, g.workers, g.requested, g.user_sequential) == ("sequential", 1, 1, True)
    [r] = g.reasons
    assert r.to_json() == {"code": "user_sequential", "severity": "info", "branch": None,
                           "message": "Sequential: this branch step asks for n_jobs=1",
                           "fix": "set n_jobs=-1 (auto) or 2+ to run its branches in parallel",
                           "path": [0], "data": {"why": "this branch step asks for n_jobs=1"}}


def test_user_sequential_group_is_not_warned_about_threaded_models():
    # Sequential branches are the seed's advice for a RandomForest(n_jobs=-1): no warning.
    g = only(plan_of([{"branch": [[SNV(), RandomForestRegressor(n_jobs=-1)], [MSC(), Ridge()]]}]))
    assert [r.code for r in g.reasons] == ["user_sequential"] and g.user_sequential


@FORMS
def test_auto_and_parallel_true(form):
    for options in ({"n_jobs": -1}, {"parallel": True}):
        g = only(plan_of(four_pattern(form, **options)))
        assert (g.mode, g.workers, g.requested) == ("parallel", 2, -1)
        [r] = g.reasons
        assert r.to_json() == {"code": "parallel_auto", "severity": "info", "branch": None,
                               "message": "auto: min(4 branches, 2 usable CPUs) = 2 workers",
                               "fix": None, "path": [0], "data": {"workers": 2}}


def test_workers_capped_by_branches_and_cpus():
    g = only(plan_of(four_pattern("json", n_jobs=8)))
    assert (g.mode, g.workers, g.requested) == ("parallel", 2, 8)
    [r] = g.reasons
    assert (r.code, r.severity, r.message) == (
        "workers_capped", "info", "n_jobs=8 asked; 4 branches on 2 usable CPUs: 2 workers")
    g = only(plan_of(four_pattern("json", n_jobs=8), machine=FOUR_CPUS))
    assert g.workers == 4


def test_one_branch_or_one_cpu_is_sequential():
    g = only(plan_of([{"branch": [["SNV", "PLSRegression"]], "n_jobs": -1}]))
    assert g.mode == "sequential" and not g.user_sequential
    assert [r.message for r in g.reasons] == [
        "auto: min(1 branch, 2 usable CPUs) = 1 worker: sequential"]
    one = MachineFacts(usable_cpus=1, total_memory=GiB, available_memory=GiB)
    g = only(plan_of(four_pattern("json", n_jobs=4), machine=one))
    assert (g.mode, g.workers) == ("sequential", 1)
    assert g.reasons[0].message == "n_jobs=4 asked; 4 branches on 1 usable CPU: sequential"


def test_explicit_n_jobs_within_limits():
    g = only(plan_of(four_pattern("live", n_jobs=3), machine=FOUR_CPUS))
    assert (g.mode, g.workers) == ("parallel", 3)
    assert [r.to_json()["message"] for r in g.reasons] == ["n_jobs=3: 3 workers"]


def test_override_replaces_every_branch_step():
    spec = json.loads(four_pattern("json")) + [
        {"branch": [["SNV", "Ridge"], ["MSC", "Ridge"]], "n_jobs": 2}]
    plain = plan_of(spec)
    assert [(g.mode, g.workers) for g in plain.groups] == [("sequential", 1), ("parallel", 2)]
    auto = plan_of(spec, override_n_jobs=-1, machine=FOUR_CPUS)
    assert [(g.mode, g.workers, g.requested) for g in auto.groups] == [
        ("parallel", 4, -1), ("parallel", 2, -1)]
    three = plan_of(spec, override_n_jobs=3, machine=FOUR_CPUS)
    assert [(g.workers, g.requested) for g in three.groups] == [(3, 3), (2, 3)]
    forced = plan_of(spec, override_n_jobs=1)
    assert all(g.mode == "sequential" and g.user_sequential for g in forced.groups)
    assert forced.groups[1].reasons[0].message == \
        "Sequential: --parallel-branches 1 asks for n_jobs=1"


@pytest.mark.parametrize("bad", [0, -2, 1.5, True])
def test_bad_arguments(bad):
    with pytest.raises(ValueError):
        plan_of(four_pattern("json"), override_n_jobs=bad)
    with pytest.raises(ValueError):
        plan_of(four_pattern("json"), mode="fit")


# -- nested Optuna parallelism -----------------------------------------------------------------

@FORMS
def test_branches_x_trials_keep_branch_level_when_branches_fill_the_cpus(form):
    g = only(plan_of(tuned_group(form, ["PLSRegression", "Ridge"], 4, n_jobs=2)))
    assert (g.mode, g.workers) == ("parallel", 2)
    assert g.trial_n_jobs == {1: 1, 2: 1}
    [r] = by_code(g, "nested_parallelism")
    assert r.severity == "warning" and r.branch is None
    assert r.message == "2 branches x 4 trials = 8 processes on 2 CPUs: trials run with n_jobs=1"


@FORMS
def test_branches_x_trials_go_to_trials_when_cpus_outnumber_branches(form):
    g = only(plan_of(tuned_group(form, ["PLSRegression", "Ridge", "Lasso"], 4, n_jobs=-1),
                     machine=FOUR_CPUS))
    assert (g.mode, g.workers, g.user_sequential) == ("sequential", 1, False)
    assert g.trial_n_jobs == {1: 4, 2: 4, 3: 4}
    [r] = by_code(g, "nested_parallelism")
    assert r.message == ("3 branches x 4 trials = 12 processes on 4 CPUs: branches run "
                         "sequentially, trials with n_jobs=4")
    g = only(plan_of(tuned_group(form, ["PLSRegression", "Ridge", "Lasso"], 8, n_jobs=-1),
                     machine=FOUR_CPUS))
    assert g.trial_n_jobs == {1: 4, 2: 4, 3: 4} and not by_code(g, "trials_capped")


@FORMS
def test_trials_in_a_sequential_group_are_capped_to_the_cpus(form):
    g = only(plan_of(tuned_group(form, ["PLSRegression"], 4)))
    assert g.mode == "sequential" and g.trial_n_jobs == {1: 2} and g.user_sequential
    [r] = by_code(g, "trials_capped")
    assert (r.severity, r.branch, r.message) == (
        "info", 1, "Branch 1: finetune n_jobs=4 asked on 2 usable CPUs: trials run with n_jobs=2")
    g = only(plan_of(tuned_group(form, ["PLSRegression"], -1)))
    assert g.trial_n_jobs == {1: 2} and not by_code(g, "trials_capped")
    g = only(plan_of(tuned_group(form, ["PLSRegression"], 2), mode="predict"))
    assert g.trial_n_jobs == {1: 1}


def test_trials_of_a_threaded_model_run_one_at_a_time():
    spec = [{"model": RandomForestRegressor(n_jobs=-1),
             "finetune_params": {"n_trials": 10, "n_jobs": 2}}]
    trunk = only(plan_of(spec))
    assert trunk.group is None and trunk.trial_n_jobs == {1: 1}
    [r] = trunk.reasons
    assert (r.code, r.severity, r.branch) == ("nested_parallelism", "warning", 1)
    assert r.message == ("Branch 1 uses n_jobs=-1 (RandomForestRegressor) and asks for 2 "
                         "parallel trials: trials run with n_jobs=1")


# -- memory and cost ---------------------------------------------------------------------------

def test_memory_caps_workers():
    per_worker = 4 * 3400 * 597 * 8 + 150 * MB      # ~215 MB
    tight = MachineFacts(usable_cpus=4, total_memory=GiB, available_memory=int(2.6 * per_worker),
                         pool_warm_workers=4)
    g = only(plan_of(four_pattern("live", n_jobs=4), machine=tight))
    assert (g.mode, g.workers) == ("parallel", 2)
    [r] = by_code(g, "memory")
    assert r.severity == "warning" and r.message.endswith(": 2 workers")
    assert re.search(r"4 workers need about \d+ MB \(\d+ MB each", r.message)
    assert "3,400 x 597" in r.message and "more than 80% of the" in r.message
    tighter = MachineFacts(usable_cpus=4, total_memory=GiB, available_memory=300 * MB)
    g = only(plan_of(four_pattern("live", n_jobs=4), machine=tighter))
    assert g.mode == "sequential" and by_code(g, "memory")[0].message.endswith(": sequential")


def test_memory_caps_parallel_trials():
    tight = MachineFacts(usable_cpus=4, total_memory=GiB, available_memory=300 * MB)
    g = only(plan_of(tuned_group("json", ["PLSRegression"], 4), machine=tight))
    assert g.trial_n_jobs == {1: 1}
    [r] = by_code(g, "memory")
    assert r.branch == 1 and "trials run one at a time" in r.message


@FORMS
def test_four_branch_pattern_on_tablet_size_runs_parallel(form):
    for warm in (2, 0):
        machine = MachineFacts(usable_cpus=2, total_memory=8 * GiB, available_memory=4 * GiB,
                               pool_warm_workers=warm)
        g = only(plan_of(four_pattern(form, n_jobs=2), machine=machine))
        assert (g.mode, g.workers) == ("parallel", 2), g.reasons


@FORMS
def test_tiny_dataset_is_too_small_for_workers(form):
    cold = MachineFacts(usable_cpus=2, total_memory=8 * GiB, available_memory=4 * GiB)
    g = only(plan_of(four_pattern(form, n_jobs=2), machine=cold, data=TINY))
    assert (g.mode, g.workers, g.user_sequential) == ("sequential", 1, False)
    [r] = g.reasons
    assert (r.code, r.severity) == ("too_small", "info")
    assert re.fullmatch(r"Sequential: about [0-9.e-]+ s of work, less than starting 2 workers "
                        r"\(~1 s\)", r.message), r.message
    warm = only(plan_of(four_pattern(form, n_jobs=2), data=TINY))
    assert warm.mode == "sequential" and warm.reasons[0].code == "too_small"


def test_blas_bound_threshold(monkeypatch):
    eight = [{"branch": {"_or_": ["SNV", "MSC", "Detrend", "StandardScaler", "FirstDerivative",
                                  "SecondDerivative", "Normalize", None]}, "n_jobs": 2},
             {"class": "PLSRegression", "params": {"n_components": 10}}]
    big = DataFacts(n_train=20_000, n_features=1_000)
    assert policy.BLAS_BOUND_MIN_ELEMENTS >= 5e7
    assert only(plan_of(eight, data=big)).mode == "parallel"   # default: never below 5e7
    monkeypatch.setattr(policy, "BLAS_BOUND_MIN_ELEMENTS", 1_000_000)
    g = only(plan_of(eight))
    assert g.mode == "sequential"
    [r] = g.reasons
    assert (r.code, r.message) == ("blas_bound", "Sequential: BLAS-bound models on large matrices "
                                   "use both cores in one process; a second process does not "
                                   "speed them up")
    # One non-BLAS model in the group and the rule no longer applies.
    assert only(plan_of(four_pattern("live", n_jobs=2))).mode == "parallel"
    # The BLAS-bound models are the registry's cost class "blas", for JSON names and live
    # objects alike (PLS-DA and LinearRegression too; a Lasso is not).
    for model in ("PLSDA", "Ridge", "sklearn.linear_model.LinearRegression", Ridge()):
        spec = [eight[0], model if not isinstance(model, str) else {"class": model}]
        assert only(plan_of(spec)).mode == "sequential", model
    assert only(plan_of([eight[0], {"class": "Lasso"}])).mode == "parallel"


def test_estimate_task_seconds_orders_models():
    def branch(step):
        return parse_pipeline([step]).branches[0]
    pls = estimate_task_seconds(branch(PLSRegression(n_components=10)), 1000, 500)
    assert pls == pytest.approx(5.7e-9 * 1000 * 500 * 10)
    ridge = estimate_task_seconds(branch(Ridge()), 1000, 500)
    lasso = estimate_task_seconds(branch(Lasso()), 1000, 500)
    forest = estimate_task_seconds(branch(RandomForestRegressor(n_estimators=100)), 1000, 500)
    assert ridge < lasso < forest and pls < lasso
    assert estimate_task_seconds(branch(RandomForestRegressor(n_estimators=200)), 1000, 500) \
        == pytest.approx(2 * forest)
    ft = branch({"model": Ridge(), "finetune_params": {"n_trials": 30}})
    assert estimate_task_seconds(ft, 1000, 500) == pytest.approx(30 * ridge)
    snv = parse_pipeline(["SNV", "Ridge"]).branches[0]
    als = parse_pipeline(["Baseline", "Ridge"]).branches[0]
    extra = estimate_task_seconds(snv, 1000, 500) - ridge
    assert extra > 0
    assert estimate_task_seconds(als, 1000, 500) - ridge == pytest.approx(10 * extra)


# -- structure of the plan ---------------------------------------------------------------------

def test_to_json_matches_the_results_parallel_section():
    plan = plan_of(two_lanes("live", None, RandomForestRegressor(n_jobs=-1), parallel=True))
    data = json.loads(json.dumps(plan.to_json()))
    assert data == [{"step": "step 1", "path": [0], "mode": "sequential", "workers": 1,
                     "reasons": [
        {"code": "model_n_jobs", "severity": "warning", "branch": 2,
         "message": "Parallel execution disabled: Branch 2 uses n_jobs=-1 (RandomForestRegressor)",
         "fix": FIX_N_JOBS, "path": [0, 1, 1],
         "data": {"key": "n_jobs", "value": -1, "step": [0, 1, 1], "nested": False}}]}]
    assert plan.max_workers == 1


def test_trunk_and_groups_in_execution_order():
    spec = ["SNV", "PLSRegression", {"branch": [["Ridge"], ["Lasso"]], "n_jobs": 2}]
    plan = plan_of(spec)
    trunk, group = plan.groups
    assert (trunk.group, trunk.where, trunk.branch_ids, trunk.mode, trunk.reasons) == (
        None, "top level", [1], "sequential", [])
    assert (group.group, group.where, group.branch_ids, group.mode) == (
        0, "step 3", [2, 3], "parallel")
    assert plan.for_branch(1) is trunk and plan.for_branch(3) is group
    assert plan.to_json()[0]["step"] == "top level" and plan.max_workers == 2
    with pytest.raises(KeyError):
        plan.for_branch(9)


def test_nested_branch_steps_run_inside_the_top_level_plan():
    spec = [{"branch": {"_or_": ["SNV", [{"branch": [["MSC"], ["Detrend"]], "n_jobs": 4}]]},
             "n_jobs": 2}, "PLSRegression"]
    g = only(plan_of(spec))
    assert g.branch_ids == [1, 2, 3] and (g.mode, g.workers) == ("parallel", 2)
    [note] = by_code(g, "nested_branch_step")
    assert note.severity == "info" and note.message == (
        "Nested branch step at step 1 > branch 2 > step 1 runs inside step 1's plan; "
        "its own n_jobs=4 is not used")
    # A later top-level branch step that continues the lanes of the first one.
    spec = [{"branch": {"_or_": ["SNV", "MSC"]}, "n_jobs": 2},
            {"branch": [["PLSRegression"], ["Ridge"]]}]
    g = only(plan_of(spec))
    assert g.branch_ids == [1, 2, 3, 4] and g.where == "step 1"
    assert by_code(g, "nested_branch_step")[0].message.startswith(
        "Branch step at step 2 runs inside step 1's plan")


def test_disabled_branches_do_not_count():
    spec = [{"branch": [["SNV", "PLSRegression"],
                        ["MSC", {"class": "RandomForestRegressor", "params": {"n_jobs": -1},
                                 "enabled": False}]], "n_jobs": -1}]
    g = only(plan_of(spec))
    assert g.branch_ids == [1, 2] and g.mode == "sequential"
    assert [r.code for r in g.reasons] == ["workers_capped"]   # one active branch, no warning


def test_decide_never_exceeds_the_usable_cpus():
    rng = random.Random(7)
    models = ["PLSRegression", "Ridge", "Lasso", {"class": "RandomForestRegressor",
                                                  "params": {"n_estimators": 20}}]
    for _ in range(60):
        lanes = [[rng.choice(["SNV", "MSC", "Detrend"]),
                  rng.choice(models + [{"model": {"class": "Ridge"}, "finetune_params": {
                      "n_trials": rng.randint(1, 60), "n_jobs": rng.choice([1, 2, 4, -1])}}])]
                 for _ in range(rng.randint(1, 6))]
        spec = [rng.choice(["Ridge", "SNV"]), {"branch": lanes, "n_jobs": rng.choice(
            [1, 2, 3, 8, -1]), "parallel": rng.random() < 0.3}, "PLSRegression"]
        expanded = parse_pipeline(spec)
        for cpus in (1, 2, 3, 8):
            machine = MachineFacts(usable_cpus=cpus, total_memory=16 * GiB,
                                   available_memory=rng.choice([200 * MB, 2 * GiB, 16 * GiB]),
                                   pool_warm_workers=rng.randint(0, cpus))
            data = DataFacts(rng.choice([30, 500, 5000]), rng.choice([50, 700]))
            plan = decide(expanded, machine=machine, data=data,
                          override_n_jobs=rng.choice([None, None, 1, 2, -1, 16]))
            ids = sorted(i for g in plan.groups for i in g.branch_ids)
            assert ids == [b.id for b in expanded.branches]
            for g in plan.groups:
                assert 1 <= g.workers <= cpus
                assert (g.mode == "parallel") == (g.workers >= 2)
                assert set(g.trial_n_jobs) == set(g.branch_ids)
                assert all(1 <= n <= cpus for n in g.trial_n_jobs.values())
                assert all(r.severity in ("info", "warning") for r in g.reasons)
            assert plan.max_workers <= cpus


def test_decide_is_pure(monkeypatch):
    def boom(*a, **k):
        raise AssertionError("the policy must not measure the machine")
    monkeypatch.setattr(psutil, "virtual_memory", boom)
    monkeypatch.setattr(os, "cpu_count", boom)
    if hasattr(os, "sched_getaffinity"):
        monkeypatch.setattr(os, "sched_getaffinity", boom)
    assert only(plan_of(four_pattern("json", n_jobs=2))).mode == "parallel"


# -- machine facts -------------------------------------------------------------------------------

def test_machine_facts_current():
    facts = MachineFacts.current(pool_warm_workers=3)
    expected = len(os.sched_getaffinity(0)) if hasattr(os, "sched_getaffinity") \
        else os.cpu_count()
    assert facts.usable_cpus == usable_cpus() == expected
    assert 0 < facts.available_memory <= facts.total_memory
    assert facts.pool_warm_workers == 3


def test_data_facts():
    facts = DataFacts(n_train=100, n_features=50, n_test=20)
    assert facts.nbytes == 120 * 50 * 8
    ds = SpectralDataset(X=np.zeros((10, 4)), wavelengths=np.arange(4.0),
                         targets={"y": np.arange(10.0)}, sample_ids=np.arange(10),
                         test_mask=np.arange(10) >= 7)
    assert DataFacts.from_dataset(ds) == DataFacts(n_train=7, n_features=4, n_test=3)


def test_tiny_trials_run_one_at_a_time_but_large_ones_in_parallel():
    tuned = [{"model": {"class": "Ridge"}, "finetune_params": {
        "n_trials": 40, "n_jobs": 2, "model_params": {"alpha": ["float_log", 1e-5, 1e3]}}}]
    machine = MachineFacts(usable_cpus=2, total_memory=24 * 2**30, available_memory=20 * 2**30)
    small = decide(parse_pipeline(tuned), machine=machine, data=DataFacts(430, 597, 212))
    group = small.groups[0]
    assert group.trial_n_jobs[1] == 1
    reason = next(r for r in group.reasons if r.code == "trials_too_small")
    assert reason.branch == 1 and "trials run with n_jobs=1" in reason.message
    large = decide(parse_pipeline(tuned), machine=machine, data=DataFacts(3440, 597, 212))
    assert large.groups[0].trial_n_jobs[1] == 2
    assert not any(r.code == "trials_too_small" for r in large.groups[0].reasons)


# -- structured facts beside the text (the window reads these, never the messages) -------------

def test_plans_and_reasons_carry_the_address_of_their_branch_step():
    spec = ["SNV", "PLSRegression",
            {"branch": [["Ridge"], [{"branch": {"_or_": ["MSC", "Detrend"]}, "n_jobs": 4},
                                    "Lasso"]], "n_jobs": 1}]
    trunk, group = plan_of(spec).groups
    assert (trunk.path, group.path) == (None, (2,))
    assert trunk.to_json()["path"] is None and group.to_json()["path"] == [2]
    [note] = by_code(group, "nested_branch_step")
    assert note.path == (2, 1, 0) and note.data == {"owner": (2,)}
    assert note.to_json()["data"] == {"owner": [2]}
    [seq] = by_code(group, "user_sequential")
    assert seq.path == (2,) and seq.data == {"why": "this branch step asks for n_jobs=1"}
    assert seq.message == f"Sequential: {seq.data['why']}"


def test_a_later_branch_step_continuing_lanes_names_its_owner():
    spec = [{"branch": {"_or_": ["SNV", "MSC"]}, "n_jobs": 2},
            {"branch": [["PLSRegression"], ["Ridge"]]}]
    [note] = by_code(only(plan_of(spec)), "nested_branch_step")
    assert (note.path, note.data) == ((1,), {"owner": (0,)})


def test_thread_findings_name_the_step_the_key_and_whether_it_is_nested():
    expanded = parse_pipeline(two_lanes("live", None, Ridge(), n_jobs=2))
    expanded.branches[1].steps[-1].estimator = BaggingRegressor(
        estimator=RandomForestRegressor(n_jobs=4))
    [r] = by_code(only(decide(expanded, machine=TWO_CPUS, data=TABLET)), "model_n_jobs")
    assert r.path == (0, 1, 1)
    assert r.data == {"key": "n_jobs", "value": 4, "step": (0, 1, 1), "nested": True}
    spec = [{"model": RandomForestRegressor(n_jobs=-1),
             "finetune_params": {"n_trials": 10, "n_jobs": 2}}]
    [r] = only(plan_of(spec)).reasons
    assert r.code == "nested_parallelism" and r.path == (0,)
    assert r.data == {"key": "n_jobs", "value": -1, "step": (0,), "nested": False,
                      "cause": "model_n_jobs", "trials": 2}


def test_trial_reasons_point_at_the_tuned_model_and_say_they_are_about_trials():
    g = only(plan_of(tuned_group("json", ["PLSRegression"], 4)))
    [r] = by_code(g, "trials_capped")
    assert r.path == (0, 0, 0) and r.data == {"asked": 4, "n_jobs": 2, "step": (0, 0, 0)}
    tight = MachineFacts(usable_cpus=4, total_memory=GiB, available_memory=300 * MB)
    g = only(plan_of(tuned_group("json", ["PLSRegression"], 4), machine=tight))
    [r] = by_code(g, "memory")
    assert r.path == (0, 0, 0) and r.data["trials"] is True and r.data["branches"] == [1]
    per_worker = 4 * 3400 * 597 * 8 + 150 * MB
    tight = MachineFacts(usable_cpus=4, total_memory=GiB, available_memory=int(2.6 * per_worker),
                         pool_warm_workers=4)
    [r] = by_code(only(plan_of(four_pattern("live", n_jobs=4), machine=tight)), "memory")
    assert r.path == (0,) and "trials" not in r.data
    assert r.data == {"workers": 4, "fits": 2}
