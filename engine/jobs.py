"""How each branch turns into tasks and back into a BranchResult.

A plain branch is its CV folds plus a refit. A PLS branch also gets the RMSECV-vs-components
curve (one fit per fold with a few extra components, truncated for every smaller k). A tuned
branch is searched first (exact PLS component sweep, or Optuna trials), then refitted on all
training rows with the best parameters; the refit model is the one that scores the test rows
and gets saved, so the tuned parameters can never be dropped on the way.

Jobs are plain objects driven by engine.run in two phases: ``first_tasks`` (everything whose
parameters are known), then, after an optional main-process ``search``, ``final_tasks``.
"""
from __future__ import annotations

import itertools
import time
from collections.abc import Callable
from typing import TYPE_CHECKING, Any

import numpy as np

from engine import metrics as M
from engine.dataset import SpectralDataset
from engine.executor import Task
from engine.fold import REFIT, FoldResult
from engine.results import BranchResult

if TYPE_CHECKING:  # scikit-learn at import: only for the type checker
    from engine.tuning.space import FinetuneConfig

CURVE_EXTRA_COMPONENTS = 5  # a plain PLS(k) branch's curve goes to k + 5 (where the data allow)


def metric_value(name: str, y_true: np.ndarray, y_pred: np.ndarray, classification: bool) -> float:
    value = M.score(y_true, y_pred, classification).get(name)
    return float("nan") if value is None else float(value)


class BranchJob:
    """A plain branch: folds + refit, merged by engine.run.merge_branch."""

    def __init__(self, prep: Any, dataset: SpectralDataset, cost: Callable[[int], float]) -> None:
        self.prep = prep
        self.dataset = dataset
        self.cost = cost
        self.parts: list[FoldResult] = []
        self.extra_json: dict[str, Any] = {}
        self.notes: list[str] = []  # the job's own warnings about its choices (branch warnings)
        self.search_seconds = 0.0  # a search run by the main process (its tasks are not parts)

    @property
    def bid(self) -> int:
        return self.prep.branch.id

    @property
    def expected_tasks(self) -> int:
        return len(self.prep.folds) + 1

    @property
    def planned_tasks(self) -> int | None:
        """The tasks this job reports if it runs to its end (a progress bar's total), from
        the folds actually made; None when only the run can tell (a timed search)."""
        return self.expected_tasks

    def first_tasks(self) -> list[Task]:
        tasks = [Task(self.bid, k, self.prep.pipeline, tr, va, self.cost(tr.size))
                 for k, (tr, va) in enumerate(self.prep.folds)]
        return tasks + [self._refit_task(self.prep.pipeline)]

    def _refit_task(self, pipeline: Any) -> Task:
        train, test = self.dataset.train_indices, self.dataset.test_indices
        return Task(self.bid, REFIT, pipeline, train, test, self.cost(train.size))

    def needs_search(self) -> bool:
        return False

    def final_tasks(self) -> list[Task]:
        return []

    def take(self, part: FoldResult) -> None:
        self.parts.append(part)

    @property
    def complete(self) -> bool:
        return len(self.parts) == self.expected_tasks

    def cv_parts(self) -> list[FoldResult]:
        """The fold results in the form merge_branch expects (1-D predictions per fold)."""
        return self.parts

    def finish(self, merge: Callable) -> BranchResult:
        result = merge(self.prep, self.cv_parts(), self.dataset)
        result.seconds = sum(p.seconds for p in self.parts) + self.search_seconds
        for key, value in self.extra_json.items():
            setattr(result, key, value)
        result.warnings = [*result.warnings, *self.notes]
        return result


class CurveJob(BranchJob):
    """A plain PLS branch: its folds are sweep tasks (every k up to k + 5), so the RMSECV curve
    comes for the price of a few more components; the CV predictions are those at k."""

    def __init__(self, prep: Any, dataset: SpectralDataset, cost: Callable[[int], float], k: int,
                 k_max: int) -> None:
        super().__init__(prep, dataset, cost)
        self.k, self.k_max = k, k_max

    def first_tasks(self) -> list[Task]:
        extra = {"params": {}, "k_max": self.k_max, "combo": 0}
        tasks = [Task(self.bid, f, self.prep.pipeline, tr, va, self.cost(tr.size), "sweep", extra)
                 for f, (tr, va) in enumerate(self.prep.folds)]
        return tasks + [self._refit_task(self.prep.pipeline)]

    def cv_parts(self) -> list[FoldResult]:
        folds = sorted((p for p in self.parts if p.fold != REFIT), key=lambda p: p.fold)
        curve = _curve(self.dataset, folds, self.k_max)
        self.extra_json["curve"] = curve
        return [_column(p, self.k - 1) for p in folds] + [p for p in self.parts if p.fold == REFIT]


