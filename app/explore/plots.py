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
from app.common.plot_key import KeyEntry, LimitLabels, LimitLine, PlotKey
from app.explore.compute import LEVELS, ExploreResult
from app.explore.scatter import EXCLUDED_COLOUR, PointPlot, with_alpha
from app.model.spectra_data import Group, colour_groups, is_numeric

pg.setConfigOptions(background="w", foreground="k", antialias=False)

LIMIT_COLOURS = {0.95: "#e08000", 0.99: "#c00000"}
LIMIT_STYLES = {0.95: Qt.PenStyle.DashLine, 0.99: Qt.PenStyle.SolidLine}
LOADING_COLOURS = ("#1f77b4", "#d62728")
KEPT_COLOUR, LEFT_OUT_COLOUR = "#1f77b4", "#c8c8c8"
ZERO_PEN = pg.mkPen("#b0b0b0", width=1, style=Qt.PenStyle.DotLine)
MAX_KEY_GROUPS = 10     # classes named in a key; more are summed up as "+ k more"
SCREE_DECADES = 8       # the scree's log axis spans at most this many decades under 100 %
SCREE_LABELS = 10       # bars labelled with their share when at most this many are drawn


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

    The key is written in the title row, above the points (app.common.plot_key.PlotKey),
    wrapped to a second line when the plot is narrow: in a ~300 px dock a legend box over
    the plot hid a corner full of points."""

    def __init__(self, name: str, title: str, colour_bar: bool = True) -> None:
        super().__init__(name)
        self.title = title
        self.key = PlotKey(self.plot)
        self.key.set([], title)
        self.with_bar = colour_bar
        self.colour_bar = pg.ColorBarItem(values=(0.0, 1.0), colorMap=colours.colour_map(),
                                          interactive=False, width=10, colorMapMenu=False)
        self.colour_bar.getAxis("right").enableAutoSIPrefix(False)
        self._bar_shown = False

    def set_key(self, coloured: ColouredPoints, target: str | None, n_excluded: int) -> None:
        entries = [] if coloured.numeric else [
            KeyEntry(QColor(c).name(), f"{g.label} ({g.rows.size:,})")
            for g, c in list(zip(coloured.groups, coloured.colours,
                                 strict=True))[:MAX_KEY_GROUPS]]
        if not coloured.numeric and len(coloured.groups) > MAX_KEY_GROUPS:
            entries.append(KeyEntry("#808080", f"{len(coloured.groups) - MAX_KEY_GROUPS} more",
                                    "+"))
        if n_excluded:
            entries.append(KeyEntry(EXCLUDED_COLOUR, f"excluded ({n_excluded:,})", "\u00d7"))
        self.key.set(entries, self.title)
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
        self.plot.setLabel("bottom", "Hotelling T\u00b2")
        self.plot.setLabel("left", "Q residual (SPE)")
        self.limit_lines: dict[tuple[str, float], pg.InfiniteLine] = {}
        for stat, angle in (("t2", 90), ("q", 0)):
            for level in LEVELS:
                pen = pg.mkPen(LIMIT_COLOURS[level], width=1.5, style=LIMIT_STYLES[level])
                line = pg.InfiniteLine(0, angle=angle, pen=pen)
                line.setZValue(5)
                self.plot.addItem(line, ignoreBounds=True)
                self.limit_lines[(stat, level)] = line
        # named at the view's edges, in a band and a strip kept free of points
        self.limit_labels = LimitLabels(self.plot)

    def show_result(self, result: ExploreResult, coloured: ColouredPoints,
                    excluded: np.ndarray, target: str | None) -> None:
        self.set_points(result.t2, result.q, coloured.colours, coloured.index, excluded)
        for (stat, level), line in self.limit_lines.items():
            limits = result.t2_limits if stat == "t2" else result.q_limits
            line.setValue(limits[level])
        self.limit_labels.set(
            [LimitLine(v, f"T\u00b2 {level_text(lv)}", LIMIT_COLOURS[lv])
             for lv, v in result.t2_limits.items()],
            [LimitLine(v, f"Q {level_text(lv)}", LIMIT_COLOURS[lv])
             for lv, v in result.q_limits.items()])
        self.set_key(coloured, target, excluded.size)
        self.fit_view()

    def fit_view(self, extra_x: tuple[float, ...] = (), extra_y: tuple[float, ...] = ()) -> None:
        """Every point and limit, with the labels' band (top) and strip (right) free."""
        # the origin in view too (T² and Q are >= 0: it is where the model's centre lies)
        self.limit_labels.fit_range(np.concatenate([self.x, [0.0], np.asarray(extra_x, float)]),
                                    np.concatenate([self.y, [0.0], np.asarray(extra_y, float)]))

    def outside(self, result: ExploreResult, level: float = 0.99) -> int:
        """How many rows lie beyond either limit at ``level`` (the status line says it)."""
        return int(((result.t2 > result.t2_limits[level])
                    | (result.q > result.q_limits[level])).sum())


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
        self.key = PlotKey(self.plot)
        self.set_key([])
        for axis in ("left", "bottom"):
            self.plot.getAxis(axis).enableAutoSIPrefix(False)

    def set_key(self, entries: list[KeyEntry]) -> None:
        """The key in the title row (the tab names the plot), wrapped when narrow."""
        self.key.set(entries, self.title)


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
            key.append(KeyEntry(colour, pc_label(result, k), "\u2014"))
        self.set_key(key)
        self.plot.enableAutoRange()


