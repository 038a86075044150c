"""Evaluate every branch of a pipeline by cross-validation, refit, and score the test part.

This module decides *what* to compute (folds, tasks, merging, metrics); it runs the tasks in
order in this process. The parallel executor (next issue) runs the same (branch, fold) tasks
on a pool and merges them with the same code, so both give identical numbers.
"""
from __future__ import annotations

import re
import time
import traceback
from dataclasses import dataclass
from typing import Any, Callable

import numpy as np
from sklearn.base import is_classifier, is_regressor
from sklearn.pipeline import Pipeline

from engine import metrics as M
from engine.dataset import SpectralDataset
from engine.errors import InputError
from engine.pipeline import ConcreteBranch, ExpandedPipeline, parse_pipeline
from engine.results import BranchResult, RunResult
from engine.tasks import REFIT, FoldResult, fit_predict

Log = Callable[[str], None]


@dataclass
class PreparedBranch:
    """A branch made concrete for one dataset: its unfitted pipeline and its folds.

    folds are index arrays into the FULL dataset (training rows only), computed once in the
    main process so that every executor sees the same splits in the same order.
    """

    branch: ConcreteBranch
    pipeline: Pipeline
    folds: list[tuple[np.ndarray, np.ndarray]]
    error: str | None = None


def build_pipeline(branch: ConcreteBranch, wavelengths: np.ndarray, seed: int) -> Pipeline:
    """The branch's sklearn Pipeline with wavelengths injected and unset seeds filled in.

    Operators that declare ``needs_wavelengths`` get the wavelength axis as it is at their
    position (earlier crops shorten it); any ``random_state`` left at None gets ``seed`` so
    that a run is reproducible and a parallel run equals a sequential one.
    """
    pipeline = branch.build_pipeline()
    current = np.asarray(wavelengths, dtype=np.float64)
    for _, step in pipeline.steps:
        params = step.get_params(deep=False)
        if getattr(step, "needs_wavelengths", False):
            step.set_params(wavelengths=current)
        if "random_state" in params and params["random_state"] is None:
            step.set_params(random_state=seed)
        if hasattr(step, "transform_wavelengths"):
            current = np.asarray(step.transform_wavelengths(current))
    return pipeline


def make_folds(branch: ConcreteBranch, dataset: SpectralDataset, seed: int) -> list[tuple[np.ndarray, np.ndarray]]:
    """Split the training rows with the branch's splitter; indices refer to the full dataset.

    GroupKFold keeps rows with the same sample id together (replicate scans of one sample).
    Too few training samples for the requested folds is the user's input problem (exit 2).
    """
    import copy

    splitter = copy.deepcopy(branch.splitter.estimator)  # splitters are not sklearn estimators
    unset = getattr(splitter, "random_state", 0) is None and getattr(splitter, "shuffle", True)
    if branch.splitter_is_default or unset:
        splitter.random_state = seed  # the default KFold(5, shuffle) follows --seed (0 by default)
    train = dataset.train_indices
    n_splits = getattr(splitter, "n_splits", None)
    if isinstance(n_splits, int) and n_splits > train.size:
        raise InputError(f"only {train.size} training samples for {branch.splitter.label()} "
                         f"({n_splits} folds); use fewer folds or more samples",
                         file=dataset.metadata.get("path", dataset.name))
    X_train, y_train = dataset.X[train], dataset.y[train]
    # only group-aware splitters get groups (others warn that they ignore them)
    groups = dataset.sample_ids[train] if "Group" in type(splitter).__name__ else None
    try:
        splits = list(splitter.split(X_train, y_train, groups))
    except ValueError as exc:
        raise InputError(f"{branch.splitter.label()} cannot split the {train.size} training "
                         f"samples: {exc}", file=dataset.metadata.get("path", dataset.name)) from exc
    return [(train[a], train[b]) for a, b in splits]


def _task_mismatch(branch: ConcreteBranch, classification: bool, target: str) -> str | None:
    """A regression model on class labels (or the reverse) fails clearly instead of deep in sklearn."""
    model = branch.model.estimator
    if classification and is_regressor(model):
        return (f"{branch.model.class_name} is a regression model but target {target!r} holds "
                f"class labels; choose a classifier (e.g. PLSDA, LogisticRegression)")
    if not classification and is_classifier(model):
        return (f"{branch.model.class_name} is a classifier but target {target!r} is numeric; "
                f"choose a regression model (e.g. PLSRegression, Ridge)")
    return None


