"""The pipeline editor's view: palette, canvas drag and drop, shortcuts, inspector, group bars,
badges, import/export. Real Qt events where Qt allows it (key clicks, mouse clicks, QDropEvents
delivered to the lane widgets); expected specs are the engine's own normal form of a literal
(parse_pipeline(...).spec), never the editor's output fed back to itself."""
from __future__ import annotations

import json
from pathlib import Path

import pytest
from PySide6.QtCore import QMimeData, QPoint, QPointF, Qt
from PySide6.QtGui import QDragEnterEvent, QDragMoveEvent, QDropEvent
from PySide6.QtTest import QTest
from PySide6.QtWidgets import QApplication, QLineEdit, QPushButton, QSpinBox

from app.editor.model.badges import group_badges
from app.editor.palette import GROUPS, MIME, decode_payload, encode_payload
from app.editor.widget import PipelineEditor
from engine.machine import DataFacts, MachineFacts
from engine.pipeline import parse_pipeline
from engine.registry import registry_entries

REPO = Path(__file__).resolve().parents[2]
DEMO = REPO / "resources" / "demo" / "pipeline.json"
RF = {"class": "RandomForestRegressor", "params": {"n_jobs": -1}}
MIXED = [{"branch": [["SNV", "PLSRegression"], ["MSC", "Ridge"]], "n_jobs": 2},
         {"branch": [["StandardScaler", RF]], "parallel": False}]
MACHINE = MachineFacts(usable_cpus=4, total_memory=16 * 2**30, available_memory=8 * 2**30)
DATA = DataFacts(n_train=642, n_features=597)


def normal(spec):
    """The engine's normal form of a literal spec (independent of the editor)."""
    return parse_pipeline(spec).spec


@pytest.fixture
def editor(qtbot):
    ed = PipelineEditor()
    qtbot.addWidget(ed)
    ed.set_context(MACHINE, DATA)
    ed.set_spec(MIXED)
    ed.resize(420, 760)
    ed.show()
    qtbot.waitExposed(ed)
    ed.activateWindow()
    return ed


def card(ed, path):
    return ed.canvas.widgets[tuple(path)]


