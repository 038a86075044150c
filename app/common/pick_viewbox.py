"""The ViewBox every picking plot uses: the spectra view, Explore and the Results diagnostics.

Why one class: the three plots must select the same way (a click picks, Ctrl adds, Shift+drag
or the spectra view's box mode draws a box, a plain drag pans, the wheel zooms), and three
copies of pyqtgraph's drag handling had already drifted apart in their signal names.
"""
from __future__ import annotations

from typing import Any

import pyqtgraph as pg
from PySide6.QtCore import QRectF, Qt, Signal

__all__ = ["PickViewBox"]


class PickViewBox(pg.ViewBox):
    """pyqtgraph's ViewBox plus picking, in data coordinates.

    clicked(point, modifiers)  a left click
    boxed(rect, modifiers)     a left drag with Shift (or any left drag in ``box_mode``) ended;
                               the box is drawn while dragging
    hovered(point | None)      the mouse moved over the plot (None: it left)
    """

    clicked = Signal(object, object)
    boxed = Signal(object, object)
    hovered = Signal(object)

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.box_mode = False

    def hoverEvent(self, ev: Any) -> None:
        self.hovered.emit(None if ev.isExit() else self.mapToView(ev.pos()))

    def mouseClickEvent(self, ev: Any) -> None:
        if ev.button() == Qt.MouseButton.LeftButton:
            ev.accept()
            self.clicked.emit(self.mapSceneToView(ev.scenePos()), ev.modifiers())
            return
        super().mouseClickEvent(ev)

    def mouseDragEvent(self, ev: Any, axis: Any = None) -> None:
        box = self.box_mode or bool(ev.modifiers() & Qt.KeyboardModifier.ShiftModifier)
        if ev.button() != Qt.MouseButton.LeftButton or axis is not None or not box:
            super().mouseDragEvent(ev, axis)
            return
        ev.accept()
        start = ev.buttonDownPos(ev.button())
        if ev.isFinish():
            self.rbScaleBox.hide()
            rect = self.childGroup.mapRectFromParent(QRectF(start, ev.pos())).normalized()
            self.boxed.emit(rect, ev.modifiers())
        else:
            self.updateScaleBox(start, ev.pos())
