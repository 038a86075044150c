"""Calibration transfer (issue 19): pairing, standards, DS/PDS/SBC against independent numpy
computations, and the tablet shootout's two instruments (RMSEP before/after)."""
from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest
from sklearn.cross_decomposition import PLSRegression
from sklearn.pipeline import Pipeline

from engine.dataset import SpectralDataset
from engine.errors import InputError
from engine.store.models import dump_model, load_model_blob, untrusted_types
from engine.transfer.fit import fit_transfer
from engine.transfer.methods import DirectStandardisation, PiecewiseDirectStandardisation
from engine.transfer.pairing import pair_datasets
from engine.transfer.standards import choose_standards

TABLET = Path(__file__).resolve().parents[1] / "data" / "tablet"
CAL, TEST = np.arange(400), np.arange(400, 612)


@pytest.fixture(scope="module")
def tablet() -> dict[str, np.ndarray]:
    read = lambda name: np.loadtxt(TABLET / name, delimiter=",", skiprows=1)  # noqa: E731
    X1, X2 = read("X.csv"), read("X_instrument2.csv")
    y = np.loadtxt(TABLET / "y.csv", skiprows=1)
    wl = np.loadtxt(TABLET / "X.csv", delimiter=",", max_rows=1)
    return {"X1": X1, "X2": X2, "y": y, "wl": wl}


@pytest.fixture(scope="module")
def model(tablet: dict[str, np.ndarray]) -> Pipeline:
    """PLS(10) on instrument 1's 400 calibration tablets, raw spectra."""
    return Pipeline([("model", PLSRegression(10, scale=False))]).fit(
        tablet["X1"][CAL], tablet["y"][CAL])


def _dataset(X: np.ndarray, wl: np.ndarray, y: np.ndarray | None, ids: list[str] | None,
             test: np.ndarray | None = None, name: str = "inst") -> SpectralDataset:
    n = X.shape[0]
    mask = np.zeros(n, dtype=bool)
    if test is not None:
        mask[test] = True
    meta = {"x_file": f"{name}/X.csv", "has_id_column": ids is not None}
    return SpectralDataset(X=X, wavelengths=wl, targets={} if y is None else {"api_mg": y},
                           sample_ids=ids if ids is not None else [str(i + 1) for i in range(n)],
                           test_mask=mask, name=name, metadata=meta)


@pytest.fixture(scope="module")
def tset(tablet: dict[str, np.ndarray]):
    """The shootout's calibration + test tablets measured on both instruments (no ids: paired
    by order), the test tablets held out."""
    rows = np.r_[CAL, TEST]
    held = np.arange(400, 612)
    p = _dataset(tablet["X1"][rows], tablet["wl"], tablet["y"][rows], None, held, "primary")
    s = _dataset(tablet["X2"][rows], tablet["wl"], tablet["y"][rows], None, held, "secondary")
    return pair_datasets(p, s, target="api_mg")


def _rmse(a: np.ndarray, b: np.ndarray) -> float:
    return float(np.sqrt(np.mean((np.ravel(a) - np.ravel(b)) ** 2)))


# -- independent computations ----------------------------------------------------------------
def numpy_ds(X2s: np.ndarray, X1s: np.ndarray, X2: np.ndarray) -> np.ndarray:
    """Wang et al. 1991 with mean-centring, written with lstsq (the minimum-norm solution,
    which is pinv's), not with the engine's code."""
    m1, m2 = X1s.mean(0), X2s.mean(0)
    Xf = np.linalg.lstsq(X2s - m2, X1s - m1, rcond=None)[0]
    return (X2 - m2) @ Xf + m1


def numpy_pds(X2s: np.ndarray, X1s: np.ndarray, X2: np.ndarray, window: int, tol: float
              ) -> np.ndarray:
    """PDS written out per channel: a truncated-SVD regression of primary channel i on the
    secondary window around it, then applied channel by channel (no F matrix)."""
    m1, m2 = X1s.mean(0), X2s.mean(0)
    Xc2, Xc1, Xz2 = X2s - m2, X1s - m1, X2 - m2
    p, h = X1s.shape[1], window // 2
    out = np.empty((X2.shape[0], p))
    for i in range(p):
        lo, hi = max(0, i - h), min(p, i + h + 1)
        Xu, s, Xvt = np.linalg.svd(Xc2[:, lo:hi], full_matrices=False)
        keep = s > tol * s[0]
        b = Xvt[keep].T @ ((Xu[:, keep].T @ Xc1[:, i]) / s[keep])
        out[:, i] = Xz2[:, lo:hi] @ b + m1[i]
    return out


