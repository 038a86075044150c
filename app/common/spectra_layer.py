"""ONE graphics item that shows every spectrum, whatever their number.

The item keeps the last image the render thread made for the visible part of the data and
blits it on paint (a millisecond, whatever the number of spectra). When the view's range or
size changes, or the content (data, colours) changes, it asks the Renderer for a new image
and, until it arrives, draws the previous one stretched into its old place, so panning and
zooming stay fluid. Exports (PNG/SVG) draw the polylines themselves, as vectors, when there
are few enough points, and the current image otherwise.
"""
from __future__ import annotations

import math

import pyqtgraph as pg
from PySide6.QtCore import QRectF, QTimer, Signal
from PySide6.QtGui import QPainter, QPainterPath

from app.common.render import Content, Job, Renderer, device_size, draw_spectra, render

REQUEST_DELAY_MS = 20
VECTOR_EXPORT_MAX_POINTS = 1_000_000  # above this an SVG embeds the spectra as an image


class SpectraLayer(pg.GraphicsObject):
    drawn = Signal()  # an up-to-date image is on screen

    def __init__(self, renderer: Renderer) -> None:
        super().__init__()
        self._renderer = renderer
        self._renderer.rendered.connect(self._on_rendered)
        self._content: Content | None = None
        self._image = None
        self._image_rect = QRectF()
        self._image_key: tuple | None = None
        self._wanted: Job | None = None      # the last job requested
        self._pending_key: tuple | None = None
        self._request_timer = QTimer()
        self._request_timer.setSingleShot(True)
        # a short debounce: a paint right after a change is often followed by a layout change
        # (axes, colour bar) that alters the view size; ask once things have settled
        self._request_timer.setInterval(REQUEST_DELAY_MS)
        self._request_timer.timeout.connect(self._request)
        self.setFlag(self.GraphicsItemFlag.ItemUsesExtendedStyleOption, False)

    # -- content ---------------------------------------------------------------------------
    @property
    def content(self) -> Content | None:
        return self._content

    def set_content(self, content: Content | None) -> None:
        self.prepareGeometryChange()
        self._content = content
        self._pending_key = None
        if content is None:
            self._image, self._image_key = None, None
        self.informViewBoundsChanged()
        self.update()

    def is_current(self) -> bool:
        """True when the image on screen matches the content and the view (or no content)."""
        if self._content is None:
            return True
        key = self._view_key()
        return key is not None and key == self._image_key

    # -- QGraphicsItem / pyqtgraph --------------------------------------------------------------
    def boundingRect(self) -> QRectF:
        if self._content is None:
            return QRectF()
        return self._content.bounds

    def shape(self) -> QPainterPath:  # cheap: the scene asks for it on every mouse move
        path = QPainterPath()
        path.addRect(self.boundingRect())
        return path

    def dataBounds(self, ax: int, frac: float = 1.0, orthoRange=None):
        if self._content is None:
            return None, None
        return self._content.x_range if ax == 0 else self._content.y_range

    def pixelPadding(self) -> float:
        return 1.0

    def paint(self, painter: QPainter, option, widget=None) -> None:
        if self._content is None:
            return
        if self._exportOpts is not False:
            self._paint_export(painter)
            return
        if self._image is not None:
            painter.drawImage(self._image_rect, self._image)
        job = self._job_for(painter)
        if job is not None and job.key != self._image_key and job.key != self._pending_key:
            self._wanted = job
            self._request_timer.start()

    # -- rendering ----------------------------------------------------------------------------
    def _visible_rect(self) -> QRectF | None:
        vb = self.getViewBox()
        if vb is None or self._content is None:
            return None
        rect = vb.viewRect().intersected(self._content.bounds)
        if rect.width() <= 0 or rect.height() <= 0:
            # flat data (a single spectrum at one value) still needs a visible strip
            b = self._content.bounds
            pad_y = max(abs(b.top()) * 1e-6, 1e-12)
            rect = vb.viewRect().intersected(QRectF(b.left(), b.top() - pad_y, b.width(),
                                                    b.height() + 2 * pad_y))
            if rect.width() <= 0 or rect.height() <= 0:
                return None
        return rect

    def _aligned(self, transform, ratio: float = 1.0) -> tuple[QRectF, tuple[int, int]] | None:
        """The visible rect widened to whole device pixels (plus one on each side) and the
        image size that covers it one to one.

        Why: an image drawn into a rect that is not on the pixel grid is resampled, and a
        nearest-neighbour resample drops (or doubles) one column or row somewhere: a steep
        stretch of a spectrum then shows a gap there. And the data's own edge (its maximum,
        its last wavelength) maps exactly onto the image's border, one pixel outside it,
        unless the image reaches a pixel beyond the data. The view clips what overhangs."""
        rect = self._visible_rect()
        if rect is None or transform is None:
            return None
        inverse, ok = transform.inverted()
        if not ok:
            return None
        dev = transform.mapRect(rect)
        left = math.floor(dev.left() + 1e-6) - 1
        top = math.floor(dev.top() + 1e-6) - 1
        right = math.ceil(dev.right() - 1e-6) + 1
        bottom = math.ceil(dev.bottom() - 1e-6) + 1
        aligned = inverse.mapRect(QRectF(left, top, right - left, bottom - top))
        size = (max(1, round((right - left) * ratio)), max(1, round((bottom - top) * ratio)))
        return aligned, size

    def _view_key(self, aligned: tuple[QRectF, tuple[int, int]] | None = None) -> tuple | None:
        if aligned is None:
            aligned = self._aligned(self.deviceTransform_())
            if aligned is None:
                return None
        rect, size = aligned
        return (self._content.generation, round(rect.x(), 9), round(rect.y(), 9),
                round(rect.width(), 9), round(rect.height(), 9)) + tuple(size)

    def _job_for(self, painter: QPainter) -> Job | None:
        ratio = painter.device().devicePixelRatioF() if painter.device() else 1.0
        aligned = self._aligned(painter.transform(), ratio)
        if aligned is None:
            return None
        rect, size = aligned
        key = self._view_key(aligned if ratio == 1.0 else None) or ()
        return Job(self._content, (rect.x(), rect.y(), rect.width(), rect.height()), size,
                   key=key)

    def _request(self) -> None:
        job = self._wanted
        if job is None or self._content is None or job.content is not self._content:
            return
        self._pending_key = job.key
        self._renderer.request(job)

    def _on_rendered(self, job: Job, image) -> None:
        if self._content is None or job.content.generation != self._content.generation:
            return
        self._image = image
        x, y, w, h = job.rect
        self._image_rect = QRectF(x, y, w, h)
        self._image_key = job.key
        self._pending_key = None
        self.update()
        if self.is_current():
            self.drawn.emit()

    # -- export ---------------------------------------------------------------------------------
    def _paint_export(self, painter: QPainter) -> None:
        rect = self._visible_rect()
        if rect is None:
            return
        if self._content.n_points <= VECTOR_EXPORT_MAX_POINTS:
            painter.save()
            painter.setClipRect(rect)
            draw_spectra(painter, self._content, (rect.left(), rect.right()), None)
            painter.restore()
            return
        size = device_size(painter.transform().mapRect(rect))
        if self._image is not None and self.is_current():
            image = self._image
        else:  # no up-to-date image: render one here (export is a deliberate, rare action)
            image = render(Job(self._content, (rect.x(), rect.y(), rect.width(), rect.height()),
                               size))
        painter.drawImage(rect, image)
