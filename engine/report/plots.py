"""The chosen branch's plots, read from the project (see engine.report.build for the sources).

Spectra are the stored ones, preprocessed by the SAVED model's fitted steps (the spectra the
model saw); predictions are the stored out-of-fold and test predictions; the RMSECV curve is
the one the run stored; the regression vector is the saved model's; T² and Q are the stored
spectra measured against the saved latent model, with its limits. A plot that cannot be drawn
from what was stored is replaced by a sentence saying why.
"""
from __future__ import annotations

from typing import Any

import numpy as np

from engine.report import figures as G
from engine.report.document import Block, Paragraph
from engine.report.source import Source

__all__ = ["branch_figures"]

LEVELS = (0.95, 0.99)


def _preprocessed(model: Any, X: np.ndarray, axis: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    from engine.diagnostics.pls import preprocessed

    return preprocessed(model, X, axis)


def branch_figures(r: Source) -> list[Block]:
    ds = r.dataset
    known = not ds.metadata.get("wavelengths_unknown")
    x_label = G.axis_label(ds.units, known)
    used = np.zeros(ds.n_samples, dtype=bool)
    used[r.train] = used[r.test] = True
    left_out = np.flatnonzero(~used)   # the run's excluded samples
    out: list[Block] = []
    out.append(G.spectra_figure(
        "spectra_raw", "Spectra as measured", ds.wavelengths, x_label,
        [("Calibration", ds.X[r.train], G.CAL), ("Test", ds.X[r.test], G.TEST),
         ("Not used (excluded)", ds.X[left_out], G.EXCLUDED)]))
    rows = np.concatenate([r.train, r.test])
    has_steps = len(getattr(r.model, "steps", None) or []) > 1
    if has_steps:
        Z, axis = _preprocessed(r.model, ds.X[rows], ds.wavelengths)
        same_axis = axis.shape == ds.wavelengths.shape and np.array_equal(axis, ds.wavelengths)
        label = x_label if same_axis or known else "Column number"
        n = len(r.train)
        out.append(G.spectra_figure(
            "spectra_preprocessed", "Spectra after the branch's preprocessing", axis, label,
            [("Calibration", Z[:n], G.CAL), ("Test", Z[n:], G.TEST)],
            caption="Through the saved model's fitted preprocessing steps."))
    else:
        out.append(Paragraph("The branch has no preprocessing: the model sees the spectra as "
                             "measured.", note=True))
    if not r.classification:
        out += _regression_plots(r)
    out += _curve(r)
    out += _coefficients(r, x_label, known)
    out += _t2q(r)
    return out


def _regression_plots(r: Source) -> list[Block]:
    preds = r.run.predictions.get(int(r.branch["id"]), {})
    y = np.asarray(r.y, dtype=np.float64)
    cv = preds.get("cv")
    if cv is None:
        return [Paragraph("The run stored no cross-validation predictions.", note=True)]
    test = preds.get("test")
    pred_obs, residuals = G.prediction_figures(
        r.target, y[r.train], np.asarray(cv, dtype=np.float64),
        y[r.test] if test is not None else None,
        None if test is None else np.asarray(test, dtype=np.float64))
    return [pred_obs, residuals]


def _curve(r: Source) -> list[Block]:
    curve = r.branch.get("curve")
    if not curve:
        return []
    from engine.diagnostics.pls import final_estimator

    chosen = getattr(final_estimator(r.model), "n_components", None)
    label = "Balanced accuracy (CV)" if r.classification else "RMSECV"
    key = next((k for k in curve if k != "n_components"), "")
    if key and key != "rmsecv":
        label = f"{key} (CV)"
    fig = G.curve_figure(curve, chosen if isinstance(chosen, int) else None, label)
    return [] if fig is None else [fig]


def _coefficients(r: Source, x_label: str, known: bool) -> list[Block]:
    from engine.diagnostics.pls import final_estimator, pls_of, regression_coefficients

    pls = pls_of(r.model)
    rows = r.train
    axis = r.dataset.wavelengths
    if pls is not None:
        coef, _ = regression_coefficients(pls)
        title = "Regression vector (PLS)"
    else:
        final = final_estimator(r.model)
        raw = getattr(final, "coef_", None)
        if raw is None:
            return [Paragraph(f"{type(final).__name__} has no regression vector.", note=True)]
        coef = np.asarray(raw, dtype=np.float64)
        coef = coef.T if coef.ndim == 2 else coef[:, None]
        title = f"Regression vector ({type(final).__name__})"
    _, pre_axis = _preprocessed(r.model, r.dataset.X[rows[:1]], axis)
    if coef.shape[0] != pre_axis.size:
        return [Paragraph("The regression vector does not line up with the preprocessed axis; "
                          "not drawn.", note=True)]
    final = final_estimator(r.model)
    classes = [str(c) for c in getattr(final, "classes_", [])] or None
    if coef.shape[1] == 1:
        coef = coef[:, 0]
    same = pre_axis.shape == axis.shape and np.array_equal(pre_axis, axis)
    return [G.coefficients_figure(pre_axis, x_label if same or known else "Column number",
                                  coef, classes, title)]


def _t2q(r: Source) -> list[Block]:
    latent = r.latent
    if latent is None:
        return [Paragraph("The project holds no saved T\u00b2/Q model for this branch (saved "
                          "by an older nirdesk, or it could not be computed).", note=True)]
    X = r.dataset.X
    z_cal, _ = _preprocessed(r.model, X[r.train], r.dataset.wavelengths)
    t2, q, _ = latent.statistics(z_cal)
    t2_test = q_test = None
    if len(r.test):
        z_test, _ = _preprocessed(r.model, X[r.test], r.dataset.wavelengths)
        t2_test, q_test, _ = latent.statistics(z_test)
    flagged_rows = {int(o["row"]) for o in (r.branch.get("outliers") or [])}
    flagged = np.array([int(i) in flagged_rows for i in r.train], dtype=bool)
    limits = {"t2": {lv: float(latent.t2_limit(lv)) for lv in LEVELS},
              "q": {lv: float(latent.q_limit(lv)) for lv in LEVELS}}
    space = ("the model's PLS latent space" if latent.kind == "pls" else
             f"a PCA ({latent.n_components} components) of the preprocessed calibration "
             "spectra")
    return [G.t2q_figure(np.asarray(t2), np.asarray(q), flagged, t2_test, q_test, limits,
                         f"{space}; limits of the saved model at 95 % (dashed) and 99 %")]
