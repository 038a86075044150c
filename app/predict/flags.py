"""The Predict view's outlier flags: the "flagged only" filter of the table and the T² vs Q
plot of the new spectra over the calibration's.

Why the plot: a flag says "outside the model"; the plot says how far and in which way. High
Q means a spectrum the model's components cannot rebuild (another instrument, a spike, a
contaminant); high T² one that is rebuilt but lies far from the calibration's centre
(extrapolation). The calibration spectra (grey), the new ones inside the 99 % limits (blue)
and the flagged ones (red diamonds) are one app.common.dots.Dots item each, fed arrays (one
draw call per paint: pyqtgraph's ScatterPlotItem builds a record per point, ~70 ms on the GUI
thread for a 10,000-sample calibration, on every redraw and log switch); the 95 % (dashed)
and 99 % (solid) limits of T² and Q are lines named at the view's edges, and the key is
written above the plot (app.common.plot_key, as in the Explore view and the Results
diagnostics): neither covers a spectrum. Every number comes from the engine
(the PredictionResult's t2/q/flags, the saved LatentModel's limits); nothing is recomputed.
"""
from __future__ import annotations

from typing import Any

import numpy as np
import pyqtgraph as pg
from PySide6.QtCore import QModelIndex, QSortFilterProxyModel, Qt
from PySide6.QtGui import QColor
from PySide6.QtWidgets import (
    QCheckBox,
    QHBoxLayout,
    QLabel,
    QSizePolicy,
    QStackedLayout,
    QVBoxLayout,
    QWidget,
)

from app.common.dots import Dots
from app.common.plot_key import KeyEntry, LimitLabels, LimitLine, PlotKey

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


def _dots(colour: QColor, symbol: str, size: int, alpha: int) -> Dots:
    """One cloud of points, all in one outlined, slightly transparent mark."""
    item = Dots()
    item.set_sprites([(symbol, size, pg.mkPen(colour.darker(130)),
                       pg.mkBrush(colour.red(), colour.green(), colour.blue(), alpha))])
    return item


def _decade_ticks(values: np.ndarray) -> list[list[tuple[float, str]]]:
    """Ticks of a log10 axis drawn from log10 data: decades labelled ("0.01", "1", "100"),
    2..9 times a decade unlabelled (pyqtgraph's own log ticks crowd into each other)."""
    v = np.log10(np.maximum(np.asarray(values, dtype=float), 1e-12))
    lo, hi = int(np.floor(v.min())) - 1, int(np.ceil(v.max())) + 1
    major = [(float(k), f"{10.0**k:g}") for k in range(lo, hi + 1)]
    minor = [(float(k + np.log10(m)), "") for k in range(lo, hi) for m in range(2, 10)]
    return [major, minor]


