"""Tiny painted indicators for the resource gauges: a history sparkline and per-core CPU bars.

Why custom-painted instead of pyqtgraph or one QProgressBar per core: the gauges repaint every
second in a dock that is usually visible, with a dozen short lines and up to 64 bars. A
QPainter polyline of 60 points or a few dozen rectangles costs microseconds, needs no scene
graph, and no PlotWidget to close at exit. The widgets hold only numbers; the gauges widget
decides the values and the colours.
"""
from __future__ import annotations

import math
from collections.abc import Iterable, Sequence

from PySide6.QtCore import QPointF, QRectF, QSize
from PySide6.QtGui import QColor, QPainter, QPainterPath, QPen, QPolygonF
from PySide6.QtWidgets import QSizePolicy, QWidget

OK_COLOUR = QColor("#1f77b4")      # the app's train blue
WARN_COLOUR = QColor("#d62728")    # memory tight
GRID_COLOUR = QColor("#d0d0d0")
BACKGROUND = QColor("#fafafa")
TRACK = QColor("#e4e4e4")


class Sparkline(QWidget):
    """The last values of one quantity as a filled line, newest on the right.

    ``maximum`` fixes the top of the scale (100 for percentages); None scales to the largest
    value in the history (bytes), so a growing RSS stays readable. The line spans the full
    history length even before it is filled, so time runs at a constant speed.
    """

    def __init__(self, capacity: int = 60, maximum: float | None = None,
                 parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.capacity = capacity
        self.maximum = maximum
        self._values: list[float] = []
        self._colour = QColor(OK_COLOUR)
        self.setSizePolicy(QSizePolicy.Policy.Expanding, QSizePolicy.Policy.Fixed)
        self.setMinimumSize(60, 22)

    def sizeHint(self) -> QSize:
        return QSize(140, 26)

    def set_values(self, values: Iterable[float]) -> None:
        self._values = [float(v) for v in values][-self.capacity:]
        self.update()

    def values(self) -> list[float]:
        return list(self._values)

    def set_colour(self, colour: QColor) -> None:
        if QColor(colour) != self._colour:
            self._colour = QColor(colour)
            self.update()

    def colour(self) -> QColor:
        return QColor(self._colour)

    def paintEvent(self, event) -> None:
        p = QPainter(self)
        r = QRectF(self.rect()).adjusted(0.5, 0.5, -0.5, -0.5)
        p.fillRect(r, BACKGROUND)
        p.setPen(QPen(GRID_COLOUR, 1))
        p.drawRect(r)
        vals = [v for v in self._values if math.isfinite(v)]
        if len(self._values) >= 1 and vals:
            top = self.maximum if self.maximum is not None else max(vals) * 1.1
            top = top if top > 0 else 1.0
            step = r.width() / max(1, self.capacity - 1)
            x0 = r.right() - step * (len(self._values) - 1)
            pts = QPolygonF()
            for i, v in enumerate(self._values):
                v = v if math.isfinite(v) else 0.0
                y = r.bottom() - (min(max(v, 0.0), top) / top) * (r.height() - 2)
                pts.append(QPointF(x0 + i * step, y))
            p.setRenderHint(QPainter.RenderHint.Antialiasing, True)
            fill = QPainterPath()
            fill.moveTo(pts[0].x(), r.bottom())
            for pt in pts:
                fill.lineTo(pt)
            fill.lineTo(pts[pts.size() - 1].x(), r.bottom())
            fill.closeSubpath()
            shade = QColor(self._colour)
            shade.setAlpha(60)
            p.fillPath(fill, shade)
            p.setPen(QPen(self._colour, 1.4))
            p.drawPolyline(pts)
        p.end()


class CoreBars(QWidget):
    """One vertical bar per CPU core (0-100 %), wrapping onto more rows when the widget is too
    narrow for every core at ``min_bar`` pixels (64 cores in a 300 px dock: two rows)."""

    def __init__(self, min_bar: int = 7, max_bar: int = 22, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.min_bar = min_bar
        self.max_bar = max_bar
        self._values: list[float] = []
        self.setSizePolicy(QSizePolicy.Policy.Expanding, QSizePolicy.Policy.Fixed)
        self.setMinimumSize(40, 34)

    def sizeHint(self) -> QSize:
        return QSize(160, 34)

    def set_values(self, values: Sequence[float]) -> None:
        self._values = [float(v) for v in values]
        self.setToolTip("\n".join(f"core {i}: {v:.0f} %" for i, v in enumerate(self._values)))
        self.update()

    def values(self) -> list[float]:
        return list(self._values)

    def layout_grid(self, width: int | None = None) -> tuple[int, int]:
        """(columns, rows) used for the current number of cores at ``width`` pixels."""
        n = max(1, len(self._values))
        w = self.width() if width is None else width
        cols = max(1, min(n, w // self.min_bar))
        return cols, math.ceil(n / cols)

    def paintEvent(self, event) -> None:
        p = QPainter(self)
        r = QRectF(self.rect())
        if not self._values:
            p.end()
            return
        cols, rows = self.layout_grid()
        cell_w = min(r.width() / cols, float(self.max_bar))  # 2 cores: two slim bars, not slabs
        cell_h = r.height() / rows
        gap = 1.0 if cell_w > 4 else 0.0
        for i, v in enumerate(self._values):
            row, col = divmod(i, cols)
            x = r.left() + col * cell_w
            y = r.top() + row * cell_h
            frame = QRectF(x + gap / 2, y + gap / 2, cell_w - gap, cell_h - gap)
            p.fillRect(frame, TRACK)
            h = frame.height() * min(max(v, 0.0), 100.0) / 100.0
            colour = WARN_COLOUR if v >= 90 else OK_COLOUR
            p.fillRect(QRectF(frame.left(), frame.bottom() - h, frame.width(), h), colour)
        p.end()
