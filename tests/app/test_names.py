"""Names (issue 21): the pipeline's name is shown and edited in the editor (one undoable
edit); a new pipeline, or one emptied to rebuild it from scratch, takes a fresh name instead
of keeping the demo's; runs are renamed in the runs history, the name is written to the
project and shown there (and the pipeline's name when the run has none)."""
from __future__ import annotations

import json
import re

import pytest
from PySide6.QtCore import Qt
from PySide6.QtTest import QTest

from app.common.settings import AppSettings
from app.editor.widget import PipelineEditor
from app.project import RunsHistory
from app.project.history import RUN_COLUMNS
from engine.io import load_dataset
from engine.resources import demo_pipeline_path
from engine.run import run
from engine.store import Project
from tests.app.test_project_gui import Asker, Host

WAIT = 30_000
FRESH = re.compile(r"^pipeline \d{4}-\d\d-\d\d \d\d:\d\d$")
DEMO_NAME = "demo: four preprocessings into PLS"


@pytest.fixture
def editor(qtbot):
    widget = PipelineEditor()
    qtbot.addWidget(widget)
    widget.set_spec(json.loads(demo_pipeline_path().read_text()))
    widget.resize(420, 700)
    widget.show()
    return widget


def test_the_editor_shows_and_renames_the_pipeline(editor, qtbot):
    assert editor.name_edit.text() == DEMO_NAME
    editor.name_edit.setFocus()
    editor.name_edit.selectAll()
    QTest.keyClicks(editor.name_edit, "moisture, four scatter corrections")
    QTest.keyClick(editor.name_edit, Qt.Key.Key_Return)
    assert editor.controller.doc.name == "moisture, four scatter corrections"
    assert editor.spec()["name"] == "moisture, four scatter corrections"
    editor.controller.undo_stack.undo()
    assert editor.controller.doc.name == DEMO_NAME
    editor.name_edit.clearFocus()
    editor.controller.undo_stack.redo()
    assert editor.name_edit.text() == "moisture, four scatter corrections"


def test_emptying_the_pipeline_gives_it_a_fresh_name(editor):
    c = editor.controller
    c.remove_step((1,))                       # the PLS
    assert c.doc.name == DEMO_NAME            # the branch step still does something
    c.remove_step((0,))                       # the four preprocessings: nothing left
    assert FRESH.match(c.doc.name), c.doc.name
    assert editor.name_edit.text() == c.doc.name
    c.insert_step((), 0, "SNV")
    c.insert_step((), 1, {"class": "PLSRegression", "params": {"n_components": 5}})
    assert FRESH.match(editor.spec()["name"])
    # one edit: undoing the deletion brings the old name back with the steps
    c.undo_stack.undo()
    c.undo_stack.undo()
    c.undo_stack.undo()
    assert c.doc.name == DEMO_NAME and len(editor.spec()["steps"]) == 1


def test_new_pipeline_is_empty_with_a_fresh_name_and_undoable(editor):
    editor.actions()["new_pipeline"].trigger()
    spec = editor.spec()
    assert spec["steps"] == [] and FRESH.match(spec["name"])
    editor.controller.undo_stack.undo()
    assert editor.spec()["name"] == DEMO_NAME and len(editor.spec()["steps"]) == 2


def test_runs_are_renamed_in_the_history_and_in_the_project(tmp_path, qtbot, tecator_dir):
    ds = load_dataset(tecator_dir)
    spec = {"name": "snv into pls", "steps": ["SNV", {"class": "PLSRegression",
                                                      "params": {"n_components": 4}}]}
    result = run(spec, ds, verbose=0)
    host = Host(AppSettings(tmp_path / "s.ini"), tmp_path / "autosave", Asker(), dataset=ds,
                spec=spec)
    qtbot.addWidget(host)
    history = RunsHistory()
    qtbot.addWidget(history)
    history.bind(host.ctrl)
    for _ in range(2):
        with qtbot.waitSignal(host.ctrl.runs_changed, timeout=WAIT):
            host.ctrl.record_run(result, ds, spec)
    history.resize(900, 300)
    history.show()
    name_col = RUN_COLUMNS.index("Name")
    assert [history.table.item(r, name_col).text() for r in range(2)] == ["snv into pls"] * 2
    history.select_runs([1])
    history.ask_name = lambda parent, current: "first try, 4 LVs"
    assert history.rename_action.isEnabled()
    assert history.rename_action.shortcut().toString() == "F2"
    with qtbot.waitSignal(host.ctrl.runs_changed, timeout=WAIT):
        history.rename_action.trigger()
    names = {history.table.item(r, 0).text(): history.table.item(r, name_col).text()
             for r in range(2)}
    assert names == {"1": "first try, 4 LVs", "2": "snv into pls"}
    assert history.table.item(0, RUN_COLUMNS.index("Pipeline")).text() == "snv into pls"
    assert host.ctrl.is_dirty
    target = tmp_path / "named.nirdesk"
    assert host.ctrl.save_as(str(target))
    qtbot.waitUntil(lambda: target.exists() and not host.ctrl.is_dirty, timeout=WAIT)
    with Project.open(target, readonly=True) as project:
        assert [(s.id, s.name) for s in project.runs()] == [(1, "first try, 4 LVs"), (2, None)]
    host.ctrl._may_discard = True
    host.close()
