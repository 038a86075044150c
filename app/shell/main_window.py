"""The main window: the chrome - docks, menus, actions, drag-and-drop, dialogs, status bar.

    central          view controls (toolbar) over the spectra plot
    left docks       Dataset (summary, target chooser), Selection (table)
    right docks      Pipeline editor | Run
    bottom docks     Results | Explore (PCA, T²/Q) | Resources | Runs history
    toolbar          Run (F5), Cancel (Esc while running), worker count

What is open and how it is computed lives elsewhere, and the window only connects it:
app.spectra.controller.DatasetController loads datasets and pipelines and preprocesses off the
GUI thread into the WorkbenchState; app.shell.workbench.Workbench builds the work panels
(editor, run, results, gauges, projects, predict) and the rules connecting them; the
app.common.notify.Notifier shows every error and status message. None of them knows this
class: they emit signals, the window connects them to its docks and menus.
"""
from __future__ import annotations

import html
from pathlib import Path
from typing import Any

from PySide6.QtCore import QSignalBlocker, Qt, QTimer, QUrl, Signal
from PySide6.QtGui import QAction, QActionGroup, QKeySequence
from PySide6.QtWidgets import (
    QDockWidget,
    QFileDialog,
    QLabel,
    QMainWindow,
    QProgressBar,
    QToolButton,
    QVBoxLayout,
    QWidget,
)

from app.common import dialogs, gc_guard
from app.common.notify import Notifier
from app.common.priority import favour_the_gui_thread
from app.common.recent_menu import fill_recent_menu
from app.common.settings import AppSettings
from app.common.warmup import start_import_warmup
from app.common.workers import Handle
from app.model.state import PREPROCESSED, RAW, WorkbenchState
from app.run.toolbar import ESC
from app.shell.exploration import Exploration
from app.shell.layout import dock_sizes, stale_tab_bars
from app.shell.workbench import Workbench
from app.spectra.controller import DatasetController
from app.spectra.controls import ViewControls
from app.spectra.dataset_panel import DatasetPanel
from app.spectra.import_dialog import ImportDialog
from app.spectra.selection_table import SelectionTable
from app.spectra.view import SpectraView

DEFAULT_SIZE = (1280, 800)
DATA_FILTER = ("Datasets (*.csv *.csv.gz *.txt *.tsv *.npz *.npy);;"
               "Spectra tables (*.csv *.csv.gz *.txt *.tsv);;NumPy arrays (*.npz *.npy);;"
               "All files (*)")
# Help > Keyboard shortcuts: (what it does, the actions whose keys it lists). The keys are read
# from the actions themselves, so the help cannot drift from the real shortcuts; the names are
# the window's actions, "project_*" the project's, "editor_*" the editor's, "run"/"cancel" the
# run toolbar's (Cancel takes Esc only while a run is going: app.run.toolbar.ESC). Mouse
# gestures are not actions: their keys are written here (a str instead of action names).
SHORTCUT_HELP: tuple[tuple[str, tuple[str, ...] | str], ...] = (
    ("New / open a project", ("project_new", "project_open")),
    ("Save / save the project as", ("project_save", "project_save_as")),
    ("Open a dataset file", ("open_dataset",)),
    ("Open a dataset folder", ("open_folder",)),
    ("Import instrument files or a spectrum folder", ("import",)),
    ("Export the plot as PNG / SVG", ("export_png", "export_svg")),
    ("Colour by target / by partition", ("colour_target", "colour_partition")),
    ("Raw \u2194 preprocessed spectra", ("preprocessed",)),
    ("Mean \u00b1 std band", ("band",)),
    ("Reset zoom", ("reset_zoom",)),
    ("Clear the selection", ("clear_selection",)),
    ("Exclude the selected spectra from runs / re-include them",
     ("exclude_selected", "include_selected")),
    ("Explore: PCA scores, loadings, T\u00b2 vs Q", ("explore",)),
    ("Select the spectra crossing a box", "Shift+drag"),
    ("Select a spectrum / add or remove one", "click / Ctrl+click"),
    ("Pan, zoom", "drag, right-drag, wheel"),
    ("Run the pipeline / cancel the run", ("run", "cancel")),
    ("Undo / redo a pipeline edit", ("editor_undo", "editor_redo")),
    ("Duplicate / delete / enable-disable the selected step",
     ("editor_duplicate", "editor_delete", "editor_toggle_enabled")),
    ("Predict new spectra", ("predict",)),
    ("Transfer a model to another instrument", ("transfer",)),
    ("Interval PLS: choose wavelength windows", ("ipls",)),
    ("Execution settings", ("execution",)),
    ("Keyboard shortcuts", ("shortcuts",)),
    ("Quit", ("quit",)),
)


