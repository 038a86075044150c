"""The Predict view's slow work and texts, as plain functions (no Qt, testable headless).

Opening the project, loading the training spectra, reading the new file, loading the model
(skops) and predicting run on the panel's background thread (app.common.workers.Jobs); each
function here opens the project itself, read-only: an SQLite connection belongs to the thread
that made it, and a read-only open never changes the file. The spectra to draw
(app.model.spectra_data.SpectraData: contiguous arrays and bounds) are prepared here too, so
the GUI thread only hands them to the shared spectra layer.
"""
from __future__ import annotations

import threading
from dataclasses import dataclass
from typing import Any

import numpy as np

from app.model.spectra_data import SpectraData
from app.model.tasks import axis_units

__all__ = ["CalibrationInfluence", "LoadedSpectra", "ModelChoice", "ProjectModels",
           "TrainingSpectra", "cv_text", "flag_summary", "list_models", "load_spectra",
           "load_training", "prediction_notes", "run_prediction", "same_axis", "summary_text",
           "user_message"]

NO_DIAGNOSTICS = ("this model was saved before nirdesk kept its diagnostics: no T\u00b2/Q "
                  "influence plot and no outlier flags")


@dataclass(frozen=True)
class ModelChoice:
    """One trained branch the user can predict with."""

    run_id: int
    branch_id: int
    name: str
    task: str
    target: str | None
    cv: dict[str, Any] | None     # the branch's CV metrics
    best: bool                    # the run's best branch
    created: str
    dataset_name: str

    def label(self) -> str:
        return f"Run {self.run_id} \u00b7 branch {self.branch_id}: {self.name} \u00b7 " \
               f"{cv_text(self.cv, self.task)}" + ("  \u2605 best" if self.best else "")


def cv_text(cv: dict[str, Any] | None, task: str) -> str:
    cv = cv or {}
    if task == "classification":
        v = cv.get("balanced_accuracy")
        return "CV balanced accuracy " + ("\u2014" if v is None else f"{v:.3f}")
    v = cv.get("rmse")
    return "RMSECV " + ("\u2014" if v is None else f"{v:.4g}")


@dataclass
class ProjectModels:
    path: str
    choices: list[ModelChoice]
    default: int | None           # index into choices
    n_runs: int


@dataclass
class CalibrationInfluence:
    """The calibration's side of the T\u00b2 vs Q plot of a saved model: its limits (from the
    LatentModel saved with the model) and, when they could be computed, the T\u00b2 and Q of the
    calibration spectra themselves (the run's training rows through the saved model)."""

    limits: dict[str, dict[float, float]]   # {"t2": {0.95: .., 0.99: ..}, "q": {...}}
    n_components: int
    kind: str                               # "pls" | "pca": the space T\u00b2/Q are measured in
    t2: np.ndarray | None = None            # (n,) calibration spectra (None: not at hand)
    q: np.ndarray | None = None
    note: str = ""                          # why the calibration points are missing


@dataclass
class TrainingSpectra:
    X: np.ndarray                 # the training rows of the run's dataset
    wavelengths: np.ndarray
    model_wavelengths: np.ndarray
    dataset_name: str
    key: tuple[str, int, int]     # (project path, run id, branch id)
    drawn: SpectraData | None = None   # X as the plot draws it (None: no rows)
    influence: CalibrationInfluence | None = None   # None: the model kept no diagnostics


@dataclass
class LoadedSpectra:
    dataset: Any                  # engine.dataset.SpectralDataset (targets optional)
    drawn: SpectraData | None     # its spectra as the plot draws them


def _drawable(X: np.ndarray, wavelengths: np.ndarray, known: bool, title: str,
              units: str = "nm") -> SpectraData | None:
    """The spectra as the plot draws them; None when there is nothing drawable (no rows, or
    values the engine let through but a plot cannot draw): predicting does not need it."""
    try:
        return SpectraData.build(X, wavelengths, wavelengths_known=known, title=title,
                                 units=units)
    except ValueError:
        return None