class SweepJob(BranchJob):
    """A tuned PLS branch whose only numeric dimension is n_components: every k (and every
    combination of categorical preprocessing choices) is evaluated exactly by the same CV,
    one PLS fit per fold and combination, instead of refitting per Optuna trial."""

    def __init__(self, prep: Any, dataset: SpectralDataset, cost: Callable[[int], float],
                 config: FinetuneConfig, k_key: str, k_range: tuple[int, int],
                 combos: list[dict[str, Any]]) -> None:
        super().__init__(prep, dataset, cost)
        self.config, self.k_key, self.k_range, self.combos = config, k_key, k_range, combos
        self.best: dict[str, Any] = {}  # params, value, combo, k: set by _choose
        self.started = time.perf_counter()

    @property
    def expected_tasks(self) -> int:
        return len(self.combos) * len(self.prep.folds) + 1

    def first_tasks(self) -> list[Task]:
        self.started = time.perf_counter()  # jobs are made before the run starts its groups
        tasks = []
        for c, combo in enumerate(self.combos):
            extra = {"params": combo, "k_max": self.k_range[1], "combo": c}
            tasks += [Task(self.bid, f, self.prep.pipeline, tr, va, self.cost(tr.size), "sweep",
                           extra)
                      for f, (tr, va) in enumerate(self.prep.folds)]
        return tasks

    def final_tasks(self) -> list[Task]:
        from engine.tuning.space import with_params

        self._choose()
        return [self._refit_task(with_params(self.prep.pipeline, self.best["params"]))]

    def _choose(self) -> None:
        classification = self.dataset.is_classification
        lo, hi = self.k_range
        trials: list[dict[str, Any]] = []
        candidates: list[dict[str, Any]] = []
        sign = 1.0 if self.config.direction == "minimize" else -1.0
        per_trial = sum(p.seconds for p in self.parts) / max(1, len(self.combos) * (hi - lo + 1))
        for c, combo in enumerate(self.combos):
            folds = sorted((p for p in self.parts if p.extra and p.extra.get("combo") == c),
                           key=lambda p: p.fold)
            idx = np.concatenate([p.predict_idx for p in folds])
            y = self.dataset.y[idx]
            for k in range(lo, min(hi, folds[0].predictions.shape[1]) + 1):
                pred = np.concatenate([p.predictions[:, k - 1] for p in folds])
                value = metric_value(self.config.metric, y, pred, classification)
                per_fold = [metric_value(self.config.metric, self.dataset.y[p.predict_idx],
                                         p.predictions[:, k - 1], classification)
                            for p in folds]
                params = {**combo, self.k_key: k}
                trials.append({"number": len(trials), "params": params, "value": value,
                               "state": "COMPLETE", "seconds": per_trial})
                candidates.append({"params": params, "value": value, "combo": c, "k": k,
                                   "se": standard_error(per_fold)})
        if not candidates:
            raise RuntimeError(f"branch {self.bid}: no component count was evaluated")
        best = choose_components(candidates, sign, self.config.selection)
        self.best = best
        k_searched = max(c["k"] for c in candidates)
        if best["k"] == k_searched and k_searched > lo:
            self.notes.append(
                f"{self.k_key} = {best['k']} is the largest count searched ({lo}..{k_searched}):"
                f" the CV error may still fall with more components; widen the range, or"
                f" check the model is not fitting noise")
        combo_folds = sorted((p for p in self.parts
                              if p.extra and p.extra.get("combo") == best["combo"]),
                             key=lambda p: p.fold)
        minimum = min(candidates, key=lambda c: (sign * c["value"], c["k"]))
        self.extra_json.update(best_params=best["params"], trials=trials,
                               curve=_curve(self.dataset, combo_folds, hi),
                               tuning={"method": "exact_sweep", "evaluated": len(trials),
                                       "metric": self.config.metric,
                                       "selection": self.config.selection,
                                       "minimum": {"params": minimum["params"],
                                                   "value": minimum["value"]},
                                       "seconds": time.perf_counter() - self.started})

    def cv_parts(self) -> list[FoldResult]:
        folds = sorted((p for p in self.parts
                        if p.extra and p.extra.get("combo") == self.best["combo"]),
                       key=lambda p: p.fold)
        refit = [p for p in self.parts if p.fold == REFIT]
        return [_column(p, self.best["k"] - 1) for p in folds] + refit


