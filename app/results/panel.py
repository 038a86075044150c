"""The Results dock: the leaderboard on the left, the selected branch's plots on the right.

Filled as a run goes: ``begin_run`` lists every branch as waiting, ``add_branch`` puts each
BranchResult in its row as it finishes (GUI thread, a few milliseconds: one table row and, if
that branch is shown, a few hundred points), ``set_run`` shows a whole run at once (a run
reloaded from a project). Until the user picks a row the panel follows the best branch, so
the plots fill while the run goes; once the user picks one, it stays.

The Spectra tab needs the branch's preprocessing applied to every spectrum, which can take
seconds on a large dataset: it is computed on the panel's own background thread
(app.common.workers.Jobs, newest request wins), only when the tab is shown, and cached per
branch. A failed export goes to the window's notifier (app.common.notify) as one line.

The Diagnostics tab (app.results.diagnostics) interprets the branch's fitted model
(engine.diagnostics: regression vector, VIP, scores, T² vs Q, studentized residuals) on the
same background thread, also only when shown and cached per branch. A run shown from a saved
project has no model in memory: ``set_run(..., project_file=, run_id=)`` says where to load
it from (off the GUI thread). Samples picked in its plots leave as ``rows_selected`` (dataset
rows); ``show_selection(rows)`` highlights rows chosen elsewhere.
"""
from __future__ import annotations

import html
from pathlib import Path
from typing import Any

import numpy as np
from PySide6.QtCore import Qt, QTimer, Signal
from PySide6.QtGui import QAction
from PySide6.QtWidgets import (
    QFileDialog,
    QHBoxLayout,
    QLabel,
    QMenu,
    QSplitter,
    QStackedWidget,
    QTabWidget,
    QToolButton,
    QVBoxLayout,
    QWidget,
)

from app.common.notify import Notifier
from app.model.spectra_data import COLUMN_LABEL
from app.model.tasks import axis_units
from app.results import data as D
from app.results import export as E
from app.results.diagnostics import DiagnosticsPage
from app.results.leaderboard import LeaderboardModel, LeaderboardView
from app.results.plots import (
    ComponentsPlot,
    HistoryPlot,
    PredictedPlot,
    ResidualPlot,
    SpectraPlot,
)
from engine.selection.intervals import kept_columns, kept_windows

# plot name (export_plot_png) -> tab title
PLOT_TABS = {"predicted": "Pred vs obs", "residuals": "Residuals", "components": "PLS comps",
             "history": "Optuna", "spectra": "Spectra", "diagnostics": "Diagnostics"}
PLOT_TOOLTIPS = {"predicted": "Predicted vs observed: CV and test, 1:1 line, figures of merit",
                 "residuals": "Residuals (predicted \u2212 observed) vs predicted",
                 "components": "RMSECV vs the number of PLS components",
                 "history": "Optuna search history: value per trial and best so far",
                 "spectra": "The spectra after this branch's preprocessing",
                 "diagnostics": "Inside the model: regression vector, VIP, scores, T\u00b2 vs Q "
                                "with its 95 %/99 % limits, residuals vs leverage"}
SPECTRA_CACHE = 4          # preprocessed spectra kept (a 10,000 x 1,000 set is 80 MB each)
DIAGNOSTICS_CACHE = 8      # interpreted branches kept (arrays over the calibration rows)
NO_RESULTS = "No results yet: run a pipeline (the branches appear here as they finish)."
NO_RESULTS_CAPTION = "No results yet: press Run (F5)"   # fits beside the Export button


