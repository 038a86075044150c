"""The exact PLS component sweep, before (sklearn PLSRegression fits) and after (IKPLS).

Why: issue 18 asks for kernel PLS "where it speeds the PLS sweep". The finetuned branch
SNV + PLSRegression(scale=False), n_components int 1..25, KFold(5), runs through engine.run
in-process (one branch, sequential) with one BLAS thread; "before" swaps the sweep's fold
function for the previous one (one sklearn PLSRegression(K) fit per fold, its rotations and
y loadings cumulated: the code as it was before IKPLS), "after" is the sweep as it is.
Both must give the same RMSECV per k and the same k. "run" is engine.run's wall time (the
search, the refit at the chosen k, the test predictions, the bookkeeping); "search" is the sweep
alone (branch.tuning["seconds"]). Medians of 3 runs each, on
1. tablet (430 training rows x 597 wavelengths)
2. tablet's training rows replicated 8 times with 1e-4 noise (3440 x 597, as bench/parallel.py)

    .venv/bin/python bench/pls_sweep_ikpls.py [--repeats 3]
"""
from __future__ import annotations

import argparse
import statistics
import sys
import time
import warnings
from pathlib import Path
from typing import Any

import numpy as np

REPO = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(REPO))

SPEC = [{"class": "SNV"},
        {"model": {"class": "PLSRegression", "params": {"scale": False}},
         "finetune_params": {"n_trials": 25, "model_params": {"n_components": ["int", 1, 25]}}}]


def sklearn_sweep(pipeline: Any, X_train: np.ndarray, y_train: np.ndarray,
                  X_pred: np.ndarray, k_max: int) -> np.ndarray:
    """The sweep's fold function before IKPLS: one sklearn PLSRegression fit per fold."""
    from engine.tuning import pls_sweep as ps

    y = ps._one_target(y_train)
    pre, model = ps._preprocessing_and_model(pipeline)
    Xt = pre.fit_transform(X_train, y) if pre is not None else np.asarray(X_train, float)
    Xp = pre.transform(X_pred) if pre is not None else np.asarray(X_pred, float)
    k = min(int(k_max), ps.max_components(pipeline, Xt.shape[0], Xt.shape[1]))
    return ps.predictions_per_component(model.set_params(n_components=k).fit(Xt, y), Xp)


def datasets() -> list[tuple[str, Any]]:
    from engine.dataset import SpectralDataset
    from engine.io import load_dataset

    base = load_dataset(REPO / "tests" / "data" / "tablet")
    train = base.train_indices
    rng = np.random.default_rng(0)
    reps = 8
    X = np.vstack([base.X[train] + rng.normal(0, 1e-4, (train.size, base.n_wavelengths))
                   for _ in range(reps)] + [base.X[base.test_indices]])
    y = np.concatenate([base.y[train]] * reps + [base.y[base.test_indices]])
    test = np.r_[np.zeros(train.size * reps, bool), np.ones(base.n_test, bool)]
    big = SpectralDataset(X, base.wavelengths, {"api_mg": y}, np.arange(y.size), test,
                          name="tablet x8")
    return [("tablet 430x597", base), ("synthetic 3440x597", big)]


def timed_run(data: Any, repeats: int) -> tuple[float, float, Any]:
    """Median wall time of engine.run, median of its search time (the sweep alone), a branch."""
    from engine.run import run

    run(SPEC, data, verbose=0)               # warm imports and caches
    times, searches, branch = [], [], None
    for _ in range(repeats):
        t = time.perf_counter()
        branch = run(SPEC, data, verbose=0).branches[0]
        times.append(time.perf_counter() - t)
        searches.append(branch.tuning["seconds"])
    return statistics.median(times), statistics.median(searches), branch


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--repeats", type=int, default=3)
    args = parser.parse_args()
    warnings.filterwarnings("ignore")
    from threadpoolctl import threadpool_limits

    import engine.tuning.pls_sweep as ps

    after_fn = ps.sweep_predictions
    with threadpool_limits(1):
        for name, data in datasets():
            ps.sweep_predictions = sklearn_sweep             # type: ignore[assignment]
            before, s0, b0 = timed_run(data, args.repeats)
            ps.sweep_predictions = after_fn
            after, s1, b1 = timed_run(data, args.repeats)
            c0, c1 = np.asarray(b0.curve["rmsecv"]), np.asarray(b1.curve["rmsecv"])
            print(f"{name}: SNV + PLS sweep 1..25, KFold(5), one BLAS thread, "
                  f"median of {args.repeats}")
            print(f"   before (sklearn fits)  run {before:.3f} s  search {s0:.3f} s  "
                  f"best {b0.best_params}")
            print(f"   after  (IKPLS)         run {after:.3f} s  search {s1:.3f} s  "
                  f"best {b1.best_params}")
            print(f"   ratio after/before: run {after / before:.3f}  search {s1 / s0:.3f}   "
                  f"max relative RMSECV difference {float(np.max(np.abs(c1 - c0) / c0)):.2e}")


if __name__ == "__main__":
    main()
