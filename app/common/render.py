"""Rasterise many spectra into an image off the GUI thread.

Why not one PlotCurveItem per colour group (docs/design.md's starting point): measured on
10,000 x 1,000 spectra, building the curves' QPainterPath from a connect array takes ~1 s and
every repaint strokes 10 million segments on the GUI thread (0.3-0.5 s), so a hover or a
rubber band would freeze the window. Here the same groups (one colour each, every spectrum,
no sampling) are drawn by QPainter into a QImage on a worker QThread, one short
``drawPolyline`` per spectrum so the GIL is released between spectra and the GUI keeps
running; the view only blits the finished image. A newer request makes an older render stop
at its next spectrum.
"""
from __future__ import annotations

import math
import time
from collections.abc import Callable
from dataclasses import dataclass, field

import numpy as np
from pyqtgraph import functions as fn
from PySide6.QtCore import QObject, QRectF, QThread, Signal, Slot
from PySide6.QtGui import QColor, QImage, QPainter, QPen

from app.common.priority import start_in_background
from app.model.spectra_data import SpectraData

ROWS_PER_BLOCK = 256  # spectra converted to pixel coordinates at once


@dataclass(frozen=True)
class DrawGroup:
    """Rows of one set of spectra drawn in one colour. ``data`` is the set the rows index
    (None: the content's own); a group with its own set can have another x axis (the
    Predict view draws new spectra, maybe from another instrument, over the training ones)."""

    rows: np.ndarray
    rgba: tuple[int, int, int, int]
    width: float = 1.0
    data: SpectraData | None = field(default=None, compare=False)


@dataclass(frozen=True)
class Content:
    """What to draw: the spectra and their groups, in drawing order."""

    data: SpectraData
    groups: tuple[DrawGroup, ...]
    generation: int

    def data_of(self, group: DrawGroup) -> SpectraData:
        return self.data if group.data is None else group.data

    def sets(self) -> list[SpectraData]:
        """Every set of spectra drawn (the content's own first), each once."""
        out = [self.data]
        for g in self.groups:
            if g.data is not None and all(g.data is not d for d in out):
                out.append(g.data)
        return out

    @property
    def x_range(self) -> tuple[float, float]:
        sets = self.sets()
        return min(d.x_min for d in sets), max(d.x_max for d in sets)

    @property
    def y_range(self) -> tuple[float, float]:
        sets = self.sets()
        return min(d.y_min for d in sets), max(d.y_max for d in sets)

    @property
    def n_points(self) -> int:
        return sum(d.n_points for d in self.sets())

    @property
    def bounds(self) -> QRectF:
        (x0, x1), (y0, y1) = self.x_range, self.y_range
        return QRectF(x0, y0, x1 - x0, y1 - y0)


@dataclass(frozen=True)
class Job:
    content: Content
    rect: tuple[float, float, float, float]   # x, y, width, height in data coordinates
    size: tuple[int, int]                      # image width, height in pixels
    token: int = 0
    key: tuple = field(default=(), compare=False)


class GilHandoff:
    """Lets the GUI thread in while a background thread draws (issue 20).

    Why: PySide's ``drawPolyline`` releases the GIL for the ~20-50 us it draws and takes it
    back right after. On two or more cores the GUI thread, woken when the GIL is released,
    finds it taken again every time, and CPython's forced switch never comes, because the GIL
    did change hands (switch counter) in the meantime: measured on 100,000 spectra, the GUI
    thread waited 30 ms at the 99th percentile and up to 130 ms in the window. Sleeping 0.3 ms
    once every ``every`` seconds gives it a window it always gets: 99th percentile 5 ms, max
    14 ms, for ~5 % more drawing time.
    """

    def __init__(self, every: float = 0.005, pause: float = 0.0003) -> None:
        self.every, self.pause = every, pause
        self._last = time.perf_counter()

    def __call__(self) -> None:
        now = time.perf_counter()
        if now - self._last >= self.every:
            time.sleep(self.pause)
            self._last = time.perf_counter()


