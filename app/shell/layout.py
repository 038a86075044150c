"""The main window's default dock proportions per window size, and the tab bars Qt leaves
behind.

Why proportions by size and not fixed fractions: at 1280 x 800 a third of the height left
the Results area ~200 px tall (the tops of the RMSECV and trial plots were cut, the
leaderboard showed five columns) and at 1024 x 700 the docks' fixed minimums made the window
1089 px wide. The numbers below give, at each size, the editor the width of a 2-lane branch
(a narrower editor stacks lanes: app.editor.canvas), the Dataset panel its text, the Results
area ~40 % of the height, and the spectra what is left.

Why hide tab bars: Qt's QMainWindowLayout (6.11) makes a new tab bar each time it rebuilds a
group of tabbed docks (each tabifyDockWidget call while the window is built, every
restoreState: the saved layout at start, View > Reset window layout) and leaves the previous
bar shown. The stale bar keeps its last geometry; hidden behind the live one at first, it
appears over the Selection panel or the Results area as soon as a resize moves the live bar
away ("Results | Resources | Runs history" painted over the docks). A live bar has the tabs
of a current group and sits on that group's dock edge; every other shown bar is stale.
"""
from __future__ import annotations

from dataclasses import dataclass

from PySide6.QtCore import Qt
from PySide6.QtWidgets import QDockWidget, QMainWindow, QTabBar


@dataclass(frozen=True)
class DockSizes:
    """Default sizes in pixels: left (Dataset / Selection) and right (editor / Run) widths,
    bottom (Results ...) height, and the Dataset panel's share of the left column."""

    left: int
    right: int
    bottom: int
    dataset_share: float


def _clamp(value: float, lo: int, hi: int) -> int:
    return int(max(lo, min(hi, round(value))))


def dock_sizes(width: int, height: int) -> DockSizes:
    """The default proportions for a window of ``width`` x ``height``.

    1024 x 700: left 200, right 330 (compact editor), bottom 294; spectra ~490 x 270
    1280 x 800: left 243, right 397, bottom 336; spectra ~640 x 330
    1920 x 1080: left 300, right 520, bottom 432; spectra ~1100 x 500
    """
    left = _clamp(width * 0.19, 200, 300)
    right = _clamp(width * 0.31, 330, 520)
    bottom = _clamp(height * (0.42 if height <= 900 else 0.40), 250, 480)
    return DockSizes(left, right, bottom, 0.62 if height <= 800 else 0.55)


def stale_tab_bars(window: QMainWindow) -> list[QTabBar]:
    """The window's shown dock tab bars that belong to no current group (see above)."""
    bars = window.findChildren(QTabBar, options=Qt.FindChildOption.FindDirectChildrenOnly)
    shown = [b for b in bars if b.isVisible()]
    live: set[QTabBar] = set()
    for dock in window.findChildren(QDockWidget):
        others = window.tabifiedDockWidgets(dock)
        if not others or dock.isFloating() or not dock.isVisible():
            continue
        titles = sorted([dock.windowTitle()] + [o.windowTitle() for o in others])
        edge = dock.geometry()
        for bar in shown:
            if sorted(bar.tabText(i) for i in range(bar.count())) != titles:
                continue
            r = bar.geometry()
            below = abs(r.top() - (edge.bottom() + 1)) <= 6
            above = abs(r.bottom() + 1 - edge.top()) <= 6
            if abs(r.left() - edge.left()) <= 6 and (below or above):
                live.add(bar)
    return [b for b in shown if b not in live]
