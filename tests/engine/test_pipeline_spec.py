"""parse_pipeline: the seed guide's patterns, the expansion rules, round trips and errors."""
from __future__ import annotations

import json

import numpy as np
import pytest
from sklearn.base import BaseEstimator, RegressorMixin
from sklearn.cross_decomposition import PLSRegression
from sklearn.ensemble import RandomForestRegressor
from sklearn.linear_model import ElasticNet, Lasso, Ridge
from sklearn.model_selection import KFold, ShuffleSplit
from sklearn.neural_network import MLPRegressor
from sklearn.preprocessing import MinMaxScaler, StandardScaler

from engine.errors import NirdeskInputError, SpecError
from engine.operators import MSC, SNV, Detrend, SavitzkyGolay
from engine.pipeline import ExpandedPipeline, parse_pipeline
from engine.registry import allow_module_prefix, remove_module_prefix

KFOLD_DEFAULT = "KFold(n_splits=5, shuffle=True, random_state=0)"

# -- the seed guide's four "Common Patterns": Python objects and their normal JSON form ------

PY_PATTERNS = {
    "pure_parallel": lambda: [
        {"branch": [
            [SNV(), PLSRegression(n_components=10)],
            [MSC(), Ridge(alpha=1.0)],
            [StandardScaler(), ElasticNet(alpha=0.5)],
            [Detrend(), Lasso(alpha=0.1)],
        ], "n_jobs": 4},
    ],
    "mixed": lambda: [
        {"branch": [[SNV(), PLSRegression()], [MSC(), Ridge()]], "n_jobs": 2},
        {"branch": [[StandardScaler(), RandomForestRegressor(n_jobs=-1)]], "parallel": False},
    ],
    "optuna": lambda: [
        {"branch": [
            [{"model": PLSRegression(),
              "finetune_params": {"n_trials": 100, "n_jobs": 8,
                                  "model_params": {"n_components": ("int", 1, 30)}}}],
            [{"model": Ridge(),
              "finetune_params": {"n_trials": 100, "n_jobs": 8,
                                  "model_params": {"alpha": ("float_log", 1e-5, 1e3)}}}],
        ], "parallel": False},
    ],
    "generator": lambda: [
        {"branch": {"_or_": [SNV, MSC, Detrend, StandardScaler]}, "n_jobs": 4},
        PLSRegression(n_components=10),
    ],
}

JSON_PATTERNS = {
    # Ridge(alpha=1.0) is Ridge's default, so the object's normal form is plain "Ridge".
    "pure_parallel": """[{"branch": [
        ["SNV", {"class": "PLSRegression", "params": {"n_components": 10}}],
        ["MSC", "Ridge"],
        ["StandardScaler", {"class": "ElasticNet", "params": {"alpha": 0.5}}],
        ["Detrend", {"class": "Lasso", "params": {"alpha": 0.1}}]], "n_jobs": 4}]""",
    "mixed": """[
        {"branch": [["SNV", "PLSRegression"], ["MSC", "Ridge"]], "n_jobs": 2},
        {"branch": [["StandardScaler",
                     {"class": "RandomForestRegressor", "params": {"n_jobs": -1}}]],
         "parallel": false}]""",
    "optuna": """[{"branch": [
        [{"model": {"class": "PLSRegression"},
          "finetune_params": {"n_trials": 100, "n_jobs": 8,
                              "model_params": {"n_components": ["int", 1, 30]}}}],
        [{"model": {"class": "Ridge"},
          "finetune_params": {"n_trials": 100, "n_jobs": 8,
                              "model_params": {"alpha": ["float_log", 1e-05, 1000.0]}}}]],
        "parallel": false}]""",
    "generator": """[{"branch": {"_or_": ["SNV", "MSC", "Detrend", "StandardScaler"]},
                     "n_jobs": 4},
                    {"class": "PLSRegression", "params": {"n_components": 10}}]""",
}

