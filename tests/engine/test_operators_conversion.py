"""Absorbance and Kubelka-Munk against their formulas, the refusal of values <= 0 (one line
naming row, column and wavelength), and the sklearn contract on positive data (the shared
contract tests of test_operators.py use spectra with negative values)."""
from __future__ import annotations

import numpy as np
import pytest
from sklearn.base import clone
from sklearn.linear_model import Ridge
from sklearn.pipeline import Pipeline

from engine.operators import Absorbance, KubelkaMunk

TABLE = np.loadtxt("tests/data/tablet/X.csv", delimiter=",", max_rows=31)
WL = TABLE[0]
R = 10.0 ** -TABLE[1:]          # the tablet absorbance spectra back to reflectance


def test_absorbance_is_log10_of_1_over_r_and_inverts_the_tablet_data() -> None:
    out = Absorbance().fit_transform(R)
    np.testing.assert_allclose(out, np.log10(1.0 / R), rtol=1e-12)
    np.testing.assert_allclose(out, TABLE[1:], rtol=1e-12)
    np.testing.assert_allclose(Absorbance(percent=True).fit_transform(100.0 * R), out,
                               rtol=1e-12)


def test_kubelka_munk_is_the_formula() -> None:
    out = KubelkaMunk().fit_transform(R)
    np.testing.assert_allclose(out, (1.0 - R) ** 2 / (2.0 * R), rtol=1e-12)
    np.testing.assert_allclose(KubelkaMunk(percent=True).fit_transform(100 * R), out,
                               rtol=1e-12)
    assert KubelkaMunk().fit_transform(np.ones((1, 3))).tolist() == [[0.0, 0.0, 0.0]]


@pytest.mark.parametrize("cls", [Absorbance, KubelkaMunk])
def test_values_at_or_below_zero_are_refused_naming_row_column_wavelength(cls) -> None:
    bad = R.copy()
    bad[4, 17] = 0.0
    bad[9, 3] = -0.2
    with pytest.raises(ValueError) as info:
        cls(wavelengths=WL).fit(bad)
    message = str(info.value)
    assert "\n" not in message
    assert "2 value(s) are <= 0" in message and "row 4, column 17" in message
    assert f"wavelength {WL[17]:g}" in message
    op = cls().fit(R)
    with pytest.raises(ValueError, match=r"row 1, column 3: -0.2"):
        op.transform(bad[8:10])                     # transform refuses as fit does


@pytest.mark.parametrize("cls", [Absorbance, KubelkaMunk])
def test_contract_on_positive_data(cls) -> None:
    y = TABLE[1:, 100]
    pipe = Pipeline([("prep", cls()), ("ridge", Ridge(alpha=1e-3))]).fit(R, y)
    manual = Ridge(alpha=1e-3).fit(cls().fit_transform(R), y)
    np.testing.assert_allclose(pipe.predict(R), manual.predict(cls().fit_transform(R)))
    op = cls(percent=True, wavelengths=WL)
    assert clone(op).get_params()["percent"] is True
    assert np.array_equal(op.transform_wavelengths(WL), WL)
