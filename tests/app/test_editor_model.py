"""The pipeline editor's model: document edits, round trips, undo/redo, card texts.

Expected specs are always derived with engine.pipeline.parse_pipeline(literal).spec (the
engine's normal form), never hand-typed normal forms.
"""
from __future__ import annotations

import json
from pathlib import Path

import pytest
from sklearn.cross_decomposition import PLSRegression
from sklearn.ensemble import RandomForestRegressor
from sklearn.linear_model import ElasticNet, Lasso, Ridge
from sklearn.preprocessing import StandardScaler

from app.editor.model.document import PipelineDocument
from app.editor.model.labels import card_details, card_label, card_text, card_tooltip
from engine.errors import SpecError
from engine.operators import MSC, SNV, Detrend, SavitzkyGolay
from engine.pipeline import parse_pipeline
from engine.registry import get_entry

REPO = Path(__file__).resolve().parents[2]
DEMO = REPO / "resources" / "demo" / "pipeline.json"

PLS10 = {"class": "PLSRegression", "params": {"n_components": 10}}

# The seed guide's four "Common Patterns", as the Python literals of the guide.
SEED_PATTERNS = {
    "pure_parallel": [
        {"branch": [
            [SNV(), PLSRegression(n_components=10)],
            [MSC(), Ridge(alpha=1.0)],
            [StandardScaler(), ElasticNet(alpha=0.5)],
            [Detrend(), Lasso(alpha=0.1)],
        ], "n_jobs": 4},
    ],
    "mixed": [
        {"branch": [[SNV(), PLSRegression()], [MSC(), Ridge()]], "n_jobs": 2},
        {"branch": [[StandardScaler(), RandomForestRegressor(n_jobs=-1)]], "parallel": False},
    ],
    "optuna": [
        {"branch": [
            [{"model": PLSRegression(), "finetune_params": {
                "n_trials": 100, "n_jobs": 8, "model_params": {"n_components": ("int", 1, 30)}}}],
            [{"model": Ridge(), "finetune_params": {
                "n_trials": 100, "n_jobs": 8,
                "model_params": {"alpha": ("float_log", 1e-5, 1e3)}}}],
        ], "parallel": False},
    ],
    "generator": [
        {"branch": {"_or_": [SNV, MSC, Detrend, StandardScaler]}, "n_jobs": 4},
        PLSRegression(n_components=10),
    ],
}

# The same patterns as the issue writes them in JSON (explicit params as the inspector sets them).
JSON_PATTERNS = {
    "pure_parallel": [{"branch": [
        ["SNV", PLS10],
        ["MSC", {"class": "Ridge", "params": {"alpha": 1}}],
        ["StandardScaler", {"class": "ElasticNet", "params": {"alpha": 0.5}}],
        ["Detrend", {"class": "Lasso", "params": {"alpha": 0.1}}]], "n_jobs": 4}],
    "mixed": [
        {"branch": [["SNV", "PLSRegression"], ["MSC", "Ridge"]], "n_jobs": 2},
        {"branch": [["StandardScaler",
                     {"class": "RandomForestRegressor", "params": {"n_jobs": -1}}]],
         "parallel": False}],
    "optuna": [{"branch": [
        [{"model": {"class": "PLSRegression"}, "finetune_params": {
            "n_trials": 100, "n_jobs": 8, "model_params": {"n_components": ["int", 1, 30]}}}],
        [{"model": {"class": "Ridge"}, "finetune_params": {
            "n_trials": 100, "n_jobs": 8, "model_params": {"alpha": ["float_log", 1e-5, 1e3]}}}],
    ], "parallel": False}],
    "generator": [{"branch": {"_or_": ["SNV", "MSC", "Detrend", "StandardScaler"]},
                   "n_jobs": 4}, PLS10],
}


def normal(spec):
    return parse_pipeline(spec).spec


def dumps(spec) -> str:
    return json.dumps(spec, indent=2)


# -- building the four patterns by editor operations -------------------------------------------