# (names, [(group, lane)] per branch, [(n_jobs, parallel, branch_ids)] per group)
EXPECTED = {
    "pure_parallel": (
        ["SNV > PLSRegression(n_components=10)", "MSC > Ridge",
         "StandardScaler > ElasticNet(alpha=0.5)", "Detrend > Lasso(alpha=0.1)"],
        [(0, 1), (0, 2), (0, 3), (0, 4)],
        [(4, False, [1, 2, 3, 4])]),
    "mixed": (
        ["SNV > PLSRegression", "MSC > Ridge",
         "StandardScaler > RandomForestRegressor(n_jobs=-1)"],
        [(0, 1), (0, 2), (1, 1)],
        [(2, False, [1, 2]), (1, False, [3])]),
    "optuna": (
        ["PLSRegression", "Ridge"],
        [(0, 1), (0, 2)],
        [(1, False, [1, 2])]),
    "generator": (
        ["SNV > PLSRegression(n_components=10)", "MSC > PLSRegression(n_components=10)",
         "Detrend > PLSRegression(n_components=10)",
         "StandardScaler > PLSRegression(n_components=10)"],
        [(0, 1), (0, 2), (0, 3), (0, 4)],
        [(4, False, [1, 2, 3, 4])]),
}


def _parse(pattern: str, form: str) -> ExpandedPipeline:
    spec = PY_PATTERNS[pattern]() if form == "python" else JSON_PATTERNS[pattern]
    return parse_pipeline(spec)


def _names(p: ExpandedPipeline) -> list[str]:
    return [b.name for b in p.branches]


def _plain_params(branch) -> list[dict]:
    """Each pipeline step's params, without nested estimator objects (not comparable)."""
    return [{k: v for k, v in est.get_params(deep=False).items() if not hasattr(v, "fit")}
            for _, est in branch.build_pipeline().steps]


@pytest.mark.parametrize("form", ["python", "json"])
@pytest.mark.parametrize("pattern", list(EXPECTED))
def test_seed_patterns_expand_as_expected(pattern, form):
    p = _parse(pattern, form)
    names, group_lanes, groups = EXPECTED[pattern]
    assert _names(p) == names
    assert [b.id for b in p.branches] == list(range(1, len(names) + 1))
    assert [(b.group, b.lane) for b in p.branches] == group_lanes
    assert [(g.n_jobs, g.parallel, g.branch_ids) for g in p.groups] == groups
    assert [g.index for g in p.groups] == list(range(len(groups)))
    assert all(g.parent is None for g in p.groups)
    assert all(b.splitter.label() == KFOLD_DEFAULT for b in p.branches)
    assert all(b.model.kind == "model" for b in p.branches)


@pytest.mark.parametrize("pattern", list(EXPECTED))
def test_json_round_trip_of_normal_form(pattern):
    text = JSON_PATTERNS[pattern]
    p = parse_pipeline(text)
    assert json.dumps(p.spec) == json.dumps(json.loads(text))
    again = parse_pipeline(json.dumps(p.spec))
    assert json.dumps(again.spec) == json.dumps(p.spec)


@pytest.mark.parametrize("pattern", list(EXPECTED))
def test_python_objects_and_json_give_same_pipeline(pattern):
    py, js = _parse(pattern, "python"), _parse(pattern, "json")
    assert py.spec == json.loads(JSON_PATTERNS[pattern])
    assert _names(py) == _names(js)
    for a, b in zip(py.branches, js.branches, strict=True):
        assert [s.class_name for s in a.steps] == [s.class_name for s in b.steps]
        assert _plain_params(a) == _plain_params(b)
        assert a.model.finetune == b.model.finetune


def test_optuna_finetune_is_kept_as_json_lists():
    p = _parse("optuna", "python")
    ft = p.branches[0].model.finetune
    assert ft == {"n_trials": 100, "n_jobs": 8, "model_params": {"n_components": ["int", 1, 30]}}
    assert p.branches[0].model.params == {}


def test_python_object_keeps_template_and_only_changed_params():
    pls = PLSRegression(n_components=7, scale=False)
    p = parse_pipeline([SNV(), pls])
    model = p.branches[0].model
    assert model.estimator is pls
    assert model.params == {"n_components": 7, "scale": False}
    fitted_step = p.branches[0].build_pipeline().steps[-1][1]
    assert fitted_step is not pls and fitted_step.get_params() == pls.get_params()


# -- forms of the input -----------------------------------------------------------------------

