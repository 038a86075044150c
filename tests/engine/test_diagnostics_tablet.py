"""The outlier flags on real spectra (tests/data/tablet: the same tablets on two NIR
instruments): a PLS model calibrated on instrument 1 flags the spectra of instrument 2 and
spectra altered by a spike or an offset, while flagging few of instrument 1's own test spectra.
The fractions are printed (pytest -s) for the record."""
from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest
from sklearn.cross_decomposition import PLSRegression
from sklearn.pipeline import make_pipeline

from engine.diagnostics import assess_raw, fit_pca, latent_for_model, outliers

TABLET = Path(__file__).resolve().parents[1] / "data" / "tablet"


@pytest.fixture(scope="module")
def tablet():
    X1 = np.loadtxt(TABLET / "X.csv", delimiter=",", skiprows=1)
    X2 = np.loadtxt(TABLET / "X_instrument2.csv", delimiter=",", skiprows=1)
    y = np.loadtxt(TABLET / "y.csv", skiprows=1)
    split = np.loadtxt(TABLET / "split.csv", dtype=str, skiprows=1)
    cal = split == "cal"
    model = make_pipeline(PLSRegression(n_components=10, scale=False)).fit(X1[cal], y[cal])
    latent = latent_for_model(model, X1[cal], None)
    assert latent is not None and latent.kind == "pls"
    return X1, X2, split, model, latent


def _flags(model, latent, X):
    return np.array(assess_raw(model, latent, X).flags)


def test_instrument_two_is_flagged_and_instrument_one_test_rarely(tablet):
    X1, X2, split, model, latent = tablet
    other = _flags(model, latent, X2)
    own = _flags(model, latent, X1[split == "test"])
    cal = _flags(model, latent, X1[split == "cal"])
    q_other = np.mean(["Q>99%" in f for f in other])
    print(f"\ninstrument 2 flagged {np.mean(other != ''):.3f} (Q {q_other:.3f}); instrument 1 "
          f"test flagged {np.mean(own != ''):.3f}, calibration {np.mean(cal != ''):.3f}")
    assert q_other >= 0.9
    assert np.mean(own != "") <= 0.10


def test_a_spike_or_an_offset_puts_a_test_spectrum_outside(tablet):
    X1, _, split, model, latent = tablet
    test = X1[split == "test"]
    inside = test[_flags(model, latent, test) == ""]
    assert len(inside) > 150
    spiked = inside.copy()
    spiked[:, 300] += 0.3        # one channel, ~7 % of the absorbance there
    offset = inside + 0.3        # the whole spectrum shifted
    spike_flags = _flags(model, latent, spiked)
    offset_flags = _flags(model, latent, offset)
    print(f"\nspike flagged {np.mean(spike_flags != ''):.3f}, offset flagged "
          f"{np.mean(offset_flags != ''):.3f} of {len(inside)} spectra inside before")
    assert all("Q>99%" in f for f in spike_flags)
    assert all(f != "" for f in offset_flags)
    found = outliers(assess_raw(model, latent, spiked[:3]), ["a", "b", "c"], rows=[7, 8, 9])
    assert [f["id"] for f in found] == ["a", "b", "c"]


def test_box_and_jackson_mudholkar_agree_on_real_residuals(tablet):
    """Where the Jackson-Mudholkar h0 is positive (first-derivative spectra) the two Q limits
    differ by a few %; on the raw spectra the residual eigenvalues are so uneven that h0 <= 0
    and the limit is Box's (documented in limits.q_limit)."""
    X1, _, split, _, latent = tablet
    derivative = np.diff(X1[split == "cal"], axis=1)
    y = np.loadtxt(TABLET / "y.csv", skiprows=1)[split == "cal"]
    for space in (latent_for_model(PLSRegression(10, scale=False).fit(derivative, y),
                                   derivative, None),
                  fit_pca(derivative, 5).model):
        assert space is not None
        theta = space.theta
        assert 1 - 2 * theta[0] * theta[2] / (3 * theta[1] ** 2) > 0
        jm, box = space.q_limit(0.99), space.q_limit(0.99, method="box")
        print(f"\n{space.kind}: Q limit JM {jm:.5g}, Box {box:.5g} ({jm / box - 1:+.1%})")
        assert jm == pytest.approx(box, rel=0.03)
    assert latent.q_limit(0.99) == latent.q_limit(0.99, method="box")
