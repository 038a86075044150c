"""Keys and limit labels of the point plots (Explore, Results diagnostics, Predict) that never
cover a point.

Why not pyqtgraph's LegendItem: it floats over the view box, so in a 200-300 px plot of
10,000 samples it hid a corner full of points (and a limit's label). Here:

- ``PlotKey`` writes the key in the plot's title row, ABOVE the view box, one line of coloured
  marks ("● A (2531)  ● B (2439)  × excluded (20)"), wrapped to a second line when the plot
  is too narrow for it. No data can be drawn there, whatever the zoom.
- ``LimitLabels`` names the limit lines (T² 95 %, T² 99 %, Q 95 %, Q 99 %) at the edges of
  the view: the vertical lines' labels in a band along the top, the lower one left of its
  line and the higher one right of it (so two close limits never print over each other); the
  horizontal lines' labels in a strip along the right edge, the lower one under its line and
  the higher one over it (the left edge when only that one is free). Each has a white
  background. ``fit_range`` keeps that band and
  strip free of points, so a label never covers a sample either.
"""
from __future__ import annotations

import html
from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np
import pyqtgraph as pg
from PySide6.QtCore import QRectF
from PySide6.QtGui import QColor, QFont, QFontMetricsF

KEY_POINT_SIZE = 8.0
LABEL_POINT_SIZE = 8.0
GAP = "\u2003"           # between key entries (an em space)
LABEL_FILL = (255, 255, 255, 225)


@dataclass(frozen=True)
class KeyEntry:
    """One entry of a key: a mark ("\u25cf", "\u00d7", "\u2014", "\u25a0") in a colour,
    and its text."""

    colour: str
    text: str
    mark: str = "\u25cf"

    @property
    def plain(self) -> str:
        return f"{self.mark}\u00a0{self.text}"

    def html(self) -> str:
        return (f"<span style='color:{QColor(self.colour).name()}'>{self.mark}</span>"
                f"&nbsp;{html.escape(self.text)}")


class PlotKey:
    """The key of ``plot`` written in its title row (see the module docstring). With no
    entries the row shows ``title`` instead."""

    def __init__(self, plot: pg.PlotItem, point_size: float = KEY_POINT_SIZE) -> None:
        self.plot = plot
        self.label: pg.LabelItem = plot.titleLabel
        self.point_size = point_size
        font = QFont(self.label.item.font())
        font.setPointSizeF(point_size)
        self._metrics = QFontMetricsF(font)
        self.entries: list[KeyEntry] = []
        self.title = ""
        self.lines: list[list[KeyEntry]] = []
        self._shown: tuple | None = None
        plot.vb.sigResized.connect(lambda *_: self._layout())

    def set(self, entries: Sequence[KeyEntry], title: str = "") -> None:
        self.entries, self.title = list(entries), title
        self._shown = None
        self._layout()

    def text(self) -> str:
        """The key as plain text, one line per row (tests, tooltips)."""
        if not self.entries:
            return self.title
        return "\n".join(GAP.join(e.plain for e in line) for line in self.lines)

    def texts(self) -> list[str]:
        return [e.text for e in self.entries]

    def _width(self, line: list[KeyEntry]) -> float:
        return self._metrics.horizontalAdvance(GAP.join(e.plain for e in line))

    def _layout(self) -> None:
        width = float(self.plot.vb.width()) or 400.0
        lines: list[list[KeyEntry]] = []
        for entry in self.entries:        # greedy: as many entries per line as fit
            if lines and self._width(lines[-1] + [entry]) <= width - 8:
                lines[-1].append(entry)
            else:
                lines.append([entry])
        shown = (tuple(tuple(line) for line in lines), self.title)
        if shown == self._shown:
            return
        self._shown, self.lines = shown, lines
        body = "<br>".join(GAP.join(e.html() for e in line) for line in lines) if lines \
            else html.escape(self.title)
        n = max(1, len(lines))
        height = int(np.ceil(n * self._metrics.lineSpacing())) + 8
        self.label.setVisible(True)
        self.label.setText(body, size=f"{self.point_size:g}pt")
        self.label.setMinimumWidth(0)      # the plot narrows freely; the key wraps instead
        self.label.setMaximumHeight(height)
        self.plot.layout.setRowFixedHeight(0, height)


