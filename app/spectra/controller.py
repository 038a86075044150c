"""The dataset side of the window: open datasets and pipeline files off the GUI thread, compute
the chosen branch's preprocessing in the background (with a small cache), and write the
results into the WorkbenchState that the spectra view, dataset panel and selection table draw.

Why its own object: the main window is the chrome (docks, menus, dialogs); what is open and
what is shown is this controller's job, so it can be driven and tested without the window,
and the window only connects its signals to its menus and status (napari's split: the model
and its controller never know the window).

    open_dataset(path)     -> tasks.load on the background thread -> state.set_dataset
    open_pipeline(path)    -> tasks.read_pipeline                  -> state.set_pipeline
    state "display" / "dataset" / "target"
                           -> raw: shown = raw spectra; preprocessed: cached, or
                              tasks.preprocess in the background -> state.set_shown

A newer request of the same kind supersedes an older one (app.common.workers.Jobs), so
opening B while A still loads ends with B shown. Failures go to the notifier as one line
(file, row, column) and what is open stays open.

A load that is still running after SHOW_PROGRESS_AFTER_MS reports how far it is
(``load_progress``, polled from the reader's plain counters like the Import dialog's, so the
reading thread never waits for the GUI) until it ends (``load_ended``); ``cancel_load`` stops
it at the reader's next block, the open dataset stays and the status bar says "Loading
cancelled". A quick load shows no bar: one that flashes for 0.3 s only distracts.
"""
from __future__ import annotations

import time
from pathlib import Path
from typing import Any

from PySide6.QtCore import QObject, QTimer, Signal

from app.common import dialogs
from app.common.notify import Notifier
from app.common.workers import Handle, Jobs
from app.model import tasks
from app.model.state import PREPROCESSED, RAW, WorkbenchState

KEPT_DATASET = "The dataset already open stays open."
KEPT_PIPELINE = "The pipeline already open stays open."
CACHE_SIZE = 4  # preprocessed versions of the open dataset kept for instant switching
LOAD_CANCELLED = "Loading cancelled"