class InfluencePlot(QWidget):
    """T² vs Q of the calibration and of the new spectra, with the limit lines; a sentence
    instead when the model kept no diagnostics. "Log axes" (on by itself when a new spectrum
    lies ten times beyond a 99 % limit, as another instrument's do) keeps the calibration's
    cloud readable beside far outliers."""

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
        self.key = PlotKey(item)                  # above the plot: it covers no spectrum
        self.limit_labels = LimitLabels(item)
        self.plot.setToolTip("Drag to pan, the wheel zooms; the table's Flag column names "
                             "the limit each spectrum broke")
        self.calibration = _dots(CAL_COLOUR, "o", 5, 110)
        self.inside = _dots(NEW_COLOUR, "o", 7, 190)
        self.outside = _dots(FLAG_COLOUR, "d", 9, 230)
        for scatter in (self.calibration, self.inside, self.outside):
            item.addItem(scatter)
        self.lines: dict[str, float] = {}           # label -> limit (T² or Q, not logged)
        self._line_items: list[pg.InfiniteLine] = []
        self.line_of: dict[str, pg.InfiniteLine] = {}   # label -> its line (as drawn)
        self._raw: dict[str, tuple[np.ndarray, np.ndarray]] = {}
        self.log_box = QCheckBox("Log axes")
        self.log_box.setObjectName("predictInfluenceLog")
        self.log_box.setToolTip("T\u00b2 and Q on logarithmic axes: far outliers and the "
                                "calibration readable together")
        self.log_box.toggled.connect(lambda _on: self._redraw())
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
        under = QHBoxLayout()
        under.addWidget(self.caption, 1)
        under.addWidget(self.log_box)
        box.addLayout(under)
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
        self._raw = {}
        if influence is None:
            self.message.setText(message)
            self._stack.setCurrentWidget(self.message)
            self._redraw()
            return
        if influence.t2 is not None and influence.q is not None:
            self._raw["calibration"] = (np.asarray(influence.t2, dtype=float),
                                        np.asarray(influence.q, dtype=float))
        unit = "LV" if influence.kind == "pls" else "PC"
        self.plot.getPlotItem().setLabel(
            "bottom", f"Hotelling T\u00b2 ({influence.n_components} {unit})")
        note = influence.note
        self.caption.setText(note[:1].upper() + note[1:] if note else "")
        self._stack.setCurrentWidget(self._plot_page)
        self._redraw()

    def set_new(self, t2: np.ndarray | None, q: np.ndarray | None,
                flagged: np.ndarray | None) -> None:
        """The new spectra: inside (blue) and flagged (red); None clears them. Log axes are
        chosen when a new spectrum lies ten times beyond a 99 % limit."""
        self._raw.pop("inside", None)
        self._raw.pop("outside", None)
        if t2 is not None and q is not None and self._influence is not None:
            t2, q = np.asarray(t2, dtype=float), np.asarray(q, dtype=float)
            out = (np.zeros(t2.size, dtype=bool) if flagged is None
                   else np.asarray(flagged, dtype=bool))
            self._raw["inside"] = (t2[~out], q[~out])
            self._raw["outside"] = (t2[out], q[out])
            lim = self._influence.limits
            far = any(values.size and float(values.max()) > 10 * lim[name].get(0.99, np.inf)
                      for name, values in (("t2", t2), ("q", q)) if name in lim)
            if far != self.log_box.isChecked():
                self.log_box.setChecked(far)      # redraws
                return
        self._redraw()

    def _redraw(self) -> None:
        log = self.log_box.isChecked()

        def tx(values: np.ndarray) -> np.ndarray:
            v = np.asarray(values, dtype=float)
            return np.log10(np.maximum(v, 1e-12)) if log else v

        item = self.plot.getPlotItem()
        for side, stat in (("bottom", 0), ("left", 1)):
            values = [v[stat] for v in self._raw.values() if v[stat].size]
            item.getAxis(side).setTicks(_decade_ticks(np.concatenate(values)) if log and values
                                        else None)
        for name, scatter in (("calibration", self.calibration), ("inside", self.inside),
                              ("outside", self.outside)):
            x, y = self._raw.get(name, (np.zeros(0), np.zeros(0)))
            scatter.set_points(tx(x), tx(y))
        for line in self._line_items:
            self.plot.removeItem(line)
        self._line_items, self.lines, self.line_of = [], {}, {}
        named: dict[int, list[LimitLine]] = {90: [], 0: []}
        if self._influence is not None:
            for name, angle in (("t2", 90), ("q", 0)):
                for level, value in sorted(self._influence.limits.get(name, {}).items()):
                    label = f"{STAT_NAMES[name]} {_pct(level)}"
                    pos = float(tx(np.array([value]))[0])
                    self._add_line(pos, angle, label, level)
                    self.lines[label] = float(value)
                    named[angle].append(LimitLine(pos, label,
                                                  LIMIT_COLOURS.get(level, "#606060")))
        self.limit_labels.set(named[90], named[0])
        self._refresh_key()
        self._fit(tx)

    def _add_line(self, pos: float, angle: int, label: str, level: float) -> None:
        colour = LIMIT_COLOURS.get(level, "#606060")
        style = Qt.PenStyle.SolidLine if level >= 0.99 else Qt.PenStyle.DashLine
        line = pg.InfiniteLine(pos=pos, angle=angle,
                               pen=pg.mkPen(colour, width=1.3, style=style))
        self.plot.addItem(line, ignoreBounds=True)
        self._line_items.append(line)
        self.line_of[label] = line

    def _refresh_key(self) -> None:
        entries = []
        for scatter, name, colour, mark in (
                (self.calibration, "calibration", CAL_COLOUR, "\u25cf"),
                (self.inside, "new, inside", NEW_COLOUR, "\u25cf"),
                (self.outside, "new, outside (99 %)", FLAG_COLOUR, "\u25c6")):
            n = scatter.x.size
            if n:
                entries.append(KeyEntry(colour.name(), f"{name} ({n:,})", mark))
        self.key.set(entries)

    def _fit(self, tx: Any) -> None:
        """All points and every limit line in view (in the plotted, maybe logged, units),
        room for the limits' labels where they would cover a spectrum."""
        xs = [tx(x) for x, _ in self._raw.values() if x.size]
        ys = [tx(y) for _, y in self._raw.values() if y.size]
        x_all = np.concatenate(xs) if xs else np.zeros(0)
        y_all = np.concatenate(ys) if ys else np.zeros(0)
        if not self.log_box.isChecked():     # T² and Q are >= 0: the origin in view
            x_all, y_all = np.append(x_all, 0.0), np.append(y_all, 0.0)
        item = self.plot.getPlotItem()
        item.layout.activate()     # the key's row may have changed: fit the real view box
        self.limit_labels.fit_range(x_all, y_all, padding=0.03)
        # pyqtgraph would move the items to the new range at the start of the next paint,
        # and they would then ask for a second paint: moved now, one paint draws it
        item.vb.updateMatrix()

    def points(self) -> dict[str, tuple[np.ndarray, np.ndarray]]:
        """What is drawn: name -> (T², Q) in the data's units (also with log axes)."""
        empty = (np.zeros(0), np.zeros(0))
        return {name: self._raw.get(name, empty) for name in ("calibration", "inside",
                                                              "outside")}

    def close_plot(self) -> None:
        self.plot.close()