class OptunaJob(BranchJob):
    """A tuned branch searched by Optuna (ask/tell in the main process).

    ``trial_jobs`` > 1: each batch of trials sends all its folds to the pool at once.
    ``in_worker``: branches run in parallel instead, so the whole search is one task in a
    worker (trials one after the other) and the main process only refits.
    """

    def __init__(self, prep: Any, dataset: SpectralDataset, cost: Callable[[int], float],
                 config: FinetuneConfig, seed: int, trial_jobs: int, in_worker: bool,
                 storage: str | None, study_name: str) -> None:
        super().__init__(prep, dataset, cost)
        self.config, self.seed, self.trial_jobs = config, seed, trial_jobs
        self.in_worker, self.storage, self.study_name = in_worker, storage, study_name
        self.search_result: dict[str, Any] = {}  # run_search's answer, once the search ran

    @property
    def expected_tasks(self) -> int:
        from engine.tuning.runner import trial_budget

        return (1 if self.in_worker else trial_budget(self.config) * len(self.prep.folds)) + 1

    @property
    def planned_tasks(self) -> int | None:
        if self.config.timeout and not self.in_worker:  # may stop after any trial
            return None
        return self.expected_tasks

    def first_tasks(self) -> list[Task]:
        if not self.in_worker:
            return []
        train = self.dataset.train_indices
        extra = {"config": self.config, "seed": self.seed, "folds": self.prep.folds}
        cost = self.cost(train.size) * self.config.n_trials * len(self.prep.folds)
        return [Task(self.bid, 0, self.prep.pipeline, train, train[:0], cost, "tune", extra)]

    def needs_search(self) -> bool:
        return not self.in_worker

    def search(self, evaluate_batch: Callable) -> None:
        from engine.tuning.runner import run_search

        self.search_result = run_search(self.prep.pipeline, self.config, self.seed,
                                        self.prep.folds, self.dataset.y,
                                        self.dataset.is_classification, evaluate_batch,
                                        batch_size=self.trial_jobs, storage=self.storage,
                                        study_name=self.study_name)
        self.search_seconds = self.search_result["seconds"]

    def take(self, part: FoldResult) -> None:
        if part.extra and "search" in part.extra:  # the in-worker search came back
            self.search_result = part.extra["search"]
            if self.storage:
                from engine.tuning.runner import record_trials

                record_trials(self.search_result, self.config, self.storage, self.study_name)
        self.parts.append(part)

    @property
    def complete(self) -> bool:
        return any(p.fold == REFIT for p in self.parts)

    def final_tasks(self) -> list[Task]:
        from engine.tuning.space import with_params

        best = self.search_result["best_params"]
        return [self._refit_task(with_params(self.prep.pipeline, best))]

    def cv_parts(self) -> list[FoldResult]:
        s = self.search_result
        self.extra_json.update(best_params=s["best_params"], trials=s["trials"],
                               tuning={"method": "optuna", "sampler": self.config.sampler,
                                       "n_trials": len(s["trials"]), "metric": self.config.metric,
                                       "trial_n_jobs": 1 if self.in_worker else self.trial_jobs,
                                       "seconds": s["seconds"]})
        folds = [FoldResult(self.bid, f, idx, pred, 0.0)
                 for f, (idx, pred) in enumerate(s["best_folds"])]
        return folds + [p for p in self.parts if p.fold == REFIT]


