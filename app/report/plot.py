"""Draw one report figure (engine.report.Figure: plot DATA) into a QImage, for PDF and HTML.

Why our own small QPainter plot instead of a pyqtgraph widget and its exporter: a report
figure is drawn once, off the GUI thread, at print size, and must look the same in every
report; a widget needs the GUI thread and a shown scene, and its look follows the screen.
The drawing is fixed: white background, axes with "nice" ticks, the series (spectra as thin
translucent curves, predictions as dots), dashed limit lines, and the legend in a row under
the plot. pyqtgraph's arrayToQPath turns thousands of spectra into one path quickly.

Palette indices (engine.report.figures): 0 calibration, 1 test, 2 excluded, 3 flagged,
4+ one per class (the house palette of app.common.colours).
"""
from __future__ import annotations

import math

import numpy as np
from PySide6.QtCore import QPointF, QRectF, Qt
from PySide6.QtGui import QColor, QFont, QFontMetricsF, QImage, QPainter, QPainterPath, QPen

from app.common.colours import PALETTE, alpha_for
from engine.report import Figure, Series

__all__ = ["FONT_FAMILY", "colour", "nice_ticks", "render_figure"]

FONT_FAMILY = "DejaVu Sans"
_ROLE = {0: "#1f77b4", 1: "#ff7f0e", 2: "#8c8c8c", 3: "#d62728"}
GUIDE = QColor("#444444")


def colour(index: int) -> QColor:
    if index in _ROLE:
        return QColor(_ROLE[index])
    return QColor(PALETTE[(index - 4 + 2) % len(PALETTE)])


def nice_ticks(lo: float, hi: float, target: int = 6) -> list[float]:
    """Round tick values (1, 2, 5 x 10^k steps) covering [lo, hi]."""
    if not (math.isfinite(lo) and math.isfinite(hi)) or hi <= lo:
        return [lo]
    raw = (hi - lo) / max(1, target)
    power = 10 ** math.floor(math.log10(raw))
    step = next(m * power for m in (1, 2, 2.5, 5, 10) if m * power >= raw)
    first = math.ceil(lo / step - 1e-9) * step
    ticks, v = [], first
    while v <= hi + step * 1e-9:
        ticks.append(0.0 if abs(v) < step * 1e-9 else v)
        v += step
    return ticks


def _tick_text(v: float, ticks: list[float]) -> str:
    span = max(abs(t) for t in ticks) if ticks else abs(v)
    if span and (span >= 1e5 or span < 1e-3):
        return "0" if v == 0 else f"{v:.2e}"
    step = abs(ticks[1] - ticks[0]) if len(ticks) > 1 else 1.0
    decimals = max(0, -math.floor(math.log10(step))) if step > 0 else 0
    if step * 10 ** decimals % 1 > 1e-6:   # 2.5 steps
        decimals += 1
    return f"{v:.{decimals}f}"


def _range(values: list[np.ndarray], extra: list[float]) -> tuple[float, float]:
    finite = [v[np.isfinite(v)] for v in values if v.size]
    parts = [p for p in finite if p.size]
    lo = min([float(p.min()) for p in parts] + extra) if parts or extra else 0.0
    hi = max([float(p.max()) for p in parts] + extra) if parts or extra else 1.0
    if hi <= lo:
        pad = abs(lo) * 0.05 or 1.0
        return lo - pad, hi + pad
    pad = (hi - lo) * 0.04
    return lo - pad, hi + pad


def _limits(fig: Figure) -> tuple[tuple[float, float], tuple[float, float]]:
    xs = [s.x for s in fig.series]
    ys = [s.y.ravel() for s in fig.series]
    gx = [g.value for g in fig.guides if g.orientation == "v"]
    gy = [g.value for g in fig.guides if g.orientation == "h"]
    xr, yr = _range(xs, gx), _range(ys, gy)
    if fig.square:
        both = (min(xr[0], yr[0]), max(xr[1], yr[1]))
        return both, both
    return xr, yr


def _font(px: float, bold: bool = False) -> QFont:
    font = QFont(FONT_FAMILY)
    font.setPixelSize(max(1, round(px)))
    font.setBold(bold)
    return font


def render_figure(fig: Figure, width: int = 1600, height: int = 900) -> QImage:
    """The figure as an RGB image (``width`` x ``height`` pixels; text scaled with width)."""
    image = QImage(width, height, QImage.Format.Format_RGB32)
    image.fill(QColor("white"))
    s = width / 800.0                       # design unit: an 800-pixel-wide figure
    painter = QPainter(image)
    try:
        painter.setRenderHint(QPainter.RenderHint.Antialiasing, True)
        painter.setRenderHint(QPainter.RenderHint.TextAntialiasing, True)
        _draw(painter, fig, width, height, s)
    finally:
        painter.end()
    return image


