"""The workbench state: what is open and how it is shown (the model; no Qt here).

Why a separate model: widgets observe this object instead of talking to each other (the
napari split of docs/design.md). The main window is the controller: it starts the slow work
(loading, preprocessing) and writes the results here; the dataset panel, the spectra view and
the selection table redraw from the events they subscribed to.

Events (callbacks receive no arguments; read the new value from the state):

    dataset     a new dataset was opened (also resets selection and the shown spectra)
    target      the modelled target column changed
    task        a target's task (regression / classification) was chosen by the user
    pipeline    a pipeline was parsed (its branches feed the raw/preprocessed chooser)
    display     raw vs preprocessed or the chosen branch changed (the controller computes)
    shown       the spectra on screen changed (raw, or preprocessed data arrived)
    colour_mode "target" or "partition"
    band        the mean +- std band was switched on/off
    selection   the selected rows changed
    exclusions  the rows left out of runs changed (dataset.excluded; a new dataset brings its
                own, so "dataset" is followed by "exclusions" too)
"""
from __future__ import annotations

import copy
from typing import TYPE_CHECKING, Any

import numpy as np

from app.model.events import Events

if TYPE_CHECKING:  # pragma: no cover - typing only; engine modules load lazily
    from app.model.spectra_data import SpectraData
    from engine.dataset import SpectralDataset
    from engine.pipeline import ExpandedPipeline

COLOUR_MODES = ("target", "partition")
RAW, PREPROCESSED = "raw", "preprocessed"
#: The events a WorkbenchState emits (module docstring).
EVENTS = ("dataset", "target", "task", "pipeline", "display", "shown", "colour_mode", "band",
          "selection", "exclusions")


def snapshot_dataset(dataset: Any) -> Any:
    """A shallow copy of ``dataset`` sharing its spectra but owning its excluded mask and task
    choices: what a run or a background computation may read while the window goes on
    editing the original (the exclusions in force when Run was pressed are the run's)."""
    snap = copy.copy(dataset)
    snap.excluded = np.array(dataset.excluded, dtype=bool, copy=True)
    snap.tasks = dict(dataset.tasks)
    return snap


