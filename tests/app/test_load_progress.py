"""A long dataset load in the window (pytest-qt, offscreen): its progress is shown and grows,
Cancel stops it promptly while the dataset already open stays open and the status bar says
"Loading cancelled", and a .npz dataset opens like a CSV one (issue 20)."""
from __future__ import annotations

import time
from pathlib import Path

import numpy as np
import pytest

from app.common.notify import Notifier
from app.common.settings import AppSettings
from app.model.spectra_data import UNIT_LABEL
from app.model.state import WorkbenchState
from app.shell.main_window import DATA_FILTER, MainWindow
from app.spectra.controller import LOAD_CANCELLED, DatasetController
from engine.io import load_dataset

WAIT = 60_000


def write_big_csv(folder: Path, n: int = 6000, p: int = 1000, seed: int = 5) -> Path:
    """X.csv of n spectra x p wavelengths (5-decimal values, as instruments export them) and
    y.csv, formatted with byte arithmetic (a 48 MB file in well under a second)."""
    folder.mkdir()
    rng = np.random.default_rng(seed)
    wl = np.linspace(1000.0, 2500.0, p)
    ints = rng.integers(10000, 99999, (n, p))
    cells = np.empty((n, p, 8), dtype=np.uint8)
    cells[:, :, 0] = ord("0")
    cells[:, :, 1] = ord(".")
    for k in range(5):
        cells[:, :, 2 + k] = ord("0") + (ints // 10 ** (4 - k)) % 10
    cells[:, :, 7] = ord(",")
    cells[:, -1, 7] = ord("\n")
    with open(folder / "X.csv", "wb") as f:
        f.write((",".join(f"{w:.1f}" for w in wl) + "\n").encode())
        f.write(cells.tobytes())
    (folder / "y.csv").write_text("fat\n" + "\n".join(f"{v:.2f}" for v in rng.random(n)))
    return folder


@pytest.fixture(scope="module")
def big_csv(tmp_path_factory) -> Path:
    return write_big_csv(tmp_path_factory.mktemp("load") / "big")


@pytest.fixture
def ctrl(qtbot, monkeypatch):
    # show progress from the first poll: the test data need not take a second to load
    monkeypatch.setattr(DatasetController, "SHOW_PROGRESS_AFTER_MS", 0)
    monkeypatch.setattr(DatasetController, "POLL_MS", 10)
    c = DatasetController(WorkbenchState(), Notifier(quiet=True))
    yield c
    c.shutdown()


def test_a_long_load_shows_progress_that_grows(ctrl, qtbot, big_csv):
    seen: list[tuple[int, int]] = []
    ended: list[bool] = []
    ctrl.load_progress.connect(lambda done, total: seen.append((done, total)))
    ctrl.load_ended.connect(lambda: ended.append(True))
    with qtbot.waitSignal(ctrl.dataset_loaded, timeout=WAIT):
        ctrl.open_dataset(big_csv)
    qtbot.waitUntil(lambda: bool(ended), timeout=WAIT)
    assert ctrl.state.dataset.X.shape == (6000, 1000)
    assert len(seen) >= 2, seen
    done = [d for d, _ in seen]
    assert done == sorted(done) and done[-1] > done[0], seen
    assert {t for _, t in seen} == {(big_csv / "X.csv").stat().st_size}
    assert ended == [True] and not ctrl.load_running()


def test_cancel_stops_the_load_and_keeps_the_open_dataset(ctrl, qtbot, big_csv,
                                                          tecator_dir):
    ctrl.open_dataset(tecator_dir).wait()
    before = ctrl.state.dataset
    statuses: list[str] = []
    ctrl.notifier.status_shown.connect(lambda text, _ms: statuses.append(text))
    with qtbot.waitSignal(ctrl.load_progress, timeout=WAIT,
                          check_params_cb=lambda done, total: 0 < done < total):
        handle = ctrl.open_dataset(big_csv)
    asked = time.monotonic()
    with qtbot.waitSignal(handle.cancelled, timeout=WAIT):
        assert ctrl.cancel_load()
    stopped = time.monotonic() - asked
    assert stopped < 2.0, stopped     # ~0.05 s measured; generous for a loaded CI machine
    assert handle.status == "cancelled" and ctrl.state.dataset is before
    assert statuses[-1] == LOAD_CANCELLED
    assert not ctrl.load_running() and not ctrl.cancel_load()


def test_a_superseded_load_is_not_reported_as_cancelled(ctrl, qtbot, big_csv, tecator_dir):
    statuses: list[str] = []
    ctrl.notifier.status_shown.connect(lambda text, _ms: statuses.append(text))
    first = ctrl.open_dataset(big_csv)
    with qtbot.waitSignal(ctrl.dataset_loaded, timeout=WAIT):
        ctrl.open_dataset(tecator_dir)
    assert first.status == "cancelled" and ctrl.state.dataset.name == "tecator"
    assert LOAD_CANCELLED not in statuses


@pytest.fixture
def window(qtbot, tmp_path, monkeypatch):
    monkeypatch.setattr(DatasetController, "SHOW_PROGRESS_AFTER_MS", 0)
    monkeypatch.setattr(DatasetController, "POLL_MS", 10)
    w = MainWindow(AppSettings(tmp_path / "settings.ini"))
    qtbot.addWidget(w)
    w.show()
    qtbot.waitExposed(w)
    return w


def test_the_window_shows_the_progress_and_its_cancel_button(window, qtbot, big_csv,
                                                             tecator_dir):
    w = window
    with qtbot.waitSignal(w.dataset_loaded, timeout=WAIT):
        w.open_dataset(tecator_dir)
    before = w.state.dataset
    assert not w.load_cancel.isVisibleTo(w)
    with qtbot.waitSignal(w.spectra.load_progress, timeout=WAIT,
                          check_params_cb=lambda done, total: 0 < done < total):
        handle = w.open_dataset(big_csv)
    assert w.load_cancel.isVisibleTo(w) and w.busy.isVisibleTo(w)
    assert w.busy.maximum() == 1000 and 0 <= w.busy.value() < 1000
    with qtbot.waitSignal(handle.cancelled, timeout=WAIT):
        w.load_cancel.click()
    assert w.state.dataset is before
    assert w.statusBar().currentMessage() == LOAD_CANCELLED
    qtbot.waitUntil(lambda: not w.load_cancel.isVisibleTo(w), timeout=WAIT)
    assert w.busy.maximum() == 0       # the moving bar again, for other background work


def test_an_npz_dataset_opens_in_the_window(window, qtbot, tmp_path, tecator_dir):
    assert "*.npz" in DATA_FILTER.split(";;")[0]
    ds = load_dataset(tecator_dir)
    path = tmp_path / "tecator.npz"
    np.savez(path, X=ds.X, wavelengths=ds.wavelengths, y_fat=ds.targets["fat"],
             split=np.where(ds.test_mask, "test", "train"))
    with qtbot.waitSignal(window.dataset_loaded, timeout=WAIT):
        window.open_dataset(path)
    opened = window.state.dataset
    assert opened.metadata["layout"] == "npz" and opened.n_test == ds.n_test
    np.testing.assert_array_equal(opened.X, ds.X)
    assert window.state.raw.x_label == UNIT_LABEL      # the CSV layouts' nm, as documented
