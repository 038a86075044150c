"""Excluding spectra in the window (issue 16): Exclude selected / Re-include / Include all are
one undo history with the pipeline edits (Edit > Undo), the Dataset panel counts them, the
selection table and the spectra view mark them, a run leaves them out exactly as the engine
does on the data with those rows removed, and a saved project reopens with them."""
from __future__ import annotations

import json

import numpy as np
import pytest

from app.common.settings import AppSettings
from app.model.spectra_data import SpectraData
from app.model.state import WorkbenchState
from app.shell.exclusions import ExclusionActions
from app.shell.main_window import MainWindow
from app.spectra.dataset_panel import DatasetPanel
from app.spectra.selection_table import SelectionTable
from app.spectra.view import EXCLUDED_RGB, SpectraView
from engine.cli import main as cli_main
from engine.dataset import SpectralDataset
from engine.io import load_dataset

WAIT = 90_000
SPEC = [{"class": "PLSRegression", "params": {"n_components": 4, "scale": False}}]


def _state(folder) -> WorkbenchState:
    state = WorkbenchState()
    ds = load_dataset(folder)
    raw = SpectraData.build(ds.X, ds.wavelengths, wavelengths_known=True, title="raw")
    state.set_dataset(ds, raw, str(folder))
    return state


def test_state_excludes_exactly_and_tells_once(tecator_dir):
    state = _state(tecator_dir)
    heard: list[list[int]] = []
    state.events.connect("exclusions", lambda: heard.append(state.excluded.tolist()))
    state.set_excluded([5, 2, 5])
    state.set_excluded([2, 5])            # the same set: no event
    assert heard == [[2, 5]]
    assert state.dataset.excluded_ids == [str(state.dataset.sample_ids[i]) for i in (2, 5)]
    assert 2 not in state.dataset.train_indices and 5 not in state.dataset.train_indices
    with pytest.raises(IndexError):
        state.set_excluded([215])
    state.set_excluded([])
    assert heard[-1] == [] and state.dataset.n_excluded == 0


def test_exclude_undo_redo_on_one_stack_and_every_view_marks_them(qtbot, tecator_dir):
    from PySide6.QtGui import QUndoStack
    from PySide6.QtWidgets import QWidget

    state = _state(tecator_dir)
    host = QWidget()
    qtbot.addWidget(host)
    stack = QUndoStack(host)
    actions = ExclusionActions(state, stack, host)
    panel, table, view = DatasetPanel(state), SelectionTable(state), SpectraView(state)
    for w in (panel, table, view):
        qtbot.addWidget(w)
    try:
        _exclude_undo_redo(state, stack, actions, panel, table, view, tecator_dir)
    finally:
        view.shutdown()   # its render thread stops before the widgets go


def _exclude_undo_redo(state, stack, actions, panel, table, view, folder) -> None:
    panel.set_include_action(actions.include_all)
    table.set_actions(list(actions.actions().values()))
    panel.show()
    assert panel.excluded.text() == "none" and not panel.include_button.isVisible()
    assert not actions.exclude_selected.isEnabled()

    state.set_selection([3, 10, 11])
    assert actions.exclude_selected.isEnabled() and not actions.include_selected.isEnabled()
    actions.exclude_selected.trigger()
    assert state.excluded.tolist() == [3, 10, 11]
    assert stack.undoText() == "Exclude 3 spectra"
    # the panel counts them (ids in the tooltip) and offers Include all; train/test leave
    # them out as the engine does
    assert panel.excluded.text() == "3 excluded" and panel.include_button.isVisible()
    assert str(state.dataset.sample_ids[10]) in panel.excluded.toolTip()
    ds = state.dataset
    assert panel.partition.text().startswith(f"{ds.n_train:,} train")
    assert ds.n_train + ds.n_test == 212
    # the table marks them, the spectra view draws them as one grey group under the others
    cell = table.model.index(0, 2)
    assert table.model.data(cell).endswith("excluded")
    assert "3 excluded" in table.summary.text()
    groups = view.layer.content.groups
    assert groups[0].rows.tolist() == [3, 10, 11] and groups[0].rgba[:3] == EXCLUDED_RGB
    assert all(not np.isin([3, 10, 11], g.rows).any() for g in groups[1:])
    assert sum(g.rows.size for g in groups) == 215

    # undo / redo restore the exact sets
    state.set_selection([10, 20])
    actions.include_selected.trigger()
    assert state.excluded.tolist() == [3, 11] and stack.undoText() == "Include 1 spectrum"
    actions.include_all.trigger()
    assert state.excluded.size == 0 and panel.excluded.text() == "none"
    stack.undo()
    assert state.excluded.tolist() == [3, 11]
    stack.undo()
    assert state.excluded.tolist() == [3, 10, 11]
    stack.undo()
    assert state.excluded.size == 0
    stack.redo()
    assert state.excluded.tolist() == [3, 10, 11]
    assert view.layer.content.groups[0].rows.tolist() == [3, 10, 11]
    # a command for a dataset no longer open does nothing
    other = _state(folder)
    state.set_dataset(other.dataset, other.raw, None)
    stack.undo()
    assert state.excluded.size == 0 and state.dataset is other.dataset


