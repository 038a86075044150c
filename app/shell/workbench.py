"""The panels around the spectra view and how they talk to each other.

Why a separate object from the main window: the window owns docks, menus and the dataset
view; this object owns the *work* panels (pipeline editor, run controller + toolbar + panel,
results, resource gauges, runs history, predict) and the few rules that connect them:

    editor edit      -> the window's pipeline (branches under Show) + policy badges + dirty
    dataset opened   -> the editor's policy facts (data size) + dirty
    Run (F5)         -> RunController.start(a snapshot of the dataset: the exclusions in force
                        when Run was pressed, whatever is excluded during the run; editor
                        spec; workers from the toolbar)
    exclusions       -> dirty (the project keeps them with the dataset)
    run events       -> run panel (progress) and results panel (rows as branches finish)
    run finished     -> results of the whole run, recorded in the project (autosaved)
    history choice   -> that stored run shown in the results panel
    iPLS "Add"       -> the chosen windows inserted before the branch's model (one undoable
                        editor edit); the iPLS window follows the dataset and the editor
    results picks    -> the window's selection (ResultsPanel.rows_selected: dataset rows picked
                        in a Diagnostics plot), and the selection -> highlighted there
                        (ResultsPanel.show_selection), so every plot shows the same samples

Each panel only knows its own job (napari's split: widgets observe models, a controller
connects them). Everything slow runs off the GUI thread inside the panels themselves.

The workbench never reaches into the window: it is given the WorkbenchState, the settings, the
Notifier (errors and status) and a host widget (the parent of its dialogs, where the project
actions live), and it asks the window for the rest through signals - raise_dock(name),
pipeline_edited(expanded), project_dataset(dataset, raw, path) - which the window connects.
"""
from __future__ import annotations

import contextlib
from typing import Any

import numpy as np
from PySide6.QtCore import QObject, Qt, QTimer, Signal
from PySide6.QtWidgets import QDialog, QVBoxLayout, QWidget

from app.common.notify import Notifier, quiet_answer
from app.common.settings import AppSettings
from app.editor.widget import PipelineEditor
from app.ipls import IplsView
from app.model.state import WorkbenchState, snapshot_dataset
from app.monitor.gauges import ResourceGauges
from app.predict.panel import PredictPanel
from app.project import LoadedProject, ProjectController, RunsHistory, WorkspaceSnapshot
from app.results.panel import ResultsPanel
from app.run import RunController, RunPanel, RunToolbar, confirm_close
from app.transfer.view import TransferView
from engine.backends import (
    ExecutionChoice,
    close_pools,
    known_machine_facts,
    make_pool,
    remote_workers_provider,
    run_workers,
)
from engine.machine import usable_cpus

EDIT_DEBOUNCE_MS = 150   # typing in the inspector: re-parse the pipeline once it pauses


