"""The step palette: every registry entry, grouped by what it does, filtered by a search box.

Why the registry and nothing else: a step the palette offers must be a step a pipeline file
may name (docs/design.md decision 7), so the palette lists ``engine.registry.registry_entries``
and drags out exactly the JSON a spec would hold ("SNV"). The drag carries that JSON under
our own mime type, so a drop from anywhere else (files, text) is never mistaken for a step.

Why groups by job: with forty-odd steps a flat "Preprocessing" list is too long to scan, so
preprocessing steps are grouped by their registry ``category`` (scatter, derivatives and
smoothing, baseline, conversion, selection and axis, orthogonalisation); a step without one
(a plugin) falls back to a "Preprocessing" group, and empty groups are hidden. The search box
matches names, titles, descriptions and synonyms, so "scatter", "baseline" or "derivative"
find the steps that do it whatever their group.
"""
from __future__ import annotations

import json
from typing import Any

from PySide6.QtCore import QMimeData, QSize, Qt, Signal
from PySide6.QtGui import QFont
from PySide6.QtWidgets import (
    QAbstractItemView,
    QLineEdit,
    QStyle,
    QStyledItemDelegate,
    QStyleOptionViewItem,
    QTreeWidget,
    QTreeWidgetItem,
    QVBoxLayout,
    QWidget,
)

from engine.registry import RegistryEntry, new_step, registry_entries

__all__ = ["GROUPS", "MIME", "StepPalette", "decode_payload", "encode_payload", "search_text"]

#: Mime type of everything dragged inside the editor (palette entries and moved cards).
MIME = "application/x-nirdesk-step"

#: (heading, registry group: a preprocessing category, else the kind) in palette order.
GROUPS = (("Scatter & normalisation", "scatter"), ("Derivatives & smoothing", "derivatives"),
          ("Baseline", "baseline"), ("Conversion", "conversion"),
          ("Selection & axis", "selection"), ("Orthogonalisation", "orthogonalisation"),
          ("Preprocessing", "preprocessing"),
          ("Scaling", "scaling"), ("Models", "model"), ("Splitters", "splitter"))

ENTRY_ROLE = Qt.ItemDataRole.UserRole + 1       # the RegistryEntry of a leaf item
DESCRIPTION_ROLE = Qt.ItemDataRole.UserRole + 2  # its one-line description (second line)


def search_text(entry: RegistryEntry) -> str:
    """What the search box matches against: name, title, abbrev, description, synonyms."""
    return " ".join((entry.name, entry.title, entry.abbrev, entry.description,
                     *entry.synonyms)).lower()


def encode_payload(payload: dict[str, Any]) -> QMimeData:
    """Mime data for a drag: {"step": <JSON step>} from the palette, or
    {"move": [path...]} for a card moved inside the canvas."""
    mime = QMimeData()
    mime.setData(MIME, json.dumps(payload).encode("utf-8"))
    return mime


def decode_payload(mime: QMimeData | None) -> dict[str, Any] | None:
    """The payload of our mime type, or None for anything else (or malformed data)."""
    if mime is None or not mime.hasFormat(MIME):
        return None
    try:
        data = json.loads(bytes(mime.data(MIME)).decode("utf-8"))
    except (ValueError, UnicodeDecodeError):
        return None
    if not isinstance(data, dict) or not ("step" in data or "move" in data):
        return None
    return data


class _TwoLineDelegate(QStyledItemDelegate):
    """Draws a leaf as its name over its description (smaller, grey, elided)."""

    def sizeHint(self, option: QStyleOptionViewItem, index) -> QSize:
        size = super().sizeHint(option, index)
        if index.data(DESCRIPTION_ROLE):
            return QSize(size.width(), int(option.fontMetrics.height() * 2.3) + 4)
        return size

    def paint(self, painter, option: QStyleOptionViewItem, index) -> None:
        description = index.data(DESCRIPTION_ROLE)
        if not description:
            super().paint(painter, option, index)
            return
        opt = QStyleOptionViewItem(option)
        self.initStyleOption(opt, index)
        text = opt.text
        opt.text = ""
        style = opt.widget.style() if opt.widget else None
        if style is not None:
            style.drawControl(QStyle.ControlElement.CE_ItemViewItem, opt, painter, opt.widget)
        rect = opt.rect.adjusted(4, 2, -4, -2)
        selected = bool(opt.state & QStyle.StateFlag.State_Selected)
        painter.save()
        bold = QFont(opt.font)
        bold.setBold(True)
        painter.setFont(bold)
        line = opt.fontMetrics.height()
        painter.setPen(opt.palette.highlightedText().color() if selected
                       else opt.palette.text().color())
        painter.drawText(rect.adjusted(0, 0, 0, -line), Qt.AlignmentFlag.AlignLeft
                         | Qt.AlignmentFlag.AlignTop, text)
        small = QFont(opt.font)
        small.setPointSizeF(max(6.0, opt.font.pointSizeF() * 0.85))
        painter.setFont(small)
        painter.setPen(opt.palette.highlightedText().color() if selected else Qt.GlobalColor.gray)
        metrics = painter.fontMetrics()
        elided = metrics.elidedText(description, Qt.TextElideMode.ElideRight, rect.width())
        painter.drawText(rect.adjusted(0, line + 1, 0, 0), Qt.AlignmentFlag.AlignLeft
                         | Qt.AlignmentFlag.AlignTop, elided)
        painter.restore()


