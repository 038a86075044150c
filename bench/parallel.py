"""Sequential vs parallel branches, measured side by side (issue "Parallel executor").

Cases (each run in a fresh Python process, so pool start-up is paid like a user pays it):
  a  the 4-branch pattern (SNV+PLS(10), MSC+Ridge, StandardScaler+ElasticNet, Detrend+Lasso)
     on tablet data replicated to 3,440 training rows (+212 test rows), 597 wavelengths
  b  8 PLS(10) branches from an `_or_` of 8 preprocessings on the same data (BLAS-bound)
  c  a synthetic 20,000 x 1,000 dataset (160 MB): SNV+PLS(10), MSC+Ridge, Detrend+PLS(10),
     StandardScaler+Ridge

For each case it prints the wall time of: sequential (in-process, n_jobs=1), the policy's
choice (n_jobs=-1: the policy decides), and forced 2 workers; par/seq ratios; the peak RSS of
main + workers; and the memory the dataset costs each worker:

  extra per worker = (private memory (USS) of a worker, idle after the run
                      - its private memory, idle before it, warmed on an unrelated tiny set)
                     / dataset bytes

i.e. what each extra worker costs for holding the dataset. A worker's peak during a task also
holds that task's working arrays (the fold's rows, centred copies): the same memory the task
needs in-process, printed beside it and freed when the task ends. A deep copy of the dataset
per worker (what the library we replace does) shows up as ~100 %; `--copy` demonstrates it by
pickling the arrays with every task and keeping a copy in each worker.

Targets on 2 cores: a par/seq <= 0.6; b policy choice <= 1.05 x sequential; c extra < 10 %.

    .venv/bin/python bench/parallel.py [--case a b c] [--copy]
"""
from __future__ import annotations

import argparse
import json
import subprocess
import sys
import threading
import time
from pathlib import Path

import numpy as np

REPO = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(REPO))

FOUR = [["SNV", {"class": "PLSRegression", "params": {"n_components": 10}}],
        ["MSC", {"class": "Ridge", "params": {"alpha": 1.0}}],
        ["StandardScaler", {"class": "ElasticNet", "params": {"alpha": 0.5}}],
        ["Detrend", {"class": "Lasso", "params": {"alpha": 0.1}}]]
EIGHT_PREP = ["SNV", "MSC", "Detrend", "StandardScaler",
              {"class": "SavitzkyGolay", "params": {"deriv": 1}}, "Normalize", "SecondDerivative",
              {"class": "Normalize", "params": {"method": "max"}}]
LARGE = [["SNV", {"class": "PLSRegression", "params": {"n_components": 10}}],
         ["MSC", {"class": "Ridge", "params": {"alpha": 1.0}}],
         ["Detrend", {"class": "PLSRegression", "params": {"n_components": 10}}],
         ["StandardScaler", {"class": "Ridge", "params": {"alpha": 1.0}}]]


def spec_for(case: str, n_jobs: int) -> list:
    if case in ("a", "c"):
        return [{"branch": FOUR if case == "a" else LARGE, "n_jobs": n_jobs}]
    return [{"branch": {"_or_": EIGHT_PREP}, "n_jobs": n_jobs},
            {"class": "PLSRegression", "params": {"n_components": 10}}]