def test_named_dict_json_string_file_and_name_override(tmp_path):
    spec = {"name": "scatter", "steps": ["SNV", "PLSRegression"]}
    assert parse_pipeline(spec).name == "scatter"
    assert parse_pipeline(spec).spec == spec
    assert parse_pipeline(json.dumps(spec), name="other").name == "other"
    assert parse_pipeline(["SNV", "PLSRegression"]).name == "pipeline"
    path = tmp_path / "my_pipe.json"
    path.write_text(json.dumps(["MSC", "Ridge"]))
    for arg in (path, str(path)):
        p = parse_pipeline(arg)
        assert p.name == "my_pipe" and _names(p) == ["MSC > Ridge"]


def test_file_errors_name_the_file(tmp_path):
    bad = tmp_path / "bad.json"
    bad.write_text('["SNV",\n "PLSRegression",]')
    with pytest.raises(SpecError) as info:
        parse_pipeline(bad)
    assert info.value.where == str(bad) and "invalid JSON" in info.value.message
    assert "line 2" in info.value.message
    wrong = tmp_path / "wrong.json"
    wrong.write_text('["SNV", "PLSRegresion"]')
    with pytest.raises(SpecError) as info:
        parse_pipeline(wrong)
    assert info.value.where == f"{wrong}, step 2 (PLSRegresion)"
    with pytest.raises(SpecError, match="no such file"):
        parse_pipeline(str(tmp_path / "missing.json"))


def test_spec_errors_are_input_errors():
    assert issubclass(SpecError, NirdeskInputError)


# -- expansion semantics ----------------------------------------------------------------------

def test_model_passes_data_on_and_later_steps_extend_the_chain():
    p = parse_pipeline(["SNV", "PLSRegression", "MSC", "Ridge"])
    assert _names(p) == ["SNV > PLSRegression", "SNV > MSC > Ridge"]
    assert [(b.group, b.lane) for b in p.branches] == [(None, None), (None, None)]
    assert p.groups == []


def test_lanes_ending_in_preprocessing_continue_in_lane_order():
    p = parse_pipeline([{"branch": {"_or_": ["SNV", ["MSC", "Detrend"], "Ridge"]}},
                        "PLSRegression", "Lasso"])
    assert _names(p) == ["SNV > PLSRegression", "SNV > Lasso",
                         "MSC > Detrend > PLSRegression", "MSC > Detrend > Lasso", "Ridge"]
    assert [b.lane for b in p.branches] == [1, 1, 2, 2, 3]


def test_all_complete_lanes_then_steps_continue_from_before_the_branch():
    p = parse_pipeline(["SNV",
                        {"branch": [["PLSRegression"], ["MSC", "Ridge"]]},
                        {"branch": [["Detrend", "Lasso"]]},
                        "ElasticNet"])
    assert _names(p) == ["SNV > PLSRegression", "SNV > MSC > Ridge", "SNV > Detrend > Lasso",
                         "SNV > ElasticNet"]
    assert [(b.group, b.lane) for b in p.branches] == [(0, 1), (0, 2), (1, 1), (None, None)]
    assert [g.branch_ids for g in p.groups] == [[1, 2], [3]]


def test_partially_complete_branch_continues_only_the_open_lanes():
    p = parse_pipeline([{"branch": [["SNV", "Ridge"], ["MSC"]]}, "PLSRegression"])
    assert _names(p) == ["SNV > Ridge", "MSC > PLSRegression"]


def test_nested_branches_record_parent_and_outermost_group():
    p = parse_pipeline([
        {"branch": [
            ["SNV", {"branch": {"_or_": ["Detrend", ["MSC", "Ridge"]]}, "n_jobs": 2}],
            ["Normalize"],
        ], "n_jobs": -1, "parallel": True},
        "PLSRegression"])
    assert _names(p) == ["SNV > Detrend > PLSRegression", "SNV > MSC > Ridge",
                         "Normalize > PLSRegression"]
    assert [(b.group, b.lane) for b in p.branches] == [(0, 1), (0, 1), (0, 2)]
    outer, inner = p.groups
    assert (outer.where, outer.parent, outer.n_jobs, outer.parallel) == ("step 1", None, -1, True)
    assert (inner.where, inner.parent, inner.n_jobs) == ("step 1 > branch 1 > step 2", 0, 2)
    assert outer.branch_ids == [1, 2, 3] and inner.branch_ids == [1, 2]


