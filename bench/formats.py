"""Reading 1,000 single-spectrum instrument files: nirdesk's readers vs the format's library.

A day's measurements are ~1,000 single-spectrum files; issue 15 asks that they load in under
5 s on a 2-core machine. This writes the tablet spectra (cycled to --files) as one JCAMP-DX and
one SPC file per spectrum with the test writers (tests/formats_writers.py), then reads them in a
plain loop with nirdesk's ``read_spectra`` and with the format's own library, and prints each
time (median of --repeats) and the ratio.

JCAMP-DX: the library is ``jcamp`` (nirdesk decodes through it, so the ratio is the cost of
nirdesk's label checks and validation). SPC: nirdesk has its own reader; ``spc-io`` (MIT, pulls
pandas and pydantic, ~170 MB) is compared when ``--spc-io DIR`` points at a ``pip install
--target DIR spc-io`` (appended to sys.path, so nirdesk's numpy stays first).

    .venv/bin/python bench/formats.py [--files 1000] [--repeats 3] [--spc-io /tmp/spcio]
"""
from __future__ import annotations

import argparse
import statistics
import sys
import tempfile
import time
from collections.abc import Callable
from pathlib import Path

import numpy as np

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from engine.io.formats import read_spectra  # noqa: E402 - after the path set-up above
from tests.formats_writers import write_jcamp, write_spc  # noqa: E402 - same


def timed(fn: Callable[[], object], repeats: int) -> tuple[float, float]:
    times = []
    for _ in range(repeats):
        t0 = time.perf_counter()
        fn()
        times.append(time.perf_counter() - t0)
    return statistics.median(times), min(times)


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--files", type=int, default=1000)
    ap.add_argument("--repeats", type=int, default=3)
    ap.add_argument("--spc-io", default=None, help="a pip --target folder holding spc-io")
    args = ap.parse_args()
    table = np.loadtxt(ROOT / "tests" / "data" / "tablet" / "X.csv", delimiter=",")
    wl, X = table[0], table[1:]
    with tempfile.TemporaryDirectory() as tmp:
        folder = Path(tmp)
        t0 = time.perf_counter()
        jdx = [write_jcamp(folder / f"s{i:04d}.jdx", wl, X[i % len(X)])
               for i in range(args.files)]
        spc = [write_spc(folder / f"s{i:04d}.spc", wl, X[i % len(X)])
               for i in range(args.files)]
        print(f"wrote {args.files} JCAMP-DX + {args.files} SPC files ({wl.size} points) in "
              f"{time.perf_counter() - t0:.1f} s")

        import jcamp

        def nirdesk_all(paths: list[Path]) -> np.ndarray:
            return np.vstack([read_spectra(p).spectra for p in paths])

        def jcamp_all() -> np.ndarray:
            return np.vstack([jcamp.readfile(str(p))["y"] for p in jdx])

        rows = [("JCAMP-DX", "nirdesk", lambda: nirdesk_all(jdx)),
                ("JCAMP-DX", "jcamp 1.3.2", jcamp_all),
                ("SPC", "nirdesk", lambda: nirdesk_all(spc))]
        if args.spc_io:
            sys.path.append(args.spc_io)
            import spc_io

            def spcio_all() -> np.ndarray:
                out = []
                for p in spc:
                    with p.open("rb") as fh:
                        out.append(spc_io.SPC.from_bytes_io(fh)[0].yarray)
                return np.vstack(out)

            rows.append(("SPC", "spc-io 0.2.1", spcio_all))
        a, b = nirdesk_all(jdx), jcamp_all()
        assert np.array_equal(a, b), "nirdesk and jcamp disagree"
        medians: dict[tuple[str, str], float] = {}
        for fmt, who, fn in rows:
            med, best = timed(fn, args.repeats)
            medians[fmt, who] = med
            print(f"{fmt:9s} {who:12s} median {med:6.2f} s  (min {best:.2f})  "
                  f"{1000 * med / args.files:.2f} ms/file")
        print(f"ratio nirdesk/jcamp (JCAMP-DX) = "
              f"{medians['JCAMP-DX', 'nirdesk'] / medians['JCAMP-DX', 'jcamp 1.3.2']:.2f}")
        if ("SPC", "spc-io 0.2.1") in medians:
            print(f"ratio nirdesk/spc-io (SPC) = "
                  f"{medians['SPC', 'nirdesk'] / medians['SPC', 'spc-io 0.2.1']:.2f}")


if __name__ == "__main__":
    main()
