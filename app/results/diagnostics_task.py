"""The numbers behind the results' Diagnostics tab, computed off the GUI thread (no Qt).

Runs on the results panel's background thread (app.common.workers.Jobs), like the Spectra
tab's preprocessing. Every number comes from the engine (engine.diagnostics): the window
plots them and re-derives nothing.

Which fitted model is interpreted:
- a branch fresh from a run carries its refitted pipeline (``result.model``);
- a run shown from a saved project has none in memory: ``load_model(branch_id)`` (given by
  the shell: the project's ``Project.load_model`` of that run) reads it, off the GUI thread;
- with neither, the branch's saved steps are built and fitted on the calibration rows with
  the tuned parameters - what the run's refit did (the Spectra tab does the same), and the
  tab says so.

A PLS branch (PLSRegression or PLS-DA final estimator) gets engine.diagnostics.interpret_pls;
any other gets the T² vs Q of its latent model (``result.diagnostics`` when the run kept it,
else engine.diagnostics.latent_for_model: a PCA of the preprocessed calibration spectra).
"""
from __future__ import annotations

import threading
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

import numpy as np

from app.model.spectra_data import AXIS_LABELS, COLUMN_LABEL, UNIT_LABEL

__all__ = ["BranchDiagnostics", "branch_diagnostics", "fitted_model", "stored_loaders"]

LEVELS = (0.95, 0.99)


@dataclass
class BranchDiagnostics:
    """What the Diagnostics tab draws for one branch (arrays over its calibration rows)."""

    branch_id: int
    kind: str                      # "pls" (interpret_pls) | "latent" (T²/Q only) | "none"
    note: str                      # one sentence above the plots ("" for a plain PLS branch)
    rows: np.ndarray               # (n,) dataset rows of the calibration
    sample_ids: np.ndarray         # (n,) their sample ids
    t2: np.ndarray                 # (n,)
    q: np.ndarray                  # (n,)
    leverage: np.ndarray           # (n,)
    limits: dict[str, dict[float, float]] = field(default_factory=dict)
    latent_kind: str = ""          # "pls" | "pca": the space T² and Q are measured in
    n_components: int = 0
    wavelengths: np.ndarray | None = None   # (p,) preprocessed axis (PLS only)
    x_label: str = UNIT_LABEL
    regression_vector: np.ndarray | None = None   # (p,) or (p, c)
    classes: list[str] | None = None
    vip: np.ndarray | None = None
    scores: np.ndarray | None = None        # (n, a)
    studentized: np.ndarray | None = None   # (n,) regression only
    y: np.ndarray | None = None             # (n,) the calibration's reference values
    labels: np.ndarray | None = None        # (n,) its class labels (PLS-DA)

    @property
    def is_pls(self) -> bool:
        return self.kind == "pls"


def fitted_model(result: Any, X: np.ndarray, wavelengths: np.ndarray, rows: np.ndarray,
                 y: np.ndarray, load_model: Callable[[int], Any] | None, seed: int = 0
                 ) -> tuple[Any, str]:
    """(the branch's fitted pipeline, a note on where it came from: "" for the run's own)."""
    model = getattr(result, "model", None)
    if model is not None and getattr(model, "steps", None):
        return model, ""
    if load_model is not None:
        from engine.transfer.methods import calibration_model

        # a transferred model (issue 19) reads the second instrument; its calibration rows
        # are the first instrument's: place them without the transfer
        return calibration_model(load_model(int(result.id))), ""
    from engine.pipeline import build_pipeline
    from engine.pipeline.spec import parse_pipeline

    expanded = parse_pipeline(list(result.steps))
    if len(expanded.branches) != 1:
        raise ValueError(f"branch {result.id}: its steps make {len(expanded.branches)} "
                         "branches, expected one")
    pipeline = build_pipeline(expanded.branches[0], np.asarray(wavelengths, dtype=float), seed)
    if result.best_params:
        from engine.tuning.space import with_params

        pipeline = with_params(pipeline, result.best_params)
    pipeline.fit(X[rows], y[rows])
    return pipeline, ("The project's model was not at hand: refitted from the branch's "
                      "saved steps on the calibration rows, as the run's refit did.")


def _x_label(units: str, known: bool, axis: np.ndarray, p: int) -> tuple[np.ndarray, str]:
    if not known or axis.shape[0] != p:
        return np.arange(1, p + 1, dtype=np.float64), COLUMN_LABEL
    return np.asarray(axis, dtype=np.float64), AXIS_LABELS.get(units, UNIT_LABEL)


def _model_name(model: Any) -> str:
    final = model.steps[-1][1] if getattr(model, "steps", None) else model
    return type(final).__name__