def click(widget, pos: QPoint | None = None):
    QTest.mouseClick(widget, Qt.MouseButton.LeftButton, Qt.KeyboardModifier.NoModifier,
                     pos if pos is not None else QPoint(widget.width() // 2, 8))


def drop(lane, mime: QMimeData, y: float, action=Qt.DropAction.CopyAction) -> QDropEvent:
    """Deliver the enter/move/drop sequence a real drag produces, at height ``y`` of the lane."""
    pos = QPointF(lane.width() / 2, y)
    buttons, mods = Qt.MouseButton.LeftButton, Qt.KeyboardModifier.NoModifier
    enter = QDragEnterEvent(pos.toPoint(), action, mime, buttons, mods)
    QApplication.sendEvent(lane, enter)
    assert enter.isAccepted()
    move = QDragMoveEvent(pos.toPoint(), action, mime, buttons, mods)
    QApplication.sendEvent(lane, move)
    assert move.isAccepted()
    event = QDropEvent(pos, action, mime, buttons, mods)
    QApplication.sendEvent(lane, event)
    return event


def between(lane, index: int) -> float:
    """A y inside the gap before item ``index`` of a lane (after the last one for len)."""
    if index < len(lane.items):
        return lane.items[index].geometry().top() - 1
    return lane.items[-1].geometry().bottom() + 2


# -- palette --------------------------------------------------------------------------------

def test_palette_groups_entries_and_search(editor, qtbot):
    pal = editor.palette
    assert pal.groups() == [heading for heading, _ in GROUPS]
    for heading, key in GROUPS:   # a preprocessing category, else the kind
        assert pal.visible_entries(heading) == [e.name for e in registry_entries()
                                                if e.group == key]
    snv = pal.item_for("SNV")
    assert "scatter" in snv.toolTip(0).lower()

    QTest.keyClicks(pal.search, "deriv")
    expected = [e.name for e in registry_entries()
                if "deriv" in " ".join((e.name, e.title, e.abbrev, e.description,
                                        *e.synonyms)).lower()]
    assert sorted(pal.visible_entries()) == sorted(expected) and len(expected) >= 2
    assert {"SavitzkyGolay", "FirstDerivative", "SecondDerivative"} <= set(expected)
    hidden = [pal.tree.topLevelItem(i).text(0) for i in range(pal.tree.topLevelItemCount())
              if pal.tree.topLevelItem(i).isHidden()]
    assert "Splitters" in hidden  # a group with no match disappears
    pal.search.clear()
    assert len(pal.visible_entries()) == len(registry_entries())
    # synonyms: words the entry's name and description do not contain
    pal.search.setText("savgol")
    assert pal.visible_entries() == ["SavitzkyGolay", "FirstDerivative", "SecondDerivative"]
    pal.search.setText("autoscale")
    assert pal.visible_entries() == ["StandardScaler"]
    pal.search.setText("baseline")
    assert {"Detrend", "Baseline"} <= set(pal.visible_entries())
    pal.search.setText("scatter")
    assert pal.visible_entries() == ["SNV", "MSC", "RNV", "EMSC"]
    pal.search.clear()


def test_palette_drag_payload_and_refuses_foreign_mime(editor):
    pal = editor.palette
    item = pal.item_for("SavitzkyGolay")
    assert pal.tree.dragEnabled() and item.flags() & Qt.ItemFlag.ItemIsDragEnabled
    mime = pal.tree.mimeData([item])
    assert mime.hasFormat(MIME)
    assert decode_payload(mime) == {"step": "SavitzkyGolay"}
    text = QMimeData()
    text.setText("SNV")
    assert decode_payload(text) is None
    lane = editor.canvas.lanes[(0, 0)]
    enter = QDragEnterEvent(QPoint(5, 5), Qt.DropAction.CopyAction, text,
                            Qt.MouseButton.LeftButton, Qt.KeyboardModifier.NoModifier)
    QApplication.sendEvent(lane, enter)
    assert not enter.isAccepted()


def test_palette_activation_inserts_after_selection(editor, qtbot):
    click(card(editor, (0, 1, 0)))  # MSC
    item = editor.palette.item_for("Detrend")
    editor.palette.tree.setCurrentItem(item)
    editor.palette.tree.setFocus()
    QTest.keyClick(editor.palette.tree, Qt.Key.Key_Return)
    expected = [{"branch": [["SNV", "PLSRegression"], ["MSC", "Detrend", "Ridge"]],
                 "n_jobs": 2}, MIXED[1]]
    assert editor.spec() == normal(expected)
    assert editor.selected_path() == (0, 1, 1)


# -- drag and drop on the canvas ------------------------------------------------------------

def test_drop_from_palette_into_a_lane(editor, qtbot):
    changed = []
    editor.spec_changed.connect(changed.append)
    lane = editor.canvas.lanes[(0, 1)]           # MSC, Ridge
    mime = editor.palette.tree.mimeData([editor.palette.item_for("SNV")])
    event = drop(lane, mime, between(lane, 1))
    assert event.isAccepted()
    expected = [{"branch": [["SNV", "PLSRegression"], ["MSC", "SNV", "Ridge"]], "n_jobs": 2},
                MIXED[1]]
    assert editor.spec() == normal(expected)
    assert changed and changed[-1] == normal(expected)
    assert editor.selected_path() == (0, 1, 1)
    new = card(editor, (0, 1, 1))
    assert new.title.text() == "SNV" and new.selected


def test_drop_at_the_top_level_end(editor):
    root = editor.canvas.lanes[()]
    drop(root, encode_payload({"step": "PLSRegression"}), root.height() - 3)
    assert editor.spec() == normal(MIXED + ["PLSRegression"])
    drop(editor.canvas.lanes[()], encode_payload({"step": "KFold"}), 1)   # above everything
    assert editor.spec() == normal(["KFold"] + MIXED + ["PLSRegression"])


def _drag_card(editor, qtbot, path) -> QMimeData:
    """Press and move on a card until the canvas starts a drag; return its mime data
    (QDrag.exec is modal, so the test replaces only that call)."""
    started = []
    editor.canvas._exec_drag = lambda drag: started.append(drag.mimeData())
    widget = card(editor, path)
    start = QPoint(widget.width() // 2, 6)
    QTest.mousePress(widget, Qt.MouseButton.LeftButton, Qt.KeyboardModifier.NoModifier, start)
    for dy in (4, 10, 20):
        QTest.mouseMove(widget, start + QPoint(0, dy))
    QTest.mouseRelease(widget, Qt.MouseButton.LeftButton, Qt.KeyboardModifier.NoModifier,
                       start + QPoint(0, 20))
    assert len(started) == 1, "moving past the drag distance must start one drag"
    return started[0]


def test_reorder_within_a_lane_by_drag(editor, qtbot):
    mime = _drag_card(editor, qtbot, (0, 0, 0))   # SNV, first in lane 0
    assert decode_payload(mime) == {"move": [0, 0, 0]}
    lane = editor.canvas.lanes[(0, 0)]
    drop(lane, mime, between(lane, 2), Qt.DropAction.MoveAction)
    expected = [{"branch": [["PLSRegression", "SNV"], ["MSC", "Ridge"]], "n_jobs": 2}, MIXED[1]]
    assert editor.spec() == normal(expected)
    qtbot.waitUntil(lambda: card(editor, (0, 0, 1)).title.text() == "SNV", timeout=2000)
    assert editor.selected_path() == (0, 0, 1)


def test_move_between_lanes_by_drag(editor, qtbot):
    mime = _drag_card(editor, qtbot, (0, 1, 0))   # MSC from lane 1 ...
    lane = editor.canvas.lanes[(0, 0)]            # ... to the top of lane 0
    drop(lane, mime, between(lane, 0), Qt.DropAction.MoveAction)
    expected = [{"branch": [["MSC", "SNV", "PLSRegression"], ["Ridge"]], "n_jobs": 2},
                MIXED[1]]
    assert editor.spec() == normal(expected)
    # and between branch steps: Ridge into the second group's lane, before RandomForest
    qtbot.waitUntil(lambda: (0, 1, 0) in editor.canvas.widgets
                    and card(editor, (0, 1, 0)).title.text() == "Ridge", timeout=2000)
    mime = _drag_card(editor, qtbot, (0, 1, 0))
    lane = editor.canvas.lanes[(1, 0)]
    drop(lane, mime, between(lane, 1), Qt.DropAction.MoveAction)
    expected = [{"branch": [["MSC", "SNV", "PLSRegression"], []], "n_jobs": 2},
                {"branch": [["StandardScaler", "Ridge", RF]], "parallel": False}]
    assert editor.spec() == normal(expected)


def test_status_line_says_why_a_pipeline_cannot_run(qtbot):
    ed = PipelineEditor()
    qtbot.addWidget(ed)
    ed.set_spec(["SNV", "PLSRegression"])
    assert ed.status_text() == "1 branch"
    ed.canvas.select((1,))
    ed.actions()["delete"].trigger()
    assert ed.spec() == ["SNV"]
    assert ed.status_text().startswith("Not runnable yet: model missing")
    assert ed.selected_path() == (0,)


def test_a_step_cannot_be_dropped_into_itself(editor):
    assert not editor.canvas.accepts_payload((0, 0), {"move": [0]})
    assert editor.canvas.accepts_payload((), {"move": [0]})
    lane = editor.canvas.lanes[(0, 0)]
    # the lane refuses; the drop falls through to the top level, over the branch itself
    drop(lane, encode_payload({"move": [0]}), 5, Qt.DropAction.MoveAction)
    assert editor.spec() == normal(MIXED)


# -- keyboard -------------------------------------------------------------------------------

def test_shortcuts_duplicate_delete_undo_redo(editor, qtbot):
    click(card(editor, (0, 1, 1)))                # Ridge
    assert editor.canvas.hasFocus()
    QTest.keyClick(editor.canvas, Qt.Key.Key_D, Qt.KeyboardModifier.ControlModifier)
    dup = [{"branch": [["SNV", "PLSRegression"], ["MSC", "Ridge", "Ridge"]], "n_jobs": 2},
           MIXED[1]]
    assert editor.spec() == normal(dup)
    assert editor.selected_path() == (0, 1, 2)

    click(card(editor, (0, 0, 0)))                # SNV
    QTest.keyClick(editor.canvas, Qt.Key.Key_Delete)
    deleted = [{"branch": [["PLSRegression"], ["MSC", "Ridge", "Ridge"]], "n_jobs": 2},
               MIXED[1]]
    assert editor.spec() == normal(deleted)

    QTest.keyClick(editor.canvas, Qt.Key.Key_Z, Qt.KeyboardModifier.ControlModifier)
    assert editor.spec() == normal(dup)
    QTest.keyClick(editor.canvas, Qt.Key.Key_Z, Qt.KeyboardModifier.ControlModifier)
    assert editor.spec() == normal(MIXED)
    QTest.keyClick(editor.canvas, Qt.Key.Key_Z, Qt.KeyboardModifier.ControlModifier
                   | Qt.KeyboardModifier.ShiftModifier)
    assert editor.spec() == normal(dup)
    assert editor.actions()["undo"].isEnabled() and editor.actions()["redo"].isEnabled()
    toolbar_undo = editor.toolbar.actions()[0]
    assert toolbar_undo.text() == "Undo" and toolbar_undo.isEnabled()
    assert "Duplicate" in toolbar_undo.toolTip()        # the stack's full text, as a tooltip


def test_disable_by_checkbox_and_space(editor, qtbot):
    box = card(editor, (0, 1, 0)).check           # MSC
    click(box, QPoint(box.width() // 2, box.height() // 2))
    expected = [{"branch": [["SNV", "PLSRegression"],
                            [{"class": "MSC", "enabled": False}, "Ridge"]], "n_jobs": 2},
                MIXED[1]]
    assert editor.spec() == normal(expected)
    grey = card(editor, (0, 1, 0))
    assert grey.title.font().strikeOut() and not grey.check.isChecked()
    QTest.keyClick(editor.canvas, Qt.Key.Key_Space)   # the card stays selected: re-enable
    assert editor.spec() == normal(MIXED)
    assert not card(editor, (0, 1, 0)).title.font().strikeOut()


def test_arrow_keys_walk_and_ctrl_arrows_move(editor):
    click(card(editor, (0, 0, 0)))
    QTest.keyClick(editor.canvas, Qt.Key.Key_Down)
    assert editor.selected_path() == (0, 0, 1)
    QTest.keyClick(editor.canvas, Qt.Key.Key_Up, Qt.KeyboardModifier.ControlModifier)
    expected = [{"branch": [["PLSRegression", "SNV"], ["MSC", "Ridge"]], "n_jobs": 2}, MIXED[1]]
    assert editor.spec() == normal(expected)
    assert editor.selected_path() == (0, 0, 0)


def test_lanes_and_branches(editor):
    group = card(editor, (1,))
    click(group.add_lane_button, QPoint(5, 5))
    assert editor.spec()[1]["branch"] == [["StandardScaler", RF], []]
    remove = editor.canvas.widgets[(1,)].findChildren(type(group.add_lane_button),
                                                      "removeLane")
    assert len(remove) == 2
    click(remove[1], QPoint(3, 3))
    assert editor.spec() == normal(MIXED)
    editor.canvas.select(None)
    editor.actions()["add_branch"].trigger()
    assert editor.controller.doc.to_spec() == MIXED + [{"branch": [[], []]}]
    assert editor.selected_path() == (2,)


def test_generator_lists_alternatives_and_branch_count(qtbot):
    ed = PipelineEditor()
    qtbot.addWidget(ed)
    ed.set_spec(DEMO)
    group = ed.canvas.widgets[(0,)]
    n_alternatives = len(json.loads(DEMO.read_text())["steps"][0]["branch"]["_or_"])
    assert group.title.text() == "Generator"
    assert group.subtitle.text().startswith(f"{n_alternatives} branches")
    assert [ed.canvas.widgets[(0, k, 0)].title.text() for k in range(n_alternatives)] == \
        ["SNV", "MSC", "Savitzky-Golay", "Detrend"]
    assert ed.canvas.widgets[(1,)].details.text() == "10 comp. · no scale"
    assert ed.status_text() == f"{len(parse_pipeline(DEMO).branches)} branches"


# -- inspector -------------------------------------------------------------------------------

def test_inspector_edit_changes_spec_and_card(editor, qtbot):
    click(card(editor, (0, 0, 1)))                # PLS
    spin = editor.inspector.field_widget("n_components")
    assert isinstance(spin, QSpinBox) and spin.minimum() == 1
    spin.setFocus()
    spin.selectAll()
    QTest.keyClicks(spin, "7")
    QTest.keyClick(spin, Qt.Key.Key_Return)
    expected = [{"branch": [["SNV", {"class": "PLSRegression", "params": {"n_components": 7}}],
                            ["MSC", "Ridge"]], "n_jobs": 2}, MIXED[1]]
    assert editor.spec() == normal(expected)
    assert card(editor, (0, 0, 1)).details.text() == "7 comp."
    assert editor.selected_path() == (0, 0, 1)
    assert editor.inspector.field_widget("n_components") is spin and spin.hasFocus()
    editor.actions()["undo"].trigger()
    assert editor.spec() == normal(MIXED)
    assert editor.inspector.field_widget("n_components").value() == 2  # PLS default


def test_inspector_refuses_invalid_values_and_takes_scientific(editor, qtbot):
    click(card(editor, (0, 1, 1)))                # Ridge
    alpha = editor.inspector.field_widget("alpha")
    assert isinstance(alpha, QLineEdit)
    alpha.setFocus()
    alpha.selectAll()
    QTest.keyClicks(alpha, "-1")
    assert "2px solid" in alpha.styleSheet()
    assert "alpha" in editor.inspector.field_error("alpha")
    QTest.keyClick(alpha, Qt.Key.Key_Return)
    assert editor.spec() == normal(MIXED)         # not applied
    assert "alpha" in editor.status_text()
    alpha.selectAll()
    QTest.keyClicks(alpha, "1e-5")
    assert alpha.styleSheet() == ""
    QTest.keyClick(alpha, Qt.Key.Key_Return)
    expected = [{"branch": [["SNV", "PLSRegression"],
                            ["MSC", {"class": "Ridge", "params": {"alpha": 1e-5}}]], "n_jobs": 2},
                MIXED[1]]
    assert editor.spec() == normal(expected)


def test_inspector_refuses_a_step_the_engine_refuses(qtbot):
    ed = PipelineEditor()
    qtbot.addWidget(ed)
    ed.set_spec([{"class": "SavitzkyGolay", "params": {"window_length": 11, "polyorder": 2}},
                 "PLSRegression"])
    ed.canvas.select((0,))
    spin = ed.inspector.field_widget("polyorder")
    spin.setValue(11)                              # polyorder must be < window_length
    assert ed.spec()[0]["params"]["polyorder"] == 2
    assert ed.inspector.field_error("polyorder")


def test_finetune_section(editor, qtbot):
    click(card(editor, (0, 0, 1)))                # PLS
    section = editor.inspector.finetune
    assert section.isVisible()
    section.setChecked(True)
    assert editor.spec()[0]["branch"][0][1] == {"model": {"class": "PLSRegression"},
                                                 "finetune_params": {"n_trials": 50, "n_jobs": 1}}
    editor.inspector.finetune.add_button.click()   # first numeric parameter, from its bounds
    assert editor.spec()[0]["branch"][0][1]["finetune_params"]["model_params"] == {
        "n_components": ["int", 1, 10]}
    table = editor.inspector.finetune.table
    table.cellWidget(0, 1).setCurrentText("int")
    table.item(0, 2).setText("1")
    table.item(0, 3).setText("20")
    expected = [{"branch": [["SNV", {"model": {"class": "PLSRegression"}, "finetune_params": {
        "n_trials": 50, "n_jobs": 1, "model_params": {"n_components": ["int", 1, 20]}}}],
        ["MSC", "Ridge"]], "n_jobs": 2}, MIXED[1]]
    assert editor.spec() == normal(expected)
    table.item(0, 2).setText("30")                 # low > high: refused, spec unchanged
    assert editor.spec() == normal(expected)
    assert section.message.text()
    assert card(editor, (0, 0, 1)).details.text().startswith("Optuna")


def test_finetune_component_choice_rule(editor, qtbot):
    """The exact sweep's rule: the one-standard-error default stays implicit in the spec; the
    plain minimum is written, and a loaded spec shows its rule."""
    click(card(editor, (0, 0, 1)))                # PLS
    section = editor.inspector.finetune
    section.setChecked(True)
    assert section.selection.currentData() == "one_se"
    assert "selection" not in editor.spec()[0]["branch"][0][1]["finetune_params"]
    section.selection.setCurrentIndex(section.selection.findData("minimum"))
    assert editor.spec()[0]["branch"][0][1]["finetune_params"]["selection"] == "minimum"
    click(card(editor, (0, 0, 0)))                # away and back: the rule is read back
    click(card(editor, (0, 0, 1)))
    assert editor.inspector.finetune.selection.currentData() == "minimum"


# -- group bar and badges ----------------------------------------------------------------------

def test_group_switch_and_workers_change_the_spec(editor, qtbot):
    bar = editor.canvas.group_bars[(1,)]
    assert not bar.switch.isChecked() and not bar.workers.isEnabled()
    click(bar.switch, QPoint(5, bar.switch.height() // 2))
    assert editor.spec()[1] == {"branch": [["StandardScaler", RF]], "n_jobs": -1}
    bar = editor.canvas.group_bars[(1,)]
    assert bar.workers.isEnabled() and bar.workers.text() == "Auto"
    bar.workers.setFocus()
    QTest.keyClick(bar.workers, Qt.Key.Key_Up)     # Auto -> 2 (1 worker = the switch off)
    assert editor.spec()[1] == {"branch": [["StandardScaler", RF]], "n_jobs": 2}
    bar = editor.canvas.group_bars[(1,)]
    assert bar.workers.maximum() == MACHINE.usable_cpus and bar.workers.value() == 2
    bar.workers.setFocus()
    QTest.keyClick(bar.workers, Qt.Key.Key_Down)
    assert editor.spec()[1] == {"branch": [["StandardScaler", RF]], "n_jobs": -1}
    bar = editor.canvas.group_bars[(0,)]
    assert bar.switch.isChecked() and bar.workers.value() == 2
    bar.workers.setFocus()
    bar.workers.selectAll()
    QTest.keyClicks(bar.workers, "3")
    QTest.keyClick(bar.workers, Qt.Key.Key_Return)
    assert editor.spec()[0] == {"branch": [["SNV", "PLSRegression"], ["MSC", "Ridge"]],
                                "n_jobs": 3}
    assert editor.canvas.group_bars[(0,)].workers.hasFocus()  # focus survives the rebuild
    bar = editor.canvas.group_bars[(0,)]
    click(bar.switch, QPoint(5, bar.switch.height() // 2))
    assert editor.spec()[0] == {"branch": [["SNV", "PLSRegression"], ["MSC", "Ridge"]],
                                "parallel": False}


def test_badges_amber_then_apply_fix_turns_green(qtbot):
    spec = [{"branch": [["SNV", "PLSRegression"], ["StandardScaler", RF]], "n_jobs": 2}]
    ed = PipelineEditor()
    qtbot.addWidget(ed)
    ed.set_context(MACHINE, DATA)
    ed.set_spec(spec)
    ed.resize(420, 760)
    ed.show()
    qtbot.waitExposed(ed)
    qtbot.waitUntil(lambda: ed.badge_for((0,)) is not None, timeout=2000)
    reference = group_badges(ed.controller.doc, machine=MACHINE, data=DATA)[0]
    button = ed.canvas.group_bars[(0,)].badge
    assert (button.colour, button.text()) == ("amber", reference.text) == ("amber", "sequential")
    assert "n_jobs=-1" in button.toolTip() and reference.tooltip == button.toolTip()
    click(button, QPoint(5, 5))
    dialog = ed.details_dialog
    assert dialog is not None and dialog.isVisible()
    assert "n_jobs" in dialog.text.text()
    fix_button = next(b for b in dialog.findChildren(QPushButton, "applyFix")
                      if "n_jobs=1" in b.text())
    click(fix_button, QPoint(5, 5))
    fixed = [{"branch": [["SNV", "PLSRegression"],
                         ["StandardScaler", {"class": "RandomForestRegressor",
                                             "params": {"n_jobs": 1}}]], "n_jobs": 2}]
    assert ed.spec() == normal(fixed)
    button = ed.canvas.group_bars[(0,)].badge
    assert button.colour == "green" and button.text() == "parallel \u00d72"
    ed.actions()["undo"].trigger()                 # the fix is one undoable edit
    assert ed.spec() == normal(spec)
    qtbot.waitUntil(lambda: ed.canvas.group_bars[(0,)].badge.colour == "amber", timeout=2000)


def test_badges_follow_global_workers_and_debounce(editor, qtbot):
    qtbot.waitUntil(lambda: editor.badge_for((1,)) is not None, timeout=2000)
    grey = editor.canvas.group_bars[(1,)].badge
    assert (grey.colour, grey.text()) == ("grey", "sequential")
    editor.controller.set_branch_options((1,), None, -1)
    assert editor.badge_for((1,)).colour == "grey"   # not yet: debounced
    qtbot.waitUntil(lambda: editor.badge_for((1,)).colour != "grey", timeout=2000)
    assert editor.badge_seconds > 0                 # measured (its speed: bench/gui.py, part 4)
    editor.set_global_workers(1)
    assert all(b.text == "sequential" for b in editor.badges)


# -- files ---------------------------------------------------------------------------------------

def test_demo_load_export_is_identical(qtbot, tmp_path):
    ed = PipelineEditor()
    qtbot.addWidget(ed)
    seen = []
    ed.spec_changed.connect(seen.append)
    ed.set_spec(DEMO)
    original = json.loads(DEMO.read_text(encoding="utf-8"))
    assert seen and seen[-1] == original
    out = tmp_path / "out.json"
    assert ed.export_to(out)
    exported = json.loads(out.read_text(encoding="utf-8"))
    assert json.dumps(exported) == json.dumps(original)   # same values, same key order
    assert parse_pipeline(out).spec == parse_pipeline(DEMO).spec


def test_import_errors_keep_the_pipeline_and_import_is_undoable(editor, tmp_path):
    bad = tmp_path / "bad.json"
    bad.write_text('[{"class": "NoSuchStep"}]', encoding="utf-8")
    assert not editor.import_from(bad)
    assert editor.spec() == normal(MIXED)
    line = editor.status_text()
    assert "bad.json" in line and "NoSuchStep" in line and "\n" not in line
    broken = tmp_path / "broken.json"
    broken.write_text("[1, 2", encoding="utf-8")
    assert not editor.import_from(broken)
    assert editor.spec() == normal(MIXED)
    assert not editor.import_from(tmp_path / "missing.json")
    assert editor.spec() == normal(MIXED)
    assert editor.import_from(DEMO)
    assert editor.spec() == parse_pipeline(DEMO).spec
    editor.actions()["undo"].trigger()
    assert editor.spec() == normal(MIXED)


def test_a_drop_during_the_modal_drag_keeps_the_source_card_alive(editor, qtbot):
    """QDrag.exec runs a nested event loop and the dragged card is its source: the rebuild
    after the drop must wait until exec returns (here exec performs the drop itself)."""
    lane = editor.canvas.lanes[(0, 1)]
    source = card(editor, (0, 0, 0))
    seen = []

    def exec_with_drop(drag):
        drop(lane, drag.mimeData(), between(lane, 0), Qt.DropAction.MoveAction)
        seen.append((source.isVisible(), editor.canvas.widgets.get((0, 0, 0)) is source))

    editor.canvas._exec_drag = exec_with_drop
    editor.canvas.start_move_drag((0, 0, 0))
    assert seen == [(True, True)]                  # not rebuilt while the drag ran
    expected = [{"branch": [["PLSRegression"], ["SNV", "MSC", "Ridge"]], "n_jobs": 2}, MIXED[1]]
    assert editor.spec() == normal(expected)
    qtbot.waitUntil(lambda: card(editor, (0, 1, 0)).title.text() == "SNV", timeout=2000)
    assert editor.selected_path() == (0, 1, 0)


def test_context_menu_actions(editor):
    menu = editor.canvas.context_menu((0, 1, 1))      # Ridge
    texts = [a.text() for a in menu.actions() if a.text()]
    assert texts[:3] == ["Disable", "Duplicate\tCtrl+D", "Delete\tDel"]
    menu.actions()[0].trigger()
    assert editor.spec()[0]["branch"][1][1] == {"class": "Ridge", "enabled": False}
    menu = editor.canvas.context_menu((0,))
    make = next(a for a in menu.actions() if a.text() == "Make generator (_or_)")
    make.trigger()
    assert editor.controller.doc.kind_at((0,)) == "generator"
    assert editor.canvas.widgets[(0,)].subtitle.text().startswith("2 branches")


def test_import_and_export_actions_use_file_dialogs(editor, tmp_path, monkeypatch):
    from PySide6.QtWidgets import QFileDialog
    target = tmp_path / "exported"                  # no suffix: ".json" is added
    monkeypatch.setattr(QFileDialog, "getSaveFileName",
                        staticmethod(lambda *a, **k: (str(target), "")))
    editor.actions()["export_json"].trigger()
    written = tmp_path / "exported.json"
    assert json.loads(written.read_text(encoding="utf-8")) == normal(MIXED)
    monkeypatch.setattr(QFileDialog, "getOpenFileName",
                        staticmethod(lambda *a, **k: (str(DEMO), "")))
    editor.actions()["import_json"].trigger()
    assert editor.spec() == parse_pipeline(DEMO).spec
    monkeypatch.setattr(QFileDialog, "getOpenFileName", staticmethod(lambda *a, **k: ("", "")))
    editor.actions()["import_json"].trigger()      # cancelled: nothing changes
    assert editor.spec() == parse_pipeline(DEMO).spec
