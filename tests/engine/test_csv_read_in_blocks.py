"""A table read with progress (the window's loads) lands in one anonymous memory map: the
same bytes as a plain read, gz files decompressed, empty files empty, and a map that is
freed when its last view goes (issue 20: no join of blocks, no large free under the GIL)."""
from __future__ import annotations

import gzip
import mmap
import weakref

import numpy as np
import pytest

from engine.errors import Cancelled
from engine.io.csvtable import read_bytes
from engine.io.meter import Meter


def _span(progress=None, cancel=None):
    return Meter(progress, cancel).start(1000)


def test_a_read_with_progress_gives_the_file_s_bytes_and_reports(tmp_path, monkeypatch):
    import engine.io.csvtable as csvtable

    monkeypatch.setattr(csvtable, "_READ_BLOCK", 1000)         # many blocks
    data = np.random.default_rng(0).integers(0, 256, 12_345, dtype=np.uint8).tobytes()
    path = tmp_path / "X.csv"
    path.write_bytes(data)
    seen: list[int] = []
    raw = read_bytes(path, "X.csv", _span(lambda done, total: seen.append(done)))
    assert isinstance(raw, mmap.mmap)
    assert raw[:] == data == path.read_bytes()
    assert seen == sorted(seen) and seen[-1] == 1000 and len(seen) > 10


def test_gz_and_empty_files(tmp_path):
    text = b"id;a;b\ns1;1,5;2\n"
    (tmp_path / "t.csv.gz").write_bytes(gzip.compress(text))
    (tmp_path / "empty.csv").write_bytes(b"")
    assert read_bytes(tmp_path / "t.csv.gz", "t.csv.gz", _span()) == text
    assert read_bytes(tmp_path / "empty.csv", "empty.csv", _span()) == b""


def test_a_cancel_stops_the_read(tmp_path):
    import threading

    path = tmp_path / "X.csv"
    path.write_bytes(b"1,2\n" * 1000)
    cancel = threading.Event()
    cancel.set()
    with pytest.raises(Cancelled):
        read_bytes(path, "X.csv", Meter(lambda *_: None, cancel).start(10))


def test_a_loaded_dataset_keeps_no_view_of_the_map(tmp_path, monkeypatch):
    """The dataset's arrays are its own: once it is loaded the file's map is gone (unmapped
    then, without the GIL), not kept alive by a view into it."""
    import engine.io.csvtable as csvtable
    from engine.io import load_dataset

    rows = "\n".join(f"s{i},{i}.5,{i}.25" for i in range(50))
    (tmp_path / "X.csv").write_text("id,1000,1002\n" + rows + "\n")
    (tmp_path / "y.csv").write_text("id,protein\n" + "\n".join(f"s{i},{i}" for i in range(50))
                                    + "\n")
    maps: list[weakref.ref] = []
    real = csvtable._read_in_blocks

    def spy(path, span):
        got = real(path, span)
        if isinstance(got, mmap.mmap):
            maps.append(weakref.ref(got))
        return got

    monkeypatch.setattr(csvtable, "_read_in_blocks", spy)
    dataset = load_dataset(tmp_path, progress=lambda *_: None)
    assert dataset.X.shape == (50, 2)
    np.testing.assert_array_equal(dataset.X[:, 0], np.arange(50) + 0.5)
    assert maps and all(ref() is None for ref in maps)     # X.csv read with progress
