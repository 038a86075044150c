"""The results' Diagnostics tab: what is inside a PLS branch, and which samples it strains.

One plot, five views chosen above it (the results dock is short: five small plots side by
side would be unreadable):

- Regression vector and VIP against the wavelength axis of the preprocessed data (named by
  the dataset's units; VIP = 1, Wold's usual threshold, drawn and labelled);
- Scores: LV i against LV j (chosen), coloured by the reference value or class;
- T² vs Q of the calibration (the influence plot), the 95 % and 99 % limits as labelled
  lines, the samples outside a 99 % limit drawn apart;
- Studentized residuals vs leverage (PLS regression).

A branch whose model is not PLS gets the T² vs Q of its latent model only, and a sentence
saying why. Every number comes from engine.diagnostics (app.results.diagnostics_task); this
module draws them.

Linked selection, with the mouse of the spectra view and the Explore view: in the scores and
influence plots a click picks the nearest sample (within a few pixels), Ctrl+click adds or
removes one, Shift+drag draws a box (Ctrl+Shift+drag adds to the selection), a click on empty
space clears it; a plain drag pans, the wheel and the right button zoom. The key is written
above the plot and the limits are named at its edges (app.common.plot_key): neither covers a
sample. The page emits ``rows_selected`` with DATASET rows and highlights
whatever ``show_selection`` is given.

Why no pyqtgraph ScatterPlotItem: at 10,000 samples its setData builds a record per point in
Python, and a view switch cost 54-280 ms on the GUI thread (measured). The samples are ONE
app.common.dots.Dots item (a sprite per colour, the colour of each point an index into them:
the scores plot's classes or reference levels need no item per group), the marks outside a
99 % limit a second, the selection's rings a third; each paint is one array-fed draw call,
and picking is a vectorised distance in pixels. A view switch, a highlight or a box stays
within ~50 ms at 10,000 samples.
"""
from __future__ import annotations

import functools
import html
from pathlib import Path
from typing import Any

import numpy as np
import pyqtgraph as pg
from PySide6.QtCore import QPointF, QRectF, Qt, Signal
from PySide6.QtGui import QColor
from PySide6.QtWidgets import QComboBox, QHBoxLayout, QLabel, QSpinBox, QVBoxLayout, QWidget

from app.common import colours
from app.common.dots import Dots, Sprite
from app.common.pick_viewbox import PickViewBox
from app.common.plot_key import KeyEntry, LimitLabels, LimitLine, PlotKey
from app.results.diagnostics_task import BranchDiagnostics
from app.results.plots import PlotPage

__all__ = ["VIEWS", "DiagnosticsPage", "PickViewBox"]

VIEWS = {"coef": "Regression vector", "vip": "VIP", "scores": "Scores",
         "influence": "T\u00b2 vs Q (influence)", "residuals": "Studentized residuals vs leverage"}
PICK_PIXELS = 8                  # a click picks the nearest sample within this many pixels
POINT_SIZE = 6                   # pixels
POINT_COLOUR = "#1f77b4"
OUTSIDE_COLOUR = "#d62728"
LIMIT_COLOURS = {0.95: "#e08000", 0.99: "#b00020"}
LINE_COLOUR = "#606060"
N_BINS = 8                       # colour levels of a reference value in the scores plot
HINT = ("Click a sample to select it, Ctrl+click to add or remove one, Shift+drag a box to "
        "select several (Ctrl+Shift+drag adds); drag pans, the wheel zooms")


def palette_of(groups: tuple[np.ndarray, list[str]] | None, k: int) -> str:
    """The colour of group ``k`` (the scores plot's key)."""
    return groups[1][k] if groups is not None and k < len(groups[1]) else POINT_COLOUR


def _pct(level: float) -> str:
    return f"{level * 100:g} %"


@functools.cache
def _level_palette() -> tuple[str, ...]:
    """The N_BINS colours of the reference levels (built once: the colour map costs ~12 ms
    on the GUI thread, on every switch to the scores plot before)."""
    cmap = colours.colour_map()
    return tuple(cmap.map(v, mode="qcolor").name()
                 for v in np.linspace(*colours.MAP_SPAN, N_BINS))