def prepare(expanded: ExpandedPipeline, dataset: SpectralDataset, seed: int) -> list[PreparedBranch]:
    prepared = []
    fold_cache: dict[int, list[tuple[np.ndarray, np.ndarray]]] = {}
    for branch in expanded.branches:
        if not branch.enabled:  # the user switched its model off in the editor
            continue
        key = id(branch.splitter)
        if key not in fold_cache:
            fold_cache[key] = make_folds(branch, dataset, seed)
        error = _task_mismatch(branch, dataset.is_classification, dataset.target or "")
        prepared.append(PreparedBranch(branch, build_pipeline(branch, dataset.wavelengths, seed),
                                       fold_cache[key], error))
    return prepared


def branch_tasks(prep: PreparedBranch, dataset: SpectralDataset) -> list[tuple]:
    """The (branch, fold) tasks of one branch, then its refit task, as fit_predict arguments."""
    bid = prep.branch.id
    tasks = [(bid, k, prep.pipeline, tr, va) for k, (tr, va) in enumerate(prep.folds)]
    tasks.append((bid, REFIT, prep.pipeline, dataset.train_indices, dataset.test_indices))
    return tasks


def merge_branch(prep: PreparedBranch, results: list[FoldResult], dataset: SpectralDataset) -> BranchResult:
    """Turn one branch's task results (any order) into its metrics, in fold order."""
    branch = prep.branch
    classification = dataset.is_classification
    out = BranchResult(id=branch.id, name=branch.name, steps=[s.to_json() for s in branch.steps],
                       group=branch.group)
    by_fold = {r.fold: r for r in results}
    cv = [by_fold[k] for k in range(len(prep.folds))]
    refit = by_fold[REFIT]
    y = dataset.y
    idx = np.concatenate([r.predict_idx for r in cv])
    pred = np.concatenate([r.predictions for r in cv])
    out.metrics = {"cv": M.score(y[idx], pred, classification), "test": None}
    out.oof_predictions = _per_row(dataset.train_indices, idx, pred, classification)
    if refit.predict_idx.size:
        out.test_predictions = refit.predictions
        out.metrics["test"] = M.score(y[refit.predict_idx], refit.predictions, classification)
    out.model = refit.model
    out.fold_seconds = [r.seconds for r in cv]
    out.refit_seconds = refit.seconds
    out.seconds = sum(out.fold_seconds) + refit.seconds
    out.warnings = _distinct_warnings(w for r in cv + [refit] for w in r.warnings)
    return out


def _distinct_warnings(messages) -> list[str]:
    """One entry per kind of warning: the same ConvergenceWarning from five folds differs only
    in its numbers (duality gap), which would bury the one warning that matters."""
    seen: dict[str, str] = {}
    for message in messages:
        seen.setdefault(re.sub(r"\d[\d.e+-]*", "#", message), message)
    return list(seen.values())


def _per_row(train: np.ndarray, idx: np.ndarray, pred: np.ndarray, classification: bool) -> np.ndarray:
    """Out-of-fold predictions aligned with the training rows (mean of repeats, NaN if never held out)."""
    position = np.searchsorted(train, idx)
    if classification:
        per_row = np.full(train.size, None, dtype=object)
        per_row[position] = pred  # repeated hold-outs: the last one wins
        return per_row
    total = np.zeros(train.size)
    count = np.zeros(train.size)
    np.add.at(total, position, pred.astype(np.float64))
    np.add.at(count, position, 1.0)
    with np.errstate(invalid="ignore", divide="ignore"):
        return np.where(count > 0, total / count, np.nan)


def failed_branch(prep: PreparedBranch, error: str, seconds: float = 0.0) -> BranchResult:
    return BranchResult(id=prep.branch.id, name=prep.branch.name,
                        steps=[s.to_json() for s in prep.branch.steps], status="failed",
                        error=error, seconds=seconds, group=prep.branch.group)


def _error_text(exc: BaseException) -> str:
    """One line for the user: the exception type and message, not the traceback."""
    last = traceback.format_exception_only(type(exc), exc)[-1].strip()
    return last


