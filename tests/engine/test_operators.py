"""Tests of engine.operators: each operator against an independent (per-row) computation,
plus the sklearn contract (Pipeline, clone, get_params) and the parameter validation that the
pipeline parser relies on (check_params). sklearn's own estimator checks run on every
registered nirdesk estimator in tests/engine/test_sklearn_checks.py."""
from __future__ import annotations

import numpy as np
import pytest
from scipy import sparse
from scipy.signal import savgol_filter
from scipy.sparse.linalg import spsolve
from sklearn.base import clone
from sklearn.exceptions import NotFittedError
from sklearn.linear_model import Ridge
from sklearn.pipeline import Pipeline

from engine.operators import (
    EMSC,
    MSC,
    OPERATORS,
    RNV,
    SNV,
    AirPLS,
    ArPLS,
    Baseline,
    CropRange,
    Detrend,
    FirstDerivative,
    GaussianSmooth,
    ModPoly,
    Normalize,
    NorrisWilliams,
    Resample,
    Rubberband,
    SavitzkyGolay,
    SecondDerivative,
    SelectRanges,
    SpectralOperator,
    Whittaker,
)

# Wavelength axis 1000..2500 nm, step 10 nm (151 columns).
WL = np.linspace(1000.0, 2500.0, 151)
T = (WL - WL[0]) / (WL[-1] - WL[0])           # the same axis mapped to [0, 1]
CENTRES = np.array([0.2, 0.45, 0.7, 0.85])
WIDTHS = np.array([0.03, 0.05, 0.025, 0.04])
BANDS = np.exp(-0.5 * ((T[None, :] - CENTRES[:, None]) / WIDTHS[:, None]) ** 2)  # (4, 151)


def make_spectra(n: int, seed: int) -> tuple[np.ndarray, np.ndarray]:
    """Smooth synthetic NIR-like spectra with scatter (offset, gain, slope) and noise; y is
    the amplitude of the first band."""
    rng = np.random.default_rng(seed)
    amps = rng.uniform(0.2, 1.0, size=(n, 4))
    offset = rng.normal(0.0, 0.1, size=(n, 1))
    gain = rng.uniform(0.8, 1.2, size=(n, 1))
    slope = rng.normal(0.0, 0.2, size=(n, 1))
    X = offset + gain * (amps @ BANDS) + slope * T + rng.normal(0.0, 0.002, size=(n, T.size))
    return X, amps[:, 0]


X_TRAIN, Y_TRAIN = make_spectra(40, seed=1)
X_TEST, _ = make_spectra(12, seed=2)


def rel_err(a: np.ndarray, b: np.ndarray) -> float:
    return float(np.max(np.abs(a - b)) / np.max(np.abs(b)))


# -- SNV ------------------------------------------------------------------------------------
def test_snv_matches_per_row_loop() -> None:
    out = SNV().fit(X_TRAIN).transform(X_TEST)
    expected = np.array([(r - np.mean(r)) / np.std(r) for r in X_TEST])
    np.testing.assert_allclose(out, expected, rtol=1e-12, atol=1e-12)


def test_snv_removes_offset_and_gain_and_zeroes_constant_rows() -> None:
    X = np.vstack([X_TEST[:3], 5.0 + 3.0 * X_TEST[:3], np.full((1, WL.size), 0.1)])
    out = SNV().fit_transform(X)
    np.testing.assert_allclose(out[3:6], out[:3], atol=1e-10)
    assert np.all(out[6] == 0.0)
    assert np.all(np.isfinite(out))


# -- MSC ------------------------------------------------------------------------------------
def msc_reference(rows: np.ndarray, ref: np.ndarray) -> np.ndarray:
    out = []
    for r in rows:
        b, a = np.polyfit(ref, r, 1)
        out.append((r - a) / b)
    return np.array(out)


def test_msc_uses_training_mean_and_matches_polyfit() -> None:
    msc = MSC().fit(X_TRAIN)
    np.testing.assert_allclose(msc.reference_, X_TRAIN.mean(axis=0), rtol=1e-14)
    out = msc.transform(X_TEST)
    np.testing.assert_allclose(out, msc_reference(X_TEST, X_TRAIN.mean(axis=0)),
                               rtol=1e-9, atol=1e-10)
    # Had the reference been taken from the transformed rows, the result would differ.
    leaked = msc_reference(X_TEST, X_TEST.mean(axis=0))
    assert np.max(np.abs(out - leaked)) > 1e-3


