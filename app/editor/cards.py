"""The widgets the canvas is drawn with: step cards, lanes, branch groups.

Why plain QWidgets (not a QGraphicsScene): a pipeline has tens of steps, not thousands, and
widgets give us focus, tooltips, check boxes, layouts and real mouse/drop events in tests for
free. These widgets only *draw* and *report*: every click, toggle and drop is forwarded to the
canvas (their ``host``), which turns it into an undoable EditorController command. They are
rebuilt from the document after each edit, so they never hold state of their own beyond the
path they stand for.
"""
from __future__ import annotations

from typing import Any, Protocol

from PySide6.QtCore import QPoint, Qt
from PySide6.QtGui import (
    QColor,
    QDragEnterEvent,
    QDragMoveEvent,
    QDropEvent,
    QMouseEvent,
    QPainter,
    QPen,
)
from PySide6.QtWidgets import (
    QApplication,
    QBoxLayout,
    QCheckBox,
    QFrame,
    QHBoxLayout,
    QLabel,
    QSizePolicy,
    QToolButton,
    QVBoxLayout,
    QWidget,
)

from app.common.elided import ElidedLabel
from app.editor.palette import decode_payload

__all__ = ["CANVAS_STYLE", "CARD_WIDTH", "KIND_COLOURS", "BranchGroupWidget", "LaneWidget",
           "StepCard"]

Path = tuple[int, ...]

CARD_WIDTH = 150  # minimum; two lanes side by side fit a ~400 px dock
KIND_COLOURS = {"operator": "#1f77b4", "preprocessing": "#1f77b4", "scaling": "#17becf",
                "model": "#d62728", "splitter": "#7f7f7f", "branch": "#9467bd",
                "generator": "#9467bd"}
SELECTED = "#ffb000"


def _kind_rules() -> str:
    return "".join(f'QFrame#stepCard[kind="{k}"] {{ border-left: 4px solid {c}; }}'
                   for k, c in KIND_COLOURS.items())


#: ONE style sheet, set on the canvas, for every card, lane and group (selected by object
#: name and dynamic properties). Per-widget style sheets cost ~1 ms per card, because Qt
#: re-polishes a subtree each time a widget with its own sheet is re-parented.
CANVAS_STYLE = (
    "QFrame#stepCard { background: #ffffff; border: 1px solid #b8b8b8;"
    " border-left: 4px solid #555555; border-radius: 3px; }"
    + _kind_rules() +
    'QFrame#stepCard[off="true"] { background: #f2f2f2; border-left: 4px solid #c8c8c8; }'
    f'QFrame#stepCard[selected="true"] {{ background: #fff7e0; border-top: 2px solid {SELECTED};'
    f" border-right: 2px solid {SELECTED}; border-bottom: 2px solid {SELECTED}; }}"
    "QLabel#cardDetails { color: #555555; }"
    'QLabel#cardTitle[off="true"], QLabel#cardDetails[off="true"] { color: #9a9a9a; }'
    "QFrame#branchGroup { border: 1px solid #9467bd; border-radius: 4px; background: #f4effa; }"
    'QFrame#branchGroup[off="true"] { background: #eeeeee; }'
    f'QFrame#branchGroup[selected="true"] {{ border: 2px solid {SELECTED}; }}'
    "QLabel#groupSubtitle { color: #555555; }"
    "QFrame#laneColumn { border: 1px solid #d0c4e4; border-radius: 3px; background: #fbfaff; }"
    "QLabel#laneTitle { color: #6a5a8a; }"
    "QLabel#emptyLane { color: #999999; border: 1px dashed #c0c0c0; padding: 6px; }"
)


def _restyle(widget: QWidget) -> None:
    """Re-apply the canvas style sheet after a dynamic property changed."""
    style = widget.style()
    style.unpolish(widget)
    style.polish(widget)
    widget.update()


class Host(Protocol):
    """What the widgets need from the canvas."""

    def card_clicked(self, path: Path) -> None: ...
    def card_toggled(self, path: Path, enabled: bool) -> None: ...
    def card_context_menu(self, path: Path, global_pos: QPoint) -> None: ...
    def start_move_drag(self, path: Path) -> None: ...
    def drop_payload(self, container: Path, index: int, payload: dict[str, Any]) -> bool: ...
    def accepts_payload(self, container: Path, payload: dict[str, Any]) -> bool: ...