def list_models(path: str, cancel: threading.Event | None = None) -> ProjectModels:
    """Every branch with a saved model, newest run first; default = the latest run's best."""
    from engine.store import Project

    with Project.open(path, readonly=True) as project:
        summaries = project.runs()
        choices: list[ModelChoice] = []
        default = None
        for summary in reversed(summaries):
            stored = project.load_run(summary.id)
            saved = set(stored.model_branches)
            for b in stored.results.get("branches", []):
                if b.get("status") != "ok" or b["id"] not in saved:
                    continue
                best = b["id"] == stored.best_branch
                if best and default is None:
                    default = len(choices)
                choices.append(ModelChoice(
                    run_id=summary.id, branch_id=b["id"], name=b["name"], task=summary.task,
                    target=summary.target, cv=(b.get("metrics") or {}).get("cv"), best=best,
                    created=summary.created, dataset_name=summary.dataset_name))
    if default is None and choices:
        default = 0
    return ProjectModels(path=str(path), choices=choices, default=default, n_runs=len(summaries))


def load_training(path: str, run_id: int, branch_id: int, cancel: threading.Event | None = None
                  ) -> TrainingSpectra:
    """The spectra the model was fitted on (the run's training rows) and the model's axis."""
    from engine.store import Project

    with Project.open(path, readonly=True) as project:
        stored = project.load_run(run_id)
        ds = project.load_dataset(stored.dataset_id)
        model_wl = project.model_wavelengths(run_id, branch_id)
        latent = _saved_latent(project, run_id, branch_id)
        model = project.load_model(run_id, branch_id) if latent is not None else None
    rows = stored.train_indices if stored.train_indices is not None else ds.train_indices
    X = ds.X[rows]
    known = not ds.metadata.get("wavelengths_unknown")
    return TrainingSpectra(X=X, wavelengths=ds.wavelengths, model_wavelengths=model_wl,
                           dataset_name=ds.name, key=(str(path), int(run_id), int(branch_id)),
                           drawn=_drawable(X, ds.wavelengths, known, "training",
                                           axis_units(ds)),
                           influence=None if latent is None else
                           calibration_influence(model, latent, X))


def _saved_latent(project: Any, run_id: int, branch_id: int) -> Any:
    """The model's saved LatentModel; None for a model saved without one, or one the store
    refuses (damaged): the prediction's own note says why there are no flags."""
    from engine.errors import NirdeskInputError

    read = getattr(project, "load_diagnostics", None)
    if read is None:
        return None
    try:
        return read(run_id, branch_id)
    except NirdeskInputError:
        return None


def calibration_influence(model: Any, latent: Any, X_cal: np.ndarray) -> CalibrationInfluence:
    """The limits of ``latent`` at 95 % and 99 % and the T\u00b2/Q of the calibration spectra
    ``X_cal`` (raw, through the model's own preprocessing: engine.diagnostics.assess_raw). A
    calibration that no longer fits the saved model (another number of columns) keeps the
    limits only, and says so."""
    from engine.diagnostics import LEVELS, assess_raw

    limits = {"t2": {lv: float(latent.t2_limit(lv)) for lv in LEVELS},
              "q": {lv: float(latent.q_limit(lv)) for lv in LEVELS}}
    info = CalibrationInfluence(limits=limits, n_components=int(latent.n_components),
                                kind=str(latent.kind))
    if X_cal.shape[0] == 0:
        info.note = "the run kept no calibration spectra: new spectra against the limits only"
        return info
    try:
        from engine.transfer.methods import calibration_model

        # the calibration was measured on the primary instrument: a transferred model's
        # DS/PDS step (issue 19) is for new spectra only
        a = assess_raw(calibration_model(model), latent, X_cal)
    except ValueError as exc:
        info.note = f"the calibration spectra cannot be placed ({exc}): the limits only"
        return info
    info.t2, info.q = np.asarray(a.t2), np.asarray(a.q)
    return info


