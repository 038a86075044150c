"""The toolbox's preprocessings in one `_or_`, each into PLS with the exact component sweep
(issue 18 "The chemometrician's toolbox"), against the same work in plain scikit-learn.

nirdesk: one spec, ``{"branch": {"_or_": [EMSC, RNV, Norris-Williams, Whittaker, airPLS,
arPLS, rubberband, ModPoly]}, "n_jobs": 2}`` then PLSRegression(scale=False) finetuned over
n_components 1..20 (the exact sweep: one PLS fit per fold gives every k), on the tablet
training rows (430 x 597), the engine's KFold(5, shuffle, seed 0), refit, test rows scored.

Plain scikit-learn + the library: what a careful user writes by hand with a pool of 2
worker processes over the alternatives (concurrent.futures, kept warm across repeats as
nirdesk's pool is; joblib's loky executor cannot be used beside nirdesk's, which owns loky's
reusable executor in this process): per fold the preprocessing is fitted and applied once, then
PLSRegression is fitted for every k = 1..20 (scikit-learn has no component sweep); RMSECV per
k from the pooled out-of-fold predictions, best k refitted on all training rows, test rows
predicted. The baselines call pybaselines directly (airPLS, arPLS, rubberband, ModPoly:
Baseline(x_data=...).<method>, row by row); EMSC, RNV, Norris-Williams and Whittaker are the
nirdesk operators used as plain scikit-learn transformers (no other installed library has
them). Both sides must agree on each branch's best k and RMSECV (printed).

Prints the wall time of each side (median of --repeats runs, after one warm-up run each) and
the ratio nirdesk / plain.

    .venv/bin/python bench/toolbox_or.py [--repeats 3]
"""
from __future__ import annotations

import argparse
import multiprocessing
import statistics
import sys
import time
import warnings
from concurrent.futures import ProcessPoolExecutor
from pathlib import Path

import numpy as np

REPO = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(REPO))

K_MAX = 20
ALTERNATIVES = [
    {"class": "EMSC", "params": {"order": 2}},
    {"class": "RNV", "params": {"percentile": 25}},
    {"class": "NorrisWilliams", "params": {"gap": 5, "segment": 5, "order": 1}},
    {"class": "Whittaker", "params": {"lam": 100.0}},
    {"class": "AirPLS", "params": {"lam": 1e6}},
    {"class": "ArPLS", "params": {"lam": 1e5}},
    {"class": "Rubberband"},
    {"class": "ModPoly", "params": {"order": 2}},
]
SPEC = [{"branch": {"_or_": ALTERNATIVES}, "n_jobs": 2},
        {"model": {"class": "PLSRegression", "params": {"scale": False}},
         "finetune_params": {"model_params": {"n_components": ["int", 1, K_MAX]}}}]


class _PyBaselines:
    """A plain scikit-learn transformer subtracting a pybaselines baseline row by row."""

    def __init__(self, method: str, wavelengths: np.ndarray, **params) -> None:
        self.method, self.wavelengths, self.params = method, wavelengths, params

    def fit(self, X, y=None):
        return self

    def transform(self, X):
        from pybaselines import Baseline

        fitter = Baseline(x_data=self.wavelengths)
        solve = getattr(fitter, self.method)
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            return X - np.array([solve(row, **self.params)[0] for row in X])


def plain_transformer(alternative: dict, wavelengths: np.ndarray):
    from engine.operators import EMSC, RNV, NorrisWilliams, Whittaker

    name, params = alternative["class"], alternative.get("params", {})
    if name == "EMSC":
        return EMSC(wavelengths=wavelengths, **params)
    own = {"RNV": RNV, "NorrisWilliams": NorrisWilliams, "Whittaker": Whittaker}
    if name in own:
        return own[name](**params)
    if name == "AirPLS":
        return _PyBaselines("airpls", np.arange(wavelengths.size, dtype=float), **params)
    if name == "ArPLS":
        return _PyBaselines("arpls", np.arange(wavelengths.size, dtype=float), **params)
    if name == "Rubberband":
        return _PyBaselines("rubberband", wavelengths)
    if name == "ModPoly":
        return _PyBaselines("modpoly", wavelengths, poly_order=params["order"])
    raise ValueError(name)