def test_nested_branch_of_complete_lanes_completes_its_lane():
    p = parse_pipeline([{"branch": [["SNV", {"branch": [["PLSRegression"], ["Ridge"]]}],
                                    ["MSC"]]},
                        "Lasso"])
    assert _names(p) == ["SNV > PLSRegression", "SNV > Ridge", "MSC > Lasso"]


def test_null_alternative_is_a_lane_without_preprocessing():
    p = parse_pipeline([{"branch": {"_or_": [None, "SNV"]}}, "PLSRegression"])
    assert _names(p) == ["PLSRegression", "SNV > PLSRegression"]
    assert p.spec[0] == {"branch": {"_or_": [None, "SNV"]}}


def test_splitters_apply_to_following_models_in_their_lane():
    p = parse_pipeline([
        "SNV",
        {"branch": [
            [{"class": "ShuffleSplit", "params": {"n_splits": 3, "random_state": 1}}],
            ["MSC"],
            [{"class": "KennardStoneSplit"}, "Ridge"]]},
        "PLSRegression"])
    assert [(b.name, b.splitter.class_name) for b in p.branches] == [
        ("SNV > PLSRegression", "ShuffleSplit"),
        ("SNV > MSC > PLSRegression", "KFold"),
        ("SNV > Ridge", "KennardStoneSplit")]
    assert p.branches[0].splitter.estimator.n_splits == 3
    assert p.branches[1].splitter.params == {"n_splits": 5, "shuffle": True, "random_state": 0}
    assert [b.splitter_is_default for b in p.branches] == [False, True, False]
    assert [s.class_name for s in p.branches[0].steps] == ["SNV", "PLSRegression"]


def test_splitter_objects_are_accepted():
    p = parse_pipeline([KFold(n_splits=3, shuffle=True, random_state=2), "PLSRegression"])
    assert p.branches[0].splitter.params == {"n_splits": 3, "shuffle": True, "random_state": 2}
    assert p.spec[0] == {"class": "KFold",
                         "params": {"n_splits": 3, "shuffle": True, "random_state": 2}}
    p = parse_pipeline([ShuffleSplit(test_size=0.3), "PLSRegression"])
    assert p.branches[0].splitter.label() == "ShuffleSplit(test_size=0.3)"


def test_models_inside_alternatives():
    p = parse_pipeline(["SNV", {"branch": {"_or_": [
        "PLSRegression", {"class": "Ridge", "params": {"alpha": 2.0}},
        {"model": "Lasso", "finetune_params": {"n_trials": 5, "model_params": {}}}]}}])
    assert _names(p) == ["SNV > PLSRegression", "SNV > Ridge(alpha=2.0)", "SNV > Lasso"]
    assert p.branches[2].model.finetune == {"n_trials": 5, "model_params": {}}


def test_disabled_steps_stay_in_spec_and_structure():
    spec = [{"class": "SNV", "enabled": False},
            {"branch": [["MSC", "Ridge"], [{"class": "Lasso", "params": {"alpha": 0.1},
                                           "enabled": False}]], "enabled": False},
            {"class": "SavitzkyGolay", "params": {"window_length": 15}},
            "PLSRegression"]
    p = parse_pipeline(json.dumps(spec))
    assert json.dumps(p.spec) == json.dumps(spec)
    assert _names(p) == ["SNV > MSC > Ridge", "SNV > Lasso(alpha=0.1)",
                         "SNV > SavitzkyGolay(window_length=15) > PLSRegression"]
    assert [b.enabled for b in p.branches] == [False, False, True]
    steps = p.branches[2].build_pipeline().steps
    assert [type(est) for _, est in steps] == [SavitzkyGolay, PLSRegression]
    msc = p.branches[0].steps[1]
    assert msc.class_name == "MSC" and not msc.enabled and msc.to_json() == {
        "class": "MSC", "enabled": False}


