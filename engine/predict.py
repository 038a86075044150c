"""Predict mode: apply a saved branch's final model to new spectra.

    predict(project, data, branch=None, resample=False, run_id=None) -> PredictionResult

Why the checks: a model only means something on the wavelength axis it was trained on.
Spectra from another instrument or export usually differ in range or spacing, and a model
applied column-by-column to the wrong axis still returns numbers, silently wrong ones. So
new spectra whose wavelengths differ from the model's are refused with both ranges named,
unless the caller asks to resample them (linear interpolation onto the model's wavelengths,
never extrapolation beyond the measured range).

Every prediction is also judged against the model's calibration (engine.diagnostics): T²,
Q and leverage per spectrum and a flag naming the 99 % limit it breaks, because a model asked
about a spectrum unlike any it was calibrated on (another instrument, a spike, a different
product) still returns a number. Models saved before nirdesk kept diagnostics predict as
before, with a note and no flags.

Prediction runs sequentially in this process (the parallel policy's predict mode; its reason
is logged): one fitted model applied once is far cheaper than starting workers.
"""
from __future__ import annotations

import csv
import math
import os
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

import numpy as np

from engine.atomic import replacing
from engine.dataset import SpectralDataset, code_labels
from engine.errors import InputError, NirdeskInputError
from engine.modelcheck import check_predictable

__all__ = ["PredictionResult", "align_wavelengths", "predict"]

Log = Callable[[str], None]


@dataclass
class PredictionResult:
    """Predictions for every row of the new data, and the reference where the data has it.

    error = prediction - reference for a numeric target (the sign of the metrics' bias);
    for class labels 1 where the prediction is wrong and 0 where it is right.
    t2, q, leverage  per row against the model's calibration (None without diagnostics)
    flags            per row: "" inside the 99 % limits, else the limits broken ("Q>99%",
                     "T2>99%; Q>99%"); None without diagnostics
    diagnostics      the model's LatentModel (limits at any level, the calibration's space)
    notes            what the user should know about the result (e.g. no flags, and why)
    """

    sample_ids: np.ndarray
    predictions: np.ndarray
    reference: np.ndarray | None
    error: np.ndarray | None
    run_id: int
    branch_id: int
    branch_name: str
    target: str | None
    task: str
    resampled: bool
    wavelengths: np.ndarray                       # the model's axis the spectra were put on
    reasons: list[dict[str, Any]] = field(default_factory=list)  # the policy's, as JSON
    metrics: dict[str, Any] | None = None         # RMSEP etc. when the reference is known
    t2: np.ndarray | None = None
    q: np.ndarray | None = None
    leverage: np.ndarray | None = None
    flags: list[str] | None = None
    diagnostics: Any = None                       # engine.diagnostics.LatentModel | None
    notes: list[str] = field(default_factory=list)

    @property
    def n_flagged(self) -> int | None:
        """Rows outside the model's 99 % limits (None without diagnostics)."""
        return None if self.flags is None else sum(1 for flag in self.flags if flag)

    def write_csv(self, path: str | os.PathLike) -> None:
        """sample_id, prediction[, reference, error], t2, q, leverage, flag; floats written
        with full precision. flag is empty inside the limits; all four are empty for a model
        saved without diagnostics."""
        header = ["sample_id", "prediction"]
        if self.reference is not None:
            header += ["reference", "error"]
        header += ["t2", "q", "leverage", "flag"]
        stats = [self.t2, self.q, self.leverage]
        # replaced atomically: a full disk keeps the previous file (WriteFailed, exit 1)
        with replacing(path, what="the predictions", newline="") as fh:
            writer = csv.writer(fh)
            writer.writerow(header)
            for i, sample in enumerate(self.sample_ids):
                row = [sample, _cell(self.predictions[i])]
                if self.reference is not None and self.error is not None:
                    row += [_cell(self.reference[i]), _cell(self.error[i])]
                row += ["" if values is None else _cell(values[i]) for values in stats]
                row.append("" if self.flags is None else self.flags[i])
                writer.writerow(row)


def _cell(value: Any) -> str:
    if isinstance(value, (float, np.floating)):
        return repr(float(value)) if math.isfinite(value) else ""
    if isinstance(value, np.generic):
        return str(value.item())
    return str(value)


def _span(wl: np.ndarray) -> str:
    return f"{wl.size} wavelengths {wl.min():g}..{wl.max():g}"


def _grid_difference(data_wl: np.ndarray, model_wl: np.ndarray, descending: bool) -> str:
    """What tells two axes apart when their counts and ranges read the same ("100
    wavelengths 850..1050" both): the first wavelength that differs, and whether the data
    ran the other way in its file (``descending``: a descending grid written from the other
    end lands on other values in between)."""
    if data_wl.shape != model_wl.shape or _span(data_wl) != _span(model_wl):
        return ""
    a, b = np.sort(data_wl), np.sort(model_wl)
    k = int(np.argmax(~np.isclose(a, b, rtol=0.0, atol=1e-9 * max(1.0, float(np.ptp(b))))))
    order = ""
    if descending or (data_wl[0] > data_wl[-1]) != (model_wl[0] > model_wl[-1]):
        order = "; the file lists its wavelengths in descending order, the model's ascend"
    return (f" (same count and range, but wavelength {k + 1} is {a[k]:.6g} in the data and "
            f"{b[k]:.6g} in the model{order})")


