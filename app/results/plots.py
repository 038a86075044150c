"""The per-branch plots of the results panel (pyqtgraph).

Each plot is a PlotPage: a GraphicsLayoutWidget with one PlotItem, and a message shown
instead when the plot does not apply (not a PLS branch, not finetuned, branch failed...), so
an empty axis never leaves the user guessing. Plots hold a handful of items whose data are
replaced on every branch change (setData of a few hundred points: ~1 ms), so selecting
branches while a run fills the leaderboard stays instant. The figures written in a plot's
corner are computed from exactly the points drawn.
"""
from __future__ import annotations

import html
from pathlib import Path
from typing import Any

import numpy as np
import pyqtgraph as pg
from PySide6.QtCore import Qt
from PySide6.QtGui import QColor
from PySide6.QtWidgets import QLabel, QSizePolicy, QStackedLayout, QWidget

from app.common import colours
from app.common.dots import Dots
from app.results import data as D

CV_COLOUR = "#1f77b4"
TEST_COLOUR = "#ff7f0e"
BEST_COLOUR = "#2ca02c"
LINE_COLOUR = "#606060"
SYMBOL_SIZE = 6
KEPT_SHADE = (31, 119, 180, 38)   # the wavelength windows a selection step kept

# the main window's spectra view sets the same (global) options; set them here too so the
# panel looks the same when built on its own (tests, screenshots)
pg.setConfigOptions(background="w", foreground="k", antialias=False)