class ScreePlot(_SmallPlot):
    """Explained variance per component, in % of the total, as bars on a LOG axis (decades
    labelled): NIR's first component often explains ~99 %, and on a linear axis the others
    were invisible slivers; each bar is labelled with its share (all when at most
    SCREE_LABELS are drawn, else the kept ones).
    The components kept are blue, the others grey; the key says how much the kept ones
    explain together."""

    def __init__(self) -> None:
        super().__init__("exploreScree", "Explained variance")
        self.plot.setLabel("left", "Variance (%, log)")
        self.plot.setLabel("bottom", "Component")
        self.kept = pg.BarGraphItem(x=[], y0=[], y1=[], width=0.7, brush=KEPT_COLOUR, pen=None)
        self.rest = pg.BarGraphItem(x=[], y0=[], y1=[], width=0.7, brush=LEFT_OUT_COLOUR,
                                    pen=None)
        for item in (self.kept, self.rest):
            self.plot.addItem(item)
        self.values: list[pg.TextItem] = []
        self.n_bars = 0
        self.plot.vb.sigResized.connect(lambda *_: self._show_values())
        self.floor = -2.0           # log10 of the bars' base (a decade under the smallest)
        self.set_key([KeyEntry(KEPT_COLOUR, "kept", "\u25a0"),
                      KeyEntry(LEFT_OUT_COLOUR, "left out", "\u25a0")])

    def show_result(self, result: ExploreResult) -> None:
        pct = 100.0 * np.asarray(result.explained, dtype=float)
        self.n_bars = pct.size
        k = np.arange(1, pct.size + 1, dtype=float)
        a = result.n_components
        top = 2.0                 # 100 %
        logs = np.log10(np.maximum(pct, 1e-300))
        # at most SCREE_DECADES decades: round-off-sized components would squash the rest
        self.floor = max(float(np.floor(logs.min())) if logs.size else -2.0,
                         top - SCREE_DECADES)
        logs = np.maximum(logs, self.floor)
        self.kept.setOpts(x=k[:a], y0=np.full(min(a, k.size), self.floor), y1=logs[:a],
                          width=0.7)
        self.rest.setOpts(x=k[a:], y0=np.full(k[a:].size, self.floor), y1=logs[a:], width=0.7)
        kept = float(np.sum(pct[:a]))
        self.set_key([KeyEntry(KEPT_COLOUR, f"kept ({a}: {kept:.1f} %)", "\u25a0"),
                      KeyEntry(LEFT_OUT_COLOUR, "left out", "\u25a0")])
        # every share and the running total, whatever room the bars' labels have
        total = np.cumsum(pct)
        self.setToolTip("Explained variance (cumulative)\n" + "\n".join(
            f"PC{j + 1}: {v:.3g} % ({c:.4g} %)" for j, (v, c) in enumerate(
                zip(pct, total, strict=True))))
        for item in self.values:
            self.plot.removeItem(item)
        self.values = []
        labelled = pct.size if pct.size <= SCREE_LABELS else a   # else the kept ones
        if labelled:
            for x, v, lg in zip(k[:labelled], pct[:labelled], logs[:labelled], strict=True):
                # upright along the bar: 20 bars share ~300 px
                text = pg.TextItem(f"{v:.2g}" if v < 10 else f"{v:.0f}", color="#303030",
                                   anchor=(0.0, 0.5), angle=90)
                font = text.textItem.font()
                font.setPointSizeF(7.0)
                text.setFont(font)
                text.textItem.document().setDocumentMargin(1)
                text.updateTextPos()
                text.setPos(float(x), float(lg))
                self.plot.addItem(text, ignoreBounds=True)
                self.values.append(text)
        self._show_values()
        decades = range(int(self.floor), int(top) + 1)
        self.plot.getAxis("left").setTicks([[(float(d), f"{10.0 ** d:g}") for d in decades],
                                            [(d + np.log10(m), "") for d in decades
                                             for m in range(2, 10) if d + np.log10(m) < top]])
        self.plot.getAxis("bottom").setTicks([[(int(v), str(int(v))) for v in k
                                               if pct.size <= 12 or int(v) % 2 == 1]])
        self.plot.setXRange(0.4, pct.size + 0.6, padding=0)
        # room above the tallest bar for its label (~14 px of a ~150 px plot)
        self.plot.setYRange(self.floor, top + 0.2 * (top - self.floor), padding=0)

    def _show_values(self) -> None:
        """The bars' values only where a bar is wide enough for its (upright) label: they
        would print over each other in a very narrow tab."""
        width = float(self.plot.vb.width())
        pitch = width / (self.n_bars + 0.2) if self.n_bars and width > 0 else 0.0
        for item in self.values:
            item.setVisible(item.textItem.boundingRect().height() <= pitch)