# -- tablet: before/after ----------------------------------------------------------------------
def test_untransferred_instrument2_is_far_off(tset, model, tablet) -> None:
    """The premise: instrument 1's model on instrument 2's test tablets is poor."""
    X2_test, y_test = tablet["X2"][TEST], tablet["y"][TEST]
    own = _rmse(model.predict(tablet["X1"][TEST]), y_test)
    other = _rmse(model.predict(X2_test), y_test)
    assert own < 3.0 and other > 3 * own


@pytest.mark.parametrize("n", [10, 20, 30])
def test_pds_on_kennard_stone_standards_brings_rmsep_far_down(tset, model, tablet, n) -> None:
    standards = choose_standards(tset, n)
    assert len(standards) == n and not tset.held_out[standards].any()
    out = fit_transfer(model, tset, "pds", standards, window=5)
    y_test = tablet["y"][TEST]
    untransferred = _rmse(model.predict(tablet["X2"][TEST]), y_test)
    assert out.before is not None and out.after is not None
    assert out.before["rmse"] == pytest.approx(untransferred, rel=1e-9)
    assert out.after["rmse"] == pytest.approx(_rmse(out.model.predict(tablet["X2"][TEST]),
                                                    y_test), rel=1e-9)
    assert out.after["rmse"] < 0.5 * out.before["rmse"]
    assert out.evaluated.size == 212


def test_ds_and_pds_equal_an_independent_numpy_computation(tset, model, tablet) -> None:
    standards = choose_standards(tset, 20)
    X1s, X2s = tset.primary[standards], tset.secondary[standards]
    X2 = tablet["X2"][TEST]
    ds = fit_transfer(model, tset, "ds", standards)
    np.testing.assert_allclose(ds.transferred[400:], numpy_ds(X2s, X1s, X2), atol=1e-8)
    np.testing.assert_allclose(ds.predictions_after[400:],
                               np.ravel(model.predict(numpy_ds(X2s, X1s, X2))), atol=1e-6)
    for window in (3, 7):
        pds = fit_transfer(model, tset, "pds", standards, window=window, tolerance=0.01)
        np.testing.assert_allclose(pds.transferred[400:],
                                   numpy_pds(X2s, X1s, X2, window, 0.01), atol=1e-8)
        assert pds.model.steps[0][0] == "calibration_transfer"


def test_sbc_equals_an_independent_slope_bias_fit(tset, model, tablet) -> None:
    standards = choose_standards(tset, 15)
    out = fit_transfer(model, tset, "sbc", standards)
    y1 = np.ravel(model.predict(tset.primary[standards]))
    y2 = np.ravel(model.predict(tset.secondary[standards]))
    slope, bias = np.polyfit(y2, y1, 1)
    assert out.slope == pytest.approx([slope], rel=1e-9)
    assert out.bias == pytest.approx([bias], rel=1e-9)
    raw = np.ravel(model.predict(tablet["X2"][TEST]))
    np.testing.assert_allclose(out.model.predict(tablet["X2"][TEST]), bias + slope * raw,
                               rtol=1e-10)
    assert out.after is not None and out.before is not None
    assert out.after["rmse"] < out.before["rmse"]
    np.testing.assert_array_equal(out.transferred, tset.secondary)  # spectra untouched


def test_transferred_models_save_and_reload_with_trusted_types(tset, model, tablet) -> None:
    standards = choose_standards(tset, 12)
    X2 = tablet["X2"][TEST]
    for method in ("ds", "pds", "sbc"):
        out = fit_transfer(model, tset, method, standards)
        blob = dump_model(out.model)
        assert untrusted_types(blob) == []
        again = load_model_blob(blob)
        np.testing.assert_allclose(again.predict(X2), out.model.predict(X2), rtol=1e-12)


def test_sbc_keeps_the_pls_diagnostics_reachable(tset, model) -> None:
    from engine.diagnostics.pls import pls_of

    out = fit_transfer(model, tset, "sbc", choose_standards(tset, 10))
    assert pls_of(out.model) is model.steps[-1][1]