def test_msc_median_reference_and_recovers_scaled_reference() -> None:
    msc = MSC(reference="median").fit(X_TRAIN)
    ref = np.median(X_TRAIN, axis=0)
    np.testing.assert_array_equal(msc.reference_, ref)
    rows = np.vstack([0.3 + 1.7 * ref, -0.2 + 0.6 * ref, X_TEST[:2]])
    out = msc.transform(rows)
    np.testing.assert_allclose(out[:2], np.vstack([ref, ref]), atol=1e-10)
    np.testing.assert_allclose(out[2:], msc_reference(X_TEST[:2], ref), rtol=1e-9, atol=1e-10)


def test_msc_constant_row_is_zero_and_constant_reference_is_an_error() -> None:
    msc = MSC().fit(X_TRAIN)
    out = msc.transform(np.vstack([X_TEST[0], np.full(WL.size, 2.0)]))
    assert np.all(out[1] == 0.0) and np.all(np.isfinite(out))
    with pytest.raises(ValueError, match="reference spectrum"):
        MSC().fit(np.ones((5, 20)))


# -- Detrend ----------------------------------------------------------------------------------
@pytest.mark.parametrize("order", [0, 1, 2, 3])
def test_detrend_matches_polyfit_on_column_index(order: int) -> None:
    out = Detrend(order=order).fit(X_TRAIN).transform(X_TEST)
    x = np.arange(WL.size, dtype=float)
    expected = np.array([r - np.polyval(np.polyfit(x, r, order), x) for r in X_TEST])
    np.testing.assert_allclose(out, expected, rtol=1e-8, atol=1e-10)


def test_detrend_uses_uneven_wavelengths_when_set() -> None:
    wl = np.geomspace(1000.0, 2500.0, WL.size)            # unevenly spaced axis
    out = Detrend(order=2, wavelengths=wl).fit_transform(X_TEST)
    expected = np.array([r - np.polyval(np.polyfit(wl, r, 2), wl) for r in X_TEST])
    np.testing.assert_allclose(out, expected, rtol=1e-8, atol=1e-10)
    by_index = Detrend(order=2).fit_transform(X_TEST)
    assert np.max(np.abs(out - by_index)) > 1e-4          # the axis really is used


def test_detrend_removes_an_exact_polynomial() -> None:
    poly = 0.5 - 1.2 * T + 0.8 * T ** 2
    out = Detrend(order=2, wavelengths=list(WL)).fit_transform(np.vstack([poly, 2 * poly]))
    np.testing.assert_allclose(out, 0.0, atol=1e-12)


# -- Savitzky-Golay -------------------------------------------------------------------------
@pytest.mark.parametrize("params", [
    dict(),
    dict(window_length=7, polyorder=3, deriv=1, delta=10.0),
    dict(window_length=15, polyorder=4, deriv=2, mode="mirror"),
    dict(window_length=5, polyorder=1, mode="nearest"),
])
def test_savitzky_golay_matches_scipy_per_row(params: dict) -> None:
    out = SavitzkyGolay(**params).fit(X_TRAIN).transform(X_TEST)
    full = dict(window_length=11, polyorder=2, deriv=0, delta=1.0, mode="interp") | params
    expected = np.array([savgol_filter(r, **full) for r in X_TEST])
    np.testing.assert_allclose(out, expected, rtol=1e-10, atol=1e-12)


@pytest.mark.parametrize("cls, deriv, default_poly", [(FirstDerivative, 1, 2),
                                                      (SecondDerivative, 2, 3)])
def test_derivatives_match_scipy_per_row(cls: type, deriv: int, default_poly: int) -> None:
    out = cls().fit_transform(X_TEST)
    expected = np.array([savgol_filter(r, 11, default_poly, deriv=deriv) for r in X_TEST])
    np.testing.assert_allclose(out, expected, rtol=1e-10, atol=1e-12)
    out = cls(window_length=9, polyorder=4, delta=0.5, mode="wrap").fit_transform(X_TEST)
    expected = np.array([savgol_filter(r, 9, 4, deriv=deriv, delta=0.5, mode="wrap")
                         for r in X_TEST])
    np.testing.assert_allclose(out, expected, rtol=1e-10, atol=1e-12)