def test_tuples_become_lists_and_come_back_as_tuples():
    py = parse_pipeline([MinMaxScaler(feature_range=(0, 2)),
                         MLPRegressor(hidden_layer_sizes=(8, 4))])
    js = parse_pipeline('[{"class": "MinMaxScaler", "params": {"feature_range": [0, 2]}},'
                        ' {"class": "MLPRegressor", "params": {"hidden_layer_sizes": [8, 4]}}]')
    assert py.spec == json.loads(json.dumps(js.spec))
    assert _names(py) == _names(js) == [
        "MinMaxScaler(feature_range=[0, 2]) > MLPRegressor(hidden_layer_sizes=[8, 4])"]
    assert js.branches[0].steps[0].estimator.feature_range == (0, 2)
    assert _plain_params(py.branches[0]) == _plain_params(js.branches[0])


def test_numpy_values_in_objects_become_json():
    p = parse_pipeline([Ridge(alpha=np.float64(0.5)), {"branch": [["SNV", "Lasso"]],
                                                        "n_jobs": np.int64(2)}])
    assert json.dumps(p.spec) == ('[{"class": "Ridge", "params": {"alpha": 0.5}}, '
                                  '{"branch": [["SNV", "Lasso"]], "n_jobs": 2}]')


def test_dotted_paths_are_normalised():
    p = parse_pipeline(["engine.operators.SNV", "sklearn.svm._classes.SVR",
                        {"class": "sklearn.cross_decomposition.PLSCanonical"}])
    assert p.spec == ["SNV", "SVR", "sklearn.cross_decomposition.PLSCanonical"]
    assert _names(p) == ["SNV > SVR", "SNV > sklearn.cross_decomposition.PLSCanonical"]


class LabModel(RegressorMixin, BaseEstimator):
    def __init__(self, k: int = 1) -> None:
        self.k = k

    def fit(self, X, y):
        return self

    def predict(self, X):
        return X[:, 0]


def test_user_classes_need_their_module_allowed():
    with pytest.raises(SpecError) as info:
        parse_pipeline(["SNV", LabModel(k=2)])
    assert info.value.where == "step 2 (LabModel)" and "not allowed" in info.value.message
    allow_module_prefix(LabModel.__module__)
    try:
        p = parse_pipeline(["SNV", LabModel(k=2)])
        assert p.spec[1] == {"class": f"{LabModel.__module__}.LabModel", "params": {"k": 2}}
        assert _names(parse_pipeline(p.spec)) == _names(p)
    finally:
        remove_module_prefix(LabModel.__module__)


# -- invalid specs -----------------------------------------------------------------------------

