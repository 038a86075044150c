"""What the Interval PLS window computes, as plain functions (no Qt) for app.common.workers.

Why plain functions: they run on the window's background thread, and a test calls them
directly; the view only draws what they return. Which branch the search works on, what it
sends to the engine, and where the chosen SelectRanges step goes are read from the engine's
parse of the edited pipeline (a ConcreteBranch's step specs and their addresses), never
from the pipeline's JSON by hand.
"""
from __future__ import annotations

import threading
from dataclasses import dataclass, field
from typing import Any

import numpy as np

__all__ = ["IplsTarget", "Outcome", "Progress", "Settings", "run_search", "target_of"]


@dataclass(frozen=True)
class Settings:
    """The search as the user set it."""

    n_intervals: int = 20
    mode: str = "forward"
    k_max: int = 15
    workers: int = 2


@dataclass(frozen=True)
class IplsTarget:
    """The branch the search works on: its steps before the model (JSON, the splitter
    included when the pipeline has one), where the chosen step is inserted (the model's
    container address and index), and a one-line description for the window."""

    steps: list[Any]
    container: tuple[int, ...]
    index: int
    text: str


class Progress:
    """The search's progress, written by the job and read by the view's timer (a lock:
    two threads)."""

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._value: tuple[str, int, int] = ("starting", 0, 0)

    def __call__(self, what: str, done: int, total: int) -> None:
        with self._lock:
            self._value = (what, done, total)

    def read(self) -> tuple[str, int, int]:
        with self._lock:
            return self._value


@dataclass
class Outcome:
    """A finished search, with the mean training spectrum on the same axis (for the plot)."""

    result: Any                      # engine.selection.ipls.IplsResult
    mean: np.ndarray
    target: IplsTarget
    settings: Settings
    notes: list[str] = field(default_factory=list)


def target_of(expanded: Any) -> IplsTarget:
    """The first enabled branch of ``expanded`` (an engine ExpandedPipeline), or, without a
    pipeline, raw spectra and a step at the top. ValueError (one line) for a pipeline whose
    model sits where no step can be inserted before it."""
    branches = [] if expanded is None else [b for b in expanded.branches if b.enabled]
    if not branches:
        return IplsTarget([], (), 0, "raw spectra (no pipeline yet): the step is added at the "
                                      "start of the pipeline")
    branch = branches[0]
    steps: list[Any] = []
    if not branch.splitter_is_default and branch.splitter.path is not None:
        steps.append(branch.splitter.to_json())
    steps += [s.to_json() for s in branch.preprocessing if s.enabled]
    path = branch.model.path
    if path is None:
        raise ValueError("the pipeline's model has no place in the editor to insert before")
    names = " > ".join(s.class_name for s in branch.preprocessing if s.enabled) or "raw spectra"
    more = f" (1 of {len(branches)} branches)" if len(branches) > 1 else ""
    return IplsTarget(steps, tuple(path[:-1]), int(path[-1]),
                      f"branch {branch.id}{more}: {names}, then the chosen windows before "
                      f"{branch.model.class_name}")


def run_search(dataset: Any, target: IplsTarget, settings: Settings, *,
               pool: Any = None, progress: Progress | None = None,
               cancel: threading.Event | None = None) -> Outcome:
    """Run the interval search (engine.selection.ipls) and the mean preprocessed training
    spectrum on the axis it searched."""
    from engine.pipeline import preprocess_branch
    from engine.selection.ipls import interval_pls

    result = interval_pls(dataset, steps=target.steps, n_intervals=settings.n_intervals,
                          mode=settings.mode, k_max=settings.k_max,
                          workers=settings.workers, pool=pool, cancel=cancel,
                          progress=progress)
    train = dataset.train_indices
    model = {"class": "PLSRegression", "params": {"n_components": 1}}
    Z, axis = preprocess_branch([*target.steps, model], dataset.X, dataset.wavelengths,
                                train_indices=train, y=dataset.y, cancel=cancel)
    mean = Z[train].mean(axis=0)
    notes = []
    if axis.shape != result.wavelengths.shape or not np.allclose(axis, result.wavelengths):
        mean = np.full(result.wavelengths.shape, np.nan)
        notes.append("the mean spectrum could not be drawn on the searched axis")
    return Outcome(result, mean, target, settings, notes)
