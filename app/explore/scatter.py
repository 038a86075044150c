"""A scatter plot of one point per dataset row that selects rows: the scores plot and the
T² vs Q influence plot are both one of these.

Why three array items and no per-point objects: 10,000 samples must redraw at once. All
included points are ONE app.common.dots.Dots item (a sprite per colour, an index per point,
one drawPixmapFragments call per paint); excluded rows are a second (grey crosses), the
selection a third (red rings) drawn on top. Picking is numpy over the arrays
(compute.nearest_point / points_in_box), in pixels, never per item.

Mouse (as the spectra view): click selects a point, Ctrl+click adds or removes one,
Shift+drag a box selects the points inside it (Ctrl+Shift+drag adds them), drag pans, the
wheel zooms. The widget only reports picks (``picked(rows, mode)``); the view turns them into
the window's selection, so the plot also redraws its rings when another view selects.
"""
from __future__ import annotations

import numpy as np
import pyqtgraph as pg
from PySide6.QtCore import QRectF, Qt, Signal
from PySide6.QtGui import QColor
from PySide6.QtWidgets import QSizePolicy

from app.common import colours
from app.common.dots import Dots
from app.common.pick_viewbox import PickViewBox
from app.explore.compute import nearest_point, points_in_box

PICK_PIXELS = 8
POINT_SIZE = 7
EXCLUDED_COLOUR = "#8a8a8a"
REPLACE, ADD, TOGGLE = "replace", "add", "toggle"


class PointPlot(pg.GraphicsLayoutWidget):
    """One plot of points x[i], y[i] for dataset rows i (see the module docstring)."""

    picked = Signal(object, str)   # np.ndarray of rows, REPLACE | ADD | TOGGLE
    hovered = Signal(int)          # the row under the mouse, -1 for none

    def __init__(self, name: str) -> None:
        super().__init__()
        self.setObjectName(name)
        # take the space given (a GraphicsLayoutWidget's hint follows its scene: docks grew)
        self.setSizePolicy(QSizePolicy.Policy.Ignored, QSizePolicy.Policy.Ignored)
        self.ci.layout.setContentsMargins(2, 4, 8, 2)
        self.vb = PickViewBox()
        self.plot: pg.PlotItem = self.addPlot(row=0, col=0, viewBox=self.vb)
        self.plot.hideButtons()
        self.plot.setMenuEnabled(True)
        for axis in ("left", "bottom"):
            self.plot.getAxis(axis).enableAutoSIPrefix(False)
        self.points, self.excluded, self.rings = Dots(), Dots(), Dots()
        self.excluded.set_sprites([("x", POINT_SIZE + 1, pg.mkPen(EXCLUDED_COLOUR, width=1.5),
                                    pg.mkBrush(EXCLUDED_COLOUR))])
        self.rings.set_sprites([("o", POINT_SIZE + 5, pg.mkPen(colours.SELECTION, width=2),
                                 pg.mkBrush(None))])
        self._colours: tuple | None = None
        for z, item in enumerate((self.points, self.excluded, self.rings), start=10):
            item.setZValue(z)
            self.plot.addItem(item)
        self.x = np.zeros(0)
        self.y = np.zeros(0)
        self._hover = -1
        self._mouse = pg.SignalProxy(self.plot.scene().sigMouseMoved, rateLimit=30,
                                     slot=self._on_mouse_moved)
        self.vb.clicked.connect(self._on_click)
        self.vb.boxed.connect(self._on_box)

    # -- data --------------------------------------------------------------------------------
    def set_points(self, x: np.ndarray, y: np.ndarray, point_colours: list[QColor],
                   index: np.ndarray, excluded: np.ndarray) -> None:
        """Draw point i at (x[i], y[i]) in ``point_colours[index[i]]``; rows in ``excluded``
        are drawn as grey crosses instead."""
        self.x, self.y = np.asarray(x, dtype=float), np.asarray(y, dtype=float)
        key = tuple(QColor(c).rgba() for c in point_colours)
        if key != self._colours:   # a few sprites: re-rendered only when the colours change
            self._colours = key
            self.points.set_sprites([("o", POINT_SIZE, pg.mkPen(None), pg.mkBrush(QColor(c)))
                                     for c in point_colours])
        keep = np.ones(self.x.size, dtype=bool)
        keep[excluded] = False
        self.points.set_points(self.x[keep], self.y[keep], index[keep])
        self.excluded.set_points(self.x[excluded], self.y[excluded])

    def set_selection(self, rows: np.ndarray) -> None:
        rows = rows[rows < self.x.size] if rows.size else rows
        self.rings.set_points(self.x[rows], self.y[rows])

    def clear(self) -> None:  # type: ignore[override]
        self.x, self.y = np.zeros(0), np.zeros(0)
        for item in (self.points, self.excluded, self.rings):
            item.set_points(np.zeros(0), np.zeros(0))

    def fit_view(self, extra_x: tuple[float, ...] = (), extra_y: tuple[float, ...] = ()) -> None:
        """Show every point (and the given x / y values, e.g. limit lines) with a margin."""
        finite = np.isfinite(self.x) & np.isfinite(self.y)
        xs = np.concatenate([self.x[finite], np.asarray(extra_x, dtype=float)])
        ys = np.concatenate([self.y[finite], np.asarray(extra_y, dtype=float)])
        if xs.size == 0:
            return
        self.vb.setRange(xRange=(xs.min(), xs.max()), yRange=(ys.min(), ys.max()),
                         padding=0.06)

    # -- picking -----------------------------------------------------------------------------
    def row_at(self, point) -> int | None:
        sx, sy = self.vb.viewPixelSize()
        return nearest_point(self.x, self.y, point.x(), point.y(), sx, sy, PICK_PIXELS)

    def _on_click(self, point, modifiers) -> None:
        row = self.row_at(point)
        ctrl = bool(modifiers & Qt.KeyboardModifier.ControlModifier)
        if row is None:
            if not ctrl:
                self.picked.emit(np.zeros(0, dtype=np.intp), REPLACE)
            return
        self.picked.emit(np.array([row], dtype=np.intp), TOGGLE if ctrl else REPLACE)

    def _on_box(self, rect: QRectF, modifiers) -> None:
        rows = points_in_box(self.x, self.y, rect.left(), rect.right(), rect.top(),
                             rect.bottom())
        ctrl = bool(modifiers & Qt.KeyboardModifier.ControlModifier)
        self.picked.emit(rows.astype(np.intp), ADD if ctrl else REPLACE)

    def _on_mouse_moved(self, args) -> None:
        pos = args[0]
        row = None
        if self.vb.sceneBoundingRect().contains(pos):
            row = self.row_at(self.vb.mapSceneToView(pos))
        row = -1 if row is None else row
        if row != self._hover:
            self._hover = row
            self.hovered.emit(row)

    def shutdown(self) -> None:
        self._mouse.disconnect()
        self.close()


def with_alpha(colours_: list[QColor], alpha: int = 200) -> list[QColor]:
    """The colours, slightly transparent (dense clouds read as density)."""
    out = []
    for c in colours_:
        c = QColor(c)
        c.setAlpha(alpha)
        out.append(c)
    return out