INVALID = [
    # (spec, where, message fragment)
    (["SavitzkyGolai", "PLSRegression"], "step 1 (SavitzkyGolai)",
     "unknown class 'SavitzkyGolai'; did you mean SavitzkyGolay?"),
    ([{"branch": [["SNV", {"class": "SavitzkyGolay", "params": {"windw_length": 11}}]]},
      "PLSRegression"],
     "step 1 > branch 1 > step 2 (SavitzkyGolay)",
     "unknown parameter 'windw_length' for SavitzkyGolay; did you mean 'window_length'? "
     "(valid parameters: window_length, polyorder, deriv, delta, mode)"),
    (["SNV", {"branch": [["MSC"], [{"class": "SavitzkyGolay", "params": {"window_length": 10}}]]},
      "PLSRegression"],
     "step 2 > branch 2 > step 1 (SavitzkyGolay)",
     "bad parameter value: SavitzkyGolay: window_length must be an odd integer"),
    ([{"class": "PLSRegression", "params": {"n_components": 0}}], "step 1 (PLSRegression)",
     "bad parameter value: The 'n_components' parameter of PLSRegression must be an int"),
    ([{"model": "SVR", "finetune_params": {"n_trials": 3}, "enabled": True},
      {"class": "SVR", "params": {"kernel": "cubic"}}], "step 2 (SVR)",
     "The 'kernel' parameter of SVR must be a str among"),
    ([{"class": "KFold", "params": {"n_splits": 1}}, "Ridge"], "step 1 (KFold)",
     "bad parameter value: k-fold cross-validation requires at least one"),
    ([{"class": "KennardStoneSplit", "params": {"metric": "nope"}}, "Ridge"],
     "step 1 (KennardStoneSplit)", "metric must be one of"),
    (["SNV", "MSC"], None, "model missing: the pipeline has no model step"),
    ([{"branch": [["SNV"], ["MSC"]]}], None,
     "branches that never reach a model: step 1 > branch 1, step 1 > branch 2"),
    ([{"branch": [["SNV", "PLSRegression"], ["MSC"], ["Detrend"]]}], "step 1 > branch 2",
     "model missing: this branch ends in preprocessing and no model follows it (add a model "
     "to it or after the branch step); same for step 1 > branch 3"),
    (["SNV", "PLSRegression", "MSC"], "step 3 (MSC)",
     "model missing: no model uses the output of this step"),
    ([], None, "model missing: the pipeline has no steps"),
    ([{"branch": {"_or_": []}, "n_jobs": 4}, "PLSRegression"], "step 1 (branch)",
     "generator produces nothing: '_or_' is empty"),
    (["SNV", "PLSRegression", "KFold"], "step 3 (KFold)", "splitter has no model after it"),
    (["KFold", "ShuffleSplit", "PLSRegression"], "step 1 (KFold)",
     "splitter has no model after it"),
    ([{"branch": [["SNV", "KFold"]]}, "PLSRegression", {"branch": [["MSC", "ShuffleSplit"]]}],
     "step 3 > branch 1", "model missing"),
    (["os.system", "PLSRegression"], "step 1 (os.system)",
     "class path 'os.system' is not allowed"),
    ([{"class": "subprocess.Popen", "params": {"args": "ls"}}], "step 1 (subprocess.Popen)",
     "is not allowed"),
    ([{"branch": "SNV"}, "PLSRegression"], "step 1 (branch)",
     "'branch' must be a list of branches"),
    ([{"branch": [["SNV"], "MSC"]}, "PLSRegression"], "step 1 > branch 2",
     "each branch must be a list of steps, got a string"),
    ([{"branch": [], "n_jobs": 2}, "PLSRegression"], "step 1 (branch)", "no branches"),
    ([{"branch": {"_or_": ["SNV"], "size": 2}}, "PLSRegression"], "step 1 (branch)",
     "only '_or_' is supported (other keys: 'size')"),
    ([{"branch": [["SNV"]], "n_jobs": "4"}, "PLSRegression"], "step 1 (branch)",
     "'n_jobs' must be an integer"),
    ([{"branch": [["SNV"]], "n_jobs": 2.0}, "PLSRegression"], "step 1 (branch)",
     "'n_jobs' must be an integer"),
    ([{"branch": [["SNV"]], "n_jobs": True}, "PLSRegression"], "step 1 (branch)",
     "'n_jobs' must be an integer"),
    ([{"branch": [["SNV"]], "n_jobs": 0}, "PLSRegression"], "step 1 (branch)",
     "'n_jobs' must be -1 (auto) or >= 1, got 0"),
    ([{"branch": [["SNV"]], "parallel": "yes"}, "PLSRegression"], "step 1 (branch)",
     "'parallel' must be true or false"),
    ([{"branch": [["SNV"]], "workers": 2}, "PLSRegression"], "step 1 (branch)",
     "unknown key 'workers' in branch step"),
    ([{"class": "SNV", "params": [1]}, "PLSRegression"], "step 1 (SNV)",
     "'params' must be an object (dict), got a list"),
    ([{"class": "SNV", "param": {}}, "PLSRegression"], "step 1 (SNV)",
     "unknown key 'param' in step; did you mean 'params'?"),
    ([{"class": 3}, "PLSRegression"], "step 1", "'class' must be a class name"),
    ([{"params": {}}, "PLSRegression"], "step 1", "a step object needs 'class', 'model'"),
    ([42, "PLSRegression"], "step 1", "a step must be a class name"),
    ([{"_or_": ["SNV"]}, "PLSRegression"], "step 1", "'_or_' is only supported inside"),
    ([{"model": "SNV"}], "step 1 (SNV)", "'model' must name a model; SNV is a preprocessing"),
    ([{"model": "KFold", "finetune_params": {}}], "step 1 (KFold)", "KFold is a splitter"),
    ([{"model": "Ridge", "finetune_params": [1]}], "step 1 (Ridge)",
     "'finetune_params' must be an object"),
    ([{"model": "Ridge", "finetune_params": {"model_params": ["alpha"]}}], "step 1 (Ridge)",
     "finetune_params.model_params must be an object"),
    ([{"model": "Ridge", "finetune_params": {"model_params": {"alfa": ["float", 0, 1]}}}],
     "step 1 (Ridge)", "unknown parameter 'alfa' for Ridge"),
    ([{"model": "Ridge", "finetune_params": {"n_jobs": 0}}], "step 1 (Ridge)",
     "finetune_params.n_jobs must be -1 (auto) or an integer >= 1"),
    ([{"class": "SNV", "enabled": "no"}, "PLSRegression"], "step 1 (SNV)",
     "'enabled' must be true or false"),
    ({"name": "x"}, None, "needs 'steps'"),
    ({"steps": [], "nmae": "x"}, None, "unknown key 'nmae' in the pipeline"),
    ({"branch": [["SNV", "Ridge"]]}, None, "put this step in a list"),
    ("SNV", None, "not a JSON pipeline and no such file"),
    (42, None, "a pipeline is a list of steps"),
    ('["SNV", ', None, "invalid JSON"),
]


