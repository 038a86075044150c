"""Validation before work (issue 22): the spec's size limits, parameters checked against
the data, the numeric range, non-regular files, crafted models and one-line warnings.
Each check is compared with what it stands for: the branch count with the expansion
itself, the data checks with the fit that would have failed, the range with float64."""
from __future__ import annotations

import io
import json
import os
import random
import warnings

import numpy as np
import pytest
from sklearn.cross_decomposition import PLSRegression
from sklearn.linear_model import Ridge
from sklearn.pipeline import Pipeline
from sklearn.preprocessing import StandardScaler

from engine.dataset import SpectralDataset
from engine.errors import InputError, SpecError
from engine.io import load_data
from engine.io.paths import kind_of, require_file
from engine.io.ranges import MAX_ABS_VALUE
from engine.modelcheck import check_predictable
from engine.pipeline import parse_pipeline
from engine.pipeline.limits import MAX_BRANCHES, MAX_NESTING, count_branches
from engine.pipeline.spec import expand_structure, parse_structure
from engine.run import run
from engine.warnlines import one_line_warnings

PLS = {"class": "PLSRegression", "params": {"n_components": 2}}
OPS = ["SNV", "MSC", "Detrend"]


def _dataset(n: int = 40, p: int = 20, y: np.ndarray | None = None) -> SpectralDataset:
    rng = np.random.default_rng(0)
    X = rng.normal(1.0, 0.1, (n, p))
    return SpectralDataset(X=X, wavelengths=np.linspace(1000, 1100, p),
                           targets={"y": X[:, 3] * 3 + rng.normal(0, 0.01, n) if y is None
                                    else y},
                           sample_ids=np.array([f"s{i}" for i in range(n)]),
                           test_mask=np.zeros(n, bool), name="tiny.csv")


# -- size limits -----------------------------------------------------------------------------

def _random_steps(rng: random.Random, depth: int) -> list:
    out: list = []
    for _ in range(rng.randint(0, 3)):
        r = rng.random()
        if r < 0.4:
            out.append(rng.choice(OPS))
        elif r < 0.6:
            out.append(PLS)
        elif depth < 3 and rng.random() < 0.5:
            out.append({"branch": [_random_steps(rng, depth + 1)
                                   for _ in range(rng.randint(1, 3))]})
        elif depth < 3:
            alts = [None if rng.random() < 0.2 else rng.choice([*OPS, PLS])
                    if rng.random() < 0.5 else _random_steps(rng, depth + 1)
                    for _ in range(rng.randint(1, 3))]
            out.append({"branch": {"_or_": alts}})
    return out


def test_the_branch_count_equals_the_expansion_on_random_specs():
    """count_branches multiplies lane counts by the expansion's rules; compared with the
    branches expand() really makes, on 300 random specs (nested lanes, _or_, continuations,
    complete and incomplete lanes)."""
    rng = random.Random(22)
    compared = 0
    for _ in range(300):
        spec = _random_steps(rng, 0) + ([PLS] if rng.random() < 0.7 else [])
        try:
            structure = parse_structure(spec)
            expected = len(expand_structure(structure, "x").branches)
        except SpecError:
            continue  # a lane without a model: refused before any count matters
        assert count_branches(structure.nodes) == expected, json.dumps(spec)
        compared += 1
    assert compared > 150


def _nested(depth: int) -> list:
    spec: list = [PLS]
    for _ in range(depth):
        spec = [{"branch": [spec]}]
    return spec


def test_nesting_up_to_the_limit_parses_and_one_more_is_refused_with_the_limit():
    assert len(parse_pipeline(_nested(MAX_NESTING)).branches) == 1
    with pytest.raises(SpecError, match=f"more than {MAX_NESTING} levels deep") as caught:
        parse_pipeline(_nested(MAX_NESTING + 1))
    assert caught.value.path is not None and len(caught.value.path) == 2 * MAX_NESTING + 1
    assert len(str(caught.value)) < 200  # the readable place is shortened


@pytest.mark.parametrize("depth", [1000, 100_000])
def test_json_nested_deeper_than_python_recurses_is_one_spec_error(depth):
    with pytest.raises(SpecError, match=r"nested too deeply|levels deep"):
        parse_pipeline("[" * depth + "]" * depth)


def test_a_huge_generator_is_refused_before_its_alternatives_are_built():
    # the alternatives name no real step: refusing by size proves none was resolved
    spec = [{"branch": {"_or_": ["NoSuchStep"] * (MAX_BRANCHES + 1)}}, PLS]
    with pytest.raises(SpecError, match=f"{MAX_BRANCHES + 1:,} alternatives") as caught:
        parse_pipeline(spec)
    assert caught.value.path == (0,)