class Workbench(QObject):
    """Builds the work panels and connects them (see the module docstring). ``host`` is the
    widget the panels' dialogs and the project's actions belong to (the main window)."""

    run_finished = Signal(object)     # engine.results.RunResult (also when cancelled)
    raise_dock = Signal(str)          # the dock (object name) the user should see now
    pipeline_edited = Signal(object)  # the editor's runnable pipeline (ExpandedPipeline)
    project_dataset = Signal(object, object, object)   # dataset, raw SpectraData, path

    def __init__(self, state: WorkbenchState, settings: AppSettings, notifier: Notifier,
                 host: QWidget, pool_factory: Any = None) -> None:
        super().__init__(host)
        self.state = state
        self.settings = settings
        self.notifier = notifier
        self.host = host
        self._choice = settings.execution_choice()   # where runs execute now
        self._pending_choice: ExecutionChoice | None = None  # chosen during a run
        self.run_controller = RunController(host, pool_factory=pool_factory or self._make_pool)
        self.run_toolbar = RunToolbar(host)
        self.run_toolbar.set_workers(settings.execution_workers())
        self.run_panel = RunPanel()
        self.run_panel.setObjectName("runPanel")
        self.run_panel.attach(self.run_controller)
        self.gauges = ResourceGauges()
        self.gauges.setObjectName("resourceGauges")
        self.gauges.set_worker_pids_provider(self.run_controller.worker_pids)
        self.gauges.set_remote_workers_provider(remote_workers_provider(self.run_controller.pool))
        self.execution_dialog: QDialog | None = None
        self.editor = PipelineEditor()
        self.editor.setObjectName("pipelineEditor")
        self._loading_spec = False
        self._edit_timer = QTimer(self)
        self._edit_timer.setSingleShot(True)
        self._edit_timer.setInterval(EDIT_DEBOUNCE_MS)
        self._edit_timer.timeout.connect(self._apply_edit)
        self.results = ResultsPanel(notifier=notifier)
        self.results.setObjectName("resultsPanel")
        self.results_widget = self.results
        self.results.exported.connect(lambda path: notifier.status(f"Exported {path}", 8000))
        # the leaderboard's chosen columns live in the settings
        self.results.table.set_hidden_columns(settings.leaderboard_hidden())
        self.results.table.hidden_changed.connect(settings.save_leaderboard_hidden)
        self._run_dataset: Any = None
        self._run_spec: Any = None
        self.project = ProjectController(host, settings, self._snapshot, self._apply_project,
                                         ask=quiet_answer if notifier.quiet else None,
                                         notifier=notifier)
        self.history = RunsHistory()
        self.history.setObjectName("runsHistory")
        self.history.setMinimumWidth(240)  # its button row must not widen the whole window
        self.history.bind(self.project)
        self.history.run_selected.connect(self.project.load_run)
        self.project.run_loaded.connect(self._show_stored_run)
        self.project.project_opened.connect(self._on_project_opened)
        self.predict_dialog: QDialog | None = None
        self.report_dialog: QDialog | None = None
        self.report_opener: Any = None   # opens a written report; None = the desktop's viewer
        self.predict_panel: PredictPanel | None = None
        self.transfer_dialog: QDialog | None = None
        self.transfer_view: TransferView | None = None
        self.ipls_dialog: QDialog | None = None
        self.ipls_view: IplsView | None = None
        self.last_result: Any = None
        self._excluded_on: tuple[Any, Any] = (None, None)   # dataset, its mask last heard
        self._closed = False

        rc = self.run_controller
        self.run_toolbar.run_action.triggered.connect(lambda _checked=False: self.start_run())
        rc.started.connect(self._on_run_started)
        rc.task_done.connect(lambda event: self.results.mark_running(event.branch_id))
        rc.branch_finished.connect(self.results.add_branch)
        rc.finished.connect(self._on_run_finished)
        rc.failed.connect(self._on_run_failed)
        rc.running_changed.connect(self._on_running_changed)
        self.editor.spec_changed.connect(self._on_spec_edited)
        self.editor.message.connect(lambda text: notifier.status(text, 8000))
        self.run_toolbar.workers_changed.connect(self.editor.set_global_workers)
        self.run_toolbar.workers_changed.connect(self._remember_workers)
        self.editor.set_global_workers(self.run_toolbar.workers())
        # undo/redo of pipeline edits from anywhere in the window (a text field being edited
        # still gets Ctrl+Z first: Qt offers standard keys to the focused widget before
        # shortcuts); the step actions (Del, Space, Ctrl+D) stay on the editor
        for name in ("undo", "redo"):
            self.editor.actions()[name].setShortcutContext(Qt.ShortcutContext.WindowShortcut)
        # a new target makes the project's saved view differ
        state.events.connect("target", lambda: self.mark_dirty("target"))
        # the palette offers the models of the target's task; a chosen task is kept in the
        # project (the engine stores it with the dataset), so the project has changed
        state.events.connect("target", self._follow_task)
        state.events.connect("task", self._follow_task)
        state.events.connect("task", lambda: self.mark_dirty("task"))
        state.events.connect("exclusions", self._exclusions_changed)
        self.results.rows_selected.connect(self._select_from_results)
        state.events.connect("selection",
                             lambda: self.results.show_selection(state.selection))

    # -- where runs execute (Settings > Execution) ------------------------------------------
    def _make_pool(self) -> Any:
        """The pool of the saved choice; a cluster that cannot be used falls back to this
        machine, saying why in the status bar."""
        from engine.errors import NirdeskInputError

        try:
            return make_pool(self._choice)
        except NirdeskInputError as exc:
            self.notifier.status(f"Running on this computer: {exc}", 15000)
            self._choice = ExecutionChoice(workers=self._choice.workers)
            return make_pool(self._choice)

    def execution_choice(self) -> ExecutionChoice:
        """Where the next run executes (the last choice applied)."""
        return self._choice

    def open_execution_settings(self) -> QDialog:
        from app.run.execution_settings import open_execution_settings

        self.execution_dialog = open_execution_settings(self.host, self.settings,
                                                        self.apply_execution_choice)
        return self.execution_dialog

    def apply_execution_choice(self, choice: ExecutionChoice) -> bool:
        """Use a new backend for the next runs (refused while a run is going)."""
        rc = self.run_controller
        if rc.is_running():
            self._pending_choice = choice
            self.notifier.status("The new execution settings apply from the next run", 10000)
            return False
        from engine.errors import NirdeskInputError

        try:
            pool = make_pool(choice)
        except NirdeskInputError as exc:
            self.notifier.error("Cannot use these execution settings", str(exc))
            return False
        rc.set_pool(pool)
        self._choice = choice
        self.gauges.set_remote_workers_provider(remote_workers_provider(pool))
        if choice.backend == "loky":
            self.run_toolbar.set_workers(choice.workers)
        where = "this computer" if choice.backend == "loky" else f"Dask at {choice.scheduler}"
        self.notifier.status(f"Runs execute on {where}", 8000)
        self.refresh_policy_facts()
        return True

    def _remember_workers(self, workers: int) -> None:
        settings = self.settings
        if settings.persistent:
            choice = settings.execution_choice()
            settings.save_execution(choice.backend, choice.scheduler, workers)

    # -- wiring that needs the window's actions ---------------------------------------------
    def attach_actions(self, esc_actions: list) -> None:
        self.run_toolbar.attach(self.run_controller, esc_actions=esc_actions)

    def start(self) -> None:
        """Start the gauges' timer (when the window shows; again is harmless)."""
        if not self._closed and not self.gauges.is_running():
            self.gauges.start()

    # -- pipeline editor --------------------------------------------------------------------
    def show_pipeline(self, expanded: Any) -> None:
        """A pipeline file was opened: the editor shows it (its undo history starts afresh)."""
        self._loading_spec = True
        try:
            self.editor.set_spec(expanded.spec)
        finally:
            self._loading_spec = False

    def dataset_opened(self, dataset: Any) -> None:
        """The policy badges judge the real data size; the palette offers the task's models."""
        self.refresh_policy_facts(dataset)
        self._follow_task(dataset)

    def _follow_task(self, dataset: Any = None) -> None:
        """The palette offers the models of the modelled target's task."""
        dataset = dataset if dataset is not None else self.state.dataset
        if dataset is not None:
            self.editor.palette.set_task("classification" if dataset.is_classification
                                         else "regression")

    def refresh_policy_facts(self, dataset: Any = None) -> None:
        from engine.machine import DataFacts, MachineFacts

        dataset = dataset if dataset is not None else self.state.dataset
        pool = self.run_controller.pool
        machine = known_machine_facts(pool)   # a cluster's cores, once known (never blocks)
        if machine is None:
            machine = MachineFacts.current(pool_warm_workers=len(self.run_controller.worker_pids()))
        self.editor.set_context(machine,
                                DataFacts.from_dataset(dataset) if dataset is not None else None)

    def _on_spec_edited(self, _spec: Any) -> None:
        if self._loading_spec:
            return
        self._edit_timer.start()

    def _apply_edit(self) -> None:
        """After an edit pauses: the window's branches follow the editor (runnable specs only;
        an incomplete one keeps the last runnable pipeline on show, the editor says why)."""
        expanded = self.editor.controller.doc.expanded()
        if expanded is not None:
            self.pipeline_edited.emit(expanded)
        self.project.mark_dirty("pipeline")

    def flush_edits(self) -> None:
        """Apply a pending edit now (before a run or a save)."""
        if self._edit_timer.isActive():
            self._edit_timer.stop()
            self._apply_edit()

    # -- running ----------------------------------------------------------------------------
    def current_pipeline(self) -> Any:
        """What a run runs: the editor's pipeline when it is runnable, else None."""
        self.flush_edits()
        return self.editor.controller.doc.expanded()

    def start_run(self) -> bool:
        """F5: run the current pipeline on the open dataset with the toolbar's worker count."""
        st = self.state
        if self.run_controller.is_running():
            return False
        if st.dataset is None:
            self.notifier.status("Open a dataset first: nothing to run on", 8000)
            return False
        pipeline = self.current_pipeline()
        if pipeline is None:
            why = self.editor.controller.doc.error() or "the pipeline has no step"
            self.notifier.status(f"The pipeline cannot run yet: {why}", 10000)
            return False
        if st.dataset.target is None:
            self.notifier.status("This dataset has no target column to model", 8000)
            return False
        choice = self.execution_choice()
        workers = (run_workers(choice) if choice.backend != "loky"
                   else self.run_toolbar.workers())
        dataset = snapshot_dataset(st.dataset)
        started = self.run_controller.start(dataset, pipeline, workers=workers,
                                            target=dataset.target)
        if started:
            self._run_dataset = dataset
            self._run_spec = pipeline.spec
            self.raise_dock.emit("runDock")
        return started

    def _on_running_changed(self, running: bool) -> None:
        self.editor.canvas.claim_escape = not running   # Esc cancels a run, wherever focus is
        if running:
            self.notifier.status("Running\u2026")
        elif self._pending_choice is not None:   # chosen in Settings during the run
            choice, self._pending_choice = self._pending_choice, None
            self.apply_execution_choice(choice)

    def _on_run_started(self, plan: Any, names: dict) -> None:
        steps = {bid: s for entry in plan for bid, s in entry.get("steps", {}).items()}
        self.results.begin_run(self._run_dataset, names, steps)
        self.raise_dock.emit("resultsDock")

    def _on_run_failed(self, message: str) -> None:
        self.notifier.error("Cannot run the pipeline", message)

    def _on_run_finished(self, result: Any) -> None:
        self.last_result = result
        self.results.finish_run(result)
        ok = sum(1 for b in result.branches if b.status == "ok")
        n = len(result.branches)
        word = "cancelled" if result.cancelled else "finished"
        self.notifier.status(f"Run {word}: {ok} of {n} branches ok in {result.seconds:.1f} s",
                             15000)
        self.refresh_policy_facts()   # the pool is warm now: the badges may change
        spec = self._run_spec
        if spec is not None and self._run_dataset is not None:
            self.project.record_run(result, self._run_dataset, spec)
            if self.predict_panel is not None:
                self.predict_panel.set_project(self.project_path())
        self.run_finished.emit(result)

    # -- project --------------------------------------------------------------------------
    def project_path(self) -> str | None:
        """The project file the Predict window reads models from: the user's file, else the
        session's working copy (where runs are recorded before the first Save)."""
        return self.project.path or str(self.project.working_file)

    def _pipeline_spec(self) -> Any:
        """The spec a project stores: the editor's when runnable, else the last runnable one."""
        expanded = self.editor.controller.doc.expanded()
        if expanded is None:
            expanded = self.state.pipeline
        return None if expanded is None else expanded.spec

    def _snapshot(self) -> WorkspaceSnapshot:
        st = self.state
        return WorkspaceSnapshot(st.dataset, st.dataset_path, self._pipeline_spec(),
                                 {"colour_mode": st.colour_mode, "band": st.band,
                                  "branch_id": st.branch_id,
                                  "workers": self.run_toolbar.workers()})

    def _apply_project(self, loaded: LoadedProject) -> None:
        """An opened/restored project replaces what the window shows (None = keep)."""
        st = self.state
        if loaded.dataset is not None:
            self.project_dataset.emit(loaded.dataset, loaded.raw, loaded.dataset_path)
        if loaded.pipeline is not None:
            st.set_pipeline(loaded.pipeline, None)
            self.show_pipeline(loaded.pipeline)
        ui = loaded.ui_state or {}
        if ui.get("colour_mode") in ("target", "partition"):
            st.set_colour_mode(ui["colour_mode"])
        if isinstance(ui.get("band"), bool):
            st.set_band(ui["band"])
        if isinstance(ui.get("workers"), int):
            self.run_toolbar.set_workers(ui["workers"])
        self.results.clear()

    def _on_project_opened(self, _path: str) -> None:
        runs = self.project.runs()
        if runs:   # show the newest run's results, as the user left them
            self.project.load_run(runs[-1].id)
        if self.predict_panel is not None:
            self.predict_panel.set_project(self.project_path())

    def _show_stored_run(self, stored: Any) -> None:
        # where the run's fitted models are: the Diagnostics tab loads them (off-thread)
        # instead of refitting the branch from its steps
        self.results.set_run(stored.to_run_result(), self.state.dataset,
                             project_file=self.project_path(), run_id=stored.id)
        self.raise_dock.emit("resultsDock")

    def _select_from_results(self, rows: Any) -> None:
        """Rows picked in the results' diagnostics become the window's selection (rows of
        another dataset's run, beyond the open one, are left out rather than refused)."""
        n = 0 if self.state.dataset is None else self.state.dataset.n_samples
        rows = np.asarray(rows, dtype=np.intp).ravel()
        self.state.set_selection(rows[(rows >= 0) & (rows < n)])

    def _exclusions_changed(self) -> None:
        """A user's exclusion (not a dataset just opened with its own) changes the project."""
        ds = self.state.dataset
        if ds is not None and ds is self._excluded_on[0] \
                and not np.array_equal(ds.excluded, self._excluded_on[1]):
            self.mark_dirty("exclusions")
        self._excluded_on = (ds, None if ds is None else ds.excluded.copy())

    def mark_dirty(self, reason: str) -> None:
        self.project.mark_dirty(reason)

    # -- predict ----------------------------------------------------------------------------
    def open_predict(self, project_path: str | None) -> PredictPanel:
        """The Predict window (non-modal): pick a trained branch, open new spectra."""
        if self.predict_dialog is None:
            dialog = QDialog(self.host)
            dialog.setObjectName("predictDialog")
            dialog.setWindowTitle("nirdesk \u2014 predict new spectra")
            layout = QVBoxLayout(dialog)
            layout.setContentsMargins(4, 4, 4, 4)
            self.predict_panel = PredictPanel(dialog, notifier=self.notifier)
            layout.addWidget(self.predict_panel)
            dialog.resize(1000, 640)
            self.predict_dialog = dialog
        assert self.predict_panel is not None
        self.predict_panel.set_project(project_path)
        self.predict_dialog.show()
        self.predict_dialog.raise_()
        return self.predict_panel

    # -- transfer ---------------------------------------------------------------------------
    def open_transfer(self, project_path: str | None, primary: str | None = None
                      ) -> TransferView:
        """The Transfer window (non-modal): move a trained branch to a second instrument;
        ``primary`` (the open dataset) fills the primary file when it is still empty."""
        if self.transfer_dialog is None:
            dialog = QDialog(self.host)
            dialog.setObjectName("transferDialog")
            dialog.setWindowTitle("nirdesk \u2014 calibration transfer")
            layout = QVBoxLayout(dialog)
            layout.setContentsMargins(4, 4, 4, 4)
            self.transfer_view = TransferView(dialog, notifier=self.notifier)
            layout.addWidget(self.transfer_view)
            dialog.resize(1150, 700)
            self.transfer_dialog = dialog
        assert self.transfer_view is not None
        self.transfer_view.set_project(project_path)
        if primary and not self.transfer_view.primary_edit.text():
            self.transfer_view.set_files(primary=primary)
        self.transfer_dialog.show()
        self.transfer_dialog.raise_()
        return self.transfer_view

    # -- interval PLS -----------------------------------------------------------------------
    def open_ipls(self) -> IplsView:
        """The Interval PLS window (non-modal) on the open dataset and the edited pipeline's
        first branch; it follows both while open. Its "Add to pipeline" inserts the chosen
        windows before that branch's model as one undoable editor edit."""
        if self.ipls_dialog is None:
            dialog = QDialog(self.host)
            dialog.setObjectName("iplsDialog")
            dialog.setWindowTitle("nirdesk \u2014 interval PLS")
            layout = QVBoxLayout(dialog)
            layout.setContentsMargins(4, 4, 4, 4)
            view = IplsView(dialog, notifier=self.notifier, pool_provider=self._make_pool,
                            run_active=self.run_controller.is_running)
            workers = self.run_toolbar.workers()   # -1: Auto, every usable CPU
            view.workers_spin.setValue(workers if workers > 0 else usable_cpus())
            view.add_step.connect(self._add_selection_step)
            layout.addWidget(view)
            dialog.resize(1100, 620)
            self.ipls_dialog, self.ipls_view = dialog, view
            self.state.events.connect("dataset", self._refresh_ipls)
            self.pipeline_edited.connect(lambda _expanded: self._refresh_ipls())
        self._refresh_ipls()
        assert self.ipls_dialog is not None and self.ipls_view is not None
        self.ipls_dialog.show()
        self.ipls_dialog.raise_()
        return self.ipls_view

    def _refresh_ipls(self) -> None:
        if self.ipls_view is not None and not self._closed:
            self.ipls_view.set_context(self.state.dataset,
                                       self.editor.controller.doc.expanded())

    def _add_selection_step(self, container: tuple[int, ...], index: int, step: Any) -> None:
        try:
            self.editor.controller.insert_step(container, index, step)
        except ValueError as exc:  # the pipeline changed under the window
            self.notifier.status(f"Cannot add the windows: {exc}", 10000)
            return
        self.raise_dock.emit("pipelineDock")

    # -- report ---------------------------------------------------------------------------
    def open_report(self) -> QDialog | None:
        """File > Export report...: the run/branch/file dialog over the project's runs (the
        user's file, else the session's working copy where runs are recorded); None, with a
        status line, before any run. ``report_opener`` opens the written file (tests)."""
        from pathlib import Path

        from app.report.dialog import ReportDialog

        path = self.project.path or self.project.working_file
        if path is None or not self.project.runs():
            self.notifier.status("No run to report on yet: run a pipeline first", 8000)
            return None
        start = str(Path(self.project.path).parent) if self.project.path else str(Path.home())
        dialog = ReportDialog(str(path), self.host, opener=self.report_opener, start_dir=start)
        dialog.exported.connect(
            lambda done: self.notifier.status(f"Report written to {done.path}", 10000))
        dialog.open()
        self.report_dialog = dialog
        return dialog

    def is_settled(self) -> bool:
        """No edit or badge computation pending and no run going (screenshots wait for it)."""
        return (not self._edit_timer.isActive() and not self.editor.badges_pending()
                and not self.run_controller.is_running())

    # -- closing ----------------------------------------------------------------------------
    def confirm_close(self, ask: Any = None) -> bool:
        """True when the window may close: a run going was stopped (asked first; the GUI
        keeps painting while it stops) and unsaved project changes were saved or discarded."""
        if ask is None and self.notifier.quiet:
            ask = lambda _parent: True  # noqa: E731 - batch: stop the run, no question
        if not confirm_close(self.run_controller, self.host, ask=ask):
            return False
        return self.project.maybe_close()

    def shutdown(self) -> None:
        if self._closed:
            return
        self._closed = True
        self.gauges.stop()
        self.project.shutdown()
        if self.predict_panel is not None:
            self.predict_panel.shutdown()
        if self.predict_dialog is not None:
            self.predict_dialog.close()
        if self.transfer_view is not None:
            self.transfer_view.shutdown()
        if self.ipls_view is not None:
            self.ipls_view.shutdown()
        if self.ipls_dialog is not None:
            self.ipls_dialog.close()
        if self.transfer_dialog is not None:
            self.transfer_dialog.close()
        if self.report_dialog is not None:
            with contextlib.suppress(RuntimeError):   # already deleted with its window
                self.report_dialog.close()
        self.run_panel.close()
        self.run_controller.shutdown()
        close_pools()                       # Dask clients of this session, if any
        from engine.executor import default_pool

        default_pool().shutdown()           # the local pool too, if the user switched away
        if self.execution_dialog is not None:
            from app.run.execution_settings import wait_for_connection_tests

            with contextlib.suppress(RuntimeError):   # it deletes itself when closed
                self.execution_dialog.close()
            wait_for_connection_tests()
        self.results.shutdown()
