"""Fit a transfer and build the transferred model, scoring it before and after.

    fit_transfer(model, tset, method, standards=..., window=5, tolerance=...) -> TransferOutcome

Nothing here reads or writes a file: the CLI (engine.transfer.project) and the window's
Transfer view both call this, the window on a worker thread.

The transferred model is a new scikit-learn Pipeline built from the branch's fitted steps
(never refitted): DS/PDS go first, as a step named ``calibration_transfer``; SBC replaces the
final model by the same model wrapped in its correction. The scores compare the branch's
model on the raw secondary spectra with the transferred model on them, over the pairs that
were not used as standards: the rows held out for testing when the data marks some (split.csv),
else every pair that is not a standard, and only where reference values exist (never an
excluded row).
"""
from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

import numpy as np

from engine import metrics as M
from engine.errors import InputError
from engine.transfer.methods import (
    DirectStandardisation,
    PiecewiseDirectStandardisation,
    SlopeBiasCorrected,
)
from engine.transfer.pairing import TransferSet

__all__ = ["DEFAULT_TOLERANCE", "METHODS", "TRANSFER_STEP", "TransferOutcome", "fit_transfer",
           "method_label"]

#: method name -> what it is called in messages, cards and the saved branch name
METHODS = {"ds": "Direct Standardisation", "pds": "Piecewise Direct Standardisation",
           "sbc": "Slope/bias correction"}
#: the relative singular-value cut-off each method uses unless told (None: plain pinv)
DEFAULT_TOLERANCE: dict[str, float | None] = {"ds": None, "pds": 0.01, "sbc": None}
#: the name of the DS/PDS step put in front of the branch's pipeline
TRANSFER_STEP = "calibration_transfer"


@dataclass
class TransferOutcome:
    """A fitted transfer and what it does to the secondary spectra.

    model          the transferred model (a fitted Pipeline ready for secondary spectra)
    standards      indices (into the transfer set's pairs) of the transfer standards
    evaluated      indices of the pairs scored (empty when nothing could be scored)
    evaluated_on   which pairs those are, in words ("the 212 pairs held out for testing")
    transferred    (n_pairs, p) secondary spectra after the transfer (SBC: unchanged)
    predictions_before / predictions_after  (n_pairs,) the model on raw / transferred
                   secondary spectra; primary_predictions the model on the primary spectra
    before / after regression metrics (rmse = RMSEP, ...) over ``evaluated``, or None
    """

    method: str
    model: Any
    standards: np.ndarray
    evaluated: np.ndarray
    evaluated_on: str
    transferred: np.ndarray
    predictions_before: np.ndarray
    predictions_after: np.ndarray
    primary_predictions: np.ndarray
    window: int | None
    tolerance: float | None
    before: dict[str, float | None] | None = None
    after: dict[str, float | None] | None = None
    slope: list[float] | None = None
    bias: list[float] | None = None
    notes: list[str] = field(default_factory=list)

    @property
    def label(self) -> str:
        return method_label(self.method, self.window, len(self.standards))

    def describe(self, tset: TransferSet) -> dict[str, Any]:
        """JSON facts of the transfer (kept with the saved run, printed by the CLI)."""
        facts: dict[str, Any] = {
            "method": self.method, "window": self.window, "tolerance": self.tolerance,
            "n_standards": len(self.standards),
            "standards": [str(s) for s in tset.sample_ids[self.standards]],
            "evaluated_on": self.evaluated_on, "n_evaluated": len(self.evaluated),
            "before": self.before, "after": self.after}
        if self.slope is not None:
            facts["slope"], facts["bias"] = self.slope, self.bias
        return facts


def method_label(method: str, window: int | None, n_standards: int) -> str:
    """ "PDS (window 5, 20 standards)" """
    inside = f"window {window}, " if method == "pds" else ""
    return f"{method.upper()} ({inside}{n_standards} standards)"


def _flat(values: Any) -> np.ndarray:
    out = np.asarray(values)
    if out.ndim == 2 and out.shape[1] == 1:
        out = out[:, 0]
    return out


def _pipeline_steps(model: Any) -> list[tuple[str, Any]]:
    steps = getattr(model, "steps", None)
    return list(steps) if steps else [("model", model)]