def test_a_product_of_small_generators_is_counted_not_expanded():
    spec = [{"branch": {"_or_": ["SNV"] * 80}}, {"branch": {"_or_": ["MSC"] * 80}}, PLS]
    with pytest.raises(SpecError, match=r"expands to 6,400 branches; the limit is 5,000"):
        parse_pipeline(spec)
    spec[1] = {"branch": {"_or_": ["MSC"] * 60}}  # 4,800: within the limit
    assert len(parse_pipeline(spec).branches) == 4800


# -- parameters against the data ---------------------------------------------------------------

@pytest.mark.parametrize("params", [{"n_components": True}, {"tol": False},
                                    {"max_iter": True}])
def test_a_boolean_where_a_number_is_expected_is_refused(params):
    with pytest.raises(SpecError, match=r"must be a number, got (true|false)"):
        parse_pipeline([{"class": "PLSRegression", "params": params}])
    # a real boolean parameter still takes one
    parse_pipeline([{"class": "PLSRegression", "params": {"scale": True}}])


def test_more_components_than_columns_is_refused_before_any_fit():
    ds = _dataset(p=20)
    spec = [{"class": "PLSRegression", "params": {"n_components": 21}}]
    with pytest.raises(ValueError):  # what the fit would have said, much later
        PLSRegression(n_components=21).fit(ds.X, ds.y)
    with pytest.raises(SpecError, match="n_components=21 is more than the 20 columns") as c:
        run(spec, ds, verbose=0)
    assert c.value.path == (0,)
    run([{"class": "PLSRegression", "params": {"n_components": 20}}], ds, verbose=0)


def test_components_are_checked_against_the_smallest_training_fold():
    ds = _dataset(n=12, p=40)  # 5 folds of 12: training folds of 9 or 10 rows
    with pytest.raises(SpecError, match="more than the 9 samples of the smallest"):
        run([{"class": "PLSRegression", "params": {"n_components": 10}}], ds, verbose=0)


def test_the_width_follows_a_crop_and_a_one_to_one_scaler():
    ds = _dataset(p=20)  # 1000..1100 in 20 steps; crop keeps 1000..1030: 6 columns
    spec = [{"class": "CropRange", "params": {"start": 1000, "stop": 1030}},
            {"class": "StandardScaler"},
            {"class": "PLSRegression", "params": {"n_components": 7}}]
    kept = int(np.sum((ds.wavelengths >= 1000) & (ds.wavelengths <= 1030)))
    with pytest.raises(SpecError, match=f"n_components=7 is more than the {kept} columns") \
            as caught:
        run(spec, ds, verbose=0)
    assert caught.value.path == (2,)


def test_a_window_wider_than_the_spectrum_is_refused_with_the_widest_that_fits():
    ds = _dataset(p=20)
    spec = [{"class": "SavitzkyGolay", "params": {"window_length": 21}}, PLS]
    with pytest.raises(SpecError, match=r"window_length=21 is larger .* <= 19") as caught:
        run(spec, ds, verbose=0)
    assert caught.value.path == (0,)


def test_a_grid_over_a_float_range_is_refused_at_start_saying_what_to_use():
    spec = [{"model": {"class": "Ridge"}, "finetune_params": {
        "sampler": "grid", "model_params": {"alpha": ["float", 0.1, 10]}}}]
    with pytest.raises(SpecError, match=r"'grid' needs int or categorical.*'tpe' or 'random'"):
        run(spec, _dataset(), verbose=0)


def test_a_pipeline_with_every_model_disabled_is_refused():
    spec = [{"branch": {"_or_": ["SNV", "MSC"]}}, {**PLS, "enabled": False}]
    with pytest.raises(SpecError, match="every model of the pipeline is disabled"):
        run(spec, _dataset(), verbose=0)


@pytest.mark.parametrize("n", [1, 30])
def test_one_sample_or_a_constant_target_is_refused(n):
    ds = _dataset(n=n, y=np.full(n, 5.0))
    with pytest.raises(InputError, match=r"only 1 training sample|same value .5.0."):
        run([PLS], ds, verbose=0)


# -- files and values --------------------------------------------------------------------------

def test_kind_of_never_opens_and_names_what_a_path_is(tmp_path):
    fifo = tmp_path / "pipe"
    os.mkfifo(fifo)
    (tmp_path / "f.csv").write_text("1\n")
    assert kind_of(fifo) == "a named pipe (FIFO)"
    assert kind_of(tmp_path) == "folder" and kind_of(tmp_path / "f.csv") == "file"
    assert kind_of(tmp_path / "nope") == "missing"
    with pytest.raises(InputError, match="this is a named pipe"):
        require_file(fifo)
    with pytest.raises(InputError, match="named pipe"):
        load_data(str(fifo))


def _csv(tmp_path, value: str) -> str:
    rows = ["1000,1001,1002,y"] + [f"{1 + k / 10},{2 + k / 10},3,{k}" for k in range(6)]
    rows[3] = f"1.3,{value},3,2"
    path = tmp_path / "v.csv"
    path.write_text("\n".join(rows) + "\n")
    return str(path)