@dataclass
class LimitLine:
    """A limit line's place (in plotted coordinates), its label and colour."""

    value: float
    text: str
    colour: str


class LimitLabels:
    """The labels of a plot's vertical and horizontal limit lines, placed at the view's edges
    on every range change (see the module docstring)."""

    def __init__(self, plot: pg.PlotItem, point_size: float = LABEL_POINT_SIZE) -> None:
        self.plot = plot
        self.vb: pg.ViewBox = plot.vb
        self.point_size = point_size
        self.vertical: list[LimitLine] = []
        self.horizontal: list[LimitLine] = []
        self.items: dict[str, pg.TextItem] = {}
        self.side = "right"          # where the horizontal lines' labels sit (fit_range)
        self.vb.sigRangeChanged.connect(lambda *_: self.place())
        self.vb.sigResized.connect(lambda *_: self.place())

    # -- content -----------------------------------------------------------------------------
    def set(self, vertical: Sequence[LimitLine], horizontal: Sequence[LimitLine]) -> None:
        """The limits to name (vertical: x positions, e.g. T²; horizontal: y, e.g. Q)."""
        self.vertical = sorted((v for v in vertical if np.isfinite(v.value)),
                               key=lambda v: v.value)
        self.horizontal = sorted((h for h in horizontal if np.isfinite(h.value)),
                                 key=lambda h: h.value)
        for item in self.items.values():
            self.plot.removeItem(item)
        self.items = {}
        for line in (*self.vertical, *self.horizontal):
            item = pg.TextItem(line.text, color=line.colour, fill=pg.mkBrush(*LABEL_FILL))
            font = QFont(item.textItem.font())
            font.setPointSizeF(self.point_size)
            item.setFont(font)
            item.textItem.document().setDocumentMargin(2)   # compact: short plots
            item.updateTextPos()
            item.setZValue(40)
            self.plot.addItem(item, ignoreBounds=True)
            self.items[line.text] = item
        self.place()

    def clear(self) -> None:
        self.set([], [])

    def label_size(self) -> tuple[float, float]:
        """Pixel width and height of the widest / tallest label (a sample one if none)."""
        if not self.items:
            probe = pg.TextItem("T\u00b2 99 %")
            font = QFont(probe.textItem.font())
            font.setPointSizeF(self.point_size)
            probe.setFont(font)
            probe.textItem.document().setDocumentMargin(2)
            r = probe.textItem.boundingRect()
            return r.width(), r.height()
        rects = [item.textItem.boundingRect() for item in self.items.values()]
        return max(r.width() for r in rects), max(r.height() for r in rects)

    # -- placement ---------------------------------------------------------------------------
    def place(self) -> None:
        if not self.items:
            return
        (x0, x1), (y0, y1) = self.vb.viewRange()
        w_px, h_px = float(self.vb.width()), float(self.vb.height())
        if w_px <= 0 or h_px <= 0 or x1 <= x0 or y1 <= y0:
            return
        sx, sy = (x1 - x0) / w_px, (y1 - y0) / h_px

        def px(x: float) -> float:
            return (x - x0) / sx

        def size(line: LimitLine) -> tuple[float, float]:
            r = self.items[line.text].textItem.boundingRect()
            return r.width(), r.height()

        # vertical lines: labels along the top; the lowest left of its line, the others right
        # of theirs (flipped when the view's edge leaves no room); a label that would touch
        # one already placed goes one row down
        placed: list[QRectF] = []
        for k, line in enumerate(self.vertical):
            item = self.items[line.text]
            w, h = size(line)
            p = px(line.value)
            visible = 0.0 <= p <= w_px
            item.setVisible(visible)
            if not visible:
                continue
            left = k == 0 if len(self.vertical) > 1 else False
            if left and p < w + 3:
                left = False
            elif not left and w_px - p < w + 3 and p >= w + 3:
                left = True
            x_px = p - 2 - w if left else p + 2
            row = 0
            rect = QRectF(x_px, 1, w, h)
            while any(rect.intersects(r) for r in placed) and row < len(self.vertical):
                row += 1
                rect = QRectF(x_px, 1 + row * (h + 1), w, h)
            placed.append(rect)
            item.setAnchor((0, 0))
            item.setPos(x0 + rect.left() * sx, y1 - rect.top() * sy)
        # horizontal lines: labels at the right (or left) edge, the lowest under its line,
        # the others over theirs; in a plot too short for that, a label that would touch one
        # already placed moves along its line instead
        for k, line in enumerate(self.horizontal):
            item = self.items[line.text]
            w, h = size(line)
            q = (y1 - line.value) / sy           # pixels from the top
            visible = 0.0 <= q <= h_px
            item.setVisible(visible)
            if not visible:
                continue
            # (a lowest label with no room under its line is pushed up ONTO its own line,
            # never above it, where the next line could run through it)
            below = k == 0 and len(self.horizontal) > 1
            top = q + 1 if below else q - 1 - h
            top = min(max(top, 0.0), h_px - h)
            x_px = 3.0 if self.side == "left" else w_px - w - 3
            step = (w + 4) if self.side == "left" else -(w + 4)
            rect = QRectF(x_px, top, w, h)
            for _ in range(len(self.items)):
                if not any(rect.intersects(r) for r in placed):
                    break
                rect.translate(step, 0)
            placed.append(rect)
            item.setAnchor((0, 0))
            item.setPos(x0 + rect.left() * sx, y1 - rect.top() * sy)

    def fit_range(self, xs: np.ndarray, ys: np.ndarray, padding: float = 0.04) -> None:
        """Show every point (``xs``/``ys``) and every limit line; when a label would cover a
        point there, a band along the top (the vertical lines' labels) and / or a strip
        along the right edge (the horizontal lines' labels) is added, free of points."""
        xs = np.asarray(xs, dtype=float)
        ys = np.asarray(ys, dtype=float)
        finite = np.isfinite(xs) & np.isfinite(ys)
        fx, fy = xs[finite], ys[finite]
        lines_x = [v.value for v in self.vertical]
        lines_y = [h.value for h in self.horizontal]
        ax = np.concatenate([fx, lines_x]) if fx.size or lines_x else np.array([0.0, 1.0])
        ay = np.concatenate([fy, lines_y]) if fy.size or lines_y else np.array([0.0, 1.0])
        lo_x, hi_x = float(ax.min()), float(ax.max())
        lo_y, hi_y = float(ay.min()), float(ay.max())
        span_x = hi_x - lo_x or abs(hi_x) or 1.0
        span_y = hi_y - lo_y or abs(hi_y) or 1.0
        x0, x1 = lo_x - padding * span_x, hi_x + padding * span_x
        y0, y1 = lo_y - padding * span_y, hi_y + padding * span_y
        w_px = float(self.vb.width()) or 300.0
        h_px = float(self.vb.height()) or 200.0
        lw, lh = self.label_size()

        def grown(lo: float, hi: float, free_px: float, total_px: float) -> float:
            """The upper end that leaves ``free_px`` pixels above ``hi`` (lower end ``lo``)."""
            free_px = min(free_px, 0.5 * total_px)
            return hi + (hi - lo) * free_px / (total_px - free_px)

        # the top band: would a vertical line's label (the top ~2 rows) cover a point?
        band = 2 * lh + 4
        if self.vertical and fy.size:
            top = y1 - band * (y1 - y0) / h_px
            near = np.zeros(fx.size, dtype=bool)
            for v in lines_x:
                near |= np.abs(fx - v) <= (lw + 4) * (x1 - x0) / w_px
            if np.any(near & (fy >= top)):
                y1 = grown(y0, y1, band, h_px)
        # the horizontal lines' labels: at the right edge, or the left one when only that
        # is free of points there, else in a strip added along the right edge
        strip = lw + 8
        self.side = "right"
        if self.horizontal and fx.size:
            edge = strip * (x1 - x0) / w_px
            near = np.zeros(fy.size, dtype=bool)
            for h in lines_y:
                near |= np.abs(fy - h) <= (lh + 2) * (y1 - y0) / h_px
            if np.any(near & (fx >= x1 - edge)):
                if np.any(near & (fx <= x0 + edge)):
                    x1 = grown(x0, x1, strip, w_px)
                else:
                    self.side = "left"
        # the highest horizontal label sits over its line, under the vertical ones' band
        if lines_y and self.vertical:
            y1 = max(y1, grown(y0, max(lines_y), band + lh, h_px))
        self.vb.setRange(xRange=(x0, x1), yRange=(y0, y1), padding=0)
        self.place()                 # the side may change while the range does not
