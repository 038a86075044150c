"""CSV loading at scale: nirdesk's loader vs pandas.read_csv vs numpy.loadtxt (issue 20).

Generates (seeded, in a temporary folder) a folder dataset whose X.csv is 20,000 spectra x 1,000
wavelengths (~160 MB, an id column, a header row of wavelengths, fixed 5-decimal values as
instruments export them) plus y.csv, then loads X.csv with each reader in a fresh process,
taking the readers in turn ``--repeats`` times. Each child reports its wall time from before
its imports (so pandas' and nirdesk's import costs count) to the array in hand, and its peak
RSS (ru_maxrss). Prints the medians, the ratio nirdesk/pandas (target <= 1.2) and peak RSS /
array bytes (target <= 3), then checks that a malformed cell at a random row is refused with
the message naming file, row (the line an editor shows) and column (number and header).

``--before DIR`` times another nirdesk source tree too (the loader before a change).
pandas is not a nirdesk dependency: it is run by ``--pandas-python`` (a throwaway venv, e.g.
``python3 -m venv /tmp/pdvenv && /tmp/pdvenv/bin/pip install pandas numpy psutil``); without
it the pandas column is skipped.

    PYTHONPATH=. .venv/bin/python bench/csv_load.py --pandas-python /tmp/pdvenv/bin/python
    git archive cdb06f2 engine | tar -x -C /tmp/before   # then add --before /tmp/before
"""
from __future__ import annotations

import argparse
import json
import os
import statistics
import subprocess
import sys
import tempfile
from pathlib import Path

import numpy as np

REPO = Path(__file__).resolve().parents[1]

CHILD = {
    "nirdesk": """
import time, resource, sys
t0 = time.perf_counter()
from engine.io import load_dataset
ds = load_dataset(sys.argv[1])
t1 = time.perf_counter()
X = ds.X
""",
    "pandas": """
import time, resource, sys
t0 = time.perf_counter()
import pandas as pd
X = pd.read_csv(sys.argv[1] + "/X.csv", index_col=0).to_numpy()
t1 = time.perf_counter()
""",
    "numpy.loadtxt": """
import time, resource, sys
t0 = time.perf_counter()
import numpy as np
with open(sys.argv[1] + "/X.csv") as f:
    p = f.readline().count(",")
X = np.loadtxt(sys.argv[1] + "/X.csv", delimiter=",", skiprows=1, usecols=range(1, p + 1))
t1 = time.perf_counter()
""",
}
REPORT = """
import json
print(json.dumps({"seconds": t1 - t0, "peak_rss": resource.getrusage(resource.RUSAGE_SELF)
                  .ru_maxrss * 1024, "shape": list(X.shape), "checksum": float(X.sum())}))
"""