def dataset_for(case: str, split_map: dict[str, str] | None = None):
    """``split_map`` gives the tablet's partition labels other than train/test a role
    (bench/parallel_floor.py maps its 30 'trans' rows to train: 3,440 training rows)."""
    from engine.dataset import SpectralDataset
    from engine.io import load_dataset

    if case == "tiny":
        rng = np.random.default_rng(2)
        return SpectralDataset(rng.normal(size=(60, 50)), np.arange(50.0),
                               {"y": rng.normal(size=60)}, np.arange(60), np.zeros(60, bool),
                               name="tiny")
    if case in ("a", "b"):
        base = load_dataset(REPO / "tests" / "data" / "tablet", split_map=split_map)
        train = base.train_indices
        rng = np.random.default_rng(0)
        reps = 8
        X = np.vstack([base.X[train] + rng.normal(0, 1e-4, (train.size, base.n_wavelengths))
                       for _ in range(reps)] + [base.X[base.test_indices]])
        y = np.concatenate([base.y[train]] * reps + [base.y[base.test_indices]])
        test = np.r_[np.zeros(train.size * reps, bool), np.ones(base.n_test, bool)]
        return SpectralDataset(X, base.wavelengths, {"api_mg": y}, np.arange(y.size), test,
                               name="tablet x8")
    rng = np.random.default_rng(1)
    n, p = 20_000, 1_000
    wl = np.linspace(1000, 2500, p)
    conc = rng.uniform(0, 1, (n, 3))
    bands = np.stack([np.exp(-((wl - c) / 40) ** 2) for c in (1200, 1700, 2100)])
    X = (conc @ bands + rng.uniform(0.9, 1.1, (n, 1)) * (0.2 + wl / 5000)
         + rng.normal(0, 1e-3, (n, p)))
    y = 5 * conc[:, 0] + conc[:, 1] + rng.normal(0, 0.02, n)
    return SpectralDataset(X, wl, {"y": y}, np.arange(n), np.arange(n) % 5 == 0,
                           name="synthetic 20000x1000")


class MemorySampler:
    """Polls the private (anonymous, written) memory and RSS of this process and its children."""

    def __init__(self, interval: float = 0.05) -> None:
        import psutil

        self.psutil = psutil
        self.interval = interval
        self.peak_rss_total = 0
        self.peak_private: dict[int, int] = {}
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._loop, daemon=True)

    @staticmethod
    def private(proc) -> int:
        try:
            return proc.memory_full_info().uss
        except Exception:  # noqa: BLE001 - a process may end between listing and reading
            return 0

    def snapshot(self) -> dict[int, int]:
        me = self.psutil.Process()
        return {p.pid: self.private(p) for p in [me] + me.children(recursive=True)}

    def _loop(self) -> None:
        me = self.psutil.Process()
        while not self._stop.is_set():
            procs = [me] + me.children(recursive=True)
            total = 0
            for proc in procs:
                try:
                    total += proc.memory_info().rss
                except Exception:  # noqa: BLE001 - a child that just exited: skip it
                    continue
                self.peak_private[proc.pid] = max(self.peak_private.get(proc.pid, 0),
                                                  self.private(proc))
            self.peak_rss_total = max(self.peak_rss_total, total)
            time.sleep(self.interval)

    def __enter__(self):
        self._thread.start()
        return self

    def __exit__(self, *exc):
        self._stop.set()
        self._thread.join()


