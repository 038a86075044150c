"""Per-branch-group controls: a "parallel" switch, a worker count, and the policy badge.

Why here and not in the Run panel: whether a group's branches run in parallel is part of the
pipeline spec ("parallel", "n_jobs" of the branch step), and the policy's verdict depends on the
steps inside the group; showing switch, workers and verdict next to the lanes lets the user see
*which* step makes a group sequential and fix it there (docs/design.md decision 2: the GUI shows the
same reasons as the run log, before the run).
"""
from __future__ import annotations

from collections.abc import Callable
from typing import Any

from PySide6.QtCore import QSize, Qt, QTimer, Signal
from PySide6.QtGui import QValidator
from PySide6.QtWidgets import (
    QCheckBox,
    QDialog,
    QDialogButtonBox,
    QHBoxLayout,
    QLabel,
    QPushButton,
    QSizePolicy,
    QSpinBox,
    QToolButton,
    QVBoxLayout,
    QWidget,
)

__all__ = ["BADGE_COLOURS", "BADGE_STYLE", "BadgeButton", "BadgeDetails", "GroupBar", "WorkerSpin"]

#: badge colour name -> (background, text)
BADGE_COLOURS = {"green": ("#2e9d4a", "#ffffff"), "amber": ("#e8a317", "#1a1a1a"),
                 "grey": ("#9a9a9a", "#ffffff"), "gray": ("#9a9a9a", "#ffffff"),
                 "red": ("#c62828", "#ffffff")}
AUTO = -1

#: Badge pills, by their "colour" property (the style sheet lives on the canvas).
BADGE_STYLE = (
    "QToolButton#groupBadge { border-radius: 8px; padding: 1px 6px; border: none;"
    " background: #e0e0e0; color: #555555; font-weight: bold; }"
    + "".join(f'QToolButton#groupBadge[colour="{name}"] {{ background: {bg}; color: {fg}; }}'
              for name, (bg, fg) in BADGE_COLOURS.items())
)


