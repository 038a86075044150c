"""The pipeline canvas: the spec drawn as cards in lanes, with selection, drag and drop.

Why the canvas rebuilds its widgets from the document after every edit instead of patching
them: the document (not the widgets) is the truth, and undo restores whole snapshots; a
rebuild of a few dozen small widgets takes a few milliseconds and can never drift from the
spec. The selection is a document path kept across rebuilds (moved along with the step the
user just dropped or duplicated).

Drops are handled by ``drop_payload(container, index, payload)``; LaneWidget.dropEvent only
works out (container, index) from the drop position, so tests deliver real QDropEvents and
the drag start is tested apart (QDrag.exec is modal).
"""
from __future__ import annotations

from typing import Any

from PySide6.QtCore import QEvent, QPoint, Qt, QTimer, Signal
from PySide6.QtGui import QDrag, QKeyEvent
from PySide6.QtWidgets import QApplication, QFrame, QMenu, QScrollArea, QVBoxLayout, QWidget

from app.editor.cards import CANVAS_STYLE, BranchGroupWidget, LaneWidget, StepCard
from app.editor.commands import EditorController
from app.editor.group_bar import BADGE_STYLE, GroupBar
from app.editor.model.labels import card_details, card_label, card_tooltip
from app.editor.palette import encode_payload

__all__ = ["PipelineCanvas"]

Path = tuple[int, ...]


def moved_path(path: Path, container: Path, index: int) -> Path:
    """Where a step ends up after PipelineDocument.move_step(path, container, index)
    (the same index arithmetic as the document: index counts gaps before the move)."""
    src, j = path[:-1], path[-1]
    tgt, idx = list(container), index
    n = len(src)
    if tgt[:n] == list(src) and len(tgt) > n and tgt[n] > j:
        tgt[n] -= 1
    if tuple(tgt) == src and idx > j:
        idx -= 1
    return tuple(tgt) + (idx,)


