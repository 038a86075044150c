"""The toolbar above the spectra plot: what to show and how to colour it.

Bound to the WorkbenchState both ways: a user's choice writes the state, a state change (from
a menu, a shortcut or a test) updates the widgets without feeding back.
"""
from __future__ import annotations

from PySide6.QtCore import QSignalBlocker
from PySide6.QtGui import QAction
from PySide6.QtWidgets import QCheckBox, QComboBox, QLabel, QMenu, QToolBar, QToolButton, QWidget

from app.model.state import PREPROCESSED, RAW, WorkbenchState

RAW_LABEL = "Raw spectra"


class ViewControls(QToolBar):
    def __init__(self, state: WorkbenchState, actions: dict[str, QAction],
                 parent: QWidget | None = None) -> None:
        super().__init__("Spectra view", parent)
        self.setObjectName("viewControls")
        self.setMovable(False)
        self.state = state

        self.addWidget(QLabel(" Show: "))
        self.display = QComboBox()
        self.display.setObjectName("displayChooser")
        self.display.setToolTip("Raw spectra, or the spectra after one branch's preprocessing "
                                "(fitted on the training rows, applied to all)")
        self.display.setMinimumContentsLength(16)
        self.display.setSizeAdjustPolicy(QComboBox.SizeAdjustPolicy.AdjustToMinimumContentsLengthWithIcon)
        self.addWidget(self.display)

        self.addWidget(QLabel("  Colour by: "))
        self.colour = QComboBox()
        self.colour.setObjectName("colourChooser")
        self.colour.addItem("Target", "target")
        self.colour.addItem("Partition", "partition")
        self.addWidget(self.colour)

        self.band = QCheckBox("Mean \u00b1 std")
        self.band.setObjectName("bandToggle")
        self.addWidget(self.band)
        self.addSeparator()
        for name in ("box_select", "reset_zoom"):
            if name in actions:
                self.addAction(actions[name])
        exports = [actions[n] for n in ("export_png", "export_svg") if n in actions]
        if exports:
            menu = QMenu(self)
            menu.addActions(exports)
            button = QToolButton()
            button.setObjectName("exportButton")
            button.setText("Export")
            button.setToolTip("Save the plot as PNG or SVG")
            button.setMenu(menu)
            button.setPopupMode(QToolButton.ToolButtonPopupMode.InstantPopup)
            self.addWidget(button)

        self.display.activated.connect(self._display_chosen)
        self.colour.activated.connect(
            lambda i: state.set_colour_mode(self.colour.itemData(i)))
        self.band.toggled.connect(state.set_band)
        for event in ("pipeline", "display", "dataset"):
            state.events.connect(event, self._sync_display)
        state.events.connect("colour_mode", self._sync_colour)
        state.events.connect("band", self._sync_band)
        self._sync_display()

    def _display_chosen(self, index: int) -> None:
        branch = self.display.itemData(index)
        if branch is None:
            self.state.set_display(RAW)
        else:
            self.state.set_display(PREPROCESSED, branch)

    def _sync_display(self) -> None:
        state = self.state
        with QSignalBlocker(self.display):
            self.display.clear()
            self.display.addItem(RAW_LABEL, None)
            if state.pipeline is not None:
                for b in state.pipeline.branches:
                    self.display.addItem("Branch " + state.branch_label(b.id), b.id)
            index = 0
            if state.display == PREPROCESSED:
                index = max(0, self.display.findData(state.branch_id))
            self.display.setCurrentIndex(index)
            self.display.setEnabled(state.pipeline is not None or state.display == PREPROCESSED)

    def _sync_colour(self) -> None:
        with QSignalBlocker(self.colour):
            self.colour.setCurrentIndex(max(0, self.colour.findData(self.state.colour_mode)))

    def _sync_band(self) -> None:
        with QSignalBlocker(self.band):
            self.band.setChecked(self.state.band)