def _open_window(qtbot, tmp_path, name, folder=None, spec=None):
    w = MainWindow(AppSettings(tmp_path / f"{name}.ini"))
    qtbot.addWidget(w)
    w.resize(1280, 800)
    w.show()
    qtbot.waitExposed(w)
    if folder is not None:
        w.start(str(folder), None, str(spec))
        qtbot.waitUntil(lambda: w.state.dataset is not None and w.state.pipeline is not None
                        and w.is_settled(), timeout=WAIT)
    return w


def _without(ds: SpectralDataset, rows: np.ndarray) -> SpectralDataset:
    """The same dataset with ``rows`` physically removed (no exclusion mask involved)."""
    keep = np.setdiff1d(np.arange(ds.n_samples), rows)
    return SpectralDataset(X=ds.X[keep], wavelengths=ds.wavelengths,
                           targets={k: v[keep] for k, v in ds.targets.items()},
                           sample_ids=ds.sample_ids[keep], test_mask=ds.test_mask[keep],
                           name=ds.name, target=ds.target, units=ds.units)


def test_window_exclusions_run_save_reopen(qtbot, tmp_path, tecator_dir):
    """Edit > Undo undoes an exclusion; a run leaves the excluded rows out (metrics equal
    engine.run on the data without them); the saved project reopens showing them."""
    import engine.run as engine_run

    spec = tmp_path / "pls.json"
    spec.write_text(json.dumps(SPEC))
    w = _open_window(qtbot, tmp_path, "a", tecator_dir, spec)
    w2 = None
    try:
        ds = w.state.dataset
        rows = np.array([0, 7, 42, 100, 180])
        w.state.set_selection(rows)
        w.actions["exclude_selected"].trigger()
        assert w.state.excluded.tolist() == rows.tolist() and w.isWindowModified()
        undo = w.bench.editor.actions()["undo"]
        assert undo.isEnabled() and undo.text() == "Undo Exclude 5 spectra"
        undo.trigger()                                   # Edit > Undo
        assert w.state.excluded.size == 0
        w.bench.editor.actions()["redo"].trigger()
        assert w.state.excluded.tolist() == rows.tolist()
        assert w.dataset_panel.excluded.text() == "5 excluded"

        with qtbot.waitSignal(w.bench.run_finished, timeout=WAIT) as finished:
            assert w.bench.start_run()
        # excluding more while the run goes does not change what it runs on
        w.state.set_excluded(np.append(rows, 1))
        result = finished.args[0]
        assert [b.status for b in result.branches] == ["ok"]
        w.state.set_excluded(rows)
        independent = engine_run.run(SPEC, _without(load_dataset(tecator_dir), rows),
                                     verbose=0)
        got, want = result.branch(1).metrics, independent.branch(1).metrics
        for block in ("cv", "test"):
            for key in ("rmse", "r2"):
                assert got[block][key] == pytest.approx(want[block][key], rel=1e-9, abs=1e-12)
        # the results name the rows the run left out (the exclusions when Run was pressed)
        assert result.dataset["excluded"] == [str(ds.sample_ids[r]) for r in rows]
        qtbot.waitUntil(lambda: len(w.bench.project.runs()) == 1, timeout=WAIT)
        path = tmp_path / "excluded.nirdesk"
        assert w.bench.project.save_as(str(path))

        w2 = _open_window(qtbot, tmp_path, "b")
        with qtbot.waitSignal(w2.bench.project.run_loaded, timeout=WAIT):
            assert w2.bench.project.open_project(str(path))
        qtbot.waitUntil(lambda: w2.state.dataset is not None, timeout=WAIT)
        assert w2.state.excluded.tolist() == rows.tolist()
        assert w2.dataset_panel.excluded.text() == "5 excluded"
        assert w2.dataset_panel.include_button.isVisible()
        assert not w2.isWindowModified()
        # the run stored in the project has the same metrics, and so has the command line
        # told to leave the same samples out (nirdesk run --exclude IDS)
        stored = w2.bench.results.model.results()[0]
        assert stored.metrics["cv"]["rmse"] == pytest.approx(want["cv"]["rmse"], rel=1e-9)
        out = tmp_path / "cli.json"
        ids = ",".join(str(ds.sample_ids[r]) for r in rows)
        assert cli_main(["run", str(spec), "--data", str(tecator_dir), "--exclude", ids,
                         "--out", str(out), "--verbose", "0"]) == 0
        cli = json.loads(out.read_text())
        assert cli["dataset"]["excluded"] == result.dataset["excluded"]
        for block in ("cv", "test"):
            for key in ("rmse", "r2"):
                assert cli["branches"][0]["metrics"][block][key] == pytest.approx(
                    stored.metrics[block][key], rel=1e-9, abs=1e-12)
        # its Diagnostics come from the project's saved model (no refit, no note), on the
        # calibration rows without the excluded ones
        panel = w2.bench.results
        panel.tabs.setCurrentWidget(panel.diagnostics)
        qtbot.waitUntil(lambda: panel.diagnostics_data() is not None, timeout=WAIT)
        assert panel.diagnostics.note.text() == ""
        assert not np.isin(rows, panel.diagnostics_data().rows).any()
        # Include all in the reopened project is one undoable click
        w2.dataset_panel.include_button.click()
        assert w2.state.excluded.size == 0 and w2.isWindowModified()
    finally:
        for win in (w, w2):
            if win is not None:
                win.bench.project.ask = lambda kind, **info: {"unsaved": "discard"}.get(kind)
                win.close()
                win.shutdown()
