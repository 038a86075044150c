"""The numbers behind the results views, as plain numpy (no Qt, testable headless).

Why a separate module: every view (leaderboard, plots, CSV export, run comparison) reads the
same few facts out of a BranchResult - which metric columns a task shows, which dataset rows the
out-of-fold and test predictions belong to, the corner statistics, the best-so-far line of a
search. Keeping them here means the plots and the CSV files can never disagree.

Index conventions (engine/results.py, engine/run.py):
  oof_predictions[i]   belongs to dataset row train_indices[i] (NaN: the splitter never held
                       that row out; mean of the repeats when it held it out several times)
  test_predictions[j]  belongs to dataset row test_indices[j]
"""
from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

import numpy as np

from engine import metrics as M
from engine.pipeline.steps import step_class, step_params
from engine.registry import get_entry

# (key, header, metric block, metric name, tooltip)
REGRESSION_COLUMNS = (
    ("rmsec", "RMSEC", "cal", "rmse", "root mean squared error of calibration: the refitted "
                                      "model on its own training rows (far below RMSECV: "
                                      "over-fitted)"),
    ("rmsecv", "RMSECV", "cv", "rmse", "root mean squared error of the out-of-fold predictions"),
    ("r2cv", "R\u00b2 CV", "cv", "r2", "coefficient of determination, cross-validation"),
    ("rmsep", "RMSEP", "test", "rmse", "root mean squared error on the held-out test rows"),
    ("r2test", "R\u00b2 test", "test", "r2", "coefficient of determination on the test rows"),
    ("rpd", "RPD CV", "cv", "rpd", "ratio of performance to deviation, sd(y) / SEP, "
                                   "cross-validation"),
    ("bias", "Bias CV", "cv", "bias", "mean(predicted - observed), cross-validation"),
)
CLASSIFICATION_COLUMNS = (
    ("bacccal", "BAcc cal", "cal", "balanced_accuracy", "balanced accuracy of the refitted "
                                                        "model on its own training rows"),
    ("acccv", "Acc CV", "cv", "accuracy", "accuracy of the out-of-fold predictions"),
    ("bacccv", "BAcc CV", "cv", "balanced_accuracy", "balanced accuracy, cross-validation"),
    ("f1cv", "F1 CV", "cv", "f1_macro", "macro-averaged F1, cross-validation"),
    ("acctest", "Acc test", "test", "accuracy", "accuracy on the held-out test rows"),
    ("bacctest", "BAcc test", "test", "balanced_accuracy", "balanced accuracy, test rows"),
    ("f1test", "F1 test", "test", "f1_macro", "macro-averaged F1, test rows"),
)
# the column the leaderboard sorts by at first, and its natural order (True = ascending)
RANKING_COLUMN = {"regression": ("rmsecv", True), "classification": ("bacccv", False)}

STATUS_WAITING = "waiting"
STATUS_RUNNING = "running"


def metric_columns(task: str) -> tuple[tuple[str, str, str, str, str], ...]:
    return CLASSIFICATION_COLUMNS if task == "classification" else REGRESSION_COLUMNS


def metric_value(result: Any, block: str, name: str) -> float | None:
    """One figure of a branch (None when the branch failed, has no test part, or the figure is
    undefined, e.g. R2 of a constant target)."""
    metrics = getattr(result, "metrics", None) or {}
    values = metrics.get(block) or {}
    value = values.get(name)
    if value is None:
        return None
    value = float(value)
    return value if math.isfinite(value) else None


def best_branch(results: list[Any], task: str) -> int | None:
    """The engine's rule (engine.run.finish): lowest RMSECV, or highest balanced accuracy."""
    ok = [r for r in results if getattr(r, "status", None) == "ok" and r.metrics.get("cv")]
    if not ok:
        return None
    classification = task == "classification"
    return min(ok, key=lambda r: (M.ranking_key(r.metrics["cv"], classification), r.id)).id


