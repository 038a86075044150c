"""The spectra plot: every spectrum, coloured by target or partition, with hover, selection,
mean +- std band, colour bar / legend, and PNG/SVG export.

Graphics items, whatever the number of spectra:
  one SpectraLayer (all spectra, rendered off the GUI thread, app/common/render.py); spectra
    excluded from runs are one grey group drawn first, under the others, so they stay
    visible (the user may want them back) without being mistaken for the data modelled
  the mean line and the +- std band (three curves and a fill)
  the selection overlay (one PlotCurveItem, all selected spectra joined by a connect array;
    a very large selection is drawn by the layer instead, as a last colour group)
  the hover overlay (one curve) and its label
Mouse: hover shows the nearest spectrum; click selects it (Ctrl+click adds/removes); Shift+drag,
or a plain drag in box-select mode, selects every spectrum crossing the box (Ctrl adds); drag
pans, right-drag or the wheel zooms (pyqtgraph's defaults).
"""
from __future__ import annotations

from pathlib import Path

import numpy as np
import pyqtgraph as pg
from PySide6.QtCore import QPointF, QRectF, Qt, Signal
from PySide6.QtGui import QColor
from PySide6.QtWidgets import QVBoxLayout, QWidget

from app.common import colours
from app.common.pick_viewbox import PickViewBox
from app.common.render import Content, DrawGroup, Renderer
from app.common.spectra_layer import SpectraLayer
from app.model.spectra_data import colour_groups, format_value, is_numeric
from app.model.state import WorkbenchState

pg.setConfigOptions(background="w", foreground="k", antialias=False)

HOVER_PIXELS = 8                  # how close (vertically) the mouse must be to a spectrum
EXCLUDED_RGB = (150, 150, 150)    # grey: spectra left out of runs
OVERLAY_MAX_POINTS = 300_000      # larger selections are drawn by the layer, off-thread


