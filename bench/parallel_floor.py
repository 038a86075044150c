"""nirdesk's parallel path against a bare joblib script doing exactly the same fits (issue 20).

The 4-branch pattern with heavy coordinate-descent models: SNV+PLS(10), MSC+Ridge(1),
StandardScaler+ElasticNet(alpha 0.01, max_iter 5000), Detrend+Lasso(alpha 0.001, max_iter
5000); KFold(5, shuffle, random_state 0) on the training rows and a refit on all of them that
predicts the test rows: 24 fits. Data: the tablet set (its 'trans' rows mapped to train, 430
rows) replicated 8 times with 1e-4 noise = 3,440 training rows, + its 212 test rows, 597
wavelengths.

Four programs, each in a fresh process, taken in turn, ``--runs`` times:

  bare-seq     a plain loop over the 24 fits (sklearn Pipelines)
  bare-par     ``joblib.Parallel(n_jobs=2, backend="loky")`` over the same 24 fits
  nirdesk-seq  ``engine.run(..., parallel_branches=1)`` (in-process, as the CLI)
  nirdesk-par  ``engine.run(..., parallel_branches=2)`` (the worker pool)

Each program runs the work ``1 + --warm`` times: the first run is "cold" (it starts the worker
processes, as a first ``nirdesk run`` does), the others "warm" (the pool is reused, as every
later run in the app). Wall is the work itself; CPU is user+system of the process and all its
children over the same span (psutil), so worker start-up counts for both sides alike. A final
check compares nirdesk's cross-validated predictions with the bare script's.

Targets: nirdesk-par <= 1.05 x bare-par (wall and CPU), nirdesk-par / nirdesk-seq <= 0.6.

    .venv/bin/python bench/parallel_floor.py [--runs 3] [--warm 2] [--only bare-par nirdesk-par]
"""
from __future__ import annotations

import argparse
import json
import os
import statistics
import subprocess
import sys
import time
import warnings
from pathlib import Path
from typing import Any

import numpy as np

REPO = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(REPO))

PROGRAMS = ("bare-seq", "bare-par", "nirdesk-seq", "nirdesk-par")
EN = {"alpha": 0.01, "max_iter": 5000}
LASSO = {"alpha": 0.001, "max_iter": 5000}
SPEC = [{"branch": [
    ["SNV", {"class": "PLSRegression", "params": {"n_components": 10}}],
    ["MSC", {"class": "Ridge", "params": {"alpha": 1.0}}],
    ["StandardScaler", {"class": "ElasticNet", "params": EN}],
    ["Detrend", {"class": "Lasso", "params": LASSO}],
]}]


def dataset():
    from parallel import dataset_for  # bench/parallel.py's case-a data (tablet x8)

    return dataset_for("a", split_map={"trans": "train"})


def plain_pipelines() -> list[Any]:
    from sklearn.cross_decomposition import PLSRegression
    from sklearn.linear_model import ElasticNet, Lasso, Ridge
    from sklearn.pipeline import Pipeline
    from sklearn.preprocessing import StandardScaler

    from engine.operators import MSC, SNV, Detrend

    return [Pipeline([("p", SNV()), ("m", PLSRegression(n_components=10))]),
            Pipeline([("p", MSC()), ("m", Ridge(alpha=1.0))]),
            Pipeline([("p", StandardScaler()), ("m", ElasticNet(**EN))]),
            Pipeline([("p", Detrend()), ("m", Lasso(**LASSO))])]


def bare_fit(pipe: Any, X: np.ndarray, y: np.ndarray, fit_idx: np.ndarray,
             predict_idx: np.ndarray) -> np.ndarray:
    """One fit as a user's own script would write it."""
    from sklearn.base import clone

    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        model = clone(pipe).fit(X[fit_idx], y[fit_idx])
        return np.ravel(model.predict(X[predict_idx]))


def bare_tasks(ds) -> list[tuple[Any, np.ndarray, np.ndarray]]:
    from sklearn.model_selection import KFold

    train, test = ds.train_indices, ds.test_indices
    folds = [(train[a], train[b])
             for a, b in KFold(5, shuffle=True, random_state=0).split(train)]
    return [(pipe, a, b) for pipe in plain_pipelines() for a, b in folds + [(train, test)]]


def cpu_seconds() -> float:
    """User+system CPU of this process, its live children and its reaped children."""
    import psutil

    me = psutil.Process()
    times = me.cpu_times()
    total = times.user + times.system + times.children_user + times.children_system
    for child in me.children(recursive=True):
        try:
            t = child.cpu_times()
        except psutil.NoSuchProcess:
            continue
        total += t.user + t.system
    return total


