"""Seeded generators of hostile input for the reliability suite (tests/reliability).

Why seeded generators and not hypothesis: the inputs that broke nirdesk were specific kinds
(a ragged row, 1e300, a FIFO, a spec 2,000 branch steps deep, a flipped byte in a project),
not values that need shrinking; a ``random.Random(seed)`` per case makes every case
reproducible from its test id (``[ragged-3]`` is seed 3 of the ragged kind) with no new
dependency, and the suite stays a fixed size with a known run time.

Each generator returns the input and whether it is *certainly* bad: a certainly bad input
must exit 2 with one line; a mutation that may land somewhere harmless (a byte flipped in a
pipeline's JSON or in a project's free pages) may also exit 0, never anything else
(``check_outcome``).

Why the CLI is called in-process (``call_cli``): ~250 calls through subprocesses would cost
~2 s each in interpreter and scikit-learn start-up; ``engine.cli.main(argv)`` is the same
code path minus that (tests/reliability/fuzz/test_fuzz_subprocess.py covers what only a
process shows: a FIFO, the imports made before a refusal, exit through the interpreter).
"""
from __future__ import annotations

import codecs
import gzip
import io
import json
import random
import signal
from collections.abc import Callable, Iterator
from contextlib import contextmanager, redirect_stderr, redirect_stdout
from dataclasses import dataclass
from pathlib import Path
from typing import Any

#: a hostile input must be answered within this (the slowest legitimate case here is a
#: small cross-validated PLS run: well under a second)
DEADLINE_S = 60


class Hang(BaseException):
    """Raised by the alarm when a CLI call exceeds DEADLINE_S (BaseException: no `except
    Exception` in the code under test can swallow it)."""


@contextmanager
def deadline(seconds: float) -> Iterator[None]:
    def expire(signum, frame):
        raise Hang(f"no answer within {seconds} s")

    previous = signal.signal(signal.SIGALRM, expire)
    signal.setitimer(signal.ITIMER_REAL, seconds)
    try:
        yield
    finally:
        signal.setitimer(signal.ITIMER_REAL, 0)
        signal.signal(signal.SIGALRM, previous)


def call_cli(argv: list[str], seconds: float = DEADLINE_S) -> tuple[int, str, str]:
    """(exit code, stdout, stderr) of ``nirdesk ARGV`` run in this process. An uncaught
    exception (a traceback) propagates and fails the test."""
    from engine.cli import main

    out, err = io.StringIO(), io.StringIO()
    with deadline(seconds), redirect_stdout(out), redirect_stderr(err):
        try:
            code = main(argv)
        except SystemExit as exc:  # argparse's own refusals
            code = exc.code if isinstance(exc.code, int) else 2
    return code, out.getvalue(), err.getvalue()


def check_outcome(argv: list[str], code: int, err: str, must_refuse: bool) -> None:
    """The contract for hostile input: exit 2 with exactly one line naming the command on
    stderr (or 0 when the input turned out usable and ``must_refuse`` is False); never a
    traceback, never a library path, never another exit code."""
    command = argv[0]
    shown = f"nirdesk {command} {' '.join(argv[1:])}"
    assert "Traceback" not in err, f"{shown}: traceback\n{err}"
    assert "site-packages" not in err and ".py:" not in err, f"{shown}: raw warning\n{err}"
    allowed = (2,) if must_refuse else (0, 2)
    assert code in allowed, f"{shown}: exit {code}, expected {allowed}\n{err}"
    if code == 2:
        lines = err.strip().splitlines()
        assert len(lines) == 1 and lines[0].startswith(f"nirdesk {command}: "), \
            f"{shown}: not one line\n{err}"


N_SAMPLES, N_WAVELENGTHS = 30, 24
WAVELENGTHS = [1100 + 4 * k for k in range(N_WAVELENGTHS)]


@dataclass
class Case:
    """One generated input: ``path`` on disk, ``bad`` True when it must be refused (exit 2),
    False when exit 0 is also right, and a label for the test id."""

    path: Path
    bad: bool
    label: str


