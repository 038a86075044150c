"""EMSC and RNV against independent computations: a per-row least-squares fit written out
with np.linalg.lstsq (EMSC), MSC (EMSC of order 0 is MSC) and the RNV formula of Guo, Wu &
Massart (1999) applied row by row."""
from __future__ import annotations

import numpy as np
import pytest

from engine.operators import EMSC, MSC, RNV

TABLE = np.loadtxt("tests/data/tablet/X.csv", delimiter=",", max_rows=41)
WL, X = TABLE[0], TABLE[1:]
TRAIN, TEST = X[:30], X[30:]


def emsc_by_lstsq(rows: np.ndarray, ref: np.ndarray, wl: np.ndarray, order: int,
                  interferents: np.ndarray | None = None) -> np.ndarray:
    """The EMSC model fitted row by row: x = b ref + sum c_k u^k + sum h_j i_j, with the
    polynomial in u = (wl - mean) / 1000 (another basis of the same polynomials)."""
    u = (wl - wl.mean()) / 1000.0
    poly = np.column_stack([u ** k for k in range(order + 1)])
    extra = poly if interferents is None else np.column_stack([poly, interferents.T])
    design = np.column_stack([ref, extra])
    out = []
    for x in rows:
        coef = np.linalg.lstsq(design, x, rcond=None)[0]
        out.append((x - extra @ coef[1:]) / coef[0])
    return np.array(out)


@pytest.mark.parametrize("order", [0, 1, 2, 4])
def test_emsc_equals_the_least_squares_model_fitted_row_by_row(order: int) -> None:
    op = EMSC(order=order, wavelengths=WL).fit(TRAIN)
    np.testing.assert_allclose(op.reference_, TRAIN.mean(axis=0), rtol=1e-14)
    expected = emsc_by_lstsq(TEST, TRAIN.mean(axis=0), WL, order)
    np.testing.assert_allclose(op.transform(TEST), expected, rtol=1e-9, atol=1e-9)


def test_emsc_of_order_0_is_msc() -> None:
    out = EMSC(order=0).fit(TRAIN).transform(TEST)
    np.testing.assert_allclose(out, MSC().fit(TRAIN).transform(TEST), rtol=1e-9, atol=1e-10)


def test_emsc_given_reference_and_interferent_are_removed() -> None:
    ref = TRAIN[0]
    water = np.exp(-0.5 * ((WL - 1450.0) / 40.0) ** 2)          # an interferent band
    rows = 0.2 + 1.3 * ref[None, :] + np.outer([0.0, 0.5, 1.5], water) \
        + 1e-4 * (WL - 1200.0)[None, :]
    op = EMSC(order=1, reference=list(ref), interferents=[list(water)], wavelengths=WL)
    out = op.fit(TRAIN).transform(rows)
    np.testing.assert_allclose(out, np.tile(ref, (3, 1)), atol=1e-9)   # exact model: x = ref
    expected = emsc_by_lstsq(TEST, ref, WL, 1, water[None, :])
    np.testing.assert_allclose(op.transform(TEST), expected, rtol=1e-9, atol=1e-9)


def test_emsc_refusals_name_the_problem() -> None:
    with pytest.raises(ValueError, match="linearly dependent"):
        EMSC(order=2, reference=list(np.linspace(0, 1, WL.size) ** 2)).fit(TRAIN)
    with pytest.raises(ValueError, match="reference has 3 values per spectrum"):
        EMSC(reference=[1.0, 2.0, 3.0]).fit(TRAIN)
    with pytest.raises(ValueError, match="interferents"):
        EMSC(interferents=[["a"]]).check_params()
    out = EMSC().fit(TRAIN).transform(np.vstack([TEST[0], np.full(WL.size, 3.0)]))
    assert np.all(out[1] == 0.0) and np.all(np.isfinite(out))


@pytest.mark.parametrize("percentile", [10.0, 25.0, 50.0, 100.0])
def test_rnv_matches_the_formula_row_by_row(percentile: float) -> None:
    out = RNV(percentile=percentile).fit(TRAIN).transform(TEST)
    expected = []
    for x in TEST:
        level = np.percentile(x, percentile)
        expected.append((x - level) / np.std(x[x <= level]))
    np.testing.assert_allclose(out, np.array(expected), rtol=1e-9, atol=1e-12)


def test_rnv_of_percentile_100_is_snv_up_to_the_centre_and_constant_rows_are_zero() -> None:
    out = RNV(percentile=100).fit_transform(TEST)
    snv = (TEST - TEST.mean(axis=1, keepdims=True)) / TEST.std(axis=1, keepdims=True)
    np.testing.assert_allclose(out - out.mean(axis=1, keepdims=True), snv, atol=1e-12)
    assert np.all(RNV().fit_transform(np.full((2, 9), 4.0)) == 0.0)
    with pytest.raises(ValueError, match="percentile"):
        RNV(percentile=0).check_params()