class WorkbenchState:
    def __init__(self) -> None:
        self.events = Events(EVENTS)
        self.dataset: SpectralDataset | None = None
        self.dataset_path: str | None = None
        self.raw: SpectraData | None = None          # the dataset's own spectra + statistics
        self.shown: SpectraData | None = None        # what the spectra view draws
        self.pipeline: ExpandedPipeline | None = None
        self.pipeline_path: str | None = None
        self.display: str = RAW
        self.branch_id: int | None = None
        self.colour_mode: str = "target"
        self.band: bool = False
        self.selection: np.ndarray = np.zeros(0, dtype=np.intp)

    # -- dataset ---------------------------------------------------------------------------
    def set_dataset(self, dataset: SpectralDataset, raw: SpectraData, path: str | None) -> None:
        self.dataset, self.raw, self.dataset_path = dataset, raw, path
        self.selection = np.zeros(0, dtype=np.intp)
        self.shown = raw  # preprocessed spectra of the new dataset follow when computed
        self.events.emit("dataset")
        self.events.emit("shown")
        self.events.emit("selection")
        self.events.emit("exclusions")

    def set_target(self, name: str) -> None:
        if self.dataset is None or name == self.dataset.target:
            return
        self.dataset.select_target(name)
        self.events.emit("target")

    def set_task(self, name: str, task: str) -> None:
        """The user's task for target ``name``: the engine checks it (text cannot be regressed,
        fractional numbers are not class codes; InputError otherwise) and keeps it in the
        dataset, so runs, the editor's palette and a saved project all follow it."""
        if self.dataset is None:
            return
        if name in self.dataset.tasks and self.dataset.task(name) == task:
            return
        self.dataset.set_task(name, task)
        self.events.emit("task")

    @property
    def y(self) -> np.ndarray | None:
        """The selected target's values, or None when the dataset has no target."""
        if self.dataset is None or self.dataset.target is None:
            return None
        return self.dataset.y

    # -- pipeline and what is shown ----------------------------------------------------------
    def set_pipeline(self, pipeline: ExpandedPipeline, path: str | None) -> None:
        self.pipeline, self.pipeline_path = pipeline, path
        ids = [b.id for b in pipeline.branches]
        if self.branch_id not in ids:
            self.branch_id = ids[0] if ids else None
        self.events.emit("pipeline")
        if self.display == PREPROCESSED:
            self.events.emit("display")

    def set_display(self, display: str, branch_id: int | None = None) -> None:
        if display not in (RAW, PREPROCESSED):
            raise ValueError(f"unknown display {display!r}")
        if branch_id is not None:
            self.branch_id = branch_id
        self.display = display
        self.events.emit("display")
        if display == RAW and self.raw is not None and self.shown is not self.raw:
            self.set_shown(self.raw)

    def set_shown(self, data: SpectraData) -> None:
        if data.n_samples != self._n():
            raise ValueError(f"{data.n_samples} spectra to show but the dataset has {self._n()}")
        self.shown = data
        self.events.emit("shown")

    def _n(self) -> int:
        return 0 if self.dataset is None else self.dataset.n_samples

    def branch_label(self, branch_id: int | None = None) -> str:
        """"2: MSC" - the branch number and its preprocessing (what the chooser shows)."""
        bid = self.branch_id if branch_id is None else branch_id
        if self.pipeline is None or bid is None:
            return "no pipeline"
        for b in self.pipeline.branches:
            if b.id == bid:
                steps = [s.label() for s in b.preprocessing if s.enabled]
                return f"{b.id}: " + (" > ".join(steps) if steps else "no preprocessing")
        return f"{bid}: ?"

    # -- view options --------------------------------------------------------------------------
    def set_colour_mode(self, mode: str) -> None:
        if mode not in COLOUR_MODES:
            raise ValueError(f"unknown colour mode {mode!r}")
        if mode != self.colour_mode:
            self.colour_mode = mode
            self.events.emit("colour_mode")

    def set_band(self, on: bool) -> None:
        if bool(on) != self.band:
            self.band = bool(on)
            self.events.emit("band")

    def set_selection(self, rows: Any) -> None:
        rows = np.unique(np.asarray(rows, dtype=np.intp).ravel())
        if rows.size and (rows[0] < 0 or rows[-1] >= self._n()):
            raise IndexError("selected row out of range")
        if not np.array_equal(rows, self.selection):
            self.selection = rows
            self.events.emit("selection")

    # -- exclusions ------------------------------------------------------------------------------
    @property
    def excluded(self) -> np.ndarray:
        """The excluded rows, ascending (the dataset keeps them: engine.dataset.excluded)."""
        if self.dataset is None:
            return np.zeros(0, dtype=np.intp)
        return np.flatnonzero(self.dataset.excluded)

    def set_excluded(self, rows: Any) -> None:
        """Exclude exactly ``rows`` (every other row included). The mask lives in the dataset
        (engine.dataset.SpectralDataset.excluded), so runs leave these rows out and a saved
        project keeps them; this is the one setter the window uses (the undoable commands of
        app.shell call it), so every view hears it."""
        if self.dataset is None:
            return
        rows = np.unique(np.asarray(rows, dtype=np.intp).ravel())
        if rows.size and (rows[0] < 0 or rows[-1] >= self._n()):
            raise IndexError("excluded row out of range")
        if np.array_equal(rows, self.excluded):
            return
        # a new mask object, never an in-place edit: a background job (autosave, a run's
        # snapshot being taken) reading the old one sees it whole, before or after
        mask = np.zeros(self._n(), dtype=bool)
        mask[rows] = True
        self.dataset.excluded = mask
        self.events.emit("exclusions")