class _PaletteTree(QTreeWidget):
    """A tree whose leaves drag out as our mime type (groups do not drag)."""

    def mimeTypes(self) -> list[str]:
        return [MIME]

    def mimeData(self, items) -> QMimeData:
        entries = [it.data(0, ENTRY_ROLE) for it in items if it.data(0, ENTRY_ROLE)]
        return encode_payload({"step": new_step(entries[0].name) if entries else None})

    def supportedDropActions(self) -> Qt.DropAction:
        return Qt.DropAction.CopyAction


class StepPalette(QWidget):
    """Search box over a tree of registry entries, grouped as GROUPS says (empty groups hidden).

    Drag an entry onto the canvas, or double-click / press Enter on it to emit
    ``step_activated(step_json)`` (the editor inserts it after the selected step).
    """

    step_activated = Signal(object)  # the JSON step to insert (engine.registry.new_step)

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self._task: str | None = None
        self.search = QLineEdit()
        self.search.setPlaceholderText("Search steps\u2026")
        self.search.setClearButtonEnabled(True)
        self.search.setObjectName("paletteSearch")
        self.tree = _PaletteTree()
        self.tree.setObjectName("paletteTree")
        self.tree.setHeaderHidden(True)
        self.tree.setRootIsDecorated(True)
        self.tree.setIndentation(10)
        self.tree.setUniformRowHeights(False)
        self.tree.setItemDelegate(_TwoLineDelegate(self.tree))
        self.tree.setDragEnabled(True)
        self.tree.setDragDropMode(QAbstractItemView.DragDropMode.DragOnly)
        self.tree.setDefaultDropAction(Qt.DropAction.CopyAction)
        self.tree.setSelectionMode(QAbstractItemView.SelectionMode.SingleSelection)
        self.tree.setHorizontalScrollBarPolicy(Qt.ScrollBarPolicy.ScrollBarAlwaysOff)
        self.tree.itemActivated.connect(self._activated)
        layout = QVBoxLayout(self)
        layout.setContentsMargins(0, 0, 0, 0)
        layout.setSpacing(2)
        layout.addWidget(self.search)
        layout.addWidget(self.tree, 1)
        self.search.textChanged.connect(self.set_filter)
        self._groups: dict[str, QTreeWidgetItem] = {}
        self._populate()

    # -- content ----------------------------------------------------------------------------

    def _populate(self) -> None:
        self.tree.clear()
        self._groups.clear()
        entries = registry_entries(task=self._task)
        for heading, key in GROUPS:
            group = QTreeWidgetItem(self.tree, [heading])
            group.setFlags(Qt.ItemFlag.ItemIsEnabled)
            font = group.font(0)
            font.setBold(True)
            group.setFont(0, font)
            self._groups[heading] = group
            for entry in (e for e in entries if e.group == key):
                item = QTreeWidgetItem(group, [entry.name])
                item.setData(0, ENTRY_ROLE, entry)
                item.setData(0, DESCRIPTION_ROLE, entry.description)
                item.setToolTip(0, f"<b>{entry.label}</b> ({entry.name})<br>{entry.description}"
                                if entry.title else f"<b>{entry.name}</b><br>{entry.description}")
                item.setStatusTip(0, entry.description)
                item.setFlags(Qt.ItemFlag.ItemIsEnabled | Qt.ItemFlag.ItemIsSelectable
                              | Qt.ItemFlag.ItemIsDragEnabled)
            group.setExpanded(True)
        self.set_filter(self.search.text())

    def set_task(self, task: str | None) -> None:
        """Offer only the models of this task ("regression"/"classification"; None = all)."""
        if task != self._task:
            self._task = task
            self._populate()

    def groups(self) -> list[str]:
        """Headings in display order."""
        return [self.tree.topLevelItem(i).text(0) for i in range(self.tree.topLevelItemCount())]

    def visible_entries(self, heading: str | None = None) -> list[str]:
        """Names of the entries the filter shows (under ``heading`` only, if given)."""
        out = []
        for name, group in self._groups.items():
            if heading is not None and name != heading:
                continue
            if group.isHidden():
                continue
            out += [group.child(i).text(0) for i in range(group.childCount())
                    if not group.child(i).isHidden()]
        return out

    def item_for(self, name: str) -> QTreeWidgetItem | None:
        for group in self._groups.values():
            for i in range(group.childCount()):
                if group.child(i).text(0) == name:
                    return group.child(i)
        return None

    def refresh(self) -> None:
        """Re-read the registry (after a plugin registered or withdrew a step)."""
        self._populate()

    # -- filter ------------------------------------------------------------------------------

    def set_filter(self, text: str) -> None:
        """Show entries whose name, title, description or synonyms contain every word of
        ``text`` ("scatter", "baseline", "smoothing" find the steps that do it)."""
        words = text.lower().split()
        for group in self._groups.values():
            shown = 0
            for i in range(group.childCount()):
                item = group.child(i)
                entry: RegistryEntry = item.data(0, ENTRY_ROLE)
                hide = not all(w in search_text(entry) for w in words)
                item.setHidden(hide)
                shown += not hide
            group.setHidden(shown == 0)
            if words and shown:
                group.setExpanded(True)

    def _activated(self, item: QTreeWidgetItem, _column: int) -> None:
        entry = item.data(0, ENTRY_ROLE)
        if entry is not None:
            self.step_activated.emit(new_step(entry.name))   # with its start parameters