def short_name(steps: Sequence[Any]) -> str:
    """A branch that fits a table cell, from its JSON steps (BranchResult.steps): each step's
    registry abbrev and its explicit parameter values only, e.g. "SG(11, 2, 1) > PLS(10)"
    for SavitzkyGolay(window_length=11, polyorder=2, deriv=1) > PLSRegression(n_components=10);
    a dotted-path class shows its own name. The full name stays in tooltips and files."""
    parts = []
    for step in steps:
        name = step_class(step)
        entry = get_entry(name)
        label = entry.short if entry is not None else name.rsplit(".", 1)[-1]
        params = step_params(step)
        if params:
            label += "(" + ", ".join(repr(v) if isinstance(v, str) else str(v)
                                     for v in params.values()) + ")"
        parts.append(label)
    return " > ".join(parts)


def branch_label(name: str, steps: Sequence[Any] | None) -> str:
    """The short name when the branch's steps are known, else its full name (a row listed
    before its result arrives, a saved run without steps)."""
    return short_name(steps) if steps else name


def format_number(value: float | None, digits: int = 4) -> str:
    if value is None or not math.isfinite(value):
        return "\u2013"
    return f"{value:.{digits}g}"


def format_params(params: dict[str, Any] | None) -> str:
    """Best params in one short line: alpha=0.0123, n_components=9."""
    if not params:
        return ""
    parts = []
    for key, value in params.items():
        short = key.rsplit("__", 1)[-1]
        parts.append(f"{short}={format_number(value) if isinstance(value, float) else value}")
    return ", ".join(parts)


# -- predictions ---------------------------------------------------------------------------------
@dataclass(frozen=True)
class Part:
    """One partition's points: dataset rows, observed and predicted values (finite pairs only
    for regression; rows the splitter never held out are left out)."""

    name: str                 # "cv" or "test"
    rows: np.ndarray          # dataset row indices
    observed: np.ndarray
    predicted: np.ndarray

    @property
    def n(self) -> int:
        return int(self.rows.size)

    @property
    def residual(self) -> np.ndarray:
        """predicted - observed (the sign of the engine's bias)."""
        return self.predicted.astype(np.float64) - self.observed.astype(np.float64)

    def stats(self, classification: bool) -> dict[str, float | None]:
        if self.n == 0:
            return {}
        return M.score(self.observed, self.predicted, classification)


@dataclass(frozen=True)
class Context:
    """What the views need from the dataset a run used, captured when the run starts (the user
    may switch the target or open another dataset while results are on screen)."""

    y: np.ndarray                  # the run's target, all rows
    sample_ids: np.ndarray
    train_indices: np.ndarray
    test_indices: np.ndarray
    target: str
    task: str                      # "regression" | "classification"
    dataset_name: str = ""

    @classmethod
    def from_dataset(cls, dataset: Any, train_indices: np.ndarray | None = None,
                     test_indices: np.ndarray | None = None, task: str | None = None,
                     target: str | None = None) -> Context:
        """``target``: the run's target (a saved run names it; the dataset may have another
        one selected now); default the dataset's current target."""
        train = dataset.train_indices if train_indices is None else np.asarray(train_indices)
        test = dataset.test_indices if test_indices is None else np.asarray(test_indices)
        if target is None or target not in dataset.targets:
            target = dataset.target
        y = np.asarray(dataset.targets[target])
        if task is None:  # the engine's task for the target (the user may have chosen classes)
            task = dataset.task(target) if hasattr(dataset, "task") and target else \
                ("classification" if y.dtype.kind in "UOS" else "regression")
        if task == "classification" and y.dtype.kind not in "UOS":
            from engine.dataset import code_labels

            y = code_labels(y)  # numeric codes chosen as classes: labels "1", "2" as predicted
        return cls(y=y, sample_ids=np.asarray(dataset.sample_ids).astype(str),
                   train_indices=train.astype(np.intp), test_indices=test.astype(np.intp),
                   target=str(target or "target"), task=task,
                   dataset_name=str(getattr(dataset, "name", "")))

    @property
    def classification(self) -> bool:
        return self.task == "classification"


