"""The palette with issue 18's toolbox (about forty steps): grouped by what a step does, empty
groups hidden, and the search finds steps by the words practitioners type ("scatter",
"baseline", "derivative", "convex hull", "log(1/R)") whatever their group."""
from __future__ import annotations

import os
from pathlib import Path

import pytest
from PySide6.QtTest import QTest

from app.editor.palette import GROUPS, StepPalette
from engine.registry import CATEGORIES, registry_entries

SCATTER = ["SNV", "MSC", "RNV", "EMSC"]
BASELINES = ["Detrend", "Baseline", "AirPLS", "ArPLS", "Rubberband", "ModPoly"]
DERIVATIVES = ["SavitzkyGolay", "FirstDerivative", "SecondDerivative", "NorrisWilliams"]


@pytest.fixture
def palette(qtbot):
    pal = StepPalette()
    qtbot.addWidget(pal)
    pal.resize(280, 900)
    pal.show()
    qtbot.waitExposed(pal)
    return pal


def test_every_preprocessing_step_has_a_category_with_a_palette_group() -> None:
    keys = [key for _, key in GROUPS]
    assert set(CATEGORIES) <= set(keys)
    for entry in registry_entries("preprocessing"):
        assert entry.category in CATEGORIES, entry.name
    assert len(registry_entries("preprocessing")) >= 20


def test_groups_by_job_and_hides_the_empty_fallback(palette) -> None:
    assert palette.visible_entries("Scatter & normalisation") == SCATTER + ["Normalize"]
    assert palette.visible_entries("Orthogonalisation") == ["OPLS", "OSC", "EPO"]
    assert palette.visible_entries("Baseline") == BASELINES
    assert palette.visible_entries("Derivatives & smoothing") == DERIVATIVES + [
        "Whittaker", "GaussianSmooth"]
    assert palette.visible_entries("Conversion") == ["Absorbance", "KubelkaMunk"]
    assert palette.visible_entries("Selection & axis") == ["CropRange", "SelectRanges",
                                                           "Resample", "VIPSelector",
                                                           "SRSelector", "CARS", "MCUVE"]
    shown = [palette.tree.topLevelItem(i).text(0)
             for i in range(palette.tree.topLevelItemCount())
             if not palette.tree.topLevelItem(i).isHidden()]
    assert "Preprocessing" not in shown          # no plugin step: the fallback group hides
    assert shown[:6] == ["Scatter & normalisation", "Derivatives & smoothing", "Baseline",
                         "Conversion", "Selection & axis", "Orthogonalisation"]
    assert set(palette.visible_entries()) == {e.name for e in registry_entries()}


@pytest.mark.parametrize("words,expected", [
    ("scatter", SCATTER),
    ("baseline", ["EMSC"] + BASELINES),        # EMSC's polynomial removes a baseline too
    ("derivative", DERIVATIVES),
    ("smoothing", ["SavitzkyGolay", "Whittaker", "GaussianSmooth"]),
    ("convex hull", ["Rubberband"]),
    ("log(1/r)", ["Absorbance"]),
    ("reflectance", ["Absorbance", "KubelkaMunk"]),
    ("interpolate", ["Resample"]),
    ("windows", ["SelectRanges"]),
    ("gap segment", ["NorrisWilliams"]),
    ("orthogonal", ["OPLS", "OSC", "EPO"]),
    ("external parameter", ["EPO"]),
    ("variable selection", ["VIPSelector", "SRSelector", "CARS", "MCUVE", "Lasso"]),
])
def test_search_finds_steps_by_synonym(palette, words, expected) -> None:
    QTest.keyClicks(palette.search, words)
    assert palette.visible_entries() == expected
    palette.search.clear()
    assert len(palette.visible_entries()) == len(registry_entries())


def test_task_filter_keeps_the_groups(palette) -> None:
    palette.set_task("classification")
    assert palette.visible_entries("Baseline") == BASELINES
    assert "PLSRegression" not in palette.visible_entries("Models")
    assert "PLSDA" in palette.visible_entries("Models")


def test_screenshot_of_a_search(palette, tmp_path) -> None:
    """A look at the palette (saved under /tmp/shots when run by hand with NIRDESK_SHOTS)."""
    QTest.keyClicks(palette.search, "baseline")
    image = palette.grab()
    assert image.width() > 0
    out = Path(os.environ.get("NIRDESK_SHOTS", tmp_path))
    out.mkdir(parents=True, exist_ok=True)
    assert image.save(str(out / "h5-palette-baseline.png"))
    palette.search.clear()
    assert palette.grab().save(str(out / "h5-palette-all.png"))


def test_cards_and_inspector_of_toolbox_steps(qtbot) -> None:
    from PySide6.QtCore import Qt
    from PySide6.QtWidgets import QLineEdit

    from app.editor.widget import PipelineEditor

    editor = PipelineEditor()
    qtbot.addWidget(editor)
    editor.set_spec([{"class": "SelectRanges", "params": {"ranges": [[700, 1000]]}},
                     {"class": "NorrisWilliams", "params": {"gap": 3}}, "ArPLS",
                     {"class": "PLSRegression", "params": {"n_components": 8}}])
    editor.resize(900, 700)
    editor.show()
    qtbot.waitExposed(editor)
    cards = editor.canvas.widgets
    assert (cards[(0,)].title.text(), cards[(1,)].title.text(), cards[(2,)].title.text()) == (
        "Windows", "Norris-Williams", "arPLS")
    assert cards[(1,)].details.text() == "gap 3 seg 5 d1"
    assert cards[(2,)].details.text() == "\u03bb=100000"
    editor.canvas.select((0,))
    ranges = editor.inspector.field_widget("ranges")
    assert isinstance(ranges, QLineEdit)
    ranges.setFocus()
    ranges.selectAll()
    QTest.keyClicks(ranges, "[[700, 1000], [1200, 1600]]")
    QTest.keyClick(ranges, Qt.Key.Key_Return)
    assert editor.spec()[0] == {"class": "SelectRanges",
                                "params": {"ranges": [[700, 1000], [1200, 1600]]}}
    out = Path(os.environ.get("NIRDESK_SHOTS", "")) if os.environ.get("NIRDESK_SHOTS") else None
    if out is not None:
        editor.canvas.select((0,))
        qtbot.wait(300)
        assert editor.grab().save(str(out / "h5-editor-toolbox.png"))