def child(program: str, warm: int) -> None:
    """Run one program 1 + warm times in this process; print one JSON line."""
    warnings.filterwarnings("ignore")
    ds = dataset()
    out: dict[str, Any] = {"program": program, "rows": int(ds.n_train), "walls": [], "cpus": []}
    if program.startswith("bare"):
        from joblib import Parallel, delayed

        tasks = bare_tasks(ds)
        X, y = ds.X, ds.y

        def work() -> list[np.ndarray]:
            if program == "bare-seq":
                return [bare_fit(p, X, y, a, b) for p, a, b in tasks]
            return Parallel(n_jobs=2, backend="loky")(
                delayed(bare_fit)(p, X, y, a, b) for p, a, b in tasks)
    else:
        from engine.run import run

        workers = 1 if program == "nirdesk-seq" else 2

        def work() -> list[np.ndarray]:
            result = run(SPEC, ds, verbose=0, parallel_branches=workers)
            return [np.asarray(b.oof_predictions, float) for b in result.branches]

    for _ in range(1 + warm):
        c0, t0 = cpu_seconds(), time.perf_counter()
        predictions = work()
        out["walls"].append(time.perf_counter() - t0)
        out["cpus"].append(cpu_seconds() - c0)
    # the CV predictions, in the bare script's fold order -> one vector per branch
    if program.startswith("bare"):
        train = ds.train_indices
        per_branch = []
        for b in range(4):
            full = np.full(ds.n_samples, np.nan)
            for (_, _, idx), pred in zip(bare_tasks(ds)[6 * b:6 * b + 5],
                                         predictions[6 * b:6 * b + 5], strict=True):
                full[idx] = pred
            per_branch.append(full[train])
        predictions = per_branch
    out["oof"] = [np.asarray(p, float).round(10).tolist()[:50] for p in predictions]
    print(json.dumps(out))


def run_child(program: str, warm: int) -> dict[str, Any]:
    env = dict(os.environ)
    done = subprocess.run([sys.executable, __file__, "--child", program, "--warm", str(warm)],
                          capture_output=True, text=True, env=env, cwd=REPO, timeout=1800)
    if done.returncode != 0:
        print(done.stderr[-3000:])
        raise SystemExit(f"{program} failed (exit {done.returncode})")
    return json.loads(done.stdout.strip().splitlines()[-1])


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--runs", type=int, default=3)
    parser.add_argument("--warm", type=int, default=2)
    parser.add_argument("--only", nargs="+", choices=PROGRAMS, default=list(PROGRAMS))
    parser.add_argument("--child", choices=PROGRAMS)
    args = parser.parse_args()
    if args.child:
        child(args.child, args.warm)
        return
    results: dict[str, list[dict[str, Any]]] = {p: [] for p in args.only}
    for r in range(args.runs):
        for program in args.only:
            got = run_child(program, args.warm)
            results[program].append(got)
            print(f"run {r + 1} {program:<12} cold {got['walls'][0]:6.2f} s wall "
                  f"{got['cpus'][0]:6.2f} s CPU; warm "
                  + " ".join(f"{w:.2f}/{c:.2f}" for w, c in
                             zip(got["walls"][1:], got["cpus"][1:], strict=True)), flush=True)
    rows = next(iter(results.values()))[0]["rows"]
    print(f"\n{rows} training rows x 597, 24 fits; medians of {args.runs} processes "
          f"(warm: of {args.runs} x {args.warm} runs)")
    med: dict[tuple[str, str, str], float] = {}
    for program, got in results.items():
        for phase, pick in (("cold", lambda v: v[:1]), ("warm", lambda v: v[1:])):
            walls = [w for g in got for w in pick(g["walls"])]
            cpus = [c for g in got for c in pick(g["cpus"])]
            if not walls:
                continue
            med[(program, phase, "wall")] = statistics.median(walls)
            med[(program, phase, "cpu")] = statistics.median(cpus)
            print(f"  {program:<12} {phase}  wall {statistics.median(walls):6.2f} s  "
                  f"(runs {', '.join(f'{w:.2f}' for w in walls)})   CPU "
                  f"{statistics.median(cpus):6.2f} s")
    def ratio(a: str, b: str, phase: str, kind: str) -> str:
        if (a, phase, kind) in med and (b, phase, kind) in med:
            return f"{med[(a, phase, kind)] / med[(b, phase, kind)]:.3f}"
        return "-"

    for phase in ("cold", "warm"):
        print(f"{phase}: nirdesk-par / bare-par  wall "
              f"{ratio('nirdesk-par', 'bare-par', phase, 'wall')}"
              f"  CPU {ratio('nirdesk-par', 'bare-par', phase, 'cpu')}   (target <= 1.05)")
        print(f"{phase}: nirdesk-par / nirdesk-seq wall "
              f"{ratio('nirdesk-par', 'nirdesk-seq', phase, 'wall')}   (target <= 0.6);  "
              f"bare-par / bare-seq wall {ratio('bare-par', 'bare-seq', phase, 'wall')}")
        print(f"{phase}: nirdesk-seq / bare-seq  wall "
              f"{ratio('nirdesk-seq', 'bare-seq', phase, 'wall')}"
              f"  CPU {ratio('nirdesk-seq', 'bare-seq', phase, 'cpu')}")
    oofs = {p: np.asarray(g[0]["oof"]) for p, g in results.items()}
    if len(oofs) > 1:
        ref = next(iter(oofs.values()))
        worst = max(float(np.max(np.abs(v - ref))) for v in oofs.values())
        print(f"largest difference between programs' CV predictions (first 50 rows): {worst:.2e}")


if __name__ == "__main__":
    main()
