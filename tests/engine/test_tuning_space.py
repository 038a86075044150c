"""finetune_params search spaces: forms, validation, samplers, and pipeline parameter names.

Why these tests: the tuner trusts FinetuneConfig blindly, so every malformed range must stop
at parse time with a message naming the key, every sampled value must lie in its range, and
a seeded search must replay exactly (reproducible runs are a docs/design.md promise).
"""
from __future__ import annotations

import math

import optuna
import pytest
from sklearn.cross_decomposition import PLSRegression

from engine.errors import SpecError
from engine.operators import SNV, SavitzkyGolay
from engine.pipeline import parse_pipeline
from engine.tuning.space import (
    Dimension,
    FinetuneConfig,
    grid_space,
    make_pruner,
    make_sampler,
    parse_finetune,
    resolve_param,
    suggest,
    with_params,
)

optuna.logging.set_verbosity(optuna.logging.ERROR)

ALL_KINDS = {"n": ("int", 1, 25), "m": ("int_log", 1, 1000), "x": ("float", -1.5, 2.5),
             "alpha": ("float_log", 1e-5, 1e3), "kernel": ("categorical", ["rbf", "linear"])}


def _space(**model_params) -> FinetuneConfig:
    return parse_finetune({"model_params": model_params})


def _branch_pipeline():
    spec = ["SNV", {"class": "SavitzkyGolay", "params": {"window_length": 15}},
            {"class": "PLSRegression", "params": {"scale": False}}]
    return parse_pipeline(spec).branches[0].build_pipeline()


# -- forms -----------------------------------------------------------------------------------

@pytest.mark.parametrize("container", [tuple, list])
@pytest.mark.parametrize("value, expected", [
    (("int", 1, 25), Dimension("k", "int", 1, 25)),
    (("int_log", 2, 64), Dimension("k", "int_log", 2, 64)),
    (("float", 0, 1), Dimension("k", "float", 0.0, 1.0)),
    (("float_log", 1e-5, 1e3), Dimension("k", "float_log", 1e-5, 1e3)),
    (("categorical", ["rbf", "linear"]), Dimension("k", "categorical", choices=("rbf", "linear"))),
    (("int", 7, 7), Dimension("k", "int", 7, 7)),
])
def test_each_range_type_parses_from_tuple_and_list(container, value, expected):
    assert _space(k=container(value)).dimensions == (expected,)


def test_bare_list_is_categorical_and_types_survive():
    dim = _space(k=[True, 3, 0.5, "a", None]).dimensions[0]
    assert dim.kind == "categorical" and dim.choices == (True, 3, 0.5, "a", None)
    assert isinstance(_space(k=("float", 1, 2)).dimensions[0].low, float)


def test_defaults_and_explicit_fields():
    cfg = parse_finetune({"n_trials": 30, "n_jobs": -1, "timeout": 12, "sampler": "Random",
                          "pruner": "median", "seed": 3, "model_params": {"n": ["int", 1, 5]}})
    assert (cfg.n_trials, cfg.n_jobs, cfg.timeout, cfg.sampler, cfg.pruner, cfg.seed) == \
        (30, -1, 12.0, "random", "median", 3)
    default = parse_finetune({})
    assert (default.n_trials, default.n_jobs, default.sampler, default.metric,
            default.direction, default.dimensions) == (50, 1, "tpe", "rmse", "minimize", ())


def test_dimensions_keep_the_written_order():
    cfg = parse_finetune({"model_params": ALL_KINDS})
    assert [d.key for d in cfg.dimensions] == list(ALL_KINDS)


# -- validation ------------------------------------------------------------------------------

@pytest.mark.parametrize("model_params, text", [
    ({"k": ("int", 5, 1)}, "int needs low <= high, got low=5, high=1"),
    ({"k": ("float", 1.0, 1.0)}, "float needs low < high"),
    ({"k": ("int", 1.0, 25)}, "int bounds must be integers"),
    ({"k": ("int", True, 25)}, "int bounds must be integers"),
    ({"k": ("float", 0, math.inf)}, "float bounds must be finite numbers"),
    ({"k": ("float_log", 0, 1)}, "a log range needs low > 0"),
    ({"k": ("int_log", 0, 10)}, "a log range needs low > 0"),
    ({"k": ("int", 1)}, "write ['int', low, high]"),
    ({"k": ("categorical", [])}, "the list of choices is empty"),
    ({"k": ("categorical", "rbf", "linear")}, "write ['categorical', [choice, ...]]"),
    ({"k": []}, "expected a range such as ['int', 1, 25]"),
    ({"k": 5}, "expected a range such as"),
    ({"k": ["a", "a"]}, "duplicate choices"),
    ({"k": [[1, 2], [3]]}, "is not a string, number, boolean or null"),
    ({"k": ["integer", 1, 25]}, "unknown range type 'integer' (did you mean 'int'?)"),
    ({"": ("int", 1, 2)}, "'' is not a parameter name"),
])
def test_bad_ranges_name_the_key_and_the_problem(model_params, text):
    with pytest.raises(SpecError) as err:
        parse_finetune({"model_params": model_params}, where="step 2 (PLSRegression)")
    assert text in str(err.value)
    assert err.value.where == "step 2 (PLSRegression)"
    assert err.value.message.startswith("finetune_params.model_params")