def build_pure_parallel(doc: PipelineDocument, *, explicit_alpha: bool) -> None:
    doc.make_branch((), 0, lanes=2)          # drop a branch step: 2 empty lanes
    doc.add_lane((0,))
    doc.add_lane((0,))
    lanes = [("SNV", "PLSRegression", {"n_components": 10}),
             ("MSC", "Ridge", {"alpha": 1} if explicit_alpha else {}),
             ("StandardScaler", "ElasticNet", {"alpha": 0.5}),
             ("Detrend", "Lasso", {"alpha": 0.1})]
    for k, (op, model, params) in enumerate(lanes):
        doc.insert_step((0, k), 0, model)     # the model first, the operator in front of it
        doc.insert_step((0, k), 0, op)
        doc.set_params((0, k, 1), params)
    doc.set_branch_options((0,), n_jobs=4)


def build_mixed(doc: PipelineDocument) -> None:
    doc.make_branch((), 0)
    doc.insert_step((0, 0), 0, "SNV")
    doc.insert_step((0, 0), 1, "PLSRegression")
    doc.insert_step((0, 1), 0, "MSC")
    doc.insert_step((0, 1), 1, "Ridge")
    doc.set_branch_options((0,), n_jobs=2)
    doc.make_branch((), 1)
    doc.remove_lane((1,), 1)
    doc.insert_step((1, 0), 0, "StandardScaler")
    doc.insert_step((1, 0), 1, "RandomForestRegressor")
    doc.set_params((1, 0, 1), {"n_jobs": -1})
    doc.set_branch_options((1,), parallel=False)


def build_optuna(doc: PipelineDocument) -> None:
    doc.make_branch((), 0)
    doc.insert_step((0, 0), 0, "PLSRegression")
    doc.insert_step((0, 1), 0, "Ridge")
    doc.set_finetune((0, 0, 0), {"n_trials": 100, "n_jobs": 8,
                                 "model_params": {"n_components": ["int", 1, 30]}})
    doc.set_finetune((0, 1, 0), {"n_trials": 100, "n_jobs": 8,
                                 "model_params": {"alpha": ["float_log", 1e-5, 1e3]}})
    doc.set_branch_options((0,), parallel=False)


def build_generator(doc: PipelineDocument) -> None:
    doc.make_generator((), 0)                 # one "no step" alternative to drop into
    doc.insert_step((0, 0), 0, "SNV")
    for name in ("MSC", "Detrend", "StandardScaler"):
        doc.add_alternative((0,), name)
    doc.set_branch_options((0,), n_jobs=4)
    doc.insert_step((), 1, "PLSRegression")
    doc.set_params((1,), {"n_components": 10})


@pytest.mark.parametrize("name, build", [
    ("mixed", build_mixed), ("optuna", build_optuna), ("generator", build_generator)])
def test_patterns_built_by_operations_match_the_seed_literals(name, build):
    doc = PipelineDocument()
    build(doc)
    assert doc.to_spec() == normal(SEED_PATTERNS[name])
    assert doc.to_spec() == normal(JSON_PATTERNS[name])
    assert doc.error() is None
    assert doc.branch_count() == len(parse_pipeline(SEED_PATTERNS[name]).branches)


def test_pure_parallel_built_by_operations():
    doc = PipelineDocument()
    build_pure_parallel(doc, explicit_alpha=True)
    assert doc.to_spec() == normal(JSON_PATTERNS["pure_parallel"])
    # The Python literal writes Ridge(alpha=1.0), the class default, which the normal form
    # drops; leaving alpha unset in the editor gives exactly that form.
    doc2 = PipelineDocument()
    build_pure_parallel(doc2, explicit_alpha=False)
    assert doc2.to_spec() == normal(SEED_PATTERNS["pure_parallel"])
    assert doc2.branch_count() == 4


def test_estimator_objects_can_be_dropped():
    doc = PipelineDocument()
    doc.insert_step((), 0, SavitzkyGolay(window_length=15, deriv=1))
    doc.insert_step((), 1, PLSRegression(n_components=3))
    assert doc.to_spec() == normal([SavitzkyGolay(window_length=15, deriv=1),
                                    PLSRegression(n_components=3)])


# -- round trips -------------------------------------------------------------------------------