def _dot(colour: str, alpha: int, symbol: str = "o", size: float = POINT_SIZE,
         outline: QColor | None = None) -> Sprite:
    """One sprite of a Dots item: a filled mark, outlined only when ``outline`` is given."""
    c = QColor(colour)
    c.setAlpha(alpha)
    return (symbol, size, pg.mkPen(outline) if outline is not None else pg.mkPen(None),
            pg.mkBrush(c))


class DiagnosticsPlot(PlotPage):
    """The one plot of the tab: curves against wavelength, or the samples as one Dots item
    with the marks outside a limit and the selection's rings drawn over it (the subsets'
    arrays)."""

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__("diagnostics", parent)
        self.px = np.zeros(0)
        self.py = np.zeros(0)
        self.point_rows = np.zeros(0, dtype=np.intp)   # dataset row of each plotted point
        self.lines: dict[str, float] = {}              # label -> position of each line drawn
        self.curves: dict[str, tuple[np.ndarray, np.ndarray]] = {}
        self._extra: list[Any] = []
        self._line_pool: list[pg.InfiniteLine] = []   # reused: a new line costs ~1 ms
        self._lines_used = 0
        self.point_colours: list[str] = []             # sprite k of ``points``: this colour
        self._sprites: tuple[tuple[str, int], ...] = ()

    def _make_viewbox(self) -> pg.ViewBox:
        return PickViewBox()

    def _build_items(self) -> None:
        self.points, self.outside, self.highlight = Dots(), Dots(), Dots()
        self.outside.set_sprites([_dot(OUTSIDE_COLOUR, 255, "d", POINT_SIZE + 1,
                                       QColor(OUTSIDE_COLOUR).darker(130))])
        self.highlight.set_sprites([("o", POINT_SIZE + 5, pg.mkPen(colours.SELECTION, width=2),
                                     pg.mkBrush(None))])
        for item in (self.points, self.outside, self.highlight):
            self.plot.addItem(item)
        self.highlight.setZValue(20)
        self.key = PlotKey(self.plot)           # above the plot: it covers no sample
        self.limit_labels = LimitLabels(self.plot)
        self.key_entries: list[KeyEntry] = []
        self.vertical: list[LimitLine] = []
        self.horizontal: list[LimitLine] = []

    @property
    def viewbox(self) -> PickViewBox:
        return self.plot.vb

    def clear_data(self) -> None:
        for item in self._extra:
            self.plot.removeItem(item)
        self._extra = []
        for line in self._line_pool:
            line.hide()
        self._lines_used = 0
        for item in (self.points, self.outside, self.highlight):
            item.set_points(np.zeros(0), np.zeros(0))
        self.key_entries, self.vertical, self.horizontal = [], [], []
        self.limit_labels.clear()
        self.px, self.py = np.zeros(0), np.zeros(0)
        self.point_rows = np.zeros(0, dtype=np.intp)
        self.lines, self.curves = {}, {}

    # -- drawing pieces ---------------------------------------------------------------------
    def begin(self, x_label: str, y_label: str) -> None:
        self.show_plot()
        self.clear_data()
        self.plot.setLabel("bottom", x_label)
        self.plot.setLabel("left", y_label)

    def add_curve(self, x: np.ndarray, y: np.ndarray, name: str, colour: str) -> None:
        item = pg.PlotDataItem(x, y, pen=pg.mkPen(colour, width=1.5))
        self.plot.addItem(item)
        self._extra.append(item)
        self.curves[name] = (np.asarray(x), np.asarray(y))
        self.key_entries.append(KeyEntry(colour, name, "\u2014"))

    def add_line(self, pos: float, angle: int, label: str, colour: str = LINE_COLOUR,
                 dashed: bool = True) -> None:
        """A horizontal (angle 0) or vertical (90) line at ``pos``; its label, if any, is
        placed at the view's edge by ``fit_view`` (LimitLabels). An unlabelled line (the
        zero axes) is a guide drawn under the samples and curves; a limit is drawn over them."""
        style = Qt.PenStyle.DashLine if dashed else Qt.PenStyle.SolidLine
        pen = pg.mkPen(colour, width=1.3, style=style)
        if self._lines_used < len(self._line_pool):
            line = self._line_pool[self._lines_used]
            line.setAngle(angle)
            line.setPen(pen)
            line.setValue(pos)
            line.show()
        else:
            line = pg.InfiniteLine(pos=pos, angle=angle, pen=pen)
            self.plot.addItem(line, ignoreBounds=True)
            self._line_pool.append(line)
        self._lines_used += 1
        line.setZValue(0 if label else -1)
        if label:
            self.lines[label] = float(pos)
            (self.vertical if angle == 90 else self.horizontal).append(
                LimitLine(float(pos), label, colour))

    def set_points(self, x: np.ndarray, y: np.ndarray, rows: np.ndarray, name: str,
                   groups: tuple[np.ndarray, list[str]] | None = None) -> None:
        """The samples, in one colour, or with ``groups`` = (colour code per point, colours)
        point i in ``colours[code[i]]``: one Dots item either way (a sprite per colour)."""
        self.px, self.py = np.asarray(x, dtype=float), np.asarray(y, dtype=float)
        self.point_rows = np.asarray(rows, dtype=np.intp)
        if groups is None:
            self._use_colours([POINT_COLOUR], 170)
            self.points.set_points(self.px, self.py)
        else:
            codes, palette = groups
            self._use_colours(list(palette), 200)
            self.points.set_points(self.px, self.py, np.asarray(codes, dtype=np.intp))
        if name:
            self.key_entries.append(KeyEntry(POINT_COLOUR, name))

    def _use_colours(self, palette: list[str], alpha: int) -> None:
        """The points' sprites, re-rendered only when the colours change (a few ms each)."""
        key = tuple((QColor(c).name(), alpha) for c in palette)
        if key != self._sprites:
            self._sprites = key
            self.points.set_sprites([_dot(c, alpha) for c in palette])
        self.point_colours = [QColor(c).name() for c in palette]

    def set_outside(self, mask: np.ndarray, name: str) -> None:
        self.outside.set_points(self.px[mask], self.py[mask])
        if mask.any():
            self.key_entries.append(KeyEntry(OUTSIDE_COLOUR, name, "\u25c6"))

    def fit_view(self) -> None:
        """The key written above the plot, the lines' labels at its edges, and everything
        drawn in view (the limit lines too), with room for the labels where they would
        cover a sample or a curve."""
        self.key.set(self.key_entries)
        # the key's row may have changed height: lay the plot out now, so the range is fitted
        # to the view box's real size and the plot is painted once (not again after a layout)
        self.plot.layout.activate()
        self.graphics.ci.layout.activate()
        self.limit_labels.set(self.vertical, self.horizontal)
        if self.px.size:
            xs, ys = self.px, self.py
        elif self.curves:
            xs = np.concatenate([np.asarray(x, dtype=float) for x, _ in self.curves.values()])
            ys = np.concatenate([np.asarray(y, dtype=float) for _, y in self.curves.values()])
        else:
            xs = ys = np.zeros(0)
        self.limit_labels.fit_range(xs, ys)
        # pyqtgraph moves the items to the new range at the start of the next paint, and
        # they then ask for a second paint: moved now, one paint draws the view
        self.plot.vb.updateMatrix()

    def show_highlight(self, mask: np.ndarray) -> None:
        if mask.size != self.px.size:
            self.highlight.set_points(np.zeros(0), np.zeros(0))
            return
        self.highlight.set_points(self.px[mask], self.py[mask])

    # -- picking ----------------------------------------------------------------------------
    def nearest(self, point: QPointF) -> int | None:
        """The plotted point nearest ``point`` (view coordinates) within PICK_PIXELS."""
        if self.px.size == 0:
            return None
        pw, ph = self.plot.vb.viewPixelSize()
        d2 = ((self.px - point.x()) / (pw or 1.0)) ** 2 + ((self.py - point.y()) / (ph or 1.0)) ** 2
        i = int(np.argmin(d2))
        return i if d2[i] <= PICK_PIXELS ** 2 else None

    def inside(self, rect: QRectF) -> np.ndarray:
        """Indices of the plotted points inside ``rect`` (view coordinates)."""
        return np.flatnonzero((self.px >= rect.left()) & (self.px <= rect.right())
                              & (self.py >= rect.top()) & (self.py <= rect.bottom()))


