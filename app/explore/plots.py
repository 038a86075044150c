"""The four plots of the Explore view: scores, T² vs Q influence, loadings, explained variance.

Each takes an app.explore.compute.ExploreResult and draws exactly its numbers (the engine's);
nothing here computes a statistic. The scores and influence plots are PointPlots (one point
per dataset row, selectable); the loadings and scree plots are small line / bar plots.
"""
from __future__ import annotations

import numpy as np
import pyqtgraph as pg
from PySide6.QtCore import Qt
from PySide6.QtGui import QColor
from PySide6.QtWidgets import QSizePolicy

from app.common import colours
from app.explore.compute import LEVELS, ExploreResult
from app.explore.scatter import EXCLUDED_COLOUR, PointPlot, with_alpha
from app.model.spectra_data import Group, colour_groups, is_numeric

pg.setConfigOptions(background="w", foreground="k", antialias=False)

LIMIT_COLOURS = {0.95: "#e08000", 0.99: "#c00000"}
LIMIT_STYLES = {0.95: Qt.PenStyle.DashLine, 0.99: Qt.PenStyle.SolidLine}
LOADING_COLOURS = ("#1f77b4", "#d62728")
ZERO_PEN = pg.mkPen("#b0b0b0", width=1, style=Qt.PenStyle.DotLine)
MAX_LEGEND_GROUPS = 10
TITLE_KEY_ENTRIES = 3   # keys this short go in the title row (KeyedPointPlot)
LEGEND_COLUMNS = 1      # longer ones: a compact legend box (wider ones spread over the plot)
#: where each limit's label sits along its line (0 = bottom / left end of the view): T² limits
#: are usually in the left half and Q labels to their right, clear of the T² lines
LABEL_AT = {("t2", 0.95): 0.93, ("t2", 0.99): 0.8, ("q", 0.95): 0.72, ("q", 0.99): 0.88}


def pc_label(result: ExploreResult, k: int) -> str:
    """"PC1 (62.1 %)": the component and the share of the variance it explains."""
    share = 100.0 * float(result.explained[k]) if k < result.explained.size else float("nan")
    return f"PC{k + 1} ({share:.1f} %)"


def level_text(level: float) -> str:
    return f"{100 * level:g} %"


class ColouredPoints:
    """The colour of every row (target, class or partition, as the spectra view colours
    them) as a colour table + one index per row, and what the key should show."""

    def __init__(self, mode: str, y: np.ndarray | None, test_mask: np.ndarray) -> None:
        self.mode = mode
        self.numeric = mode == "target" and is_numeric(y)
        self.groups: list[Group] = colour_groups(mode, y, test_mask)
        cmap = colours.colour_map()
        self.colours = with_alpha([colours.group_colour(g, mode, cmap) for g in self.groups])
        self.index = np.zeros(test_mask.size, dtype=np.intp)
        for k, g in enumerate(self.groups):
            self.index[g.rows] = k
        self.range: tuple[float, float] | None = None
        if self.numeric and y is not None and y.size:
            lo, hi = float(np.min(y)), float(np.max(y))
            self.range = (lo, hi if hi > lo else lo + 1.0)