@pytest.mark.parametrize("source", ["demo", *JSON_PATTERNS])
def test_load_save_round_trip_is_identical_json(source, tmp_path):
    if source == "demo":
        spec, expected = DEMO, parse_pipeline(DEMO).spec
        assert json.loads(DEMO.read_text()) == expected  # the demo file is in normal form
    else:
        spec, expected = JSON_PATTERNS[source], normal(JSON_PATTERNS[source])
    doc = PipelineDocument.from_spec(spec)
    assert doc.to_json() == dumps(expected)
    out = tmp_path / "saved.json"
    doc.save(out)
    again = PipelineDocument.from_spec(out)
    assert again.to_json() == doc.to_json()
    assert parse_pipeline(out).spec == expected
    # JSON text in, same out
    assert PipelineDocument.from_spec(json.dumps(spec if source != "demo" else expected)
                                      ).to_spec() == expected


@pytest.mark.parametrize("name", list(SEED_PATTERNS))
def test_document_expansion_agrees_with_the_engine(name):
    doc = PipelineDocument.from_spec(SEED_PATTERNS[name])
    ref = parse_pipeline(SEED_PATTERNS[name])
    exp = doc.expanded()
    assert [b.name for b in exp.branches] == [b.name for b in ref.branches]
    assert [(g.where, g.parallel, g.n_jobs, g.branch_ids) for g in exp.groups] == \
        [(g.where, g.parallel, g.n_jobs, g.branch_ids) for g in ref.groups]
    assert exp.spec == ref.spec
    # every step of every branch maps back to a document path holding that class
    for branch in exp.branches:
        for step in branch.steps:
            path = doc.step_path(step)
            held = doc.step_at(path)
            name_at = held if isinstance(held, str) else (
                held["model"]["class"] if "model" in held else held["class"])
            assert name_at == step.class_name


def test_named_pipeline_keeps_its_top_level_shape():
    spec = {"name": "demo", "description": "d", "steps": ["SNV", PLS10]}
    doc = PipelineDocument.from_spec(spec)
    assert doc.to_spec() == normal(spec)
    doc.set_name("renamed")
    assert list(doc.to_spec()) == ["name", "description", "steps"]
    assert doc.expanded().name == "renamed"
    bare = PipelineDocument.from_spec(["SNV", PLS10])
    bare.set_name("x")
    assert bare.to_spec() == normal({"name": "x", "steps": ["SNV", PLS10]})


def test_bad_input_is_refused_with_the_engines_message(tmp_path):
    bad = tmp_path / "bad.json"
    bad.write_text('[{"class": "PLSRegression", "params": {"n_components": 0}}]')
    with pytest.raises(SpecError) as err:
        PipelineDocument.from_spec(bad)
    assert str(bad) in str(err.value) and "n_components" in str(err.value)
    with pytest.raises(SpecError):
        PipelineDocument.from_spec("[1, 2")
    with pytest.raises(SpecError):
        PipelineDocument.from_spec(["os.system"])


# -- incomplete pipelines are a normal editing state -------------------------------------------

def test_incomplete_pipelines_have_an_error_not_an_exception(tmp_path):
    doc = PipelineDocument()
    assert doc.expanded() is None and "model missing" in doc.error()
    doc.make_branch((), 0)
    doc.insert_step((0, 0), 0, "SNV")
    assert doc.expanded() is None and "model missing" in doc.error()
    with pytest.raises(SpecError):
        parse_pipeline(doc.to_spec())          # the engine refuses it too ...
    path = tmp_path / "wip.json"
    doc.save(path)                              # ... but it can be saved and reopened
    assert PipelineDocument.from_spec(path).to_spec() == doc.to_spec()
    doc.insert_step((), 1, "PLSRegression")    # a model after the branch completes it
    assert doc.error() is None and doc.branch_count() == 2


# -- addressing ------------------------------------------------------------------------------