class SpectraView(QWidget):
    hover_changed = Signal(str)   # text describing the hovered spectrum ("" when none)
    drawn = Signal()              # every spectrum is on screen for the current view

    def __init__(self, state: WorkbenchState, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.state = state
        self.hovered: int | None = None
        self._generation = 0
        self._groups: tuple | None = None   # (key, colour groups, the arrays they came from)
        self._layer_selection = False  # the layer draws the selection (too big for overlay)

        self.graphics = pg.GraphicsLayoutWidget()
        self.graphics.setObjectName("spectraGraphics")
        self.graphics.setAcceptDrops(False)  # files dropped here go to the main window
        self.graphics.viewport().setAcceptDrops(False)
        self.vb = PickViewBox()
        self.plot: pg.PlotItem = self.graphics.addPlot(row=0, col=0, viewBox=self.vb)
        # no grid by default: it costs ~15 ms per repaint (the plot's right-click menu has it)
        self.plot.showGrid(x=False, y=False)
        self.plot.setLabel("left", "Signal")
        self.plot.setLabel("bottom", "Wavelength", units=None)
        self.plot.setMenuEnabled(True)
        self.plot.hideButtons()
        for name in ("left", "bottom"):
            self.plot.getAxis(name).enableAutoSIPrefix(False)
        # let the last wavelength label (e.g. "1050" at the right end) overhang the axis a bit
        self.plot.getAxis("bottom").setStyle(hideOverlappingLabels=20)
        self.colour_bar = pg.ColorBarItem(values=(0.0, 1.0), colorMap=colours.colour_map(),
                                          interactive=False, width=14, label="target",
                                          colorMapMenu=False)
        self.colour_bar.getAxis("right").enableAutoSIPrefix(False)
        self._bar_shown = False
        self._show_bar(True)
        self.legend = pg.LegendItem(offset=(-10, 10), labelTextSize="9pt",
                                    brush=pg.mkBrush(255, 255, 255, 210), pen=pg.mkPen("#999"))
        self.legend.setParentItem(self.vb)
        self.legend.setZValue(50)

        self.renderer = Renderer(self)
        self.layer = SpectraLayer(self.renderer)
        self.layer.setZValue(0)
        self.layer.drawn.connect(self.drawn)
        self.plot.addItem(self.layer)

        band_pen = pg.mkPen(colours.MEAN, width=1, style=Qt.PenStyle.DashLine)
        self.band_upper = pg.PlotCurveItem(pen=band_pen, skipFiniteCheck=True)
        self.band_lower = pg.PlotCurveItem(pen=band_pen, skipFiniteCheck=True)
        self.band_fill = pg.FillBetweenItem(self.band_lower, self.band_upper,
                                            brush=pg.mkBrush(60, 60, 60, 45))
        self.mean_curve = pg.PlotCurveItem(pen=pg.mkPen(colours.MEAN, width=2),
                                           skipFiniteCheck=True)
        self.selection_curve = pg.PlotCurveItem(pen=pg.mkPen(colours.SELECTION, width=2),
                                                skipFiniteCheck=True)
        self.hover_curve = pg.PlotCurveItem(pen=pg.mkPen(colours.HOVER, width=3),
                                            skipFiniteCheck=True)
        self.hover_label = pg.TextItem("", color="k", fill=pg.mkBrush(255, 255, 230, 230),
                                       border=pg.mkPen("#888"), anchor=(0, 1))
        for z, item in enumerate((self.band_fill, self.band_upper, self.band_lower,
                                  self.mean_curve, self.selection_curve, self.hover_curve,
                                  self.hover_label), start=10):
            item.setZValue(z)
            self.plot.addItem(item, ignoreBounds=True)
        for item in (self.band_fill, self.band_upper, self.band_lower, self.mean_curve,
                     self.hover_label):
            item.hide()

        self._mouse_proxy = pg.SignalProxy(self.plot.scene().sigMouseMoved, rateLimit=60,
                                           slot=self._on_mouse_moved)
        self.vb.clicked.connect(self._on_click)
        self.vb.boxed.connect(self._on_box)

        layout = QVBoxLayout(self)
        layout.setContentsMargins(0, 0, 0, 0)
        layout.addWidget(self.graphics)

        for event, slot in (("shown", self._on_shown), ("target", self._on_colours),
                            ("task", self._on_colours),
                            ("colour_mode", self._on_colours), ("band", self._update_band),
                            ("selection", self._update_selection),
                            ("exclusions", self._on_colours),
                            ("dataset", self._clear_hover)):
            state.events.connect(event, slot)

    # -- public -------------------------------------------------------------------------------
    def is_drawn(self) -> bool:
        return self.layer.is_current()

    def set_box_mode(self, on: bool) -> None:
        self.vb.box_mode = bool(on)

    def reset_zoom(self) -> None:
        data = self.state.shown
        if data is None:
            return
        self.vb.setRange(xRange=(data.x_min, data.x_max), yRange=(data.y_min, data.y_max),
                         padding=0.02)

    def export(self, path: str | Path) -> Path:
        """Write the plot with its colour bar or legend as PNG or SVG (by the suffix)."""
        from app.common.plot_export import export_plot

        hidden = [i for i in (self.hover_curve, self.hover_label) if i.isVisible()]
        for item in hidden:
            item.hide()
        try:
            return export_plot(self.graphics, path)
        finally:
            for item in hidden:
                item.show()

    def shutdown(self) -> None:
        """Stop the render thread and close the plot widget (clean interpreter exit)."""
        self._mouse_proxy.disconnect()
        self.renderer.shutdown()
        self.graphics.close()

    # -- drawing ------------------------------------------------------------------------------
    def _on_shown(self) -> None:
        data = self.state.shown
        self._clear_hover()
        if data is None:
            self.layer.set_content(None)
            return
        preprocessed = data is not self.state.raw
        self.plot.setLabel("bottom", data.x_label)
        self.plot.setLabel("left", "Preprocessed signal" if preprocessed else "Signal")
        self._set_title()
        self._rebuild_content()
        self.vb.enableAutoRange(False, False)
        self.reset_zoom()
        self._update_band()
        self._update_selection()

    def _on_colours(self) -> None:
        self._rebuild_content()
        self._set_title()
        if self.hovered is not None:
            self._show_hover(self.hovered, None)

    def _set_title(self) -> None:
        ds, data = self.state.dataset, self.state.shown
        if ds is None or data is None:
            self.plot.setTitle("")
            return
        what = data.title
        self.plot.setTitle(f"<span style='font-size:10pt'>{ds.name} \u2014 {ds.n_samples:,} "
                           f"spectra, {what}</span>")

    def _rebuild_content(self) -> None:
        state, data = self.state, self.state.shown
        if data is None or state.dataset is None:
            self.layer.set_content(None)
            return
        mode, y = state.colour_mode, state.y
        key = (mode, id(y), np.size(y), id(state.dataset.test_mask))
        if self._groups is None or self._groups[0] != key:   # not again for the same colours
            self._groups = (key, colour_groups(mode, y, state.dataset.test_mask), y,
                            state.dataset.test_mask)        # (arrays kept: ids stay unique)
        groups = self._groups[1]
        alpha = colours.alpha_for(data.n_samples)
        cmap = colours.colour_map()
        excluded = state.excluded
        draw = []
        if excluded.size:
            draw.append(DrawGroup(excluded, EXCLUDED_RGB + (max(60, alpha // 2),)))
        draw += [DrawGroup(rows, colours.rgba(colours.group_colour(g, mode, cmap), alpha))
                 for g in groups
                 if (rows := np.setdiff1d(g.rows, excluded, assume_unique=True)).size]
        sel = state.selection
        self._layer_selection = bool(sel.size * data.Y.shape[1] > OVERLAY_MAX_POINTS)
        if self._layer_selection:
            draw.append(DrawGroup(sel, colours.rgba(QColor(colours.SELECTION), 160)))
        self._generation += 1
        self.layer.set_content(Content(data, tuple(draw), self._generation))
        self._update_key(groups, mode, y, cmap, excluded.size)

    def _update_key(self, groups, mode: str, y, cmap, n_excluded: int = 0) -> None:
        """Colour bar for a numeric target, legend for classes and partition; the legend
        names the grey excluded spectra whenever there are some."""
        self.legend.clear()
        numeric = mode == "target" and is_numeric(y)
        if numeric:
            lo, hi = float(np.min(y)), float(np.max(y))
            if hi <= lo:
                hi = lo + 1.0
            self.colour_bar.setLevels((lo, hi))
            self.colour_bar.getAxis("left").setLabel(self.state.dataset.target)
        self._show_bar(numeric)
        if not numeric and groups:
            for g in groups[:12]:
                sample = pg.PlotDataItem(pen=pg.mkPen(colours.group_colour(g, mode, cmap),
                                                      width=3))
                self.legend.addItem(sample, f"{g.label} ({g.rows.size})")
            if len(groups) > 12:
                self.legend.addItem(pg.PlotDataItem(pen=None), f"+ {len(groups) - 12} more")
        if n_excluded:
            self.legend.addItem(pg.PlotDataItem(pen=pg.mkPen(EXCLUDED_RGB, width=3)),
                                f"excluded ({n_excluded})")
        self.legend.setVisible((not numeric and bool(groups)) or n_excluded > 0)

    def _show_bar(self, on: bool) -> None:
        """The colour bar sits in the plot's own grid (column 5, as pyqtgraph's
        ColorBarItem.setImageItem(insert_in=...) places it), so it lines up with the axes."""
        if on == self._bar_shown:
            return
        layout = self.plot.layout
        if on:
            layout.addItem(self.colour_bar, 2, 5)
            layout.setColumnFixedWidth(4, 8)
        else:
            layout.removeItem(self.colour_bar)
            layout.setColumnFixedWidth(4, 0)
        self.colour_bar.setVisible(on)
        self._bar_shown = on

    def _update_band(self) -> None:
        data = self.state.shown
        on = self.state.band and data is not None
        for item in (self.band_fill, self.band_upper, self.band_lower, self.mean_curve):
            item.setVisible(on)
        if on:
            self.mean_curve.setData(data.x, data.mean)
            self.band_upper.setData(data.x, data.mean + data.std)
            self.band_lower.setData(data.x, data.mean - data.std)

    def _update_selection(self) -> None:
        data, sel = self.state.shown, self.state.selection
        small = data is not None and sel.size * data.Y.shape[1] <= OVERLAY_MAX_POINTS
        if data is None or sel.size == 0 or not small:
            self.selection_curve.setData([], [])
        else:
            p = data.Y.shape[1]
            connect = np.ones(sel.size * p, dtype=bool)
            connect[p - 1::p] = False
            self.selection_curve.setData(np.tile(data.x, sel.size), data.Y[sel].ravel(),
                                         connect=connect)
        if data is not None and (self._layer_selection or not small):
            self._rebuild_content()  # add or drop the layer's selection group

    # -- mouse --------------------------------------------------------------------------------
    def _on_mouse_moved(self, args) -> None:
        pos = args[0]
        data = self.state.shown
        if data is None or not self.vb.sceneBoundingRect().contains(pos):
            self._clear_hover()
            return
        point = self.vb.mapSceneToView(pos)
        row = self._nearest(point)
        if row is None:
            self._clear_hover()
        else:
            self._show_hover(row, point)

    def _nearest(self, point: QPointF) -> int | None:
        data = self.state.shown
        if data is None:
            return None
        _, py = self.vb.viewPixelSize()
        return data.nearest(point.x(), point.y(), HOVER_PIXELS * py)

    def describe(self, row: int) -> str:
        ds = self.state.dataset
        parts = [f"sample {ds.sample_ids[row]}"]
        if ds.target is not None:
            parts.append(f"{ds.target} = {format_value(ds.y[row])}")
        parts.append("test" if ds.test_mask[row] else "train")
        if ds.excluded[row]:
            parts.append("excluded")
        return " \u00b7 ".join(parts)

    def _show_hover(self, row: int, point: QPointF | None) -> None:
        data = self.state.shown
        self.hovered = row
        self.hover_curve.setData(data.x, data.Y[row])
        self.hover_curve.show()
        text = self.describe(row)
        self.hover_label.setText(text)
        if point is not None:
            x0, x1 = self.vb.viewRange()[0]
            right_half = point.x() > (x0 + x1) / 2
            self.hover_label.setAnchor((1.05, 1.2) if right_half else (-0.05, 1.2))
            self.hover_label.setPos(point)
        self.hover_label.show()
        self.hover_changed.emit(text)

    def show_row(self, row: int) -> None:
        """Highlight one spectrum as if hovered (the selection table uses this)."""
        data = self.state.shown
        if data is None or not 0 <= row < data.n_samples:
            return
        j = int(np.argmax(data.Y[row])) if data.Y.shape[1] else 0
        self._show_hover(row, QPointF(float(data.x[j]), float(data.Y[row, j])))

    def _clear_hover(self) -> None:
        if self.hovered is None and not self.hover_label.isVisible():
            return
        self.hovered = None
        self.hover_curve.setData([], [])
        self.hover_label.hide()
        self.hover_changed.emit("")

    def _on_click(self, point: QPointF, modifiers) -> None:
        row = self._nearest(point)
        add = bool(modifiers & Qt.KeyboardModifier.ControlModifier)
        sel = self.state.selection
        if row is None:
            if not add:
                self.state.set_selection([])
            return
        if not add:
            self.state.set_selection([row])
            return
        self.state.set_selection(sel[sel != row] if row in sel else np.append(sel, row))

    def _on_box(self, rect: QRectF, modifiers) -> None:
        data = self.state.shown
        if data is None:
            return
        rows = data.rows_in_box(rect.left(), rect.right(), rect.top(), rect.bottom())
        if modifiers & Qt.KeyboardModifier.ControlModifier:
            rows = np.union1d(self.state.selection, rows)
        self.state.set_selection(rows)