def _legend_rows(painter: QPainter, fig: Figure, width: float, s: float
                 ) -> list[list[tuple[str, QColor, str]]]:
    entries = [(f"{x.label}", colour(x.colour), x.kind) for x in fig.series]
    entries += [(g.label, GUIDE, "dash" if g.dashed else "guide") for g in fig.guides
                if g.orientation != "diagonal" or g.label]
    metrics = QFontMetricsF(_font(13 * s))
    rows: list[list[tuple[str, QColor, str]]] = [[]]
    used = 0.0
    for entry in entries:
        w = metrics.horizontalAdvance(entry[0]) + 44 * s
        if rows[-1] and used + w > width - 40 * s:
            rows.append([])
            used = 0.0
        rows[-1].append(entry)
        used += w
    return [r for r in rows if r]


def _draw(p: QPainter, fig: Figure, width: int, height: int, s: float) -> None:
    label_font, tick_font = _font(14 * s), _font(12 * s)
    legend = _legend_rows(p, fig, width, s)
    legend_h = len(legend) * 22 * s + 8 * s
    tick_m = QFontMetricsF(tick_font)
    (x0, x1), (y0, y1) = _limits(fig)
    xt, yt = nice_ticks(x0, x1), nice_ticks(y0, y1)
    y_texts = [_tick_text(v, yt) for v in yt]
    left = 30 * s + max(tick_m.horizontalAdvance(t) for t in y_texts) + 12 * s
    right, top = 20 * s, 14 * s
    bottom = 34 * s + tick_m.height() + legend_h
    plot = QRectF(left, top, width - left - right, height - top - bottom)

    def px(x: np.ndarray | float) -> np.ndarray | float:
        return plot.left() + (np.asarray(x) - x0) / (x1 - x0) * plot.width()

    def py(y: np.ndarray | float) -> np.ndarray | float:
        return plot.bottom() - (np.asarray(y) - y0) / (y1 - y0) * plot.height()

    # grid, ticks and frame
    p.setFont(tick_font)
    grid = QPen(QColor("#e6e6e6"), 1 * s)
    for v, text in zip(yt, y_texts, strict=True):
        y = float(py(v))
        p.setPen(grid)
        p.drawLine(QPointF(plot.left(), y), QPointF(plot.right(), y))
        p.setPen(QColor("#222222"))
        p.drawText(QRectF(0, y - 10 * s, plot.left() - 8 * s, 20 * s),
                   int(Qt.AlignmentFlag.AlignRight | Qt.AlignmentFlag.AlignVCenter), text)
    for v in xt:
        x = float(px(v))
        p.setPen(grid)
        p.drawLine(QPointF(x, plot.top()), QPointF(x, plot.bottom()))
        p.setPen(QColor("#222222"))
        p.drawText(QRectF(x - 60 * s, plot.bottom() + 4 * s, 120 * s, tick_m.height()),
                   int(Qt.AlignmentFlag.AlignHCenter | Qt.AlignmentFlag.AlignTop),
                   _tick_text(v, xt))
    p.setFont(label_font)
    p.drawText(QRectF(plot.left(), plot.bottom() + 6 * s + tick_m.height(), plot.width(),
                      22 * s), int(Qt.AlignmentFlag.AlignHCenter), fig.x_label)
    p.save()
    p.translate(4 * s, plot.center().y())
    p.rotate(-90)
    p.drawText(QRectF(-plot.height() / 2, 0, plot.height(), 22 * s),
               int(Qt.AlignmentFlag.AlignHCenter), fig.y_label)
    p.restore()

    p.save()
    p.setClipRect(plot)
    for series in fig.series:
        _draw_series(p, series, px, py, s)
    for guide in fig.guides:
        pen = QPen(GUIDE, 1.6 * s)
        if guide.dashed:
            pen.setStyle(Qt.PenStyle.DashLine)
        p.setPen(pen)
        if guide.orientation == "h":
            y = float(py(guide.value))
            p.drawLine(QPointF(plot.left(), y), QPointF(plot.right(), y))
        elif guide.orientation == "v":
            x = float(px(guide.value))
            p.drawLine(QPointF(x, plot.top()), QPointF(x, plot.bottom()))
        else:
            lo, hi = max(x0, y0), min(x1, y1)
            p.drawLine(QPointF(float(px(lo)), float(py(lo))),
                       QPointF(float(px(hi)), float(py(hi))))
    p.restore()
    p.setPen(QPen(QColor("#222222"), 1.2 * s))
    p.setBrush(Qt.BrushStyle.NoBrush)
    p.drawRect(plot)
    _draw_legend(p, legend, height - legend_h, s)


