"""File > Export report...: choose a run and a branch, a .pdf or .html file, and write it.

Everything slow runs on the dialog's own background thread (app.common.workers.Jobs): reading
the project's runs and branches when the dialog opens, and building + drawing + writing the
report (a few seconds for the tablet set). The window keeps painting; Cancel stops the job
between figures; closing the dialog cancels it. When the file is written it is opened with the
desktop's viewer through ``opener`` (QDesktopServices.openUrl; tests pass their own).

The branch list marks the run's best branch and preselects it; branches without a saved model
(failed, cancelled) are listed but cannot be chosen. The format follows the file's suffix.
"""
from __future__ import annotations

import threading
from collections.abc import Callable
from pathlib import Path
from typing import Any

from PySide6.QtCore import QUrl, Signal
from PySide6.QtGui import QDesktopServices, QStandardItemModel
from PySide6.QtWidgets import (
    QComboBox,
    QDialog,
    QDialogButtonBox,
    QFileDialog,
    QFormLayout,
    QHBoxLayout,
    QLabel,
    QLineEdit,
    QPushButton,
    QVBoxLayout,
    QWidget,
)

from app.common.workers import Handle, Jobs
from app.report.export import ExportedReport, export_report, report_format
from engine.errors import NirdeskInputError

__all__ = ["ReportDialog"]

FILTERS = "PDF document (*.pdf);;Web page, images inside (*.html)"


def _choices(project: str, cancel: threading.Event | None = None) -> list[Any]:
    from engine.report import report_choices

    return report_choices(project)


