"""The main window at the three screen sizes users have (issue 21): 1024 x 700, 1280 x 800 and
1920 x 1080, on the demo (a 4-lane branch). Each size keeps the window at that size (no dock
minimum makes it wider), gives the Results area the height its plots need, shows every lane
of the branch and its group controls without sideways scrolling (lanes stack in a narrow
editor), keeps the Dataset panel's text to its width (elided, whole in the tooltip), and
leaves no stray dock tab bar after resizes. The leaderboard's columns can be chosen and the
choice is kept in the settings."""
from __future__ import annotations

import json

import pytest
from PySide6.QtCore import QPoint, QRect, Qt
from PySide6.QtWidgets import QTabBar

from app.common.elided import ElidedLabel
from app.common.settings import AppSettings
from app.editor.cards import BranchGroupWidget
from app.shell.layout import dock_sizes, stale_tab_bars
from app.shell.main_window import MainWindow

WAIT = 60_000
SIZES = [(1024, 700), (1280, 800), (1920, 1080)]


def _settle(qtbot, window) -> None:
    qtbot.waitUntil(lambda: window.state.dataset is not None and window.state.pipeline is not None
                    and window.is_settled(), timeout=WAIT)
    qtbot.wait(50)   # the deferred dock sizing and tab bar check


@pytest.fixture
def window_at(qtbot, tmp_path):
    def make(size: tuple[int, int], lanes: int = 0) -> MainWindow:
        """The window at ``size`` on the demo, or with a branch of ``lanes`` lanes."""
        w = MainWindow(AppSettings(tmp_path / f"settings-{size[0]}.ini"), quiet=True)
        qtbot.addWidget(w)
        w.apply_default_size(size)
        w.show()
        qtbot.waitExposed(w)
        pipeline = None
        if lanes:
            steps = ["SNV", "MSC", "Detrend", {"class": "SavitzkyGolay", "params": {
                "window_length": 11, "polyorder": 2, "deriv": 1}}]
            spec = [{"branch": [[s] for s in steps[:lanes]], "n_jobs": 2},
                    {"class": "PLSRegression", "params": {"n_components": 8, "scale": False}}]
            path = tmp_path / f"lanes{lanes}.json"
            path.write_text(json.dumps({"name": f"{lanes} lanes", "steps": spec}))
            pipeline = str(path)
        w.start(pipeline=pipeline)
        _settle(qtbot, w)
        return w
    return make


def _rect_in(widget, ancestor) -> QRect:
    return QRect(widget.mapTo(ancestor, QPoint(0, 0)), widget.size())


def _branch_group(w: MainWindow) -> BranchGroupWidget:
    groups = [g for g in w.bench.editor.canvas.widgets.values()
              if isinstance(g, BranchGroupWidget)]
    assert len(groups) == 1
    return groups[0]


@pytest.mark.parametrize("size", SIZES, ids=[f"{w}x{h}" for w, h in SIZES])
def test_every_panel_fits_the_window(window_at, qtbot, size) -> None:
    w = window_at(size)
    width, height = size
    assert (w.width(), w.height()) == size, "a dock's minimum made the window larger"
    expected = dock_sizes(width, height)
    # the Results area gets its share of the height (it was ~200 px at 1280 x 800)
    results = w.docks["resultsDock"]
    assert results.isVisible() and results.height() >= 0.8 * expected.bottom
    assert results.height() >= 0.33 * height
    # the spectra keep a usable plot between the docks
    assert w.view.width() >= 0.35 * width and w.view.height() >= 0.25 * height
    # every lane of the demo's 4 alternatives, and the group's controls and badge, inside the
    # editor's viewport: nothing to scroll sideways for
    _assert_lanes_and_controls_visible(w, 4)
    # the Dataset panel's one-line values stay inside the panel; cut text is in the tooltip
    panel = w.dataset_panel
    body = panel.viewport()
    for label in panel.findChildren(ElidedLabel):
        if label.isVisible():
            r = _rect_in(label, body)
            assert r.right() <= body.width(), label.objectName()
            if label.is_elided():
                assert label.full_text() in label.toolTip()
    assert panel.partition.full_text() == "172 train \u00b7 43 test (split.csv)"


