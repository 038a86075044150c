"""The Explore view: PCA of the open dataset (raw, or after a branch's preprocessing) as
scores, T² vs Q influence, loadings and explained variance, linked to the window's selection.

    controls   PCA of [raw / branch]  Components [Auto | 1..20]  Scores [PCx] vs [PCy]
               Colour [target/class | partition]       [Exclude selected] [Re-run]
    status     what was fitted (rows, excluded), variance kept, rows beyond the 99 % limits
    plots      scores | influence | loadings or explained variance (tabs), in splitters

Bound to the WorkbenchState both ways, like the spectra view's toolbar: the raw / branch
chooser and the colour chooser ARE the window's display and colour mode (the spectra on
screen and the PCA always describe the same data), and the selection is the window's:
picking points sets ``state.selection``; a selection made anywhere draws rings here.
The numbers come from app.explore.controller (engine.diagnostics.explore_pca off the GUI
thread); this widget only draws them, and measures how long each redraw takes on the GUI
thread (``last_draw_ms``). The plots are built on first show: four PlotItems cost ~0.2 s,
which the window's start-up does not pay for a dock the user may never open.
"""
from __future__ import annotations

import time
from typing import Any

import numpy as np
from PySide6.QtCore import QSignalBlocker, Qt, Signal
from PySide6.QtGui import QAction
from PySide6.QtWidgets import (
    QComboBox,
    QHBoxLayout,
    QLabel,
    QSizePolicy,
    QSpinBox,
    QSplitter,
    QStackedLayout,
    QTabWidget,
    QToolBar,
    QVBoxLayout,
    QWidget,
)

from app.explore import plots as P
from app.explore.compute import MAX_COMPONENTS, ExploreResult, toggle
from app.explore.controller import ExploreController
from app.explore.scatter import ADD, TOGGLE
from app.model.spectra_data import AXIS_LABELS, COLUMN_LABEL, format_value
from app.model.state import PREPROCESSED, RAW, WorkbenchState
from app.model.tasks import axis_units

RAW_LABEL = "Raw spectra"
HINT = ("Click a point to select it, Ctrl+click to add or remove one, Shift+drag a box to "
        "select the points inside it; the spectra view and the Selection table follow")


class Caption(QLabel):
    """The status line: whole " \u00b7 "-separated parts dropped from its end (and "\u2026"
    put instead) when the dock is too narrow, never a word cut in two; the full line is
    always in the tooltip. A long line never widens the window either (ignored width)."""

    SEPARATOR = " \u00b7 "

    def __init__(self) -> None:
        super().__init__("")
        self.full = ""
        self.hint = ""
        self.setSizePolicy(QSizePolicy.Policy.Ignored, QSizePolicy.Policy.Preferred)

    def set_full(self, text: str, hint: str = "") -> None:
        self.full, self.hint = text, hint
        self.setToolTip(f"{text}\n\n{hint}" if text and hint else (text or hint))
        self._fit()

    def resizeEvent(self, event) -> None:
        super().resizeEvent(event)
        self._fit()

    def _fit(self) -> None:
        width = self.contentsRect().width()
        metrics = self.fontMetrics()
        parts = self.full.split(self.SEPARATOR)
        text = self.full
        while len(parts) > 1 and metrics.horizontalAdvance(text) > width > 0:
            parts.pop()
            text = self.SEPARATOR.join(parts) + self.SEPARATOR + "\u2026"
        if width > 0 and metrics.horizontalAdvance(text) > width:
            text = metrics.elidedText(self.full, Qt.TextElideMode.ElideRight, width)
        if text != self.text():
            self.setText(text)


