"""Resample against np.interp row by row, its refusal to extrapolate (or its crop), and
SelectRanges against a union of masks written out; both make the axis follow
(transform_wavelengths) so the next steps see the right wavelengths."""
from __future__ import annotations

import numpy as np
import pytest

from engine.operators import CropRange, Detrend, Resample, SelectRanges

TABLE = np.loadtxt("tests/data/tablet/X.csv", delimiter=",", max_rows=11)
WL, X = TABLE[0], TABLE[1:]            # 600..1792 nm, step 2


def test_resample_onto_a_given_axis_is_np_interp() -> None:
    target = np.array([601.0, 777.7, 1000.0, 1234.5, 1792.0, 650.3])   # any order
    op = Resample(axis=list(target), wavelengths=WL).fit(X)
    expected = np.array([np.interp(target, WL, x) for x in X])
    np.testing.assert_allclose(op.transform(X), expected, rtol=1e-12, atol=1e-12)
    np.testing.assert_array_equal(op.transform_wavelengths(WL), target)
    assert list(op.get_feature_names_out()) == ["601", "777.7", "1000", "1234.5", "1792",
                                                "650.3"]


def test_resample_by_step_and_on_a_descending_axis() -> None:
    op = Resample(step=5.0, wavelengths=WL).fit(X)
    grid = np.arange(600.0, 1792.0 + 1e-9, 5.0)
    np.testing.assert_allclose(op.transform_wavelengths(WL), grid)
    np.testing.assert_allclose(op.transform(X), np.array([np.interp(grid, WL, x) for x in X]),
                               rtol=1e-12, atol=1e-12)
    down = Resample(step=5.0, wavelengths=WL[::-1]).fit(X[:, ::-1])
    np.testing.assert_allclose(down.transform_wavelengths(WL[::-1]), grid[::-1] + 2.0)
    np.testing.assert_allclose(down.transform(X[:, ::-1]),
                               np.array([np.interp(grid[::-1] + 2.0, WL, x) for x in X]),
                               rtol=1e-12)


def test_resample_never_extrapolates_it_refuses_or_crops() -> None:
    target = [590.0, 700.0, 1800.0, 1900.0]
    with pytest.raises(ValueError, match=r"3 target wavelength\(s\) lie outside the measured "
                                         r"range 600 to 1792 \(590, 1800, 1900\)"):
        Resample(axis=target, wavelengths=WL).fit(X)
    with pytest.raises(ValueError, match="outside"):
        Resample(axis=target, wavelengths=WL).check_params()   # known before any data
    op = Resample(axis=target, outside="crop", wavelengths=WL).fit(X)
    np.testing.assert_array_equal(op.transform_wavelengths(WL), [700.0])
    np.testing.assert_allclose(op.transform(X)[:, 0], X[:, 50])
    with pytest.raises(ValueError, match=r"either axis .* or step .*, not both"):
        Resample(axis=[700.0], step=2.0).check_params()
    with pytest.raises(ValueError, match="strictly increasing or decreasing"):
        Resample(step=1.0, wavelengths=np.r_[WL[:5], WL[3:]]).fit(np.c_[X[:, :5], X[:, 3:]])


def test_select_ranges_keeps_the_union_of_the_windows_in_order() -> None:
    windows = [[1500, 1300], [700, 800.5], [1400, 1450]]        # any order, overlapping
    op = SelectRanges(windows, wavelengths=WL).fit(X)
    mask = np.zeros(WL.size, dtype=bool)
    for a, b in windows:
        mask |= np.logical_and(np.greater_equal(WL, min(a, b)), np.less_equal(WL, max(a, b)))
    np.testing.assert_array_equal(op.get_support(), mask)
    np.testing.assert_array_equal(op.transform(X), X[:, mask])
    np.testing.assert_array_equal(op.transform_wavelengths(WL), WL[mask])
    single = SelectRanges([[700, 800]], wavelengths=WL).fit(X)
    np.testing.assert_array_equal(single.transform(X), CropRange(700, 800, wavelengths=WL)
                                  .fit(X).transform(X))
    by_index = SelectRanges([[0, 2], [10, 11]]).fit(X)
    np.testing.assert_array_equal(by_index.transform(X), X[:, [0, 1, 2, 10, 11]])


def test_select_ranges_names_a_window_that_selects_nothing() -> None:
    with pytest.raises(ValueError, match=r"window 2 \[2000, 2100\] selects no column; the "
                                         r"wavelengths span 600 to 1792"):
        SelectRanges([[700, 800], [2000, 2100]], wavelengths=WL).check_params()
    with pytest.raises(ValueError, match=r"list of \[start, stop\] pairs"):
        SelectRanges([[700, 800, 900]]).check_params()


def test_the_axis_follows_along_a_chain() -> None:
    axis = WL
    steps = [Resample(step=10.0), SelectRanges([[700, 1000], [1200, 1500]]), Detrend(order=1)]
    Z = X
    for step in steps:
        step.set_params(wavelengths=axis)
        Z = step.fit(Z).transform(Z)
        axis = step.transform_wavelengths(axis)
        assert Z.shape[1] == axis.size
    assert axis[0] == 700.0 and axis[-1] == 1500.0 and axis.size == 31 + 31
    assert set(np.diff(axis)) == {10.0, 200.0}


def test_resample_by_default_makes_an_uneven_axis_regular() -> None:
    uneven = np.geomspace(1000.0, 2000.0, WL.size)
    op = Resample(wavelengths=uneven).fit(X)
    grid = np.linspace(1000.0, 2000.0, WL.size)
    np.testing.assert_allclose(op.transform_wavelengths(uneven), grid)
    np.testing.assert_allclose(op.transform(X), np.array([np.interp(grid, uneven, x)
                                                          for x in X]), rtol=1e-12)
    np.testing.assert_allclose(Resample(wavelengths=WL).fit_transform(X), X, atol=1e-12)