def write_dataset(folder: Path, n: int, p: int, seed: int = 20) -> int:
    """X.csv (id column + p wavelengths, values like absorbances with 5 decimals) and y.csv;
    returns the bytes of X.csv. Formatted with byte arithmetic: ~2 s instead of ~20 s."""
    rng = np.random.default_rng(seed)
    wl = np.linspace(1000.0, 2500.0, p)
    grid = np.linspace(0, 1, p)
    with open(folder / "X.csv", "wb") as f:
        f.write(("id," + ",".join(f"{w:.1f}" for w in wl) + "\n").encode())
        for start in range(0, n, 1000):
            m = min(1000, n - start)
            base = rng.uniform(0.1, 0.6, (m, 1)) + rng.uniform(0.0, 0.5, (m, 1)) * grid
            peaks = 0.3 * np.exp(-((grid - rng.uniform(0.3, 0.7, (m, 1))) / 0.05) ** 2)
            v = np.clip(base + peaks + rng.normal(0, 0.01, (m, p)), 0.0, 9.99999)
            ints = np.rint(v * 1e5).astype(np.int64)
            cells = np.empty((m, p, 8), dtype=np.uint8)
            cells[:, :, 0] = ord("0") + ints // 100000
            cells[:, :, 1] = ord(".")
            for k in range(5):
                cells[:, :, 2 + k] = ord("0") + (ints // 10 ** (4 - k)) % 10
            cells[:, :, 7] = ord(",")
            cells[:, -1, 7] = ord("\n")
            ids = np.frombuffer("".join(f"s{start + i:06d}," for i in range(m)).encode(),
                                dtype=np.uint8).reshape(m, 8)
            f.write(np.concatenate([ids, cells.reshape(m, p * 8)], axis=1).tobytes())
    y = rng.uniform(0, 100, n)
    (folder / "y.csv").write_text("protein\n" + "\n".join(f"{v:.3f}" for v in y) + "\n")
    return (folder / "X.csv").stat().st_size


def run_child(python: str, reader: str, folder: Path, root: Path = REPO) -> dict:
    env = dict(os.environ, PYTHONPATH=str(root))
    code = CHILD[reader.split(" ")[0]]
    done = subprocess.run([python, "-c", code + REPORT, str(folder)], env=env, cwd=root,
                          capture_output=True, text=True, check=False)
    if done.returncode:
        raise SystemExit(f"{reader} failed:\n{done.stderr}")
    return json.loads(done.stdout.strip().splitlines()[-1])


def check_malformed(folder: Path, n: int, p: int, seed: int) -> None:
    """Damage one cell at a random row and column; the refusal must name file, line, column."""
    from engine.errors import InputError
    from engine.io import load_dataset

    rng = np.random.default_rng(seed + 1)
    row, col = int(rng.integers(1, n + 1)), int(rng.integers(1, p + 1))  # data row, wl column
    lines = (folder / "X.csv").read_bytes().split(b"\n")
    header = lines[0].split(b",")
    cells = lines[row].split(b",")
    cells[col] = b"0.1x5"
    lines[row] = b",".join(cells)
    bad = folder / "bad"
    bad.mkdir()
    (bad / "X.csv").write_bytes(b"\n".join(lines))
    (bad / "y.csv").write_bytes((folder / "y.csv").read_bytes())
    try:
        load_dataset(bad)
    except InputError as exc:
        message = str(exc)
    else:
        raise SystemExit("the malformed cell was not refused")
    name = header[col].decode()
    expected = (str(bad / "X.csv"), f"row {row + 1}", f"column {col + 1} ({name})",
                "'0.1x5'")
    missing = [e for e in expected if e not in message]
    print(f"malformed cell at line {row + 1}, column {col + 1} ({name}):\n    {message}")
    print("message names file, row and column:", "yes" if not missing else f"NO, missing {missing}")
    if missing:
        raise SystemExit(1)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rows", type=int, default=20000)
    parser.add_argument("--cols", type=int, default=1000)
    parser.add_argument("--repeats", type=int, default=3)
    parser.add_argument("--pandas-python", default="/tmp/pdvenv/bin/python",
                        help="a Python with pandas (not nirdesk's venv); '' to skip")
    parser.add_argument("--no-loadtxt", action="store_true", help="skip numpy.loadtxt (slow)")
    parser.add_argument("--seed", type=int, default=20)
    parser.add_argument("--before", type=Path, default=None,
                        help="another nirdesk source tree (e.g. `git archive` of main) to time "
                             "as 'nirdesk before'")
    args = parser.parse_args()
    readers = {"nirdesk": sys.executable}
    roots = {"nirdesk": REPO}
    if args.before is not None:
        readers["nirdesk before"] = sys.executable
        roots["nirdesk before"] = args.before
    if args.pandas_python and Path(args.pandas_python).exists():
        readers["pandas"] = args.pandas_python
    else:
        print("pandas: skipped (no --pandas-python)")
    if not args.no_loadtxt:
        readers["numpy.loadtxt"] = sys.executable
    with tempfile.TemporaryDirectory(prefix="nirdesk-csv-bench-") as tmp:
        folder = Path(tmp)
        size = write_dataset(folder, args.rows, args.cols, args.seed)
        array_bytes = args.rows * args.cols * 8
        print(f"X.csv: {args.rows} x {args.cols}, {size / 1e6:.0f} MB on disk, "
              f"{array_bytes / 1e6:.0f} MB as float64; {args.repeats} runs each, in turn")
        results: dict[str, list[dict]] = {r: [] for r in readers}
        for _ in range(args.repeats):
            for reader, python in readers.items():
                results[reader].append(run_child(python, reader, folder,
                                                 roots.get(reader, REPO)))
        sums = {r: res[0]["checksum"] for r, res in results.items()}
        med = {}
        for reader, res in results.items():
            t = statistics.median(r["seconds"] for r in res)
            rss = statistics.median(r["peak_rss"] for r in res)
            med[reader] = (t, rss)
            runs = ", ".join(f"{r['seconds']:.2f}" for r in res)
            print(f"  {reader:15s} median {t:5.2f} s  (runs {runs})   peak RSS "
                  f"{rss / 1e6:5.0f} MB = {rss / array_bytes:.2f} x the array")
        if "pandas" in med:
            ratio = med["nirdesk"][0] / med["pandas"][0]
            print(f"ratio nirdesk/pandas (time) = {ratio:.2f}   (target <= 1.2)")
        print(f"ratio peak RSS/array bytes (nirdesk) = {med['nirdesk'][1] / array_bytes:.2f}   "
              "(target <= 3)")
        same = len({round(v, 6) for v in sums.values()}) == 1
        print("same values from every reader:", "yes" if same else f"NO {sums}")
        check_malformed(folder, args.rows, args.cols, args.seed)


if __name__ == "__main__":
    main()