def draw_spectra(painter: QPainter, content: Content, x_range: tuple[float, float] | None,
                 to_px: Callable[[np.ndarray, np.ndarray], tuple] | None,
                 stale: Callable[[], bool] = lambda: False,
                 handoff: Callable[[], None] | None = None) -> bool:
    """Draw each group's spectra as polylines; False if stopped because ``stale()``.

    ``x_range`` limits the columns drawn to those needed for x in [x0, x1] (None: all).
    ``to_px`` maps (x, Y-block) to pixel coordinates; None draws in data coordinates (the
    painter's transform does the mapping, used for vector export). ``handoff`` is called
    after every spectrum on a background thread (a GilHandoff), never on the GUI thread.
    """
    polys: dict[int, tuple] = {}   # per set of spectra: its visible x, polygon and buffer
    for group in content.groups:
        data = content.data_of(group)
        if id(data) not in polys:
            columns = slice(None) if x_range is None else data.visible_columns(*x_range)
            x = data.x[columns]
            poly = fn.create_qpolygonf(x.size) if x.size >= 2 else None
            polys[id(data)] = (columns, x, poly,
                               None if poly is None else fn.ndarray_from_qpolygonf(poly))
        columns, x, poly, mem = polys[id(data)]
        if poly is None:
            continue
        pen = QPen(QColor(*group.rgba))
        pen.setCosmetic(True)
        pen.setWidthF(group.width)
        painter.setPen(pen)
        rows = group.rows
        for start in range(0, rows.size, ROWS_PER_BLOCK):
            if stale():
                return False
            block = data.Y[rows[start:start + ROWS_PER_BLOCK], columns]
            if to_px is None:
                px, py = x, block
            else:
                px, py = to_px(x, block)
            mem[:, 0] = px
            for row in py:
                mem[:, 1] = row
                painter.drawPolyline(poly)
                if handoff is not None:
                    handoff()
    return True


def render(job: Job, stale: Callable[[], bool] = lambda: False) -> QImage | None:
    """The job's spectra as a transparent image; image row 0 is the rect's lowest y (the
    view's y-up transform flips it back when the image is drawn into the rect)."""
    w, h = job.size
    x0, y0, rw, rh = job.rect
    image = QImage(max(w, 1), max(h, 1), QImage.Format.Format_ARGB32_Premultiplied)
    image.fill(0)
    if rw <= 0 or rh <= 0:
        return image
    sx, sy = w / rw, h / rh
    limit = 4.0 * max(w, h) + 1e4  # keep far-off points finite and small for the rasteriser

    def to_px(x: np.ndarray, block: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
        # Vertices snapped to the pixel that holds them (Qt paints a point at v in pixel
        # floor(v), so nothing moves). Unsnapped, Qt's aliased cosmetic stroker leaves a
        # pixel column empty where a sub-pixel x-major segment meets a y-major one (a steep
        # peak with several channels per pixel): a continuous spectrum showed a gap. Between
        # whole pixels every segment starts on its vertex's pixel and the line stays joined.
        return (np.floor((x - x0) * sx),
                np.floor(np.clip((block - y0) * sy, -limit, limit)))

    painter = QPainter(image)
    try:
        ok = draw_spectra(painter, job.content, (x0, x0 + rw), to_px, stale, GilHandoff())
    finally:
        painter.end()
    return image if ok else None


class _RenderWorker(QObject):
    done = Signal(object, object)  # job, QImage

    def __init__(self) -> None:
        super().__init__()
        self.latest = 0  # written by the GUI thread: the newest token requested

    @Slot(object)
    def run(self, job: Job) -> None:
        def stale() -> bool:
            return job.token != self.latest

        if stale():
            return
        image = render(job, stale)
        if image is not None:
            self.done.emit(job, image)


class Renderer(QObject):
    """Owns the render thread; ``request(job)`` supersedes any earlier request.

    Not an app.common.workers.Jobs on purpose: a superseded render stops mid-drawing, at its
    next block of spectra (``_RenderWorker.latest``), which a job's cancel event cannot do
    for a function that does not poll it (see app.common.workers)."""

    rendered = Signal(object, object)  # job, QImage (GUI thread)
    _submit = Signal(object)

    def __init__(self, parent: QObject | None = None) -> None:
        super().__init__(parent)
        self._thread = QThread()
        self._thread.setObjectName("nirdesk-render")
        self._worker = _RenderWorker()
        self._worker.moveToThread(self._thread)
        self._submit.connect(self._worker.run)
        self._worker.done.connect(self._on_done)
        start_in_background(self._thread)
        self._token = 0
        self._stopped = False

    def request(self, job: Job) -> Job:
        if self._stopped:
            return job
        self._token += 1
        job = Job(job.content, job.rect, job.size, self._token, job.key)
        self._worker.latest = self._token
        self._submit.emit(job)
        return job

    @property
    def pending(self) -> bool:
        return self._worker.latest != getattr(self, "_last_done", 0)

    @Slot(object, object)
    def _on_done(self, job: Job, image: QImage) -> None:
        self._last_done = job.token
        if not self._stopped and job.token == self._token:
            self.rendered.emit(job, image)

    def shutdown(self) -> None:
        if self._stopped:
            return
        self._stopped = True
        self._worker.latest = -1  # any render in progress stops at its next block
        self._thread.quit()
        self._thread.wait(30000)


def device_size(rect: QRectF) -> tuple[int, int]:
    return max(1, math.ceil(rect.width())), max(1, math.ceil(rect.height()))