@pytest.mark.parametrize("finetune, text", [
    ({"n_trials": 0}, "finetune_params.n_trials must be an integer >= 1, got 0"),
    ({"n_trials": 2.0}, "n_trials must be an integer >= 1"),
    ({"n_jobs": 0}, "n_jobs must be -1 (all usable CPUs) or an integer >= 1"),
    ({"n_jobs": -2}, "n_jobs must be -1"),
    ({"timeout": 0}, "timeout must be a number of seconds > 0"),
    ({"timeout": "10"}, "timeout must be a number of seconds > 0"),
    ({"sampler": "cmaes"}, "sampler must be one of tpe, random, grid"),
    ({"pruner": "hyperband"}, "pruner must be null or 'median'"),
    ({"seed": -1}, "seed must be an integer >= 0"),
    ({"ntrials": 5}, "unknown key 'ntrials' (did you mean 'n_trials'?); known keys: n_trials, "
                     "n_jobs, timeout, sampler, pruner, metric, direction, model_params"),
    ({"model_params": [("int", 1, 2)]}, "model_params must be an object"),
])
def test_bad_settings_are_spec_errors(finetune, text):
    with pytest.raises(SpecError, match=None) as err:
        parse_finetune(finetune)
    assert text in str(err.value)


def test_finetune_params_must_be_a_dict():
    with pytest.raises(SpecError, match="must be an object"):
        parse_finetune([("n_trials", 3)])


# -- metric / direction ----------------------------------------------------------------------

@pytest.mark.parametrize("metric, classification, direction", [
    ("rmse", False, "minimize"), ("mae", False, "minimize"), ("r2", False, "maximize"),
    ("accuracy", True, "maximize"), ("balanced_accuracy", True, "maximize"),
    ("f1_macro", True, "maximize"),
])
def test_direction_follows_the_metric(metric, classification, direction):
    cfg = parse_finetune({"metric": metric}, classification=classification)
    assert (cfg.metric, cfg.direction) == (metric, direction)
    same = parse_finetune({"metric": metric, "direction": direction},
                          classification=classification)
    assert same.direction == direction
    other = "maximize" if direction == "minimize" else "minimize"
    with pytest.raises(SpecError, match=f"direction '{other}' contradicts the metric"):
        parse_finetune({"metric": metric, "direction": other}, classification=classification)


def test_default_metric_depends_on_the_target_and_wrong_task_is_refused():
    assert parse_finetune({}, classification=True).metric == "balanced_accuracy"
    with pytest.raises(SpecError, match="'rmse' is a regression metric but the target is a "
                                        "classification target; use one of accuracy"):
        parse_finetune({"metric": "rmse"}, classification=True)
    with pytest.raises(SpecError, match="'f1_macro' is a classification metric"):
        parse_finetune({"metric": "f1_macro"})
    with pytest.raises(SpecError, match="direction must be one of minimize, maximize"):
        parse_finetune({"direction": "down"})


# -- sampling --------------------------------------------------------------------------------

def _ask_tell(config: FinetuneConfig, n: int, seed: int = 0) -> list[dict]:
    """Run an ask/tell study (as the tuner does) with a deterministic objective."""
    study = optuna.create_study(direction=config.direction, sampler=make_sampler(config, seed))
    seen = []
    for _ in range(n):
        trial = study.ask()
        params = suggest(trial, config.dimensions)
        seen.append(params)
        value = (params.get("x", 0.0) - 0.3) ** 2 + abs(math.log10(params.get("alpha", 1.0)))
        study.tell(trial, value + params.get("n", 0) / 25)
    return seen


def _in_range(dim: Dimension, value: object) -> bool:
    if dim.kind == "categorical":
        return value in dim.choices
    typed = isinstance(value, int) if dim.kind.startswith("int") else isinstance(value, float)
    return typed and dim.low <= value <= dim.high


@pytest.mark.parametrize("sampler", ["tpe", "random"])
def test_200_trials_stay_in_bounds(sampler):
    cfg = parse_finetune({"sampler": sampler, "model_params": ALL_KINDS})
    seen = _ask_tell(cfg, 200)
    for dim in cfg.dimensions:
        values = [p[dim.key] for p in seen]
        assert all(_in_range(dim, v) for v in values), dim
    if sampler == "random":   # log ranges really are log-uniform: ~7/8 of alphas below 100
        assert 150 < sum(p["alpha"] < 100 for p in seen) < 195


