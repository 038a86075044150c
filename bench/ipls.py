"""Interval PLS: a 20-interval forward search on the tablet data, 2 workers vs sequential.

Why: issue 19 asks that the candidates of one iPLS round run in parallel on the pool (many
small independent PLS sweeps) and that a 20-interval forward search with 2 workers takes at
most 0.6x its sequential time. Both sides run engine.selection.ipls.interval_pls on the
tablet's 430 training rows x 597 wavelengths (raw spectra, PLS up to 15 components, the
default KFold(5, shuffle, seed 0)), one BLAS thread per task: "sequential" scores the
candidates one after the other in this process, "2 workers" sends each round's candidates to
the warm loky pool (engine.executor.default_pool) as tasks. The pool is started and warmed by
one untimed search first (a run in the app finds it warm, as nirdesk keeps it between runs);
then the two sides alternate, so that a change in the machine's load hits both. Both must
choose the same intervals with the same RMSECV.

    .venv/bin/python bench/ipls.py [--repeats 3] [--intervals 20]

It also measures the machine's ceiling for this work: the sequential search run in two
processes at once against one alone. Two searches at once sharing the machine perfectly take
the time of one (ceiling ratio 0.5); on a machine whose two CPUs share their arithmetic
units, the ratio of two at once to one alone, halved, is the best any 2-worker search can
reach, whatever the pool's overhead.
"""
from __future__ import annotations

import argparse
import os
import statistics
import sys
import time
from pathlib import Path

REPO = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(REPO))


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--repeats", type=int, default=3)
    parser.add_argument("--intervals", type=int, default=20)
    parser.add_argument("--workers", type=int, default=2)
    parser.add_argument("--one-sequential", action="store_true", help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.one_sequential:
        _one_sequential(args.intervals)
        return

    from engine.executor import default_pool
    from engine.io import load_dataset
    from engine.selection.ipls import interval_pls

    dataset = load_dataset(REPO / "tests" / "data" / "tablet")
    pool = default_pool()
    print(f"tablet {dataset.n_train} training rows x {dataset.n_wavelengths} wavelengths, "
          f"{args.intervals} intervals, forward, k <= 15; {os.cpu_count()} CPUs, load "
          f"average {os.getloadavg()[0]:.2f}")
    interval_pls(dataset, n_intervals=args.intervals, workers=args.workers, pool=pool)  # warm
    times: dict[str, list[float]] = {"sequential": [], "parallel": []}
    found = {}
    try:
        for _ in range(args.repeats):
            for name, workers in (("sequential", 1), ("parallel", args.workers)):
                start = time.perf_counter()
                result = interval_pls(dataset, n_intervals=args.intervals, workers=workers,
                                      pool=pool)
                times[name].append(time.perf_counter() - start)
                found[name] = (result.selected, result.rmsecv, result.n_components,
                               result.evaluated)
    finally:
        pool.shutdown()
    if found["sequential"] != found["parallel"]:
        raise SystemExit(f"the two sides disagree: {found}")
    selected, rmsecv, k, evaluated = found["sequential"]
    print(f"chosen intervals {list(selected)}  RMSECV {rmsecv:.4f} with {k} components "
          f"({evaluated} candidates scored, 5 folds each); full range RMSECV "
          f"{result.full.rmsecv:.4f} with {result.full.n_components}")
    print(f"windows {result.ranges}")
    seq, par = statistics.median(times["sequential"]), statistics.median(times["parallel"])
    print("sequential  " + "  ".join(f"{t:.2f}" for t in times["sequential"])
          + f"  median {seq:.2f} s")
    print(f"{args.workers} workers   " + "  ".join(f"{t:.2f}" for t in times["parallel"])
          + f"  median {par:.2f} s")
    print(f"ratio parallel/sequential = {par / seq:.3f}  (target <= 0.6)")
    alone, together = _ceiling(args.repeats, args.intervals)
    ceiling = statistics.median(together) / statistics.median(alone) / 2
    print("machine ceiling: one sequential search alone " + "  ".join(f"{t:.2f}" for t in alone)
          + ", two at once " + "  ".join(f"{t:.2f}" for t in together)
          + f" s -> best reachable parallel/sequential = {ceiling:.3f}")


def _one_sequential(intervals: int) -> None:
    """A child: one warm sequential search; prints its seconds."""
    from engine.io import load_dataset
    from engine.selection.ipls import interval_pls

    dataset = load_dataset(REPO / "tests" / "data" / "tablet")
    interval_pls(dataset, n_intervals=intervals, workers=1)          # imports, caches
    start = time.perf_counter()
    interval_pls(dataset, n_intervals=intervals, workers=1)
    print(f"{time.perf_counter() - start:.4f}")


def _ceiling(repeats: int, intervals: int) -> tuple[list[float], list[float]]:
    """Seconds of one sequential search alone, and the longer of two run at once (each in
    its own process; the warm-up search of each runs before the timed one)."""
    import subprocess

    argv = [sys.executable, __file__, "--one-sequential", "--intervals", str(intervals)]
    env = {**os.environ, **{v: "1" for v in ("OMP_NUM_THREADS", "OPENBLAS_NUM_THREADS",
                                             "MKL_NUM_THREADS")}}
    alone, together = [], []
    for _ in range(repeats):
        out = subprocess.run(argv, env=env, capture_output=True, text=True, check=True)
        alone.append(float(out.stdout.split()[-1]))
        procs = [subprocess.Popen(argv, env=env, stdout=subprocess.PIPE, text=True)
                 for _ in range(2)]
        together.append(max(float(p.communicate()[0].split()[-1]) for p in procs))
    return alone, together


if __name__ == "__main__":
    main()