class DatasetController(QObject):
    """Loads, parses and preprocesses for one WorkbenchState (see the module docstring).

    Signals (GUI thread):
        dataset_loaded(SpectralDataset)     the dataset now open (from a file or a project)
        dataset_file_opened(path, by_user)  a dataset file was loaded (for recent files)
        load_failed(line)                   a dataset could not be opened (one line)
        pipeline_opened(ExpandedPipeline, path, by_user)   a pipeline file was parsed
        pipeline_loaded(ExpandedPipeline)   the state's pipeline changed (file or editor)
        preprocessing_failed(line)          the branch does not suit the data: raw shown
        busy_changed(busy, label)           for the busy indicator
        load_progress(done, total)          a long load's progress (ints; bytes may pass 2**31)
        load_ended()                        that load finished, failed or was cancelled
    ``by_user`` is False for what the window opened by itself at start-up (not an unsaved
    change of the project).
    """

    dataset_loaded = Signal(object)
    dataset_file_opened = Signal(str, bool)
    load_failed = Signal(str)
    pipeline_opened = Signal(object, str, bool)
    pipeline_loaded = Signal(object)
    preprocessing_failed = Signal(str)
    busy_changed = Signal(bool, str)
    load_progress = Signal(object, object)
    load_ended = Signal()

    #: a load shows its progress (and Cancel) once it has run this long
    SHOW_PROGRESS_AFTER_MS = 1000
    POLL_MS = 100

    def __init__(self, state: WorkbenchState, notifier: Notifier,
                 parent: QObject | None = None) -> None:
        super().__init__(parent)
        self.state = state
        self.notifier = notifier
        self.jobs = Jobs(self)
        self.jobs.busy_changed.connect(self.busy_changed)
        self._cache: dict[tuple, Any] = {}
        self._closed = False
        self._load: Handle | None = None          # the load being followed
        self._load_progress = tasks.ImportProgress()
        self._load_started = 0.0
        self._load_shown = False                   # its progress is on show
        self._load_cancelled_by_user = False
        self._poll = QTimer(self)
        self._poll.setInterval(self.POLL_MS)
        self._poll.timeout.connect(self._poll_load)
        state.events.connect("dataset", self._on_dataset)
        state.events.connect("target", self._on_target)
        state.events.connect("exclusions", self._on_target)  # the fit leaves them out
        state.events.connect("display", self._on_display)

    # -- opening ----------------------------------------------------------------------------
    def open_dataset(self, path: str | Path, target: str | None = None, *,
                     by_user: bool = True) -> Handle:
        """Load a dataset in the background; the open one stays until the new one is ready."""
        name = Path(path).name or str(path)
        self.notifier.status(f"Loading {name}\u2026")
        progress = tasks.ImportProgress()
        handle = self.jobs.submit("load", tasks.load, str(path), target, progress=progress,
                                  label=f"Loading {name}\u2026")
        self._follow_load(handle, progress)
        handle.finished.connect(lambda loaded: self._dataset_ready(loaded, by_user))
        handle.failed.connect(self._load_failed)
        handle.cancelled.connect(lambda: self._load_cancelled(handle))
        return handle

    def cancel_load(self) -> bool:
        """Stop the dataset load in progress (the open dataset stays); False when none runs."""
        handle = self._load
        if handle is None or handle.done():
            return False
        self._load_cancelled_by_user = True
        handle.cancel()
        return True

    def load_running(self) -> bool:
        return self._load is not None and not self._load.done()

    def open_pipeline(self, path: str | Path, *, by_user: bool = True) -> Handle:
        """Parse a pipeline file in the background; its branches become the choices to show."""
        handle = self.jobs.submit("pipeline", tasks.read_pipeline, str(path),
                                  label="Reading the pipeline\u2026")
        handle.finished.connect(lambda expanded: self._pipeline_ready(expanded, str(path),
                                                                      by_user))
        handle.failed.connect(self._pipeline_failed)
        return handle

    def show_dataset(self, dataset: Any, raw: Any, path: str | None) -> None:
        """Make ``dataset`` the open one (loaded from a file, or from a project)."""
        self._cache.clear()
        self.state.set_dataset(dataset, raw, path)
        self.notifier.status(f"Opened {dataset.name}: {dataset.n_samples:,} spectra \u00d7 "
                             f"{dataset.n_wavelengths:,} points", 8000)
        self.dataset_loaded.emit(dataset)

    def set_pipeline(self, expanded: Any, path: str | None = None) -> None:
        """A pipeline from the editor or a project: its branches become the choices under
        Show (None keeps the last runnable one on show; the editor says why)."""
        if expanded is None:
            return
        self.state.set_pipeline(expanded, path)
        self.pipeline_loaded.emit(expanded)

    def pipeline_edited(self, expanded: Any) -> None:
        """The editor's pipeline changed (keeps the file path it came from)."""
        self.set_pipeline(expanded, self.state.pipeline_path)

    def accept_loaded(self, loaded: tasks.LoadedDataset, by_user: bool = True) -> None:
        """A dataset loaded elsewhere (the Import dialog) becomes the open one."""
        self._dataset_ready(loaded, by_user)

    # -- following a load -------------------------------------------------------------------
    def _follow_load(self, handle: Handle, progress: tasks.ImportProgress) -> None:
        """Poll ``progress`` while ``handle`` runs (a newer load replaces an older one)."""
        if self._load_shown:
            self._load_shown = False
            self.load_ended.emit()
        self._load, self._load_progress = handle, progress
        self._load_started = time.monotonic()
        self._load_cancelled_by_user = False
        for signal in (handle.finished, handle.failed, handle.cancelled):
            signal.connect(lambda *_args: self._end_load(handle))
        self._poll.start()

    def _poll_load(self) -> None:
        handle, p = self._load, self._load_progress
        if handle is None or handle.done():
            self._poll.stop()
            return
        waited_ms = (time.monotonic() - self._load_started) * 1000
        if waited_ms >= self.SHOW_PROGRESS_AFTER_MS and p.total > 0:
            self._load_shown = True
            self.load_progress.emit(p.done, p.total)

    def _end_load(self, handle: Handle) -> None:
        if handle is not self._load:
            return            # an older load, superseded: the newer one is followed
        self._poll.stop()
        self._load = None
        if self._load_shown:
            self._load_shown = False
            self.load_ended.emit()

    def _load_cancelled(self, handle: Handle) -> None:
        """Say so only when the user cancelled (a load superseded by a newer one is not news)."""
        if self._closed or not self._load_cancelled_by_user:
            return
        if handle is self._load or self._load is None:
            self._load_cancelled_by_user = False
            self.notifier.status(LOAD_CANCELLED, 8000)

    # -- background results -----------------------------------------------------------------
    def _dataset_ready(self, loaded: tasks.LoadedDataset, by_user: bool) -> None:
        if self._closed:
            return
        self.dataset_file_opened.emit(loaded.path, by_user)
        self.show_dataset(loaded.dataset, loaded.raw, loaded.path)

    def _load_failed(self, exc: BaseException, tb: str) -> None:
        if self._closed:
            return
        self.notifier.error("Cannot open the dataset", exc,
                            KEPT_DATASET if self.state.dataset else None, details=tb)
        self.load_failed.emit(dialogs.error_text(exc))

    def _pipeline_ready(self, expanded: Any, path: str, by_user: bool) -> None:
        if self._closed:
            return
        self.state.set_pipeline(expanded, path)
        self.notifier.status(f"Pipeline {expanded.name}: {len(expanded.branches)} branches",
                             5000)
        self.pipeline_opened.emit(expanded, path, by_user)
        self.pipeline_loaded.emit(expanded)

    def _pipeline_failed(self, exc: BaseException, tb: str) -> None:
        if self._closed:
            return
        self.notifier.error("Cannot read the pipeline", exc,
                            KEPT_PIPELINE if self.state.pipeline else None, details=tb)

    # -- raw vs preprocessed ----------------------------------------------------------------
    def _on_dataset(self) -> None:
        self._cache.clear()
        if self.state.display == PREPROCESSED:
            self._on_display()

    def _on_target(self) -> None:
        if self.state.display == PREPROCESSED:
            self._on_display()  # a supervised step would fit differently

    def _display_key(self) -> tuple | None:
        st = self.state
        if st.dataset is None or st.branch_id is None:
            return None
        excluded = st.dataset.excluded_rows.tobytes()  # a fit without the excluded rows
        return (id(st.dataset), st.branch_id, st.dataset.target, excluded)

    def _on_display(self) -> None:
        """Raw: show the raw spectra. Preprocessed: compute the branch's preprocessing in the
        background (or take it from the cache) and show it when it is ready."""
        st = self.state
        if self._closed:
            return
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
            self.notifier.status(f"The pipeline has no branch {st.branch_id}", 8000)
            st.set_display(RAW)
            return
        ds = st.dataset
        label = st.branch_label()
        title = f"branch {label} (fitted on {ds.n_train:,} training spectra)"
        handle = self.jobs.submit(
            "preprocess", tasks.preprocess, ds.X, st.y, ds.test_mask | ds.excluded, ds.wavelengths,
            not ds.metadata.get("wavelengths_unknown"), branch, title,
            units=tasks.axis_units(ds), label=f"Preprocessing: branch {label}\u2026")
        handle.finished.connect(lambda shown: self._preprocessed(key, shown))
        handle.failed.connect(lambda exc, tb: self._preprocessing_failed(label, exc, tb))

    def _preprocessed(self, key: tuple, shown: Any) -> None:
        if self._closed:
            return
        self._cache[key] = shown
        while len(self._cache) > CACHE_SIZE:  # each entry is one copy of the spectra
            self._cache.pop(next(iter(self._cache)))
        if key == self._display_key():
            self.state.set_shown(shown)

    def _preprocessing_failed(self, label: str, exc: BaseException, tb: str) -> None:
        if self._closed:
            return
        self.notifier.error(f"Branch {label}: preprocessing failed on this dataset", exc,
                            "Showing the raw spectra.", details=tb, bug=False)
        self.state.set_display(RAW)
        self.preprocessing_failed.emit(dialogs.error_text(exc))

    # -- settled / closing ------------------------------------------------------------------
    def is_busy(self) -> bool:
        """Something is loading, parsing or preprocessing."""
        return self.jobs.is_busy()

    def shutdown(self) -> None:
        """Stop the background thread (safe to call twice)."""
        if self._closed:
            return
        self._closed = True
        self._poll.stop()
        self.jobs.shutdown()
