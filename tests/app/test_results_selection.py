"""The results' Spectra tab shades the wavelengths a branch's selection step kept (issue 19):
a fitted VIP selector's own support, SelectRanges' windows, nothing for a branch that keeps
every wavelength; the same for a run reloaded without its models (the steps refitted)."""
from __future__ import annotations

import copy

import numpy as np
import pytest

from app.common import gc_guard
from app.results.panel import ResultsPanel

WAIT = 30_000
PIPELINE = {"branch": [
    [{"class": "VIPSelector", "params": {"n_components": 5}},
     {"class": "PLSRegression", "params": {"n_components": 5, "scale": False}}],
    [{"class": "SelectRanges", "params": {"ranges": [[700, 1000], [1200, 1600]]}},
     {"class": "PLSRegression", "params": {"n_components": 5, "scale": False}}],
    ["SNV", {"class": "PLSRegression", "params": {"n_components": 5, "scale": False}}],
]}


@pytest.fixture(scope="module")
def tablet(tablet_dir):
    from engine.io import load_dataset
    from engine.run import run

    ds = load_dataset(tablet_dir)
    return ds, run([PIPELINE], ds, verbose=0)


@pytest.fixture
def panel(qtbot):
    gc_guard.acquire()
    p = ResultsPanel()
    qtbot.addWidget(p)
    p.resize(1200, 380)
    p.show()
    qtbot.waitExposed(p)
    yield p
    p.shutdown()
    gc_guard.release()


def _spectra_of(panel, qtbot, bid):
    panel.select_branch(bid)
    panel.tabs.setCurrentWidget(panel.plots["spectra"])
    qtbot.waitUntil(lambda: panel.spectra_data() is not None
                    and panel._spectra_for == bid, timeout=WAIT)
    return panel.plots["spectra"]


def _runs(wavelengths, mask):
    idx = np.flatnonzero(mask)
    cuts = np.flatnonzero(np.diff(idx) > 1)
    starts, stops = np.r_[idx[0], idx[cuts + 1]], np.r_[idx[cuts], idx[-1]]
    return [(wavelengths[a], wavelengths[b]) for a, b in zip(starts, stops, strict=True)]


@pytest.mark.parametrize("reload", [False, True], ids=["fresh", "reloaded"])
def test_spectra_tab_shades_the_kept_wavelengths(panel, tablet, qtbot, reload):
    ds, result = tablet
    shown = result
    if reload:  # a run reopened from a project has no models in memory
        shown = copy.copy(result)
        shown.branches = [copy.copy(b) for b in result.branches]
        for b in shown.branches:
            b.model = None
    panel.set_run(shown, ds)
    vip = result.branch(1).model.steps[0][1]
    page = _spectra_of(panel, qtbot, 1)
    assert page.kept == _runs(ds.wavelengths, vip.support_)
    assert page.kept_shade.isVisible()
    assert f"{vip.support_.sum()} of {ds.n_wavelengths} wavelengths kept" in \
        page.plot.titleLabel.text

    page = _spectra_of(panel, qtbot, 2)
    assert page.kept == [(700.0, 1000.0), (1200.0, 1600.0)]
    page = _spectra_of(panel, qtbot, 3)
    assert page.kept == [] and not page.kept_shade.isVisible()