def load_spectra(path: str, cancel: threading.Event | None = None) -> LoadedSpectra:
    """New spectra in any layout or instrument file the engine reads (targets optional)."""
    from engine.io import load_data, resolve_dataset_path

    dataset = load_data(resolve_dataset_path(path))
    known = not dataset.metadata.get("wavelengths_unknown")
    return LoadedSpectra(dataset=dataset,
                         drawn=_drawable(dataset.X, dataset.wavelengths, known, "new",
                                         axis_units(dataset)))


def run_prediction(path: str, dataset: Any, run_id: int, branch_id: int, resample: bool,
                   cancel: threading.Event | None = None) -> tuple[Any, list[str]]:
    """engine.predict.predict on an already loaded dataset; returns (result, log lines)."""
    from engine.predict import predict

    messages: list[str] = []
    result = predict(path, dataset, branch=branch_id, resample=resample, run_id=run_id,
                     log=messages.append)
    return result, messages


def user_message(exc: BaseException, action: str) -> tuple[str, bool]:
    """(one line for the panel, whether it is the user's input rather than a bug)."""
    from engine.errors import NirdeskInputError

    if isinstance(exc, NirdeskInputError):
        return " ".join(str(exc).split()), True
    if isinstance(exc, (OSError, MemoryError)):
        return f"cannot {action}: {type(exc).__name__}: {exc}", True
    return f"nirdesk failed to {action} ({type(exc).__name__}: {exc}); this is a bug", False


def summary_text(result: Any) -> str:
    """One line under the table: the predictions and, with reference values, their metrics."""
    n = len(result.predictions)
    head = f"Run {result.run_id}, branch {result.branch_id} ({result.branch_name}): {n} predictions"
    if result.resampled:
        head += ", resampled onto the model's wavelengths"
    m = result.metrics
    if not m:
        return head + (f"; the data has no {result.target!r} column, so no RMSEP" if result.target
                       else "")

    def f(key: str, digits: str = ".4g") -> str:
        v = m.get(key)
        return "\u2014" if v is None else format(v, digits)
    if result.task == "classification":
        return head + f" \u00b7 accuracy {f('accuracy', '.3f')} \u00b7 balanced accuracy " \
                      f"{f('balanced_accuracy', '.3f')}"
    return (head + f" \u00b7 RMSEP {f('rmse')} \u00b7 R\u00b2 {f('r2', '.3f')}"
            f" \u00b7 bias {f('bias')}")


def prediction_notes(result: Any) -> list[str]:
    """The engine's notes on a prediction (a str or a list of them; none on older engines)."""
    notes = getattr(result, "notes", None)
    if not notes:
        return []
    return [notes] if isinstance(notes, str) else [str(n) for n in notes]


def flag_summary(result: Any) -> str:
    """One line on the outlier flags: "7 of 40 spectra outside the model (99 %): T\u00b2 2,
    Q 6", "All 40 spectra inside the model (99 % limits of T\u00b2 and Q)", or the engine's
    note when the model has no diagnostics."""
    flags = getattr(result, "flags", None)
    if flags is None:
        return "; ".join(prediction_notes(result)) or NO_DIAGNOSTICS
    from engine.diagnostics import FLAG_LEVEL

    n = len(flags)
    level = f"{FLAG_LEVEL * 100:g} %"
    flagged = [f for f in flags if f]
    if not flagged:
        return f"All {n} spectra inside the model ({level} limits of T\u00b2 and Q)"
    by_t2 = sum(1 for f in flagged if "T2>" in f)
    by_q = sum(1 for f in flagged if "Q>" in f)
    return (f"{len(flagged)} of {n} spectra outside the model ({level}): "
            f"T\u00b2 {by_t2}, Q {by_q}")


def same_axis(a: np.ndarray, b: np.ndarray) -> bool:
    """The engine's tolerance (a millionth of the model's spacing), for the early hint only;
    the engine decides when predicting."""
    a, b = np.asarray(a, dtype=np.float64), np.asarray(b, dtype=np.float64)
    if a.shape != b.shape:
        return False
    spacing = float(np.median(np.abs(np.diff(b)))) if b.size > 1 else 1.0
    return bool(np.allclose(a, b, rtol=0.0, atol=1e-6 * max(spacing, 1e-12)))
