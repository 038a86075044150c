"""Binary datasets at scale: nirdesk's .npz and .npy-folder loads vs np.load vs a raw read vs
nirdesk's CSV load of the same 20,000 x 1,000 data (issue 20).

Generates csv_load.py's seeded folder dataset (X.csv: id column + 1,000 wavelengths, 5-decimal
values; y.csv), reads it once with nirdesk, and writes the same arrays as one uncompressed
.npz (np.savez: X, wavelengths, y_protein, sample_ids) and as a folder of .npy files. Each
reader then runs in a fresh process, the readers taken in turn ``--repeats`` times; a child
reports its wall time from before its imports to the array in hand ("total") and from after
its imports ("load"), and its peak RSS (VmHWM). The floor is ``np.load`` of the same file
(its X), and under it the raw read of the file's bytes into one preallocated numpy buffer
(np.empty: the same large-page allocation np.load's array gets; a bytearray is zeroed first
and takes ~5x longer here, which would flatter every reader). The
files were just written, so every read comes from the page cache: these are warm-cache
figures (dropping the cache would disturb the other work on a shared machine).

Then the cancel latency of a CSV load (engine.io.meter): the 20,000 x 1,000 X.csv load is
cancelled at several moments and the time from ``cancel.set()`` to ``Cancelled`` is taken.

    PYTHONPATH=. .venv/bin/python bench/binary_load.py [--repeats 5]
"""
from __future__ import annotations

import argparse
import json
import os
import shutil
import statistics
import subprocess
import sys
import tempfile
import threading
import time
from pathlib import Path

import numpy as np

REPO = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(Path(__file__).resolve().parent))
from csv_load import write_dataset  # noqa: E402  (a sibling script, not a package)

#: the floor under every reader: the file's bytes read into one preallocated numpy buffer
RAW_READ = """
t0 = time.perf_counter()
import numpy as np
t_import = time.perf_counter()
path = sys.argv[1] + "{file}"
X = np.empty(os.path.getsize(path), dtype=np.uint8)
with open(path, "rb", buffering=0) as f:
    view, done = memoryview(X), 0
    while done < X.size:
        done += f.readinto(view[done:])
"""

CHILD = {
    "nirdesk npz": """
t0 = time.perf_counter()
from engine.io import load_dataset
t_import = time.perf_counter()
X = load_dataset(sys.argv[1] + "/data.npz").X
""",
    "np.load npz": """
t0 = time.perf_counter()
import numpy as np
t_import = time.perf_counter()
with np.load(sys.argv[1] + "/data.npz") as archive:
    X = archive["X"]
""",
    "nirdesk npy folder": """
t0 = time.perf_counter()
from engine.io import load_dataset
t_import = time.perf_counter()
X = load_dataset(sys.argv[1] + "/npy").X
""",
    "np.load X.npy": """
t0 = time.perf_counter()
import numpy as np
t_import = time.perf_counter()
X = np.load(sys.argv[1] + "/npy/X.npy")
""",
    "raw read npz": RAW_READ.format(file="/data.npz"),
    "raw read X.npy": RAW_READ.format(file="/npy/X.npy"),
    "nirdesk csv": """
t0 = time.perf_counter()
from engine.io import load_dataset
t_import = time.perf_counter()
X = load_dataset(sys.argv[1] + "/csv").X
""",
}
HEAD = "import os, sys, time\n"
# peak RSS from VmHWM: ru_maxrss survives exec on Linux, so a child would report the parent's
# peak (the parent holds the dataset while it writes the files)
REPORT = """
t1 = time.perf_counter()
import json
with open("/proc/self/status") as status:
    hwm = next(int(line.split()[1]) * 1024 for line in status if line.startswith("VmHWM"))
print(json.dumps({"total": t1 - t0, "load": t1 - t_import, "peak_rss": hwm,
                  "bytes": int(X.nbytes)}))
"""


def write_binaries(root: Path, n: int, p: int, seed: int) -> dict[str, int]:
    """The CSV dataset and the same arrays as data.npz and npy/*.npy; their sizes."""
    from engine.io import load_dataset

    csv = root / "csv"
    csv.mkdir()
    write_dataset(csv, n, p, seed)
    ds = load_dataset(csv)
    arrays = {"X": ds.X, "wavelengths": ds.wavelengths, "y_protein": ds.targets["protein"],
              "sample_ids": ds.sample_ids}
    np.savez(root / "data.npz", **arrays)
    (root / "npy").mkdir()
    for name, values in arrays.items():
        np.save(root / "npy" / f"{name}.npy", values)
    del ds, arrays
    return {"csv": (csv / "X.csv").stat().st_size, "npz": (root / "data.npz").stat().st_size,
            "npy": (root / "npy" / "X.npy").stat().st_size}