def test_addresses_kinds_and_children():
    doc = PipelineDocument.from_spec(JSON_PATTERNS["mixed"] + JSON_PATTERNS["generator"])
    assert doc.children(()) == [(0,), (1,), (2,), (3,)]
    assert [doc.kind_at(p) for p in doc.children(())] == \
        ["branch", "branch", "generator", "model"]
    assert doc.children((0,)) == [(0, 0), (0, 1)]
    assert doc.children((0, 1)) == [(0, 1, 0), (0, 1, 1)]
    assert doc.kind_at((0, 1, 0)) == "operator" and doc.kind_at((0, 1, 1)) == "model"
    assert doc.lanes((2,)) == 4 and doc.generator_count((2,)) == 4
    assert doc.step_at((2, 3, 0)) == "StandardScaler"
    assert doc.children((3,)) == []
    # the engine's addresses are the document's: a group's path is its branch step, a
    # StepSpec's path the step that holds it
    exp = doc.expanded()
    assert [doc.group_path(g.index) for g in exp.groups] == [(0,), (1,), (2,)]
    assert [g.path for g in exp.groups] == [(0,), (1,), (2,)]
    assert [doc.kind_at(g.path) for g in exp.groups] == ["branch", "branch", "generator"]
    for branch in exp.branches:
        assert [doc.step_path(s) for s in branch.steps] == [s.path for s in branch.steps]
    assert doc.group_path(99) is None
    with pytest.raises(ValueError):
        doc.generator_count((0,))


def test_generator_alternatives_keep_their_shape():
    spec = [{"branch": {"_or_": ["SNV", ["MSC", "Detrend"], None]}}, "PLSRegression"]
    doc = PipelineDocument.from_spec(spec)
    assert doc.children((0, 2)) == []                     # null = empty lane
    doc.insert_step((0, 0), 1, "Detrend")                  # bare step -> list
    doc.remove_step((0, 1, 1))                             # list stays a list
    doc.insert_step((0, 2), 0, "StandardScaler")           # null -> bare step
    expected = [{"branch": {"_or_": [["SNV", "Detrend"], ["MSC"], "StandardScaler"]}},
                "PLSRegression"]
    assert doc.to_spec() == normal(expected)
    doc.remove_step((0, 2, 0))                             # bare step -> null
    assert doc.to_spec()[0]["branch"]["_or_"][2] is None
    doc.set_generator((0,), False)
    assert doc.to_spec()[0]["branch"] == [["SNV", "Detrend"], ["MSC"], []]
    doc.set_generator((0,), True)
    assert doc.to_spec()[0]["branch"] == {"_or_": [["SNV", "Detrend"], "MSC", None]}


def test_move_semantics():
    doc = PipelineDocument.from_spec(
        ["SNV", {"branch": [["MSC", "Detrend", "Ridge"], ["PLSRegression"]]}])
    doc.move_step((1, 0, 0), (1, 0), 2)        # drop MSC into the gap after Detrend
    assert doc.step_at((1, 0, 0)) == "Detrend" and doc.step_at((1, 0, 1)) == "MSC"
    doc.move_step((1, 0, 1), (1, 1), 0)        # MSC to the other lane, in front
    assert doc.to_spec()[1]["branch"] == [["Detrend", "Ridge"], ["MSC", "PLSRegression"]]
    doc.move_step((0,), (1, 1), 0)             # top-level SNV into lane 2 (indexes shift)
    assert doc.to_spec() == normal(
        [{"branch": [["Detrend", "Ridge"], ["SNV", "MSC", "PLSRegression"]]}])
    doc.move_step((0, 1, 2), (), 1)            # a lane step out to the top level
    assert doc.to_spec() == normal(
        [{"branch": [["Detrend", "Ridge"], ["SNV", "MSC"]]}, "PLSRegression"])


def test_enable_duplicate_remove_and_finetune_round_trip():
    doc = PipelineDocument.from_spec(JSON_PATTERNS["generator"])
    start = doc.to_json()
    doc.set_enabled((1,), False)
    assert doc.to_spec()[1] == normal([{**PLS10, "enabled": False}])[0]
    assert not doc.is_enabled((1,))
    assert not doc.expanded().branches[0].enabled
    doc.set_enabled((0,), False)
    assert doc.to_spec()[0]["enabled"] is False
    doc.set_enabled((0,), True)
    doc.set_enabled((1,), True)
    assert doc.to_json() == start
    doc.duplicate_step((1,))
    assert doc.to_spec()[2] == doc.to_spec()[1] and doc.branch_count() == 8
    doc.remove_step((2,))
    assert doc.to_json() == start
    ft = {"n_trials": 20, "model_params": {"n_components": ["int", 1, 15]}}
    doc.set_finetune((1,), ft)
    assert doc.to_spec()[1] == normal([{"model": PLS10, "finetune_params": ft}])[0]
    doc.set_params((1,), {"n_components": 5})          # the tuned model's fixed params
    assert doc.to_spec()[1]["model"]["params"] == {"n_components": 5}
    doc.set_finetune((1,), None)
    assert doc.to_spec()[1] == normal([{"class": "PLSRegression",
                                        "params": {"n_components": 5}}])[0]
    doc.set_params((1,), {})
    assert doc.to_spec()[1] == "PLSRegression"