def align_wavelengths(dataset: SpectralDataset, model_wl: np.ndarray, resample: bool
                      ) -> tuple[np.ndarray, bool]:
    """The dataset's spectra on the model's axis: (X, resampled).

    Identical axes (to a millionth of the spacing) pass unchanged. Otherwise an InputError
    names both axes, unless ``resample``: then each spectrum is linearly interpolated onto
    the model's wavelengths, provided the data covers the model's whole range.
    """
    data_wl = np.asarray(dataset.wavelengths, dtype=np.float64)
    model_wl = np.asarray(model_wl, dtype=np.float64)
    spacing = float(np.median(np.abs(np.diff(model_wl)))) if model_wl.size > 1 else 1.0
    tol = 1e-6 * max(spacing, 1e-12)
    if data_wl.shape == model_wl.shape and np.allclose(data_wl, model_wl, rtol=0.0, atol=tol):
        return dataset.X, False
    if data_wl.shape == model_wl.shape and np.allclose(data_wl[::-1], model_wl, rtol=0.0,
                                                       atol=tol):
        # a model saved before the loaders sorted axes ascending (trained on a descending
        # axis): the same wavelengths, in its order
        return np.ascontiguousarray(dataset.X[:, ::-1]), False
    where = dataset.metadata.get("x_file") or dataset.metadata.get("path") or dataset.name
    note = " (the data file has no wavelength header: these are column numbers)" \
        if dataset.metadata.get("wavelengths_unknown") else _grid_difference(
            data_wl, model_wl, any(str(n).startswith("axis was descending")
                                   for n in dataset.metadata.get("notes", [])))
    if not resample:
        raise InputError(f"the wavelengths do not match the model's: the data has {_span(data_wl)}"
                         f"{note}, the model expects {_span(model_wl)}; resample the spectra onto "
                         "the model's wavelengths with --resample", file=where)
    order = np.argsort(data_wl)
    xp = data_wl[order]
    low, high = xp[0] - tol, xp[-1] + tol
    if model_wl.min() < low or model_wl.max() > high:
        raise InputError(f"cannot resample without extrapolating: the model expects "
                         f"{_span(model_wl)}, the data covers only {_span(data_wl)}{note}",
                         file=where)
    X = dataset.X[:, order]
    target = np.clip(model_wl, xp[0], xp[-1])
    out = np.empty((X.shape[0], model_wl.size), dtype=np.float64)
    for i in range(X.shape[0]):
        out[i] = np.interp(target, xp, X[i])
    return out, True


def _predict_reasons(project: Any, stored: Any, branch_id: int, n_rows: int, n_features: int
                     ) -> list[dict[str, Any]]:
    """The parallel policy's predict-mode decision for this branch (docs/design.md decision 2)."""
    from engine.machine import DataFacts, MachineFacts
    from engine.pipeline import parse_pipeline
    from engine.policy import decide

    try:
        spec = project.load_pipeline(stored.pipeline_id).spec
        plan = decide(parse_pipeline(spec), machine=MachineFacts.current(),
                      data=DataFacts(n_train=0, n_features=n_features, n_test=n_rows),
                      mode="predict")
        return [r.to_json() for r in plan.for_branch(branch_id).reasons]
    except (NirdeskInputError, KeyError):  # a spec this nirdesk cannot parse (e.g. a module
        return []                           # prefix not enabled here): the model still applies


