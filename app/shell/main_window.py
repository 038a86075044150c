"""The main window: docks, menus, drag-and-drop, and the controller that runs slow work off
the GUI thread and writes the results into the WorkbenchState.

    central          view controls (toolbar) over the spectra plot
    left docks       Dataset (summary, target chooser), Selection (table)
    right docks      Pipeline editor | Run
    bottom docks     Results | Resources | Runs history
    toolbar          Run (F5), Cancel (Esc while running), worker count

The work panels (editor, run, results, gauges, projects) and the rules connecting them live in
app.shell.workbench.Workbench; this module keeps the docks, menus and the dataset side.
"""
from __future__ import annotations

import sys
from pathlib import Path
from typing import Any

from PySide6.QtCore import QSignalBlocker, Qt, QTimer, QUrl, Signal
from PySide6.QtGui import QAction, QActionGroup, QKeySequence
from PySide6.QtWidgets import (QDockWidget, QFileDialog, QLabel, QMainWindow,
                               QProgressBar, QVBoxLayout, QWidget)

from app.common import dialogs, gc_guard
from app.model import tasks
from app.spectra.dataset_panel import DatasetPanel
from app.common.workers import Jobs
from app.common.recent_menu import fill_recent_menu
from app.spectra.selection_table import SelectionTable
from app.common.settings import AppSettings
from app.spectra.view import SpectraView
from app.model.state import PREPROCESSED, RAW, WorkbenchState
from app.spectra.controls import ViewControls
from app.shell.workbench import Workbench

KEPT = "The dataset already open stays open."
CACHE_SIZE = 4  # preprocessed versions of the open dataset kept for instant switching
DEFAULT_SIZE = (1280, 800)
DATA_FILTER = "Spectra tables (*.csv *.csv.gz *.txt *.tsv);;All files (*)"
SHORTCUTS = (("Ctrl+O", "Open a dataset file"), ("Ctrl+Shift+O", "Open a dataset folder"),
             ("Ctrl+E / Ctrl+Shift+E", "Export the plot as PNG / SVG"),
             ("Ctrl+1 / Ctrl+2", "Colour by target / by partition"),
             ("Ctrl+T", "Raw \u2194 preprocessed spectra"), ("Ctrl+B", "Mean \u00b1 std band"),
             ("Ctrl+0", "Reset zoom"), ("Esc", "Clear the selection"),
             ("Shift+drag", "Select the spectra crossing a box"),
             ("click / Ctrl+click", "Select a spectrum / add or remove one"),
             ("drag, right-drag, wheel", "Pan, zoom"),
             ("F5 / Esc", "Run the pipeline / cancel the run"),
             ("Ctrl+Z / Ctrl+Shift+Z", "Undo / redo a pipeline edit"),
             ("Ctrl+D / Del / Space", "Duplicate / delete / enable-disable the selected step"),
             ("Ctrl+Q", "Quit"))


