"""The Predict view's outlier flags: the "flagged only" filter of the table and the T² vs Q
plot of the new spectra over the calibration's.

Why the plot: a flag says "outside the model"; the plot says how far and in which way. High
Q means a spectrum the model's components cannot rebuild (another instrument, a spike, a
contaminant); high T² one that is rebuilt but lies far from the calibration's centre
(extrapolation). The calibration spectra (grey), the new ones inside the 99 % limits (blue)
and the flagged ones (red diamonds) are one scatter item each, fed arrays; the 95 % (dashed)
and 99 % (solid) limits of T² and Q are labelled lines. Every number comes from the engine
(the PredictionResult's t2/q/flags, the saved LatentModel's limits); nothing is recomputed.
"""
from __future__ import annotations

from typing import Any

import numpy as np
import pyqtgraph as pg
from PySide6.QtCore import QModelIndex, QSortFilterProxyModel, Qt
from PySide6.QtGui import QColor
from PySide6.QtWidgets import QLabel, QSizePolicy, QStackedLayout, QVBoxLayout, QWidget

__all__ = ["FlagFilterProxy", "InfluencePlot"]

CAL_COLOUR = QColor(130, 130, 130)
NEW_COLOUR = QColor("#1f77b4")
FLAG_COLOUR = QColor("#d62728")
LIMIT_COLOURS = {0.95: "#e08000", 0.99: "#b00020"}
STAT_NAMES = {"t2": "T\u00b2", "q": "Q"}


class FlagFilterProxy(QSortFilterProxyModel):
    """Sorting as before, plus "flagged only": rows whose spectrum is inside the model are
    hidden while ``set_flagged_only(True)``."""

    def __init__(self, parent: Any = None) -> None:
        super().__init__(parent)
        self._only = False

    def set_flagged_only(self, on: bool) -> None:
        if on != self._only:
            if hasattr(self, "beginFilterChange"):   # Qt >= 6.9 (invalidateFilter deprecated)
                self.beginFilterChange()
                self._only = on
                self.endFilterChange(QSortFilterProxyModel.Direction.Rows)
            else:
                self._only = on
                self.invalidateFilter()

    def flagged_only(self) -> bool:
        return self._only

    def filterAcceptsRow(self, source_row: int, source_parent: QModelIndex) -> bool:
        if not self._only:
            return True
        return bool(self.sourceModel().is_flagged(source_row))


def _pct(level: float) -> str:
    return f"{level * 100:g} %"


def _scatter(colour: QColor, symbol: str, size: int, alpha: int) -> pg.ScatterPlotItem:
    return pg.ScatterPlotItem(size=size, symbol=symbol, pen=pg.mkPen(colour.darker(130)),
                              brush=pg.mkBrush(colour.red(), colour.green(), colour.blue(),
                                               alpha))


