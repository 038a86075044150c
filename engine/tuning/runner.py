"""Running a search: the exact PLS sweep task, and Optuna ask/tell with batches of trials.

The main process asks Optuna for up to ``batch_size`` trials, evaluates them (their folds as
pool tasks when trials run in parallel, one after the other otherwise) and tells the results
back, so branch x trial parallelism all lands on the one pool and can never oversubscribe.
"""
from __future__ import annotations

import math
import time
from collections.abc import Callable
from typing import Any

import numpy as np

from engine.fold import FoldResult, fit_predict

Outcome = dict[str, Any]  # {"value", "state", "seconds", "folds": [(idx, pred)], "error"}


def sweep_task(branch_id: int, fold: int, pipeline: Any, X: np.ndarray, y: np.ndarray,
               train_idx: np.ndarray, predict_idx: np.ndarray, extra: dict[str, Any]) -> FoldResult:
    """One fold of the exact component sweep: predictions for k = 1..k_max from one PLS fit."""
    from engine.tuning.pls_sweep import sweep_predictions
    from engine.tuning.space import with_params

    start = time.perf_counter()
    pipe = with_params(pipeline, extra.get("params") or {})
    pred = sweep_predictions(pipe, np.asarray(X[train_idx]), np.asarray(y[train_idx]),
                             np.asarray(X[predict_idx]), int(extra["k_max"]))
    return FoldResult(branch_id, fold, predict_idx, pred, time.perf_counter() - start,
                      extra={"combo": extra.get("combo", 0)})


def _metric(config: Any, y_true: np.ndarray, y_pred: np.ndarray, classification: bool) -> float:
    from engine import metrics as M

    value = M.score(y_true, y_pred, classification).get(config.metric)
    return math.nan if value is None else float(value)


def sequential_evaluator(pipeline: Any, X: np.ndarray, y: np.ndarray,
                         folds: list[tuple[np.ndarray, np.ndarray]], config: Any,
                         classification: bool) -> Callable[[list[dict], list[Any]], list[Outcome]]:
    """Evaluate trials one after the other, fold by fold, reporting to the pruner."""
    from engine.tuning.space import with_params

    def evaluate(params_list: list[dict], trials: list[Any]) -> list[Outcome]:
        outcomes = []
        for params, trial in zip(params_list, trials, strict=True):
            start = time.perf_counter()
            done: list[tuple[np.ndarray, np.ndarray]] = []
            state, error = "COMPLETE", None
            try:
                pipe = with_params(pipeline, params)
                for f, (tr, va) in enumerate(folds):
                    part = fit_predict(0, f, pipe, X, y, tr, va)
                    done.append((va, part.predictions))
                    if config.pruner and f < len(folds) - 1:
                        idx = np.concatenate([d[0] for d in done])
                        trial.report(_metric(config, y[idx], np.concatenate([d[1] for d in done]),
                                             classification), f)
                        if trial.should_prune():
                            state = "PRUNED"
                            break
            except Exception as exc:  # noqa: BLE001 - a failing trial is recorded, not fatal
                state, error = "FAIL", f"{type(exc).__name__}: {exc}"
            value = None
            if state == "COMPLETE":
                idx = np.concatenate([d[0] for d in done])
                value = _metric(config, y[idx], np.concatenate([d[1] for d in done]),
                                classification)
            outcomes.append({"value": value, "state": state, "seconds": time.perf_counter() - start,
                             "folds": done, "error": error})
        return outcomes

    return evaluate


def _grid_size(config: Any) -> int:
    size = 1
    for d in config.dimensions:
        size *= len(d.choices) if d.kind == "categorical" else int(d.high) - int(d.low) + 1
    return size


def trial_budget(config: Any) -> int:
    """How many trials run_search runs unless its timeout stops it first: n_trials, or the
    grid's size when a grid search has fewer points (progress totals use the same number)."""
    return config.n_trials if config.sampler != "grid" else min(config.n_trials, _grid_size(config))


