"""Acceptance: adding an operator needs only its class and one registry entry.

A toy SpectralOperator defined here, plus one ``register(RegistryEntry(...))``, appears in the
editor's palette (with its description, found by a synonym), gets an inspector form whose
bounds come from its ``_parameter_constraints`` (a bad value refused as typed), a card with
its title and summary, a short name with its abbrev in the results table, and its fitted
model saves to a project and reloads (skops, through the trusted-type check) predicting
identically. Nothing else in nirdesk is edited; the entry is unregistered at the end.
"""
from __future__ import annotations

from numbers import Integral, Real
from typing import Any, ClassVar

import numpy as np
import pytest
from PySide6.QtCore import Qt
from PySide6.QtTest import QTest
from PySide6.QtWidgets import QLineEdit, QSpinBox
from sklearn.utils._param_validation import Interval

from app.common import gc_guard
from app.editor.palette import DESCRIPTION_ROLE
from app.editor.widget import PipelineEditor
from app.results import data as D
from app.results.panel import ResultsPanel
from engine.operators import SpectralOperator
from engine.registry import (
    RegistryEntry,
    allow_module_prefix,
    get_entry,
    register,
    remove_module_prefix,
    unregister,
)


class ToyScale(SpectralOperator):
    """Multiply each value's magnitude, raised to a power, by a factor (keeps the sign).

    Parameters
    ----------
    factor : float
        The multiplier, in (0, 10].
    power : int
        The power, 1 to 3.
    """

    _parameter_constraints: ClassVar[dict[str, list[Any]]] = {
        "factor": [Interval(Real, 0, 10, closed="right")],
        "power": [Interval(Integral, 1, 3, closed="both")],
    }

    def __init__(self, factor: float = 2.0, power: int = 1) -> None:
        self.factor = factor
        self.power = power

    def _transform(self, X: np.ndarray) -> np.ndarray:
        return self.factor * np.sign(X) * np.abs(X) ** self.power


ENTRY = RegistryEntry(
    "ToyScale", f"{ToyScale.__module__}.ToyScale", "preprocessing", "any",
    "Toy operator of the acceptance test: scales each value.",
    title="Toy scale", abbrev="TS", summary=("\u00d7{factor} ^{power}",),
    synonyms=("zzyzx",), trusted=(f"{ToyScale.__module__}.{ToyScale.__qualname__}",))


@pytest.fixture(scope="module")
def toy():
    allow_module_prefix(ToyScale.__module__)
    register(ENTRY)
    yield ENTRY
    unregister("ToyScale")
    remove_module_prefix(ToyScale.__module__)


@pytest.fixture
def editor(qtbot, toy):
    ed = PipelineEditor()
    qtbot.addWidget(ed)
    ed.set_spec(["ToyScale", "PLSRegression"])
    ed.resize(420, 760)
    ed.show()
    qtbot.waitExposed(ed)
    return ed


def test_the_palette_lists_it_with_its_description_and_finds_it_by_a_synonym(editor):
    item = editor.palette.item_for("ToyScale")
    assert item is not None and item.parent().text(0) == "Preprocessing"
    assert item.data(0, DESCRIPTION_ROLE) == ENTRY.description
    editor.palette.search.setText("zzyzx")
    assert editor.palette.visible_entries() == ["ToyScale"]


def test_the_inspector_and_the_card_read_its_constraints_and_entry(editor):
    card = editor.canvas.widgets[(0,)]
    assert card.title.text() == "Toy scale" and card.details.text() == "\u00d72 ^1"
    editor.canvas.select((0,))
    power = editor.inspector.field_widget("power")
    assert isinstance(power, QSpinBox) and (power.minimum(), power.maximum()) == (1, 3)
    factor = editor.inspector.field_widget("factor")
    assert isinstance(factor, QLineEdit)
    for bad, words in (("0", "factor must be > 0"), ("10.5", "factor must be <= 10")):
        factor.setFocus()
        factor.selectAll()
        QTest.keyClicks(factor, bad)
        assert "2px solid" in factor.styleSheet()                # refused as typed
        assert words in editor.inspector.field_error("factor")
        QTest.keyClick(factor, Qt.Key.Key_Return)
        assert editor.spec()[0] == "ToyScale"                    # not applied
    factor.selectAll()
    QTest.keyClicks(factor, "4")
    QTest.keyClick(factor, Qt.Key.Key_Return)
    assert editor.spec()[0] == {"class": "ToyScale", "params": {"factor": 4}}
    assert editor.canvas.widgets[(0,)].details.text() == "\u00d74 ^1"


def test_a_run_shows_its_abbrev_and_its_saved_model_reloads(toy, tablet_dir, qtbot, tmp_path):
    from engine.io import load_dataset
    from engine.run import run
    from engine.store import Project

    ds = load_dataset(tablet_dir)
    spec = [{"class": "ToyScale", "params": {"factor": 4}},
            {"class": "PLSRegression", "params": {"n_components": 3}}]
    result = run(spec, ds, verbose=0)
    branch = result.branches[0]
    assert branch.status == "ok", branch.error

    gc_guard.acquire()
    panel = ResultsPanel()
    qtbot.addWidget(panel)
    panel.resize(1280, 300)
    panel.show()
    qtbot.waitExposed(panel)
    try:
        panel.begin_run(ds, {b.id: b.name for b in result.branches})
        panel.add_branch(branch)
        shown = panel.model.index(panel.model.row_of(branch.id), 0).data()
        assert shown == f"{branch.id}: TS(4) > PLS(3)"
        assert shown == f"{branch.id}: {D.short_name(branch.steps)}"
        qtbot.waitUntil(lambda: panel.plots["predicted"].has_plot)   # its plot drawn too
    finally:
        panel.shutdown()
        gc_guard.release()

    path = tmp_path / "toy.nirdesk"
    with Project.create(path) as project:
        run_id = project.record_run(result, ds, spec, "toy")
    with Project.open(path, readonly=True) as project:
        model = project.load_model(run_id, branch.id)
    assert type(model[0]) is ToyScale and model[0].factor == 4
    X = np.asarray(ds.X)
    np.testing.assert_array_equal(model.predict(X), branch.model.predict(X))
    # the model's own type is trusted because the entry lists it, and only while registered
    assert get_entry("ToyScale") is ENTRY
