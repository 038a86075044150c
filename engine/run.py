"""Evaluate every branch of a pipeline by cross-validation, refit, and score the test part.

This module decides *what* to compute: folds (once, in the main process), the jobs that turn
each branch into tasks (engine.jobs), the per-branch-step plan (engine.policy), and how the
results are merged into metrics. The tasks run either here, one after the other, or on the
shared worker pool (engine.executor); both paths go through the same task function and the
same merge, so a parallel run's numbers are identical to a sequential run's.
"""
from __future__ import annotations

import dataclasses
import functools
import re
import threading
import time
import warnings
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

import numpy as np
from sklearn.base import is_classifier, is_regressor
from sklearn.pipeline import Pipeline

from engine import metrics as M
from engine.dataset import SpectralDataset
from engine.errors import InputError, SpecError
from engine.events import (
    BranchDone,
    BranchFailed,
    EventCallback,
    RunCancelled,
    RunFinished,
    RunStarted,
    TaskDone,
    Throttled,
)
from engine.executor import Cancelled, Task, TaskPool, default_pool, error_text
from engine.jobs import BranchJob, OptunaJob, make_job
from engine.machine import DataFacts, MachineFacts, usable_cpus
from engine.pipeline import ConcreteBranch, ExpandedPipeline, parse_pipeline
from engine.pipeline.datacheck import check_branch_against_data
from engine.pipeline.preprocess import build_pipeline
from engine.policy import GroupPlan, decide, estimate_task_seconds
from engine.results import BranchResult, RunResult
from engine.splitters import needs_spectra
from engine.tasks import REFIT, FoldResult, execute_task

if TYPE_CHECKING:
    from engine.tuning.runner import Outcome

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


def make_folds(branch: ConcreteBranch, dataset: SpectralDataset,
               seed: int) -> list[tuple[np.ndarray, np.ndarray]]:
    """Split the training rows with the branch's splitter; indices refer to the full dataset.

    GroupKFold keeps rows of one group together (``dataset.groups``: the sample id, or the
    shared id of replicate scans of one sample from a spectrum-folder import).
    Too few training samples for the requested folds is the user's input problem (exit 2).
    """
    import copy

    splitter = copy.deepcopy(branch.splitter.estimator)  # splitters are not sklearn estimators
    unset = getattr(splitter, "random_state", 0) is None and getattr(splitter, "shuffle", True)
    if branch.splitter_is_default or unset:
        # the default KFold(5, shuffle) follows --seed (0 by default)
        splitter.random_state = seed
    train = dataset.train_indices
    n_splits = getattr(splitter, "n_splits", None)
    if isinstance(n_splits, int) and n_splits > train.size:
        raise InputError(f"only {train.size} training samples for {branch.splitter.label()} "
                         f"({n_splits} folds); use fewer folds or more samples",
                         file=dataset.metadata.get("path", dataset.name))
    y_train = dataset.y[train]
    # a splitter that only counts rows gets a one-column stand-in, not a copy of the spectra
    X_train = dataset.X[train] if needs_spectra(splitter) else np.zeros((train.size, 1))
    # only group-aware splitters get groups (others warn that they ignore them)
    all_groups = dataset.groups if dataset.groups is not None else dataset.sample_ids
    groups = all_groups[train] if "Group" in type(splitter).__name__ else None
    try:
        splits = list(splitter.split(X_train, y_train, groups))
    except ValueError as exc:
        raise InputError(f"{branch.splitter.label()} cannot split the {train.size} training "
                         f"samples: {exc}",
                         file=dataset.metadata.get("path", dataset.name)) from exc
    return [(train[a], train[b]) for a, b in splits]


def _task_mismatch(branch: ConcreteBranch, classification: bool, target: str) -> str | None:
    """A regression model on class labels (or the reverse) fails clearly instead of deep in
    sklearn."""
    model = branch.model.estimator
    if classification and is_regressor(model):
        return (f"{branch.model.class_name} is a regression model but target {target!r} holds "
                f"class labels; choose a classifier (e.g. PLSDA, LogisticRegression)")
    if not classification and is_classifier(model):
        return (f"{branch.model.class_name} is a classifier but target {target!r} is numeric; "
                f"choose a regression model (e.g. PLSRegression, Ridge)")
    return None


