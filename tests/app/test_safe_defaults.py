"""Safe defaults (issue 21): the demo's plan is green on first start (sequential because it is
faster here is not a problem); a fix that leaves the group sequential for a new reason says
what it changed; a PLS added from the palette is explicitly not autoscaled, as in the demo."""
from __future__ import annotations

import json

from PySide6.QtCore import QPoint, Qt
from PySide6.QtTest import QTest
from PySide6.QtWidgets import QPushButton

from app.editor.model.badges import FASTER_TEXT
from app.editor.widget import PipelineEditor
from engine.io import load_dataset
from engine.machine import DataFacts, MachineFacts
from engine.resources import demo_pipeline_path

COLD_2CPU = MachineFacts(usable_cpus=2, total_memory=8 * 2**30, available_memory=6 * 2**30)
RF = {"class": "RandomForestRegressor", "params": {"n_jobs": -1}}


def _editor(qtbot, spec, data) -> PipelineEditor:
    ed = PipelineEditor()
    qtbot.addWidget(ed)
    ed.set_context(COLD_2CPU, data)
    ed.set_spec(spec)
    ed.resize(420, 760)
    ed.show()
    qtbot.waitExposed(ed)
    qtbot.waitUntil(lambda: ed.badge_for((0,)) is not None, timeout=3000)
    return ed


def test_the_demo_opens_with_a_green_plan(qtbot, tecator_dir):
    ds = load_dataset(tecator_dir)
    data = DataFacts(n_train=ds.train_indices.size, n_features=ds.X.shape[1])
    ed = _editor(qtbot, json.loads(demo_pipeline_path().read_text()), data)
    badge = ed.canvas.group_bars[(0,)].badge
    assert (badge.colour, badge.full_text()) == ("green", FASTER_TEXT)
    # a narrow editor may cut the pill's text; what it shows is the text's start
    assert badge.text() == FASTER_TEXT or FASTER_TEXT.startswith(badge.text().rstrip("\u2026"))
    assert "Sequential: about" in badge.toolTip()        # the policy's own reason, kept
    assert not ed.badge_for((0,)).fixes                   # nothing to fix


def test_a_fix_that_leaves_the_group_sequential_says_what_changed(qtbot, tecator_dir):
    ds = load_dataset(tecator_dir)
    data = DataFacts(n_train=ds.train_indices.size, n_features=ds.X.shape[1])
    spec = [{"branch": [["SNV", {"class": "PLSRegression", "params": {"n_components": 5}}],
                        ["StandardScaler", RF]], "n_jobs": 2}]
    ed = _editor(qtbot, spec, data)
    button = ed.canvas.group_bars[(0,)].badge
    assert (button.colour, button.text()) == ("amber", "sequential")
    QTest.mouseClick(button, Qt.MouseButton.LeftButton, pos=QPoint(5, 5))
    fix = next(b for b in ed.details_dialog.findChildren(QPushButton, "applyFix")
               if "n_jobs=1" in b.text())
    QTest.mouseClick(fix, Qt.MouseButton.LeftButton, pos=QPoint(5, 5))
    button = ed.canvas.group_bars[(0,)].badge
    # little work on a cold pool: sequential is now the faster plan (green), and it says so
    assert (button.colour, button.full_text()) == ("green", FASTER_TEXT)
    first = button.toolTip().splitlines()[0]
    assert first.startswith("Fixed: Set n_jobs=1 on ") and "Now sequential: about" in first
    assert ed.status_text() == first
    qtbot.wait(300)                     # the debounced recomputation keeps the note
    assert ed.canvas.group_bars[(0,)].badge.toolTip().splitlines()[0] == first
    ed.controller.set_name("another edit")
    ed.refresh_badges()                 # any other edit: the note has done its job
    assert not ed.canvas.group_bars[(0,)].badge.toolTip().startswith("Fixed:")


def test_a_pls_from_the_palette_is_not_autoscaled(qtbot):
    ed = PipelineEditor()
    qtbot.addWidget(ed)
    ed.set_spec(["SNV"])
    ed.resize(420, 760)
    ed.show()
    ed.canvas.select((0,))
    tree = ed.palette.tree
    item = next(it for it in _leaves(tree) if it.text(0).startswith("PLS")
                and "DA" not in it.text(0) and "Kernel" not in it.text(0))
    tree.itemActivated.emit(item, 0)
    assert ed.spec()[1] == {"class": "PLSRegression", "params": {"scale": False}}
    card = ed.canvas.widgets[(1,)]
    assert "no scale" in card.details.text()


def _leaves(tree):
    for i in range(tree.topLevelItemCount()):
        group = tree.topLevelItem(i)
        for k in range(group.childCount()):
            yield group.child(k)