def test_observers_are_notified_once_per_real_edit():
    doc = PipelineDocument.from_spec(JSON_PATTERNS["mixed"])
    seen = []
    doc.events.connect("changed", lambda: seen.append(doc.to_spec()))
    doc.set_branch_options((0,), n_jobs=3)
    doc.set_branch_options((0,), n_jobs=3)     # no change: no notification
    assert len(seen) == 1 and seen[0][0]["n_jobs"] == 3


INVALID_EDITS = [
    ("insert unknown class", lambda d: d.insert_step((0, 0), 0, "NoSuchStep")),
    ("insert at bad index", lambda d: d.insert_step((0, 0), 9, "SNV")),
    ("unknown parameter", lambda d: d.set_params((0, 0, 1), {"n_comp": 3})),
    ("bad parameter value", lambda d: d.set_params((0, 0, 1), {"n_components": 0})),
    ("params of a branch step", lambda d: d.set_params((0,), {"n_jobs": 2})),
    ("tune an operator", lambda d: d.set_finetune((0, 0, 0), {"n_trials": 5})),
    ("bad range", lambda d: d.set_finetune((0, 0, 1), {"model_params": {
        "n_components": ["int", 9, 1]}})),
    ("tune an unknown parameter", lambda d: d.set_finetune((0, 0, 1), {"model_params": {
        "alpha": ["float", 0.1, 1.0]}})),
    ("n_jobs 0", lambda d: d.set_branch_options((0,), n_jobs=0)),
    ("parallel not bool", lambda d: d.set_branch_options((0,), parallel="yes")),
    ("remove the only lane", lambda d: d.remove_lane((1,), 0)),
    ("remove missing lane", lambda d: d.remove_lane((0,), 5)),
    ("move into itself", lambda d: d.move_step((0,), (0, 1), 0)),
    ("move to a step path", lambda d: d.move_step((0, 0, 0), (1,), 0)),
    ("no such step", lambda d: d.remove_step((7,))),
    ("lane is not a step", lambda d: d.remove_step((0, 0))),
    ("alternative on a list branch", lambda d: d.add_alternative((0,), "SNV")),
    ("remove alternative of a list branch", lambda d: d.remove_alternative((0,), 0)),
    ("lanes of a model", lambda d: d.add_lane((0, 0, 1))),
    ("enabled not bool", lambda d: d.set_enabled((0, 0, 0), "no")),
    ("name not a string", lambda d: d.set_name(3)),
    ("generator without alternatives", lambda d: d.make_generator((), 0, [])),
]


@pytest.mark.parametrize("label, edit", INVALID_EDITS, ids=[e[0] for e in INVALID_EDITS])
def test_invalid_edits_raise_and_leave_the_spec_unchanged(label, edit):
    doc = PipelineDocument.from_spec(JSON_PATTERNS["mixed"])
    before = doc.to_json()
    seen = []
    doc.events.connect("changed", lambda: seen.append(1))
    with pytest.raises(ValueError) as err:
        edit(doc)
    assert str(err.value)                      # a message to show
    assert doc.to_json() == before and not seen


def test_model_modules_do_not_import_qt():
    import subprocess
    import sys

    code = ("import sys, app.editor.model.document, engine.pipeline.params, "
            "app.editor.model.badges\n"
            "bad = [m for m in sys.modules if m.split('.')[0] in ('PySide6', 'pyqtgraph')]\n"
            "print(bad); sys.exit(1 if bad else 0)\n")
    done = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True,
                          cwd=REPO)
    assert done.returncode == 0, done.stdout + done.stderr


# -- card text ---------------------------------------------------------------------------------