@pytest.mark.parametrize("spec, where, message", INVALID,
                         ids=[f"invalid{i}" for i in range(len(INVALID))])
def test_invalid_specs_point_at_the_step(spec, where, message):
    with pytest.raises(SpecError) as info:
        parse_pipeline(spec)
    assert info.value.where == where
    assert message in info.value.message
    if where:
        assert str(info.value).startswith(f"{where}: ")


# (spec, where (unchanged text), path: the address of the bad step, lane or branch step)
BAD_PLACES = [
    (["SavitzkyGolai", "PLSRegression"], "step 1 (SavitzkyGolai)", (0,)),
    ([{"branch": [["SNV", {"class": "SavitzkyGolay", "params": {"windw_length": 11}}]]},
      "PLSRegression"], "step 1 > branch 1 > step 2 (SavitzkyGolay)", (0, 0, 1)),
    (["SNV", {"branch": [["MSC"], [{"class": "SavitzkyGolay", "params": {"window_length": 10}}]]},
      "PLSRegression"], "step 2 > branch 2 > step 1 (SavitzkyGolay)", (1, 1, 0)),
    ([{"branch": [["SNV", {"branch": {"_or_": ["MSC", {"class": "Nope"}]}}]]}, "Ridge"],
     "step 1 > branch 1 > step 2 > branch 2 > step 1 (Nope)", (0, 0, 1, 1, 0)),
    ([{"model": "Ridge", "finetune_params": {"n_jobs": 0}}], "step 1 (Ridge)", (0,)),
    ([{"model": "SNV"}], "step 1 (SNV)", (0,)),
    ([{"class": 3}, "PLSRegression"], "step 1", (0,)),
    (["os.system", "PLSRegression"], "step 1 (os.system)", (0,)),
    ([{"class": "SNV", "param": {}}, "PLSRegression"], "step 1 (SNV)", (0,)),
    (["SNV", RandomForestRegressor(random_state=np.random.RandomState(0))],
     "step 2 (RandomForestRegressor)", (1,)),
    ([{"branch": [["SNV", "PLSRegression"], ["MSC"], ["Detrend"]]}], "step 1 > branch 2",
     (0, 1)),
    (["SNV", "PLSRegression", "MSC"], "step 3 (MSC)", (2,)),
    (["SNV", "PLSRegression", "KFold"], "step 3 (KFold)", (2,)),
    ([{"branch": [["SNV", "KFold"]]}, "PLSRegression", {"branch": [["MSC", "ShuffleSplit"]]}],
     "step 3 > branch 1", (2, 0)),
    ([{"branch": {"_or_": []}, "n_jobs": 4}, "PLSRegression"], "step 1 (branch)", (0,)),
    (["SNV", {"branch": [["SNV"]], "n_jobs": 0}, "PLSRegression"], "step 2 (branch)", (1,)),
    ([{"branch": [["MSC", {"branch": [["SNV"]], "workers": 2}]]}, "PLSRegression"],
     "step 1 > branch 1 > step 2 (branch)", (0, 0, 1)),
    ([{"branch": [["SNV"], "MSC"]}, "PLSRegression"], "step 1 > branch 2", (0, 1)),
    (["SNV", "MSC"], None, None),
    ({"steps": [], "nmae": "x"}, None, None),
]