class KeyedPointPlot(PointPlot):
    """A PointPlot with a key for classes / partition / excluded rows and a colour bar for a
    numeric target (in the plot's own grid, like the spectra view's).

    A short key (at most TITLE_KEY_ENTRIES entries: train / test / excluded) is written in the
    title row, where it covers no point: the dock is ~300 px tall at 1280 x 800 and a legend
    box took a third of the plot. Many classes get the legend box."""

    def __init__(self, name: str, title: str, colour_bar: bool = True) -> None:
        super().__init__(name)
        self.title = title
        self.with_bar = colour_bar
        self.colour_bar = pg.ColorBarItem(values=(0.0, 1.0), colorMap=colours.colour_map(),
                                          interactive=False, width=10, colorMapMenu=False)
        self.colour_bar.getAxis("right").enableAutoSIPrefix(False)
        self._bar_shown = False

    def set_key(self, coloured: ColouredPoints, target: str | None, n_excluded: int) -> None:
        self.legend.clear()
        entries = [] if coloured.numeric else [
            _swatch(QColor(c).name(), f"{g.label} ({g.rows.size})", "\u25cf")
            for g, c in zip(coloured.groups, coloured.colours, strict=True)]
        if n_excluded:
            entries.append(_swatch(EXCLUDED_COLOUR, f"excluded ({n_excluded})", "\u00d7"))
        in_title = len(entries) <= TITLE_KEY_ENTRIES
        key = " &nbsp;".join(entries) if entries and in_title else self.title
        self.plot.setTitle(f"<span style='font-size:8pt'>{key}</span>")
        if in_title:
            entries = []
        elif not coloured.numeric:
            for g, colour in list(zip(coloured.groups, coloured.colours,
                                      strict=True))[:MAX_LEGEND_GROUPS]:
                sample = pg.ScatterPlotItem(symbol="o", size=8, pen=None,
                                            brush=pg.mkBrush(colour))
                self.legend.addItem(sample, f"{g.label} ({g.rows.size})")
            if len(coloured.groups) > MAX_LEGEND_GROUPS:
                self.legend.addItem(pg.PlotDataItem(pen=None),
                                    f"+ {len(coloured.groups) - MAX_LEGEND_GROUPS} more")
        if n_excluded:
            self.legend.addItem(pg.ScatterPlotItem(symbol="x", size=8, brush=EXCLUDED_COLOUR,
                                                   pen=pg.mkPen(EXCLUDED_COLOUR)),
                                f"excluded ({n_excluded})")
        self.legend.setColumnCount(min(LEGEND_COLUMNS, max(1, len(entries))))
        self.legend.setVisible(bool(entries))
        if coloured.range is not None:
            self.colour_bar.setLevels(coloured.range)
            self.colour_bar.getAxis("right").setLabel(target or "target")  # beside its ticks
        self._show_bar(coloured.range is not None and self.with_bar)

    def _show_bar(self, on: bool) -> None:
        if on == self._bar_shown:
            return
        layout = self.plot.layout
        if on:
            layout.addItem(self.colour_bar, 2, 5)
            layout.setColumnFixedWidth(4, 6)
        else:
            layout.removeItem(self.colour_bar)
            layout.setColumnFixedWidth(4, 0)
        self.colour_bar.setVisible(on)
        self._bar_shown = on


class ScoresPlot(KeyedPointPlot):
    """Scores of PC-x against PC-y, zero lines through the origin."""

    def __init__(self) -> None:
        super().__init__("exploreScores", "Scores")
        self.zero_x = pg.InfiniteLine(0, angle=90, pen=ZERO_PEN)
        self.zero_y = pg.InfiniteLine(0, angle=0, pen=ZERO_PEN)
        for line in (self.zero_x, self.zero_y):
            self.plot.addItem(line, ignoreBounds=True)

    def show_result(self, result: ExploreResult, kx: int, ky: int, coloured: ColouredPoints,
                    excluded: np.ndarray, target: str | None) -> None:
        kx, ky = min(kx, result.n_components - 1), min(ky, result.n_components - 1)
        self.set_points(result.scores[:, kx], result.scores[:, ky], coloured.colours,
                        coloured.index, excluded)
        self.plot.setLabel("bottom", pc_label(result, kx))
        self.plot.setLabel("left", pc_label(result, ky))
        self.set_key(coloured, target, excluded.size)
        self.fit_view()


class InfluencePlot(KeyedPointPlot):
    """Hotelling T² against Q residuals with the engine's 95 % and 99 % limits: a point to
    the right of the T² line is extreme inside the model, above the Q line it is something
    the model does not describe."""

    def __init__(self) -> None:
        # the scores plot has the colour bar: the same colours, and room for the limits here
        super().__init__("exploreInfluence", "Influence: T\u00b2 vs Q", colour_bar=False)
        # top left: the limit labels sit in the top and right parts of the plot
        self.legend.anchor(itemPos=(0, 0), parentPos=(0, 0), offset=(4, 4))
        self.plot.setLabel("bottom", "Hotelling T\u00b2")
        self.plot.setLabel("left", "Q residual (SPE)")
        self.limit_lines: dict[tuple[str, float], pg.InfiniteLine] = {}
        for stat, angle in (("t2", 90), ("q", 0)):
            for level in LEVELS:
                pen = pg.mkPen(LIMIT_COLOURS[level], width=1.5, style=LIMIT_STYLES[level])
                name = "T\u00b2" if stat == "t2" else "Q"
                # labels at staggered places along their lines, so two close limits never
                # print over each other (and clear of the legend in the top right corner)
                line = pg.InfiniteLine(0, angle=angle, pen=pen,
                                       label=f"{name} {level_text(level)}",
                                       labelOpts={"position": LABEL_AT[(stat, level)],
                                                  "color": LIMIT_COLOURS[level],
                                                  "fill": (255, 255, 255, 210)})
                line.setZValue(5)
                self.plot.addItem(line, ignoreBounds=True)
                self.limit_lines[(stat, level)] = line

    def show_result(self, result: ExploreResult, coloured: ColouredPoints,
                    excluded: np.ndarray, target: str | None) -> None:
        self.set_points(result.t2, result.q, coloured.colours, coloured.index, excluded)
        for (stat, level), line in self.limit_lines.items():
            limits = result.t2_limits if stat == "t2" else result.q_limits
            line.setValue(limits[level])
        # the limits are named on their lines (the legend keeps to what colours mean)
        self.set_key(coloured, target, excluded.size)
        self.fit_view(extra_x=(0.0, *result.t2_limits.values()),
                      extra_y=(0.0, *result.q_limits.values()))

    def outside(self, result: ExploreResult, level: float = 0.99) -> int:
        """How many rows lie beyond either limit at ``level`` (the status line says it)."""
        return int(((result.t2 > result.t2_limits[level])
                    | (result.q > result.q_limits[level])).sum())