class PipelineCanvas(QScrollArea):
    """Cards for every step of ``controller.doc``; branch steps as lanes side by side.

    selection_changed(path or None); message(str) for a refused edit (one line);
    group_options_changed is not needed: group bars call the controller directly.
    """

    selection_changed = Signal(object)
    message = Signal(str)
    badge_clicked = Signal(object)  # path of the branch step whose badge was clicked

    def __init__(self, controller: EditorController, cpus: int = 1,
                 parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.controller = controller
        self.cpus = cpus
        self.selected: Path | None = None
        self.widgets: dict[Path, QWidget] = {}   # step path -> card / group widget
        self.lanes: dict[Path, LaneWidget] = {}  # container path -> lane widget
        self.group_bars: dict[Path, GroupBar] = {}
        self.badges: dict[Path, Any] = {}
        self._dragging = False
        self._dirty = False
        self.setObjectName("pipelineCanvas")
        self.setWidgetResizable(True)
        self.setFocusPolicy(Qt.FocusPolicy.StrongFocus)
        self.setFrameShape(QFrame.Shape.StyledPanel)
        # a persistent holder: QScrollArea.setWidget would delete the old content at once,
        # which may still be on the call stack (a drop handler)
        self._holder = QWidget()
        self._holder.setObjectName("canvasHolder")
        self._holder.setStyleSheet(CANVAS_STYLE + BADGE_STYLE)
        self._holder_box = QVBoxLayout(self._holder)
        self._holder_box.setContentsMargins(4, 4, 4, 4)
        self._content: QWidget | None = None
        self.setWidget(self._holder)
        controller.spec_changed.connect(self._on_spec_changed)
        self.rebuild()

    # -- building -------------------------------------------------------------------------------

    @property
    def doc(self):
        return self.controller.doc

    def _on_spec_changed(self, _spec: Any) -> None:
        if self._dragging:          # the drag source card must outlive QDrag.exec
            self._dirty = True
            return
        self.rebuild()

    def rebuild(self) -> None:
        """Recreate every card from the document (keeps the scroll position)."""
        if self.selected is not None and not self._exists(self.selected):
            self.selected = None
            self.selection_changed.emit(None)
        hbar, vbar = self.horizontalScrollBar().value(), self.verticalScrollBar().value()
        refocus = self._focused_control()
        self.widgets.clear()
        self.lanes.clear()
        self.group_bars.clear()
        old = self._content
        content = QWidget()
        content.setObjectName("canvasContent")
        box = QVBoxLayout(content)
        box.setContentsMargins(0, 0, 0, 0)
        root = LaneWidget(self, (), placeholder="Drag steps here from the palette")
        root.setObjectName("rootLane")
        self._fill(root, (), True)
        box.addWidget(root)
        if old is not None:
            self._holder_box.removeWidget(old)
            old.hide()
            old.deleteLater()
        self._holder_box.addWidget(content)
        self._content = content
        self._fit_lanes()
        self._apply_badges()
        self.horizontalScrollBar().setValue(hbar)
        self.verticalScrollBar().setValue(vbar)
        if refocus is not None:  # keep typing in a group's worker box across the rebuild
            bar = self.group_bars.get(refocus[0])
            target = bar.findChild(QWidget, refocus[1]) if bar is not None else None
            if target is not None:
                target.setFocus(Qt.FocusReason.OtherFocusReason)

    def _focused_control(self) -> tuple[Path, str] | None:
        focus = QApplication.focusWidget()
        if focus is None:
            return None
        for path, bar in self.group_bars.items():
            if bar.isAncestorOf(focus):
                while focus is not None and focus.parentWidget() is not bar:
                    focus = focus.parentWidget()
                if focus is not None and focus.objectName():
                    return path, focus.objectName()
        return None

    def _exists(self, path: Path) -> bool:
        try:
            self.doc.step_at(path)
        except (ValueError, IndexError, KeyError, TypeError):
            return False
        return True

    def _fill(self, lane: LaneWidget, container: Path, parent_enabled: bool) -> None:
        self.lanes[container] = lane
        for path in self.doc.children(container):
            lane.add_item(self._make(path, parent_enabled))

    def _make(self, path: Path, parent_enabled: bool) -> QWidget:
        step = self.doc.step_at(path)
        kind = self.doc.kind_at(path)
        own = self.doc.is_enabled(path)
        shown_enabled = own and parent_enabled
        selected = path == self.selected
        if kind in ("branch", "generator"):
            widget = self._make_group(path, step, kind, own, shown_enabled, selected)
        else:
            widget = StepCard(self, path, kind, card_label(step), card_details(step),
                              shown_enabled, selected, card_tooltip(step))
            if own != shown_enabled:  # own box stays as written; drawn grey by the parent
                widget.check.blockSignals(True)
                widget.check.setChecked(own)
                widget.check.blockSignals(False)
        self.widgets[path] = widget
        return widget

    def _make_group(self, path: Path, step: Any, kind: str, own: bool, shown: bool,
                    selected: bool) -> BranchGroupWidget:
        generator = kind == "generator"
        n_lanes = self.doc.lanes(path)
        subtitle = card_details(step)
        if generator:
            n = self.doc.generator_count(path)
            subtitle = f"{n} branch{'es' if n != 1 else ''}" + (
                " · " + subtitle.split(" · ", 1)[1] if " · " in subtitle else "")
        bar = GroupBar(path, self.cpus)
        options = self.doc.branch_options(path)
        bar.set_options(options["parallel"], options["n_jobs"])
        bar.options_changed.connect(self._group_options)
        bar.badge_clicked.connect(self.badge_clicked)
        self.group_bars[path] = bar
        group = BranchGroupWidget(self, path, card_label(step), subtitle, shown, selected,
                                  controls=bar, vertical=generator)
        group.check.blockSignals(True)
        group.check.setChecked(own)
        group.check.blockSignals(False)
        group.add_lane_button.setText("+ alternative" if generator else "+ lane")
        group.add_lane_button.setToolTip("Add an alternative (one more branch)" if generator
                                         else "Add a lane (one more branch)")
        group.add_lane_button.clicked.connect(lambda: self.add_lane(path))
        for k in range(n_lanes):
            container = path + (k,)
            lane = LaneWidget(self, container, placeholder="no step" if generator
                              else "Drop steps here")
            lane.setObjectName("alternative" if generator else "branchLane")
            self._fill(lane, container, shown)
            remove = (lambda _=False, kk=k: self.remove_lane(path, kk)) if n_lanes > 1 else None
            group.add_lane(f"Alternative {k + 1}" if generator else f"Lane {k + 1}", lane,
                           remove)
        return group

    # -- badges ---------------------------------------------------------------------------------

    def set_badges(self, badges: list[Any]) -> None:
        """Show badges (from badges.group_badges) on the group bars at their paths."""
        self.badges = {tuple(b.path): b for b in badges if getattr(b, "path", None)}
        self._apply_badges()

    def _apply_badges(self) -> None:
        for path, bar in self.group_bars.items():
            badge = self.badges.get(path)
            bar.badge.set_badge(badge)
            bar.badge.setVisible(badge is not None or len(path) == 1)

    def _group_options(self, path: Path, on: bool, n_jobs: int) -> None:
        if on:
            self._call(self.controller.set_branch_options, path, None, n_jobs)
        else:
            self._call(self.controller.set_branch_options, path, False, None)

    # -- selection ------------------------------------------------------------------------------

    def select(self, path: Path | None) -> None:
        path = tuple(path) if path is not None else None
        if path is not None and not self._exists(path):
            path = None
        if path == self.selected:
            return
        old = self.widgets.get(self.selected) if self.selected is not None else None
        if old is not None:
            old.set_selected(False)
        self.selected = path
        new = self.widgets.get(path) if path is not None else None
        if new is not None:
            new.set_selected(True)
            self.ensureWidgetVisible(new, 20, 20)
        self.selection_changed.emit(path)

    def card_clicked(self, path: Path) -> None:
        self.setFocus(Qt.FocusReason.MouseFocusReason)
        self.select(path)

    def mousePressEvent(self, event) -> None:  # click on empty space
        self.setFocus(Qt.FocusReason.MouseFocusReason)
        self.select(None)
        super().mousePressEvent(event)

    # False while a run is going: then Esc is Cancel, wherever the focus is (the window sets it)
    claim_escape = True

    def _fit_lanes(self) -> None:
        """Compact mode per branch step: lanes one under the other when side by side they
        would not fit the editor's width (innermost steps first: a stacked inner step makes
        its lane, hence its parent's row, narrower)."""
        avail = self.viewport().width() - 8
        groups = [(path, w) for path, w in self.widgets.items()
                  if isinstance(w, BranchGroupWidget) and not w.vertical]
        for path, group in sorted(groups, key=lambda item: -len(item[0])):
            group.set_stacked(group.lanes_width() > avail - 14 * (len(path) - 1))

    def resizeEvent(self, event) -> None:  # Qt override
        super().resizeEvent(event)
        if event.oldSize().width() != event.size().width():
            self._fit_lanes()

    def event(self, event) -> bool:  # Qt override
        # Esc with a card selected clears the card selection here, not the window's "Clear
        # selection" shortcut (which would otherwise take every Esc first)
        if (event.type() == QEvent.Type.ShortcutOverride and self.claim_escape
                and self.selected is not None
                and event.key() == Qt.Key.Key_Escape and not event.modifiers()):
            event.accept()
            return True
        return super().event(event)

    def keyPressEvent(self, event: QKeyEvent) -> None:
        """Up/Down walk the siblings; Ctrl+Up/Down move the selected step; Esc clears."""
        key, mods = event.key(), event.modifiers()
        if key == Qt.Key.Key_Escape:
            self.select(None)
            return
        if key in (Qt.Key.Key_Up, Qt.Key.Key_Down):
            if self.selected is None:
                first = self.doc.children(())
                self.select(first[0] if first else None)
                return
            step = -1 if key == Qt.Key.Key_Up else 1
            container, j = self.selected[:-1], self.selected[-1]
            n = self.doc.container_len(container)
            if mods & Qt.KeyboardModifier.ControlModifier:
                target = j + step
                if 0 <= target < n:
                    index = target + 1 if step > 0 else target
                    self.move(self.selected, container, index)
            elif 0 <= j + step < n:
                self.select(container + (j + step,))
            return
        super().keyPressEvent(event)

    # -- edits (each one controller command) ---------------------------------------------------

    def _call(self, fn, *args) -> bool:
        try:
            fn(*args)
        except ValueError as exc:
            self.message.emit(str(exc).splitlines()[0] if str(exc) else "edit refused")
            return False
        return True

    def insert(self, container: Path, index: int, step: Any) -> bool:
        if self._call(self.controller.insert_step, container, index, step):
            self.select(container + (index,))
            return True
        return False

    def insert_near_selection(self, step: Any) -> bool:
        """Insert after the selected step (into it, if it is a branch: its first lane)."""
        if self.selected is None:
            return self.insert((), self.doc.container_len(()), step)
        if self.doc.kind_at(self.selected) in ("branch", "generator"):
            lane = self.selected + (0,)
            return self.insert(lane, self.doc.container_len(lane), step)
        return self.insert(self.selected[:-1], self.selected[-1] + 1, step)

    def move(self, path: Path, container: Path, index: int) -> bool:
        if self._call(self.controller.move_step, path, container, index):
            self.select(moved_path(path, container, index))
            return True
        return False

    def remove_selected(self) -> None:
        path = self.selected
        if path is None:
            return
        if self._call(self.controller.remove_step, path):
            n = self.doc.container_len(path[:-1])
            self.select(path[:-1] + (min(path[-1], n - 1),) if n else
                        (path[:-2] if len(path) > 2 else None))

    def duplicate_selected(self) -> None:
        path = self.selected
        if path is not None and self._call(self.controller.duplicate_step, path):
            self.select(path[:-1] + (path[-1] + 1,))

    def toggle_selected(self) -> None:
        path = self.selected
        if path is not None:
            self._call(self.controller.set_enabled, path, not self.doc.is_enabled(path))

    def add_lane(self, path: Path | None = None) -> None:
        """Add a lane to the branch step at ``path`` (default: the selected one, or the one
        the selection is in); with no branch step around, add a new 2-lane branch step."""
        path = path if path is not None else self._enclosing_branch()
        if path is None:
            index = self.selected[-1] + 1 if self.selected and len(self.selected) == 1 \
                else self.doc.container_len(())
            if self._call(self.controller.make_branch, (), index):
                self.select((index,))
            return
        self._call(self.controller.add_lane, path)

    def add_branch(self) -> None:
        """A new empty 2-lane branch step after the selection (or at the end)."""
        if self.selected is None:
            container, index = (), self.doc.container_len(())
        else:
            container, index = self.selected[:-1], self.selected[-1] + 1
        if self._call(self.controller.make_branch, container, index):
            self.select(container + (index,))

    def remove_lane(self, path: Path, lane: int) -> None:
        self._call(self.controller.remove_lane, path, lane)

    def _enclosing_branch(self) -> Path | None:
        path = self.selected
        while path:
            if self.doc.kind_at(path) in ("branch", "generator"):
                return path
            path = path[:-2]
        return None

    # -- host interface for the cards -------------------------------------------------------------

    def card_toggled(self, path: Path, enabled: bool) -> None:
        self.select(path)
        self._call(self.controller.set_enabled, path, enabled)

    def card_context_menu(self, path: Path, global_pos: QPoint) -> None:
        menu = self.context_menu(path)
        menu.exec(global_pos)

    def context_menu(self, path: Path) -> QMenu:
        """Enable/disable, duplicate, delete (+ lanes for branch steps)."""
        menu = QMenu(self)
        enabled = self.doc.is_enabled(path)
        menu.addAction("Disable" if enabled else "Enable",
                       lambda: self._call(self.controller.set_enabled, path, not enabled))
        menu.addAction("Duplicate\tCtrl+D", lambda: (self.select(path),
                                                      self.duplicate_selected()))
        menu.addAction("Delete\tDel", lambda: (self.select(path), self.remove_selected()))
        kind = self.doc.kind_at(path)
        if kind in ("branch", "generator"):
            menu.addSeparator()
            menu.addAction("Add alternative" if kind == "generator" else "Add lane",
                           lambda: self.add_lane(path))
            menu.addAction("Make branch lanes" if kind == "generator"
                           else "Make generator (_or_)",
                           lambda: self._call(self.controller.set_generator, path,
                                              kind != "generator"))
        return menu

    def accepts_payload(self, container: Path, payload: dict[str, Any]) -> bool:
        if "move" in payload:
            path = tuple(payload["move"] or ())
            return bool(path) and container[:len(path)] != path
        return payload.get("step") is not None

    def drop_payload(self, container: Path, index: int, payload: dict[str, Any]) -> bool:
        """A palette step inserted, or a card moved, at ``index`` of ``container``."""
        if "move" in payload:
            return self.move(tuple(payload["move"]), container, index)
        return self.insert(container, index, payload["step"])

    def start_move_drag(self, path: Path) -> None:
        """Drag a card (modal until dropped). Rebuilds wait until the drag is over, since
        the card being dragged is the QDrag's source."""
        source = self.widgets.get(path)
        if source is None:
            return
        drag = QDrag(source)
        drag.setMimeData(encode_payload({"move": list(path)}))
        pixmap = source.grab()
        if pixmap.width() > 220:
            pixmap = pixmap.scaledToWidth(220, Qt.TransformationMode.SmoothTransformation)
        drag.setPixmap(pixmap)
        drag.setHotSpot(QPoint(10, 10))
        self._dragging = True
        try:
            self._exec_drag(drag)
        finally:
            self._dragging = False
            if self._dirty:
                self._dirty = False
                QTimer.singleShot(0, self.rebuild)

    def _exec_drag(self, drag: QDrag) -> None:
        """Separate so that tests can replace the modal exec."""
        drag.exec(Qt.DropAction.MoveAction)
