"""Finetuning speed (issue "Optuna finetuning").

1. Tablet, SNV + PLSRegression(scale=False), n_components int 1..25, 30 trials, KFold(5):
   nirdesk (exact component sweep: one PLS fit per fold) vs plain Optuna refitting a
   scikit-learn pipeline for every trial. Target: nirdesk/optuna <= 0.1, engine time < 1 s,
   best k 9, RMSECV 2.4283, RMSEP 2.2267.
2. Tablet, SNV + Ridge, alpha float_log 1e-5..1e3, 40 trials: finetune n_jobs 2 vs 1 (wall
   ratio), and the tuned alpha's CV score recomputed with plain scikit-learn.
3. The same Ridge search on tablet replicated to 3,440 training rows (20 trials), where a
   trial is heavy enough for parallel trials to be worth it: n_jobs 2 vs 1.

    .venv/bin/python bench/finetune.py
"""
from __future__ import annotations

import sys
import time
import warnings
from pathlib import Path

import numpy as np

REPO = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(REPO))


def plain_optuna_pls(X, y, n_trials=30, seed=0):
    import optuna
    from sklearn.base import clone
    from sklearn.cross_decomposition import PLSRegression
    from sklearn.model_selection import KFold
    from sklearn.pipeline import Pipeline

    from engine.operators import SNV

    optuna.logging.set_verbosity(optuna.logging.WARNING)
    folds = list(KFold(5, shuffle=True, random_state=0).split(X))

    def objective(trial):
        k = trial.suggest_int("n_components", 1, 25)
        pipe = Pipeline([("snv", SNV()), ("pls", PLSRegression(n_components=k, scale=False))])
        pred = np.empty_like(y)
        for tr, va in folds:
            pred[va] = np.ravel(clone(pipe).fit(X[tr], y[tr]).predict(X[va]))
        return float(np.sqrt(np.mean((pred - y) ** 2)))

    study = optuna.create_study(sampler=optuna.samplers.TPESampler(seed=seed))
    study.optimize(objective, n_trials=n_trials)
    return study.best_params, study.best_value


def main() -> None:
    warnings.filterwarnings("ignore")
    from engine.executor import TaskPool
    from engine.io import load_dataset
    from engine.run import run

    ds = load_dataset(REPO / "tests" / "data" / "tablet")
    pool = TaskPool()
    spec = [{"class": "SNV"},
            {"model": {"class": "PLSRegression", "params": {"scale": False}},
             "finetune_params": {"n_trials": 30,
                                 "model_params": {"n_components": ["int", 1, 25]}}}]
    run(spec, ds, verbose=0, pool=pool)  # warm imports
    t = time.perf_counter()
    b = run(spec, ds, verbose=0, pool=pool).branches[0]
    nird = time.perf_counter() - t
    Xtr, ytr = ds.X[ds.train_indices], ds.y[ds.train_indices]
    t = time.perf_counter()
    params, value = plain_optuna_pls(Xtr, ytr)
    plain = time.perf_counter() - t
    print("1. SNV + PLS n_components 1..25, 30 trials (tablet, 430 training rows)")
    print(f"   nirdesk exact sweep   {nird:.3f} s  (search {b.tuning['seconds']:.3f} s)  "
          f"best {b.best_params}"
          f"  RMSECV {b.metrics['cv']['rmse']:.4f}  RMSEP {b.metrics['test']['rmse']:.4f}")
    print(f"   plain Optuna refits   {plain:.3f} s  best {params}  RMSECV {value:.4f}")
    print(f"   ratio nirdesk/optuna = {nird / plain:.3f}   (target <= 0.1)")

    def ridge(n_jobs):
        return [{"class": "SNV"}, {"model": {"class": "Ridge"}, "finetune_params": {
            "n_trials": 40, "n_jobs": n_jobs, "model_params": {"alpha": ["float_log", 1e-5, 1e3]}}}]

    times = {}
    for n_jobs in (1, 2, 1, 2, 1, 2):
        t = time.perf_counter()
        r = run(ridge(n_jobs), ds, verbose=0, pool=pool)
        times.setdefault(n_jobs, []).append(time.perf_counter() - t)
        br = r.branches[0]
    t1, t2 = sorted(times[1])[1], sorted(times[2])[1]  # medians of 3
    from sklearn.linear_model import Ridge
    from sklearn.model_selection import KFold

    from engine.operators import SNV

    alpha = br.best_params["alpha"]
    Z = SNV().fit_transform(Xtr)
    pred = np.empty_like(ytr)
    for tr, va in KFold(5, shuffle=True, random_state=0).split(Z):
        pred[va] = Ridge(alpha=alpha).fit(Z[tr], ytr[tr]).predict(Z[va])
    check = float(np.sqrt(np.mean((pred - ytr) ** 2)))
    print("2. SNV + Ridge alpha float_log 1e-5..1e3, 40 trials")
    print(f"   n_jobs 1: {t1:.3f} s   n_jobs 2: {t2:.3f} s   ratio 2/1 = {t2 / t1:.3f}"
          f"   (plan: {r.parallel[0]['mode'] if r.parallel else 'top level'}, "
          f"trial_n_jobs {br.tuning['trial_n_jobs']})")
    print(f"   tuned alpha {alpha:.4g}: RMSECV {br.metrics['cv']['rmse']:.6f}, "
          f"plain sklearn {check:.6f}")

    from bench.parallel import dataset_for

    big = dataset_for("a")  # tablet replicated to 3,440 training rows
    times = {}
    for n_jobs in (1, 2):
        spec = ridge(n_jobs)
        spec[1]["finetune_params"]["n_trials"] = 20
        t = time.perf_counter()
        r = run(spec, big, verbose=0, pool=pool)
        times[n_jobs] = time.perf_counter() - t
        branch = r.branches[0]
        print(f"3. same search on {big.n_train} training rows, 20 trials, n_jobs {n_jobs}: "
              f"{times[n_jobs]:.2f} s  (trial_n_jobs {branch.tuning['trial_n_jobs']}, "
              f"best alpha {branch.best_params['alpha']:.4g})")
    print(f"   ratio 2/1 = {times[2] / times[1]:.3f}")
    pool.shutdown()


if __name__ == "__main__":
    main()
