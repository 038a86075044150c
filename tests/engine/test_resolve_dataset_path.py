"""engine.io.resolve_dataset_path: a file that belongs to a folder layout stands for its folder
(the window's open dialog and `nirdesk preprocess --data X.csv` both rely on it)."""
from __future__ import annotations

from pathlib import Path

from engine.io import resolve_dataset_path


def test_layout_files_stand_for_their_folder_other_files_for_themselves(tmp_path, tecator_dir):
    for name in ("X.csv", "y.csv", "split.csv"):
        assert resolve_dataset_path(tecator_dir / name) == tecator_dir
    assert resolve_dataset_path(str(tecator_dir)) == Path(tecator_dir)
    n4a = tmp_path / "n4a"
    n4a.mkdir()
    for name in ("Xcal.csv.gz", "Ycal.csv", "Xval.csv", "Yval.csv"):
        (n4a / name).write_text("1,2\n")
    assert resolve_dataset_path(n4a / "Xcal.csv.gz") == n4a
    assert resolve_dataset_path(n4a / "Yval.csv") == n4a
    other = tmp_path / "meat.csv"
    other.write_text("1,2\n3,4\n")
    assert resolve_dataset_path(other) == other
    assert resolve_dataset_path(tmp_path / "missing.csv") == tmp_path / "missing.csv"