class ExploreView(QWidget):
    hover_changed = Signal(str)   # the point under the mouse, described ("" when none)

    def __init__(self, state: WorkbenchState, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.state = state
        self.controller = ExploreController(state, self)
        self.last_draw_ms = 0.0
        self.scores: P.ScoresPlot | None = None
        self.influence: P.InfluencePlot | None = None
        self.loadings: P.LoadingsPlot | None = None
        self.scree: P.ScreePlot | None = None
        self._actions: list[QAction] = []
        self._external_visibility = False
        self._closed = False

        self.source = QComboBox()
        self.source.setObjectName("exploreSource")
        self.source.setToolTip("The spectra the PCA describes: raw, or after one branch's "
                               "preprocessing (the spectra view shows the same)")
        self.source.setMinimumContentsLength(14)
        self.source.setSizeAdjustPolicy(
            QComboBox.SizeAdjustPolicy.AdjustToMinimumContentsLengthWithIcon)
        self.components = QSpinBox()
        self.components.setObjectName("exploreComponents")
        self.components.setRange(0, MAX_COMPONENTS)
        self.components.setSpecialValueText("Auto")
        self.components.setToolTip("Number of principal components (Auto: the fewest that "
                                   "explain 99 % of the variance, at most 10)")
        self.pc_x, self.pc_y = QComboBox(), QComboBox()
        self.pc_x.setObjectName("explorePcX")
        self.pc_y.setObjectName("explorePcY")
        self.colour = QComboBox()
        self.colour.setObjectName("exploreColour")
        self.colour.addItem("Target", "target")
        self.colour.addItem("Partition", "partition")
        # a tool bar, not a row of widgets: in a narrow dock what does not fit goes behind its
        # extension button instead of forcing the whole window wider
        self.toolbar = QToolBar("Explore")
        self.toolbar.setObjectName("exploreControls")
        for label, widget in ((" PCA of: ", self.source), (" Components: ", self.components),
                              (" Scores: ", self.pc_x), (" vs ", self.pc_y),
                              (" Colour: ", self.colour)):
            self.toolbar.addWidget(QLabel(label))
            self.toolbar.addWidget(widget)
        self.toolbar.addSeparator()
        self.status = Caption()
        self.status.setObjectName("exploreStatus")
        self.status.setStyleSheet("color: palette(mid);")
        self.status.setTextInteractionFlags(Qt.TextInteractionFlag.TextSelectableByMouse)
        self.status.setToolTip(HINT)
        self.message = QLabel("Open a dataset to explore it")
        self.message.setObjectName("exploreMessage")
        self.message.setAlignment(Qt.AlignmentFlag.AlignCenter)
        self.message.setWordWrap(True)
        self.message.setStyleSheet("color: palette(mid); padding: 12px;")
        self.area = QWidget()
        self._stack = QStackedLayout(self.area)
        self._stack.setContentsMargins(0, 0, 0, 0)
        self._stack.addWidget(self.message)
        layout = QVBoxLayout(self)
        layout.setContentsMargins(0, 0, 0, 0)
        layout.setSpacing(2)
        layout.addWidget(self.toolbar)
        status_row = QHBoxLayout()
        status_row.setContentsMargins(6, 0, 4, 0)
        status_row.addWidget(self.status)
        layout.addLayout(status_row)
        layout.addWidget(self.area, 1)

        self.source.activated.connect(self._source_chosen)
        self.components.valueChanged.connect(
            lambda v: self.controller.set_components(int(v) or None))
        self.pc_x.activated.connect(lambda _i: self.redraw())
        self.pc_y.activated.connect(lambda _i: self.redraw())
        self.colour.activated.connect(
            lambda i: state.set_colour_mode(self.colour.itemData(i)))
        self.controller.result_ready.connect(self._on_result)
        self.controller.failed.connect(self._on_failed)
        self.controller.busy.connect(self._on_busy)
        self.controller.progress.connect(self._on_progress)
        for event in ("pipeline", "display", "dataset"):
            state.events.connect(event, self._sync_source)
        for event in ("colour_mode", "target", "task", "exclusions"):
            state.events.connect(event, self._sync_colour)
        state.events.connect("selection", self._draw_selection)
        state.events.connect("dataset", self._on_dataset)
        self._sync_source()
        self._sync_colour()

    # -- the window's actions ----------------------------------------------------------------
    def set_actions(self, actions: list[QAction]) -> None:
        """Buttons for the window's actions (Exclude selected, Re-run: undoable and shared
        with the menus) and the same actions in the plots' right-click menus."""
        for action in actions:
            self.toolbar.addAction(action)
        self._actions = list(actions)
        self._add_menu_actions()

    def _add_menu_actions(self) -> None:
        for plot in (self.scores, self.influence):
            if plot is not None and self._actions:
                menu = plot.vb.menu
                menu.addSeparator()
                for action in self._actions:
                    menu.addAction(action)

    # -- building ----------------------------------------------------------------------------
    @property
    def built(self) -> bool:
        return self.scores is not None

    def build(self) -> None:
        """Create the four plots (once; on first show)."""
        if self.built or self._closed:
            return
        self.scores, self.influence = P.ScoresPlot(), P.InfluencePlot()
        self.loadings, self.scree = P.LoadingsPlot(), P.ScreePlot()
        # tabs, not a stack: at 1280 x 800 the dock is ~300 px tall, too little for two plots
        right = QTabWidget()
        right.setObjectName("exploreTabs")
        right.setDocumentMode(True)
        right.addTab(self.loadings, "Loadings")
        right.addTab(self.scree, "Explained variance")
        self.tabs = right
        self.splitter = QSplitter(Qt.Orientation.Horizontal)
        self.splitter.setObjectName("exploreSplitter")
        for w in (self.scores, self.influence, right):
            self.splitter.addWidget(w)
        self.splitter.setSizes([400, 400, 330])
        self._stack.addWidget(self.splitter)
        for plot in (self.scores, self.influence):
            plot.picked.connect(self._on_picked)
            plot.hovered.connect(self._on_hovered)
        self._add_menu_actions()

    def follow_visibility(self, signal: Any) -> None:
        """Compute only while ``signal`` (a QDockWidget's visibilityChanged) says the view is
        on screen: a dock tabbed behind another one is "visible" to Qt but not to the user."""
        self._external_visibility = True
        signal.connect(self.set_on_screen)

    def set_on_screen(self, on: bool) -> None:
        if on and not self._closed:
            self.build()
            self.controller.set_active(True)
            if self.controller.result is not None:
                self._on_result(self.controller.result)
        else:
            self.controller.set_active(False)

    def showEvent(self, event) -> None:
        super().showEvent(event)
        if not self._external_visibility:
            self.set_on_screen(True)

    def hideEvent(self, event) -> None:
        super().hideEvent(event)
        if not self._external_visibility:
            self.set_on_screen(False)

    # -- state -> widgets --------------------------------------------------------------------
    def _sync_source(self) -> None:
        st = self.state
        with QSignalBlocker(self.source):
            self.source.clear()
            self.source.addItem(RAW_LABEL, None)
            if st.pipeline is not None:
                for b in st.pipeline.branches:
                    self.source.addItem("Branch " + st.branch_label(b.id), b.id)
            index = 0
            if st.display == PREPROCESSED:
                index = max(0, self.source.findData(st.branch_id))
            self.source.setCurrentIndex(index)
            self.source.setEnabled(st.pipeline is not None)

    def _source_chosen(self, index: int) -> None:
        branch = self.source.itemData(index)
        if branch is None:
            self.state.set_display(RAW)
        else:
            self.state.set_display(PREPROCESSED, branch)

    def _sync_colour(self) -> None:
        ds = self.state.dataset
        classes = ds is not None and ds.target is not None and ds.is_classification
        self.colour.setItemText(0, "Class" if classes else "Target")
        with QSignalBlocker(self.colour):
            self.colour.setCurrentIndex(max(0, self.colour.findData(self.state.colour_mode)))
        self.redraw()

    def _on_dataset(self) -> None:
        if self.state.dataset is None:
            return
        self._show_message("Computing the PCA\u2026")

    # -- results -------------------------------------------------------------------------------
    def _on_busy(self, busy: bool) -> None:
        if busy and self.controller.result is None:
            self._show_message("Computing the PCA\u2026")

    def _on_progress(self, percent: int) -> None:
        """A long PCA: how far it is, where the plots will be (or under the old ones)."""
        text = f"Computing the PCA\u2026 {percent} %"
        if self.controller.result is None:
            self._show_message(text)
        else:
            self.status.set_full(text, HINT)

    def _on_failed(self, line: str) -> None:
        self._show_message(line)
        self.status.set_full("", HINT)

    def _show_message(self, text: str) -> None:
        self.message.setText(text)
        self._stack.setCurrentWidget(self.message)

    def _on_result(self, result: ExploreResult) -> None:
        if not self.built:
            return
        a = result.n_components
        for combo, default in ((self.pc_x, 0), (self.pc_y, min(1, a - 1))):
            keep = combo.currentIndex()
            with QSignalBlocker(combo):
                combo.clear()
                combo.addItems([f"PC{k + 1}" for k in range(a)])
                combo.setCurrentIndex(keep if 0 <= keep < a else default)
        self._stack.setCurrentWidget(self.splitter)
        self.redraw()

    def redraw(self) -> None:
        """Draw the result on screen with the current choices (GUI thread, timed)."""
        result, st = self.controller.result, self.state
        if not self.built or result is None or st.dataset is None \
                or result.n_samples != st.dataset.n_samples:
            return
        start = time.perf_counter()
        ds = st.dataset
        excluded = st.excluded
        coloured = P.ColouredPoints(st.colour_mode, st.y, ds.test_mask)
        kx, ky = max(0, self.pc_x.currentIndex()), max(0, self.pc_y.currentIndex())
        self.scores.show_result(result, kx, ky, coloured, excluded, ds.target)
        self.influence.show_result(result, coloured, excluded, ds.target)
        self.loadings.show_result(result, kx, ky, self._x_label(result))
        self.scree.show_result(result)
        self._draw_selection()
        self.status.set_full(self._summary(result), HINT)
        self.last_draw_ms = 1000.0 * (time.perf_counter() - start)

    def _x_label(self, result: ExploreResult) -> str:
        ds = self.state.dataset
        known = not ds.metadata.get("wavelengths_unknown") and \
            (result.request.branch is not None or result.axis.size == ds.n_wavelengths)
        return AXIS_LABELS.get(axis_units(ds), COLUMN_LABEL) if known else COLUMN_LABEL

    def _summary(self, result: ExploreResult) -> str:
        n, fitted = result.n_samples, result.fit_rows.size
        kept = 100.0 * float(np.sum(result.explained[:result.n_components]))
        left = f" ({n - fitted:,} excluded, projected)" if fitted < n else ""
        auto = " (auto)" if result.request.n_components is None else ""
        outside = self.influence.outside(result) if self.influence is not None else 0
        return (f"PCA of the {result.request.source} \u00b7 fitted on {fitted:,} of {n:,} "
                f"spectra{left} \u00b7 {result.n_components} component"
                f"{'s' if result.n_components != 1 else ''}{auto}: {kept:.1f} % of the "
                f"variance \u00b7 {outside:,} beyond a 99 % limit \u00b7 {result.seconds:.2f} s")

    def _draw_selection(self) -> None:
        if not self.built or self.controller.result is None:
            return
        sel = self.state.selection
        self.scores.set_selection(sel)
        self.influence.set_selection(sel)

    # -- picking -------------------------------------------------------------------------------
    def _on_picked(self, rows: np.ndarray, mode: str) -> None:
        sel = self.state.selection
        if mode == TOGGLE and rows.size == 1:
            rows = toggle(sel, int(rows[0]))
        elif mode == ADD:
            rows = np.union1d(sel, rows)
        self.state.set_selection(rows)

    def describe(self, row: int) -> str:
        ds, result = self.state.dataset, self.controller.result
        parts = [f"sample {ds.sample_ids[row]}"]
        if ds.target is not None:
            parts.append(f"{ds.target} = {format_value(ds.y[row])}")
        if result is not None:
            parts.append(f"T\u00b2 {result.t2[row]:.3g} \u00b7 Q {result.q[row]:.3g}")
        parts.append("test" if ds.test_mask[row] else "train")
        if ds.excluded[row]:
            parts.append("excluded")
        return " \u00b7 ".join(parts)

    def _on_hovered(self, row: int) -> None:
        self.hover_changed.emit("" if row < 0 or self.state.dataset is None
                                else self.describe(row))

    # -- settled / closing -----------------------------------------------------------------------
    def is_settled(self) -> bool:
        return self.controller.is_settled()

    def shutdown(self) -> None:
        if self._closed:
            return
        self._closed = True
        self.controller.shutdown()
        for plot in (self.scores, self.influence):
            if plot is not None:
                plot.shutdown()
        for plot in (self.loadings, self.scree):
            if plot is not None:
                plot.close()

    def current(self) -> Any:
        """The result on screen (None while none is)."""
        return self.controller.result
