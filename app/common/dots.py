"""One graphics item for thousands of points: every point is a pre-rendered sprite, and a
paint is ONE QPainter.drawPixmapFragments call fed from numpy arrays.

Why not pyqtgraph's ScatterPlotItem: measured on 10,000 points, its setData costs 70-90 ms on
the GUI thread even with a single brush (it builds a record per spot and looks its sprite up
in Python), and with a brush per point ~90 ms more, per plot. The Explore view redraws two
such plots on every colour switch, exclusion or recomputation, so a redraw took 0.2-0.5 s;
the Results diagnostics and the Predict influence plot draw the same clouds (shared here).
Painting is not the cost (pyqtgraph's fragment drawing is fast, and this item draws the same
way), building is: here ``set_points`` only stores the arrays, and each paint maps them to
pixels with one matrix product, as ScatterPlotItem's own paint does.
"""
from __future__ import annotations

import numpy as np
import pyqtgraph as pg
from pyqtgraph import functions as fn
from pyqtgraph.graphicsItems.ScatterPlotItem import renderSymbol
from pyqtgraph.Qt import internals
from PySide6.QtCore import QRectF
from PySide6.QtGui import QBrush, QImage, QPainter, QPen, QPixmap

#: a sprite: (pyqtgraph symbol name, size in pixels, pen, brush)
Sprite = tuple[str, float, QPen, QBrush]


class Dots(pg.GraphicsObject):
    """Points (x[i], y[i]) drawn with ``sprites[kind[i]]`` (pixel-sized: zoom never changes
    them); clicks and hovers are left to the ViewBox (the plot picks with numpy)."""

    def __init__(self) -> None:
        super().__init__()
        self.x = np.zeros(0)
        self.y = np.zeros(0)
        self.kind = np.zeros(0, dtype=np.intp)
        self.sprites: list[Sprite] = []        # what point i looks like: sprites[kind[i]]
        self._atlas: QPixmap | None = None
        self._source = np.zeros((0, 4))     # (k, 4) sx, sy, sw, sh of each sprite
        self._pad = 0.0                      # half the largest sprite, in pixels
        self._fragments = internals.PrimitiveArray(QPainter.PixmapFragment, 10)
        self._bounds: tuple[float, float, float, float] | None = None

    # -- content -----------------------------------------------------------------------------
    def set_sprites(self, sprites: list[Sprite]) -> None:
        """Render the sprites side by side into one atlas pixmap."""
        self.sprites = list(sprites)
        images = [renderSymbol(symbol, size, pen, brush) for symbol, size, pen, brush in sprites]
        width = sum(im.width() for im in images) or 1
        height = max((im.height() for im in images), default=1)
        atlas = QImage(width, height, QImage.Format.Format_ARGB32_Premultiplied)
        atlas.fill(0)
        painter = QPainter(atlas)
        source, x = [], 0
        for im in images:
            painter.drawImage(x, 0, im)
            source.append((x, 0, im.width(), im.height()))
            x += im.width()
        painter.end()
        self._atlas = QPixmap.fromImage(atlas)
        self._source = np.asarray(source, dtype=np.float64).reshape(-1, 4)
        self._pad = max((max(im.width(), im.height()) / 2 for im in images), default=0.0)
        self.update()

    def set_points(self, x: np.ndarray, y: np.ndarray, kind: np.ndarray | int = 0) -> None:
        self.prepareGeometryChange()
        self.x = np.asarray(x, dtype=np.float64)
        self.y = np.asarray(y, dtype=np.float64)
        self.kind = np.broadcast_to(np.asarray(kind, dtype=np.intp), self.x.shape).copy()
        finite = np.isfinite(self.x) & np.isfinite(self.y)
        self._bounds = None
        if finite.any():
            fx, fy = self.x[finite], self.y[finite]
            self._bounds = (float(fx.min()), float(fx.max()), float(fy.min()), float(fy.max()))
        self.informViewBoundsChanged()
        self.update()

    # -- pyqtgraph / QGraphicsItem -------------------------------------------------------------
    def dataBounds(self, ax: int, frac: float = 1.0, orthoRange=None):
        if self._bounds is None:
            return None, None
        return self._bounds[0:2] if ax == 0 else self._bounds[2:4]

    def pixelPadding(self) -> float:
        return self._pad

    def boundingRect(self) -> QRectF:
        if self._bounds is None:
            return QRectF()
        x0, x1, y0, y1 = self._bounds
        px = py = 0.0
        vectors = self.pixelVectors()
        if vectors is not None and vectors[0] is not None:
            px, py = vectors[0].length() * self._pad, vectors[1].length() * self._pad
        return QRectF(x0 - px, y0 - py, x1 - x0 + 2 * px, y1 - y0 + 2 * py)

    def viewTransformChanged(self) -> None:
        self.prepareGeometryChange()   # the padding, in data units, follows the zoom

    def paint(self, painter: QPainter, option, widget=None) -> None:
        if self._atlas is None or self.x.size == 0:
            return
        # no culling to the view: pyqtgraph's viewRect() can lag a range change by a paint
        # (points vanished); Qt clips the fragments outside the widget at no real cost
        rows = np.flatnonzero(np.isfinite(self.x) & np.isfinite(self.y))
        if rows.size == 0:
            return
        pts = fn.transformCoordinates(painter.transform(),
                                      np.vstack([self.x[rows], self.y[rows]]))
        pts = fn.clip_array(pts, -2 ** 30, 2 ** 30)
        painter.resetTransform()
        self._fragments.resize(rows.size)
        frags = self._fragments.ndarray()
        frags[:, 0:2] = pts.T
        frags[:, 2:6] = self._source[self.kind[rows]]
        frags[:, 6:10] = (1.0, 1.0, 0.0, 1.0)   # scale x, scale y, rotation, opacity
        painter.drawPixmapFragments(*self._fragments.drawargs(), self._atlas)