WARMUP_DELAY_MS = 4000   # app.common.warmup starts this long after the window first shows
WARMUP_RETRY_MS = 500    # ... or, the window busy then, as soon as it is settled


class MainWindow(QMainWindow):
    dataset_loaded = Signal(object)     # the SpectralDataset now open
    load_failed = Signal(str)           # one line naming file, row, column
    pipeline_loaded = Signal(object)
    preprocessing_failed = Signal(str)

    def __init__(self, settings: AppSettings | None = None, *, quiet: bool = False,
                 parent: QWidget | None = None) -> None:
        """``quiet``: a window nobody sits at (screenshots, batch, self-test): errors go to
        stderr, no dialog, no question (app.common.notify)."""
        super().__init__(parent)
        gc_guard.acquire()  # before any thread starts: collections stay on this thread
        favour_the_gui_thread()
        self.setObjectName("nirdeskMainWindow")
        self.settings = settings or AppSettings(persistent=False)
        self.notifier = Notifier(self, quiet=quiet)
        self.state = WorkbenchState()
        self.spectra = DatasetController(self.state, self.notifier, self)
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
        self.import_dialog: ImportDialog | None = None   # File > Import while it is open
        self.bench = Workbench(self.state, self.settings, self.notifier, self)
        self.addToolBar(self.bench.run_toolbar)
        self.bench.attach_actions([self.actions["clear_selection"]])
        self.exploration = Exploration(self.state, self.bench.editor.controller.undo_stack,
                                       self.bench.run_toolbar.run_action, self)
        self.exploration.attach(self.dataset_panel, self.selection_table)
        self.actions.update(self.exploration.exclusions.actions())
        self._make_docks()
        self._make_menus()
        self._make_status_bar()
        self._connect()

    def _connect(self) -> None:
        sp, b = self.spectra, self.bench
        sp.dataset_loaded.connect(b.dataset_opened)
        sp.dataset_loaded.connect(self.dataset_loaded)
        sp.dataset_file_opened.connect(self._on_dataset_file)
        sp.load_failed.connect(self.load_failed)
        sp.pipeline_opened.connect(self._on_pipeline_file)
        sp.pipeline_loaded.connect(self.pipeline_loaded)
        sp.preprocessing_failed.connect(self.preprocessing_failed)
        sp.busy_changed.connect(self._on_busy)
        sp.load_progress.connect(self._on_load_progress)
        sp.load_ended.connect(self._on_load_ended)
        b.raise_dock.connect(self.raise_dock)
        b.pipeline_edited.connect(sp.pipeline_edited)
        b.project_dataset.connect(sp.show_dataset)
        self.view.hover_changed.connect(self._on_hover)
        self.exploration.view.hover_changed.connect(self._on_hover)
        st = self.state
        st.events.connect("display", self._sync_actions)
        st.events.connect("colour_mode", self._sync_actions)
        st.events.connect("band", self._sync_actions)
        st.events.connect("selection", self._on_selection)

    # -- what other code reads from the window ----------------------------------------------
    @property
    def errors(self) -> list[str]:
        """Every error reported, newest last (the notifier's)."""
        return self.notifier.errors

    @property
    def error_box(self) -> Any:
        """The last error dialog opened (None when quiet)."""
        return self.notifier.error_box

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
          tip="Open a CSV file, a NumPy .npz file, or X.csv / X.npy / Xcal.csv inside a "
              "dataset folder")
        a("open_folder", "Open dataset &folder\u2026", self._ask_open_folder, "Ctrl+Shift+O",
          tip="Open a folder holding X.csv + y.csv, X.npy + y.npy, or nirs4all "
              "Xcal/Ycal/Xval/Yval files")
        a("import", "&Import spectra\u2026", lambda: self.open_import(), "Ctrl+I",
          tip="Open instrument files (OPUS, JCAMP-DX, SPC, Excel, MATLAB) or a folder of "
              "spectrum files with its reference sheet, previewed before loading")
        a("open_pipeline", "Open &pipeline\u2026", self._ask_open_pipeline,
          tip="Open a pipeline JSON file: its branches become choices under Show")
        a("export_png", "Export PNG\u2026", lambda: self._ask_export("png"), "Ctrl+E",
          tip="Save the plot with its colour bar as a PNG image")
        a("export_svg", "Export SVG\u2026", lambda: self._ask_export("svg"), "Ctrl+Shift+E",
          tip="Save the plot as an SVG vector drawing")
        a("export_report", "Export &report\u2026", lambda: self.bench.open_report(),
          tip="Write the validation report of a run (PDF or HTML): dataset, pipeline with every "
              "parameter, all branches, one branch's metrics and plots, versions, model hash")
        a("predict", "&Predict new spectra\u2026", self._open_predict, "Ctrl+P",
          tip="Apply a trained branch of the project to new spectra")
        a("transfer", "&Transfer to another instrument\u2026", self._open_transfer, "Ctrl+Shift+T",
          tip="Move a trained branch to a second instrument (DS, PDS or slope/bias correction) "
              "from the same samples measured on both")
        a("ipls", "&Interval PLS (choose wavelengths)\u2026", lambda: self.bench.open_ipls(),
          "Ctrl+Shift+W",
          tip="Search the wavelength intervals whose PLS model cross-validates best (forward "
              "or backward iPLS) and add them to the pipeline as a windows step")
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
        a("explore", "&Explore (PCA)", lambda: self.show_explore(), "Ctrl+L",
          tip="PCA scores, loadings, explained variance and the T\u00b2 vs Q influence plot "
              "of the dataset (raw or after the chosen branch's preprocessing)")
        a("reset_layout", "Reset window layout", self.reset_layout)
        a("shortcuts", "Keyboard shortcuts", self._show_shortcuts, "F1")
        a("about", "&About nirdesk", self._show_about)
        self._sync_actions()

    def _make_docks(self) -> None:
        def dock(name: str, title: str, widget: QWidget, area) -> QDockWidget:
            d = QDockWidget(title, self)
            d.setObjectName(name)
            d.setWidget(widget)
            d.dockLocationChanged.connect(self._hide_stale_tab_bars_later)
            d.topLevelChanged.connect(self._hide_stale_tab_bars_later)
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
        explore = dock("exploreDock", "Explore", self.exploration.view, bottom)
        self.exploration.view.follow_visibility(explore.visibilityChanged)
        dock("gaugesDock", "Resources", b.gauges, bottom)
        dock("historyDock", "Runs history", b.history, bottom)
        self.setCorner(Qt.Corner.BottomLeftCorner, bottom)  # results span under the dataset
        self.setCorner(Qt.Corner.BottomRightCorner, right)
        self.splitDockWidget(self.docks["datasetDock"], self.docks["selectionDock"],
                             Qt.Orientation.Vertical)
        self.tabifyDockWidget(self.docks["pipelineDock"], self.docks["runDock"])
        for name in ("exploreDock", "gaugesDock", "historyDock"):
            self.tabifyDockWidget(self.docks["resultsDock"], self.docks[name])
        self.docks["pipelineDock"].raise_()
        self.docks["resultsDock"].raise_()
        # The layout fixed the window's minimum size while the four bottom docks still stood
        # side by side (1089 px: a 1024 px window was impossible); recompute it for the docks
        # as tabbed now (~640 px).
        self.layout().invalidate()
        self.layout().activate()

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
        for name in ("open_dataset", "open_folder", "import", "open_pipeline"):
            file_menu.addAction(self.actions[name])
        self.recent_menu = file_menu.addMenu("Recent &datasets")
        self.recent_menu.setObjectName("recentMenu")
        file_menu.addSeparator()
        file_menu.addAction(self.actions["export_png"])
        file_menu.addAction(self.actions["export_svg"])
        file_menu.addAction(self.actions["export_report"])
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
        edit_menu.addSeparator()
        edit_menu.addActions(self.exploration.menu_actions())
        run_menu = bar.addMenu("&Run")
        run_menu.addAction(self.bench.run_toolbar.run_action)
        run_menu.addAction(self.bench.run_toolbar.cancel_action)
        run_menu.addSeparator()
        run_menu.addAction(self.actions["predict"])
        run_menu.addAction(self.actions["transfer"])
        run_menu.addAction(self.actions["ipls"])
        settings_menu = bar.addMenu("&Settings")
        settings_menu.addAction(self.actions["execution"])
        view_menu = bar.addMenu("&View")
        for name in ("colour_target", "colour_partition", None, "band", "preprocessed",
                     None, "box_select", "clear_selection", "reset_zoom", None, "explore",
                     None):
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
        # a dataset load running over a second turns the moving bar into its progress, with a
        # Cancel beside it (DatasetController.load_progress)
        self.load_cancel = QToolButton()
        self.load_cancel.setObjectName("loadCancel")
        self.load_cancel.setText("Cancel")
        self.load_cancel.setToolTip("Stop loading this dataset (the open one stays open)")
        self.load_cancel.setAutoRaise(True)
        self.load_cancel.clicked.connect(self.spectra.cancel_load)
        status.addPermanentWidget(self.busy_label)
        status.addPermanentWidget(self.busy)
        status.addPermanentWidget(self.load_cancel)
        self.busy.hide()
        self.busy_label.hide()
        self.load_cancel.hide()

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
        # opened by the window itself: not an unsaved change of the project
        self.spectra.open_dataset(data, target, by_user=False)
        self.spectra.open_pipeline(pipeline, by_user=False)
        self.settings.mark_started()

    def start_with_project(self, path: str) -> bool:
        """`nirdesk PROJECT` (a double-click on a .nirdesk file): open it; if it cannot be
        opened, the reason stays in the message area and nothing is opened in its place (the
        demo data would pass for the project's)."""
        if self.bench.project.open_project(path):
            self.settings.mark_started()
            return True
        return False

    def restore_layout(self) -> bool:
        """Geometry and dock layout from the settings; default size when there are none."""
        self._default_state = self.saveState()
        geometry, state = self.settings.window_layout()
        if geometry is not None and self.restoreGeometry(geometry):
            if state is not None:
                self.restoreState(state)
                self._hide_stale_tab_bars_later()
            return True
        self.apply_default_size()
        return False

    def apply_default_size(self, size: tuple[int, int] | None = None) -> None:
        """Resize to ``size`` (default DEFAULT_SIZE, within the screen) and give the docks
        the proportions of that size (app.shell.layout.dock_sizes)."""
        w, h = size or DEFAULT_SIZE
        screen = self.screen()
        if screen is not None and size is None:
            avail = screen.availableGeometry()
            w, h = min(w, avail.width()), min(h, avail.height())
        self.resize(w, h)
        self._size_docks(w, h)
        QTimer.singleShot(0, lambda: self._size_docks(w, h))  # again once laid out

    def _size_docks(self, w: int, h: int) -> None:
        sizes = dock_sizes(w, h)
        self.resizeDocks([self.docks["datasetDock"], self.docks["pipelineDock"]],
                         [sizes.left, sizes.right], Qt.Orientation.Horizontal)
        self.resizeDocks([self.docks["resultsDock"]], [sizes.bottom], Qt.Orientation.Vertical)
        column = h - sizes.bottom
        self.resizeDocks([self.docks["datasetDock"], self.docks["selectionDock"]],
                         [int(column * sizes.dataset_share),
                          int(column * (1 - sizes.dataset_share))], Qt.Orientation.Vertical)
        self._hide_stale_tab_bars_later()

    def show_explore(self) -> None:
        """Raise the Explore dock and give the bottom docks half the height: its four plots
        are unreadable in the Results dock's default third (1280 x 800)."""
        self.raise_dock("exploreDock")
        height = self.height()
        if self.docks["exploreDock"].height() < int(height * 0.45):
            self.resizeDocks([self.docks["exploreDock"]], [int(height * 0.5)],
                             Qt.Orientation.Vertical)

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
    def open_dataset(self, path: str | Path, target: str | None = None) -> Handle:
        """Load a dataset in the background; the open one stays until the new one is ready."""
        return self.spectra.open_dataset(path, target)

    def open_pipeline(self, path: str | Path) -> Handle:
        return self.spectra.open_pipeline(path)

    def show_dataset(self, ds: Any, raw: Any, path: str | None) -> None:
        """Make ``ds`` the open dataset (loaded from a file, or from a project)."""
        self.spectra.show_dataset(ds, raw, path)

    def _ask_open_file(self) -> None:
        path, _ = QFileDialog.getOpenFileName(self, "Open dataset", self._start_dir(),
                                              DATA_FILTER)
        if path:
            self.open_dataset(path)

    def _ask_open_folder(self) -> None:
        path = QFileDialog.getExistingDirectory(self, "Open dataset folder", self._start_dir())
        if path:
            self.open_dataset(path)

    def open_import(self, source: str | list[str] | None = None,
                    sheet: str | None = None) -> ImportDialog:
        """The Import dialog (pre-filled with ``source`` when given): it previews, then hands
        a successful import to the dataset controller."""
        dialog = ImportDialog(self, on_loaded=self.spectra.accept_loaded,
                              start_dir=self._start_dir())
        dialog.setModal(True)
        self.import_dialog = dialog
        dialog.finished.connect(lambda _r: self._import_closed(dialog))
        if source:
            dialog.set_source(source, sheet)
        dialog.show()
        return dialog

    def _import_closed(self, dialog: ImportDialog) -> None:
        """A closed Import dialog is deleted; the window forgets it first, so nothing holds a
        wrapper whose Qt object is gone (an import that succeeds closes the dialog itself)."""
        if self.import_dialog is dialog:
            self.import_dialog = None
        dialog.deleteLater()

    def _ask_open_pipeline(self) -> None:
        path, _ = QFileDialog.getOpenFileName(self, "Open pipeline", self._start_dir(),
                                              "Pipeline (*.json);;All files (*)")
        if path:
            self.open_pipeline(path)

    def _start_dir(self) -> str:
        recent = self.settings.recent_files()
        return str(Path(recent[0]).parent) if recent else str(Path.home())

    def _rebuild_recent_menu(self) -> None:
        # a recent entry opens as a drop would: an imported spectrum folder goes back to the
        # Import dialog (it needs its reference sheet), anything else loads directly
        fill_recent_menu(self.recent_menu, self.settings.recent_files(),
                         lambda path: self.open_dropped([str(path)]), self._clear_recent)

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
        """A pipeline .json opens as the pipeline; one instrument file loads directly; a folder
        of spectrum files, or several instrument files, open the Import dialog pre-filled (they
        need a reference sheet); several files of one folder (X.csv and y.csv dragged together)
        open that folder; otherwise the first path is the dataset."""
        from engine.io import instrument_suffix

        pipelines = [p for p in paths if p.lower().endswith(".json")]
        data = [p for p in paths if not p.lower().endswith(".json")]
        if pipelines:
            self.open_pipeline(pipelines[0])
        if not data:
            return
        instrument = [p for p in data if instrument_suffix(p) is not None]
        if len(instrument) > 1:
            self.open_import(instrument)
            return
        if len(data) == 1 and self._is_spectrum_folder(data[0]):
            self.open_import(data[0])
            return
        parents = {str(Path(p).parent) for p in data}
        if len(data) > 1 and len(parents) == 1 and not instrument:
            self.open_dataset(parents.pop())
        else:
            self.open_dataset(instrument[0] if instrument else data[0])

    @staticmethod
    def _is_spectrum_folder(path: str) -> bool:
        """A folder the CSV layouts do not read but that holds instrument files."""
        from engine.errors import InputError
        from engine.io import detect_layout
        from engine.io.folder import spectrum_files

        if not Path(path).is_dir():
            return False
        try:
            detect_layout(path)
            return False
        except InputError:
            try:
                return bool(spectrum_files(path))
            except InputError:
                return False

    # -- what the dataset controller opened -------------------------------------------------
    def _on_dataset_file(self, path: str, by_user: bool) -> None:
        self.settings.add_recent(path)
        self._rebuild_recent_menu()
        if by_user:
            self.bench.mark_dirty("dataset")

    def _on_pipeline_file(self, expanded: Any, path: str, by_user: bool) -> None:
        if by_user:
            self.bench.mark_dirty("pipeline")
        self.settings.set_last_pipeline(path)
        self.bench.show_pipeline(expanded)

    def _on_busy(self, busy: bool, label: str) -> None:
        self.busy.setVisible(busy)
        self.busy_label.setVisible(busy)
        self.busy_label.setText(label)

    def _on_load_progress(self, done: int, total: int) -> None:
        """A long load: the busy bar shows how far it is (per mille: Qt's ints stop at 2**31,
        a byte count need not) and Cancel appears beside it."""
        self.busy.setRange(0, 1000)
        self.busy.setValue(int(1000 * done / total) if total else 0)
        self.busy.show()
        self.busy_label.show()
        self.load_cancel.show()

    def _on_load_ended(self) -> None:
        self.busy.setRange(0, 0)          # back to the moving bar of other background work
        self.load_cancel.hide()

    # -- state reactions --------------------------------------------------------------------
    def _toggle_preprocessed(self, on: bool) -> None:
        if on and self.state.pipeline is None:
            self._sync_actions()
            self.notifier.status("No pipeline is open: open one to preprocess", 5000)
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
            self.notifier.status(f"{n:,} spectr{'um' if n == 1 else 'a'} selected", 5000)

    def _on_hover(self, text: str) -> None:
        if text:
            self.notifier.status(text)
        else:
            self.notifier.clear_status()

    def _open_predict(self) -> None:
        self.bench.open_predict(self.bench.project_path())

    def _open_transfer(self) -> None:
        self.bench.open_transfer(self.bench.project_path(), self.state.dataset_path)

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
        except Exception as exc:  # noqa: BLE001 - a full disk, a read-only folder: tell, go on
            self.notifier.error("Cannot export the plot", exc, bug=False)
            return None
        self.notifier.status(f"Exported {out}", 8000)
        return out

    def shortcut_actions(self) -> dict[str, QAction]:
        """Every action with a keyboard shortcut the help lists, by its SHORTCUT_HELP name."""
        acts = dict(self.actions)
        acts.update({f"project_{k}": a for k, a in self.bench.project.actions.items()})
        acts.update({f"editor_{k}": a for k, a in self.bench.editor.actions().items()})
        acts["run"] = self.bench.run_toolbar.run_action
        acts["cancel"] = self.bench.run_toolbar.cancel_action
        return acts

    def shortcut_rows(self) -> list[tuple[str, str]]:
        """(keys, what they do) for Help > Keyboard shortcuts, the keys read from the actions
        (Cancel's Esc is the run toolbar's: it is bound only while a run is going)."""
        acts = self.shortcut_actions()
        native = QKeySequence.SequenceFormat.NativeText
        rows = []
        for text, names in SHORTCUT_HELP:
            if isinstance(names, str):      # a mouse gesture
                rows.append((names, text))
                continue
            keys = []
            for name in names:
                key = acts[name].shortcut()
                if name == "cancel" and key.isEmpty():
                    key = ESC
                if not key.isEmpty():
                    keys.append(key.toString(native))
            rows.append((" / ".join(keys), text))
        return rows

    def _show_shortcuts(self) -> None:
        rows = "".join(f"<tr><td><b>{html.escape(k)}</b>&nbsp;&nbsp;</td>"
                       f"<td>{html.escape(v)}</td></tr>" for k, v in self.shortcut_rows())
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
        except Exception:  # noqa: BLE001 - no installed metadata (a frozen app): no number
            ver = ""
        self.info_box = dialogs.show_about(self, ver)

    # -- settled / closing ------------------------------------------------------------------
    def _warm_up_when_settled(self) -> None:
        """Start the import warm-up once nothing loads, draws or computes: its imports hold
        the GIL in long stretches (SciPy's and scikit-learn's extension modules), which
        bench/scale.py saw as 80-200 ms pauses when they overlapped a first dataset's display;
        a busy window asks again WARMUP_RETRY_MS later."""
        if self._closed:
            return
        if self.is_settled():
            start_import_warmup()
        else:
            QTimer.singleShot(WARMUP_RETRY_MS, self._warm_up_when_settled)

    def is_settled(self) -> bool:
        """Nothing loading or computing, and the spectra on screen are up to date."""
        return (not self.spectra.is_busy() and self.view.is_drawn()
                and self.bench.is_settled() and self.exploration.is_settled())

    def _hide_stale_tab_bars(self) -> None:
        """Hide the dock tab bars Qt leaves shown when it rebuilds a tabbed group (the cause:
        app.shell.layout). Checked once the layout has settled after a show, a resize, a
        restored or reset layout and a dock moved, since each may rebuild or move a group."""
        for bar in stale_tab_bars(self):
            bar.hide()

    def _hide_stale_tab_bars_later(self) -> None:
        QTimer.singleShot(0, self._hide_stale_tab_bars)

    def resizeEvent(self, event) -> None:
        super().resizeEvent(event)
        self._hide_stale_tab_bars_later()

    def showEvent(self, event) -> None:
        super().showEvent(event)
        self._hide_stale_tab_bars_later()
        if not self._closed:
            self.bench.start()   # the Resources gauges poll while the window is up
            # what the first open, save and run import, off this thread; once start-up is over
            # (started at the first show, it slowed the first paint and the demo's load)
            QTimer.singleShot(WARMUP_DELAY_MS, self._warm_up_when_settled)

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
        self.spectra.shutdown()
        self.bench.shutdown()
        self.exploration.shutdown()
        self.view.shutdown()
        self.notifier.close()
        self.state.events.disconnect_all()  # fewer reference cycles left for the collector
        gc_guard.release()