def run_child(reader: str, root: Path) -> dict:
    env = dict(os.environ, PYTHONPATH=str(REPO))
    done = subprocess.run([sys.executable, "-c", HEAD + CHILD[reader] + REPORT, str(root)],
                          env=env, cwd=REPO, capture_output=True, text=True, check=False)
    if done.returncode:
        raise SystemExit(f"{reader} failed:\n{done.stderr}")
    return json.loads(done.stdout.strip().splitlines()[-1])


def cancel_latency(folder: Path, delays: list[float]) -> list[tuple[float, float, str]]:
    """(delay, seconds from cancel.set() to Cancelled, the stage it stopped in)."""
    from engine.errors import Cancelled
    from engine.io import load_dataset

    out = []
    for delay in delays:
        cancel = threading.Event()
        result: dict[str, object] = {}

        def load(cancel: threading.Event = cancel, result: dict = result) -> None:
            try:
                load_dataset(folder, cancel=cancel)
                result["stage"] = "finished first"
            except Cancelled as exc:
                result["at"] = time.perf_counter()
                tb = exc.__traceback__
                names = []
                while tb is not None:
                    names.append(tb.tb_frame.f_code.co_name)
                    tb = tb.tb_next
                stages = [n for n in names if n in ("_read_in_blocks", "plain_rows", "numbers",
                                                    "load_folder")]
                result["stage"] = stages[-1] if stages else names[-1]

        thread = threading.Thread(target=load)
        thread.start()
        time.sleep(delay)
        asked = time.perf_counter()
        cancel.set()
        thread.join()
        at = result.get("at", asked)
        assert isinstance(at, float)
        out.append((delay, at - asked, str(result["stage"])))
    return out


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rows", type=int, default=20000)
    parser.add_argument("--cols", type=int, default=1000)
    parser.add_argument("--repeats", type=int, default=3)
    parser.add_argument("--seed", type=int, default=20)
    parser.add_argument("--no-csv", action="store_true", help="skip nirdesk's CSV load")
    args = parser.parse_args()
    readers = [r for r in CHILD if not (args.no_csv and r == "nirdesk csv")]
    root = Path(tempfile.mkdtemp(prefix="nirdesk-binary-bench-"))
    try:
        sizes = write_binaries(root, args.rows, args.cols, args.seed)
        array_bytes = args.rows * args.cols * 8
        print(f"{args.rows} x {args.cols}: X.csv {sizes['csv'] / 1e6:.0f} MB, data.npz "
              f"{sizes['npz'] / 1e6:.0f} MB (uncompressed), X.npy {sizes['npy'] / 1e6:.0f} MB; "
              f"{args.repeats} runs each, in turn, fresh processes, warm page cache")
        results: dict[str, list[dict]] = {r: [] for r in readers}
        for _ in range(args.repeats):
            for reader in readers:
                results[reader].append(run_child(reader, root))
        med: dict[str, dict[str, float]] = {}
        print(f"  {'reader':20s} {'total':>7s} {'load':>7s}   (load runs)            peak RSS")
        for reader, res in results.items():
            m = {k: statistics.median(r[k] for r in res) for k in ("total", "load", "peak_rss")}
            med[reader] = m
            runs = ", ".join(f"{r['load']:.3f}" for r in res)
            print(f"  {reader:20s} {m['total']:6.3f}s {m['load']:6.3f}s   ({runs})   "
                  f"{m['peak_rss'] / 1e6:5.0f} MB = {m['peak_rss'] / array_bytes:.2f} x X")

        def ratio(a: str, b: str, key: str) -> str:
            return f"{med[a][key] / med[b][key]:.2f}" if med[b][key] > 0 else "-"

        print("ratios (medians; load = after imports, total = with them):")
        for a, b in (("nirdesk npz", "np.load npz"), ("nirdesk npy folder", "np.load X.npy"),
                     ("nirdesk npz", "raw read npz"), ("nirdesk npy folder", "raw read X.npy"),
                     ("np.load npz", "raw read npz"), ("np.load X.npy", "raw read X.npy"),
                     ("nirdesk csv", "nirdesk npz")):
            if a in med and b in med:
                print(f"  {a} / {b}: load {ratio(a, b, 'load')}, total {ratio(a, b, 'total')}")
        if not args.no_csv:
            delays = [0.02, 0.1, 0.2, 0.3, 0.4, 0.6, 0.8, 1.0, 1.2]
            lat = cancel_latency(root / "csv", delays)
            print("cancel of the X.csv load (delay after start: seconds to Cancelled, stage):")
            for delay, seconds, stage in lat:
                print(f"  {delay:4.2f} s: {seconds:.3f} s ({stage})")
            stopped = [s for _, s, stage in lat if stage != "finished first"]
            if stopped:
                print(f"  worst {max(stopped):.3f} s, median {statistics.median(stopped):.3f} s "
                      f"over {len(stopped)} cancels   (target <= 0.5 s)")
    finally:
        shutil.rmtree(root, ignore_errors=True)


if __name__ == "__main__":
    main()
