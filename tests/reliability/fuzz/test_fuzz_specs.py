"""Malformed pipeline files through `nirdesk run` (issue 22, points 10-11): wrong parameter
types (a boolean for a count), unknown steps and callables, unknown parameters and keys,
wrong shapes, nesting thousands of branch steps deep, generators of tens of thousands of
branches, parameters impossible on the data (more components than wavelengths, a window
wider than the spectrum, a grid over a float range, every step disabled), cut JSON and
flipped bytes. Every case: no traceback, no hang, exit 2 in one line, before any work."""
from __future__ import annotations

import time

import pytest

from tests.fuzzing import SPEC_KINDS, check_outcome, spec_case

SEEDS = range(5)


@pytest.mark.parametrize("seed", SEEDS)
@pytest.mark.parametrize("kind", SPEC_KINDS)
def test_run_on_a_malformed_pipeline(kind, seed, tmp_path, cli, good_data):
    case = spec_case(kind, seed, tmp_path)
    argv = ["run", str(case.path), "--data", str(good_data), "--verbose", "0"]
    start = time.perf_counter()
    code, _, err = cli(argv)
    seconds = time.perf_counter() - start
    check_outcome(argv, code, err, must_refuse=case.bad)
    if kind in ("deep", "huge"):
        assert "limit" in err or "too deeply" in err, err  # the limit is named
        assert seconds < 10, f"refusing took {seconds:.1f} s"  # counted, never expanded


def test_limits_are_named_with_their_numbers(tmp_path, cli, good_data):
    from engine.pipeline.limits import MAX_BRANCHES, MAX_NESTING

    deep = spec_case("deep", 0, tmp_path)  # 65..5000 levels
    code, _, err = cli(["run", str(deep.path), "--data", str(good_data)])
    assert code == 2 and str(MAX_NESTING) in err
    product = tmp_path / "product.json"  # 100^3 = 1,000,000 branches from three short lists
    product.write_text('[{"branch": {"_or_": ' + '["SNV", "MSC"]' .replace(
        '"SNV", "MSC"', ", ".join(['"SNV"'] * 100)) + '}}, {"branch": {"_or_": [' +
        ", ".join(['"MSC"'] * 100) + ']}}, {"branch": {"_or_": [' +
        ", ".join(['"Detrend"'] * 100) + ']}}, "PLSRegression"]')
    code, _, err = cli(["run", str(product), "--data", str(good_data)])
    assert code == 2 and "1,000,000 branches" in err and f"{MAX_BRANCHES:,}" in err