# -- Normalize ------------------------------------------------------------------------------
@pytest.mark.parametrize("method, norm", [
    ("vector", lambda r: np.linalg.norm(r)),
    ("area", lambda r: np.sum(np.abs(r))),
    ("max", lambda r: np.max(np.abs(r))),
])
def test_normalize_matches_per_row_norms(method: str, norm) -> None:
    X = X_TEST - 0.3                                   # has negative values too
    out = Normalize(method=method).fit_transform(X)
    expected = np.array([r / norm(r) for r in X])
    np.testing.assert_allclose(out, expected, rtol=1e-12)


def test_normalize_leaves_zero_rows_unchanged() -> None:
    X = np.vstack([np.zeros(WL.size), X_TEST[0]])
    for method in ("vector", "area", "max"):
        out = Normalize(method=method).fit_transform(X)
        assert np.all(out[0] == 0.0)
        assert np.all(np.isfinite(out))


# -- CropRange ------------------------------------------------------------------------------
def test_crop_range_increasing_axis() -> None:
    crop = CropRange(start=1200, stop=2200, wavelengths=WL).fit(X_TRAIN)
    mask = (WL >= 1200) & (WL <= 2200)
    assert mask.sum() == 101                           # both ends inclusive
    np.testing.assert_array_equal(crop.transform(X_TEST), X_TEST[:, mask])
    np.testing.assert_array_equal(crop.transform_wavelengths(WL), WL[mask])
    assert crop.transform_wavelengths(WL)[[0, -1]].tolist() == [1200.0, 2200.0]
    np.testing.assert_array_equal(crop.get_support(), mask)
    np.testing.assert_array_equal(crop.get_support(indices=True), np.flatnonzero(mask))


def test_crop_range_decreasing_axis_and_order_of_bounds() -> None:
    wl_dec = WL[::-1]                                  # e.g. a wavenumber-like axis
    X_dec = X_TEST[:, ::-1]
    mask = (wl_dec >= 1200) & (wl_dec <= 2200)
    for start, stop in [(1200, 2200), (2200, 1200)]:
        crop = CropRange(start=start, stop=stop, wavelengths=list(wl_dec))
        out = crop.fit_transform(X_dec)
        np.testing.assert_array_equal(out, X_dec[:, mask])
        np.testing.assert_array_equal(out, CropRange(1200, 2200, WL).fit_transform(X_TEST)[:, ::-1])
        axis = crop.transform_wavelengths(wl_dec)
        assert axis[0] == 2200.0 and axis[-1] == 1200.0 and np.all(np.diff(axis) < 0)


def test_crop_range_open_ends_and_roundoff() -> None:
    np.testing.assert_array_equal(CropRange(stop=1500, wavelengths=WL).fit_transform(X_TEST),
                                  X_TEST[:, WL <= 1500])
    np.testing.assert_array_equal(CropRange(start=2000, wavelengths=WL).fit_transform(X_TEST),
                                  X_TEST[:, WL >= 2000])
    np.testing.assert_array_equal(CropRange(wavelengths=WL).fit_transform(X_TEST), X_TEST)
    wl = WL.copy()
    wl[20] = 1200.0 - 1e-10                            # computed axis value just below 1200
    assert CropRange(1200, 1300, wl).transform_wavelengths(wl).size == 11


def test_crop_range_column_indices_without_wavelengths() -> None:
    crop = CropRange(start=10, stop=20).fit(X_TRAIN)
    np.testing.assert_array_equal(crop.transform(X_TEST), X_TEST[:, 10:21])
    np.testing.assert_array_equal(crop.transform_wavelengths(WL), WL[10:21])
    assert crop.get_feature_names_out().tolist() == [f"x{i}" for i in range(10, 21)]
    names = [f"wl{w:g}" for w in WL]
    assert crop.get_feature_names_out(names).tolist() == names[10:21]
    with pytest.raises(ValueError, match="column indices"):
        CropRange(start=1200, stop=2200).fit(X_TRAIN)


def test_crop_range_length_mismatch_and_empty_range() -> None:
    with pytest.raises(ValueError, match="wavelengths has 150 values"):
        CropRange(1200, 2200, WL[:-1]).fit(X_TRAIN)
    with pytest.raises(ValueError, match="selects no column"):
        CropRange(3000, 4000, WL).fit(X_TRAIN)
    with pytest.raises(ValueError, match="selects no column"):
        CropRange(1201, 1209, WL).transform_wavelengths(WL)   # between two columns