def plain_branch(alternative: dict, X, y, X_test, wavelengths, folds):
    """RMSECV for k = 1..K_MAX, best k, RMSEP: preprocessing once per fold, PLS per k."""
    from sklearn.cross_decomposition import PLSRegression

    oof = np.empty((K_MAX, y.size))
    for train, test in folds:
        prep = plain_transformer(alternative, wavelengths).fit(X[train])
        z_train, z_test = prep.transform(X[train]), prep.transform(X[test])
        for k in range(1, K_MAX + 1):
            pls = PLSRegression(n_components=k, scale=False).fit(z_train, y[train])
            oof[k - 1, test] = np.ravel(pls.predict(z_test))
    rmsecv = np.sqrt(np.mean((oof - y[None, :]) ** 2, axis=1))
    best = int(np.argmin(rmsecv)) + 1
    prep = plain_transformer(alternative, wavelengths).fit(X)
    pls = PLSRegression(n_components=best, scale=False).fit(prep.transform(X), y)
    return best, float(rmsecv[best - 1]), np.ravel(pls.predict(prep.transform(X_test)))


def plain(ds, folds, executor):
    X, y = ds.X[ds.train_indices], ds.y[ds.train_indices]
    X_test = ds.X[ds.test_indices]
    futures = [executor.submit(plain_branch, a, X, y, X_test, ds.wavelengths, folds)
               for a in ALTERNATIVES]
    return [f.result() for f in futures]


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--repeats", type=int, default=3)
    args = parser.parse_args()
    warnings.filterwarnings("ignore")
    from sklearn.model_selection import KFold

    from engine.executor import TaskPool
    from engine.io import load_dataset
    from engine.run import run

    ds = load_dataset(REPO / "tests" / "data" / "tablet")
    folds = list(KFold(5, shuffle=True, random_state=0).split(ds.X[ds.train_indices]))
    times: dict[str, list[float]] = {"nirdesk": [], "plain": []}
    # One side after the other: nirdesk's worker pool and a second process pool in the same
    # process interfere at shutdown, so each side has the machine's processes to itself.
    pool = TaskPool()
    result = plain_result = None
    for repeat in range(args.repeats + 1):          # the first run warms the pool up
        t = time.perf_counter()
        result = run(SPEC, ds, verbose=0, pool=pool)
        elapsed = time.perf_counter() - t
        print(f"nirdesk run {repeat}: {elapsed:.1f} s", file=sys.stderr, flush=True)
        if repeat:
            times["nirdesk"].append(elapsed)
    pool.shutdown()
    with ProcessPoolExecutor(2, mp_context=multiprocessing.get_context("spawn")) as executor:
        for repeat in range(args.repeats + 1):
            t = time.perf_counter()
            plain_result = plain(ds, folds, executor)
            elapsed = time.perf_counter() - t
            print(f"plain run {repeat}: {elapsed:.1f} s", file=sys.stderr, flush=True)
            if repeat:
                times["plain"].append(elapsed)
    assert result is not None and plain_result is not None
    print(f"tablet {ds.n_train} training x {ds.n_wavelengths} wavelengths, KFold(5), "
          f"PLS n_components 1..{K_MAX}, {len(ALTERNATIVES)} alternatives, 2 workers")
    plan = result.parallel[0] if result.parallel else {}
    print(f"nirdesk plan: {plan.get('mode')} x{plan.get('workers', '')} "
          f"{[r.get('code') for r in plan.get('reasons', [])]}")
    print(f"{'branch':40s} {'k':>3s} {'RMSECV':>9s} {'RMSEP':>8s} | plain {'k':>3s} "
          f"{'RMSECV':>9s}  |diff|")
    y_test = ds.y[ds.test_indices]
    for branch, (k, cv, pred) in zip(result.branches, plain_result, strict=True):
        rmsep = float(np.sqrt(np.mean((pred - y_test) ** 2)))
        ncv = branch.metrics["cv"]["rmse"]
        print(f"{branch.name[:40]:40s} {branch.best_params['n_components']:3d} {ncv:9.4f} "
              f"{branch.metrics['test']['rmse']:8.4f} | {k:9d} {cv:9.4f}  "
              f"{abs(ncv - cv):.1e} (plain RMSEP {rmsep:.4f})")
    nird, pl = statistics.median(times["nirdesk"]), statistics.median(times["plain"])
    print(f"nirdesk  median {nird:.2f} s  runs {[round(t, 2) for t in times['nirdesk']]}")
    print(f"plain    median {pl:.2f} s  runs {[round(t, 2) for t in times['plain']]}")
    print(f"ratio nirdesk/plain = {nird / pl:.3f}")


if __name__ == "__main__":
    main()