def branch_diagnostics(X: np.ndarray, wavelengths: np.ndarray, wavelengths_known: bool,
                       rows: np.ndarray, y: np.ndarray, sample_ids: np.ndarray, result: Any,
                       load_model: Callable[[int], Any] | None = None, units: str = "nm",
                       load_latent: Callable[[int], Any] | None = None,
                       cancel: threading.Event | None = None) -> BranchDiagnostics:
    """The Diagnostics tab's numbers for one branch: ``X``, ``y`` and ``sample_ids`` hold
    every dataset row, ``rows`` the calibration rows (the run's training rows). Raises
    ValueError (one line, naming the branch) when the branch cannot be interpreted."""
    from engine.diagnostics import assess_raw, interpret_pls, latent_for_model

    rows = np.asarray(rows, dtype=np.intp)
    y = np.asarray(y)
    model, note = fitted_model(result, X, wavelengths, rows, y, load_model)
    X_cal, y_cal = X[rows], y[rows]
    ids = np.asarray(sample_ids).astype(str)[rows]
    try:
        interp = interpret_pls(model, X_cal, y_cal, wavelengths, rows)
    except ValueError as exc:
        raise ValueError(f"branch {result.id}: {exc}") from None
    if interp is not None:
        latent = interp.latent
        axis, label = _x_label(units, wavelengths_known, np.asarray(interp.wavelengths),
                               np.asarray(interp.vip).shape[0])
        return BranchDiagnostics(
            branch_id=int(result.id), kind="pls", note=note, rows=np.asarray(interp.rows),
            sample_ids=np.asarray(sample_ids).astype(str)[np.asarray(interp.rows)],
            t2=np.asarray(interp.t2), q=np.asarray(interp.q),
            leverage=np.asarray(interp.leverage), limits=_limits(interp.limits),
            latent_kind="pls", n_components=int(np.asarray(interp.scores).shape[1]),
            wavelengths=axis, x_label=label,
            regression_vector=np.asarray(interp.regression_vector),
            classes=None if interp.classes is None else [str(c) for c in interp.classes],
            vip=np.asarray(interp.vip), scores=np.asarray(interp.scores),
            studentized=None if interp.studentized is None else np.asarray(interp.studentized),
            y=None if interp.classes is not None else np.asarray(y_cal, dtype=float),
            labels=None if interp.classes is None else np.asarray(y_cal).astype(str))
    why = (f"Branch {result.id} ends in {_model_name(model)}, not a PLS model: it has no "
           "regression vector, VIP or PLS scores.")
    latent = getattr(result, "diagnostics", None)
    if latent is None and load_latent is not None:
        latent = load_latent(int(result.id))
    if latent is None:
        latent = latent_for_model(model, X_cal, wavelengths)
    if latent is None:
        return BranchDiagnostics(
            branch_id=int(result.id), kind="none", rows=rows, sample_ids=ids,
            note=why + " Too few calibration spectra for a T\u00b2/Q model.",
            t2=np.zeros(0), q=np.zeros(0), leverage=np.zeros(0))
    a = assess_raw(model, latent, X_cal)
    limits = {"t2": {lv: float(latent.t2_limit(lv)) for lv in LEVELS},
              "q": {lv: float(latent.q_limit(lv)) for lv in LEVELS}}
    space = ("its latent space" if latent.kind != "pca" else
             f"a PCA ({latent.rotations.shape[1]} components) of its preprocessed calibration "
             "spectra")
    return BranchDiagnostics(
        branch_id=int(result.id), kind="latent", rows=rows, sample_ids=ids,
        note=f"{why} T\u00b2 vs Q below is measured in {space}."
             + (f" {note}" if note else ""),
        t2=np.asarray(a.t2), q=np.asarray(a.q), leverage=np.asarray(a.leverage),
        limits=limits, latent_kind=str(latent.kind),
        n_components=int(latent.rotations.shape[1]))


def _limits(limits: dict[str, dict[float, float]]) -> dict[str, dict[float, float]]:
    return {name: {float(lv): float(v) for lv, v in by_level.items()}
            for name, by_level in limits.items()}


def stored_loaders(project_file: str, run_id: int
                   ) -> tuple[Callable[[int], Any], Callable[[int], Any]]:
    """(load_model, load_latent) of a saved run: each opens the project read-only on the
    calling (background) thread - an SQLite connection belongs to the thread that made it -
    and reads one branch's fitted pipeline (skops, trusted types only) or its saved
    diagnostics (None for a project saved before nirdesk kept them)."""

    def load_model(branch_id: int) -> Any:
        from engine.store import Project

        with Project.open(project_file, readonly=True) as project:
            return project.load_model(run_id, branch_id)

    def load_latent(branch_id: int) -> Any:
        from engine.store import Project

        with Project.open(project_file, readonly=True) as project:
            read = getattr(project, "load_diagnostics", None)
            return None if read is None else read(run_id, branch_id)

    return load_model, load_latent