# -- Baseline (ALS) ---------------------------------------------------------------------------
def als_spsolve(y: np.ndarray, lam: float, p: float, n_iter: int) -> np.ndarray:
    """Reference ALS (Eilers & Boelens 2005), one spectrum at a time with scipy.sparse."""
    n = y.size
    D = sparse.diags([1.0, -2.0, 1.0], [0, 1, 2], shape=(n - 2, n))
    H = lam * (D.T @ D)
    w = np.ones(n)
    z = y
    for _ in range(n_iter):
        z = spsolve(sparse.csc_matrix(sparse.diags(w) + H), w * y)
        w = np.where(y > z, p, 1.0 - p)
    return z


@pytest.mark.parametrize("lam, p, n_iter", [(1e5, 0.01, 10), (1e2, 0.05, 5), (1e7, 0.001, 3)])
def test_baseline_matches_sparse_reference(lam: float, p: float, n_iter: int) -> None:
    X = X_TEST[:6]
    out = Baseline(lam=lam, p=p, n_iter=n_iter).fit(X_TRAIN).transform(X)
    z_ref = np.array([als_spsolve(r, lam, p, n_iter) for r in X])
    assert rel_err(X - out, z_ref) < 1e-8
    assert rel_err(out, X - z_ref) < 1e-6


def test_baseline_rows_are_independent() -> None:
    op = Baseline().fit(X_TRAIN)
    full = op.transform(X_TEST)
    for i in (0, 5, len(X_TEST) - 1):
        np.testing.assert_allclose(op.transform(X_TEST[i:i + 1])[0], full[i], rtol=0,
                                   atol=1e-12)


def test_baseline_removes_known_linear_and_quadratic_baselines() -> None:
    t = np.linspace(0.0, 1.0, 301)
    bands = np.exp(-0.5 * ((t[None, :] - CENTRES[:, None]) / 0.015) ** 2)
    rng = np.random.default_rng(3)
    peaks = rng.uniform(0.3, 1.0, size=(5, 4)) @ bands
    linear = 0.4 + 0.9 * t[None, :] * rng.uniform(0.5, 1.5, size=(5, 1))
    quadratic = np.broadcast_to(0.2 - 0.5 * t + 0.7 * t ** 2, peaks.shape)
    # ALS under-estimates curvature where lam is large, so the quadratic case uses a
    # softer lam; both recover the bands to a few percent of their height.
    for base, lam, p, tol in ((linear, 1e5, 0.001, 0.02), (quadratic, 1e4, 0.01, 0.05)):
        out = Baseline(lam=lam, p=p, n_iter=20).fit_transform(peaks + base)
        err = np.max(np.abs(out - peaks))
        assert err < tol * np.max(peaks)
        assert err < 0.1 * np.max(np.abs(base))
    # A purely linear spectrum is its own ALS baseline (D annihilates straight lines).
    out = Baseline().fit_transform(linear)
    np.testing.assert_allclose(out, 0.0, atol=1e-7)   # round-off of an ill-conditioned solve


# -- sklearn contract, shared by all operators ------------------------------------------------
def operator_cases() -> list[SpectralOperator]:
    return [
        SNV(), MSC(), MSC(reference="median"), Detrend(), Detrend(order=2, wavelengths=WL),
        SavitzkyGolay(), SavitzkyGolay(window_length=7, polyorder=3, deriv=2, mode="mirror"),
        FirstDerivative(), SecondDerivative(), Normalize(), Normalize(method="area"),
        Normalize(method="max"), CropRange(1200, 2200, wavelengths=WL),
        CropRange(5, 60), Baseline(lam=1e4),
        # issue 18's toolbox (their formulas are tested in tests/engine/test_operators_*.py)
        EMSC(), EMSC(order=1, wavelengths=WL), RNV(), NorrisWilliams(),
        NorrisWilliams(gap=2, segment=3, order=2), Whittaker(), GaussianSmooth(), AirPLS(),
        ArPLS(), Rubberband(wavelengths=WL), ModPoly(), Resample(step=25.0, wavelengths=WL),
        SelectRanges([[1100, 1300], [2000, 2200]], wavelengths=WL),
    ]

#: Operators that refuse these spectra (they have values <= 0): their contract is tested on
#: reflectance in tests/engine/test_operators_conversion.py.
POSITIVE_ONLY = {"Absorbance", "KubelkaMunk"}


CASES = operator_cases()
def case_id(op: SpectralOperator) -> str:
    """Short test id: class name and the non-default params (an axis shows as "wl")."""
    defaults = type(op)().get_params()
    args = [f"{k}=wl" if isinstance(v, (np.ndarray, list)) else f"{k}={v}"
            for k, v in op.get_params().items()
            if isinstance(v, (np.ndarray, list)) or v != defaults[k]]
    return f"{type(op).__name__}({','.join(args)})"