def parts(result: Any, ctx: Context) -> tuple[Part | None, Part | None]:
    """(cv, test) points of one branch; None when the branch has no such predictions.

    A prediction array whose length does not match its index array (a run on another split)
    is refused with a ValueError rather than plotted against the wrong samples.
    """
    return (_part("cv", getattr(result, "oof_predictions", None), ctx.train_indices, ctx),
            _part("test", getattr(result, "test_predictions", None), ctx.test_indices, ctx))


def _part(name: str, pred: np.ndarray | None, rows: np.ndarray, ctx: Context) -> Part | None:
    if pred is None:
        return None
    pred = np.asarray(pred)
    if rows.size and int(rows.max()) >= ctx.y.shape[0]:
        raise ValueError(f"these results refer to row {int(rows.max()) + 1} but the dataset has "
                         f"{ctx.y.shape[0]} rows: they belong to another dataset")
    if pred.shape[0] != rows.size:
        label = "training" if name == "cv" else "test"
        raise ValueError(f"{pred.shape[0]} {name} predictions for {rows.size} {label} rows: "
                         f"these results belong to another split of the data")
    observed = ctx.y[rows]
    if ctx.classification:
        keep = np.array([p is not None for p in pred], dtype=bool) if pred.dtype == object \
            else np.ones(pred.size, dtype=bool)
    else:
        pred = pred.astype(np.float64)
        observed = observed.astype(np.float64)
        keep = np.isfinite(pred) & np.isfinite(observed)
    return Part(name, rows[keep], observed[keep], pred[keep])


# -- curves and search history -----------------------------------------------------------------
def components_curve(result: Any) -> tuple[np.ndarray, np.ndarray] | None:
    curve = getattr(result, "curve", None)
    if not curve or not curve.get("n_components"):
        return None
    k = np.asarray(curve["n_components"], dtype=np.float64)
    rmse = np.asarray([np.nan if v is None else v for v in curve["rmsecv"]], dtype=np.float64)
    return k, rmse


def chosen_components(result: Any) -> int | None:
    """The component count the branch ended with: the tuned one, else the model's own."""
    params = getattr(result, "best_params", None) or {}
    for key, value in params.items():
        if key.rsplit("__", 1)[-1] == "n_components":
            return int(value)
    steps = getattr(result, "steps", None) or []
    if steps:
        last = steps[-1]
        if isinstance(last, dict):
            model = last.get("model", last)
            value = (model.get("params") or {}).get("n_components")
            if value is not None:
                return int(value)
    return None


@dataclass(frozen=True)
class History:
    """An Optuna (or exact-sweep) search: value per trial and the best value so far."""

    number: np.ndarray        # trial numbers of completed trials
    value: np.ndarray
    best_so_far: np.ndarray   # aligned with number
    metric: str
    direction: str            # "minimize" | "maximize"
    n_failed: int
    method: str


def search_history(result: Any) -> History | None:
    trials = getattr(result, "trials", None)
    if not trials:
        return None
    tuning = getattr(result, "tuning", None) or {}
    metric = str(tuning.get("metric") or "rmse")
    from engine.tuning.space import METRICS

    direction = METRICS.get(metric, ("", "minimize"))[1]
    done = [t for t in trials if t.get("value") is not None and math.isfinite(float(t["value"]))]
    number = np.asarray([t.get("number", i) for i, t in enumerate(done)], dtype=np.float64)
    value = np.asarray([float(t["value"]) for t in done], dtype=np.float64)
    best = (np.minimum.accumulate(value) if direction == "minimize"
            else np.maximum.accumulate(value)) if value.size else value
    return History(number, value, best, metric, direction, len(trials) - len(done),
                   str(tuning.get("method") or "optuna"))


METRIC_LABELS = {"rmse": "RMSECV", "mae": "MAE (CV)", "r2": "R\u00b2 CV",
                 "accuracy": "Accuracy (CV)", "balanced_accuracy": "Balanced accuracy (CV)",
                 "f1_macro": "Macro F1 (CV)"}