def run_search(pipeline: Any, config: Any, seed: int, folds: list, y: np.ndarray,
               classification: bool,
               evaluate_batch: Callable[[list[dict], list[Any]], list[Outcome]],
               *, batch_size: int = 1, storage: str | None = None,
               study_name: str | None = None) -> dict[str, Any]:
    """Optuna ask/tell loop; returns best params, the trial history and the best trial's folds."""
    import optuna

    from engine.tuning.space import make_pruner, make_sampler, suggest

    optuna.logging.set_verbosity(optuna.logging.WARNING)
    start = time.perf_counter()
    study = optuna.create_study(direction=config.direction, sampler=make_sampler(config, seed),
                                pruner=make_pruner(config), storage=storage,
                                study_name=study_name, load_if_exists=bool(storage))
    n_trials = trial_budget(config)
    history: list[dict[str, Any]] = []
    best: dict[str, Any] | None = None
    sign = 1.0 if config.direction == "minimize" else -1.0
    while len(history) < n_trials:
        if config.timeout and time.perf_counter() - start > config.timeout:
            break
        trials = [study.ask() for _ in range(min(batch_size, n_trials - len(history)))]
        params = [suggest(t, config.dimensions) for t in trials]
        for trial, p, outcome in zip(trials, params, evaluate_batch(params, trials), strict=True):
            state = outcome["state"]
            ok = (state == "COMPLETE" and outcome["value"] is not None
                  and math.isfinite(outcome["value"]))
            if ok:
                study.tell(trial, outcome["value"])
            else:
                study.tell(trial, state=optuna.trial.TrialState.PRUNED if state == "PRUNED"
                           else optuna.trial.TrialState.FAIL)
            history.append({"number": len(history), "params": p,
                            "value": outcome["value"] if ok else None,
                            "state": state if ok or state != "COMPLETE" else "FAIL",
                            "seconds": outcome["seconds"], "error": outcome.get("error")})
            if ok and (best is None or sign * outcome["value"] < sign * best["value"]):
                best = {"params": p, "value": outcome["value"], "folds": outcome["folds"]}
    if best is None:
        errors = [h["error"] for h in history if h.get("error")]
        raise RuntimeError("no trial completed" + (f"; first error: {errors[0]}" if errors else ""))
    return {"best_params": best["params"], "best_value": best["value"], "trials": history,
            "best_folds": best["folds"], "seconds": time.perf_counter() - start}


def tune_task(branch_id: int, pipeline: Any, X: np.ndarray, y: np.ndarray,
              extra: dict[str, Any]) -> FoldResult:
    """A whole search in one worker (branch-level parallelism, trials one at a time)."""
    start = time.perf_counter()
    config, folds = extra["config"], extra["folds"]
    classification = np.asarray(y).dtype.kind in "UOS"
    evaluate = sequential_evaluator(pipeline, X, y, folds, config, classification)
    result = run_search(pipeline, config, int(extra["seed"]), folds, np.asarray(y), classification,
                        evaluate, batch_size=1)
    return FoldResult(branch_id, 0, np.empty(0, dtype=np.intp), np.empty(0),
                      time.perf_counter() - start, extra={"search": result})


def record_trials(result: dict[str, Any], config: Any, storage: str, study_name: str) -> None:
    """Write a worker's finished trials to the Optuna storage from the main process."""
    import optuna
    from optuna.distributions import (
        BaseDistribution,
        CategoricalDistribution,
        FloatDistribution,
        IntDistribution,
    )

    dists: dict[str, BaseDistribution] = {}
    for d in config.dimensions:
        if d.kind == "categorical":
            dists[d.key] = CategoricalDistribution(list(d.choices))
        elif d.kind.startswith("int"):
            dists[d.key] = IntDistribution(int(d.low), int(d.high), log=d.kind == "int_log")
        else:
            dists[d.key] = FloatDistribution(float(d.low), float(d.high), log=d.kind == "float_log")
    study = optuna.create_study(direction=config.direction, storage=storage, study_name=study_name,
                                load_if_exists=True)
    for t in result["trials"]:
        state = getattr(optuna.trial.TrialState, t["state"], optuna.trial.TrialState.FAIL)
        value = t["value"] if state.name == "COMPLETE" else None
        study.add_trial(optuna.trial.create_trial(params=t["params"], distributions=dists,
                                                  value=value, state=state))
