"""The parameter inspector: a form for the selected step, and its finetune (Optuna) section.

Why fields come from ``engine.pipeline.params.param_fields`` (the step class's
``_parameter_constraints``, or its constructor defaults: one code path for every class) and
values go through ``params.validate_value``: the form must offer exactly the parameters the
estimator takes, with bounds the engine agrees with, and refuse a bad value *while typing*
(red border + one-line message) instead of writing it into the spec and failing at run time.
Every accepted change is one EditorController command, so it is undoable like a drag on the
canvas.
"""
from __future__ import annotations

import json
import math
import textwrap
from collections.abc import Callable
from typing import Any

from PySide6.QtCore import QSignalBlocker, Qt, Signal
from PySide6.QtWidgets import (
    QAbstractItemView,
    QCheckBox,
    QComboBox,
    QFormLayout,
    QGroupBox,
    QHBoxLayout,
    QHeaderView,
    QLabel,
    QLineEdit,
    QPushButton,
    QScrollArea,
    QSpinBox,
    QTableWidget,
    QTableWidgetItem,
    QVBoxLayout,
    QWidget,
)

from app.editor.commands import EditorController
from engine.errors import SpecError
from engine.pipeline import params as params_mod
from engine.registry import get_entry

__all__ = ["FINETUNE_TYPES", "StepInspector"]

FINETUNE_TYPES = params_mod.finetune_dimension_kinds
INVALID = "border: 2px solid #d32f2f;"
INT_LIMIT = 2_000_000_000


def _fmt(value: Any) -> str:
    """A value as the user would type it (floats in short or scientific form)."""
    if value is None:
        return ""
    if isinstance(value, float):
        return repr(value) if (value == 0 or 1e-4 <= abs(value) < 1e6) else f"{value:g}"
    return str(value)


def _parse_text(text: str) -> Any:
    """Typed text -> Python value (numbers, true/false, none); anything else stays a string."""
    t = text.strip()
    if t == "" or t.lower() in ("none", "null"):
        return None
    if t.lower() in ("true", "false"):
        return t.lower() == "true"
    try:
        return int(t)
    except ValueError:
        pass
    try:
        value = float(t)
    except ValueError:
        return t
    return value


class _Field:
    """One row of the form: the editor widget, how to read it, its message label."""

    def __init__(self, field: Any, widget: QWidget, read: Callable[[], Any]) -> None:
        self.field = field
        self.widget = widget
        self.read = read
        self.message = QLabel()
        self.message.setObjectName("fieldError")
        self.message.setStyleSheet("color: #d32f2f;")
        self.message.setWordWrap(True)
        self.message.hide()

    def show_error(self, text: str | None) -> None:
        self.widget.setStyleSheet(INVALID if text else "")
        self.message.setText(text or "")
        self.message.setVisible(bool(text))


def step_info(doc: Any, path: tuple[int, ...] | None
              ) -> tuple[str, str, dict[str, Any], dict[str, Any] | None] | None:
    """(class name, kind, explicit params, finetune_params or None) of a non-branch step;
    None for no path, a vanished path or a branch step."""
    if path is None:
        return None
    try:
        step = doc.step_at(path)
        kind = doc.kind_at(path)
    except (ValueError, IndexError, KeyError, TypeError):
        return None
    if kind in ("branch", "generator"):
        return None
    if isinstance(step, str):
        return step, kind, {}, None
    inner = step.get("model", step)
    name = inner if isinstance(inner, str) else str(inner.get("class", ""))
    params = dict(inner.get("params") or {}) if isinstance(inner, dict) else {}
    finetune = step.get("finetune_params") if "model" in step else None
    return name, kind, params, finetune