def sequential_plan(expanded: ExpandedPipeline) -> list[dict[str, Any]]:
    """The "parallel" section for a sequential run: every branch step runs with one worker."""
    return [{"step": g.where, "mode": "sequential", "workers": 1, "reasons": []}
            for g in expanded.groups]


def run(pipeline: Any, dataset: SpectralDataset, *, verbose: int = 1, seed: int = 0,
        target: str | None = None, log: Log = print) -> RunResult:
    """Cross-validate every branch on the training rows, refit on all of them, score the test rows.

    A branch that raises is reported as failed with its error text; the others still run.
    Bad input (unknown target, too few samples for the folds, invalid spec) raises a
    NirdeskInputError before any work starts.
    """
    start = time.perf_counter()
    expanded = pipeline if isinstance(pipeline, ExpandedPipeline) else parse_pipeline(pipeline)
    if target is not None:
        dataset.select_target(target)
    prepared = prepare(expanded, dataset, seed)
    results: list[BranchResult] = []
    for prep in prepared:
        results.append(_run_branch_sequentially(prep, dataset))
        if verbose >= 1:
            log(_branch_line(results[-1], dataset.is_classification))
    return finish(expanded, dataset, results, start, verbose, log)


def _run_branch_sequentially(prep: PreparedBranch, dataset: SpectralDataset) -> BranchResult:
    if prep.error:
        return failed_branch(prep, prep.error)
    t0 = time.perf_counter()
    try:
        done = [fit_predict(*task[:3], dataset.X, dataset.y, *task[3:])
                for task in branch_tasks(prep, dataset)]
        return merge_branch(prep, done, dataset)
    except Exception as exc:  # one branch's failure must not abort the others
        return failed_branch(prep, _error_text(exc), time.perf_counter() - t0)


def finish(expanded: ExpandedPipeline, dataset: SpectralDataset, results: list[BranchResult],
           start: float, verbose: int, log: Log, plan: list[dict[str, Any]] | None = None) -> RunResult:
    classification = dataset.is_classification
    ok = [b for b in results if b.status == "ok"]
    best = min(ok, key=lambda b: M.ranking_key(b.metrics["cv"], classification)).id if ok else None
    result = RunResult(dataset=dataset.summary(), branches=results,
                       parallel=plan if plan is not None else sequential_plan(expanded),
                       best_branch=best, seconds=time.perf_counter() - start,
                       task="classification" if classification else "regression",
                       train_indices=dataset.train_indices, test_indices=dataset.test_indices)
    if verbose >= 2:
        log(timing_table(result))
    return result


def _fmt(value: float | None) -> str:
    return "-" if value is None else f"{value:.4g}"


def _branch_line(b: BranchResult, classification: bool) -> str:
    if b.status != "ok":
        return f"[{b.id}] {b.name}: {b.status.upper()} - {b.error}"
    key = "balanced_accuracy" if classification else "rmse"
    label = "BAcc CV" if classification else "RMSECV"
    test = b.metrics["test"]
    tail = f", {'BAcc test' if classification else 'RMSEP'} {_fmt(test[key])}" if test else ""
    line = f"[{b.id}] {b.name}: {label} {_fmt(b.metrics['cv'][key])}{tail} ({b.seconds:.2f} s)"
    if b.warnings:
        line += f"\n    warning: {b.warnings[0]}" + (f" (+{len(b.warnings) - 1} more)" if len(b.warnings) > 1 else "")
    return line


def timing_table(result: RunResult) -> str:
    """The verbose=2 per-branch timing table: where the time went, branch by branch."""
    rows = [("id", "branch", "folds", "CV fit s", "refit s", "total s", "status")]
    for b in result.branches:
        rows.append((str(b.id), b.name if len(b.name) <= 60 else b.name[:57] + "...",
                     str(len(b.fold_seconds)), f"{sum(b.fold_seconds):.3f}", f"{b.refit_seconds:.3f}",
                     f"{b.seconds:.3f}", b.status))
    widths = [max(len(r[i]) for r in rows) for i in range(len(rows[0]))]
    lines = ["  ".join(c.ljust(w) for c, w in zip(r, widths)).rstrip() for r in rows]
    lines.insert(1, "  ".join("-" * w for w in widths))
    lines.append(f"wall time {result.seconds:.3f} s")
    return "\n".join(lines)
