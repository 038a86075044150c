"""Every spectrum is drawn without gaps (issue 21: "one spectrum of a 700-channel set is drawn
with a gap near 1760 nm although its data are continuous").

The case: 700 channels, 1100-2498 nm in steps of 2 (the layout of the public corn set), with
steep peaks (one of them at 1760 nm holding the set's maximum) and noise, drawn by the real
SpectraView at several plot sizes and zooms. The rendered pixels are compared with the data
mapped through the view's own transform: every pixel column between the first and the last
wavelength holds a painted pixel of the spectrum, within one pixel of where the polyline
passes, and the painted runs of neighbouring columns touch (a continuous line stays one).
"""
from __future__ import annotations

import numpy as np
import pytest
from PySide6.QtCore import QPointF
from PySide6.QtGui import QImage

from app.common.render import Content, DrawGroup, Job, render
from app.model.spectra_data import SpectraData
from app.model.state import WorkbenchState
from app.spectra.view import SpectraView
from engine.dataset import SpectralDataset

X_NM = np.arange(1100.0, 2499.0, 2.0)   # 700 channels


def _corn_like(n: int = 4, seed: int = 0) -> np.ndarray:
    rng = np.random.default_rng(seed)
    base = (0.3 + 0.4 * np.exp(-((X_NM - 1450) / 50) ** 2)
            + 0.5 * np.exp(-((X_NM - 1940) / 40) ** 2))
    Y = base[None, :] * rng.uniform(0.9, 1.1, (n, 1)) + rng.normal(0, 0.004, (n, X_NM.size))
    # one spectrum with a sharp band at 1760 nm that is the set's maximum
    Y[0] += 1.2 * np.exp(-((X_NM - 1760) / 6) ** 2)
    return Y


def _alpha(image: QImage) -> np.ndarray:
    image = image.convertToFormat(QImage.Format.Format_ARGB32)
    h, w = image.height(), image.width()
    a = np.frombuffer(image.constBits(), np.uint8).reshape(h, image.bytesPerLine())
    return a[:, :w * 4].reshape(h, w, 4).copy()


def _line_defects(mask: np.ndarray, px: np.ndarray, py: np.ndarray) -> list[str]:
    """Columns of ``mask`` (rows x cols, True = painted) where the polyline through the
    device points (px, py) has no pixel, is painted more than a pixel away from where it
    passes, or does not touch the next column."""
    problems = []
    w = mask.shape[1]
    first, last = int(np.ceil(px.min())), int(np.floor(px.max()))
    prev = None
    for c in range(max(first, 0), min(last, w)):
        rows = np.flatnonzero(mask[:, c])
        # where the polyline passes within this column [c, c + 1)
        k = (px >= c) & (px < c + 1)
        ys = list(py[k]) + list(np.interp([c, min(c + 1, px.max())], px, py))
        lo, hi = min(ys), max(ys)
        if rows.size == 0:
            problems.append(f"column {c}: nothing painted (line at y {lo:.1f}-{hi:.1f})")
            prev = None
            continue
        if rows.min() > hi + 2 or rows.max() < lo - 2:
            problems.append(f"column {c}: painted rows {rows.min()}-{rows.max()}, "
                            f"line at {lo:.1f}-{hi:.1f}")
        if prev is not None and (rows.min() > prev.max() + 1 or prev.min() > rows.max() + 1):
            problems.append(f"column {c}: rows {rows.min()}-{rows.max()} do not touch the "
                            f"previous column's {prev.min()}-{prev.max()}")
        prev = rows
    return problems