def predict(project: Any, data: str | os.PathLike | SpectralDataset, branch: int | None = None,
            resample: bool = False, *, run_id: int | None = None, log: Log | None = None
            ) -> PredictionResult:
    """Apply the final model of a saved branch to every row of ``data``.

    project  a .nirdesk path (opened read-only, never modified) or an open Project
    data     a dataset path (any layout of engine.io; targets optional) or a SpectralDataset
    branch   branch id in the run (default: the run's best branch)
    run_id   the run (default: the latest run in the project)
    resample interpolate spectra onto the model's wavelengths instead of refusing a mismatch
    """
    from engine import metrics as M
    from engine.io import load_dataset
    from engine.store import Project

    log = log or (lambda message: None)
    own = not isinstance(project, Project)
    proj = Project.open(project, readonly=True) if own else project
    try:
        where = str(proj.path)
        if run_id is None:
            run_id = proj.latest_run_id()
            if run_id is None:
                raise InputError("the project has no runs to predict with (save one with "
                                 "nirdesk run ... --save)", file=where)
        stored = proj.load_run(run_id)
        branches = {b["id"]: b for b in stored.results.get("branches", [])}
        if branch is None:
            branch = stored.best_branch
            if branch is None:
                raise InputError(f"run {run_id} has no successful branch to predict with",
                                 file=where)
        if branch not in branches:
            known = ", ".join(map(str, branches)) or "none"
            raise InputError(f"run {run_id} has no branch {branch} (branches: {known})", file=where)
        info = branches[branch]
        model_wl = proj.model_wavelengths(run_id, branch)
        # the data before the model: reading a CSV needs numpy only, the model scikit-learn
        # (1-2 s to import), so bad data is refused fast
        dataset = data if isinstance(data, SpectralDataset) else load_dataset(data)
        X, resampled = align_wavelengths(dataset, model_wl, resample)
        model = proj.load_model(run_id, branch)
        check_predictable(model, model_wl.size, f"{where}, run {run_id}, branch {branch}")
        try:
            latent, notes = proj.load_diagnostics(run_id, branch), []
        except InputError as exc:  # the model itself is sound: predict, but say why no flags
            latent, notes = None, [f"no outlier flags: {exc}"]
        reasons = _predict_reasons(proj, stored, branch, dataset.n_samples, model_wl.size)
    finally:
        if own:
            proj.close()

    for reason in reasons:
        if reason["code"] == "predict_mode":
            log(reason["message"])
    log(f"run {run_id}, branch {branch}: {info['name']}")
    if resampled:
        log(f"resampled {dataset.n_samples} spectra from {_span(dataset.wavelengths)} onto the "
            f"model's {_span(model_wl)}")
    predictions = np.asarray(model.predict(X))
    if predictions.ndim == 2 and predictions.shape[1] == 1:
        predictions = predictions[:, 0]
    _check_predictions(predictions, dataset)
    assessment = _assess(model, latent, X, notes)
    for note in notes:
        log(note)
    target = stored.results.get("dataset", {}).get("target")
    classification = stored.task == "classification"
    reference = error = scores = None
    if target is not None and target in dataset.targets:
        reference = dataset.targets[target]
        if classification and reference.dtype.kind not in "UOS":
            reference = code_labels(reference)  # numeric class codes, as the model saw them
        if classification:
            error = (predictions.astype(str) != reference.astype(str)).astype(np.int64)
        else:
            try:
                reference = reference.astype(np.float64)
            except (TypeError, ValueError):
                raise InputError(f"the {target!r} column holds text (e.g. {reference[0]!r}) but "
                                 f"the model predicts numbers", file=dataset.name if isinstance(
                                     data, SpectralDataset) else str(data)) from None
            error = predictions.astype(np.float64) - reference
        scores = M.score(reference, predictions, classification)
    return PredictionResult(sample_ids=dataset.sample_ids, predictions=predictions,
                            reference=reference, error=error, run_id=run_id, branch_id=branch,
                            branch_name=info["name"], target=target, task=stored.task,
                            resampled=resampled, wavelengths=model_wl, reasons=reasons,
                            metrics=scores, diagnostics=latent, notes=notes,
                            t2=None if assessment is None else assessment.t2,
                            q=None if assessment is None else assessment.q,
                            leverage=None if assessment is None else assessment.leverage,
                            flags=None if assessment is None else assessment.flags)


def _check_predictions(predictions: np.ndarray, dataset: SpectralDataset) -> None:
    """Refuse predictions that are not finite numbers: spectra the model's arithmetic
    overflows on (or a model that is broken) give no prediction worth writing down."""
    if predictions.dtype.kind not in "fc":
        return
    bad = np.flatnonzero(~np.isfinite(predictions).reshape(len(predictions), -1).all(axis=1))
    if bad.size:
        i = int(bad[0])
        raise InputError(f"the model gives no finite prediction for {bad.size} of "
                         f"{len(predictions)} spectra (first: row {i + 1}, "
                         f"{dataset.sample_ids[i]}): their values are out of the range it "
                         "can compute with", file=dataset.metadata.get("path", dataset.name))


#: the note of a prediction made with a model saved without diagnostics
NO_DIAGNOSTICS_NOTE = ("this model was saved before nirdesk kept diagnostics: no outlier flags "
                       "(run it again and save to get them)")


def _assess(model: Any, latent: Any, X: np.ndarray, notes: list[str]) -> Any:
    """T², Q, leverage and flags of the spectra (engine.diagnostics.assess_raw), or None with
    a note: without saved diagnostics, or when they cannot judge these spectra."""
    if latent is None:
        if not notes:
            notes.append(NO_DIAGNOSTICS_NOTE)
        return None
    from engine.diagnostics import assess_raw

    try:
        return assess_raw(model, latent, X)
    except (ValueError, np.linalg.LinAlgError) as exc:
        notes.append(f"no outlier flags: the model's diagnostics cannot judge these spectra "
                     f"({exc})")
        return None