CASE_IDS = [case_id(op) for op in CASES]


def params_equal(a: dict, b: dict) -> bool:
    return a.keys() == b.keys() and all(
        np.array_equal(a[k], b[k]) if isinstance(a[k], (np.ndarray, list)) else a[k] == b[k]
        for k in a)


def test_every_operator_is_exported_and_covered() -> None:
    assert set(OPERATORS) == {type(op).__name__ for op in CASES} | POSITIVE_ONLY
    assert {name for name, cls in OPERATORS.items() if cls.needs_wavelengths} == {
        "CropRange", "Detrend", "EMSC", "Rubberband", "ModPoly", "Resample", "SelectRanges",
        *POSITIVE_ONLY}


@pytest.mark.parametrize("op", CASES, ids=CASE_IDS)
def test_in_pipeline_with_ridge(op: SpectralOperator) -> None:
    pipe = Pipeline([("prep", clone(op)), ("ridge", Ridge(alpha=1e-3))]).fit(X_TRAIN, Y_TRAIN)
    prep = clone(op).fit(X_TRAIN)
    manual = Ridge(alpha=1e-3).fit(prep.transform(X_TRAIN), Y_TRAIN)
    np.testing.assert_allclose(pipe.predict(X_TEST), manual.predict(prep.transform(X_TEST)),
                               rtol=1e-10, atol=1e-10)
    assert pipe[0].n_features_in_ == WL.size
    assert len(pipe[0].get_feature_names_out()) == prep.transform(X_TEST).shape[1]


@pytest.mark.parametrize("op", CASES, ids=CASE_IDS)
def test_clone_and_get_params_round_trip(op: SpectralOperator) -> None:
    params = op.get_params()
    rebuilt = type(op)(**params)
    assert params_equal(rebuilt.get_params(), params)
    fitted = clone(op).fit(X_TRAIN)
    copy = clone(fitted)
    assert copy is not fitted and params_equal(copy.get_params(), params)
    with pytest.raises(NotFittedError):
        copy.transform(X_TEST)
    np.testing.assert_array_equal(copy.fit(X_TRAIN).transform(X_TEST), fitted.transform(X_TEST))
    assert clone(op).set_params(**params).fit(X_TRAIN) is not None
    op.check_params()                                   # valid params: no exception


@pytest.mark.parametrize("op", CASES, ids=CASE_IDS)
def test_fit_returns_self_is_idempotent_and_keeps_params(op: SpectralOperator) -> None:
    """On spectra wide enough for every operator (sklearn's own versions of these checks fit
    on 2 columns, too narrow for some: see tests/engine/test_sklearn_checks.py)."""
    est = clone(op)
    before = est.get_params()
    assert est.fit(X_TRAIN, Y_TRAIN) is est
    assert params_equal(est.get_params(), before)
    first = est.transform(X_TEST)
    np.testing.assert_array_equal(est.fit(X_TRAIN, Y_TRAIN).transform(X_TEST), first)


@pytest.mark.parametrize("op", CASES, ids=CASE_IDS)
def test_input_untouched_readonly_ok_and_shape_checked(op: SpectralOperator) -> None:
    X = X_TEST.copy()
    X.setflags(write=False)
    fitted = clone(op).fit(X_TRAIN)
    out = fitted.transform(X)
    np.testing.assert_array_equal(X, X_TEST)
    assert out.dtype == np.float64 and out.shape[0] == X.shape[0]
    np.testing.assert_array_equal(clone(op).fit_transform(X_TEST),
                                  clone(op).fit(X_TEST).transform(X_TEST))
    assert fitted.transform_wavelengths(WL).size == out.shape[1]
    with pytest.raises(ValueError):
        fitted.transform(X_TEST[:, :-1])


def test_engine_style_wavelength_propagation() -> None:
    """What the engine does: inject the axis, propagate it with transform_wavelengths."""
    steps = [CropRange(1200, 2200), Detrend(order=2), SNV()]
    axis = WL
    for step in steps:
        if type(step).needs_wavelengths:
            step.set_params(wavelengths=axis)
        axis = step.transform_wavelengths(axis)
    assert axis.size == 101 and axis[0] == 1200.0
    out = Pipeline([(f"s{i}", s) for i, s in enumerate(steps)]).fit_transform(X_TEST)
    cropped = X_TEST[:, (WL >= 1200) & (WL <= 2200)]
    detrended = np.array([r - np.polyval(np.polyfit(axis, r, 2), axis) for r in cropped])
    expected = np.array([(r - r.mean()) / r.std() for r in detrended])
    np.testing.assert_allclose(out, expected, rtol=1e-8, atol=1e-9)