@pytest.mark.parametrize("size", [(1000, 650), (613, 187), (801, 333)])
@pytest.mark.parametrize("zoom", [None, (1700.0, 1820.0), (1101.0, 1300.0)])
def test_a_continuous_spectrum_is_drawn_continuous(qtbot, size, zoom):
    Y = _corn_like()
    ds = SpectralDataset(X=Y, wavelengths=X_NM, targets={"y": np.arange(Y.shape[0], dtype=float)},
                         sample_ids=np.array([f"s{i}" for i in range(Y.shape[0])]),
                         test_mask=np.zeros(Y.shape[0], dtype=bool), name="corn-like",
                         target="y", units="nm")
    state = WorkbenchState()
    state.set_dataset(ds, SpectraData.build(Y, X_NM, wavelengths_known=True, title="raw"), None)
    view = SpectraView(state)
    qtbot.addWidget(view)
    try:
        _check_every_spectrum(qtbot, view, state, Y, size, zoom)
    finally:
        view.shutdown()


def _check_every_spectrum(qtbot, view, state, Y, size, zoom) -> None:
    view.resize(*size)
    view.show()
    qtbot.waitExposed(view)
    if zoom is not None:
        view.vb.setRange(xRange=zoom, padding=0)
    qtbot.waitUntil(view.is_drawn, timeout=10_000)
    for row in range(Y.shape[0]):
        # one spectrum alone, black and opaque, so its pixels are unambiguous
        state.set_colour_mode("target")
        view.layer.set_content(Content(state.shown, (DrawGroup(np.array([row]), (0, 0, 0, 255)),),
                                       1000 + row))
        qtbot.waitUntil(view.is_drawn, timeout=10_000)
        image = view.graphics.grab().toImage()
        rgba = _alpha(image)
        mask = (rgba[..., 0] < 80) & (rgba[..., 1] < 80) & (rgba[..., 2] < 80)
        # the view's own mapping from data to the grabbed widget's pixels
        x0, x1 = view.vb.viewRange()[0]
        cols = state.shown.visible_columns(x0, x1)
        xs, ys = X_NM[cols], Y[row, cols]
        pts = [view.vb.mapViewToScene(QPointF(float(a), float(b)))
               for a, b in zip(xs, ys, strict=True)]
        to_widget = view.graphics.viewportTransform()   # floats (mapFromScene rounds)
        pts = [to_widget.map(p) for p in pts]
        px = np.array([p.x() for p in pts], dtype=float)
        py = np.array([p.y() for p in pts], dtype=float)
        # only the inside of the plot area (axes and labels are black too)
        box = view.graphics.mapFromScene(view.vb.sceneBoundingRect()).boundingRect()
        inside = np.zeros_like(mask)
        inside[box.top() + 1:box.bottom(), box.left() + 1:box.right()] = True
        keep = (px >= box.left() + 2) & (px <= box.right() - 2)
        problems = _line_defects(mask & inside, px[keep], py[keep])
        assert not problems, f"spectrum {row} at {size}, zoom {zoom}: {problems[:5]}"


def test_render_snaps_vertices_so_sub_pixel_segments_leave_no_gap(qtbot):
    """The rasteriser alone, on random walks with many points per pixel column: Qt's aliased
    cosmetic stroker drops the column of a vertex where a sub-pixel x-major segment meets a
    y-major one; snapped vertices leave none."""
    rng = np.random.default_rng(3)
    for trial in range(40):
        n = int(rng.integers(200, 900))
        x = np.linspace(0.0, 1.0, n)
        y = np.cumsum(rng.normal(0, rng.choice([0.3, 2.0, 8.0]), n))
        data = SpectraData.build(y[None, :], x, wavelengths_known=True, title="walk")
        w, h = 301, 173
        pad_y = (data.y_max - data.y_min) * 0.05
        rect = (0.0, data.y_min - pad_y, 1.0, data.y_max - data.y_min + 2 * pad_y)
        job = Job(Content(data, (DrawGroup(np.array([0]), (0, 0, 0, 255)),), 1), rect, (w, h))
        a = _alpha(render(job))[..., 3] > 0
        px = (x - rect[0]) * w / rect[2]
        py = (y - rect[1]) * h / rect[3]   # image rows count up from the rect's bottom
        problems = _line_defects(a, px[1:-1], py[1:-1])
        assert not problems, f"walk {trial}: {problems[:5]}"
