"""The Explore view's numbers, as plain numpy (no Qt): what to compute, the call into the
engine on the background thread, and the geometry of picking points.

Why a request object: the PCA runs on a worker thread while the user keeps excluding,
selecting and editing. The request holds a *snapshot* of the dataset (the same arrays, its own
copy of the excluded mask) so the engine sees one consistent set of rows whatever the GUI
thread does meanwhile, and a ``key`` saying what the numbers depend on, so an event that
changes nothing (a pipeline edit of another branch, a colour switch) costs no recomputation.
Every number comes from engine.diagnostics.explore_pca; this module only carries it.
"""
from __future__ import annotations

import threading
import time
from dataclasses import dataclass, field
from typing import Any

import numpy as np

from app.model.state import snapshot_dataset

LEVELS = (0.95, 0.99)   # the limits drawn (engine.diagnostics.limits.LEVELS)
MAX_COMPONENTS = 20     # the component chooser's ceiling (and the scree's length)


def branch_key(branch: Any) -> tuple:
    """What a branch's preprocessing depends on (its enabled steps and their parameters):
    the pipeline is re-parsed on every edit, but the PCA of an untouched branch stays."""
    if branch is None:
        return ()
    return tuple((s.class_name, repr(sorted(s.params.items())), bool(s.enabled))
                 for s in branch.preprocessing)


@dataclass(frozen=True)
class ExploreRequest:
    """One PCA to compute: the dataset snapshot, the branch (None = raw spectra), the
    number of components (None = the engine's automatic choice) and a label for the plots."""

    dataset: Any
    branch: Any
    n_components: int | None
    source: str
    key: tuple = field(compare=False)

    @classmethod
    def build(cls, dataset: Any, branch: Any, n_components: int | None, source: str
              ) -> ExploreRequest:
        snap = snapshot_dataset(dataset)
        key = (id(dataset), snap.excluded.tobytes(), dataset.target, branch_key(branch),
               n_components)
        return cls(snap, branch, n_components, source, key)


@dataclass
class ExploreResult:
    """What the plots draw: every array is over ALL dataset rows (excluded ones projected onto
    the model of the others), the limits at LEVELS, and how long the engine took."""

    request: ExploreRequest
    scores: np.ndarray                  # (n, a)
    loadings: np.ndarray                # (p, a)
    explained: np.ndarray               # (k,) explained variance ratio, k >= a
    t2: np.ndarray                      # (n,)
    q: np.ndarray                       # (n,)
    axis: np.ndarray                    # (p,) x of the (preprocessed) spectra
    fit_rows: np.ndarray                # rows the PCA was fitted on
    t2_limits: dict[float, float]
    q_limits: dict[float, float]
    seconds: float

    @property
    def n_components(self) -> int:
        return int(self.scores.shape[1])

    @property
    def n_samples(self) -> int:
        return int(self.scores.shape[0])


class PcaProgress:
    """How far a PCA is (rows gone through / all passes' rows), written by the worker thread
    and polled by the controller's timer: plain ints, so the PCA never waits for the GUI."""

    def __init__(self) -> None:
        self.done = 0
        self.total = 0

    def __call__(self, done: int, total: int) -> None:
        self.done, self.total = done, total

    def percent(self) -> int | None:
        return None if self.total <= 0 else int(100 * self.done / self.total)


def compute(request: ExploreRequest, cancel: threading.Event | None = None,
            progress: PcaProgress | None = None) -> ExploreResult:
    """Run engine.diagnostics.explore_pca for ``request`` (on the Explore view's thread)."""
    from engine.diagnostics.pca import explore_pca

    start = time.perf_counter()
    result, axis = explore_pca(request.dataset, request.branch, request.n_components,
                               cancel=cancel, progress=progress)
    model = result.model
    n = np.asarray(request.dataset.X).shape[0]
    fit_rows = result.fit_rows if result.fit_rows is not None else np.arange(n)
    return ExploreResult(
        request=request, scores=np.asarray(result.scores), loadings=np.asarray(result.loadings),
        explained=np.asarray(result.explained_variance_ratio),
        t2=np.asarray(result.t2), q=np.asarray(result.q), axis=np.asarray(axis, dtype=float),
        fit_rows=np.asarray(fit_rows, dtype=np.intp),
        t2_limits={lv: float(model.t2_limit(lv)) for lv in LEVELS},
        q_limits={lv: float(model.q_limit(lv)) for lv in LEVELS},
        seconds=time.perf_counter() - start)


def component_ceiling(n_fit: int, n_columns: int) -> int:
    """The most components the chooser offers: min(20, n - 1, p) of the rows fitted."""
    return max(1, min(MAX_COMPONENTS, n_fit - 1, n_columns))


# -- picking points ----------------------------------------------------------------------------
def nearest_point(x: np.ndarray, y: np.ndarray, px: float, py: float, sx: float, sy: float,
                  tolerance: float) -> int | None:
    """Index of the point nearest (px, py) in *pixels* (``sx``, ``sy``: data units per pixel
    on each axis, so a tall narrow plot picks what the eye sees), if within ``tolerance``
    pixels; NaN points are never picked."""
    if x.size == 0 or sx <= 0 or sy <= 0:
        return None
    d2 = ((x - px) / sx) ** 2 + ((y - py) / sy) ** 2
    d2 = np.where(np.isfinite(d2), d2, np.inf)
    k = int(np.argmin(d2))
    return k if d2[k] <= tolerance**2 else None


def points_in_box(x: np.ndarray, y: np.ndarray, x0: float, x1: float, y0: float, y1: float
                  ) -> np.ndarray:
    """Indices of the points inside the box (edges included, corners in any order)."""
    x0, x1 = sorted((x0, x1))
    y0, y1 = sorted((y0, y1))
    return np.flatnonzero((x >= x0) & (x <= x1) & (y >= y0) & (y <= y1))


def toggle(selection: np.ndarray, row: int) -> np.ndarray:
    """Ctrl+click: ``row`` leaves the selection if in it, joins it otherwise."""
    return selection[selection != row] if row in selection else np.append(selection, row)
