"""A day's measurements: 1,000 single-spectrum files + a reference sheet, planned and loaded.

Issue 15 target: under 5 s on a 2-core machine. The files are tecator spectra (100 points,
with a little noise so that no two are equal) written as JCAMP-DX or SPC with the test
writers (tests/formats_writers.py), one per sample, plus a CSV sheet with three targets.
The time covers what the window does: plan_folder_import (list the folder, read the sheet,
match) and load_folder_import (read every file, build the dataset). Run from the repo root:

    .venv/bin/python bench/folder_import.py [--format jdx|spc] [--files 1000] [--repeats 3]
"""
from __future__ import annotations

import argparse
import statistics
import sys
import tempfile
import time
from pathlib import Path

import numpy as np

REPO = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(REPO))

from engine.io import load_dataset  # noqa: E402 - after the repo is on the path
from engine.io.folder import load_folder_import, plan_folder_import  # noqa: E402
from tests.formats_writers import write_jcamp, write_spc  # noqa: E402


def write_folder(folder: Path, fmt: str, n: int) -> Path:
    ds = load_dataset(REPO / "resources" / "demo" / "tecator")
    rng = np.random.default_rng(0)
    rows = rng.integers(0, ds.n_samples, n)
    X = ds.X[rows] + rng.normal(0, 1e-4, (n, ds.n_wavelengths))
    axis = np.linspace(ds.wavelengths[0], ds.wavelengths[-1], ds.n_wavelengths)
    folder.mkdir()
    lines = ["sample,moisture,fat,protein"]
    for i in range(n):
        sid = f"s{i:05d}"
        if fmt == "jdx":
            write_jcamp(folder / f"{sid}.jdx", axis, X[i])
        else:
            write_spc(folder / f"{sid}.spc", axis, X[i])
        lines.append(f"{sid}," + ",".join(f"{ds.targets[t][rows[i]]!r}"
                                          for t in ("moisture", "fat", "protein")))
    sheet = folder.parent / "reference.csv"
    sheet.write_text("\n".join(lines) + "\n")
    return sheet


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--format", choices=("jdx", "spc"), default="jdx")
    parser.add_argument("--files", type=int, default=1000)
    parser.add_argument("--repeats", type=int, default=3)
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as tmp:
        folder = Path(tmp) / "spectra"
        sheet = write_folder(folder, args.format, args.files)
        times = []
        for _ in range(args.repeats):
            t0 = time.perf_counter()
            plan = plan_folder_import(folder, sheet)
            imported = load_folder_import(plan)
            times.append(time.perf_counter() - t0)
            ds = imported.dataset
            assert ds.n_samples == args.files and not imported.refused
        print(f"{args.files} {args.format} files + sheet -> {ds.n_samples} x {ds.n_wavelengths} "
              f"({ds.units}): " + ", ".join(f"{t:.2f}" for t in times)
              + f" s; median {statistics.median(times):.2f} s (target < 5 s)")


if __name__ == "__main__":
    main()