def test_card_texts():
    assert card_text(PLS10) == "PLS · 10 comp."
    assert card_text({"class": "SavitzkyGolay",
                      "params": {"window_length": 11, "polyorder": 2, "deriv": 1}}) == \
        "Savitzky-Golay · w11 p2 d1"
    assert card_text({"class": "Ridge", "params": {"alpha": 1}}) == "Ridge · α=1"
    assert card_text({"class": "RandomForestRegressor", "params": {"n_jobs": -1}}) == \
        "RandomForest · n_jobs=-1"
    tuned = normal(JSON_PATTERNS["optuna"])[0]["branch"][0][0]
    assert card_label(tuned) == "PLS" and card_details(tuned) == "Optuna · 100 trials"
    assert card_text("SNV") == "SNV"
    # defaults are shown from the class itself (independent: sklearn's own default)
    assert card_text("PLSRegression") == f"PLS · {PLSRegression().n_components} comp."
    gen = normal(JSON_PATTERNS["generator"])[0]
    assert card_text(gen) == "Generator · 4 alternatives · n_jobs=4"


def test_card_texts_come_from_the_registry_entries():
    """Conditional summary parts, defaults read from the class, the fallback of a dotted-path
    class (its first two explicit parameters) and the tooltip's description."""
    assert card_text({"class": "PLSRegression", "params": {"scale": False}}) == \
        f"PLS · {PLSRegression().n_components} comp. · no scale"
    assert card_text({"class": "RandomForestRegressor", "params": {"n_estimators": 50}}) == \
        "RandomForest · 50 trees"
    assert card_text({"class": "CropRange", "params": {"start": 1100}}) == "Crop · 1100–…"
    assert card_text({"class": "MSC", "params": {"reference": "median"}}) == \
        "MSC · reference=median"
    assert card_text({"class": "sklearn.svm.SVC", "params": {"C": 2, "kernel": "rbf",
                                                           "gamma": 1}}) == \
        "SVC · C=2 · kernel=rbf"
    assert card_label("SecondDerivative") == get_entry("SecondDerivative").title
    tip = card_tooltip({"class": "SavitzkyGolay", "params": {"window_length": 11}})
    assert tip.splitlines() == ["SavitzkyGolay", get_entry("SavitzkyGolay").description,
                                "window_length = 11"]


# -- undo/redo through the Qt controller --------------------------------------------------------

CONTROLLER_EDITS = [
    ("Add SNV", lambda c: c.insert_step((0, 1), 0, "SNV")),
    ("Delete PLS", lambda c: c.remove_step((0, 0, 1))),
    ("Move MSC", lambda c: c.move_step((0, 1, 0), (0, 0), 0)),
    ("Move PLS", lambda c: c.move_step((0, 0, 1), (), 2)),
    ("Duplicate SNV", lambda c: c.duplicate_step((0, 0, 0))),
    ("Disable Ridge", lambda c: c.set_enabled((0, 1, 1), False)),
    ("Edit PLS", lambda c: c.set_params((0, 0, 1), {"n_components": 7})),
    ("Tune Ridge", lambda c: c.set_finetune((0, 1, 1), {"n_trials": 10, "model_params": {
        "alpha": ["float_log", 1e-3, 10.0]}})),
    ("Add lane", lambda c: c.add_lane((0,), ["Detrend", "Lasso"])),
    ("Remove lane", lambda c: c.remove_lane((0,), 0)),
    ("Add branch", lambda c: c.make_branch((), 2)),
    ("Add generator", lambda c: c.make_generator((), 0, ["SNV", "MSC"])),
    ("Make generator", lambda c: c.set_generator((0,), True)),
    ("Branch options", lambda c: c.set_branch_options((1,), parallel=None, n_jobs=-1)),
    ("Rename pipeline", lambda c: c.set_name("renamed")),
    ("Import pipeline", lambda c: c.import_spec(JSON_PATTERNS["generator"])),
]


@pytest.fixture
def controller(qtbot):
    from app.editor.commands import EditorController

    ctrl = EditorController()
    ctrl.load(JSON_PATTERNS["mixed"])
    return ctrl