def test_values_beyond_the_range_are_refused_at_their_cell_and_the_bound_is_kept(tmp_path):
    # why the bound: the square of 1e300 is inf in float64, that of 1e100 is not
    with np.errstate(over="ignore"):
        assert np.isinf(np.float64(1e300) ** 2) and np.isfinite(np.float64(MAX_ABS_VALUE) ** 2)
    with pytest.raises(InputError, match=r"v.csv, row 4, column 2 \(1001\): '1e300' is too"):
        load_data(_csv(tmp_path, "1e300"))
    ds = load_data(_csv(tmp_path, "1e100"))  # the bound itself is accepted
    assert ds.X[2, 1] == 1e100


def test_a_jcamp_file_read_as_a_table_says_so(tmp_path):
    path = tmp_path / "spectrum.csv"
    path.write_text("##TITLE=x\n##JCAMP-DX=4.24\n##XYDATA=(X++(Y..Y))\n1 2 3\n##END=\n")
    with pytest.raises(InputError, match="this is a JCAMP-DX file, not a table"):
        load_data(str(path))


# -- models and warnings -----------------------------------------------------------------------

def test_a_model_predict_cannot_use_is_refused_in_one_line():
    rng = np.random.default_rng(0)
    X, y = rng.normal(size=(20, 5)), rng.normal(size=20)
    fitted = Pipeline([("s", StandardScaler()), ("m", PLSRegression(2))]).fit(X, y)
    check_predictable(fitted, 5, "p.nirdesk, run 1, branch 1")  # a sound model passes
    empty = Pipeline([("s", StandardScaler())])
    empty.steps = []
    cases = {"its pipeline has no steps": empty,
             "PLSRegression was never fitted": Pipeline([("m", PLSRegression(2))]),
             "it was fitted on 5 columns": fitted,
             "it is a StandardScaler": StandardScaler().fit(X),
             "its step Ridge is not a transformer":
                 Pipeline([("a", Ridge()), ("b", PLSRegression(2))])}
    for words, model in cases.items():
        n = 6 if words.startswith("it was fitted") else 5
        with pytest.raises(InputError, match=words) as caught:
            check_predictable(model, n, "p.nirdesk, run 1, branch 1")
        assert str(caught.value).startswith("p.nirdesk, run 1, branch 1: the saved model")


def test_library_warnings_print_once_each_in_one_line_without_paths():
    out = io.StringIO()
    with one_line_warnings("nirdesk run", out):
        for _ in range(3):
            np.float64(1e300) ** 2                      # RuntimeWarning: overflow, 3 times
        warnings.warn("iteration 7 did not converge", UserWarning, stacklevel=1)
        warnings.warn("iteration 9 did not converge", UserWarning, stacklevel=1)
        warnings.warn("unclosed file", ResourceWarning, stacklevel=1)
    lines = out.getvalue().splitlines()
    assert lines == ["nirdesk run: warning: RuntimeWarning: overflow encountered in "
                     "scalar power",
                     "nirdesk run: warning: UserWarning: iteration 7 did not converge"]


def test_an_axis_that_only_reads_the_same_names_the_first_difference_and_the_order():
    from engine.predict import align_wavelengths

    model_wl = np.linspace(850, 1050, 100)                 # 850, 852.02, ...
    data_wl = np.sort(1050 - 2.0202 * np.arange(100))      # written from 1050 downwards
    data_wl[0] = 850
    ds = _dataset(n=3, p=100)
    ds.wavelengths = data_wl
    ds.metadata["notes"] = ["axis was descending (1050 .. 850): sorted ascending"]
    with pytest.raises(InputError) as caught:
        align_wavelengths(ds, model_wl, resample=False)
    k = int(np.argmax(~np.isclose(data_wl, model_wl, rtol=0, atol=1e-7)))
    text = str(caught.value)
    assert f"wavelength {k + 1} is {data_wl[k]:.6g} in the data and {model_wl[k]:.6g}" in text
    assert "descending order" in text and "--resample" in text


def test_preprocessing_output_that_is_not_finite_is_refused_naming_the_step():
    from sklearn.linear_model import LinearRegression
    from sklearn.preprocessing import FunctionTransformer

    from engine.pipeline import preprocess_branch

    X = np.abs(np.random.default_rng(0).normal(1, 0.1, (8, 5)))
    X[2, 3] = -1.0                                       # log of a negative: nan
    with np.errstate(invalid="ignore"):
        fitted = Pipeline([("log", FunctionTransformer(np.log)),
                           ("m", LinearRegression())]).fit(np.abs(X), np.arange(8.0))
        with pytest.raises(InputError, match=r"FunctionTransformer gives nan for spectrum 3 "
                                             r"at 13"):
            preprocess_branch(fitted, X, np.arange(10.0, 15.0))