# -- parameter validation ---------------------------------------------------------------------
BAD_PARAMS = [
    (SavitzkyGolay, dict(window_length=10), "window_length must be an odd"),
    (SavitzkyGolay, dict(window_length=11.0), "window_length must be an integer"),
    (SavitzkyGolay, dict(window_length=0), "window_length"),
    (SavitzkyGolay, dict(window_length=5, polyorder=5), "polyorder must be < window_length"),
    (SavitzkyGolay, dict(polyorder=-1), "polyorder"),
    (SavitzkyGolay, dict(window_length=7, polyorder=2, deriv=3), "deriv must be <= polyorder"),
    (SavitzkyGolay, dict(deriv=-1), "deriv"),
    (SavitzkyGolay, dict(delta=0.0), "delta"),
    (SavitzkyGolay, dict(mode="reflect"), "mode must be one of"),
    (FirstDerivative, dict(window_length=4), "window_length must be an odd"),
    (FirstDerivative, dict(polyorder=0), "polyorder must be an integer >= 1"),
    (SecondDerivative, dict(polyorder=1), "polyorder must be an integer >= 2"),
    (SecondDerivative, dict(window_length=3, polyorder=3), "polyorder must be < window_length"),
    (MSC, dict(reference="mode"), "reference must be one of 'mean', 'median'"),
    (Normalize, dict(method="l3"), "method must be one of 'vector', 'area', 'max'"),
    (Detrend, dict(order=-1), "order must be an integer >= 0"),
    (Detrend, dict(order=True), "order must be an integer"),
    (Detrend, dict(wavelengths=[[1.0, 2.0]]), "wavelengths"),
    (Baseline, dict(method="arpls"), "method must be one of 'als'"),
    (Baseline, dict(lam=0.0), "lam must be a finite number in \\(0"),
    (Baseline, dict(lam=float("nan")), "lam"),
    (Baseline, dict(p=0.0), "p must be a finite number in \\(0, 1\\)"),
    (Baseline, dict(p=1.0), "p must be"),
    (Baseline, dict(n_iter=0), "n_iter must be an integer >= 1"),
    (CropRange, dict(start="1200"), "start must be None or a finite number"),
    (CropRange, dict(stop=float("inf")), "stop"),
    (CropRange, dict(start=3000, stop=4000, wavelengths=WL), "selects no column"),
    (CropRange, dict(wavelengths=["a", "b"]), "wavelengths"),
]


@pytest.mark.parametrize("cls, params, match", BAD_PARAMS,
                         ids=[f"{c.__name__}-{p}" for c, p, _ in BAD_PARAMS])
def test_bad_params_raise_in_check_params_and_fit(cls: type, params: dict, match: str) -> None:
    op = cls(**params)                     # the constructor itself never validates
    with pytest.raises(ValueError, match=cls.__name__ + ": .*" + match):
        op.check_params()
    with pytest.raises(ValueError, match=match):
        op.fit(X_TRAIN)
    with pytest.raises(ValueError, match=match):
        Pipeline([("op", op), ("ridge", Ridge())]).fit(X_TRAIN, Y_TRAIN)


@pytest.mark.parametrize("op, X, match", [
    (SavitzkyGolay(window_length=153), X_TRAIN, "larger than the number of columns"),
    (SecondDerivative(window_length=5, polyorder=3), X_TRAIN[:, :4], "window_length <= 3"),
    (Detrend(order=3), X_TRAIN[:, :3], "at least 4 columns"),
    (Detrend(order=1, wavelengths=WL[:10]), X_TRAIN, "wavelengths has 10 values"),
    (Baseline(), X_TRAIN[:, :2], "at least 3 columns"),
    (MSC(), X_TRAIN[:, :1], "at least 2 columns"),
    (SNV(), np.full((3, 5), np.nan), "NaN"),
], ids=["savgol-window", "deriv-window", "detrend-order", "detrend-axis", "als-cols",
        "msc-cols", "nan"])
def test_data_dependent_errors_raise_in_fit(op: SpectralOperator, X: np.ndarray,
                                            match: str) -> None:
    with pytest.raises(ValueError, match=match):
        op.fit(X)