def base_table(seed: int = 0) -> list[list[str]]:
    """A small valid single-CSV dataset (header of wavelengths plus 'fat'), as cells."""
    rng = random.Random(seed)
    rows = [[f"{w:g}" for w in WAVELENGTHS] + ["fat"]]
    for _ in range(N_SAMPLES):
        a, b = rng.uniform(0.5, 1.5), rng.uniform(-0.1, 0.1)
        spectrum = [a * (1 + 0.3 * ((k - 12) / 12) ** 2) + b + rng.gauss(0, 0.01)
                    for k in range(N_WAVELENGTHS)]
        rows.append([f"{v:.6f}" for v in spectrum] + [f"{10 * a + rng.gauss(0, 0.2):.4f}"])
    return rows


def write_table(path: Path, rows: list[list[str]], sep: str = ",") -> Path:
    path.write_text("\n".join(sep.join(r) for r in rows) + "\n", encoding="utf-8")
    return path


# -- datasets ------------------------------------------------------------------------------

def _cell(rng: random.Random, rows: list[list[str]], target: bool = False) -> tuple[int, int]:
    i = rng.randrange(1, len(rows))
    j = len(rows[0]) - 1 if target else rng.randrange(0, len(rows[0]) - 1)
    return i, j


def _ragged(rng: random.Random, rows: list[list[str]]) -> bool:
    i = rng.randrange(1, len(rows))
    if rng.random() < 0.5:
        rows[i] = rows[i][:-rng.randint(1, 3)]
    else:
        rows[i] = rows[i] + ["1.0"] * rng.randint(1, 3)
    return True


def _text_cell(rng: random.Random, rows: list[list[str]]) -> bool:
    i, j = _cell(rng, rows)
    rows[i][j] = rng.choice(["abc", "1,2.3", "--", "0x1F", "1e", "NaN?", "#N/A", "\u00b5"])
    return True


def _non_finite(rng: random.Random, rows: list[list[str]]) -> bool:
    i, j = _cell(rng, rows, target=rng.random() < 0.3)
    rows[i][j] = rng.choice(["nan", "NaN", "inf", "-inf", "Infinity", "1e309", "-1e400"])
    return True


def _overflow(rng: random.Random, rows: list[list[str]]) -> bool:
    target = rng.random() < 0.3
    for _ in range(1 if rng.random() < 0.5 else len(rows) - 1):
        i, j = _cell(rng, rows, target=target)
        rows[i][j] = rng.choice(["1e300", "-1e300", "3.5e200", "1e101", "-7e150"])
    return True


def _header(rng: random.Random, rows: list[list[str]]) -> bool:
    j = rng.randrange(1, len(rows[0]) - 1)
    kind = rng.choice(["duplicate", "descending-one", "text", "empty"])
    if kind == "duplicate":
        rows[0][j] = rows[0][j - 1]
    elif kind == "descending-one":
        rows[0][j] = str(float(rows[0][j - 1]) - 1)
    elif kind == "text":
        rows[0] = [f"w{k}" for k in range(len(rows[0]))]   # no wavelength at all
    else:
        rows[0][j] = ""
    return True


def _constant_target(rng: random.Random, rows: list[list[str]]) -> bool:
    value = rng.choice(["5", "0", "-3.25"])
    for r in rows[1:]:
        r[-1] = value
    return True  # `run` refuses it; `info` describes it (exit 0)


def _one_row(rng: random.Random, rows: list[list[str]]) -> bool:
    del rows[2:]
    return True  # `run` refuses it; `info` describes it (exit 0)


MUTATIONS: dict[str, Callable[[random.Random, list[list[str]]], bool]] = {
    "ragged": _ragged, "text": _text_cell, "nonfinite": _non_finite, "overflow": _overflow,
    "header": _header, "constant": _constant_target, "onerow": _one_row,
}
#: kinds that `info` may still describe (exit 0): nothing is wrong with them as a table
INFO_ACCEPTS = frozenset({"constant", "onerow", "bom", "crlf", "dupid"})