class DiagnosticsPage(QWidget):
    """The Diagnostics tab: a view chooser (and the LVs of the scores plot) over one plot."""

    rows_selected = Signal(object)    # np.ndarray of dataset rows picked in a plot

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.name = "diagnostics"
        self.diag: BranchDiagnostics | None = None
        self.target = ""
        self._selected = np.zeros(0, dtype=np.intp)
        self.view_combo = QComboBox()
        self.view_combo.setObjectName("diagnosticsView")
        for key, title in VIEWS.items():
            self.view_combo.addItem(title, key)
        self.view_combo.setCurrentIndex(list(VIEWS).index("influence"))
        self.view_combo.currentIndexChanged.connect(lambda _i: self.redraw())
        self.lv_x, self.lv_y = QSpinBox(), QSpinBox()
        for spin, name, value in ((self.lv_x, "diagnosticsLvX", 1),
                                  (self.lv_y, "diagnosticsLvY", 2)):
            spin.setObjectName(name)
            spin.setPrefix("LV ")
            spin.setRange(1, 1)
            spin.setValue(value)
            spin.valueChanged.connect(lambda _v: self.redraw())
        self.lv_label = QLabel("vs")
        self.note = QLabel("")
        self.note.setObjectName("diagnosticsNote")
        self.note.setWordWrap(True)
        self.note.setStyleSheet("color: #505050;")
        self.note.setTextInteractionFlags(Qt.TextInteractionFlag.TextSelectableByMouse)
        self.plot = DiagnosticsPlot()
        bar = QHBoxLayout()
        bar.setContentsMargins(4, 2, 4, 0)
        bar.addWidget(self.view_combo)
        for w in (self.lv_x, self.lv_label, self.lv_y):
            bar.addWidget(w)
        bar.addWidget(self.note, 1)
        layout = QVBoxLayout(self)
        layout.setContentsMargins(0, 0, 0, 0)
        layout.setSpacing(0)
        layout.addLayout(bar)
        layout.addWidget(self.plot, 1)
        self._show_lv_choice(False)
        self.setToolTip(HINT)

    # -- the PlotPage interface the results panel uses -----------------------------------------
    @property
    def has_plot(self) -> bool:
        return self.plot.has_plot

    def show_message(self, text: str) -> None:
        self.diag = None
        self.note.setText("")
        self.plot.show_message(text)

    def export(self, path: str | Path, title: str | None = None) -> Path:
        view = self.view_combo.currentText()
        return self.plot.export(path, f"{title} \u2014 {view}" if title else view)

    def close_plot(self) -> None:
        self.plot.close_plot()

    # -- content ------------------------------------------------------------------------------
    def set_diagnostics(self, diag: BranchDiagnostics, target: str = "") -> None:
        self.diag, self.target = diag, target
        self.note.setText(diag.note)
        self.note.setToolTip(diag.note)
        model = self.view_combo.model()
        for i, key in enumerate(VIEWS):
            model.item(i).setEnabled(self._available(key))
        if not self._available(self.view()):
            self.set_view("influence")
        a = max(1, diag.n_components)
        for spin in (self.lv_x, self.lv_y):
            spin.blockSignals(True)
            spin.setRange(1, a)
            spin.blockSignals(False)
        if a > 1 and self.lv_x.value() == self.lv_y.value():
            self.lv_y.blockSignals(True)
            self.lv_y.setValue(2 if self.lv_x.value() == 1 else 1)
            self.lv_y.blockSignals(False)
        self.redraw()

    def _available(self, key: str) -> bool:
        d = self.diag
        if d is None or d.kind == "none":
            return False
        if key == "influence":
            return True
        if key == "residuals":
            return d.studentized is not None
        return d.is_pls

    def view(self) -> str:
        return str(self.view_combo.currentData())

    def set_view(self, key: str) -> None:
        self.view_combo.setCurrentIndex(list(VIEWS).index(key))

    def view_enabled(self, key: str) -> bool:
        return bool(self.view_combo.model().item(list(VIEWS).index(key)).isEnabled())

    def _show_lv_choice(self, on: bool) -> None:
        for w in (self.lv_x, self.lv_label, self.lv_y):
            w.setVisible(on)

    def redraw(self) -> None:
        d = self.diag
        key = self.view()
        self._show_lv_choice(key == "scores" and d is not None and d.is_pls)
        if d is None:
            return
        if d.kind == "none":
            self.plot.show_message(d.note)
            return
        if not self._available(key):
            self.plot.show_message(f"{VIEWS[key]}: {d.note or 'not available for this branch.'}"
                                   if key != "residuals" or not d.is_pls else
                                   f"{VIEWS[key]}: a PLS-DA model has no residuals of one "
                                   "reference value.")
            return
        draw = {"coef": self._draw_coef, "vip": self._draw_vip, "scores": self._draw_scores,
                "influence": self._draw_influence, "residuals": self._draw_residuals}[key]
        draw(d)
        self.connect_picking()
        self.show_selection(self._selected, emit=False)

    def _draw_coef(self, d: BranchDiagnostics) -> None:
        p = self.plot
        p.begin(d.x_label, "Regression coefficient")
        b = np.asarray(d.regression_vector)
        p.add_line(0.0, 0, "")
        if b.ndim == 1 or b.shape[1] == 1:
            p.add_curve(d.wavelengths, b.reshape(-1),
                        f"regression vector ({d.n_components} LV)", POINT_COLOUR)
        else:
            for j in range(b.shape[1]):
                name = d.classes[j] if d.classes and j < len(d.classes) else f"column {j + 1}"
                p.add_curve(d.wavelengths, b[:, j], f"class {name}",
                            colours.PALETTE[j % len(colours.PALETTE)])
        p.fit_view()

    def _draw_vip(self, d: BranchDiagnostics) -> None:
        p = self.plot
        p.begin(d.x_label, "VIP")
        p.add_curve(d.wavelengths, np.asarray(d.vip), f"VIP ({d.n_components} LV)", POINT_COLOUR)
        p.add_line(1.0, 0, "VIP = 1", colour=LIMIT_COLOURS[0.99])
        p.fit_view()

    def _draw_scores(self, d: BranchDiagnostics) -> None:
        p = self.plot
        i, j = self.lv_x.value() - 1, self.lv_y.value() - 1
        scores = np.asarray(d.scores)
        p.begin(f"LV {i + 1} scores (t{i + 1})", f"LV {j + 1} scores (t{j + 1})")
        p.add_line(0.0, 0, "")
        p.add_line(0.0, 90, "")
        groups, legend = self._score_colours(d)
        p.set_points(scores[:, i], scores[:, j], d.rows, "", groups)
        for k, name in legend:
            p.key_entries.append(KeyEntry(palette_of(groups, k), name))
        p.fit_view()

    def _score_colours(self, d: BranchDiagnostics
                       ) -> tuple[tuple[np.ndarray, list[str]] | None, list[tuple[int, str]]]:
        """(colour code per sample, colours) by class (PLS-DA) or by level of the reference
        value, and the legend lines naming groups."""
        if d.labels is not None:
            names, codes = np.unique(np.asarray(d.labels).astype(str), return_inverse=True)
            palette = [colours.PALETTE[k % len(colours.PALETTE)] for k in range(names.size)]
            return (codes, palette), [(k, f"class {n}") for k, n in enumerate(names)]
        if d.y is None or d.y.size == 0 or not np.isfinite(d.y).all():
            return None, []
        lo, hi = float(d.y.min()), float(d.y.max())
        palette = list(_level_palette())
        codes = np.zeros(d.y.size, dtype=np.intp) if hi == lo else \
            np.minimum(((d.y - lo) / (hi - lo) * N_BINS).astype(np.intp), N_BINS - 1)
        name = self.target or "reference"
        return (codes, palette), [(0, f"{name} {lo:.4g} (low)"),
                                  (N_BINS - 1, f"{name} {hi:.4g} (high)")]

    def _draw_influence(self, d: BranchDiagnostics) -> None:
        p = self.plot
        space = "PLS" if d.latent_kind == "pls" else "PCA"
        p.begin(f"Hotelling T\u00b2 ({d.n_components} {'LV' if space == 'PLS' else 'PC'})",
                "Q residual (SPE)")
        p.set_points(d.t2, d.q, d.rows, f"calibration ({d.rows.size:,})")
        t2_lim, q_lim = d.limits.get("t2", {}), d.limits.get("q", {})
        for level in sorted(t2_lim):
            p.add_line(t2_lim[level], 90, f"T\u00b2 {_pct(level)}",
                       LIMIT_COLOURS.get(level, LINE_COLOUR), dashed=level < 0.99)
        for level in sorted(q_lim):
            p.add_line(q_lim[level], 0, f"Q {_pct(level)}", LIMIT_COLOURS.get(level, LINE_COLOUR),
                       dashed=level < 0.99)
        outside = (d.t2 > t2_lim.get(0.99, np.inf)) | (d.q > q_lim.get(0.99, np.inf))
        p.set_outside(outside, f"outside a 99 % limit ({int(outside.sum())})")
        p.fit_view()

    def _draw_residuals(self, d: BranchDiagnostics) -> None:
        p = self.plot
        p.begin("Leverage", "Studentized residual")
        r = np.asarray(d.studentized)
        p.set_points(d.leverage, r, d.rows, f"calibration ({d.rows.size:,})")
        for value in (-3.0, 3.0):
            p.add_line(value, 0, f"r = {value:+g}", LIMIT_COLOURS[0.99], dashed=False)
        t2_99 = d.limits.get("t2", {}).get(0.99)
        n = d.rows.size
        if t2_99 is not None and n > 1:
            # the engine's leverage is 1/n + T²/(n-1): the T² 99 % limit on this axis
            p.add_line(1.0 / n + t2_99 / (n - 1), 90, f"T\u00b2 {_pct(0.99)}",
                       LIMIT_COLOURS[0.99], dashed=True)
        p.set_outside(np.abs(r) > 3.0, f"|r| > 3 ({int((np.abs(r) > 3.0).sum())})")
        p.fit_view()

    # -- selection ------------------------------------------------------------------------------
    def picks_samples(self) -> bool:
        return self.plot.has_plot and self.plot.px.size > 0

    def show_selection(self, rows: Any, emit: bool = False) -> None:
        """Highlight these dataset rows wherever they are plotted."""
        self._selected = np.unique(np.asarray(rows if rows is not None else [],
                                              dtype=np.intp))
        if self.plot.built:
            self.plot.show_highlight(np.isin(self.plot.point_rows, self._selected))
        if emit:
            self.rows_selected.emit(self._selected.copy())

    def selected_rows(self) -> np.ndarray:
        return self._selected.copy()

    def connect_picking(self) -> None:
        """Listen to the plot's clicks and boxes (once the plot widget exists)."""
        vb = self.plot.viewbox
        if getattr(vb, "_nirdesk_connected", False):
            return
        vb.clicked.connect(self._on_click)
        vb.boxed.connect(self._on_box)
        vb.hovered.connect(self._on_hover)
        vb._nirdesk_connected = True

    def _on_click(self, point: QPointF, modifiers: Any) -> None:
        if not self.picks_samples():
            return
        i = self.plot.nearest(point)
        ctrl = bool(modifiers & Qt.KeyboardModifier.ControlModifier)
        if i is None:
            if not ctrl:
                self.show_selection([], emit=True)
            return
        row = int(self.plot.point_rows[i])
        if ctrl:
            rows = (self._selected[self._selected != row] if row in self._selected
                    else np.append(self._selected, row))
        else:
            rows = np.array([row])
        self.show_selection(rows, emit=True)

    def _on_hover(self, point: QPointF | None) -> None:
        """The sample under the mouse, named in the plot's tooltip."""
        graphics = self.plot.graphics
        i = self.plot.nearest(point) if point is not None and self.picks_samples() else None
        if i is None or self.diag is None or graphics is None:
            if graphics is not None:
                graphics.setToolTip("")
            return
        row = int(self.plot.point_rows[i])
        where = np.flatnonzero(self.diag.rows == row)
        name = str(self.diag.sample_ids[where[0]]) if where.size else f"row {row + 1}"
        x_label = self.plot.plot.getAxis("bottom").labelText
        y_label = self.plot.plot.getAxis("left").labelText
        graphics.setToolTip(f"Sample {name}\n{x_label}: {self.plot.px[i]:.4g}\n"
                            f"{y_label}: {self.plot.py[i]:.4g}")

    def _on_box(self, rect: QRectF, modifiers: Any) -> None:
        if not self.picks_samples():
            return
        rows = self.plot.point_rows[self.plot.inside(rect)]
        if modifiers & Qt.KeyboardModifier.ControlModifier:
            rows = np.union1d(self._selected, rows)
        self.show_selection(rows, emit=True)

    def summary(self) -> str:
        """The view shown, in words (tests, the export title)."""
        d = self.diag
        if d is None:
            return ""
        return html.unescape(f"Branch {d.branch_id}: {self.view_combo.currentText()}")