class WorkerSpin(QSpinBox):
    """Workers for a parallel group: Auto (-1, shown as "Auto") or 2..usable CPUs.

    0 means nothing and 1 worker is "sequential", which the group's switch already says, so
    the arrows step Auto <-> 2 and typing 0 or 1 is not accepted (Qt reverts to the last
    value on focus-out).
    """

    def __init__(self, cpus: int, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setRange(AUTO, max(2, cpus))
        self.setSpecialValueText("Auto")
        self.setToolTip("Workers for this group's branches (Auto = one per branch, at most "
                        "the usable CPUs)")

    def set_cpus(self, cpus: int) -> None:
        self.setMaximum(max(2, cpus, self.value()))

    def stepBy(self, steps: int) -> None:
        target = self.value() + steps
        if target in (0, 1):
            target = AUTO if steps < 0 else 2
        self.setValue(max(self.minimum(), min(self.maximum(), target)))

    def validate(self, text: str, pos: int):
        if text.strip() in ("0", "1"):
            return QValidator.State.Intermediate, text, pos
        return super().validate(text, pos)


class BadgeButton(QToolButton):
    """A coloured pill ("parallel ×2", "sequential"); click it for the details popup.

    In a narrow editor (a 1024 px window) the pill shrinks and elides its text (the whole
    text ends its tooltip) rather than widening the group until the editor scrolls
    sideways and hides the pill's end."""

    MIN_TEXT_WIDTH = 48

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setObjectName("groupBadge")
        self.setCursor(Qt.CursorShape.PointingHandCursor)
        self.setSizePolicy(QSizePolicy.Policy.Preferred, QSizePolicy.Policy.Fixed)
        self.badge: Any = None
        self.colour = ""
        self._full = ""
        self._tip = ""
        self.set_badge(None)

    def full_text(self) -> str:
        return self._full

    def _set_full(self, text: str, tip: str) -> None:
        self._full, self._tip = text, tip
        super().setText(text)
        self.setToolTip(tip)
        self.updateGeometry()
        # elided once the layout has given the new text its width (a resize follows when
        # it changes; when it cannot grow, this pass cuts the text to the room there is)
        QTimer.singleShot(0, self, self._elide)

    def _elide(self) -> None:
        room = self.width() - (super().sizeHint().width()
                               - self.fontMetrics().horizontalAdvance(self.text()))
        shown = self.fontMetrics().elidedText(self._full, Qt.TextElideMode.ElideRight,
                                              max(room, self.MIN_TEXT_WIDTH))
        if shown != self.text():
            super().setText(shown)
        cut = shown != self._full
        self.setToolTip(f"{self._tip}\n\nBadge: {self._full}" if cut and self._tip else
                        self._full if cut else self._tip)

    def sizeHint(self) -> QSize:  # Qt override: the whole text's width
        hint = super().sizeHint()
        extra = self.fontMetrics().horizontalAdvance(self._full) - \
            self.fontMetrics().horizontalAdvance(self.text())
        return QSize(hint.width() + max(0, extra), hint.height())

    def minimumSizeHint(self) -> QSize:  # Qt override: room for a few characters
        hint = super().sizeHint()
        text = self.fontMetrics().horizontalAdvance(self.text())
        return QSize(min(hint.width(), hint.width() - text + self.MIN_TEXT_WIDTH),
                     hint.height())

    def resizeEvent(self, event) -> None:  # Qt override
        super().resizeEvent(event)
        self._elide()

    def set_badge(self, badge: Any) -> None:
        """Show a badges.GroupBadge (None: not computed yet). Colours come from BADGE_STYLE
        (on the canvas) through the "colour" property."""
        self.badge = badge
        if badge is None:
            self.colour = ""
            self._set_full("\u2026", "Computing the parallel policy\u2026")
        else:
            self.colour = str(getattr(badge, "colour", "grey"))
            self._set_full(str(getattr(badge, "text", "")),
                           str(getattr(badge, "tooltip", "") or ""))
        self.setProperty("colour", self.colour if self.colour in BADGE_COLOURS else "grey"
                         if self.colour else "")
        style = self.style()
        style.unpolish(self)
        style.polish(self)
        self.update()


class BadgeDetails(QDialog):
    """Why a group runs the way it does, and buttons applying the fixes that exist."""

    def __init__(self, badge: Any, apply_fix: Callable[[Any], None],
                 parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setObjectName("badgeDetails")
        self.setWindowTitle(f"Branch group: {getattr(badge, 'text', '')}")
        self.text = QLabel(str(getattr(badge, "details", "") or getattr(badge, "tooltip", "")))
        self.text.setWordWrap(True)
        self.text.setTextInteractionFlags(Qt.TextInteractionFlag.TextSelectableByMouse)
        self.text.setMinimumWidth(300)
        box = QVBoxLayout(self)
        box.addWidget(self.text)
        self.fix_buttons: list[QPushButton] = []
        for fix in getattr(badge, "fixes", None) or []:
            label = str(getattr(fix, "label", "Apply fix"))
            button = QPushButton(f"Apply fix: {label}")
            button.setObjectName("applyFix")
            button.setToolTip(label)
            button.clicked.connect(lambda _=False, f=fix: (apply_fix(f), self.accept()))
            box.addWidget(button)
            self.fix_buttons.append(button)
        buttons = QDialogButtonBox(QDialogButtonBox.StandardButton.Close)
        buttons.rejected.connect(self.reject)
        box.addWidget(buttons)


class GroupBar(QWidget):
    """[x] parallel  workers [Auto]   (badge)   for one branch step at ``path``.

    options_changed(path, on, n_jobs) is emitted for a user change only (set_options from
    the document is silent): on=False means "run sequentially", on=True "with n_jobs
    workers" (-1 = auto).
    """

    options_changed = Signal(object, bool, int)
    badge_clicked = Signal(object)

    def __init__(self, path: tuple[int, ...], cpus: int, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.path = path
        self.setObjectName("groupBar")
        self.switch = QCheckBox("parallel")
        self.switch.setObjectName("parallelSwitch")
        self.switch.setToolTip("Run this group's branches at the same time (in worker "
                               "processes) instead of one after the other")
        self.workers = WorkerSpin(cpus)
        self.workers.setObjectName("workerSpin")
        self.workers.setKeyboardTracking(False)
        self.workers.setMaximumWidth(70)
        self.badge = BadgeButton()
        self.badge.clicked.connect(lambda: self.badge_clicked.emit(self.path))
        row = QHBoxLayout(self)
        row.setContentsMargins(0, 0, 0, 0)
        row.setSpacing(4)
        row.addWidget(self.switch)
        row.addWidget(self.workers)
        row.addStretch(1)
        row.addWidget(self.badge)
        self._quiet = False
        self.switch.toggled.connect(self._switched)
        self.workers.valueChanged.connect(self._workers_changed)

    def set_options(self, parallel: bool | None, n_jobs: int | None) -> None:
        """Show the spec's "parallel"/"n_jobs" (None = key absent) without emitting.

        The switch shows what the engine will be asked for (engine.policy._asked): n_jobs,
        except that "parallel": true with n_jobs 1 or absent means auto.
        """
        self._quiet = True
        try:
            n = 1 if n_jobs is None else int(n_jobs)
            asked = AUTO if (n == 1 and parallel) else n
            on = asked != 1
            self.switch.setChecked(on)
            self.workers.setEnabled(on)
            if on:
                if asked > self.workers.maximum():
                    self.workers.setMaximum(asked)  # keep a larger spec value visible
                self.workers.setValue(asked)
            else:
                self.workers.setValue(AUTO)  # what switching on will ask for
        finally:
            self._quiet = False

    def _switched(self, on: bool) -> None:
        self.workers.setEnabled(on)
        if self._quiet:
            return
        if on:
            n = self.workers.value()
            self.options_changed.emit(self.path, True, AUTO if n in (0, 1) else n)
        else:
            self.options_changed.emit(self.path, False, 1)

    def _workers_changed(self, n: int) -> None:
        if self._quiet or not self.switch.isChecked():
            return
        self.options_changed.emit(self.path, True, n)