def _draw_series(p: QPainter, series: Series, px, py, s: float) -> None:
    base = colour(series.colour)
    if series.kind == "lines":
        _draw_spectra(p, series, base, px, py, s)
    elif series.kind == "line":
        x, y = np.asarray(px(series.x)), np.asarray(py(series.y))
        path = QPainterPath()
        started = False
        for xi, yi in zip(x, y, strict=True):
            if not (math.isfinite(xi) and math.isfinite(yi)):
                started = False
                continue
            if started:
                path.lineTo(float(xi), float(yi))
            else:
                path.moveTo(float(xi), float(yi))
                started = True
        p.setPen(QPen(base, 2.0 * s))
        p.setBrush(Qt.BrushStyle.NoBrush)
        p.drawPath(path)
        if series.x.size <= 40:
            p.setBrush(base)
            for xi, yi in zip(x, y, strict=True):
                if math.isfinite(xi) and math.isfinite(yi):
                    p.drawEllipse(QPointF(float(xi), float(yi)), 3.2 * s, 3.2 * s)
    else:
        fill = QColor(base)
        fill.setAlpha(170)
        p.setPen(QPen(base.darker(130), 0.8 * s))
        p.setBrush(fill)
        r = 3.4 * s
        for xi, yi in zip(np.asarray(px(series.x)), np.asarray(py(series.y)), strict=True):
            if math.isfinite(xi) and math.isfinite(yi):
                p.drawEllipse(QPointF(float(xi), float(yi)), r, r)


#: spectra drawn per series at most (every k-th beyond: the legend still counts them all)
MAX_CURVES = 1500


def _draw_spectra(p: QPainter, series: Series, base: QColor, px, py, s: float) -> None:
    """Many translucent curves, each blended on its own (dense regions read as density).
    Antialiased strokes of ~600 curves cost 10-25 s in QPainter; aliased ones drawn at twice
    the size into a layer and scaled down smoothly look the same in ~1.5 s (measured on the
    tablet set: 428 x 597; the 1-pixel pen halves it again)."""
    Y = series.y
    if Y.shape[0] == 0:
        return
    from pyqtgraph.functions import arrayToQPath

    k = Y.shape[0]
    step = max(1, math.ceil(k / MAX_CURVES))
    plot = p.clipBoundingRect()
    factor = 2.0
    layer = QImage(max(1, int(plot.width() * factor)), max(1, int(plot.height() * factor)),
                   QImage.Format.Format_ARGB32_Premultiplied)
    layer.fill(Qt.GlobalColor.transparent)
    lp = QPainter(layer)
    try:
        lp.setRenderHint(QPainter.RenderHint.Antialiasing, False)
        c = QColor(base)
        c.setAlpha(max(40, alpha_for(k) // 2) if k > 50 else alpha_for(k))
        lp.setPen(QPen(c, 1.0))   # 1 px: QPainter's fast path (2 px took twice as long)
        x = (np.asarray(px(series.x), dtype=np.float64) - plot.left()) * factor
        for row in Y[::step]:
            y = (np.asarray(py(row), dtype=np.float64) - plot.top()) * factor
            good = np.isfinite(y)
            if good.all():
                lp.drawPath(arrayToQPath(x, y))
            elif good.any():
                lp.drawPath(arrayToQPath(x, np.where(good, y, 0.0), connect=good))
    finally:
        lp.end()
    p.save()
    p.setRenderHint(QPainter.RenderHint.SmoothPixmapTransform, True)
    p.drawImage(plot, layer)
    p.restore()


def _draw_legend(p: QPainter, rows: list[list[tuple[str, QColor, str]]], top: float,
                 s: float) -> None:
    font = _font(13 * s)
    p.setFont(font)
    metrics = QFontMetricsF(font)
    y = top + 6 * s
    for row in rows:
        x = 40 * s
        for text, c, kind in row:
            mid = y + 9 * s
            if kind == "points":
                p.setPen(QPen(c.darker(130), 0.8 * s))
                p.setBrush(c)
                p.drawEllipse(QPointF(x + 12 * s, mid), 4.5 * s, 4.5 * s)
            else:
                pen = QPen(c, (2.0 if kind in ("line", "lines") else 1.6) * s)
                if kind == "dash":
                    pen.setStyle(Qt.PenStyle.DashLine)
                p.setPen(pen)
                p.drawLine(QPointF(x, mid), QPointF(x + 26 * s, mid))
            p.setPen(QColor("#222222"))
            p.drawText(QPointF(x + 32 * s, mid + metrics.ascent() / 2 - 1 * s), text)
            x += metrics.horizontalAdvance(text) + 44 * s
        y += 22 * s
