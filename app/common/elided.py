"""A one-line label that elides its text to the width it is given, with the whole text as
its tooltip.

Why: a QLabel without word wrap asks for its whole text's width as its minimum, so one long
path or partition line made the Dataset dock 277 px wide at least (a 1024 px window could not
be laid out), and one with word wrap is clipped mid-line when the dock is short. Elided text
keeps one line, any width, and nothing is lost: the tooltip holds it all.
"""
from __future__ import annotations

from PySide6.QtCore import QSize, Qt
from PySide6.QtGui import QPainter
from PySide6.QtWidgets import QLabel, QSizePolicy, QWidget


class ElidedLabel(QLabel):
    """``setText`` keeps the full text; the label paints it elided (…) when it is narrower.
    ``full_text()`` is what was set; the tooltip is the full text whenever it is cut, or the
    tooltip set with ``setToolTip`` (``extra_tooltip``) otherwise."""

    def __init__(self, text: str = "", parent: QWidget | None = None,
                 mode: Qt.TextElideMode = Qt.TextElideMode.ElideRight) -> None:
        super().__init__(parent)
        self._full = ""
        self._tip = ""
        self._mode = mode
        self.setSizePolicy(QSizePolicy.Policy.Ignored, QSizePolicy.Policy.Preferred)
        self.setText(text)

    def setText(self, text: str) -> None:  # Qt override
        self._full = str(text)
        super().setText(self._full)
        self._update_tip()
        self.updateGeometry()
        self.update()

    def full_text(self) -> str:
        return self._full

    def setToolTip(self, tip: str) -> None:  # Qt override
        self._tip = str(tip)
        self._update_tip()

    def is_elided(self) -> bool:
        return self.fontMetrics().horizontalAdvance(self._full) > self.contentsRect().width()

    def elided_text(self) -> str:
        return self.fontMetrics().elidedText(self._full, self._mode,
                                             max(0, self.contentsRect().width()))

    def _update_tip(self) -> None:
        cut = self.is_elided()
        text = self._full if cut else ""
        if self._tip and self._tip != self._full:
            text = f"{text}\n{self._tip}" if text else self._tip
        super().setToolTip(text)

    def minimumSizeHint(self) -> QSize:  # Qt override
        hint = super().minimumSizeHint()
        return QSize(min(hint.width(), self.fontMetrics().horizontalAdvance("\u2026") * 4),
                     hint.height())

    def sizeHint(self) -> QSize:  # Qt override
        return QSize(self.fontMetrics().horizontalAdvance(self._full) + 4,
                     super().sizeHint().height())

    def resizeEvent(self, event) -> None:  # Qt override
        super().resizeEvent(event)
        self._update_tip()

    def paintEvent(self, event) -> None:  # Qt override
        painter = QPainter(self)
        painter.setPen(self.palette().color(self.foregroundRole()))
        painter.setFont(self.font())
        painter.drawText(self.contentsRect(), int(self.alignment() | Qt.AlignmentFlag.AlignVCenter),
                         self.elided_text())
        painter.end()