def standard_error(per_fold: list[float]) -> float:
    """The standard error of a CV estimate from its per-fold values (0 for one fold)."""
    values = np.asarray([v for v in per_fold if np.isfinite(v)], dtype=np.float64)
    if values.size < 2:
        return 0.0
    return float(values.std(ddof=1) / np.sqrt(values.size))


def choose_components(candidates: list[dict[str, Any]], sign: float, rule: str) -> dict[str, Any]:
    """The exact sweep's choice among its candidates (dicts with value, k, se).

    "minimum": the best value (the smaller k on a tie). "one_se": the smallest k whose value is
    within one standard error of the best one (the best's own per-fold standard error), the
    better value among equal k (Hastie, Tibshirani & Friedman 2009, sec. 7.10): a model with
    fewer components that predicts as well within the CV's own noise generalises better.
    """
    best = min(candidates, key=lambda c: (sign * c["value"], c["k"]))
    if rule == "minimum":
        return best
    bound = sign * best["value"] + best["se"]
    within = [c for c in candidates if sign * c["value"] <= bound]
    return min(within, key=lambda c: (c["k"], sign * c["value"]))


def _column(part: FoldResult, k_index: int) -> FoldResult:
    return FoldResult(part.branch_id, part.fold, part.predict_idx, part.predictions[:, k_index],
                      part.seconds, part.model, part.warnings)


def _curve(dataset: SpectralDataset, folds: list[FoldResult], k_max: int) -> dict[str, list]:
    """RMSECV (regression) for every component count, from the sweep predictions."""
    idx = np.concatenate([p.predict_idx for p in folds])
    pred = np.concatenate([p.predictions for p in folds])  # (n, k_eff)
    y = dataset.y[idx].astype(np.float64)
    rmse = np.sqrt(np.mean((pred - y[:, None]) ** 2, axis=0))
    ks = list(range(1, pred.shape[1] + 1))
    return {"n_components": ks, "rmsecv": [float(v) for v in rmse]}


def make_job(prep: Any, dataset: SpectralDataset, group: Any, *, seed: int,
             cost: Callable[[int], float], storage: str | None = None,
             study_prefix: str = "nirdesk", searches_in_process: bool = True) -> BranchJob:
    """Choose the job type for a branch from its model and finetune_params.

    ``searches_in_process`` False (the GUI): an Optuna search whose trials run one at a time
    goes to a worker as one task even in a sequential group, so Cancel can kill it at once
    (in the run's own thread a slow trial could only be stopped when it ends). Same search
    code, same numbers; the price is one progress step for the whole search."""
    from engine.tuning.pls_sweep import is_sweepable, max_components
    from engine.tuning.space import parse_finetune

    model = prep.branch.model
    if model.finetune is None:
        if model.class_name == "PLSRegression" and not dataset.is_classification:
            k = int(prep.pipeline.steps[-1][1].get_params()["n_components"])
            limit = max_components(prep.pipeline, min(tr.size for tr, _ in prep.folds))
            if k <= limit:
                return CurveJob(prep, dataset, cost, k, min(limit, k + CURVE_EXTRA_COMPONENTS))
        return BranchJob(prep, dataset, cost)
    config = parse_finetune(model.finetune, classification=dataset.is_classification,
                            where=f"branch {prep.branch.id} ({prep.branch.name})")
    if is_sweepable(config, prep.pipeline):
        k_dim = next(d for d in config.dimensions if d.kind in ("int", "int_log"))
        limit = max_components(prep.pipeline, min(tr.size for tr, _ in prep.folds))
        others = [d for d in config.dimensions if d is not k_dim]
        combos = [dict(zip([d.key for d in others], values, strict=True))
                  for values in itertools.product(*[d.choices for d in others])] or [{}]
        low, high = k_dim.int_bounds()
        return SweepJob(prep, dataset, cost, config, k_dim.key, (low, min(high, limit)), combos)
    trial_jobs = max(1, group.trial_n_jobs.get(prep.branch.id, 1))
    in_worker = group.mode == "parallel" or (trial_jobs <= 1 and not searches_in_process)
    return OptunaJob(prep, dataset, cost, config, seed, trial_jobs, in_worker, storage,
                     f"{study_prefix} - branch {prep.branch.id}")