class PlotPage(QWidget):
    """A plot, or a centred message when there is nothing to plot.

    The pyqtgraph widget is built on first use (``build``): a PlotItem costs 50-80 ms to
    construct, and five of them would add 0.3-0.4 s to the window's start-up for plots that
    stay empty until a run finishes.
    """

    def __init__(self, name: str, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.name = name
        self.graphics: pg.GraphicsLayoutWidget | None = None
        self.plot: pg.PlotItem | None = None
        self.message = QLabel()
        self.message.setObjectName(f"{name}Message")
        self.message.setAlignment(Qt.AlignmentFlag.AlignCenter)
        self.message.setWordWrap(True)
        self.message.setTextInteractionFlags(Qt.TextInteractionFlag.TextSelectableByMouse)
        self.message.setStyleSheet("color: palette(mid); padding: 12px;")
        self._stack = QStackedLayout(self)
        self._stack.setContentsMargins(0, 0, 0, 0)
        self._stack.addWidget(self.message)
        self._closed = False

    @property
    def built(self) -> bool:
        return self.graphics is not None

    def build(self) -> None:
        """Create the plot widget and the subclass's items (once)."""
        if self.graphics is not None or self._closed:
            return
        self.graphics = pg.GraphicsLayoutWidget()
        self.graphics.setObjectName(f"{self.name}Graphics")
        # a GraphicsLayoutWidget's size hint follows its scene, which follows the widget plus
        # the layout's margins: in a dock that grew the Results dock 4 px every layout pass
        # (20 resizes and repaints of the whole window when a run started, measured). The plot
        # takes the space it is given instead.
        self.graphics.setSizePolicy(QSizePolicy.Policy.Ignored, QSizePolicy.Policy.Ignored)
        self.graphics.ci.layout.setContentsMargins(2, 4, 8, 2)
        self.plot = self.graphics.addPlot(row=0, col=0, viewBox=self._make_viewbox())
        self.plot.hideButtons()
        self.plot.setMenuEnabled(True)
        for axis in ("left", "bottom"):
            self.plot.getAxis(axis).enableAutoSIPrefix(False)
        self._stack.addWidget(self.graphics)
        self._build_items()

    def _make_viewbox(self) -> pg.ViewBox | None:
        """The plot's ViewBox (None: pyqtgraph's own); a page that picks points gives its own."""
        return None

    def _build_items(self) -> None:
        """Add the subclass's graphics items to ``self.plot``."""

    def show_message(self, text: str) -> None:
        if self.built:
            self.clear_data()
        self.message.setText(text)
        self._stack.setCurrentWidget(self.message)

    def show_plot(self) -> None:
        self.build()
        self._stack.setCurrentWidget(self.graphics)

    @property
    def has_plot(self) -> bool:
        return self.built and self._stack.currentWidget() is self.graphics

    def clear_data(self) -> None:
        """Drop the data of every item (subclasses; only called once built)."""

    def export(self, path: str | Path, title: str | None = None) -> Path:
        """The plot as PNG (or SVG) at its size on screen; a page showing a message has
        nothing to export. ``title`` (which branch) is written above the plot in the file
        only: on screen the leaderboard's selection says it, and the dock has no height to
        spare."""
        if not self.has_plot:
            raise ValueError(f"the {self.name} plot is empty: {self.message.text()}")
        from app.common.plot_export import export_plot

        old = self.plot.titleLabel.text if self.plot.titleLabel.isVisible() else None
        if title and old is None:
            self.plot.setTitle(f"<span style='font-size:9pt'>{html.escape(title)}</span>")
            self.plot.layout.activate()          # give the title its row before rendering
            self.graphics.ci.layout.activate()
        try:
            return export_plot(self.graphics, path)
        finally:
            if title and old is None:
                self.plot.setTitle(None)
                self.plot.layout.activate()

    def close_plot(self) -> None:
        if not self._closed:
            self._closed = True
            if self.graphics is not None:
                self.graphics.close()


class _Cloud(Dots):
    """CV or test points of one look, with ScatterPlotItem's setData / getData / data.

    Why not a ScatterPlotItem: its setData builds a record per point in Python (app.common.dots);
    a run on 100,000 spectra put 80,000 CV points in two plots and paused the window 320-400 ms
    when its results arrived (bench/scale.py, issue 20)."""

    def __init__(self, colour: str, symbol: str) -> None:
        super().__init__()
        c = QColor(colour)
        self.set_sprites([(symbol, SYMBOL_SIZE, pg.mkPen(c.darker(130), width=1),
                           pg.mkBrush(c.red(), c.green(), c.blue(), 150))])

    def setData(self, x: Any, y: Any) -> None:
        self.set_points(np.asarray(x, dtype=np.float64), np.asarray(y, dtype=np.float64))

    def getData(self) -> tuple[np.ndarray, np.ndarray]:
        return self.x, self.y

    @property
    def data(self) -> dict[str, np.ndarray]:
        return {"x": self.x, "y": self.y}


def _scatter(colour: str, symbol: str) -> _Cloud:
    return _Cloud(colour, symbol)


def _corner_text(vb: pg.ViewBox) -> pg.TextItem:
    """A text box pinned to the top-left corner of the plot area (pixels, not data)."""
    item = pg.TextItem("", color="k", fill=pg.mkBrush(255, 255, 255, 215),
                       border=pg.mkPen("#aaaaaa"), anchor=(0, 0))
    item.setParentItem(vb)
    item.setPos(6, 6)
    item.setZValue(100)
    return item


def _target_units(ctx: D.Context) -> str:
    return ctx.target


class _PointsPlot(PlotPage):
    """CV and test points (shared by predicted-vs-observed and residuals)."""

    def __init__(self, name: str, parent: QWidget | None = None) -> None:
        super().__init__(name, parent)
        self.stats: dict[str, dict[str, float | None]] = {}
        self.corner_text = ""

    def _build_items(self) -> None:
        self.cv_points = _scatter(CV_COLOUR, "o")
        self.test_points = _scatter(TEST_COLOUR, "t1")
        self.plot.addItem(self.cv_points)
        self.plot.addItem(self.test_points)
        self.corner = _corner_text(self.plot.vb)

    def clear_data(self) -> None:
        self.cv_points.setData([], [])
        self.test_points.setData([], [])
        self.corner.setHtml("")
        self.corner.setVisible(False)
        self.stats, self.corner_text = {}, ""

    def _set_corner(self, cv: D.Part | None, test: D.Part | None) -> None:
        """n, RMSE, R2 and bias of the points drawn as a small table, one row per partition,
        marked like the points (so it doubles as the legend). RMSE is RMSECV on the CV row,
        RMSEP on the test row."""
        rows, plain = [], []
        self.stats = {}
        cell = "<td style='padding: 0 4px' align='right'>{}</td>"
        for part, colour, mark in ((cv, CV_COLOUR, "\u25cf"), (test, TEST_COLOUR, "\u25b2")):
            if part is None or part.n == 0:
                continue
            s = part.stats(False)
            self.stats[part.name] = s
            label = "CV" if part.name == "cv" else "Test"
            values = [str(part.n), D.format_number(s["rmse"]), D.format_number(s["r2"]),
                      D.format_number(s["bias"], 3)]
            plain.append(f"{label} n={values[0]} "
                         f"{'RMSECV' if part.name == 'cv' else 'RMSEP'} {values[1]} "
                         f"R\u00b2 {values[2]} bias {values[3]}")
            rows.append(f"<tr><td><span style='color:{colour}'>{mark}</span> {label}</td>"
                        + "".join(cell.format(html.escape(v)) for v in values) + "</tr>")
        self.corner_text = "\n".join(plain)
        head = ("<tr><td></td>" + "".join(cell.format(h) for h in ("n", "RMSE", "R\u00b2", "bias"))
                + "</tr>")
        self.corner.setHtml("<table style='font-size:8pt' cellspacing='0'>" + head
                            + "".join(rows) + "</table>")
        self.corner.setVisible(bool(rows))

    def corner_shown(self) -> str:
        """The corner text as displayed (plain)."""
        return self.corner.textItem.toPlainText()


class PredictedPlot(_PointsPlot):
    """Predicted vs observed: CV (circles) and test (triangles), the 1:1 line, and the
    figures of merit of the points in the corner."""

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__("predicted", parent)
        self.confusion: np.ndarray | None = None   # class targets: CV counts [observed, predicted]
        self.classes: list[str] = []

    def _build_items(self) -> None:
        super()._build_items()
        self.matrix = pg.ImageItem(axisOrder="row-major")
        self.matrix.setLookupTable(pg.ColorMap([0.0, 1.0], [(255, 255, 255), (31, 119, 180)])
                                   .getLookupTable(nPts=256))
        self.plot.addItem(self.matrix)
        self.matrix.setZValue(-5)
        self.matrix.hide()
        self._count_labels: list[pg.TextItem] = []
        self.identity = pg.PlotCurveItem(pen=pg.mkPen(LINE_COLOUR, width=1,
                                                      style=Qt.PenStyle.DashLine))
        self.plot.addItem(self.identity)
        self.identity.setZValue(-1)

    def clear_data(self) -> None:
        super().clear_data()
        self.identity.setData([], [])
        self._matrix_mode(False)

    def set_branch(self, result: Any, ctx: D.Context) -> None:
        cv, test = D.parts(result, ctx)
        if (cv is None or cv.n == 0) and (test is None or test.n == 0):
            self.show_message(f"Branch {result.id} has no predictions.")
            return
        self.show_plot()
        if ctx.classification:
            self._set_confusion(cv, test, ctx)
            return
        self._matrix_mode(False)
        lo, hi = np.inf, -np.inf
        for part, item in ((cv, self.cv_points), (test, self.test_points)):
            if part is None or part.n == 0:
                item.setData([], [])
                continue
            item.setData(part.observed, part.predicted)
            lo = min(lo, float(part.observed.min()), float(part.predicted.min()))
            hi = max(hi, float(part.observed.max()), float(part.predicted.max()))
        pad = 0.03 * (hi - lo or 1.0)
        self.identity.setData([lo - pad, hi + pad], [lo - pad, hi + pad])
        units = _target_units(ctx)
        self.plot.setLabel("bottom", f"Observed {units}")
        self.plot.setLabel("left", f"Predicted {units}")
        self._set_corner(cv, test)
        self.plot.vb.setRange(xRange=(lo - pad, hi + pad), yRange=(lo - pad, hi + pad), padding=0)


    # -- class targets: a confusion matrix of the CV predictions -------------------------------
    def _matrix_mode(self, on: bool) -> None:
        self.matrix.setVisible(on)
        for item in self._count_labels:
            self.plot.removeItem(item)
        self._count_labels = []
        if not on:
            self.confusion, self.classes = None, []
            self.plot.getAxis("bottom").setTicks(None)
            self.plot.getAxis("left").setTicks(None)
            self.plot.setTitle(None)
            self.plot.getViewBox().invertY(False)

    def _set_confusion(self, cv: D.Part | None, test: D.Part | None, ctx: D.Context) -> None:
        """Rows: observed class (top to bottom), columns: predicted class; cell = count of
        out-of-fold predictions. Accuracy figures of CV and test in the title."""
        self.clear_data()
        self._matrix_mode(True)
        self.classes = [str(c) for c in np.unique(ctx.y.astype(str))]
        k = len(self.classes)
        index = {c: i for i, c in enumerate(self.classes)}
        counts = np.zeros((k, k), dtype=np.int64)
        if cv is not None:
            for o, p in zip(cv.observed.astype(str), cv.predicted.astype(str), strict=True):
                if p in index:
                    counts[index[o], index[p]] += 1
        self.confusion = counts
        self.matrix.setImage(counts.astype(float), levels=(0.0, max(1.0, float(counts.max()))))
        self.matrix.setRect(0, 0, k, k)
        for i in range(k):
            for j in range(k):
                dark = counts[i, j] > 0.6 * counts.max()
                label = pg.TextItem(str(counts[i, j]), color="w" if dark else "k",
                                    anchor=(0.5, 0.5))
                label.setPos(j + 0.5, i + 0.5)
                self.plot.addItem(label)
                self._count_labels.append(label)
        ticks = [[(i + 0.5, c) for i, c in enumerate(self.classes)]]
        self.plot.getAxis("bottom").setTicks(ticks)
        self.plot.getAxis("left").setTicks(ticks)
        self.plot.getViewBox().invertY(True)
        self.plot.setLabel("bottom", "Predicted class (CV)")
        self.plot.setLabel("left", f"Observed {ctx.target}")
        parts = []
        self.stats = {}
        for part, label in ((cv, "CV"), (test, "test")):
            if part is not None and part.n:
                st = part.stats(True)
                self.stats[part.name] = st
                parts.append(f"{label}: accuracy {D.format_number(st['accuracy'], 3)}, balanced "
                             f"{D.format_number(st['balanced_accuracy'], 3)}")
        self.corner_text = "; ".join(parts)
        self.plot.setTitle(f"<span style='font-size:9pt'>{html.escape(self.corner_text)}</span>")
        self.plot.vb.setRange(xRange=(0, k), yRange=(0, k), padding=0.02)


class ResidualPlot(_PointsPlot):
    """Residual (predicted - observed) against predicted, with the zero line."""

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__("residuals", parent)

    def _build_items(self) -> None:
        super()._build_items()
        self.zero = pg.InfiniteLine(pos=0.0, angle=0, pen=pg.mkPen(LINE_COLOUR, width=1,
                                                                   style=Qt.PenStyle.DashLine))
        self.plot.addItem(self.zero, ignoreBounds=True)

    def set_branch(self, result: Any, ctx: D.Context) -> None:
        if ctx.classification:
            self.show_message("Residuals are drawn for numeric targets; this run predicts classes.")
            return
        cv, test = D.parts(result, ctx)
        if (cv is None or cv.n == 0) and (test is None or test.n == 0):
            self.show_message(f"Branch {result.id} has no predictions.")
            return
        self.show_plot()
        for part, item in ((cv, self.cv_points), (test, self.test_points)):
            if part is None or part.n == 0:
                item.setData([], [])
            else:
                item.setData(part.predicted, part.residual)
        units = _target_units(ctx)
        self.plot.setLabel("bottom", f"Predicted {units}")
        self.plot.setLabel("left", "Residual (pred \u2212 obs)")
        self._set_corner(cv, test)
        self.plot.vb.enableAutoRange()
        self._make_room_for_corner()

    def _make_room_for_corner(self) -> None:
        """Residuals centre on zero: extend the top of the y range so the corner box sits
        above the points instead of over them."""
        ys = [p for p in (self.cv_points.data["y"], self.test_points.data["y"]) if len(p)]
        if not ys:
            return
        y = np.concatenate(ys)
        top = float(np.max(np.abs(y))) or 1.0
        self.plot.vb.setYRange(-1.08 * top, 1.6 * top, padding=0)


class ComponentsPlot(PlotPage):
    """RMSECV against the number of PLS components, with the count the branch uses marked."""

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__("components", parent)
        self.chosen_k: int | None = None

    def _build_items(self) -> None:
        self.curve = pg.PlotDataItem(pen=pg.mkPen(CV_COLOUR, width=2), symbol="o", symbolSize=6,
                                     symbolBrush=CV_COLOUR, symbolPen=None)
        self.chosen = pg.ScatterPlotItem(size=13, symbol="o", pen=pg.mkPen(BEST_COLOUR, width=2.5),
                                         brush=pg.mkBrush(None))
        self.plot.addItem(self.curve)
        self.plot.addItem(self.chosen)
        self.corner = _corner_text(self.plot.vb)
        self.plot.setLabel("bottom", "PLS components")

    def clear_data(self) -> None:
        self.curve.setData([], [])
        self.chosen.setData([], [])
        self.corner.setHtml("")
        self.chosen_k = None

    def set_branch(self, result: Any, ctx: D.Context) -> None:
        curve = D.components_curve(result)
        if curve is None:
            self.show_message(f"Branch {result.id} has no RMSECV-vs-components curve: the curve "
                              f"is computed for PLS regression branches.")
            return
        self.show_plot()
        k, rmse = curve
        self.curve.setData(k, rmse)
        self.plot.setLabel("left", f"RMSECV ({_target_units(ctx)})")
        chosen = D.chosen_components(result)
        self.chosen_k = chosen
        text = ""
        if chosen is not None and chosen in set(k.astype(int).tolist()):
            j = int(np.flatnonzero(k == chosen)[0])
            self.chosen.setData([k[j]], [rmse[j]])
            text = (f"<span style='color:{BEST_COLOUR}'>\u25ef</span> {chosen} components: "
                    f"RMSECV {D.format_number(float(rmse[j]))}")
        else:
            self.chosen.setData([], [])
        finite = rmse[np.isfinite(rmse)]
        if finite.size:
            j = int(np.nanargmin(rmse))
            if int(k[j]) != chosen:
                text += ("<br>" if text else "") + (f"lowest: {int(k[j])} components, "
                                                    f"RMSECV {D.format_number(float(rmse[j]))}")
            elif text:
                text += " (the lowest)"
        self.corner.setHtml(f"<div style='font-size:9pt'>{text}</div>")
        self.corner.setVisible(bool(text))
        self.plot.getAxis("bottom").setTickSpacing(major=5 if k.size > 12 else 1, minor=1)
        self.plot.vb.enableAutoRange()
        if finite.size:
            # the first components are often many times the minimum and would flatten the
            # part that matters (the minimum and where the curve levels off); they go off the
            # top (right-click > View all shows them), and the corner box gets room above
            lo, hi = float(finite.min()), float(finite.max())
            hi = min(hi, 3.0 * lo) if lo > 0 else hi
            span = hi - lo or abs(lo) or 1.0
            self.plot.vb.setYRange(lo - 0.05 * span, hi + 0.35 * span, padding=0)


class HistoryPlot(PlotPage):
    """A finetuned branch's search: the value of every completed trial and the best so far."""

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__("history", parent)
        self.history: D.History | None = None

    def _build_items(self) -> None:
        self.trials = _scatter(CV_COLOUR, "o")
        self.best = pg.PlotCurveItem(pen=pg.mkPen(BEST_COLOUR, width=2), stepMode="right")
        self.plot.addItem(self.trials)
        self.plot.addItem(self.best)
        self.corner = _corner_text(self.plot.vb)
        self.plot.setLabel("bottom", "Trial")

    def clear_data(self) -> None:
        self.trials.setData([], [])
        self.best.setData([], [])
        self.corner.setHtml("")
        self.history = None

    def set_branch(self, result: Any, ctx: D.Context) -> None:
        history = D.search_history(result)
        if history is None:
            self.show_message(f"Branch {result.id} was not finetuned: the search history is "
                              f"shown for branches with finetune_params.")
            return
        if history.value.size == 0:
            self.show_message(f"Branch {result.id}: none of its {history.n_failed} trials "
                              f"completed.")
            return
        self.show_plot()
        self.history = history
        self.trials.setData(history.number, history.value)
        # a step line: the best value holds from its trial until a better one is found
        self.best.setData(history.number, history.best_so_far, stepMode="right")
        label = D.METRIC_LABELS.get(history.metric, history.metric)
        units = f" ({_target_units(ctx)})" if history.metric in ("rmse", "mae") else ""
        self.plot.setLabel("left", f"{label}{units}")
        method = "exact PLS sweep" if history.method == "exact_sweep" else history.method
        best = float(history.best_so_far[-1])
        params = D.format_params(getattr(result, "best_params", None))
        failed = f", {history.n_failed} failed/pruned" if history.n_failed else ""
        text = (f"<span style='color:{CV_COLOUR}'>\u25cf</span> trial value &nbsp; "
                f"<span style='color:{BEST_COLOUR}'>\u2014</span> best so far<br>"
                f"{html.escape(method)}: {history.value.size} trials{failed}; best "
                f"{D.format_number(best)}<br>{html.escape(params)}")
        self.corner.setHtml(f"<div style='font-size:9pt'>{text}</div>")
        self._fit_range(history)

    def _fit_range(self, history: D.History) -> None:
        """Bad trials (e.g. a huge alpha) can be orders of magnitude worse than the best;
        show the range that separates the good ones, with room for the corner box."""
        v = history.value
        lo, hi = float(v.min()), float(v.max())
        q = float(np.quantile(v, 0.8)) if v.size >= 5 else hi
        top = q if history.direction == "minimize" else hi
        bottom = lo if history.direction == "minimize" else float(np.quantile(v, 0.2))
        span = (top - bottom) or abs(top) or 1.0
        self.plot.vb.setXRange(-0.5, float(history.number.max()) + 1.5, padding=0)
        self.plot.vb.setYRange(bottom - 0.05 * span, top + 0.6 * span, padding=0)


class SpectraPlot(PlotPage):
    """Every spectrum after the branch's preprocessing, coloured by the target, drawn by the
    same off-thread rasteriser as the main spectra view (app.common.render and
    app.common.spectra_layer)."""

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__("spectra", parent)
        self.data = None
        self._generation = 0
        self.renderer = None
        self.kept: list[tuple[float, float]] = []  # the selected windows shaded, if any

    def _build_items(self) -> None:
        from app.common.render import Renderer
        from app.common.spectra_layer import SpectraLayer

        self.renderer = Renderer(self)
        self.layer = SpectraLayer(self.renderer)
        self.plot.addItem(self.layer)
        self.plot.setLabel("left", "Preprocessed signal")
        self.plot.getAxis("bottom").setStyle(hideOverlappingLabels=20)
        self.colour_bar = pg.ColorBarItem(values=(0.0, 1.0), colorMap=colours.colour_map(),
                                          interactive=False, width=12, colorMapMenu=False)
        self.colour_bar.getAxis("right").enableAutoSIPrefix(False)
        self.plot.layout.addItem(self.colour_bar, 2, 5)
        self.plot.layout.setColumnFixedWidth(4, 6)
        self.legend = pg.LegendItem(offset=(-10, 10), labelTextSize="8pt",
                                    brush=pg.mkBrush(255, 255, 255, 210), pen=pg.mkPen("#999"))
        self.legend.setParentItem(self.plot.vb)
        self.legend.setZValue(50)
        self.kept_shade = pg.BarGraphItem(x0=[], x1=[], y0=[], height=[],
                                          brush=pg.mkBrush(*KEPT_SHADE), pen=pg.mkPen(None))
        self.kept_shade.setZValue(-10)
        self.plot.addItem(self.kept_shade, ignoreBounds=True)

    def clear_data(self) -> None:
        self.layer.set_content(None)
        self.data = None
        self.set_kept([])

    def set_kept(self, windows: list[tuple[float, float]], step: float = 0.0) -> None:
        """Shade the wavelength windows a selection step kept (none: no shading). Each is
        widened by half an axis step each side, so a single kept wavelength shows."""
        self.kept = list(windows)
        if not windows:
            self.kept_shade.setOpts(x0=[], x1=[], y0=[], height=[])
            self.kept_shade.setVisible(False)
            return
        lo = np.array([min(a, b) for a, b in windows]) - step / 2
        hi = np.array([max(a, b) for a, b in windows]) + step / 2
        y0, y1 = (self.data.y_min, self.data.y_max) if self.data is not None else (0.0, 1.0)
        pad = 0.05 * (y1 - y0 or 1.0)
        self.kept_shade.setOpts(x0=lo, x1=hi, y0=np.full(lo.size, y0 - pad),
                                height=np.full(lo.size, y1 - y0 + 2 * pad))
        self.kept_shade.setVisible(True)

    def show_message(self, text: str) -> None:
        super().show_message(text)
        self.data = None

    def set_spectra(self, spectra: Any, y: np.ndarray | None, test_mask: np.ndarray,
                    target: str, title: str) -> None:
        from app.common.render import Content, DrawGroup
        from app.model.spectra_data import colour_groups, is_numeric

        self.show_plot()
        self.data = spectra
        numeric = y is not None and is_numeric(y)
        mode = "target" if y is not None else "partition"
        groups = colour_groups(mode, y, test_mask)
        alpha = colours.alpha_for(spectra.n_samples)
        cmap = colours.colour_map()
        draw = tuple(DrawGroup(g.rows, colours.rgba(colours.group_colour(g, mode, cmap), alpha))
                     for g in groups)
        self._generation += 1
        self.layer.set_content(Content(spectra, draw, self._generation))
        if numeric:
            lo, hi = float(np.min(y)), float(np.max(y))
            self.colour_bar.setLevels((lo, hi if hi > lo else lo + 1.0))
            self.colour_bar.getAxis("left").setLabel(target)
        self.colour_bar.setVisible(numeric)
        self.legend.clear()
        if not numeric:  # classes (or train/test without a target): a legend with counts
            for g in groups[:12]:
                sample = pg.PlotDataItem(pen=pg.mkPen(colours.group_colour(g, mode, cmap), width=3))
                self.legend.addItem(sample, f"{g.label} ({g.rows.size})")
        self.legend.setVisible(not numeric)
        self.plot.setLabel("bottom", spectra.x_label)
        self.plot.setTitle(f"<span style='font-size:9pt'>{html.escape(title)}</span>")
        self.plot.vb.setRange(xRange=(spectra.x_min, spectra.x_max),
                              yRange=(spectra.y_min, spectra.y_max), padding=0.02)

    def is_drawn(self) -> bool:
        return self.built and self.layer.is_current()

    def close_plot(self) -> None:
        if not self._closed and self.renderer is not None:
            self.renderer.shutdown()
        super().close_plot()