def child(case: str, copy: bool) -> dict:
    """One process: sequential, policy choice (cold pool), forced 2 workers (warm pool)."""
    import warnings

    warnings.filterwarnings("ignore")
    from engine import executor
    from engine.executor import TaskPool
    from engine.run import run

    if copy:  # send X, y pickled with every task instead of memory-mapped (the anti-pattern)
        class CopyShared:
            def __init__(self, X, y):
                self.x_path, self.y_path = np.ascontiguousarray(X), np.asarray(y)

            def close(self):
                pass

        def run_pool_task(kind, bid, fold, pipeline, X, y, tr, va, extra=None):
            import engine.executor as worker_module  # a deep copy kept per worker
            from engine.tasks import execute_task as fit_predict
            worker_module._WORKER_DATA["copy"] = held = (np.array(X), np.array(y))
            return fit_predict(kind, bid, fold, pipeline, held[0], held[1], tr, va, extra)

        executor.run_pool_task = run_pool_task
        executor.SharedData = CopyShared

    ds = dataset_for(case)
    out = {"case": case, "shape": list(ds.X.shape), "dataset_mb": ds.X.nbytes / 2**20}
    pool = TaskPool()
    import psutil

    me = psutil.Process()
    before_seq = MemorySampler.private(me)
    with MemorySampler() as mem:
        t = time.perf_counter()
        seq = run(spec_for(case, 1), ds, verbose=0, pool=pool)
        out["seq_s"] = time.perf_counter() - t
    out["seq_peak_rss_mb"] = mem.peak_rss_total / 2**20
    task_private = max(0, mem.peak_private.get(me.pid, 0) - before_seq)
    t = time.perf_counter()
    auto = run(spec_for(case, -1), ds, verbose=0, pool=pool)
    out["auto_s"] = time.perf_counter() - t
    out["auto_plan"] = auto.parallel[0]["mode"] + f" x{auto.parallel[0]['workers']}"
    out["auto_reasons"] = [r["code"] for r in auto.parallel[0]["reasons"]]
    # warm 2 workers on a tiny unrelated dataset, so they hold none of this case's data
    tiny = dataset_for("tiny")
    run(spec_for("a", 2), tiny, verbose=0, pool=pool, parallel_branches=2)
    before = {pid: MemorySampler.private(psutil.Process(pid)) for pid in pool.worker_pids()}
    with MemorySampler() as mem:
        t = time.perf_counter()
        par = run(spec_for(case, 2), ds, verbose=0, pool=pool)
        out["par2_warm_s"] = time.perf_counter() - t
    out["par_peak_rss_mb"] = mem.peak_rss_total / 2**20
    out["task_private_mb"] = task_private / 2**20
    out["worker_peak_private_mb"] = max(mem.peak_private.get(pid, 0) - before.get(pid, 0)
                                        for pid in pool.worker_pids()) / 2**20
    # what each worker still holds once its tasks are done: the dataset's cost per worker
    after = {pid: MemorySampler.private(psutil.Process(pid)) for pid in pool.worker_pids()}
    held = [after[pid] - before[pid] for pid in after if pid in before]
    out["extra_per_worker_frac"] = max(held) / ds.X.nbytes if held else None
    same = all(a.metrics == b.metrics for a, b in zip(seq.branches, par.branches, strict=True))
    out["identical_metrics"] = same
    pool.shutdown()
    return out


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--case", nargs="*", default=["a", "b", "c"])
    parser.add_argument("--copy", action="store_true",
                        help="pickle the data with every task (anti-pattern)")
    parser.add_argument("--child", help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.child:
        print(json.dumps(child(args.child, args.copy)))
        return
    for case in args.case:
        cmd = [sys.executable, __file__, "--child", case] + (["--copy"] if args.copy else [])
        done = subprocess.run(cmd, capture_output=True, text=True, cwd=REPO)
        if done.returncode:
            print(done.stderr[-3000:])
            continue
        r = json.loads(done.stdout.strip().splitlines()[-1])
        print(f"case {case}: {r['shape'][0]} x {r['shape'][1]} ({r['dataset_mb']:.0f} MB)"
              + ("  [--copy: arrays pickled per task]" if args.copy else ""))
        print(f"  sequential             {r['seq_s']:7.2f} s")
        print(f"  policy choice ({r['auto_plan']:<13}) {r['auto_s']:7.2f} s  "
              f"ratio {r['auto_s'] / r['seq_s']:.3f}"
              f"  reasons {r['auto_reasons']}")
        print(f"  2 workers (warm pool)  {r['par2_warm_s']:7.2f} s  "
              f"ratio {r['par2_warm_s'] / r['seq_s']:.3f}")
        print(f"  peak RSS main+workers  seq {r['seq_peak_rss_mb']:.0f} MB, "
              f"par {r['par_peak_rss_mb']:.0f} MB")
        print(f"  working memory         in-process task peak {r['task_private_mb']:.0f} MB, "
              f"worker peak {r['worker_peak_private_mb']:.0f} MB (freed after each task)")
        frac = r["extra_per_worker_frac"]
        share = "-" if frac is None else f"{100 * frac:.1f} %"
        print(f"  extra per worker       {share} of the dataset "
              "(private memory a worker keeps for the dataset)")
        print(f"  identical metrics seq/par: {r['identical_metrics']}")


if __name__ == "__main__":
    main()