class StepInspector(QWidget):
    """Edits the step at ``path`` of the controller's document; every accepted value is one
    set_params / set_finetune command (consecutive edits of one field merge in the undo
    history, as the controller does for typing)."""

    edit_refused = Signal(str)  # one-line message of a refused value

    def __init__(self, controller: EditorController, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.controller = controller
        self.path: tuple[int, ...] | None = None
        self.fields: dict[str, _Field] = {}
        self._class = ""
        self.setObjectName("stepInspector")
        self.title = QLabel("No step selected")
        self.title.setObjectName("inspectorTitle")
        font = self.title.font()
        font.setBold(True)
        self.title.setFont(font)
        self.subtitle = QLabel("Select a step on the canvas to edit its parameters.")
        self.subtitle.setWordWrap(True)
        self.subtitle.setStyleSheet("color: #666666;")
        self.form_host = QWidget()
        self.form = QFormLayout(self.form_host)
        self.form.setContentsMargins(0, 0, 0, 0)
        self.form.setFieldGrowthPolicy(QFormLayout.FieldGrowthPolicy.AllNonFixedFieldsGrow)
        self.form.setRowWrapPolicy(QFormLayout.RowWrapPolicy.WrapLongRows)
        self.finetune = _FinetuneSection(self._apply_finetune)
        self.finetune.hide()
        body = QWidget()
        inner = QVBoxLayout(body)
        inner.setContentsMargins(4, 4, 4, 4)
        inner.addWidget(self.title)
        inner.addWidget(self.subtitle)
        inner.addWidget(self.form_host)
        inner.addWidget(self.finetune)
        inner.addStretch(1)
        scroll = QScrollArea()
        scroll.setWidgetResizable(True)
        scroll.setFrameShape(QScrollArea.Shape.NoFrame)
        scroll.setWidget(body)
        scroll.setHorizontalScrollBarPolicy(Qt.ScrollBarPolicy.ScrollBarAlwaysOff)
        box = QVBoxLayout(self)
        box.setContentsMargins(0, 0, 0, 0)
        box.addWidget(scroll)

    # -- showing a step ------------------------------------------------------------------------

    def show_path(self, path: tuple[int, ...] | None) -> None:
        """Rebuild the form for the step at ``path`` (None or a branch: no form)."""
        self.path = path
        self._clear_form()
        info = step_info(self.controller.doc, path)
        if info is None:
            self.title.setText("No step selected" if path is None else "Branch step")
            self.subtitle.setText("Select a step on the canvas to edit its parameters."
                                  if path is None else
                                  "Use the group's switch and worker count on the canvas.")
            self.finetune.hide()
            return
        name, kind, params, finetune = info
        entry = get_entry(name)
        self.title.setText(f"{name}  \u00b7  {kind}")
        self.subtitle.setText(entry.description if entry else name)
        try:
            fields = params_mod.param_fields(name)
        except ValueError as exc:
            fields = []
            self.subtitle.setText(str(exc))
        self._class = name
        for field in fields:
            self._add_field(field, params.get(field.name, field.default), field.name in params)
        if kind == "model":
            self.finetune.show()
            self.finetune.load(name, fields, finetune)
        else:
            self.finetune.hide()

    def refresh(self) -> None:
        """Re-read the document after an edit, undo or redo. The same step keeps its form
        (values updated in place, so focus and Tab order survive typing); another step, or
        another class at the path, gets a new form."""
        info = step_info(self.controller.doc, self.path)
        if info is None or not self.fields or info[0] != self._class:
            self.show_path(self.path)
            return
        name, kind, params, finetune = info
        for field_name, row in self.fields.items():
            explicit = field_name in params
            value = params.get(field_name, row.field.default)
            blocker = QSignalBlocker(row.widget)
            row.write(value)
            del blocker
            row.show_error(None)
            _label_text(row.label, field_name, explicit)
        if kind == "model" and self.finetune.value()[0] != finetune:
            self.finetune.load(name, [r.field for r in self.fields.values()], finetune)

    def _clear_form(self) -> None:
        while self.form.rowCount():
            self.form.removeRow(0)
        self.fields.clear()

    def _add_field(self, field: Any, value: Any, explicit: bool) -> None:
        """The widget params.ParamField.kind asks for (see engine/pipeline/params.py)."""
        kind = str(field.kind)
        choices = list(field.choices or ())
        lo, hi = field.minimum, field.maximum
        if kind == "choice":
            widget = QComboBox()
            for choice in choices:
                widget.addItem("None" if choice is None else _fmt(choice), choice)
            index = next((i for i, c in enumerate(choices) if c == value), -1)
            if index < 0:
                widget.addItem(_fmt(value), value)
                index = widget.count() - 1
            widget.setCurrentIndex(index)
            read = lambda w=widget: w.currentData()  # noqa: E731
            write = lambda v, w=widget: _set_combo(w, v)  # noqa: E731
            signal = widget.activated
        elif kind == "bool" and isinstance(value, bool):
            widget = QCheckBox()
            widget.setChecked(value)
            read = widget.isChecked
            write = lambda v, w=widget: w.setChecked(bool(v))  # noqa: E731
            signal = widget.toggled
        elif kind == "int" and not choices and isinstance(value, int) \
                and not isinstance(value, bool):
            widget = QSpinBox()
            low = -INT_LIMIT if lo is None else math.ceil(lo) + (
                0 if field.min_inclusive else 1)
            high = INT_LIMIT if hi is None else math.floor(hi) - (
                0 if field.max_inclusive else 1)
            widget.setRange(max(low, -INT_LIMIT), min(high, INT_LIMIT))
            widget.setValue(value)
            widget.setKeyboardTracking(False)
            read = widget.value
            write = lambda v, w=widget: (  # noqa: E731
                w.setValue(int(v)) if isinstance(v, int) else None)
            signal = widget.valueChanged
        elif choices:  # a number or one of some strings (SVR gamma: 0.1 or "scale")
            widget = QComboBox()
            widget.setEditable(True)
            widget.addItems(["None" if c is None else str(c) for c in choices])
            widget.setCurrentText(_text_of(value, kind))
            read = widget.currentText
            write = lambda v, w=widget, k=kind: w.setCurrentText(_text_of(v, k))  # noqa: E731
            signal = widget.lineEdit().editingFinished
            widget.activated.connect(lambda _i, n=field.name: self._commit(n))
            widget.lineEdit().textEdited.connect(lambda _t, n=field.name: self._check(n))
        else:  # floats (1e-5), optional numbers, text, JSON: a line edit validated as typed
            widget = QLineEdit(_text_of(value, kind))
            if field.nullable:
                widget.setPlaceholderText("None")
            read = widget.text
            write = lambda v, w=widget, k=kind: (  # noqa: E731
                w.setText(_text_of(v, k)) if w.text() != _text_of(v, k) else None)
            signal = widget.editingFinished
            widget.textEdited.connect(lambda _t, n=field.name: self._check(n))
        widget.setObjectName(f"param_{field.name}")
        tip = textwrap.fill(str(field.description or ""), 72)
        bounds = [] if lo is None and hi is None else [f"range {_fmt(lo) or '-inf'}"
                                                        f"..{_fmt(hi) or 'inf'}"]
        widget.setToolTip("\n".join([t for t in (tip, *bounds) if t]))
        row = _Field(field, widget, read)
        row.write = write
        self.fields[field.name] = row
        label = QLabel()
        row.label = label
        _label_text(label, field.name, explicit)
        label.setToolTip(tip)
        holder = QWidget()
        col = QVBoxLayout(holder)
        col.setContentsMargins(0, 0, 0, 0)
        col.setSpacing(0)
        col.addWidget(widget)
        col.addWidget(row.message)
        self.form.addRow(label, holder)
        signal.connect(lambda *_a, n=field.name: self._commit(n))

    # -- applying ------------------------------------------------------------------------------

    def _check(self, name: str) -> tuple[Any, str | None]:
        """Validate the field as typed: red border and a message when refused."""
        row = self.fields[name]
        value, error = params_mod.validate_value(row.field, row.read())
        row.show_error(error)
        return value, error

    def _commit(self, name: str) -> None:
        """Apply a field's value: one set_params command, unless the value (or the step
        with it, e.g. polyorder >= window_length) is refused."""
        if self.path is None or name not in self.fields:
            return
        value, error = self._check(name)
        info = step_info(self.controller.doc, self.path)
        if error or info is None:
            if error:
                self.edit_refused.emit(error)
            return
        current = info[2]
        if name in current and _same(current[name], value):
            return
        if name not in current and _same(value, self.fields[name].field.default):
            return
        merged = {**current, name: value}
        problem = params_mod.validate_params(info[0], merged)
        if problem:
            self.fields[name].show_error(problem)
            self.edit_refused.emit(problem)
            return
        path = self.path
        try:
            self.controller.set_params(path, merged, field=name)
        except ValueError as exc:
            self.fields[name].show_error(str(exc))
            self.edit_refused.emit(str(exc))

    def _apply_finetune(self, finetune: dict[str, Any] | None) -> str | None:
        """Apply the finetune section; the refusal message, or None when applied."""
        if self.path is None:
            return None
        try:
            self.controller.set_finetune(self.path, finetune)
        except ValueError as exc:
            self.edit_refused.emit(str(exc))
            return str(exc)
        return None

    # -- for tests and the editor ---------------------------------------------------------------

    def field_widget(self, name: str) -> QWidget:
        return self.fields[name].widget

    def field_error(self, name: str) -> str:
        return self.fields[name].message.text()


def _label_text(label: QLabel, name: str, explicit: bool) -> None:
    """Parameters set in the spec in plain text, defaults in italics."""
    label.setText(name if explicit else f"<i>{name}</i>")


def _set_combo(combo: QComboBox, value: Any) -> None:
    index = next((i for i in range(combo.count()) if combo.itemData(i) == value), -1)
    if index < 0:
        combo.addItem(_fmt(value), value)
        index = combo.count() - 1
    combo.setCurrentIndex(index)


def _text_of(value: Any, kind: str) -> str:
    """A value as shown in a line edit ("" for None, JSON for lists/tuples)."""
    if value is None:
        return ""
    if kind == "json" and not isinstance(value, str):
        try:
            return json.dumps(value)
        except TypeError:
            return str(value)
    return _fmt(value)


def _same(a: Any, b: Any) -> bool:
    if isinstance(a, float) and isinstance(b, float):
        return a == b or (math.isnan(a) and math.isnan(b))
    return type(a) is type(b) and a == b


def default_range(field: Any) -> list[Any]:
    """A sensible first range for a new finetune row, from the parameter's bounds: ints
    lo..lo+9, positive-only floats on a log scale, choices and booleans categorical."""
    if field is None:
        return ["float", 0.0, 1.0]
    lo, hi = field.minimum, field.maximum
    if field.kind in ("int", "none_or_int"):
        low = max(int(lo) + (0 if field.min_inclusive else 1), 1) if lo is not None else 1
        high = low + 9 if hi is None else min(low + 9, int(hi))
        return ["int", low, max(low, high)]
    if field.kind in ("float", "none_or_float"):
        if lo is not None and lo >= 0 and hi is None:
            return ["float_log", 1e-3, 1e3]
        low = float(lo) if lo is not None else 0.0
        high = float(hi) if hi is not None else low + 1.0
        return ["float", low, high]
    if field.kind == "bool":
        return ["categorical", [True, False]]
    if field.choices:
        return ["categorical", list(field.choices)]
    return ["categorical", [field.default]]


class _FinetuneSection(QGroupBox):
    """Enable finetune, n_trials, n_jobs, and one table row per tuned parameter.

    The whole section is applied as one finetune dict (or None when unchecked), and only when
    every row is a valid range (checked by the tuner's own parse_dimension, so the messages
    are the ones a run would give).
    """

    def __init__(self, apply: Callable[[dict[str, Any] | None], str | None]) -> None:
        super().__init__("Finetune (Optuna)")
        self.setObjectName("finetuneSection")
        self.setCheckable(True)
        self.setChecked(False)
        self._apply = apply
        self._loading = False
        self._extra: dict[str, Any] = {}
        self.n_trials = QSpinBox()
        self.n_trials.setObjectName("finetuneTrials")
        self.n_trials.setRange(1, 100_000)
        self.n_trials.setValue(50)
        self.n_trials.setKeyboardTracking(False)
        self.n_jobs = QSpinBox()
        self.n_jobs.setObjectName("finetuneJobs")
        self.n_jobs.setRange(-1, 256)
        self.n_jobs.setSpecialValueText("Auto")
        self.n_jobs.setValue(1)
        self.n_jobs.setKeyboardTracking(False)
        self.n_jobs.setToolTip("Optuna trials run at once (Auto = as the policy allows)")
        self.selection = QComboBox()
        self.selection.setObjectName("finetuneSelection")
        for text, rule in (("fewest within 1 SE", "one_se"), ("minimum CV error", "minimum")):
            self.selection.addItem(text, rule)
        self.selection.setToolTip(
            "How the exact PLS component sweep picks n_components: the fewest components "
            "whose RMSECV is within one standard error of the minimum (default, parsimonious), "
            "or the plain minimum")
        self.table = QTableWidget(0, 4)
        self.table.setObjectName("finetuneTable")
        self.table.setHorizontalHeaderLabels(["parameter", "type", "low", "high / choices"])
        self.table.verticalHeader().hide()
        header = self.table.horizontalHeader()
        header.setSectionResizeMode(QHeaderView.ResizeMode.Stretch)
        header.setSectionResizeMode(0, QHeaderView.ResizeMode.ResizeToContents)
        header.setSectionResizeMode(1, QHeaderView.ResizeMode.ResizeToContents)
        self.table.setSelectionBehavior(QAbstractItemView.SelectionBehavior.SelectRows)
        self.table.setMinimumHeight(90)
        self.add_button = QPushButton("Add range")
        self.remove_button = QPushButton("Remove")
        self.message = QLabel()
        self.message.setObjectName("finetuneError")
        self.message.setStyleSheet("color: #d32f2f;")
        self.message.setWordWrap(True)
        self.message.hide()
        form = QFormLayout()
        form.addRow("trials", self.n_trials)
        form.addRow("parallel trials", self.n_jobs)
        form.addRow("components", self.selection)
        buttons = QHBoxLayout()
        buttons.addWidget(self.add_button)
        buttons.addWidget(self.remove_button)
        buttons.addStretch(1)
        box = QVBoxLayout(self)
        box.addLayout(form)
        box.addWidget(self.table)
        box.addLayout(buttons)
        box.addWidget(self.message)
        self._param_names: list[str] = []
        self._fields: dict[str, Any] = {}
        self._model = ""
        self.toggled.connect(lambda _on: self.commit())
        self.n_trials.valueChanged.connect(lambda _v: self.commit())
        self.n_jobs.valueChanged.connect(lambda _v: self.commit())
        self.selection.currentIndexChanged.connect(lambda _i: self.commit())
        self.table.itemChanged.connect(lambda _i: self.commit())
        self.add_button.clicked.connect(self._add_row)
        self.remove_button.clicked.connect(self._remove_row)

    def load(self, model: str, fields: list[Any], finetune: dict[str, Any] | None) -> None:
        """Show a model's finetune_params (None: section unchecked); ``fields`` are its
        params.ParamFields (for the default range of a new row)."""
        self._loading = True
        self._model = model
        try:
            self._fields = {f.name: f for f in fields}
            self._param_names = [f.name for f in fields]
            self.setChecked(finetune is not None)
            ft = dict(finetune or {})
            self.n_trials.setValue(int(ft.pop("n_trials", 50)))
            self.n_jobs.setValue(int(ft.pop("n_jobs", 1)))
            index = self.selection.findData(ft.pop("selection", "one_se"))
            self.selection.setCurrentIndex(max(index, 0))
            space = ft.pop("model_params", {}) or {}
            self._extra = ft  # sampler, metric, timeout...: kept as they are
            self.table.setRowCount(0)
            for key, value in space.items():
                self._append(key, value)
            self.message.hide()
        finally:
            self._loading = False

    def _append(self, key: str, value: Any) -> None:
        row = self.table.rowCount()
        self.table.insertRow(row)
        kind, low, high = "categorical", "", ""
        if isinstance(value, (list, tuple)) and value:
            if value[0] == "categorical" and len(value) == 2:
                high = ", ".join(_fmt(v) for v in value[1])
            elif isinstance(value[0], str) and len(value) == 3:
                kind, low, high = value[0], _fmt(value[1]), _fmt(value[2])
            else:
                high = ", ".join(_fmt(v) for v in value)
        self.table.setItem(row, 0, QTableWidgetItem(key))
        combo = QComboBox()
        combo.addItems(list(FINETUNE_TYPES) if kind in FINETUNE_TYPES
                       else [*FINETUNE_TYPES, kind])
        combo.setCurrentText(kind)
        combo.currentTextChanged.connect(lambda _t: self.commit())
        self.table.setCellWidget(row, 1, combo)
        self.table.setItem(row, 2, QTableWidgetItem(low))
        self.table.setItem(row, 3, QTableWidgetItem(high))

    def _add_row(self) -> None:
        used = {self.table.item(r, 0).text() for r in range(self.table.rowCount())
                if self.table.item(r, 0)}
        numeric = [n for n in self._param_names if self._fields[n].kind in ("int", "float")]
        name = next((n for n in numeric + self._param_names if n not in used), "param")
        self._loading = True
        try:
            self._append(name, default_range(self._fields.get(name)))
        finally:
            self._loading = False
        self.commit()

    def _remove_row(self) -> None:
        row = self.table.currentRow()
        if row < 0:
            row = self.table.rowCount() - 1
        if row >= 0:
            self.table.removeRow(row)
            self.commit()

    def value(self) -> tuple[dict[str, Any] | None, str | None]:
        """(finetune dict or None, error) from the widgets."""
        if not self.isChecked():
            return None, None
        space: dict[str, Any] = {}
        for r in range(self.table.rowCount()):
            key = (self.table.item(r, 0).text() if self.table.item(r, 0) else "").strip()
            kind = self.table.cellWidget(r, 1).currentText()
            low = self.table.item(r, 2).text() if self.table.item(r, 2) else ""
            high = self.table.item(r, 3).text() if self.table.item(r, 3) else ""
            if not key:
                return None, f"row {r + 1}: the parameter name is empty"
            if kind == "categorical":
                entry = ["categorical", [_parse_text(v) for v in high.split(",") if v.strip()]]
            else:
                entry = [kind, _parse_text(low), _parse_text(high)]
            try:
                from engine.tuning.space import parse_dimension  # sklearn: not at start-up

                parse_dimension(key, entry)
            except SpecError as exc:
                return None, exc.message
            space[key] = entry
        ft = {"n_trials": self.n_trials.value(), "n_jobs": self.n_jobs.value(), **self._extra}
        if self.selection.currentData() != "one_se":   # the default is left implicit
            ft["selection"] = self.selection.currentData()
        if space:
            ft["model_params"] = space
        problem = params_mod.finetune_error(ft, self._model or None)
        return (None, problem) if problem else (ft, None)

    def commit(self) -> None:
        if self._loading:
            return
        ft, error = self.value()
        if error is None:
            error = self._apply(ft)
        self.message.setText(error or "")
        self.message.setVisible(bool(error))