def _evaluation_rows(tset: TransferSet, standards: np.ndarray) -> tuple[np.ndarray, str]:
    if tset.reference is None:
        return np.zeros(0, dtype=np.int64), "no reference values: not scored"
    known = np.isfinite(tset.reference) & ~tset.excluded
    held = np.flatnonzero(tset.held_out & known)
    if held.size:
        return held, f"the {held.size} pairs held out for testing"
    rest = np.setdiff1d(np.flatnonzero(known), standards)
    if rest.size:
        return rest, f"the {rest.size} pairs that are not transfer standards"
    return np.zeros(0, dtype=np.int64), "every pair is a standard: not scored"


def fit_transfer(model: Any, tset: TransferSet, method: str, standards: np.ndarray, *,
                 window: int = 5, tolerance: float | str | None = "default",
                 classification: bool = False) -> TransferOutcome:
    """Fit ``method`` ("ds" | "pds" | "sbc") on the pairs ``standards`` and build the
    transferred model around ``model`` (a fitted Pipeline or estimator, never changed).

    tolerance  the pseudo-inverses' relative singular-value cut-off; "default" takes
               :data:`DEFAULT_TOLERANCE` of the method
    """
    from sklearn.pipeline import Pipeline

    if method not in METHODS:
        raise InputError(f"unknown transfer method {method!r} (choose ds, pds or sbc)")
    tol = DEFAULT_TOLERANCE[method] if tolerance == "default" else tolerance
    if tol is not None and not (isinstance(tol, (int, float)) and 0 <= float(tol) < 1):
        raise InputError(f"the tolerance must be a number from 0 to 1, not {tol!r}")
    standards = np.asarray(standards, dtype=np.int64)
    X1s, X2s = tset.primary[standards], tset.secondary[standards]
    steps = _pipeline_steps(model)
    slope = bias = None
    try:
        if method == "sbc":
            if classification:
                raise InputError("slope/bias correction is for regression models; this model "
                                 "predicts classes (use ds or pds)")
            name, final = steps[-1]
            wrapped = SlopeBiasCorrected.from_transfer(final, _flat(model.predict(X2s)),
                                                       _flat(model.predict(X1s)))
            transferred_model = Pipeline([*steps[:-1], (name, wrapped)])
            transferred = tset.secondary.copy()
            slope, bias = wrapped.slope_.tolist(), wrapped.bias_.tolist()
        else:
            if method == "pds":
                if int(window) < 1 or int(window) % 2 == 0:
                    raise InputError(f"--window {window}: the PDS window is an odd number of "
                                     "channels (3, 5, 7, ...)")
                if int(window) > tset.wavelengths.size:
                    raise InputError(f"--window {window}: wider than the spectra "
                                     f"({tset.wavelengths.size} channels)")
                transfer: Any = PiecewiseDirectStandardisation(window=int(window), tolerance=tol)
            else:
                transfer = DirectStandardisation(tolerance=tol)
            transfer.fit(X2s, X1s)
            transferred_model = Pipeline([(TRANSFER_STEP, transfer), *steps])
            transferred = transfer.transform(tset.secondary)
    except ValueError as exc:
        raise InputError(f"the transfer cannot be fitted: {exc}",
                         file=tset.secondary_name) from None
    before_pred = _flat(model.predict(tset.secondary))
    after_pred = _flat(transferred_model.predict(tset.secondary))
    primary_pred = _flat(model.predict(tset.primary))
    evaluated, evaluated_on = _evaluation_rows(tset, standards)
    before = after = None
    if evaluated.size and not classification and tset.reference is not None:
        ref = tset.reference[evaluated]
        before = M.score(ref, before_pred[evaluated].astype(np.float64), False)
        after = M.score(ref, after_pred[evaluated].astype(np.float64), False)
    return TransferOutcome(method=method, model=transferred_model, standards=standards,
                           evaluated=evaluated, evaluated_on=evaluated_on,
                           transferred=np.asarray(transferred, dtype=np.float64),
                           predictions_before=before_pred, predictions_after=after_pred,
                           primary_predictions=primary_pred,
                           window=int(window) if method == "pds" else None, tolerance=tol,
                           before=before, after=after, slope=slope, bias=bias,
                           notes=list(tset.notes))