class ReportDialog(QDialog):
    exported = Signal(object)     # app.report.export.ExportedReport, once the file is written

    def __init__(self, project: str, parent: QWidget | None = None, *,
                 opener: Callable[[QUrl], Any] | None = None, start_dir: str = "") -> None:
        super().__init__(parent)
        self.setObjectName("reportDialog")
        self.setWindowTitle("nirdesk \u2014 export report")
        self.project = str(project)
        self.opener = opener if opener is not None else QDesktopServices.openUrl
        self.start_dir = start_dir or str(Path(self.project).parent)
        self.jobs = Jobs(self, name="nirdesk-report")
        self.choices: list[Any] = []
        self.result: ExportedReport | None = None
        self.handle: Handle | None = None
        self._suggested: str | None = None   # the file name the dialog proposed

        self.run_combo = QComboBox()
        self.run_combo.setObjectName("reportRun")
        self.run_combo.setMinimumContentsLength(48)
        self.branch_combo = QComboBox()
        self.branch_combo.setObjectName("reportBranch")
        self.branch_combo.setMinimumContentsLength(48)
        self.path_edit = QLineEdit()
        self.path_edit.setObjectName("reportPath")
        self.path_edit.setPlaceholderText("report.pdf or report.html")
        browse = self.browse_button = QPushButton("Browse\u2026")
        browse.clicked.connect(self._browse)
        row = QHBoxLayout()
        row.addWidget(self.path_edit, 1)
        row.addWidget(browse)
        form = QFormLayout()
        form.addRow("Run", self.run_combo)
        form.addRow("Branch in detail", self.branch_combo)
        form.addRow("File", row)
        self.status = QLabel("Reading the project\u2026")
        self.status.setObjectName("reportStatus")
        self.status.setWordWrap(True)
        self.buttons = QDialogButtonBox(QDialogButtonBox.StandardButton.Cancel)
        self.export_button = self.buttons.addButton(
            "Export", QDialogButtonBox.ButtonRole.AcceptRole)
        self.export_button.setObjectName("reportExport")
        self.export_button.setEnabled(False)
        self.export_button.clicked.connect(self.export)
        self.buttons.rejected.connect(self.reject)
        layout = QVBoxLayout(self)
        layout.addLayout(form)
        layout.addWidget(self.status)
        layout.addWidget(self.buttons)
        self.resize(760, self.sizeHint().height())
        self.run_combo.currentIndexChanged.connect(self._fill_branches)
        self.branch_combo.currentIndexChanged.connect(self._suggest_path)
        self.loading = self.jobs.submit("choices", _choices, self.project,
                                        label="Reading the project")
        self.loading.finished.connect(self._show_choices)
        self.loading.failed.connect(lambda exc, _tb: self._say(f"Cannot read the project: {exc}"))

    # -- choices ----------------------------------------------------------------------------
    def _say(self, text: str) -> None:
        self.status.setText(text)

    def _show_choices(self, choices: list[Any]) -> None:
        self.choices = list(choices)
        self.run_combo.blockSignals(True)
        self.run_combo.clear()
        for run in self.choices:
            self.run_combo.addItem(run.label, run.id)
        self.run_combo.blockSignals(False)
        if not self.choices:
            self._say("The project has no runs yet: run a pipeline, then export its report.")
            return
        self.run_combo.setCurrentIndex(len(self.choices) - 1)   # the latest run
        self._fill_branches()
        self._say("")

    def current_run(self) -> Any:
        i = self.run_combo.currentIndex()
        return self.choices[i] if 0 <= i < len(self.choices) else None

    def _fill_branches(self) -> None:
        run = self.current_run()
        self.branch_combo.blockSignals(True)
        self.branch_combo.clear()
        if run is None:
            self.branch_combo.blockSignals(False)
            return
        model = self.branch_combo.model()
        assert isinstance(model, QStandardItemModel)
        default = run.default_branch()
        for b in run.branches:
            best = " (best)" if b.id == run.best_branch else ""
            head, _, rest = b.label.partition(": ")
            text = f"{head}{best}: {rest}"   # the mark first: a long name is cut at the right
            self.branch_combo.addItem(text, b.id)
            item = model.item(self.branch_combo.count() - 1)
            item.setEnabled(b.has_model)
            item.setToolTip(text)
        if default is not None:
            self.branch_combo.setCurrentIndex(self.branch_combo.findData(default.id))
        self.branch_combo.blockSignals(False)
        self.branch_combo.setToolTip(self.branch_combo.currentText())
        self.export_button.setEnabled(default is not None)
        if default is None:
            self._say(f"Run {run.id} has no branch with a saved model to report on.")
        self._suggest_path()

    def _suggest_path(self) -> None:
        """run-R-branch-B.pdf beside the project, unless the user typed a file of their own."""
        run, branch = self.current_run(), self.branch_combo.currentData()
        if run is None or branch is None:
            return
        current = self.path_edit.text().strip()
        if current and current != self._suggested:
            return
        suffix = Path(current).suffix.lower() if current else ".pdf"
        name = f"{Path(self.project).stem}-run{run.id}-branch{branch}{suffix or '.pdf'}"
        self._suggested = str(Path(self.start_dir) / name)
        self.path_edit.setText(self._suggested)

    def _browse(self) -> None:
        path, chosen = QFileDialog.getSaveFileName(self, "Export the report",
                                                   self.path_edit.text(), FILTERS)
        if path:
            if not Path(path).suffix:
                path += ".html" if "html" in chosen else ".pdf"
            self.path_edit.setText(path)

    # -- export -----------------------------------------------------------------------------
    def export(self) -> Handle | None:
        """Write the report chosen in the dialog on the background thread (the handle)."""
        run, branch = self.current_run(), self.branch_combo.currentData()
        out = self.path_edit.text().strip()
        if run is None or branch is None:
            return None
        try:
            fmt = report_format(out)
        except NirdeskInputError as exc:
            self._say(str(exc))
            return None
        self._busy(True, f"Writing the {fmt.upper()} report of run {run.id}, branch "
                         f"{branch}\u2026")
        self.handle = self.jobs.submit("report", export_report, self.project, out, run.id,
                                       int(branch), label="Writing the report")
        self.handle.finished.connect(self._done)
        self.handle.failed.connect(self._failed)
        self.handle.cancelled.connect(lambda: self._busy(False, "Cancelled."))
        return self.handle

    def _busy(self, busy: bool, text: str) -> None:
        self.export_button.setEnabled(not busy)
        self.run_combo.setEnabled(not busy)
        self.branch_combo.setEnabled(not busy)
        self.path_edit.setEnabled(not busy)
        self.browse_button.setEnabled(not busy)
        self._say(text)

    def _done(self, result: ExportedReport) -> None:
        self.result = result
        pages = f", {result.pages} pages" if result.pages is not None else ""
        self._busy(False, f"Written to {result.path}{pages} ({result.seconds:.1f} s).")
        self.exported.emit(result)
        self.opener(QUrl.fromLocalFile(str(Path(result.path).resolve())))
        self.accept()

    def _failed(self, exc: BaseException, _tb: str) -> None:
        self._busy(False, f"Cannot write the report: {exc}")

    def reject(self) -> None:
        """Cancel: a report being written is stopped (at its next figure) first."""
        if self.handle is not None and not self.handle.done():
            self.handle.cancel()
        super().reject()

    def done(self, code: int) -> None:
        super().done(code)
        self.shutdown()

    def closeEvent(self, event: Any) -> None:
        super().closeEvent(event)
        self.shutdown()   # also when closed without being shown (QDialog rejects only then)

    def shutdown(self) -> None:
        """Stop the background thread (a report being written is cancelled first)."""
        if self.handle is not None and not self.handle.done():
            self.handle.cancel()
        self.jobs.shutdown()
