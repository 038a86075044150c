"""The app's model side, headless: spectra geometry, colour groups, state events, and the
background tasks (load, preprocess fitted on training rows only)."""
from __future__ import annotations

import numpy as np
import pytest

from app.model import tasks
from app.model.spectra_data import (
    COLUMN_LABEL,
    UNIT_LABEL,
    SpectraData,
    colour_groups,
    target_summary,
)
from app.model.state import PREPROCESSED, RAW, WorkbenchState


def _data(Y, x=None, known=True):
    Y = np.asarray(Y, dtype=float)
    x = np.arange(Y.shape[1], dtype=float) * 10 + 1000 if x is None else x
    return SpectraData.build(Y, x, wavelengths_known=known, title="raw")


def test_stats_labels_and_refusal_of_non_finite_values():
    d = _data([[1, 2, 3], [3, 4, 5]])
    assert d.x_label == UNIT_LABEL
    np.testing.assert_allclose(d.mean, [2, 3, 4])
    np.testing.assert_allclose(d.std, np.sqrt(2) * np.ones(3))
    assert (d.y_min, d.y_max, d.x_min, d.x_max) == (1, 5, 1000, 1020)
    assert _data([[1, 2, 3]], known=False).x_label == COLUMN_LABEL
    # an operator that changed the number of columns: drawn against column numbers
    changed = SpectraData.build(np.ones((2, 2)), np.array([1.0, 2.0, 3.0]),
                                wavelengths_known=True, title="x")
    assert changed.x_label == COLUMN_LABEL and list(changed.x) == [1, 2]
    with pytest.raises(ValueError, match="row 2"):
        _data([[1, 2, 3], [1, np.nan, 3]])


def test_nearest_spectrum_interpolates_between_columns_and_respects_tolerance():
    d = _data([[0, 0, 0], [10, 10, 10], [0, 20, 0]])
    assert d.nearest(1005.0, 9.0, 2.0) == 1          # halfway: row 2 is at 10, row 1 at 10
    assert d.nearest(1010.0, 19.0, 2.0) == 2
    assert d.nearest(1010.0, 15.0, 2.0) is None      # nothing within 2
    assert d.nearest(999.0, 0.0, 2.0) is None        # left of the axis
    # decreasing axis (wavenumbers) works the same
    dec = _data([[0, 0, 0], [0, 20, 0]], x=np.array([3000.0, 2000.0, 1000.0]))
    assert dec.nearest(2000.0, 19.0, 2.0) == 1
    assert dec.visible_columns(1500, 2500) == slice(0, 3)


def test_rows_in_box_sees_points_and_lines_crossing_the_box_edges():
    d = _data([[0, 0, 0, 0], [5, 5, 5, 5], [0, 0, 9, 0]])
    np.testing.assert_array_equal(d.rows_in_box(1015, 1025, 8, 10), [2])   # column 1020
    np.testing.assert_array_equal(d.rows_in_box(1001, 1002, 4, 6), [1])    # no column inside
    np.testing.assert_array_equal(d.rows_in_box(1000, 1030, -1, 10), [0, 1, 2])
    assert d.rows_in_box(1000, 1030, 20, 30).size == 0


def test_colour_groups_cover_every_row_once():
    y = np.linspace(0, 1, 101)
    test = np.zeros(101, bool)
    test[::5] = True
    for mode, values in (("target", y), ("partition", y), ("target", None),
                         ("target", np.array(["a", "b", "c"] * 33 + ["a", "a"]))):
        groups = colour_groups(mode, values, test, n_bins=8)
        rows = np.concatenate([g.rows for g in groups])
        assert sorted(rows) == list(range(101)), mode
    numeric = colour_groups("target", y, test, n_bins=8)
    assert len(numeric) == 8 and numeric[0].fraction < numeric[-1].fraction
    assert y[numeric[-1].rows].min() > y[numeric[0].rows].max()
    part = colour_groups("partition", y, test)
    assert [g.label for g in part] == ["train", "test"] and part[1].rows.size == 21
    classes = colour_groups("target", np.array(["b", "a", "b"]), np.zeros(3, bool))
    assert [g.label for g in classes] == ["a", "b"]