def prepare(expanded: ExpandedPipeline, dataset: SpectralDataset,
            seed: int) -> list[PreparedBranch]:
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


def merge_branch(prep: PreparedBranch, results: list[FoldResult],
                 dataset: SpectralDataset) -> BranchResult:
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
    out.metrics = {"cal": calibration_metrics(refit.model, dataset),
                   "cv": M.score(y[idx], pred, classification), "test": None}
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


#: values (rows x columns) of calibration spectra predicted at once (RMSEC)
CAL_BLOCK_VALUES = 2**22


def calibration_metrics(model: Any, dataset: SpectralDataset) -> dict[str, float | None]:
    """The refitted model's figures on its own calibration rows (RMSEC, R2 cal, ...).

    Why: RMSEC beside RMSECV is how a chemometrician sees over-fitting at a glance (RMSEC far
    below RMSECV: too many components). The refit already fitted on exactly these rows, so
    predicting them is all it costs; done here in the main process, on one BLAS thread, so a
    parallel run reports bit for bit what a sequential one does.
    """
    from threadpoolctl import threadpool_limits

    train = dataset.train_indices
    step = max(1, CAL_BLOCK_VALUES // max(dataset.n_wavelengths, 1))
    with threadpool_limits(limits=1):   # a block of rows at a time: no copy of all of them
        predicted = np.concatenate([np.asarray(model.predict(dataset.X[train[i:i + step]]))
                                    for i in range(0, max(train.size, 1), step)])
    if predicted.ndim == 2 and predicted.shape[1] == 1:
        predicted = predicted[:, 0]
    return M.score(dataset.y[train], predicted, dataset.is_classification)


def attach_diagnostics(result: BranchResult, dataset: SpectralDataset) -> None:
    """The refitted model's latent space and the calibration rows outside its 99 % limits.

    Computed here, in the main process after the refit, from the model and the training rows
    alone, so it never changes a metric and a parallel run gets exactly what a sequential one
    does (one BLAS thread, whichever thread calls). A failure in the diagnostics never fails
    the branch: it becomes a warning on the branch and ``outliers`` stays None.
    """
    if result.status != "ok" or result.model is None:
        return
    from threadpoolctl import threadpool_limits

    from engine.diagnostics import calibration_assessment, outliers

    start = time.perf_counter()
    train = dataset.train_indices
    try:
        with threadpool_limits(limits=1):
            # the calibration spectra through the model's preprocessing once, a block of rows
            # at a time (no copy of the raw rows), for both the latent space and the outliers
            latent, judged = calibration_assessment(result.model, dataset.X, train,
                                                    dataset.wavelengths)
            found = None
            if judged is not None:
                found = outliers(judged, dataset.sample_ids, train)
    except Exception as exc:  # noqa: BLE001 - diagnostics are extra; the branch stands
        result.warnings.append(f"diagnostics (T2/Q outliers) could not be computed: "
                               f"{error_text(exc)}")
        latent = found = None
    result.diagnostics, result.outliers = latent, found
    result.diagnostics_seconds = time.perf_counter() - start


def _check_target_varies(dataset: SpectralDataset) -> None:
    """A target with one value (or one class) over the training rows leaves nothing to model:
    every metric is undefined (R2 0/0, RPD over sd 0) and the fits only warn. Refused."""
    if dataset.target is None or dataset.n_train == 0:
        return
    y = dataset.y[dataset.train_indices]
    where = dataset.metadata.get("path", dataset.name)
    if y.size == 1:
        raise InputError("only 1 training sample: a model needs several (cross-validation at "
                         "least one per fold)", file=where)
    if y.size and bool(np.all(y == y[0])):
        kind = "class" if dataset.is_classification else "value"
        raise InputError(f"target {dataset.target!r} has the same {kind} ({y[0]}) for all "
                         f"{y.size} training samples: there is nothing to model", file=where)


def _distinct_warnings(messages: Iterable[str]) -> list[str]:
    """One entry per kind of warning: the same ConvergenceWarning from five folds differs only
    in its numbers (duality gap), which would bury the one warning that matters."""
    seen: dict[str, str] = {}
    for message in messages:
        seen.setdefault(re.sub(r"\d[\d.e+-]*", "#", message), message)
    return list(seen.values())


def _per_row(train: np.ndarray, idx: np.ndarray, pred: np.ndarray,
             classification: bool) -> np.ndarray:
    """Out-of-fold predictions aligned with the training rows (mean of repeats, NaN if never
    held out)."""
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


class _Collector:
    """Routes task results to their branch's job, finishes a branch when its job is complete,
    and emits the progress events. Used by both the pool and the in-process path, so both
    produce the same BranchResults in the same (branch id) order."""

    def __init__(self, prepared: list[PreparedBranch], dataset: SpectralDataset, emit: Throttled,
                 verbose: int, log: Log, start: float) -> None:
        self.prepared = {p.branch.id: p for p in prepared}
        self.dataset = dataset
        self.emit = emit
        self.verbose = verbose
        self.log = log
        self.start = start
        self.jobs: dict[int, BranchJob] = {}
        self.counted: dict[int, int] = {bid: 0 for bid in self.prepared}
        self.expected: dict[int, int] = {bid: len(p.folds) + 1 for bid, p in self.prepared.items()}
        self.results: dict[int, BranchResult] = {}
        self.done = 0

    @property
    def total(self) -> int:
        return sum(self.expected.values())

    def register(self, jobs: list[BranchJob]) -> None:
        for job in jobs:
            self.jobs[job.bid] = job
            self.expected[job.bid] = job.expected_tasks

    def progress(self, bid: int, fold: int) -> None:
        self.done += 1
        self.counted[bid] += 1
        self.emit(TaskDone(bid, fold, self.done, self.total, time.perf_counter() - self.start,
                           self.counted[bid], max(self.expected[bid], self.counted[bid])))

    def on_result(self, part: FoldResult) -> None:
        bid = part.branch_id
        if bid in self.results:
            return
        job = self.jobs[bid]
        job.take(part)
        self.progress(bid, part.fold)
        if job.complete:
            # warnings of the main process's share (metrics, calibration, diagnostics) join
            # the branch's, as the folds' do: once each, never raw lines on stderr
            with warnings.catch_warnings(record=True) as caught:
                warnings.simplefilter("always")
                try:
                    result = job.finish(merge_branch)
                except Exception as exc:  # noqa: BLE001 - a failed merge fails the branch
                    self.on_failure(bid, error_text(exc))
                    return
                attach_diagnostics(result, self.dataset)
            result.warnings = _distinct_warnings(
                result.warnings + [f"{w.category.__name__}: {str(w.message).splitlines()[0]}"
                                   for w in caught
                                   if not issubclass(w.category, ResourceWarning)])
            self._finish(result)

    def on_failure(self, bid: int, error: str) -> None:
        if bid in self.results:
            return
        prep = self.prepared[bid]
        self.done += max(0, self.expected[bid] - self.counted[bid])  # dropped tasks count as done
        job = self.jobs.get(bid)
        seconds = sum(p.seconds for p in job.parts) if job else 0.0
        self._finish(failed_branch(prep, error, seconds))

    def _finish(self, result: BranchResult) -> None:
        self.results[result.id] = result
        if result.status == "ok":
            self.emit(BranchDone(result.id, result))
        else:
            self.emit(BranchFailed(result.id, result.error or "", result))
        if self.verbose >= 1:
            self.log(_branch_line(result, self.dataset.is_classification))

    def ordered(self) -> list[BranchResult]:
        """Every branch in id order; those that never finished are marked cancelled."""
        out = []
        for bid, prep in sorted(self.prepared.items()):
            result = self.results.get(bid)
            if result is None:
                result = failed_branch(prep, "cancelled before it finished")
                result.status = "cancelled"
            out.append(result)
        return out


def run(pipeline: Any, dataset: SpectralDataset, *, verbose: int = 1, seed: int = 0,
        target: str | None = None, log: Log = print, parallel_branches: int | None = None,
        on_event: EventCallback | None = None, cancel: threading.Event | None = None,
        pool: TaskPool | None = None, mode: str = "train",
        in_process_sequential: bool = True, study_storage: str | None = None,
        max_workers: int | None = None, machine: MachineFacts | None = None) -> RunResult:
    """Cross-validate every branch on the training rows, refit on all of them, score the test rows.

    The parallel policy decides, per branch step, whether its branches run on the worker
    pool (and with how many workers) or one after the other; ``parallel_branches`` overrides
    every branch step's n_jobs (1 = sequential, -1 = auto). Sequential groups run in this
    process when ``in_process_sequential`` (fastest, the CLI) or on a one-worker pool (the
    GUI: the window's process stays light and Cancel can kill the work at once).

    A branch that raises, or whose worker dies, is reported failed with its error; the others
    still run. Setting ``cancel`` stops the run: the pool is killed, finished branches are
    kept, the rest are marked cancelled, and the result has ``cancelled`` True.
    Finetuned branches are searched first (exact PLS component sweep, or Optuna trials on the
    same pool; ``study_storage`` keeps each branch's study in an Optuna storage URL), then
    refitted with the best parameters.

    ``max_workers`` caps the workers of every group and of parallel trials (the GUI's global
    worker count; None or -1 = every usable CPU). ``machine`` replaces the measured facts of
    this machine (a cluster backend passes its own cores and memory).

    Bad input (unknown target, too few samples for the folds, invalid spec) raises a
    NirdeskInputError before any work starts.
    """
    start = time.perf_counter()
    expanded = pipeline if isinstance(pipeline, ExpandedPipeline) else parse_pipeline(pipeline)
    if target is not None:
        dataset.select_target(target)
    _check_target_varies(dataset)
    prepared = prepare(expanded, dataset, seed)
    if not prepared:
        n = len(expanded.branches)
        raise SpecError(f"every model of the pipeline is disabled ({n} branch"
                        f"{'es' if n != 1 else ''}, none enabled): nothing to run; enable a "
                        "model step")
    for prep in prepared:  # parameters that cannot suit this data: refuse before any work
        check_branch_against_data(prep.branch, prep.pipeline, dataset.wavelengths,
                                  min(train.size for train, _ in prep.folds))
    for prep in prepared:  # finetune_params errors are input errors: refuse before any work
        finetune = prep.branch.model.finetune
        if finetune is not None:
            _check_finetune(prep, finetune, dataset.is_classification)
    pool = pool or default_pool()
    facts = machine or MachineFacts.current(pool_warm_workers=pool.warm_workers)
    if max_workers is not None and max_workers != -1:
        if isinstance(max_workers, bool) or not isinstance(max_workers, int) or max_workers < 1:
            raise ValueError(f"max_workers must be -1 (auto) or >= 1, got {max_workers!r}")
        facts = dataclasses.replace(facts, usable_cpus=min(facts.usable_cpus, max_workers))
    plan = decide(expanded, machine=facts, data=DataFacts.from_dataset(dataset), mode=mode,
                  override_n_jobs=parallel_branches)
    emit = Throttled(on_event)
    # Every branch's job is made before the first task runs, so the run can announce how
    # many tasks each branch will report (the window sizes its progress bars from that).
    work = [_group_work(group, prepared, dataset, seed, in_process_sequential, study_storage,
                        expanded.name) for group in plan.groups]
    collector = _Collector(prepared, dataset, emit, verbose, log, start)
    for part in work:
        collector.register(part.jobs)
    planned: dict[int, int | None] = dict(collector.expected)
    planned.update({job.bid: job.planned_tasks for part in work for job in part.jobs})
    emit(RunStarted(len(prepared), collector.total, plan.to_json(),
                    {p.branch.id: p.branch.name for p in prepared},
                    [list(g.branch_ids) for g in plan.groups],
                    {p.branch.id: planned[p.branch.id] for p in prepared},
                    {p.branch.id: p.branch.model.finetune is not None for p in prepared},
                    {p.branch.id: [s.to_json() for s in p.branch.steps] for p in prepared}))
    if verbose >= 1:
        for reason in (r for g in plan.groups for r in g.reasons if r.severity == "warning"):
            log(f"warning: {reason.message}" + (f" - fix: {reason.fix}" if reason.fix else ""))
    cancelled = False
    try:
        for part in work:
            for bid, error in part.failures:
                collector.on_failure(bid, error)
            if part.jobs:
                _run_group(part.group, part.jobs, dataset, collector, pool, cancel,
                           in_process_sequential)
    except Cancelled:
        cancelled = True
    result = finish(expanded, dataset, collector.ordered(), start, verbose, log, plan.to_json())
    result.cancelled = cancelled
    emit(RunCancelled(result) if cancelled else RunFinished(result))
    return result


# Groups forced sequential because their models manage threads themselves get every CPU.
OWN_THREADS_REASONS = frozenset({"model_n_jobs", "neural_network", "gpu", "blas_bound"})


def inner_threads(group: GroupPlan) -> int:
    """BLAS/OpenMP threads per task.

    One thread per task for ordinary groups, whether they run in parallel or not: workers x 1
    never exceeds the CPUs, and a sequential run then computes bit-for-bit what a parallel one
    does (a BLAS reduction split over 2 threads rounds differently). Measured here, 1 thread was
    also faster for sequential PLS/Ridge/Lasso branches on tablet-sized data (4.2 s vs 4.9 s).
    Groups that are sequential because their model brings its own threads (n_jobs, neural nets,
    GPU, large BLAS-bound fits) get all usable CPUs.
    """
    if group.mode == "sequential" and any(r.code in OWN_THREADS_REASONS for r in group.reasons):
        return usable_cpus()
    return 1


def _check_finetune(prep: PreparedBranch, finetune: dict[str, Any],
                    classification: bool) -> None:
    """Refuse bad finetune_params (SpecError naming the branch, with the model's address)."""
    from engine.tuning.space import grid_space, parse_finetune, resolve_param

    where = f"branch {prep.branch.id} ({prep.branch.name})"
    try:
        config = parse_finetune(finetune, classification=classification, where=where)
        for dim in config.dimensions:
            resolve_param(prep.pipeline, dim.key, where=where)
        if config.sampler == "grid":  # a float range has no grid: say so now, not per fold
            grid_space(config.dimensions, where=where)
    except SpecError as exc:
        if exc.path is not None or prep.branch.model.path is None:
            raise
        raise SpecError(exc.message, where=exc.where, path=prep.branch.model.path) from None


@dataclass
class _GroupWork:
    """One plan entry made concrete: a job per branch that can run, and the branches that
    fail before running (their errors are reported when the group's turn comes)."""

    group: GroupPlan
    jobs: list[BranchJob]
    failures: list[tuple[int, str]]


def _group_work(group: GroupPlan, prepared: list[PreparedBranch], dataset: SpectralDataset,
                seed: int, in_process_sequential: bool, study_storage: str | None,
                name: str) -> _GroupWork:
    ids = set(group.branch_ids)
    work = _GroupWork(group, [], [])
    for prep in (p for p in prepared if p.branch.id in ids):
        if prep.error:
            work.failures.append((prep.branch.id, prep.error))
            continue
        cost = functools.partial(_task_cost, prep.branch, dataset.n_wavelengths)
        try:
            work.jobs.append(make_job(prep, dataset, group, seed=seed, cost=cost,
                                      storage=study_storage, study_prefix=name,
                                      searches_in_process=in_process_sequential))
        except Exception as exc:  # noqa: BLE001 - reported on the branch
            work.failures.append((prep.branch.id, error_text(exc)))
    return work


def _run_group(group: GroupPlan, jobs: list[BranchJob], dataset: SpectralDataset,
               collector: _Collector, pool: TaskPool, cancel: threading.Event | None,
               in_process_sequential: bool) -> None:
    """One branch step: known tasks first, then the searches, then the tuned refits."""
    threads = inner_threads(group)
    in_process = group.mode == "sequential" and in_process_sequential
    workers = group.workers if group.mode == "parallel" else 1

    def execute(tasks: list[Task]) -> None:
        if not tasks:
            return
        if in_process:
            _run_in_process(tasks, dataset, collector, cancel, threads)
        else:
            pool.run_tasks(tasks, pool.share(dataset.X, dataset.y), workers=workers,
                           threads=threads, on_result=collector.on_result,
                           on_failure=collector.on_failure, cancel=cancel)

    execute([t for job in jobs for t in job.first_tasks()])
    for job in jobs:
        if job.needs_search() and job.bid not in collector.results:
            assert isinstance(job, OptunaJob), "only an Optuna job searches in the main process"
            evaluate = _trial_evaluator(job, dataset, collector, pool, cancel, threads)
            try:
                job.search(evaluate)
            except Cancelled:
                raise
            except Exception as exc:  # noqa: BLE001 - e.g. every trial failed
                collector.on_failure(job.bid, error_text(exc))
    final = []
    for job in jobs:
        if job.bid not in collector.results:
            try:
                final += job.final_tasks()
            except Exception as exc:  # noqa: BLE001 - reported as the branch's failure
                collector.on_failure(job.bid, error_text(exc))
    execute(final)


def _task_cost(branch: ConcreteBranch, n_features: int, rows: int) -> float:
    return estimate_task_seconds(branch, rows, n_features)


def _trial_evaluator(job: OptunaJob, dataset: SpectralDataset, collector: _Collector,
                     pool: TaskPool, cancel: threading.Event | None,
                     threads: int) -> Callable[[list[dict[str, Any]], list[Any]], list[Outcome]]:
    """Evaluate a batch of Optuna trials: all their folds on the pool when trials run in
    parallel, else one after the other in this process (with pruning)."""
    from threadpoolctl import threadpool_limits

    from engine.tuning.runner import sequential_evaluator
    from engine.tuning.space import with_params

    folds, config = job.prep.folds, job.config
    classification = dataset.is_classification
    if job.trial_jobs <= 1:
        inner = sequential_evaluator(job.prep.pipeline, dataset.X, dataset.y, folds, config,
                                     classification)

        def evaluate_here(params_list: list[dict[str, Any]], trials: list[Any]) -> list[Outcome]:
            if cancel is not None and cancel.is_set():
                raise Cancelled()
            with threadpool_limits(limits=threads):
                outcomes = inner(params_list, trials)
            for _ in range(len(params_list) * len(folds)):
                collector.progress(job.bid, 0)
            return outcomes

        return evaluate_here

    def evaluate_on_pool(params_list: list[dict[str, Any]], trials: list[Any]) -> list[Outcome]:
        tasks = []
        for i, params in enumerate(params_list):
            pipe = with_params(job.prep.pipeline, params)
            tasks += [Task(i + 1, f, pipe, tr, va, job.cost(tr.size))
                      for f, (tr, va) in enumerate(folds)]
        parts: dict[tuple[int, int], FoldResult] = {}
        errors: dict[int, str] = {}

        def on_result(part: FoldResult) -> None:
            parts[(part.branch_id, part.fold)] = part
            collector.progress(job.bid, part.fold)

        pool.run_tasks(tasks, pool.share(dataset.X, dataset.y), workers=job.trial_jobs,
                       threads=1, on_result=on_result,
                       on_failure=lambda t, msg: errors.__setitem__(t, msg), cancel=cancel)
        outcomes: list[Outcome] = []
        for i in range(len(params_list)):
            if i + 1 in errors:
                outcomes.append({"value": None, "state": "FAIL", "seconds": 0.0, "folds": [],
                                 "error": errors[i + 1]})
                continue
            got = [parts[(i + 1, f)] for f in range(len(folds))]
            idx = np.concatenate([g.predict_idx for g in got])
            pred = np.concatenate([g.predictions for g in got])
            value = M.score(dataset.y[idx], pred, classification).get(config.metric)
            outcomes.append({"value": value, "state": "COMPLETE",
                             "seconds": sum(g.seconds for g in got),
                             "folds": [(g.predict_idx, g.predictions) for g in got],
                             "error": None})
        return outcomes

    return evaluate_on_pool


def _run_in_process(tasks: list[Task], dataset: SpectralDataset, collector: _Collector,
                    cancel: threading.Event | None, threads: int) -> None:
    """Sequential execution in the calling thread; Cancel is honoured between tasks."""
    from threadpoolctl import threadpool_limits

    failed: set[int] = set()
    with threadpool_limits(limits=threads):
        for task in tasks:
            if cancel is not None and cancel.is_set():
                raise Cancelled()
            if task.branch_id in failed or task.branch_id in collector.results:
                continue
            try:
                part = execute_task(task.kind, task.branch_id, task.fold, task.pipeline,
                                    dataset.X, dataset.y, task.train_idx, task.predict_idx,
                                    task.extra)
            except Exception as exc:  # noqa: BLE001 - one branch's failure must not abort the others
                failed.add(task.branch_id)
                collector.on_failure(task.branch_id, error_text(exc))
                continue
            collector.on_result(part)


def finish(expanded: ExpandedPipeline, dataset: SpectralDataset, results: list[BranchResult],
           start: float, verbose: int, log: Log,
           plan: list[dict[str, Any]] | None = None) -> RunResult:
    classification = dataset.is_classification
    ok = [b for b in results if b.status == "ok"]
    best = min(ok, key=lambda b: M.ranking_key(b.metrics["cv"], classification)).id if ok else None
    result = RunResult(dataset=dataset.summary(), branches=results,
                       parallel=plan or [],
                       best_branch=best, seconds=time.perf_counter() - start,
                       task="classification" if classification else "regression",
                       train_indices=dataset.train_indices, test_indices=dataset.test_indices)
    if verbose >= 2:
        # one message, the timing table last: it closes the run's output (the window's log
        # and `nirdesk run` end with its wall time)
        log(outlier_lines(result) + "\n" + timing_table(result))
    return result


def _fmt(value: float | None) -> str:
    return "-" if value is None else f"{value:.4g}"


def _branch_line(b: BranchResult, classification: bool) -> str:
    if b.status != "ok":
        return f"[{b.id}] {b.name}: {b.status.upper()} - {b.error}"
    key = "balanced_accuracy" if classification else "rmse"
    label = "BAcc CV" if classification else "RMSECV"
    test, cal = b.metrics["test"], b.metrics.get("cal")
    tail = f", {'BAcc test' if classification else 'RMSEP'} {_fmt(test[key])}" if test else ""
    head = f"{'BAcc cal' if classification else 'RMSEC'} {_fmt(cal[key])}, " if cal else ""
    line = (f"[{b.id}] {b.name}: {head}{label} {_fmt(b.metrics['cv'][key])}{tail} "
            f"({b.seconds:.2f} s)")
    if b.warnings:
        more = f" (+{len(b.warnings) - 1} more)" if len(b.warnings) > 1 else ""
        line += f"\n    warning: {b.warnings[0]}{more}"
    return line


def timing_table(result: RunResult) -> str:
    """The verbose=2 per-branch timing table: where the time went, branch by branch."""
    rows = [("id", "branch", "folds", "CV fit s", "refit s", "diag s", "total s", "status")]
    for b in result.branches:
        rows.append((str(b.id), b.name if len(b.name) <= 60 else b.name[:57] + "...",
                     str(len(b.fold_seconds)), f"{sum(b.fold_seconds):.3f}",
                     f"{b.refit_seconds:.3f}", f"{b.diagnostics_seconds:.3f}",
                     f"{b.seconds:.3f}", b.status))
    widths = [max(len(r[i]) for r in rows) for i in range(len(rows[0]))]
    lines = ["  ".join(c.ljust(w) for c, w in zip(r, widths, strict=True)).rstrip() for r in rows]
    lines.insert(1, "  ".join("-" * w for w in widths))
    lines.append(f"wall time {result.seconds:.3f} s")
    return "\n".join(lines)


#: --verbose 2 names at most this many outliers per branch (the results JSON has them all)
OUTLIERS_SHOWN = 20


def outlier_lines(result: RunResult) -> str:
    """The verbose=2 list of calibration samples outside the 99 % T2/Q limits, per branch."""
    lines = ["calibration samples outside the 99% T2/Q limits:"]
    n_train = 0 if result.train_indices is None else result.train_indices.size
    for b in result.branches:
        if b.status != "ok":
            continue
        head = f"[{b.id}] {b.name if len(b.name) <= 60 else b.name[:57] + '...'}"
        if b.outliers is None:
            lines.append(f"{head}: no diagnostics")
        elif not b.outliers:
            lines.append(f"{head}: none of {n_train}")
        else:
            shown = ", ".join(f"{o['id']} ({o['limit']})" for o in b.outliers[:OUTLIERS_SHOWN])
            more = len(b.outliers) - OUTLIERS_SHOWN
            tail = f" (+{more} more in the results JSON)" if more > 0 else ""
            lines.append(f"{head}: {len(b.outliers)} of {n_train}: {shown}{tail}")
    return "\n".join(lines)
