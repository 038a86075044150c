"""Partition labels other than train/test (issue 21): the tablet data's split.csv labels 30
rows 'trans' (the shootout's transfer samples). They used to become training rows without a
word; now they are left out (excluded) with a loader note naming the label and its count,
and the user maps a label to train, test or exclude (load_dataset(split_map=...), the CLI's
--split-map LABEL=ROLE)."""
from __future__ import annotations

import shutil

import numpy as np
import pytest

from engine.cli import main as cli_main
from engine.errors import InputError
from engine.io import load_data, load_dataset


def _labels(tablet_dir) -> np.ndarray:
    """split.csv read with plain Python: one label per spectrum (the header row dropped)."""
    lines = (tablet_dir / "split.csv").read_text().split()
    return np.array(lines[1:])


def test_rows_of_other_labels_are_left_out_and_named_in_a_note(tablet_dir):
    labels = _labels(tablet_dir)
    ds = load_dataset(tablet_dir)
    trans = np.flatnonzero(labels == "trans")
    assert trans.size == 30
    np.testing.assert_array_equal(ds.excluded_rows, trans)
    np.testing.assert_array_equal(ds.train_indices, np.flatnonzero(labels == "cal"))
    np.testing.assert_array_equal(ds.test_indices, np.flatnonzero(labels == "test"))
    note = next(n for n in ds.metadata["notes"] if "neither train nor test" in n)
    assert "split.csv" in note and "30 labelled 'trans'" in note and "--split-map" in note
    assert ds.metadata["partition_other"] == {"trans": trans.tolist()}


@pytest.mark.parametrize("role", ["train", "test", "exclude"])
def test_a_label_mapped_to_a_role_takes_it(tablet_dir, role):
    labels = _labels(tablet_dir)
    ds = load_dataset(tablet_dir, split_map={"trans": role})
    trans = labels == "trans"
    train = (labels == "cal") | (trans if role == "train" else False)
    test = (labels == "test") | (trans if role == "test" else False)
    np.testing.assert_array_equal(ds.train_indices, np.flatnonzero(train))
    np.testing.assert_array_equal(ds.test_indices, np.flatnonzero(test))
    assert ds.n_excluded == (30 if role == "exclude" else 0)
    assert any(f"30 rows labelled 'trans' mapped to {role}" in n for n in ds.metadata["notes"])
    # nothing is left out by label any more; the mapping is kept (the report says it)
    assert ds.metadata["partition_other"] == {}
    assert ds.metadata["partition_mapped"] == {"trans": role}
    assert not any("neither train nor test" in n for n in ds.metadata["notes"])


def test_unknown_label_or_role_is_refused_with_what_the_data_has(tablet_dir):
    with pytest.raises(InputError, match=r"no rows are labelled 'val2'.*'trans'"):
        load_dataset(tablet_dir, split_map={"val2": "test"})
    with pytest.raises(InputError, match=r"train, test, exclude, not 'holdout'"):
        load_data(str(tablet_dir), split_map={"trans": "holdout"})


def test_single_csv_partition_column_with_another_label(tmp_path):
    path = tmp_path / "one.csv"
    rows = ["id,set,y,1000,1002,1004"]
    sets = ["train", "train", "val2", "test", "cal", "val2"]
    rng = np.random.default_rng(0)
    for i, s in enumerate(sets):
        x = rng.normal(size=3)
        rows.append(f"s{i},{s},{i * 1.5},{x[0]},{x[1]},{x[2]}")
    path.write_text("\n".join(rows) + "\n")
    ds = load_dataset(path)
    np.testing.assert_array_equal(ds.excluded_rows, [2, 5])
    np.testing.assert_array_equal(ds.train_indices, [0, 1, 4])
    assert any("2 labelled 'val2'" in n and "'set'" in n for n in ds.metadata["notes"])
    mapped = load_dataset(path, split_map={"val2": "test"})
    np.testing.assert_array_equal(mapped.test_indices, [2, 3, 5])


def test_cli_split_map_and_its_one_line_errors(tablet_dir, tmp_path, capsys):
    folder = tmp_path / "tablet"
    shutil.copytree(tablet_dir, folder)
    assert cli_main(["info", str(folder)]) == 0
    out = capsys.readouterr().out
    assert "30 labelled 'trans'" in out
    assert cli_main(["info", str(folder), "--split-map", "trans=train"]) == 0
    assert "mapped to train" in capsys.readouterr().out
    for bad, words in ((["--split-map", "trans"], "expected LABEL=ROLE"),
                       (["--split-map", "nope=train"], "no rows are labelled 'nope'")):
        assert cli_main(["info", str(folder), *bad]) == 2
        err = capsys.readouterr().err.strip()
        assert words in err and len(err.splitlines()) == 1
