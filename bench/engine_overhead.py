"""Engine overhead: `engine.run` vs plain scikit-learn doing exactly the same work.

The 4-branch pattern (SNV+PLS(10), MSC+Ridge, StandardScaler+ElasticNet, Detrend+Lasso) on the
tablet data, KFold(5, shuffle, random_state=0) on the training rows, refit on all training rows,
predict the test rows. The plain version uses the same transformers in a plain sklearn Pipeline,
so the ratio isolates what the engine adds (spec parsing, fold bookkeeping, merging, metrics).
Runs alternate and the median of each is compared. Target: nirdesk/sklearn <= 1.1.

    .venv/bin/python bench/engine_overhead.py [--repeats 7]
"""
from __future__ import annotations

import argparse
import statistics
import sys
import time
import warnings
from pathlib import Path

import numpy as np
from sklearn.base import clone
from sklearn.cross_decomposition import PLSRegression
from sklearn.linear_model import ElasticNet, Lasso, Ridge
from sklearn.model_selection import KFold
from sklearn.pipeline import Pipeline
from sklearn.preprocessing import StandardScaler

REPO = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(REPO))

from engine.io import load_dataset  # noqa: E402 - after the sys.path insert
from engine.operators import MSC, SNV, Detrend  # noqa: E402 - after the sys.path insert
from engine.run import run  # noqa: E402 - after the sys.path insert

SPEC = [{"branch": [
    ["SNV", {"class": "PLSRegression", "params": {"n_components": 10}}],
    ["MSC", {"class": "Ridge", "params": {"alpha": 1.0}}],
    ["StandardScaler", {"class": "ElasticNet", "params": {"alpha": 0.5}}],
    ["Detrend", {"class": "Lasso", "params": {"alpha": 0.1}}],
]}]
PLAIN = [Pipeline([("a", SNV()), ("m", PLSRegression(n_components=10))]),
         Pipeline([("a", MSC()), ("m", Ridge(alpha=1.0))]),
         Pipeline([("a", StandardScaler()), ("m", ElasticNet(alpha=0.5))]),
         Pipeline([("a", Detrend()), ("m", Lasso(alpha=0.1))])]


def plain_sklearn(X, y, train, test) -> list[float]:
    rmse = []
    Xtr, ytr = X[train], y[train]
    for pipe in PLAIN:
        pred = np.empty_like(ytr)
        for a, b in KFold(5, shuffle=True, random_state=0).split(Xtr):
            pred[b] = np.ravel(clone(pipe).fit(Xtr[a], ytr[a]).predict(Xtr[b]))
        final = clone(pipe).fit(Xtr, ytr)
        np.ravel(final.predict(X[test]))
        rmse.append(float(np.sqrt(np.mean((pred - ytr) ** 2))))
    return rmse


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--repeats", type=int, default=7)
    parser.add_argument("--data", default=str(REPO / "tests" / "data" / "tablet"))
    args = parser.parse_args()
    warnings.filterwarnings("ignore")
    t0 = time.perf_counter()
    ds = load_dataset(args.data)
    load_s = time.perf_counter() - t0
    X, y, train, test = ds.X, ds.y, ds.train_indices, ds.test_indices
    nird, plain = [], []
    plain_sklearn(X, y, train, test)  # warm-up (imports, caches)
    run(SPEC, ds, verbose=0)
    for _ in range(args.repeats):
        t = time.perf_counter()
        result = run(SPEC, ds, verbose=0)
        nird.append(time.perf_counter() - t)
        t = time.perf_counter()
        ref = plain_sklearn(X, y, train, test)
        plain.append(time.perf_counter() - t)
    got = [b.metrics["cv"]["rmse"] for b in result.branches]
    worst = max(abs(a - b) / b for a, b in zip(got, ref, strict=True))
    n, s = statistics.median(nird), statistics.median(plain)
    print(f"data: {ds.name} {ds.n_samples}x{ds.n_wavelengths} ({ds.n_train} train), "
          f"load {load_s:.3f} s")
    print(f"nirdesk run     median {n:.3f} s  (min {min(nird):.3f})")
    print(f"plain sklearn   median {s:.3f} s  (min {min(plain):.3f})")
    print(f"ratio nirdesk/sklearn = {n / s:.3f}   (target <= 1.1)")
    print(f"max relative RMSECV difference = {worst:.2e}")


if __name__ == "__main__":
    main()