class MainWindow(QMainWindow):
    dataset_loaded = Signal(object)     # the SpectralDataset now open
    load_failed = Signal(str)           # one line naming file, row, column
    pipeline_loaded = Signal(object)
    preprocessing_failed = Signal(str)

    def __init__(self, settings: AppSettings | None = None, *, quiet_errors: bool = False,
                 parent: QWidget | None = None) -> None:
        super().__init__(parent)
        gc_guard.acquire()  # before any thread starts: collections stay on this thread
        self.setObjectName("nirdeskMainWindow")
        self.settings = settings or AppSettings(persistent=False)
        self.quiet_errors = quiet_errors   # screenshots/batch: errors go to stderr, no dialog
        self.state = WorkbenchState()
        self.jobs = Jobs(self)
        self.errors: list[str] = []        # every error reported, newest last
        self.error_box = None              # the last error dialog opened
        self._cache: dict[tuple, Any] = {}
        self._pre_keys: dict[int, tuple] = {}
        self._pipeline_paths: dict[int, str] = {}
        self._startup_tokens: set[int] = set()   # loads the user did not ask for: not dirty
        self._closed = False
        self.setWindowTitle("nirdesk[*]")
        self.setAcceptDrops(True)
        self.setDockNestingEnabled(True)
        # no animated dock moves: each animation step resized the spectra and result plots
        # (20 repaints of ~15 ms when a run raised the Results dock: measured GUI stalls)
        self.setAnimated(False)

        self.view = SpectraView(self.state)
        self.view.setObjectName("spectraView")
        self._make_actions()
        self.controls = ViewControls(self.state, self.actions)
        central = QWidget()
        layout = QVBoxLayout(central)
        layout.setContentsMargins(0, 0, 0, 0)
        layout.setSpacing(0)
        layout.addWidget(self.controls)
        layout.addWidget(self.view, 1)
        self.setCentralWidget(central)

        self.dataset_panel = DatasetPanel(self.state)
        self.selection_table = SelectionTable(self.state)
        self.selection_table.row_activated.connect(self.view.show_row)
        self.docks: dict[str, QDockWidget] = {}
        self.bench = Workbench(self)
        self.addToolBar(self.bench.run_toolbar)
        self.bench.attach_actions([self.actions["clear_selection"]])
        self._make_docks()
        self._make_menus()
        self._make_status_bar()

        self.jobs.finished.connect(self._on_job_finished)
        self.jobs.failed.connect(self._on_job_failed)
        self.jobs.busy_changed.connect(self._on_busy)
        self.view.hover_changed.connect(self._on_hover)
        st = self.state
        st.events.connect("dataset", self._on_dataset)
        st.events.connect("target", self._on_target)
        st.events.connect("display", self._on_display)
        st.events.connect("colour_mode", self._sync_actions)
        st.events.connect("band", self._sync_actions)
        st.events.connect("selection", self._on_selection)

    # -- building ---------------------------------------------------------------------------
    def _action(self, name: str, text: str, slot, shortcut: str | None = None,
                checkable: bool = False, tip: str | None = None) -> QAction:
        action = QAction(text, self)
        action.setObjectName(name)
        if shortcut:
            action.setShortcut(QKeySequence(shortcut))
        action.setCheckable(checkable)
        if tip:
            action.setToolTip(tip)
            action.setStatusTip(tip)
        action.triggered.connect(slot)
        self.actions[name] = action
        self.addAction(action)  # shortcuts work whichever dock has focus
        return action

    def _make_actions(self) -> None:
        self.actions: dict[str, QAction] = {}
        a = self._action
        a("open_dataset", "&Open dataset\u2026", self._ask_open_file, "Ctrl+O",
          tip="Open a CSV file, or X.csv / Xcal.csv inside a dataset folder")
        a("open_folder", "Open dataset &folder\u2026", self._ask_open_folder, "Ctrl+Shift+O",
          tip="Open a folder holding X.csv + y.csv, or nirs4all Xcal/Ycal/Xval/Yval files")
        a("open_pipeline", "Open &pipeline\u2026", self._ask_open_pipeline,
          tip="Open a pipeline JSON file: its branches become choices under Show")
        a("export_png", "Export PNG\u2026", lambda: self._ask_export("png"), "Ctrl+E",
          tip="Save the plot with its colour bar as a PNG image")
        a("export_svg", "Export SVG\u2026", lambda: self._ask_export("svg"), "Ctrl+Shift+E",
          tip="Save the plot as an SVG vector drawing")
        a("predict", "&Predict new spectra\u2026", self._open_predict, "Ctrl+P",
          tip="Apply a trained branch of the project to new spectra")
        a("execution", "&Execution\u2026", lambda: self.bench.open_execution_settings(),
          "Ctrl+,", tip="Run on this computer (worker count) or on a Dask cluster")
        a("quit", "&Quit", self.close, "Ctrl+Q")
        group = QActionGroup(self)
        for mode, key in (("target", "Ctrl+1"), ("partition", "Ctrl+2")):
            act = a(f"colour_{mode}", f"Colour by {mode}",
                    lambda checked=False, m=mode: self.state.set_colour_mode(m), key, True)
            group.addAction(act)
        a("band", "Mean \u00b1 std band", lambda on: self.state.set_band(on), "Ctrl+B", True)
        a("preprocessed", "Preprocessed spectra", self._toggle_preprocessed, "Ctrl+T", True,
          tip="Switch between the raw spectra and the chosen branch's preprocessing")
        a("box_select", "Box select", lambda on: self.view.set_box_mode(on), None, True,
          tip="Drag a box to select the spectra crossing it (Shift+drag works in any mode)")
        a("clear_selection", "Clear selection", lambda: self.state.set_selection([]), "Esc")
        a("reset_zoom", "Reset zoom", self.view.reset_zoom, "Ctrl+0")
        a("reset_layout", "Reset window layout", self.reset_layout)
        a("shortcuts", "Keyboard shortcuts", self._show_shortcuts, "F1")
        a("about", "&About nirdesk", self._show_about)
        self._sync_actions()

    def _make_docks(self) -> None:
        def dock(name: str, title: str, widget: QWidget, area) -> QDockWidget:
            d = QDockWidget(title, self)
            d.setObjectName(name)
            d.setWidget(widget)
            self.addDockWidget(area, d)
            self.docks[name] = d
            return d

        left = Qt.DockWidgetArea.LeftDockWidgetArea
        right = Qt.DockWidgetArea.RightDockWidgetArea
        bottom = Qt.DockWidgetArea.BottomDockWidgetArea
        dock("datasetDock", "Dataset", self.dataset_panel, left)
        dock("selectionDock", "Selection", self.selection_table, left)
        b = self.bench
        dock("pipelineDock", "Pipeline editor", b.editor, right)
        dock("runDock", "Run", b.run_panel, right)
        dock("resultsDock", "Results", b.results_widget, bottom)
        dock("gaugesDock", "Resources", b.gauges, bottom)
        dock("historyDock", "Runs history", b.history, bottom)
        self.setCorner(Qt.Corner.BottomLeftCorner, bottom)  # results span under the dataset
        self.setCorner(Qt.Corner.BottomRightCorner, right)
        self.splitDockWidget(self.docks["datasetDock"], self.docks["selectionDock"],
                             Qt.Orientation.Vertical)
        self.tabifyDockWidget(self.docks["pipelineDock"], self.docks["runDock"])
        self.tabifyDockWidget(self.docks["resultsDock"], self.docks["gaugesDock"])
        self.tabifyDockWidget(self.docks["gaugesDock"], self.docks["historyDock"])
        self.docks["pipelineDock"].raise_()
        self.docks["resultsDock"].raise_()
        self._default_state = None

    def _make_menus(self) -> None:
        bar = self.menuBar()
        file_menu = bar.addMenu("&File")
        project = self.bench.project
        for name in ("new", "open"):
            file_menu.addAction(project.actions[name])
        file_menu.addMenu(project.recent_menu)
        file_menu.addAction(project.actions["save"])
        file_menu.addAction(project.actions["save_as"])
        file_menu.addSeparator()
        for name in ("open_dataset", "open_folder", "open_pipeline"):
            file_menu.addAction(self.actions[name])
        self.recent_menu = file_menu.addMenu("Recent &datasets")
        self.recent_menu.setObjectName("recentMenu")
        file_menu.addSeparator()
        file_menu.addAction(self.actions["export_png"])
        file_menu.addAction(self.actions["export_svg"])
        file_menu.addSeparator()
        file_menu.addAction(self.actions["quit"])
        edit_menu = bar.addMenu("&Edit")
        editor_actions = self.bench.editor.actions()
        for name in ("undo", "redo", None, "duplicate", "delete", "toggle_enabled", None,
                     "add_branch", "add_lane", None, "import_json", "export_json"):
            if name is None:
                edit_menu.addSeparator()
            elif name in editor_actions:
                edit_menu.addAction(editor_actions[name])
        run_menu = bar.addMenu("&Run")
        run_menu.addAction(self.bench.run_toolbar.run_action)
        run_menu.addAction(self.bench.run_toolbar.cancel_action)
        run_menu.addSeparator()
        run_menu.addAction(self.actions["predict"])
        settings_menu = bar.addMenu("&Settings")
        settings_menu.addAction(self.actions["execution"])
        view_menu = bar.addMenu("&View")
        for name in ("colour_target", "colour_partition", None, "band", "preprocessed",
                     None, "box_select", "clear_selection", "reset_zoom", None):
            if name is None:
                view_menu.addSeparator()
            else:
                view_menu.addAction(self.actions[name])
        panels = view_menu.addMenu("Panels")
        for d in self.docks.values():
            panels.addAction(d.toggleViewAction())
        view_menu.addAction(self.actions["reset_layout"])
        help_menu = bar.addMenu("&Help")
        help_menu.addAction(self.actions["shortcuts"])
        help_menu.addAction(self.actions["about"])
        self._rebuild_recent_menu()

    def _make_status_bar(self) -> None:
        status = self.statusBar()
        self.busy_label = QLabel("")
        self.busy_label.setObjectName("busyLabel")
        self.busy = QProgressBar()
        self.busy.setObjectName("busyIndicator")
        self.busy.setRange(0, 0)  # indeterminate: moving bar while work runs
        self.busy.setFixedWidth(110)
        self.busy.setMaximumHeight(14)
        status.addPermanentWidget(self.busy_label)
        status.addPermanentWidget(self.busy)
        self.busy.hide()
        self.busy_label.hide()

    # -- start-up and layout ----------------------------------------------------------------
    def start(self, data: str | None = None, target: str | None = None,
              pipeline: str | None = None) -> None:
        """Open the initial dataset and pipeline (in the background): the given ones; else the
        bundled demo on the first run; else the most recent dataset that still exists."""
        from engine.resources import demo_dataset_path, demo_pipeline_path

        opts = self.settings.view_options()
        self.state.set_colour_mode(opts["colour_mode"] if opts["colour_mode"] in
                                   ("target", "partition") else "target")
        self.state.set_band(opts["band"])
        if data is None:
            recent = [p for p in self.settings.recent_files() if Path(p).exists()]
            data = str(demo_dataset_path()) if self.settings.first_run or not recent \
                else recent[0]
        if pipeline is None:
            last = self.settings.last_pipeline()
            pipeline = last if last and Path(last).exists() else str(demo_pipeline_path())
        self._startup_tokens = {self.open_dataset(data, target), self.open_pipeline(pipeline)}
        self.settings.mark_started()

    def start_with_project(self, path: str) -> bool:
        """`nirdesk PROJECT` (a double-click on a .nirdesk file): open it; if it cannot be
        opened (the reason is shown), start as usual so the user still gets a window."""
        if self.bench.project.open_project(path):
            self.settings.mark_started()
            return True
        self.start()
        return False

    def restore_layout(self) -> bool:
        """Geometry and dock layout from the settings; default size when there are none."""
        self._default_state = self.saveState()
        geometry, state = self.settings.window_layout()
        if geometry is not None and self.restoreGeometry(geometry):
            if state is not None:
                self.restoreState(state)
            return True
        self.apply_default_size()
        return False

    def apply_default_size(self) -> None:
        w, h = DEFAULT_SIZE
        screen = self.screen()
        if screen is not None:
            avail = screen.availableGeometry()
            w, h = min(w, avail.width()), min(h, avail.height())
        self.resize(w, h)
        self._size_docks(w, h)
        QTimer.singleShot(0, lambda: self._size_docks(w, h))  # again once laid out

    def _size_docks(self, w: int, h: int) -> None:
        self.resizeDocks([self.docks["datasetDock"], self.docks["pipelineDock"]],
                         [max(240, int(w * 0.2)), max(360, int(w * 0.3))],
                         Qt.Orientation.Horizontal)
        self.resizeDocks([self.docks["resultsDock"]], [max(200, int(h * 0.3))],
                         Qt.Orientation.Vertical)
        self.resizeDocks([self.docks["datasetDock"], self.docks["selectionDock"]],
                         [int(h * 0.55), int(h * 0.45)], Qt.Orientation.Vertical)

    def raise_dock(self, name: str) -> None:
        dock = self.docks.get(name)
        if dock is not None:
            dock.show()
            dock.raise_()

    def reset_layout(self) -> None:
        if self._default_state is not None:
            self.restoreState(self._default_state)
        for d in self.docks.values():
            d.show()
        self.apply_default_size()

    # -- opening ----------------------------------------------------------------------------
    def open_dataset(self, path: str | Path, target: str | None = None) -> int:
        """Load a dataset in the background; the open one stays until the new one is ready."""
        name = Path(path).name or str(path)
        self.statusBar().showMessage(f"Loading {name}\u2026")
        return self.jobs.submit("load", f"Loading {name}\u2026", tasks.load, str(path), target)

    def open_pipeline(self, path: str | Path) -> int:
        token = self.jobs.submit("pipeline", "Reading the pipeline\u2026", tasks.read_pipeline,
                                 str(path))
        self._pipeline_paths[token] = str(path)
        return token

    def _ask_open_file(self) -> None:
        path, _ = QFileDialog.getOpenFileName(self, "Open dataset", self._start_dir(),
                                              DATA_FILTER)
        if path:
            self.open_dataset(path)

    def _ask_open_folder(self) -> None:
        path = QFileDialog.getExistingDirectory(self, "Open dataset folder", self._start_dir())
        if path:
            self.open_dataset(path)

    def _ask_open_pipeline(self) -> None:
        path, _ = QFileDialog.getOpenFileName(self, "Open pipeline", self._start_dir(),
                                              "Pipeline (*.json);;All files (*)")
        if path:
            self.open_pipeline(path)

    def _start_dir(self) -> str:
        recent = self.settings.recent_files()
        return str(Path(recent[0]).parent) if recent else str(Path.home())

    def _rebuild_recent_menu(self) -> None:
        fill_recent_menu(self.recent_menu, self.settings.recent_files(), self.open_dataset,
                         self._clear_recent)

    def _clear_recent(self) -> None:
        self.settings.clear_recent()
        self._rebuild_recent_menu()

    # -- drag and drop ----------------------------------------------------------------------
    @staticmethod
    def dropped_paths(mime) -> list[str]:
        return [u.toLocalFile() for u in mime.urls() if isinstance(u, QUrl) and u.isLocalFile()]

    def dragEnterEvent(self, event) -> None:
        if self.dropped_paths(event.mimeData()):
            event.acceptProposedAction()
        else:
            event.ignore()

    def dragMoveEvent(self, event) -> None:
        self.dragEnterEvent(event)

    def dropEvent(self, event) -> None:
        paths = self.dropped_paths(event.mimeData())
        if not paths:
            event.ignore()
            return
        event.acceptProposedAction()
        self.open_dropped(paths)

    def open_dropped(self, paths: list[str]) -> None:
        """A pipeline .json opens as the pipeline; several files of one folder (X.csv and
        y.csv dragged together) open that folder; otherwise the first path is the dataset."""
        pipelines = [p for p in paths if p.lower().endswith(".json")]
        data = [p for p in paths if not p.lower().endswith(".json")]
        if pipelines:
            self.open_pipeline(pipelines[0])
        if not data:
            return
        parents = {str(Path(p).parent) for p in data}
        if len(data) > 1 and len(parents) == 1:
            self.open_dataset(parents.pop())
        else:
            self.open_dataset(data[0])

    # -- background results -----------------------------------------------------------------
    def _on_job_finished(self, kind: str, token: int, result: Any) -> None:
        if self._closed:
            return
        if kind == "load":
            self._dataset_ready(result, token not in self._startup_tokens)
        elif kind == "pipeline":
            path = self._pipeline_paths.pop(token, None)
            self.state.set_pipeline(result, path)
            if token not in self._startup_tokens:
                self.bench.mark_dirty("pipeline")
            if path:
                self.settings.set_last_pipeline(path)
            self.statusBar().showMessage(
                f"Pipeline {result.name}: {len(result.branches)} branches", 5000)
            self.bench.show_pipeline(result)
            self.pipeline_loaded.emit(result)
        elif kind == "preprocess":
            key = self._pre_keys.pop(token, None)
            if key is not None:
                self._cache[key] = result
                while len(self._cache) > CACHE_SIZE:  # each entry is one copy of the spectra
                    self._cache.pop(next(iter(self._cache)))
                if key == self._display_key():
                    self.state.set_shown(result)

    def _dataset_ready(self, loaded: tasks.LoadedDataset, by_user: bool) -> None:
        self.settings.add_recent(loaded.path)
        self._rebuild_recent_menu()
        self.show_dataset(loaded.dataset, loaded.raw, loaded.path)
        if by_user:
            self.bench.mark_dirty("dataset")

    def show_dataset(self, ds, raw, path: str | None) -> None:
        """Make ``ds`` the open dataset (loaded from a file, or from a project)."""
        self._cache.clear()
        self.state.set_dataset(ds, raw, path)
        self.bench.dataset_opened(ds)
        self.statusBar().showMessage(
            f"Opened {ds.name}: {ds.n_samples:,} spectra \u00d7 {ds.n_wavelengths:,} points",
            8000)
        self.dataset_loaded.emit(ds)

    def _on_job_failed(self, kind: str, token: int, exc: BaseException, tb: str) -> None:
        if self._closed:
            return
        if kind == "load":
            self._report("Cannot open the dataset", exc, tb, KEPT if self.state.dataset
                         else None)
            self.load_failed.emit(dialogs.error_text(exc))
        elif kind == "pipeline":
            self._report("Cannot read the pipeline", exc, tb,
                         "The pipeline already open stays open." if self.state.pipeline
                         else None)
        elif kind == "preprocess":
            self._pre_keys.pop(token, None)
            label = self.state.branch_label()
            self._report(f"Branch {label}: preprocessing failed on this dataset", exc, tb,
                         "Showing the raw spectra.", bug=False)
            self.state.set_display(RAW)
            self.preprocessing_failed.emit(dialogs.error_text(exc))

    def pipeline_edited(self, expanded) -> None:
        """The editor's pipeline changed: its branches become the choices under Show (an
        incomplete pipeline keeps the last runnable one on show; the editor says why)."""
        if expanded is not None:
            self.state.set_pipeline(expanded, self.state.pipeline_path)
            self.pipeline_loaded.emit(expanded)

    def report_line(self, title: str, line: str) -> None:
        """A one-line problem (the engine's message names file, row, column): status bar,
        and a dialog unless errors are quiet (screenshots, batch)."""
        self.errors.append(line)
        self.statusBar().showMessage(f"{title}: {line}", 15000)
        if self.quiet_errors:
            print(f"nirdesk: {title}: {line}", file=sys.stderr)
            return
        box = dialogs.QMessageBox(self)
        box.setIcon(dialogs.QMessageBox.Icon.Warning)
        box.setWindowTitle("nirdesk")
        box.setText(f"<b>{title}</b>")
        box.setInformativeText(line)
        box.setWindowModality(Qt.WindowModality.WindowModal)
        box.open()
        self.error_box = box

    def _report(self, title: str, exc: BaseException, tb: str, kept: str | None,
                bug: bool | None = None) -> None:
        line = dialogs.error_text(exc)
        self.errors.append(line)
        self.statusBar().showMessage(f"{title}: {line}", 15000)
        if self.quiet_errors:
            print(f"nirdesk: {title}: {line}", file=sys.stderr)
            return
        self.error_box = dialogs.show_error(self, title, exc, tb, kept, bug=bug)

    def _on_busy(self, busy: bool, label: str) -> None:
        self.busy.setVisible(busy)
        self.busy_label.setVisible(busy)
        self.busy_label.setText(label)

    # -- state reactions --------------------------------------------------------------------
    def _on_dataset(self) -> None:
        self._cache.clear()
        if self.state.display == PREPROCESSED:
            self._on_display()

    def _on_target(self) -> None:
        self.bench.mark_dirty("target")
        if self.state.display == PREPROCESSED:
            self._on_display()  # a supervised step would fit differently

    def _display_key(self) -> tuple | None:
        st = self.state
        if st.dataset is None or st.branch_id is None:
            return None
        return (id(st.dataset), st.branch_id, st.dataset.target)

    def _on_display(self) -> None:
        """Raw: show the raw spectra. Preprocessed: compute the branch's preprocessing in the
        background (or take it from the cache) and show it when it is ready."""
        st = self.state
        self._sync_actions()
        if st.display == RAW:
            self.jobs.cancel("preprocess")
            return
        key = self._display_key()
        if key is None or st.pipeline is None:
            return  # computed when the dataset / pipeline arrives
        if key in self._cache:
            st.set_shown(self._cache[key])
            return
        branch = next((b for b in st.pipeline.branches if b.id == st.branch_id), None)
        if branch is None:
            self.statusBar().showMessage(f"The pipeline has no branch {st.branch_id}", 8000)
            st.set_display(RAW)
            return
        ds = st.dataset
        label = st.branch_label()
        title = f"branch {label} (fitted on {ds.n_train:,} training spectra)"
        token = self.jobs.submit(
            "preprocess", f"Preprocessing: branch {label}\u2026", tasks.preprocess, ds.X,
            st.y, ds.test_mask.copy(), ds.wavelengths,
            not ds.metadata.get("wavelengths_unknown"), branch, title)
        self._pre_keys[token] = key

    def _toggle_preprocessed(self, on: bool) -> None:
        if on and self.state.pipeline is None:
            self._sync_actions()
            self.statusBar().showMessage("No pipeline is open: open one to preprocess", 5000)
            return
        self.state.set_display(PREPROCESSED if on else RAW)

    def _sync_actions(self) -> None:
        st = self.state
        for name, checked in (("colour_target", st.colour_mode == "target"),
                              ("colour_partition", st.colour_mode == "partition"),
                              ("band", st.band), ("preprocessed", st.display == PREPROCESSED)):
            act = self.actions.get(name)
            if act is not None:
                with QSignalBlocker(act):
                    act.setChecked(checked)

    def _on_selection(self) -> None:
        n = self.state.selection.size
        if n:
            self.statusBar().showMessage(f"{n:,} spectr{'um' if n == 1 else 'a'} selected",
                                         5000)

    def _on_hover(self, text: str) -> None:
        if text:
            self.statusBar().showMessage(text)
        else:
            self.statusBar().clearMessage()

    def _open_predict(self) -> None:
        self.bench.open_predict(self.bench.project_path())

    # -- export, help -----------------------------------------------------------------------
    def _ask_export(self, fmt: str) -> None:
        name = (self.state.dataset.name if self.state.dataset else "spectra") + f".{fmt}"
        path, _ = QFileDialog.getSaveFileName(self, f"Export the plot as {fmt.upper()}",
                                              str(Path(self._start_dir()) / name),
                                              f"{fmt.upper()} (*.{fmt})")
        if path:
            if not path.lower().endswith(f".{fmt}"):
                path += f".{fmt}"
            self.export_view(path)

    def export_view(self, path: str | Path) -> Path | None:
        try:
            out = self.view.export(path)
        except Exception as exc:  # a full disk, a read-only folder: tell, keep going
            self._report("Cannot export the plot", exc, "", None, bug=False)
            return None
        self.statusBar().showMessage(f"Exported {out}", 8000)
        return out

    def _show_shortcuts(self) -> None:
        rows = "".join(f"<tr><td><b>{k}</b>&nbsp;&nbsp;</td><td>{v}</td></tr>"
                       for k, v in SHORTCUTS)
        box = dialogs.QMessageBox(self)
        box.setWindowTitle("nirdesk \u2014 keyboard shortcuts")
        box.setText(f"<table>{rows}</table>")
        box.setWindowModality(Qt.WindowModality.WindowModal)
        box.open()
        self.info_box = box

    def _show_about(self) -> None:
        try:
            from importlib.metadata import version

            ver = version("nirdesk")
        except Exception:
            ver = ""
        self.info_box = dialogs.show_about(self, ver)

    # -- settled / closing ------------------------------------------------------------------
    def is_settled(self) -> bool:
        """Nothing loading or computing, and the spectra on screen are up to date."""
        return not self.jobs.is_busy() and self.view.is_drawn() and self.bench.is_settled()

    def showEvent(self, event) -> None:
        super().showEvent(event)
        if not self._closed:
            self.bench.start()   # the Resources gauges poll while the window is up

    def closeEvent(self, event) -> None:
        if not self._closed and not self.bench.confirm_close():
            event.ignore()
            return
        if self.settings.persistent:
            self.settings.save_window_layout(self.saveGeometry(), self.saveState())
            self.settings.save_view_options(self.state.colour_mode, self.state.band)
            self.settings.sync()
        self.shutdown()
        super().closeEvent(event)

    def shutdown(self) -> None:
        """Stop background threads and close the plot (safe to call twice)."""
        if self._closed:
            return
        self._closed = True
        self.jobs.shutdown()
        self.bench.shutdown()
        self.view.shutdown()
        if self.error_box is not None:
            self.error_box.close()
        self.state.events.disconnect_all()  # fewer reference cycles left for the collector
        gc_guard.release()