class InfluencePlot(QWidget):
    """T² vs Q of the calibration and of the new spectra, with the limit lines; a sentence
    instead when the model kept no diagnostics."""

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.plot = pg.PlotWidget(background="w")
        self.plot.setObjectName("predictInfluence")
        self.plot.setSizePolicy(QSizePolicy.Policy.Ignored, QSizePolicy.Policy.Ignored)
        item = self.plot.getPlotItem()
        for side in ("bottom", "left"):
            axis = item.getAxis(side)
            axis.setPen("k")
            axis.setTextPen("k")
            axis.enableAutoSIPrefix(False)
        item.setLabel("bottom", "Hotelling T\u00b2")
        item.setLabel("left", "Q residual (SPE)")
        self.legend = item.addLegend(offset=(-8, 4), colCount=3, labelTextColor="k",
                                     labelTextSize="8pt",
                                     brush=pg.mkBrush(255, 255, 255, 220),
                                     pen=pg.mkPen("#c0c0c0"))
        self.calibration = _scatter(CAL_COLOUR, "o", 5, 110)
        self.inside = _scatter(NEW_COLOUR, "o", 7, 190)
        self.outside = _scatter(FLAG_COLOUR, "d", 9, 230)
        for scatter in (self.calibration, self.inside, self.outside):
            item.addItem(scatter)
        self.lines: dict[str, float] = {}
        self._line_items: list[pg.InfiniteLine] = []
        self.message = QLabel("")
        self.message.setObjectName("predictInfluenceMessage")
        self.message.setWordWrap(True)
        self.message.setAlignment(Qt.AlignmentFlag.AlignCenter)
        self.message.setStyleSheet("color: #505050; padding: 12px;")
        self.caption = QLabel("")
        self.caption.setObjectName("predictInfluenceCaption")
        self.caption.setWordWrap(True)
        self.caption.setStyleSheet("color: #505050;")
        plot_page = QWidget()
        box = QVBoxLayout(plot_page)
        box.setContentsMargins(0, 0, 0, 0)
        box.setSpacing(2)
        box.addWidget(self.plot, 1)
        box.addWidget(self.caption)
        self._stack = QStackedLayout(self)
        self._stack.addWidget(self.message)
        self._stack.addWidget(plot_page)
        self._plot_page = plot_page
        self._influence: Any = None
        self.set_calibration(None, "Choose a model and predict: the new spectra appear here "
                             "against the calibration's T\u00b2 and Q limits.")

    def is_plot_shown(self) -> bool:
        return self._stack.currentWidget() is self._plot_page

    def set_calibration(self, influence: Any, message: str = "") -> None:
        """The calibration's points and limits (app.predict.jobs.CalibrationInfluence), or
        ``message`` when there are none; the new spectra are cleared."""
        self._influence = influence
        self.inside.setData([], [])
        self.outside.setData([], [])
        for line in self._line_items:
            self.plot.removeItem(line)
        self._line_items, self.lines = [], {}
        if influence is None:
            self.calibration.setData([], [])
            self.message.setText(message)
            self._stack.setCurrentWidget(self.message)
            return
        if influence.t2 is not None:
            self.calibration.setData(influence.t2, influence.q)
        else:
            self.calibration.setData([], [])
        for name, angle in (("t2", 90), ("q", 0)):
            for level, value in sorted(influence.limits.get(name, {}).items()):
                label = f"{STAT_NAMES[name]} {_pct(level)}"
                self._add_line(value, angle, label, level)
        space = ("PLS" if influence.kind == "pls" else "PCA")
        self.plot.getPlotItem().setLabel(
            "bottom", f"Hotelling T\u00b2 ({influence.n_components} "
                      f"{'LV' if space == 'PLS' else 'PC'})")
        self.caption.setText(influence.note[:1].upper() + influence.note[1:]
                             if influence.note else "")
        self.caption.setVisible(bool(influence.note))
        self._refresh_legend()
        self._stack.setCurrentWidget(self._plot_page)
        self._fit()

    def set_new(self, t2: np.ndarray | None, q: np.ndarray | None,
                flagged: np.ndarray | None) -> None:
        """The new spectra: inside (blue) and flagged (red); None clears them."""
        if t2 is None or q is None or self._influence is None:
            self.inside.setData([], [])
            self.outside.setData([], [])
        else:
            t2, q = np.asarray(t2, dtype=float), np.asarray(q, dtype=float)
            out = (np.zeros(t2.size, dtype=bool) if flagged is None
                   else np.asarray(flagged, dtype=bool))
            self.inside.setData(t2[~out], q[~out])
            self.outside.setData(t2[out], q[out])
        self._refresh_legend()
        self._fit()

    def _add_line(self, pos: float, angle: int, label: str, level: float) -> None:
        colour = LIMIT_COLOURS.get(level, "#606060")
        style = Qt.PenStyle.SolidLine if level >= 0.99 else Qt.PenStyle.DashLine
        line = pg.InfiniteLine(
            pos=pos, angle=angle, pen=pg.mkPen(colour, width=1.3, style=style), label=label,
            labelOpts={"position": 0.97 if level >= 0.99 else 0.85, "color": colour,
                       "movable": False, "fill": pg.mkBrush(255, 255, 255, 200),
                       "anchors": [(0, 0), (0, 0)] if angle == 90 else [(1, 1), (1, 1)]})
        self.plot.addItem(line, ignoreBounds=True)
        self._line_items.append(line)
        self.lines[label] = float(pos)

    def _refresh_legend(self) -> None:
        self.legend.clear()
        for scatter, name in ((self.calibration, "calibration"), (self.inside, "new, inside"),
                              (self.outside, "new, outside (99 %)")):
            n = len(scatter.data)
            if n:
                self.legend.addItem(scatter, f"{name} ({n:,})")

    def _fit(self) -> None:
        """All points and every limit line in view, a band at the top for the legend."""
        xs = [s.data["x"] for s in (self.calibration, self.inside, self.outside) if len(s.data)]
        ys = [s.data["y"] for s in (self.calibration, self.inside, self.outside) if len(s.data)]
        lim = self._influence.limits if self._influence is not None else {}
        x_hi = max([float(np.max(x)) for x in xs] + list(lim.get("t2", {}).values()) + [1e-12])
        y_hi = max([float(np.max(y)) for y in ys] + list(lim.get("q", {}).values()) + [1e-12])
        vb = self.plot.getPlotItem().vb
        band = 0.15
        if self.legend.items and vb.height() > 0:   # the legend's height kept free at the top
            band = min(0.5, (self.legend.boundingRect().height() + 10) / vb.height())
        vb.setRange(xRange=(0.0, x_hi * 1.06), yRange=(0.0, y_hi * 1.04 / (1.0 - band)),
                    padding=0.02)

    def points(self) -> dict[str, tuple[np.ndarray, np.ndarray]]:
        """What is drawn: name -> (T², Q) (tests)."""
        return {name: (np.asarray(s.data["x"]), np.asarray(s.data["y"]))
                for name, s in (("calibration", self.calibration), ("inside", self.inside),
                                ("outside", self.outside))}

    def close_plot(self) -> None:
        self.plot.close()