def _swatch(colour: str, text: str, mark: str = "\u25a0") -> str:
    return f"<span style='color:{colour}'>{mark}</span>&nbsp;{text}"


class _SmallPlot(pg.GraphicsLayoutWidget):
    """A line / bar plot whose key is written in its title: in a 300 px dock a legend box
    would sit on the curves it explains."""

    def __init__(self, name: str, title: str) -> None:
        super().__init__()
        self.setObjectName(name)
        self.setSizePolicy(QSizePolicy.Policy.Ignored, QSizePolicy.Policy.Ignored)
        self.ci.layout.setContentsMargins(2, 4, 8, 2)
        self.plot: pg.PlotItem = self.addPlot(row=0, col=0)
        self.plot.hideButtons()
        self.title = title
        self.set_key([])
        for axis in ("left", "bottom"):
            self.plot.getAxis(axis).enableAutoSIPrefix(False)

    def set_key(self, entries: list[str]) -> None:
        """The key as the title (the tab names the plot; a title wider than the plot would
        widen the plot beyond its widget)."""
        key = " &nbsp; ".join(entries) if entries else self.title
        self.plot.setTitle(f"<span style='font-size:8pt'>{key}</span>")


class LoadingsPlot(_SmallPlot):
    """The loadings of PC-x and PC-y against the (preprocessed) spectral axis."""

    def __init__(self) -> None:
        super().__init__("exploreLoadings", "Loadings")
        self.plot.setLabel("left", "Loading")
        self.plot.addItem(pg.InfiniteLine(0, angle=0, pen=ZERO_PEN), ignoreBounds=True)
        self.curves = [pg.PlotCurveItem(pen=pg.mkPen(c, width=1.5)) for c in LOADING_COLOURS]
        for curve in self.curves:
            self.plot.addItem(curve)

    def show_result(self, result: ExploreResult, kx: int, ky: int, x_label: str) -> None:
        self.plot.setLabel("bottom", x_label)
        shown = [kx] if kx == ky else [kx, ky]
        key = []
        for colour, curve, k in zip(LOADING_COLOURS, self.curves,
                                    shown + [None] * (2 - len(shown)), strict=True):
            if k is None or k >= result.n_components:
                curve.setData([], [])
                continue
            curve.setData(result.axis, result.loadings[:, k])
            key.append(_swatch(colour, pc_label(result, k), "\u2014"))
        self.set_key(key)
        self.plot.enableAutoRange()


class ScreePlot(_SmallPlot):
    """Explained variance per component (bars; the components kept in colour) and its
    cumulative share (line), both in % of the total variance."""

    def __init__(self) -> None:
        super().__init__("exploreScree", "Explained variance")
        self.plot.setLabel("left", "Variance (%)")
        self.plot.setLabel("bottom", "Component")
        self.kept = pg.BarGraphItem(x=[], height=[], width=0.7, brush="#1f77b4", pen=None)
        self.rest = pg.BarGraphItem(x=[], height=[], width=0.7, brush="#c8c8c8", pen=None)
        self.cumulative = pg.PlotDataItem(pen=pg.mkPen("#202020", width=1.5), symbol="o",
                                          symbolSize=5, symbolBrush="#202020", symbolPen=None)
        for item in (self.kept, self.rest, self.cumulative):
            self.plot.addItem(item)
        self.set_key([_swatch("#1f77b4", "kept"), _swatch("#b0b0b0", "left out"),
                      _swatch("#202020", "cumulative", "\u25cf")])

    def show_result(self, result: ExploreResult) -> None:
        pct = 100.0 * result.explained
        k = np.arange(1, pct.size + 1, dtype=float)
        a = result.n_components
        self.kept.setOpts(x=k[:a], height=pct[:a], width=0.7)
        self.rest.setOpts(x=k[a:], height=pct[a:], width=0.7)
        self.cumulative.setData(k, np.cumsum(pct))
        self.plot.getAxis("bottom").setTicks([[(int(v), str(int(v))) for v in k
                                               if pct.size <= 12 or int(v) % 2 == 1]])
        self.plot.setXRange(0.4, pct.size + 0.6, padding=0)
        self.plot.setYRange(0, 102, padding=0)