class ResultsPanel(QWidget):
    branch_selected = Signal(int)   # the branch whose plots are shown (user or automatic)
    exported = Signal(str)          # a file written by an export action (path)
    rows_selected = Signal(object)  # np.ndarray of dataset rows picked in a diagnostics plot

    def __init__(self, parent: QWidget | None = None, notifier: Notifier | None = None) -> None:
        super().__init__(parent)
        self.setObjectName("resultsPanel")
        self.notifier = notifier or Notifier(self)
        self.model = LeaderboardModel(self)
        self.table = LeaderboardView(self.model)
        self.table.branch_activated.connect(self._on_row)

        self.caption = QLabel(NO_RESULTS_CAPTION)
        self.caption.setObjectName("resultsCaption")
        self.caption.setTextFormat(Qt.TextFormat.PlainText)
        self.caption.setMinimumWidth(50)

        self.diagnostics = DiagnosticsPage()
        self.diagnostics.rows_selected.connect(self.rows_selected)
        self.plots: dict[str, Any] = {
            "predicted": PredictedPlot(), "residuals": ResidualPlot(),
            "components": ComponentsPlot(), "history": HistoryPlot(), "spectra": SpectraPlot(),
            "diagnostics": self.diagnostics}
        self.tabs = QTabWidget()
        self.tabs.setObjectName("resultsTabs")
        self.tabs.setDocumentMode(True)
        # compact tabs: the five must fit beside the table in a dock of ~800 px
        self.tabs.setStyleSheet(
            "QTabBar::tab { padding: 3px 8px; margin-right: 1px; background: palette(button);"
            " border: 1px solid palette(mid); border-bottom: none; }"
            "QTabBar::tab:selected { background: palette(base); border-top: 2px solid #1f77b4; }")
        for name, page in self.plots.items():
            index = self.tabs.addTab(page, PLOT_TABS[name])
            self.tabs.setTabToolTip(index, PLOT_TOOLTIPS[name])
        self.tabs.currentChanged.connect(self._on_tab)

        self.error_page = QLabel()
        self.error_page.setObjectName("branchError")
        self.error_page.setWordWrap(True)
        self.error_page.setAlignment(Qt.AlignmentFlag.AlignTop | Qt.AlignmentFlag.AlignLeft)
        self.error_page.setTextInteractionFlags(Qt.TextInteractionFlag.TextSelectableByMouse)
        self.error_page.setStyleSheet("padding: 10px;")
        self.right = QStackedWidget()
        self.right.addWidget(self.tabs)
        self.right.addWidget(self.error_page)

        self._actions = self._make_actions()
        self.export_button = QToolButton()
        self.export_button.setText("Export")
        self.export_button.setToolTip("Export the leaderboard, the predictions or the plot shown")
        self.export_button.setPopupMode(QToolButton.ToolButtonPopupMode.InstantPopup)
        menu = QMenu(self.export_button)
        menu.addActions(self._actions)
        self.export_button.setMenu(menu)

        left = QWidget()
        left_layout = QVBoxLayout(left)
        left_layout.setContentsMargins(0, 0, 0, 0)
        left_layout.setSpacing(2)
        top = QHBoxLayout()
        top.setContentsMargins(4, 0, 0, 0)
        top.addWidget(self.caption, 1)
        top.addWidget(self.export_button)
        left_layout.addLayout(top)
        left_layout.addWidget(self.table)

        self.splitter = QSplitter(Qt.Orientation.Horizontal)
        self.splitter.addWidget(left)
        self.splitter.addWidget(self.right)
        self.splitter.setStretchFactor(0, 1)
        self.splitter.setStretchFactor(1, 1)
        self.splitter.setSizes([560, 720])   # the plots get a little more than the table
        self.splitter.setChildrenCollapsible(False)
        layout = QVBoxLayout(self)
        layout.setContentsMargins(2, 2, 2, 2)
        layout.addWidget(self.splitter)

        self._ctx: D.Context | None = None
        self._dataset: Any = None
        self._selected: int | None = None
        self._follow_best = True
        self._jobs = None
        self._spectra_cache: dict[int, Any] = {}
        self._spectra_for: int | None = None
        self._diag_cache: dict[int, Any] = {}
        self._diag_for: int | None = None
        self._stored: tuple[str, int] | None = None   # (project file, run id) of a saved run
        self._shut = False
        self._dirty: set[str] = set()
        self._refresh_timer = QTimer(self)
        self._refresh_timer.setSingleShot(True)
        self._refresh_timer.setInterval(0)
        self._refresh_timer.timeout.connect(self._refresh_current)
        self._run_seconds: float | None = None
        self._show_nothing(NO_RESULTS)

    # -- filling ---------------------------------------------------------------------------------
    def begin_run(self, dataset: Any, branch_names: dict[int, str],
                  branch_steps: dict[int, list[Any]] | None = None) -> None:
        """A run starts: every branch gets a row marked waiting (named from its steps, as it
        will be when it finishes); plots wait for the first."""
        self.clear()
        self._ctx = D.Context.from_dataset(dataset)
        self._dataset = dataset
        self.model.reset(self._ctx.task, branch_names, branch_steps=branch_steps)
        self.table.sort_by_ranking()
        self._update_caption()

    def mark_running(self, branch_id: int) -> None:
        """Optional: show a branch as running (e.g. on its first TaskDone event)."""
        self.model.set_status(branch_id, D.STATUS_RUNNING)

    def add_branch(self, result: Any) -> None:
        """A branch finished (ok, failed or cancelled): fill its row; show it if it is the
        selected one, or if the panel is following the best branch."""
        if self._ctx is None:
            return
        self.model.set_result(result)
        self._spectra_cache.pop(int(result.id), None)
        self._diag_cache.pop(int(result.id), None)
        self._update_caption()
        target = self.model.best_id if self._follow_best else self._selected
        if target is None and self._selected is None:
            target = int(result.id)    # nothing ok yet: show the first (failed) branch
        if target is not None and (target != self._selected or target == result.id):
            self._select(target, user=False, defer=True)

    def set_run(self, result: Any, dataset: Any, project_file: str | None = None,
                run_id: int | None = None) -> None:
        """A whole run at once (reloaded from a project, or the RunResult at the end).
        ``project_file`` and ``run_id``: where a saved run's fitted models are (the
        Diagnostics tab loads them from there, off the GUI thread)."""
        self.clear()
        if project_file is not None and run_id is not None:
            self._stored = (str(project_file), int(run_id))
        target = (getattr(result, "dataset", None) or {}).get("target")
        self._ctx = D.Context.from_dataset(dataset, result.train_indices, result.test_indices,
                                           task=result.task, target=target)
        self._dataset = dataset
        self.model.reset(self._ctx.task, {})
        self.model.set_results(list(result.branches), result.best_branch)
        self._run_seconds = float(result.seconds)
        self.table.sort_by_ranking()
        self.table.fit_columns()
        self._update_caption(cancelled=bool(getattr(result, "cancelled", False)))
        first = self.model.best_id
        if first is None and self.model.branch_ids():
            first = self.model.branch_ids()[0]
        if first is not None:
            self._select(first, user=False)

    def finish_run(self, result: Any) -> None:
        """Optional: the run ended; the caption gets its wall time (rows are already in)."""
        self._run_seconds = float(result.seconds)
        for b in result.branches:   # cancelled branches never got a BranchDone event
            if self.model.result(b.id) is None:
                self.model.set_result(b)
        self._update_caption(cancelled=bool(getattr(result, "cancelled", False)))

    def clear(self) -> None:
        if self._jobs is not None:
            self._jobs.cancel("results-spectra")
            self._jobs.cancel("results-diagnostics")
        self._ctx, self._dataset = None, None
        self._diag_cache.clear()
        self._diag_for, self._stored = None, None
        self._selected, self._follow_best = None, True
        self._spectra_cache.clear()
        self._spectra_for = None
        self._dirty = set()
        self._refresh_timer.stop()
        self._run_seconds = None
        self.model.clear()
        self._show_nothing(NO_RESULTS)
        self.caption.setText(NO_RESULTS_CAPTION)

    # -- selection -------------------------------------------------------------------------------
    def selected_branch(self) -> int | None:
        return self._selected

    def select_branch(self, branch_id: int) -> None:
        """Show this branch (as a user click would; the panel stops following the best)."""
        self._select(int(branch_id), user=True)

    def _on_row(self, bid: int) -> None:
        if bid != self._selected:
            self._select(bid, user=True)

    def _select(self, bid: int, user: bool, defer: bool = False) -> None:
        if user:
            self._follow_best = False
        changed = bid != self._selected
        self._selected = bid
        if self.table.current_branch() != bid:
            blocked = self.table.blockSignals(True)
            self.table.select_branch(bid)
            self.table.blockSignals(blocked)
        self._show_branch(bid, defer)
        if changed:
            self.branch_selected.emit(bid)

    def _show_branch(self, bid: int, defer: bool = False) -> None:
        """Error page, or the plots: only the tab on screen is drawn (hidden tabs when they
        are opened), and from add_branch only once control is back in the event loop, so a
        burst of finishing branches costs one redraw."""
        result = self.model.result(bid)
        name = self.model.name(bid)
        if result is None:
            status = self.model.status(bid) or "waiting"
            self._show_error_page(f"<b>Branch {bid}</b> is {status}.<br>{html.escape(name)}")
            return
        if result.status != "ok":
            self._show_error_page(
                f"<b>Branch {bid} {html.escape(result.status)}</b><br>{html.escape(result.name)}"
                f"<br><br><span style='color:#b00020'>{html.escape(result.error or 'no message')}"
                f"</span>")
            return
        self.right.setCurrentWidget(self.tabs)
        self._dirty = set(self.plots)
        self._spectra_for = None
        self._diag_for = None
        if defer:
            self._refresh_timer.start()
        else:
            self._refresh_timer.stop()
            self._refresh_current()

    def _refresh_current(self) -> None:
        self._ensure_page(self.current_plot_name())

    def _ensure_page(self, name: str) -> None:
        """Draw one plot page for the selected branch if it is out of date (never once the
        panel is shut down: its plot widgets are closed and draw nothing)."""
        if self._shut or name not in self._dirty or self._selected is None:
            return
        result = self.model.result(self._selected)
        if result is None or result.status != "ok":
            return
        self._dirty.discard(name)
        if name == "spectra":
            self._request_spectra()
            return
        if name == "diagnostics":
            self._request_diagnostics()
            return
        try:
            self.plots[name].set_branch(result, self._ctx)
        except ValueError as exc:  # predictions that do not match the split
            self.plots[name].show_message(str(exc))

    def _show_error_page(self, text: str) -> None:
        self.error_page.setText(text)
        self.right.setCurrentWidget(self.error_page)

    def _show_nothing(self, text: str) -> None:
        for page in self.plots.values():
            page.show_message(text)
        self.right.setCurrentWidget(self.tabs)

    def error_text(self) -> str:
        """The error shown for the selected branch ("" when its plots are shown)."""
        if self.right.currentWidget() is not self.error_page:
            return ""
        from PySide6.QtGui import QTextDocument

        doc = QTextDocument()
        doc.setHtml(self.error_page.text())
        return doc.toPlainText()

    # -- spectra (off the GUI thread) -----------------------------------------------------------
    def _on_tab(self, _index: int) -> None:
        if self.right.currentWidget() is self.tabs:
            self._refresh_current()

    def _request_spectra(self) -> None:
        bid = self._selected
        result = self.model.result(bid) if bid is not None else None
        page = self.plots["spectra"]
        if result is None or result.status != "ok" or self._dataset is None:
            return
        if self._spectra_for == bid:
            return
        self._spectra_for = bid
        title = self._spectra_title(result)
        cached = self._spectra_cache.get(bid)
        if cached is not None:
            self._show_spectra(bid, cached)
            return
        page.show_message(f"Preprocessing the spectra of branch {bid}\u2026")
        from app.results.spectra_task import branch_spectra

        ds, ctx = self._dataset, self._ctx
        known = not ds.metadata.get("wavelengths_unknown")
        handle = self._get_jobs().submit(
            "results-spectra", branch_spectra, ds.X, ds.wavelengths, known, ctx.train_indices,
            None if ctx.classification else ctx.y, result, title, units=axis_units(ds),
            label=f"Preprocessing the spectra of branch {bid}")
        handle.finished.connect(lambda spectra: self._spectra_ready(bid, spectra))
        handle.failed.connect(lambda exc, _tb: self._spectra_failed(bid, exc))

    def _spectra_title(self, result: Any) -> str:
        pre = result.name.rsplit(" > ", 1)[0] if " > " in result.name else "no preprocessing"
        return f"Branch {result.id}: {pre}"

    def _get_jobs(self):
        if self._jobs is None:
            from app.common.workers import Jobs

            self._jobs = Jobs(self, name="nirdesk-results")
        return self._jobs

    def _spectra_ready(self, bid: int, spectra: Any) -> None:
        if self._shut:
            return
        self._spectra_cache[bid] = spectra
        while len(self._spectra_cache) > SPECTRA_CACHE:
            self._spectra_cache.pop(next(iter(self._spectra_cache)))
        if bid == self._selected and self._spectra_for == bid:
            self._show_spectra(bid, spectra)

    def _spectra_failed(self, bid: int, exc: BaseException) -> None:
        if self._shut or bid != self._selected:
            return
        from app.common.dialogs import error_text

        self.plots["spectra"].show_message(
            f"The spectra of branch {bid} cannot be preprocessed: {error_text(exc)}")

    def _export_failed(self, exc: BaseException) -> None:
        """A read-only folder, a full disk, an empty plot: one line, the user can fix it."""
        if not self._shut:
            self.notifier.error("Cannot export", exc, bug=False)

    def _show_spectra(self, bid: int, spectra: Any) -> None:
        ctx = self._ctx
        mask = np.zeros(ctx.y.shape[0], dtype=bool)
        mask[ctx.test_indices] = True
        result = self.model.result(bid)
        title = f"{self._spectra_title(result)} \u2014 {spectra.n_samples:,} spectra"
        # a selection step (crop, windows, VIP, CARS...) kept part of the axis: shade it
        wavelengths = self._dataset.wavelengths
        kept = (kept_columns(wavelengths, spectra.x) if spectra.x_label != COLUMN_LABEL
                else None)
        windows = [] if kept is None else kept_windows(wavelengths, kept)
        if windows:  # first: the title is clipped at the right in a narrow dock
            title = (f"{kept.size} of {wavelengths.size} wavelengths kept ({len(windows)} "
                     f"window{'s' if len(windows) > 1 else ''}, shaded) \u2014 {title}")
        page = self.plots["spectra"]
        page.set_spectra(spectra, ctx.y, mask, ctx.target, title)
        step = float(np.median(np.abs(np.diff(wavelengths)))) if wavelengths.size > 1 else 0.0
        page.set_kept(windows, step)

    def spectra_data(self) -> Any:
        """The preprocessed spectra on screen (None while computing or not shown)."""
        return self.plots["spectra"].data if self.plots["spectra"].has_plot else None

    # -- diagnostics (off the GUI thread) -------------------------------------------------------
    def _diagnostics_args(self, bid: int) -> tuple[tuple[Any, ...], dict[str, Any]] | None:
        result = self.model.result(bid)
        if result is None or result.status != "ok" or self._dataset is None:
            return None
        from app.results.diagnostics_task import stored_loaders

        ds, ctx = self._dataset, self._ctx
        load_model, load_latent = (stored_loaders(*self._stored) if self._stored is not None
                                   else (None, None))
        args = (ds.X, ds.wavelengths, not ds.metadata.get("wavelengths_unknown"),
                ctx.train_indices, ctx.y, ctx.sample_ids, result)
        return args, {"load_model": load_model, "load_latent": load_latent,
                      "units": axis_units(ds)}

    def _request_diagnostics(self) -> None:
        bid = self._selected
        if bid is None or self._diag_for == bid:
            return
        call = self._diagnostics_args(bid)
        if call is None:
            return
        self._diag_for = bid
        cached = self._diag_cache.get(bid)
        if cached is not None:
            self._show_diagnostics(bid, cached)
            return
        self.diagnostics.show_message(f"Interpreting the model of branch {bid}\u2026")
        from app.results.diagnostics_task import branch_diagnostics

        args, kwargs = call
        handle = self._get_jobs().submit(
            "results-diagnostics", branch_diagnostics, *args, **kwargs,
            label=f"Interpreting the model of branch {bid}")
        handle.finished.connect(lambda diag: self._diagnostics_ready(bid, diag))
        handle.failed.connect(lambda exc, _tb: self._diagnostics_failed(bid, exc))

    def _diagnostics_ready(self, bid: int, diag: Any) -> None:
        if self._shut:
            return
        self._diag_cache[bid] = diag
        while len(self._diag_cache) > DIAGNOSTICS_CACHE:
            self._diag_cache.pop(next(iter(self._diag_cache)))
        if bid == self._selected and self._diag_for == bid:
            self._show_diagnostics(bid, diag)

    def _diagnostics_failed(self, bid: int, exc: BaseException) -> None:
        if self._shut or bid != self._selected:
            return
        from app.common.dialogs import error_text

        self._diag_for = None
        self.diagnostics.show_message(
            f"The model of branch {bid} cannot be interpreted: {error_text(exc)}")

    def _show_diagnostics(self, bid: int, diag: Any) -> None:
        self.diagnostics.set_diagnostics(diag, self._ctx.target if self._ctx else "")

    def _ensure_diagnostics_now(self) -> None:
        """An export of the Diagnostics tab while it is not drawn computes it here (a
        deliberate, rare action that must write the selected branch)."""
        bid = self._selected
        if bid is None or (self._diag_for == bid and self.diagnostics.has_plot):
            return
        diag = self._diag_cache.get(bid)
        if diag is None:
            call = self._diagnostics_args(bid)
            if call is None:
                return
            from app.results.diagnostics_task import branch_diagnostics

            args, kwargs = call
            diag = branch_diagnostics(*args, **kwargs)
            self._diag_cache[bid] = diag
        self._diag_for = bid
        self._dirty.discard("diagnostics")
        self._show_diagnostics(bid, diag)

    def diagnostics_data(self) -> Any:
        """The BranchDiagnostics on screen (None while computing or not shown)."""
        return self.diagnostics.diag if self.diagnostics.has_plot else None

    def show_selection(self, rows: Any) -> None:
        """Highlight these dataset rows in the diagnostics plots (the window's selection)."""
        self.diagnostics.show_selection(rows)

    # -- caption ---------------------------------------------------------------------------------
    def _update_caption(self, cancelled: bool = False) -> None:
        ctx = self._ctx
        if ctx is None:
            self.caption.setText(NO_RESULTS_CAPTION)
            return
        ids = self.model.branch_ids()
        done = self.model.results()
        ok = sum(1 for r in done if r.status == "ok")
        failed = len(done) - ok
        parts = [f"{ctx.dataset_name} \u00b7 {ctx.target}" if ctx.dataset_name else ctx.target,
                 f"{len(done)}/{len(ids)} branches done"]
        if failed:
            parts.append(f"{failed} failed")
        if self._run_seconds is not None:
            parts.append(f"{self._run_seconds:.1f} s" + (" (cancelled)" if cancelled else ""))
        self.caption.setText(" \u00b7 ".join(parts))

    # -- exports ---------------------------------------------------------------------------------
    def ordered_results(self) -> list[Any]:
        """Finished branches in the leaderboard's current (sorted) order."""
        out = []
        for row in range(self.table.proxy.rowCount()):
            result = self.model.result(self.table.branch_at_row(row))
            if result is not None:
                out.append(result)
        return out

    def export_leaderboard_csv(self, path: str | Path) -> Path:
        """Every finished branch with all its metrics, in the order shown (app.results.export)."""
        return E.write_csv(E.leaderboard_rows(self.ordered_results(), self.model.task,
                                              self.model.best_id), path)

    def export_predictions_csv(self, path: str | Path, branch_id: int | None = None) -> Path:
        """Observed and predicted values, long format: every ok branch (None) or one branch."""
        if self._ctx is None:
            raise ValueError("there are no results to export")
        results = self.ordered_results()
        if branch_id is not None:
            results = [r for r in results if r.id == branch_id]
        return E.write_csv(E.prediction_rows(results, self._ctx), path)

    def export_plot_png(self, name: str, path: str | Path) -> Path:
        """One plot as PNG (or SVG by suffix); ``name`` is a key of PLOT_TABS or a tab title."""
        key = next((k for k, title in PLOT_TABS.items() if name in (k, title)), None)
        if key is None:
            raise ValueError(f"unknown plot {name!r}; one of {', '.join(PLOT_TABS)}")
        if key == "spectra":
            self._ensure_spectra_now()
        elif key == "diagnostics":
            self._ensure_diagnostics_now()
        else:
            self._ensure_page(key)
        title = None
        if self._selected is not None:
            title = f"Branch {self._selected}: {self.model.name(self._selected)}"
        return self.plots[key].export(path, title)

    def _ensure_spectra_now(self) -> None:
        """An export of the Spectra tab while it is not on screen computes the spectra here:
        an export is a deliberate, rare action, and it must write the selected branch."""
        bid = self._selected
        result = self.model.result(bid) if bid is not None else None
        if result is None or result.status != "ok" or self._dataset is None:
            return
        if self._spectra_for == bid and self.plots["spectra"].has_plot:
            return
        spectra = self._spectra_cache.get(bid)
        if spectra is None:
            from app.results.spectra_task import branch_spectra

            ds, ctx = self._dataset, self._ctx
            known = not ds.metadata.get("wavelengths_unknown")
            spectra = branch_spectra(ds.X, ds.wavelengths, known,
                                     ctx.train_indices, None if ctx.classification else ctx.y,
                                     result, self._spectra_title(result),
                                     units=axis_units(ds))
            self._spectra_cache[bid] = spectra
        self._spectra_for = bid
        self._dirty.discard("spectra")
        self._show_spectra(bid, spectra)

    def current_plot_name(self) -> str:
        page = self.tabs.currentWidget()
        return next(k for k, p in self.plots.items() if p is page)

    def actions(self) -> list[QAction]:
        return list(self._actions)

    def _make_actions(self) -> list[QAction]:
        board = QAction("Export leaderboard as CSV\u2026", self)
        board.setObjectName("exportLeaderboardAction")
        board.triggered.connect(lambda: self._ask_and_export("leaderboard"))
        preds = QAction("Export predictions as CSV\u2026", self)
        preds.setObjectName("exportPredictionsAction")
        preds.triggered.connect(lambda: self._ask_and_export("predictions"))
        plot = QAction("Export the plot shown as PNG\u2026", self)
        plot.setObjectName("exportResultsPlotAction")
        plot.triggered.connect(lambda: self._ask_and_export("plot"))
        return [board, preds, plot]

    def ask_path(self, title: str, name: str, file_filter: str) -> str:
        """The save dialog (a method so tests can answer it)."""
        path, _ = QFileDialog.getSaveFileName(self, title, name, file_filter)
        return path

    def _ask_and_export(self, what: str) -> Path | None:
        stem = (self._ctx.dataset_name if self._ctx and self._ctx.dataset_name else "results")
        if what == "plot":
            plot = self.current_plot_name()
            title, name, filt, suffix = ("Export the plot as PNG", f"{stem}-{plot}.png",
                                         "PNG (*.png)", ".png")
        else:
            title, name, filt, suffix = (f"Export the {what} as CSV", f"{stem}-{what}.csv",
                                         "CSV (*.csv)", ".csv")
        path = self.ask_path(title, name, filt)
        if not path:
            return None
        if not path.lower().endswith(suffix):
            path += suffix
        try:
            if what == "leaderboard":
                out = self.export_leaderboard_csv(path)
            elif what == "predictions":   # ~1 s for 200,000 lines: on the background thread
                if self._ctx is None:
                    raise ValueError("there are no results to export")
                handle = self._get_jobs().submit(
                    "results-export", E.write_predictions_csv, self.ordered_results(),
                    self._ctx, path, label="Writing the predictions\u2026")
                handle.finished.connect(lambda out: self.exported.emit(str(out)))
                handle.failed.connect(lambda exc, _tb: self._export_failed(exc))
                return Path(path)
            else:
                out = self.export_plot_png(self.current_plot_name(), path)
            self.exported.emit(str(out))
            return out
        except (OSError, ValueError) as exc:  # a read-only folder, an empty plot: say so
            self._export_failed(exc)
            return None

    # -- shutdown --------------------------------------------------------------------------------
    def shutdown(self) -> None:
        """Stop the background thread and close the plot widgets (clean exit); safe twice."""
        if self._shut:
            return
        self._shut = True
        if self._jobs is not None:
            self._jobs.shutdown()
        for page in self.plots.values():
            page.close_plot()