# -- the estimators alone ------------------------------------------------------------------------
def test_ds_recovers_a_known_linear_distortion_exactly() -> None:
    rng = np.random.default_rng(3)
    X1s = rng.normal(size=(30, 12))
    Xmix = np.eye(12) * 0.9 + 0.05 * rng.normal(size=(12, 12))
    X2s = X1s @ Xmix + 0.2
    X1 = rng.normal(size=(5, 12))
    ds = DirectStandardisation().fit(X2s, X1s)
    np.testing.assert_allclose(ds.transform(X1 @ Xmix + 0.2), X1, atol=1e-9)


def test_pds_refuses_an_even_window() -> None:
    rng = np.random.default_rng(0)
    X = rng.normal(size=(6, 10))
    with pytest.raises(ValueError, match="odd"):
        PiecewiseDirectStandardisation(window=4).fit(X, X)


# -- pairing and refusals ---------------------------------------------------------------------
def _small(ids: list[str] | None, wl: np.ndarray | None = None, n: int = 6,
           name: str = "a") -> SpectralDataset:
    rng = np.random.default_rng(len(name))
    wl = np.arange(1000.0, 1010.0) if wl is None else wl
    X = rng.normal(size=(n if ids is None else len(ids), wl.size))
    return _dataset(X, wl, None, ids, name=name)


def test_pairs_by_sample_id_in_any_order() -> None:
    p = _small(["a", "b", "c", "d"], name="p")
    s = _dataset(p.X[[2, 0, 3, 1]], p.wavelengths, None, ["c", "a", "d", "b"], name="s")
    tset = pair_datasets(p, s)
    assert tset.paired_by == "sample id"
    np.testing.assert_array_equal(tset.primary, tset.secondary)


def test_unpaired_ids_are_refused_naming_the_file_and_ids() -> None:
    p = _small(["a", "b", "c", "d"], name="p")
    s = _small(["a", "b", "x9", "y7"], name="s")
    with pytest.raises(InputError) as err:
        pair_datasets(p, s)
    text = str(err.value)
    assert "s/X.csv" in text and "x9" in text and "y7" in text and "\n" not in text


def test_ids_missing_on_the_secondary_are_refused() -> None:
    with pytest.raises(InputError, match=r"no secondary spectrum.*: c, d"):
        pair_datasets(_small(["a", "b", "c", "d"], name="p"), _small(["a", "b"], name="s"))


def test_mismatched_axes_are_refused_naming_both() -> None:
    p = _small(None, name="p")
    s = _small(None, wl=np.arange(1100.0, 1110.0), name="s")
    with pytest.raises(InputError) as err:
        pair_datasets(p, s)
    text = str(err.value)
    assert "s/X.csv" in text and "1100..1109" in text and "1000..1009" in text


def test_without_ids_rows_pair_by_order_and_counts_must_agree() -> None:
    assert pair_datasets(_small(None, name="p"), _small(None, name="s")).paired_by == "row order"
    with pytest.raises(InputError, match=r"paired by order.*5 rows.*6"):
        pair_datasets(_small(None, name="p"), _small(None, n=5, name="s"))


def test_standards_by_hand_and_bounds(tset) -> None:
    rows = choose_standards(tset, ["3", "1", "17"])
    np.testing.assert_array_equal(rows, [0, 2, 16])
    with pytest.raises(InputError, match="no sample"):
        choose_standards(tset, ["1", "nope"])
    with pytest.raises(InputError, match="between 2 and 400"):
        choose_standards(tset, 401)


def test_calibration_model_reads_primary_spectra_as_the_source_model(tset, model, tablet
                                                                     ) -> None:
    """The calibration (instrument 1) is placed without the transfer: the DS/PDS step is
    dropped and SBC unwrapped, so its predictions are the source model's."""
    from engine.transfer.methods import calibration_model

    X1 = tablet["X1"][CAL]
    standards = choose_standards(tset, 12)
    for method in ("ds", "pds", "sbc"):
        out = fit_transfer(model, tset, method, standards)
        cal = calibration_model(out.model)
        np.testing.assert_array_equal(cal.predict(X1), model.predict(X1))
        assert not np.allclose(out.model.predict(X1), model.predict(X1))
    assert calibration_model(model) is model