def _assert_lanes_and_controls_visible(w: MainWindow, lanes: int) -> BranchGroupWidget:
    canvas = w.bench.editor.canvas
    viewport = canvas.viewport()
    assert canvas.horizontalScrollBar().maximum() == 0
    group = _branch_group(w)
    assert len(group.lane_widgets) == lanes
    bar = canvas.group_bars[(0,)]
    for part in [*group.lane_widgets, group.title, group.add_lane_button, bar.switch,
                 bar.workers, bar.badge]:
        r = _rect_in(part, viewport)
        assert part.isVisible() and r.left() >= 0 and r.right() <= viewport.width(), \
            (part.objectName(), r, viewport.width())
    # a cut badge keeps its whole text in the tooltip
    if bar.badge.text() != bar.badge.full_text():
        assert bar.badge.full_text() in bar.badge.toolTip()
    return group


def test_a_narrow_editor_stacks_a_branchs_lanes(window_at, qtbot) -> None:
    w = window_at((1024, 700), lanes=4)
    group = _assert_lanes_and_controls_visible(w, 4)
    assert group.stacked and not group.vertical   # 4 lanes side by side need > 330 px
    lefts = {lane.mapTo(group, QPoint(0, 0)).x() for lane in group.lane_widgets}
    assert len(lefts) == 1                          # one under the other


def test_a_wide_editor_keeps_lanes_side_by_side(window_at, qtbot) -> None:
    w = window_at((1920, 1080), lanes=2)
    group = _assert_lanes_and_controls_visible(w, 2)
    assert not group.stacked
    tops = {lane.mapTo(group, QPoint(0, 0)).y() for lane in group.lane_widgets}
    assert len(tops) == 1                           # side by side
    # narrowing the editor stacks them, widening it again puts them back
    w.resizeDocks([w.docks["pipelineDock"]], [300], Qt.Orientation.Horizontal)
    qtbot.waitUntil(lambda: _branch_group(w).stacked, timeout=5000)
    w.resizeDocks([w.docks["pipelineDock"]], [600], Qt.Orientation.Horizontal)
    qtbot.waitUntil(lambda: not _branch_group(w).stacked, timeout=5000)


def test_no_stray_tab_bar_after_resizes_and_a_reset_layout(window_at, qtbot) -> None:
    w = window_at((1280, 800))
    for size in [(1024, 700), (1920, 1080), (1100, 760), (1280, 800)]:
        w.resize(*size)
        qtbot.wait(30)
    w.actions["reset_layout"].trigger()
    qtbot.wait(50)
    assert stale_tab_bars(w) == []
    # every shown tab bar is the live bar of a tabbed group of docks, on that group's edge
    shown = [b for b in w.findChildren(QTabBar) if b.isVisible() and b.parent() is w]
    groups = []
    for dock in w.docks.values():
        others = w.tabifiedDockWidgets(dock)
        if others and dock.isVisible():
            groups.append(sorted([dock.windowTitle()] + [o.windowTitle() for o in others]))
    assert shown, "the tabbed docks show their tab bars"
    for bar in shown:
        assert sorted(bar.tabText(i) for i in range(bar.count())) in groups


def test_leaderboard_columns_can_be_chosen_and_the_choice_is_kept(qtbot, tmp_path) -> None:
    settings_path = tmp_path / "settings.ini"
    w = MainWindow(AppSettings(settings_path), quiet=True)
    qtbot.addWidget(w)
    table = w.bench.results.table
    headers = table.source.headers()
    assert headers[0] == "Branch" and len(headers) > 4
    menu = table.column_menu()
    entries = {a.text(): a for a in menu.actions() if a.isCheckable()}
    assert set(entries) == set(headers[1:])     # every column but the branch can be hidden
    hide = headers[2]
    with qtbot.waitSignal(table.hidden_changed) as changed:
        entries[hide].setChecked(False)
    assert changed.args[0] == [hide]
    assert table.isColumnHidden(headers.index(hide)) and not table.isColumnHidden(0)
    assert table.hidden_columns() == [hide]
    w.settings.sync()
    w.close()
    # a new window restores the choice from the settings; Show all brings every column back
    w2 = MainWindow(AppSettings(settings_path), quiet=True)
    qtbot.addWidget(w2)
    t2 = w2.bench.results.table
    assert t2.hidden_columns() == [hide] and t2.isColumnHidden(headers.index(hide))
    show_all = next(a for a in t2.column_menu().actions() if a.text() == "Show all columns")
    show_all.trigger()
    assert t2.hidden_columns() == [] and not any(t2.isColumnHidden(c)
                                                 for c in range(len(headers)))
    assert AppSettings(settings_path).leaderboard_hidden() == []
