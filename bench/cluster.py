"""Local loky pool vs a Dask cluster on this machine, same run (issue "Beyond one machine").

What it measures: the price of going through Dask (scheduler round trips, pickling the
pipelines and the results, scattering the dataset) against the local loky pool, on the same
hardware, so that the only difference is the backend. A real cluster adds the network and,
of course, its own cores; this bench says what a run pays for the Dask machinery itself.

Case a of bench/parallel.py: the 4-branch pattern (SNV+PLS(10), MSC+Ridge,
StandardScaler+ElasticNet, Detrend+Lasso) on tablet replicated to 3,440 training rows x 597
wavelengths, 2 workers x 1 thread. For each backend: the first run (cold: workers import
numpy/scikit-learn, the dataset is written / scattered) and the median of the warm runs
(the app's second and later runs), with the task seconds the workers measured and how busy
that kept the 2 workers (task seconds / (2 x wall)). The Dask cluster is a
distributed.LocalCluster with two worker processes (nanny + worker each); its start-up is
printed separately. Metrics of both backends are checked to be identical.

    .venv/bin/python bench/cluster.py [--case a|tiny] [--repeats 3]
"""
from __future__ import annotations

import argparse
import statistics
import sys
import time
from pathlib import Path

REPO = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(REPO))
sys.path.insert(0, str(REPO / "bench"))


def timed_runs(spec, ds, pool, machine, repeats: int):
    from engine.run import run

    """(first wall, median warm wall, median warm task seconds, last result). Task seconds
    (the sum of the fit times the workers measured) tell a slow backend from a busy machine:
    on a shared machine both rise together, while backend overhead only raises the wall."""
    times, work, result = [], [], None
    for _ in range(1 + repeats):
        start = time.perf_counter()
        result = run(spec, ds, verbose=0, pool=pool, machine=machine, in_process_sequential=False)
        times.append(time.perf_counter() - start)
        work.append(sum(b.seconds for b in result.branches))
    return times[0], statistics.median(times[1:]), statistics.median(work[1:]), result


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--case", default="a", choices=("a", "tiny"))
    parser.add_argument("--repeats", type=int, default=3, help="warm runs per backend")
    args = parser.parse_args()

    from parallel import dataset_for, spec_for

    from engine.backends import machine_facts
    from engine.backends.dask_pool import DaskPool
    from engine.executor import TaskPool

    ds = dataset_for(args.case)
    spec = spec_for("a", 2)
    print(f"case {args.case}: {ds.n_samples} x {ds.n_wavelengths} ({ds.X.nbytes / 1e6:.0f} MB), "
          f"4 branches x (5 folds + refit), 2 workers x 1 thread")

    loky = TaskPool()
    try:
        loky_cold, loky_warm, loky_work, loky_result = timed_runs(spec, ds, loky, None,
                                                                  args.repeats)
    finally:
        loky.shutdown()

    from distributed import LocalCluster

    start = time.perf_counter()
    cluster = LocalCluster(n_workers=2, threads_per_worker=1, processes=True,
                           dashboard_address=None, host="127.0.0.1")
    pool = DaskPool(cluster.scheduler_address)
    facts = machine_facts(pool)
    cluster_start = time.perf_counter() - start
    try:
        dask_cold, dask_warm, dask_work, dask_result = timed_runs(spec, ds, pool, facts,
                                                                  args.repeats)
        scatter = pool.last_scatter_seconds
    finally:
        pool.shutdown()
        cluster.close()

    same = all(a.metrics == b.metrics
               for a, b in zip(loky_result.branches, dask_result.branches, strict=True))
    print(f"  plan: loky {loky_result.parallel[0]['mode']} x{loky_result.parallel[0]['workers']}, "
          f"dask {dask_result.parallel[0]['mode']} x{dask_result.parallel[0]['workers']}")
    print(f"  {'':22}{'first run':>12}{'warm (median)':>16}{'warm task s':>14}{'busy':>8}")
    for name, cold, warm, work in (("local loky", loky_cold, loky_warm, loky_work),
                                   ("dask LocalCluster", dask_cold, dask_warm, dask_work)):
        print(f"  {name:22}{cold:>10.2f} s{warm:>14.2f} s{work:>12.2f} s{work / (2 * warm):>8.0%}")
    print(f"  {'ratio dask / loky':22}{dask_cold / loky_cold:>12.2f}{dask_warm / loky_warm:>16.2f}"
          f"{dask_work / loky_work:>14.2f}")
    print(f"  LocalCluster start + connect {cluster_start:.2f} s (not in the run times); "
          f"scatter of the dataset {scatter * 1000:.0f} ms (once, first run)")
    print(f"  metrics identical: {same}")


if __name__ == "__main__":
    main()