class _Pressable(QFrame):
    """Selects on click, starts a move drag past the drag distance, opens a context menu."""

    def __init__(self, host: Host, path: Path, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.host = host
        self.path = path
        self._press: QPoint | None = None

    def mousePressEvent(self, event: QMouseEvent) -> None:
        if event.button() == Qt.MouseButton.LeftButton:
            self._press = event.position().toPoint()
            self.host.card_clicked(self.path)
            event.accept()
            return
        super().mousePressEvent(event)

    def mouseMoveEvent(self, event: QMouseEvent) -> None:
        if self._press is not None and event.buttons() & Qt.MouseButton.LeftButton:
            moved = (event.position().toPoint() - self._press).manhattanLength()
            if moved >= QApplication.startDragDistance():
                self._press = None
                self.host.start_move_drag(self.path)
                return
        super().mouseMoveEvent(event)

    def mouseReleaseEvent(self, event: QMouseEvent) -> None:
        self._press = None
        super().mouseReleaseEvent(event)

    def contextMenuEvent(self, event) -> None:
        self.host.card_clicked(self.path)
        self.host.card_context_menu(self.path, event.globalPos())


class StepCard(_Pressable):
    """One step: enable box, name (struck through when disabled), key parameters."""

    def __init__(self, host: Host, path: Path, kind: str, title: str, details: str,
                 enabled: bool, selected: bool, tooltip: str = "",
                 parent: QWidget | None = None) -> None:
        super().__init__(host, path, parent)
        self.kind = kind
        self.setObjectName("stepCard")
        self.setProperty("path", list(path))
        self.setMinimumWidth(CARD_WIDTH)
        self.setSizePolicy(QSizePolicy.Policy.Expanding, QSizePolicy.Policy.Fixed)
        self.enabled = enabled
        self.selected = selected
        self.setProperty("kind", kind)
        self.setProperty("off", not enabled)
        self.setProperty("selected", selected)
        self.check = QCheckBox()
        self.check.setChecked(enabled)
        self.check.setToolTip("Enabled (a disabled step is skipped when running)")
        self.check.setFocusPolicy(Qt.FocusPolicy.NoFocus)
        self.check.toggled.connect(lambda on: host.card_toggled(self.path, on))
        self.title = QLabel(title)
        self.title.setObjectName("cardTitle")
        font = self.title.font()
        font.setBold(True)
        font.setStrikeOut(not enabled)
        self.title.setFont(font)
        self.details = QLabel(details)
        self.details.setObjectName("cardDetails")
        small = self.details.font()
        small.setPointSizeF(max(6.0, small.pointSizeF() * 0.85))
        self.details.setFont(small)
        for label in (self.title, self.details):
            label.setProperty("off", not enabled)
            label.setSizePolicy(QSizePolicy.Policy.Ignored, QSizePolicy.Policy.Preferred)
        text = QVBoxLayout()
        text.setContentsMargins(0, 0, 0, 0)
        text.setSpacing(0)
        text.addWidget(self.title)
        if details:
            text.addWidget(self.details)
        else:
            self.details.hide()
        row = QHBoxLayout(self)
        row.setContentsMargins(4, 2, 4, 2)
        row.setSpacing(3)
        row.addWidget(self.check, 0, Qt.AlignmentFlag.AlignTop)
        row.addLayout(text, 1)
        self.setToolTip(tooltip or (f"{title}\n{details}" if details else title))

    def set_selected(self, selected: bool) -> None:
        """Redraw the frame for the selection (no rebuild: selection is not an edit)."""
        self.selected = selected
        self.setProperty("selected", selected)
        _restyle(self)


class LaneWidget(QFrame):
    """A vertical run of steps (the top-level pipeline, or one lane of a branch step).

    Accepts drops of our mime type; the insertion index is where the drop lands between the
    children (their vertical midpoints), and a line shows it while dragging.
    """

    def __init__(self, host: Host, container: Path, parent: QWidget | None = None,
                 placeholder: str = "Drop steps here") -> None:
        super().__init__(parent)
        self.host = host
        self.container = container
        self.setObjectName("lane")
        self.setAcceptDrops(True)
        self.items: list[QWidget] = []
        self._indicator: int | None = None
        self.box = QVBoxLayout(self)
        self.box.setContentsMargins(3, 3, 3, 3)
        self.box.setSpacing(4)
        self.empty = QLabel(placeholder)
        self.empty.setAlignment(Qt.AlignmentFlag.AlignCenter)
        self.empty.setObjectName("emptyLane")
        self.empty.setMinimumHeight(28)
        self.box.addWidget(self.empty)
        self.box.addStretch(1)

    def add_item(self, widget: QWidget) -> None:
        self.empty.hide()
        self.items.append(widget)
        self.box.insertWidget(self.box.count() - 1, widget)

    # -- drop position ------------------------------------------------------------------------

    def index_at(self, y: float) -> int:
        """Insertion index for a drop at ``y`` (lane coordinates)."""
        for i, widget in enumerate(self.items):
            geo = widget.geometry()
            if y < geo.top() + geo.height() / 2:
                return i
        return len(self.items)

    def _indicator_y(self, index: int) -> int:
        if not self.items:
            return self.empty.geometry().top()
        if index < len(self.items):
            return self.items[index].geometry().top() - 2
        return self.items[-1].geometry().bottom() + 2

    def _accept(self, event) -> dict[str, Any] | None:
        payload = decode_payload(event.mimeData())
        if payload is None or not self.host.accepts_payload(self.container, payload):
            return None
        return payload

    def dragEnterEvent(self, event: QDragEnterEvent) -> None:
        if self._accept(event) is not None:
            event.acceptProposedAction()
        else:
            event.ignore()

    def dragMoveEvent(self, event: QDragMoveEvent) -> None:
        if self._accept(event) is None:
            event.ignore()
            return
        self._indicator = self.index_at(event.position().y())
        self.update()
        event.acceptProposedAction()

    def dragLeaveEvent(self, event) -> None:
        self._indicator = None
        self.update()

    def dropEvent(self, event: QDropEvent) -> None:
        self._indicator = None
        self.update()
        payload = self._accept(event)
        if payload is None:
            event.ignore()
            return
        index = self.index_at(event.position().y())
        if self.host.drop_payload(self.container, index, payload):
            event.setDropAction(Qt.DropAction.MoveAction if "move" in payload
                                else Qt.DropAction.CopyAction)
            event.accept()
        else:
            event.ignore()

    def paintEvent(self, event) -> None:
        super().paintEvent(event)
        if self._indicator is None:
            return
        painter = QPainter(self)
        painter.setPen(QPen(QColor(SELECTED), 3))
        y = self._indicator_y(self._indicator)
        painter.drawLine(4, y, self.width() - 4, y)
        painter.end()


class BranchGroupWidget(_Pressable):
    """A branch step: a header (title, group controls, badge) over lanes side by side.

    Lanes are LaneWidgets side by side; a generator's alternatives (``vertical``) are listed
    one under the other, since they are usually one step each and a list reads better than
    many narrow columns. The header strip selects the branch step itself (so Del/Ctrl+D act
    on the whole group).
    """

    def __init__(self, host: Host, path: Path, title: str, subtitle: str, enabled: bool,
                 selected: bool, controls: QWidget | None = None, vertical: bool = False,
                 parent: QWidget | None = None) -> None:
        super().__init__(host, path, parent)
        self.setObjectName("branchGroup")
        self.vertical = vertical
        self.setProperty("path", list(path))
        self.setSizePolicy(QSizePolicy.Policy.Expanding, QSizePolicy.Policy.Fixed)
        self.enabled = enabled
        self.selected = selected
        self.setProperty("off", not enabled)
        self.setProperty("selected", selected)
        self.check = QCheckBox()
        self.check.setChecked(enabled)
        self.check.setFocusPolicy(Qt.FocusPolicy.NoFocus)
        self.check.setToolTip("Enabled (a disabled branch step is skipped with all its lanes)")
        self.check.toggled.connect(lambda on: host.card_toggled(self.path, on))
        self.title = QLabel(title)
        self.title.setObjectName("groupTitle")
        font = self.title.font()
        font.setBold(True)
        font.setStrikeOut(not enabled)
        self.title.setFont(font)
        self.subtitle = ElidedLabel(subtitle)   # "4 branches · n_jobs=2" may be cut
        self.subtitle.setObjectName("groupSubtitle")
        head = QHBoxLayout()
        head.setContentsMargins(0, 0, 0, 0)
        head.setSpacing(4)
        head.addWidget(self.check)
        head.addWidget(self.title)
        head.addWidget(self.subtitle, 1)
        self.add_lane_button = QToolButton()
        self.add_lane_button.setText("+ lane")
        self.add_lane_button.setObjectName("addLane")
        self.add_lane_button.setAutoRaise(True)
        head.addWidget(self.add_lane_button)
        self.lanes_row = QVBoxLayout() if vertical else QHBoxLayout()
        self.lanes_row.setContentsMargins(0, 0, 0, 0)
        self.lanes_row.setSpacing(4)
        box = QVBoxLayout(self)
        box.setContentsMargins(4, 3, 4, 4)
        box.setSpacing(3)
        box.addLayout(head)
        if controls is not None:
            box.addWidget(controls)
        box.addLayout(self.lanes_row)
        self.lane_widgets: list[QWidget] = []

    def set_selected(self, selected: bool) -> None:
        self.selected = selected
        self.setProperty("selected", selected)
        _restyle(self)

    @property
    def stacked(self) -> bool:
        """Lanes one under the other (a generator always; a branch in a narrow editor)."""
        return self.lanes_row.direction() == QBoxLayout.Direction.TopToBottom

    def set_stacked(self, stacked: bool) -> None:
        """The compact editor: a branch step's lanes one under the other, so a 4-lane branch
        in a 330 px dock shows every lane and its group controls without scrolling sideways
        (side by side they need ~160 px each). A generator's list is always stacked."""
        if self.vertical:
            return
        want = (QBoxLayout.Direction.TopToBottom if stacked
                else QBoxLayout.Direction.LeftToRight)
        if self.lanes_row.direction() != want:
            self.lanes_row.setDirection(want)

    def lanes_width(self) -> int:
        """Width the lanes need side by side (their minimum widths and the spacing)."""
        widths = [self.lanes_row.itemAt(i).widget().minimumSizeHint().width()
                  for i in range(self.lanes_row.count()) if self.lanes_row.itemAt(i).widget()]
        return sum(widths) + self.lanes_row.spacing() * max(0, len(widths) - 1) + 8

    def add_lane(self, title: str, lane: QWidget, remove: Any | None = None) -> None:
        """Append a lane column with a small header ("Lane 2  ×")."""
        column = QFrame()
        column.setObjectName("laneColumn")
        # no explicit minimum width: it would override the layout's minimum and clip a
        # nested branch step; the cards' own minimum widths propagate up instead
        label = QLabel(title)
        label.setObjectName("laneTitle")
        button = None
        if remove is not None:
            button = QToolButton()
            button.setText("\u00d7")
            button.setObjectName("removeLane")
            button.setToolTip(f"Remove {title.lower()}")
            button.setAutoRaise(True)
            button.clicked.connect(remove)
        if self.vertical:  # one compact row per alternative: "2 [cards] ×"
            label.setText(title.rsplit(" ", 1)[-1])
            label.setToolTip(title)
            label.setMinimumWidth(12)
            inner = QHBoxLayout(column)
            inner.setContentsMargins(3, 0, 0, 0)
            inner.setSpacing(1)
            inner.addWidget(label, 0, Qt.AlignmentFlag.AlignVCenter)
            inner.addWidget(lane, 1)
            if button is not None:
                inner.addWidget(button, 0, Qt.AlignmentFlag.AlignVCenter)
        else:
            inner = QVBoxLayout(column)
            inner.setContentsMargins(2, 1, 2, 2)
            inner.setSpacing(1)
            head = QHBoxLayout()
            head.setContentsMargins(2, 0, 0, 0)
            head.addWidget(label, 1)
            if button is not None:
                head.addWidget(button)
            inner.addLayout(head)
            inner.addWidget(lane, 1)
        self.lanes_row.addWidget(column, 1)
        self.lane_widgets.append(lane)