@pytest.mark.parametrize("text, edit", CONTROLLER_EDITS, ids=[e[0] for e in CONTROLLER_EDITS])
def test_every_edit_undoes_and_redoes_exactly(controller, text, edit):
    before = controller.doc.to_json()
    emitted = []
    controller.spec_changed.connect(emitted.append)
    edit(controller)
    after = controller.doc.to_json()
    assert after != before
    assert controller.undo_stack.count() == 1
    assert controller.undo_stack.undoText() == text
    assert json.loads(after) == emitted[-1] and len(emitted) == 1
    controller.undo_stack.undo()
    assert controller.doc.to_json() == before
    assert emitted[-1] == json.loads(before)
    controller.undo_stack.redo()
    assert controller.doc.to_json() == after
    assert len(emitted) == 3


def test_generator_alternatives_undo(controller):
    controller.make_generator((), 0, ["SNV"])
    controller.add_alternative((0,), "MSC")
    controller.remove_alternative((0,), 0)
    assert controller.doc.step_at((0,))["branch"] == {"_or_": ["MSC"]}
    controller.undo_stack.undo()
    controller.undo_stack.undo()
    assert controller.doc.step_at((0,))["branch"] == {"_or_": ["SNV"]}
    assert controller.undo_stack.undoText() == "Add generator"


def test_a_sequence_of_edits_unwinds_to_the_loaded_spec(controller):
    loaded = controller.doc.to_json()
    states = [loaded]
    sequence = [
        lambda c: c.insert_step((0, 1), 0, "SNV"),            # lane 2: SNV, MSC, Ridge
        lambda c: c.move_step((0, 1, 1), (0, 0), 0),          # MSC to lane 1
        lambda c: c.set_params((0, 0, 2), {"n_components": 7}),
        lambda c: c.set_enabled((1,), False),
        lambda c: c.duplicate_step((0,)),
        lambda c: c.set_generator((1,), True),
        lambda c: c.remove_step((2,)),
        lambda c: c.set_name("renamed"),
        lambda c: c.set_finetune((0, 1, 1), {"n_trials": 5}),
        lambda c: c.add_lane((0,), ["Lasso"]),
    ]
    for edit in sequence:
        edit(controller)
        states.append(controller.doc.to_json())
    for state in reversed(states[:-1]):
        controller.undo_stack.undo()
        assert controller.doc.to_json() == state
    assert controller.doc.to_json() == loaded == dumps(normal(JSON_PATTERNS["mixed"]))
    assert not controller.undo_stack.canUndo()


def test_int_and_float_values_are_different_edits(controller):
    """1 == 1.0 in Python, but not in the saved JSON: undo must give back the exact form."""
    controller.set_params((0, 1, 1), {"alpha": 1})
    exact = controller.doc.to_json()
    controller.set_params((0, 1, 1), {"alpha": 1.0})
    assert '"alpha": 1.0' in controller.doc.to_json()
    controller.undo_stack.undo()
    assert controller.doc.to_json() == exact
    assert type(controller.doc.step_at((0, 1, 1))["params"]["alpha"]) is int


def test_refused_and_empty_edits_push_nothing(controller):
    with pytest.raises(ValueError):
        controller.set_params((0, 0, 1), {"n_components": -3})
    controller.set_branch_options((0,), n_jobs=2)     # already 2
    assert controller.undo_stack.count() == 0


def test_consecutive_edits_of_one_field_merge(controller):
    before = controller.doc.to_json()
    for n in (1, 12, 3):
        controller.set_params((0, 0, 1), {"n_components": n}, field="n_components")
    controller.set_params((0, 1, 1), {"alpha": 0.5}, field="alpha")
    assert controller.undo_stack.count() == 2
    controller.undo_stack.undo()
    assert controller.doc.step_at((0, 0, 1))["params"] == {"n_components": 3}
    controller.undo_stack.undo()
    assert controller.doc.to_json() == before
    # typing back to where the field started leaves nothing to undo
    controller.set_params((0, 0, 1), {"n_components": 4}, field="n_components")
    controller.set_params((0, 0, 1), {}, field="n_components")
    assert controller.doc.to_json() == before and controller.undo_stack.count() == 0