def test_target_summary_numeric_and_classes():
    lines = dict(target_summary(np.array([1.0, 2.0, 3.0, 6.0]), np.array([0, 0, 0, 1], bool)))
    assert lines["mean \u00b1 sd"].startswith("3 \u00b1 2.16")
    assert lines["train / test mean"] == "2 / 6"
    classes = dict(target_summary(np.array(["x", "y", "x"]), np.zeros(3, bool)))
    assert classes["classes"] == "2: x (2), y (1)"


def test_state_events_and_selection(tecator_dir):
    loaded = tasks.load(str(tecator_dir))
    st = WorkbenchState()
    seen = []
    for name in ("dataset", "shown", "selection", "target", "colour_mode", "display"):
        st.events.connect(name, lambda n=name: seen.append(n))
    st.set_dataset(loaded.dataset, loaded.raw, loaded.path)
    assert seen == ["dataset", "shown", "selection"] and st.shown is loaded.raw
    st.set_selection([5, 3, 5])
    assert list(st.selection) == [3, 5]
    with pytest.raises(IndexError):
        st.set_selection([215])
    st.set_target("fat")
    st.set_colour_mode("partition")
    st.set_display(PREPROCESSED, 2)
    assert seen[-3:] == ["target", "colour_mode", "display"]
    st.set_display(RAW)
    assert st.shown is loaded.raw


def test_load_opens_the_folder_of_a_file_inside_a_folder_layout(tecator_dir):
    loaded = tasks.load(str(tecator_dir / "X.csv"))
    assert loaded.path == str(tecator_dir)
    assert loaded.dataset.target_names == ["moisture", "fat", "protein"]
    assert loaded.raw.x_label == UNIT_LABEL and loaded.raw.n_samples == 215


def test_preprocess_fits_on_training_rows_only(tecator_dir):
    from engine.operators import MSC
    from engine.pipeline import parse_pipeline
    from engine.resources import demo_pipeline_path

    ds = tasks.load(str(tecator_dir)).dataset
    branches = {b.id: b for b in parse_pipeline(demo_pipeline_path()).branches}
    msc = branches[2]
    assert [s.class_name for s in msc.preprocessing] == ["MSC"]
    out = tasks.preprocess(ds.X, ds.y, ds.test_mask, ds.wavelengths, True, msc, "msc")
    expected = MSC().fit(ds.X[~ds.test_mask]).transform(ds.X)
    np.testing.assert_allclose(out.Y, expected)
    all_rows = MSC().fit(ds.X).transform(ds.X)
    assert not np.allclose(out.Y, all_rows)  # the test rows did not shape the reference
    snv = tasks.preprocess(ds.X, ds.y, ds.test_mask, ds.wavelengths, True, branches[1], "snv")
    np.testing.assert_allclose(snv.Y.mean(axis=1), 0, atol=1e-12)
    event = __import__("threading").Event()
    event.set()
    with pytest.raises(tasks.Cancelled):
        tasks.preprocess(ds.X, ds.y, ds.test_mask, ds.wavelengths, True, msc, "x", cancel=event)


def test_events_refuse_unknown_names_and_call_back_in_order():
    from app.model.events import Events
    from app.model.state import WorkbenchState

    calls = []
    events = Events(("changed", "selection"))
    events.connect("changed", lambda: calls.append(1))
    events.connect("changed", lambda: calls.append(2))
    events.emit("changed")
    assert calls == [1, 2]
    with pytest.raises(KeyError, match=r"unknown event 'selction'.*changed, selection"):
        events.connect("selction", lambda: None)
    with pytest.raises(KeyError, match="unknown event"):
        events.emit("chnged")
    # the window's state declares its names: a typo in a view fails at connect time
    with pytest.raises(KeyError):
        WorkbenchState().events.connect("colour", lambda: None)