def dataset_case(kind: str, seed: int, folder: Path) -> Case:
    """A malformed single-CSV (or a file that only looks like one) of ``kind``."""
    rng = random.Random(f"{kind}-{seed}")
    path = folder / f"{kind}-{seed}.csv"
    rows = base_table(seed)
    if kind in MUTATIONS:
        MUTATIONS[kind](rng, rows)
        write_table(path, rows)
        return Case(path, True, kind)
    text = "\n".join(",".join(r) for r in rows) + "\n"
    if kind == "empty":
        path.write_bytes(rng.choice([b"", b"\n\n", b"   \n", b";;;\n"]))
    elif kind == "headeronly":
        path.write_text(text.splitlines()[0] + "\n")
    elif kind == "truncated":
        data = text.encode()
        path.write_bytes(data[:rng.randrange(len(data) // 4, len(data) * 3 // 4)])
        return Case(path, False, kind)  # a cut at a line end is a shorter valid table
    elif kind == "binary":
        path.write_bytes(bytes(rng.randrange(256) for _ in range(rng.randint(1, 4000))))
    elif kind == "utf16-nobom":
        path.write_bytes(text.encode("utf-16-le"))
    elif kind == "latin1-garbage":
        path.write_bytes(bytes(rng.randrange(128, 256) for _ in range(400)))
    elif kind == "gzip-corrupt":
        path = folder / f"{kind}-{seed}.csv.gz"
        data = gzip.compress(text.encode())
        cut = rng.randrange(10, len(data) - 10)
        path.write_bytes(data[:cut] + bytes([data[cut] ^ 0xFF]) + data[cut + 1:])
    elif kind == "jcamp":
        path.write_text("##TITLE=spectrum\n##JCAMP-DX=4.24\n##XYDATA=(X++(Y..Y))\n"
                        "1100 1.0 1.1 1.2\n##END=\n")
    elif kind == "bom":
        path.write_bytes(codecs.BOM_UTF8 + text.encode())
        return Case(path, False, kind)
    elif kind == "crlf":
        path.write_bytes(text.replace("\n", "\r\n").encode())
        return Case(path, False, kind)
    elif kind == "dupid":  # replicate scans share an id: a valid dataset
        lines = text.splitlines()
        path.write_text("\n".join(["id," + lines[0]] + [f"s{min(k, 4)},{ln}" for k, ln in
                                                         enumerate(lines[1:])]) + "\n")
        return Case(path, False, kind)
    else:  # pragma: no cover - a typo in a test's list of kinds
        raise ValueError(kind)
    return Case(path, True, kind)


DATASET_KINDS = (*MUTATIONS, "empty", "headeronly", "truncated", "binary", "utf16-nobom",
                 "latin1-garbage", "gzip-corrupt", "jcamp", "bom", "crlf", "dupid")


# -- pipeline specs ------------------------------------------------------------------------

PLS = {"class": "PLSRegression", "params": {"n_components": 3}}


def _nested(depth: int) -> list[Any]:
    spec: list[Any] = [PLS]
    for _ in range(depth):
        spec = [{"branch": [spec]}]
    return spec


def spec_case(kind: str, seed: int, folder: Path) -> Case:
    """A malformed pipeline file of ``kind`` (written as text: some are not even JSON)."""
    rng = random.Random(f"spec-{kind}-{seed}")
    path = folder / f"spec-{kind}-{seed}.json"
    bad_value = rng.choice(["three", [3], {"n": 3}, None, True, 3.5, -1, 0, 10**9])
    text: str | None = None
    spec: Any
    if kind == "wrongtype":
        spec = [{"class": "PLSRegression", "params": {"n_components": bad_value}}]
    elif kind == "unknownstep":
        spec = [rng.choice(["PLSRegresion", "os.system", "builtins.eval", "sklearn.Nope",
                            "engine.cli.main", "subprocess.Popen"]), PLS]
    elif kind == "unknownparam":
        spec = [{"class": "SavitzkyGolay", "params": {rng.choice(["window", "poly", "x"]): 5}},
                PLS]
    elif kind == "unknownkey":
        spec = [{"class": "SNV", rng.choice(["param", "klass", "enable"]): {}}, PLS]
    elif kind == "shape":
        spec = rng.choice([{}, 3, "PLS", [[]], [[PLS]], {"steps": 3}, {"branch": []},
                           [{"branch": {"_or_": []}}, PLS], [{"branch": "x"}, PLS],
                           [{"branch": {"_or_": ["SNV"], "x": 1}}, PLS], [], [None]])
    elif kind == "deep":
        depth = rng.choice([65, 100, 500, 2000, 5000])
        text = '[{"branch":[' * depth + json.dumps(PLS) + "]}]" * depth
        spec = None
    elif kind == "huge":
        n = rng.choice([5001, 10000, 50000])
        if rng.random() < 0.5:
            spec = [{"branch": {"_or_": ["SNV"] * n}}, PLS]
        else:  # a product: 100 x 100 x 100 alternatives, each list small
            spec = [{"branch": {"_or_": ["SNV"] * 100}}, {"branch": {"_or_": ["MSC"] * 100}},
                    {"branch": {"_or_": ["Detrend"] * 100}}, PLS]
    elif kind == "data":  # valid JSON and parameters, impossible on this data
        spec = rng.choice([
            [{"class": "PLSRegression", "params": {"n_components": N_WAVELENGTHS + 1}}],
            [{"class": "PLSRegression", "params": {"n_components": 500}}],
            [{"class": "SavitzkyGolay", "params": {"window_length": 2 * N_WAVELENGTHS + 1}},
             PLS],
            [{"model": {"class": "Ridge"}, "finetune_params": {
                "sampler": "grid", "model_params": {"alpha": ["float", 0.1, 10]}}}],
            [{"class": "SNV", "enabled": False}, {**PLS, "enabled": False}],
            [{"branch": [[PLS]], "enabled": False}],
        ])
    elif kind == "syntax":
        good = json.dumps([{"branch": {"_or_": ["SNV", "MSC"]}}, PLS])
        text = good[:rng.randrange(1, len(good) - 1)]
        spec = None
    elif kind == "bytes":  # random bytes flipped in a valid spec: may stay valid
        good = bytearray(json.dumps([{"branch": {"_or_": ["SNV", "MSC"]}}, PLS]).encode())
        for _ in range(rng.randint(1, 4)):
            k = rng.randrange(len(good))
            good[k] = rng.randrange(256)
        path.write_bytes(bytes(good))
        return Case(path, False, kind)
    else:  # pragma: no cover
        raise ValueError(kind)
    path.write_text(text if text is not None else json.dumps(spec))
    return Case(path, True, kind)


SPEC_KINDS = ("wrongtype", "unknownstep", "unknownparam", "unknownkey", "shape", "deep",
              "huge", "data", "syntax", "bytes")


# -- project files -------------------------------------------------------------------------

def mutate_project(source: bytes, seed: int, path: Path) -> Case:
    """A copy of a project file with bytes flipped, zeroed, cut or appended (seeded)."""
    rng = random.Random(f"project-{seed}")
    data = bytearray(source)
    kind = rng.choice(["flip", "flip", "flip", "zero-page", "truncate", "append", "header"])
    page = 4096
    if kind == "flip":
        for _ in range(rng.randint(1, 16)):
            k = rng.randrange(len(data))
            data[k] ^= 1 << rng.randrange(8)
    elif kind == "zero-page":
        start = page * rng.randrange(max(1, len(data) // page))
        data[start:start + page] = bytes(min(page, len(data) - start))
    elif kind == "truncate":
        del data[rng.randrange(16, len(data) - 1):]
    elif kind == "append":
        data += bytes(rng.randrange(256) for _ in range(rng.randint(1, 5000)))
    else:  # the 100-byte SQLite header
        k = rng.randrange(16, 100)
        data[k] = rng.randrange(256)
    path.write_bytes(bytes(data))
    return Case(path, False, f"project-{kind}")