def test_grid_covers_the_whole_int_range_and_stays_in_bounds():
    cfg = parse_finetune({"sampler": "grid", "model_params": {"n": ["int", 1, 25],
                                                              "kernel": ["rbf", "linear"]}})
    assert len(grid_space(cfg.dimensions)["n"]) == 25
    # 50 grid points, then revisits: the tell that exhausts the grid must not raise (Optuna's
    # GridSampler calls study.stop() there). Only 60 trials: revisits cost O(trials) each.
    seen = _ask_tell(cfg, 60)
    first = {(p["n"], p["kernel"]) for p in seen[:50]}
    assert first == {(n, k) for n in range(1, 26) for k in ("rbf", "linear")}
    assert all(1 <= p["n"] <= 25 and p["kernel"] in ("rbf", "linear") for p in seen)


@pytest.mark.parametrize("sampler", ["tpe", "random", "grid"])
def test_seeded_samplers_replay_the_same_sequence(sampler):
    space = ALL_KINDS if sampler != "grid" else {"n": ("int", 1, 25), "kernel": ["a", "b"]}
    cfg = parse_finetune({"sampler": sampler, "model_params": space})
    assert _ask_tell(cfg, 25, seed=7) == _ask_tell(cfg, 25, seed=7)
    assert _ask_tell(cfg, 25, seed=7) != _ask_tell(cfg, 25, seed=8)


def test_config_seed_pins_the_sampler():
    cfg = parse_finetune({"seed": 5, "sampler": "random", "model_params": {"n": ("int", 1, 99)}})
    assert _ask_tell(cfg, 10, seed=1) == _ask_tell(cfg, 10, seed=2)


def test_grid_refuses_float_ranges_and_huge_grids():
    floats = parse_finetune({"sampler": "grid", "model_params": {"a": ("float_log", 1e-3, 1)}})
    with pytest.raises(SpecError, match="grid' needs int or categorical ranges; 'a' is float_log"):
        make_sampler(floats, 0)
    huge = parse_finetune({"sampler": "grid", "model_params": {"a": ("int", 1, 200),
                                                               "b": ("int", 1, 60)}})
    with pytest.raises(SpecError, match="more than 10,000 points"):
        make_sampler(huge, 0)


def test_pruner():
    assert make_pruner(parse_finetune({})) is None
    assert isinstance(make_pruner(parse_finetune({"pruner": "median"})),
                      optuna.pruners.MedianPruner)


# -- pipeline parameter names ----------------------------------------------------------------

@pytest.mark.parametrize("key, resolved", [
    ("n_components", "2_plsregression__n_components"),
    ("SavitzkyGolay__window_length", "1_savitzkygolay__window_length"),
    ("savitzkygolay__polyorder", "1_savitzkygolay__polyorder"),
    ("1_savitzkygolay__deriv", "1_savitzkygolay__deriv"),
    ("1__deriv", "1_savitzkygolay__deriv"),
    ("model__scale", "2_plsregression__scale"),
    ("PLSRegression__n_components", "2_plsregression__n_components"),
])
def test_resolve_param(key, resolved):
    assert resolve_param(_branch_pipeline(), key) == resolved


@pytest.mark.parametrize("key, text", [
    ("MSC__reference", "'MSC__reference' names no step of this branch (steps: 0_snv (SNV), "
                       "1_savitzkygolay (SavitzkyGolay), 2_plsregression (PLSRegression))"),
    ("n_component", "PLSRegression has no parameter 'n_component' (did you mean "
                    "'n_components'?)"),
    ("window_length", "a preprocessing step's parameter is written StepClass__param"),
    ("SavitzkyGolay__window", "SavitzkyGolay has no parameter 'window'"),
])
def test_resolve_param_errors(key, text):
    with pytest.raises(SpecError) as err:
        resolve_param(_branch_pipeline(), key, where="step 3")
    assert text in str(err.value) and err.value.where == "step 3"


def test_two_steps_of_one_class_must_be_named():
    from sklearn.pipeline import Pipeline
    pipe = Pipeline([("0_savitzkygolay", SavitzkyGolay()), ("1_savitzkygolay", SavitzkyGolay()),
                     ("2_plsregression", PLSRegression())])
    with pytest.raises(SpecError, match="matches several steps"):
        resolve_param(pipe, "SavitzkyGolay__window_length")
    assert resolve_param(pipe, "1_savitzkygolay__window_length") == "1_savitzkygolay__window_length"


def test_with_params_returns_a_clone_and_leaves_the_template_untouched():
    template = _branch_pipeline()
    before = template.get_params(deep=True)
    tuned = with_params(template, {"n_components": 9, "SavitzkyGolay__window_length": 21})
    assert tuned is not template and tuned.steps[-1][1] is not template.steps[-1][1]
    assert tuned.named_steps["2_plsregression"].n_components == 9
    assert tuned.named_steps["1_savitzkygolay"].window_length == 21
    assert tuned.named_steps["2_plsregression"].scale is False     # other params kept
    after = template.get_params(deep=True)
    assert after.keys() == before.keys()
    assert all(after[k] is before[k] or after[k] == before[k] for k in before
               if not hasattr(before[k], "get_params"))
    assert template.named_steps["2_plsregression"].n_components == 2
    assert isinstance(template.named_steps["0_snv"], SNV)