def test_load_resets_history_and_refuses_bad_files(controller, tmp_path):
    controller.insert_step((), 2, "PLSRegression")
    controller.load(DEMO)
    assert controller.undo_stack.count() == 0
    assert controller.doc.to_spec() == parse_pipeline(DEMO).spec
    bad = tmp_path / "bad.json"
    bad.write_text("{not json")
    with pytest.raises(SpecError):
        controller.load(bad)
    assert controller.doc.to_spec() == parse_pipeline(DEMO).spec  # nothing lost


def test_undo_actions_work_with_shortcuts(controller, qtbot):
    from PySide6.QtGui import QKeySequence
    from PySide6.QtWidgets import QWidget

    widget = QWidget()
    qtbot.addWidget(widget)
    undo = controller.undo_stack.createUndoAction(widget)
    undo.setShortcut(QKeySequence.StandardKey.Undo)
    redo = controller.undo_stack.createRedoAction(widget)
    redo.setShortcut(QKeySequence("Ctrl+Shift+Z"))
    before = controller.doc.to_json()
    controller.remove_step((1,))
    assert undo.isEnabled() and "Delete Branch" in undo.text()
    undo.trigger()
    assert controller.doc.to_json() == before
    redo.trigger()
    assert len(controller.doc.to_spec()) == 1


def test_random_edit_sequence_keeps_the_engines_normal_form_and_unwinds(controller):
    """A seeded random walk over every kind of edit (including undo/redo and refused
    edits): after each step the document equals the engine's own normal form of itself
    (a fixed point of parse_pipeline) with the same branches, or is incomplete with an
    error; undoing everything gives back the loaded spec exactly."""
    import random

    rnd = random.Random(7)
    steps_pool = ["SNV", "MSC", "Detrend", "PLSRegression", "Ridge",
                  {"class": "Lasso", "params": {"alpha": 0.1}}, "KFold"]
    doc = controller.doc
    loaded = doc.to_json()

    def all_steps(container=()):
        out = []
        for p in doc.children(container):
            out.append(p)
            if doc.kind_at(p) in ("branch", "generator"):
                for lane in doc.children(p):
                    out += all_steps(lane)
        return out

    refused = 0
    for _ in range(80):
        steps = all_steps()
        branches = [p for p in steps if doc.kind_at(p) in ("branch", "generator")]
        containers = [()] + [lane for b in branches for lane in doc.children(b)]
        k = rnd.choice(containers)
        gap = rnd.randint(0, doc.container_len(k))
        step = rnd.choice(steps) if steps else (0,)
        branch = rnd.choice(branches) if branches else (0,)
        # One of these runs straight away, inside this iteration; the defaults bind this
        # iteration's targets (no change in behaviour), and the random arguments stay
        # lazy so that the seeded walk draws exactly the numbers it always drew.
        edits = [
            lambda k=k, gap=gap: controller.insert_step(k, gap, rnd.choice(steps_pool)),
            lambda step=step: controller.remove_step(step),
            lambda step=step, k=k, gap=gap: controller.move_step(step, k, gap),
            lambda step=step: controller.duplicate_step(step),
            lambda step=step: controller.set_enabled(step, rnd.random() < 0.5),
            lambda k=k, gap=gap: controller.make_branch(k, gap),
            lambda k=k, gap=gap: controller.make_generator(
                k, gap, [rnd.choice(steps_pool[:3])]),
            lambda branch=branch: controller.add_lane(branch, [rnd.choice(steps_pool)]),
            lambda branch=branch: controller.remove_lane(branch, 0),
            lambda branch=branch: controller.set_generator(branch, rnd.random() < 0.5),
            lambda branch=branch: controller.set_branch_options(
                branch, rnd.choice([None, True, False]), rnd.choice([None, 1, 2, -1])),
            lambda: controller.undo_stack.undo(),
            lambda: controller.undo_stack.redo(),
        ]
        try:
            rnd.choice(edits)()
        except ValueError:
            refused += 1
        spec = doc.to_spec()
        try:
            ref = parse_pipeline(spec)
        except SpecError:
            assert doc.expanded() is None and doc.error()
        else:
            assert ref.spec == spec and doc.error() is None
            assert [b.name for b in ref.branches] == [b.name for b in doc.expanded().branches]
    assert 0 < refused < 80
    while controller.undo_stack.canUndo():
        controller.undo_stack.undo()
    assert doc.to_json() == loaded