@pytest.mark.parametrize("spec, where, path", BAD_PLACES,
                         ids=[f"bad_place{i}" for i in range(len(BAD_PLACES))])
def test_spec_errors_carry_the_address_of_the_bad_step(spec, where, path):
    """SpecError.path is the editor's address of what is wrong (a program needs no text
    parsing to find the card); ``where`` keeps its readable text."""
    with pytest.raises(SpecError) as info:
        parse_pipeline(spec)
    assert (info.value.where, info.value.path) == (where, path)


def test_file_errors_keep_the_file_in_where_and_the_address_in_path(tmp_path):
    wrong = tmp_path / "wrong.json"
    wrong.write_text('[{"branch": [["SNV", "PLSRegresion"]]}]')
    with pytest.raises(SpecError) as info:
        parse_pipeline(wrong)
    assert info.value.where == f"{wrong}, step 1 > branch 1 > step 2 (PLSRegresion)"
    assert info.value.path == (0, 0, 1)


def test_nodes_groups_and_steps_know_their_address():
    from engine.pipeline.expand import BranchNode
    from engine.pipeline.spec import parse_structure

    spec = ["SNV",
            {"branch": [["MSC", {"branch": {"_or_": ["Detrend", ["Normalize", "Ridge"]]}}],
                        ["PLSRegression"]]},
            "Lasso"]
    p = parse_pipeline(spec)
    assert [(g.path, g.where) for g in p.groups] == [((1,), "step 2"),
                                                     ((1, 0, 1), "step 2 > branch 1 > step 2")]
    paths = {b.name: [s.path for s in b.steps] for b in p.branches}
    assert paths == {
        "SNV > MSC > Detrend > Lasso": [(0,), (1, 0, 0), (1, 0, 1, 0, 0), (2,)],
        "SNV > MSC > Normalize > Ridge": [(0,), (1, 0, 0), (1, 0, 1, 1, 0), (1, 0, 1, 1, 1)],
        "SNV > PLSRegression": [(0,), (1, 1, 0)],
    }
    # the SNV shared by every branch is one object at one place
    assert len({id(b.steps[0]) for b in p.branches}) == 1
    assert p.branches[0].splitter.path is None      # the default splitter is not in the spec
    nodes = parse_structure(spec).nodes
    assert [n.path for n in nodes] == [(0,), (1,), (2,)]
    branch = nodes[1]
    assert isinstance(branch, BranchNode)
    inner = branch.lanes[0][1]
    assert isinstance(inner, BranchNode) and inner.path == (1, 0, 1)
    assert [n.path for n in inner.lanes[1]] == [(1, 0, 1, 1, 0), (1, 0, 1, 1, 1)]
    assert inner.lanes[1][1].where == "step 2 > branch 1 > step 2 > branch 2 > step 2 (Ridge)"


def test_non_json_param_values_of_objects_are_refused():
    with pytest.raises(SpecError) as info:
        parse_pipeline([RandomForestRegressor(random_state=np.random.RandomState(0))])
    assert info.value.where == "step 1 (RandomForestRegressor)"
    assert "'random_state'" in info.value.message and "RandomState" in info.value.message


def test_object_params_and_instance_together_are_refused():
    with pytest.raises(SpecError, match="either an estimator object or 'params'"):
        parse_pipeline([{"class": SNV(), "params": {}}, "Ridge"])


def test_python_class_object_in_class_key():
    p = parse_pipeline([{"class": SavitzkyGolay, "params": {"window_length": 7}},
                        {"class": PLSRegression(n_components=3), "enabled": False}])
    assert p.spec == [{"class": "SavitzkyGolay", "params": {"window_length": 7}},
                      {"class": "PLSRegression", "params": {"n_components": 3},
                       "enabled": False}]
