"""When the Explore view's PCA is recomputed, and where: off the GUI thread, debounced.

Why its own object: the rules (what invalidates the numbers, when to wait, what supersedes
what) are the part worth testing without plots. The PCA depends on the dataset, its excluded
rows, the branch whose preprocessing is shown (the window's raw / branch choice), the target
(for a supervised step) and the number of components; any of them changing starts a timer,
and when the edits pause one job goes to the view's own background thread (an
app.common.workers.Jobs, so a PCA never waits behind a dataset load). A newer request
supersedes an older one, and a request whose key equals the result on screen is not sent.

While the view is hidden (its dock behind Results) nothing is computed: the 2-core machine
has better things to do; the first show computes what is missing.

A long PCA (100,000 spectra take seconds) says how far it is: ``progress(percent)`` every
200 ms from the worker's plain counters (compute.PcaProgress), none for one that ends sooner.
"""
from __future__ import annotations

from typing import Any

from PySide6.QtCore import QObject, QTimer, Signal

from app.common import dialogs
from app.common.workers import Jobs
from app.explore.compute import ExploreRequest, ExploreResult, PcaProgress, compute
from app.model.state import PREPROCESSED, WorkbenchState

DEBOUNCE_MS = 200
PROGRESS_MS = 200   # how often a running PCA's progress is read
TRIGGERS = ("dataset", "exclusions", "display", "pipeline", "target", "task")


class ExploreController(QObject):
    """Signals (GUI thread): result_ready(ExploreResult), failed(one line), busy(bool),
    progress(percent of the running PCA)."""

    result_ready = Signal(object)
    failed = Signal(str)
    busy = Signal(bool)
    progress = Signal(int)

    def __init__(self, state: WorkbenchState, parent: QObject | None = None) -> None:
        super().__init__(parent)
        self.state = state
        self.jobs = Jobs(self, name="nirdesk-explore")
        self.n_components: int | None = None
        self.result: ExploreResult | None = None
        self.error: str = ""
        self.active = False
        self._pending_key: tuple | None = None
        self._closed = False
        self.timer = QTimer(self)
        self.timer.setSingleShot(True)
        self.timer.setInterval(DEBOUNCE_MS)
        self.timer.timeout.connect(self.start)
        self._progress = PcaProgress()
        self.progress_timer = QTimer(self)
        self.progress_timer.setInterval(PROGRESS_MS)
        self.progress_timer.timeout.connect(self._poll_progress)
        for event in TRIGGERS:
            state.events.connect(event, self.schedule)
        state.events.connect("dataset", self._drop_result)

    # -- inputs ------------------------------------------------------------------------------
    def set_active(self, on: bool) -> None:
        """The view is on screen (compute) or hidden (wait)."""
        self.active = bool(on)
        if self.active:
            self.schedule()

    def set_components(self, n: int | None) -> None:
        """None: the engine's automatic choice."""
        if n != self.n_components:
            self.n_components = n
            self.schedule()

    def schedule(self) -> None:
        if self.active and not self._closed:
            self.timer.start()

    def _drop_result(self) -> None:
        """A new dataset: the rows of the old result mean nothing any more."""
        self.result = None

    # -- the job -----------------------------------------------------------------------------
    def branch(self) -> Any:
        """The branch whose preprocessing is explored (None = the raw spectra)."""
        st = self.state
        if st.display != PREPROCESSED or st.pipeline is None:
            return None
        return next((b for b in st.pipeline.branches if b.id == st.branch_id), None)

    def request(self) -> ExploreRequest | None:
        st = self.state
        if st.dataset is None:
            return None
        branch = self.branch()
        source = "raw spectra" if branch is None else f"branch {st.branch_label()}"
        return ExploreRequest.build(st.dataset, branch, self.n_components, source)

    def start(self) -> bool:
        """Send the current request unless its numbers are on screen or on their way."""
        self.timer.stop()
        if self._closed:
            return False
        request = self.request()
        if request is None:
            return False
        done = self.result is not None and self.result.request.key == request.key
        if done or request.key == self._pending_key:
            return False
        self._pending_key = request.key
        self.busy.emit(True)
        self._progress = PcaProgress()
        handle = self.jobs.submit("pca", compute, request, progress=self._progress,
                                  label="Computing the PCA\u2026")
        self.progress_timer.start()
        handle.finished.connect(self._finished)
        handle.failed.connect(lambda exc, _tb: self._failed(request, exc))
        handle.cancelled.connect(lambda: self._ended(request))
        return True

    def is_settled(self) -> bool:
        """Nothing scheduled or computing (tests and screenshots wait for it)."""
        return not self.timer.isActive() and not self.jobs.is_busy()

    def _poll_progress(self) -> None:
        if not self.jobs.is_busy("pca"):
            self.progress_timer.stop()
            return
        percent = self._progress.percent()
        if percent is not None:
            self.progress.emit(percent)

    def _ended(self, request: ExploreRequest) -> None:
        if self._pending_key == request.key:
            self._pending_key = None
            self.progress_timer.stop()
        self.busy.emit(self.jobs.is_busy())

    def _finished(self, result: ExploreResult) -> None:
        self._ended(result.request)
        if self._closed or self.state.dataset is None \
                or result.request.key[0] != id(self.state.dataset):
            return
        self.result, self.error = result, ""
        self.result_ready.emit(result)

    def _failed(self, request: ExploreRequest, exc: BaseException) -> None:
        self._ended(request)
        if self._closed:
            return
        self.result = None
        self.error = f"PCA of the {request.source}: {dialogs.error_text(exc)}"
        self.failed.emit(self.error)

    def shutdown(self) -> None:
        if not self._closed:
            self._closed = True
            self.timer.stop()
            self.progress_timer.stop()
            self.jobs.shutdown()
