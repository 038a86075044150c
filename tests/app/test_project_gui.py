"""Project files in the window (issue 8, GUI side): New / Open / Save / Save As, the dirty
marker, the close prompt, autosave into a working copy (never the user's file), crash restore,
bad files, recent projects and the runs history with its two-run comparison.

Every prompt goes through an injected ``ask`` (no modal dialog), settings live in tmp_path,
the autosave folder too. Runs are real engine runs on the tecator demo (two PLS branches)."""
from __future__ import annotations

import json
import os
import sqlite3
import subprocess
import sys
from pathlib import Path

import numpy as np
import pytest
from PySide6.QtCore import Qt
from PySide6.QtTest import QTest
from PySide6.QtWidgets import QMainWindow

from app.common.notify import Notifier
from app.common.settings import AppSettings
from app.project import LoadedProject, ProjectController, RunsHistory, WorkspaceSnapshot
from app.project.autosave import Owner, Session, WorkingCopy, orphaned_sessions, process_start_time
from app.project.history import RUN_COLUMNS
from engine.io import load_dataset
from engine.run import run
from engine.store import Project

WAIT = 30_000
SPEC = {"name": "snv-msc", "steps": [{"branch": {"_or_": ["SNV", "MSC"]}},
                                     {"class": "PLSRegression", "params": {"n_components": 6}}]}


class Asker:
    """Answers the controller's questions at once and remembers them."""

    def __init__(self, **answers):
        self.answers = answers
        self.calls: list[tuple[str, dict]] = []

    def __call__(self, kind, **info):
        self.calls.append((kind, info))
        answer = self.answers.get(kind)
        return answer(**info) if callable(answer) else answer

    def kinds(self):
        return [k for k, _ in self.calls]


class Host(QMainWindow):
    """A stand-in for the main window: a dataset, a pipeline spec and some view state."""

    def __init__(self, settings, folder, ask, dataset=None, spec=None, autosave_ms=60_000):
        super().__init__()
        self.dataset, self.spec = dataset, spec
        self.ui = {"colour_mode": "target", "branch": 2}
        self.applied: list[LoadedProject] = []
        self.notifier = Notifier(self, quiet=True)   # errors: recorded, no dialog
        self.ctrl = ProjectController(self, settings, self.snapshot, self.apply, ask=ask,
                                      notifier=self.notifier, autosave_dir=folder,
                                      autosave_ms=autosave_ms)

    def snapshot(self):
        return WorkspaceSnapshot(self.dataset, "tecator-folder", self.spec, dict(self.ui))

    def apply(self, loaded):
        self.applied.append(loaded)
        if loaded.dataset is not None:
            self.dataset = loaded.dataset
        if loaded.pipeline_spec is not None:
            self.spec = loaded.pipeline_spec
        self.ui = dict(loaded.ui_state)

    def closeEvent(self, event):  # noqa: N802 - what MainWindow will do
        if not self.ctrl.maybe_close():
            event.ignore()
            return
        self.ctrl.shutdown()
        event.accept()


@pytest.fixture(scope="module")
def tecator(tecator_dir):
    return load_dataset(tecator_dir)


@pytest.fixture(scope="module")
def two_runs(tecator):
    """Two real runs of the same pipeline with different CV seeds (same branch names)."""
    return [run(SPEC, tecator, verbose=0, seed=seed) for seed in (0, 1)]


@pytest.fixture
def env(tmp_path, qtbot):
    """make(ask, **kw) -> Host with isolated settings and autosave folder; all shut down."""
    hosts = []
    settings_file = tmp_path / "settings.ini"

    def make(ask=None, **kw):
        host = Host(AppSettings(settings_file), tmp_path / "autosave", ask or Asker(), **kw)
        qtbot.addWidget(host)
        hosts.append(host)
        return host

    make.tmp = tmp_path
    make.folder = tmp_path / "autosave"
    yield make
    for host in hosts:
        host.ctrl._may_discard = True
        host.ctrl.shutdown()


def rmse_np(result, dataset, branch_id):
    """RMSECV from the out-of-fold predictions, with plain numpy."""
    b = result.branch(branch_id)
    y = np.asarray(dataset.targets[result.dataset["target"]])[result.train_indices]
    resid = np.asarray(b.oof_predictions) - y
    return float(np.sqrt(np.nanmean(resid ** 2)))


def assert_same_dataset(a, b):
    np.testing.assert_array_equal(a.X, b.X)
    np.testing.assert_array_equal(a.wavelengths, b.wavelengths)
    np.testing.assert_array_equal(a.test_mask, b.test_mask)
    np.testing.assert_array_equal(a.sample_ids, b.sample_ids)
    assert a.target_names == b.target_names
    for name in a.target_names:
        np.testing.assert_array_equal(a.targets[name], b.targets[name])


# -- New / dirty / Save As / reopen ---------------------------------------------------------------
def test_dirty_marker_save_as_and_reopen(env, tecator_dir, qtbot):
    tecator = load_dataset(tecator_dir)     # its target is changed below
    host = env(dataset=tecator, spec=SPEC)
    ctrl = host.ctrl
    titles = []
    ctrl.title_changed.connect(titles.append)
    assert ctrl.title() == "nirdesk \u2014 Untitled" and not host.isWindowModified()
    ctrl.mark_dirty("pipeline edited")
    assert ctrl.is_dirty and host.isWindowModified()
    assert ctrl.title() == "nirdesk \u2014 Untitled*" and host.windowTitle().endswith("[*]")

    host.dataset.select_target("fat")
    path = env.tmp / "meat"           # the suffix is added
    assert ctrl.save_as(path)
    saved = env.tmp / "meat.nirdesk"
    assert ctrl.path == str(saved) and saved.is_file()
    assert not ctrl.is_dirty and not host.isWindowModified()
    assert ctrl.title() == "nirdesk \u2014 meat.nirdesk" and titles[-1] == ctrl.title()

    other = env()
    assert other.ctrl.open_project(saved)
    loaded = other.applied[-1]
    assert loaded.path == str(saved) and loaded.pipeline_spec == SPEC
    assert_same_dataset(loaded.dataset, tecator)
    assert loaded.dataset.target == "fat" and loaded.ui_state == host.ui
    np.testing.assert_array_equal(loaded.raw.Y, tecator.X)   # ready for drawing
    assert loaded.pipeline.name == "snv-msc" and len(loaded.pipeline.branches) == 2
    assert other.ctrl.title() == "nirdesk \u2014 meat.nirdesk" and not other.ctrl.is_dirty

    # Ctrl+S (a real key press) saves a dirty titled project in place
    with qtbot.waitActive(host):
        host.show()
        host.activateWindow()
    host.ui["branch"] = 1
    ctrl.mark_dirty("branch")
    QTest.keyClick(host, Qt.Key.Key_S, Qt.KeyboardModifier.ControlModifier)
    assert not ctrl.is_dirty
    with Project.open(saved, readonly=True) as p:
        assert p.get_ui_state("window")["branch"] == 1


def test_new_project_after_discard(env, tecator):
    ask = Asker(unsaved="discard")
    host = env(ask, dataset=tecator, spec=SPEC)
    assert host.ctrl.save_as(env.tmp / "a.nirdesk")
    host.ctrl.mark_dirty("x")
    assert host.ctrl.new_project()
    assert ask.kinds() == ["unsaved"] and ask.calls[0][1]["action"] == "new"
    assert host.ctrl.path is None and not host.ctrl.is_dirty and host.ctrl.runs() == []
    assert host.applied[-1].dataset is None and host.applied[-1].runs == []


# -- runs ---------------------------------------------------------------------------------------
def test_record_run_then_reopen_gives_the_runs_back(env, tecator, two_runs, qtbot):
    result = two_runs[0]
    host = env(dataset=tecator, spec=SPEC)
    with qtbot.waitSignal(host.ctrl.runs_changed, timeout=WAIT):
        host.ctrl.record_run(result, tecator, SPEC)
    assert host.ctrl.is_dirty and len(host.ctrl.runs()) == 1
    work = host.ctrl.working_file
    assert work is not None and work.parent == env.folder   # autosaved after the run
    with Project.open(work, readonly=True) as p:
        assert len(p.runs()) == 1
    assert host.ctrl.save_as(env.tmp / "runs.nirdesk")

    again = env()
    assert again.ctrl.open_project(env.tmp / "runs.nirdesk")
    [summary] = again.ctrl.runs()
    assert again.applied[-1].runs == [summary]
    assert summary.best_branch == result.best_branch and summary.n_branches == 2
    best = result.branch(result.best_branch)
    assert summary.best_name == best.name
    assert summary.best_cv["rmse"] == pytest.approx(rmse_np(result, tecator, best.id), rel=1e-9)
    with qtbot.waitSignal(again.ctrl.run_loaded, timeout=WAIT) as blocker:
        again.ctrl.load_run(summary.id)
    stored = blocker.args[0]
    for b in result.branches:
        oof = stored.predictions[b.id]["cv"]
        np.testing.assert_allclose(oof, b.oof_predictions)
        got = stored.results["branches"][b.id - 1]["metrics"]["cv"]["rmse"]
        assert got == pytest.approx(rmse_np(result, tecator, b.id), rel=1e-9)


# -- close prompt -------------------------------------------------------------------------------
def test_close_prompt_cancel_keeps_the_window_and_discard_closes(env, tecator, qtbot):
    answers = ["cancel", "discard"]
    ask = Asker(unsaved=lambda **_: answers.pop(0))
    host = env(ask, dataset=tecator, spec=SPEC)
    host.show()
    qtbot.waitExposed(host)
    host.ctrl.mark_dirty("edit")
    host.ctrl.autosave()
    host.ctrl.wait_idle()
    work = host.ctrl.working_file
    assert work is not None and work.exists()

    host.close()
    assert host.isVisible() and host.ctrl.is_dirty
    assert ask.calls[-1] == ("unsaved", {"name": "Untitled", "action": "close"})
    host.close()
    assert not host.isVisible()
    assert not work.exists() and not work.with_suffix(".json").exists()   # clean exit
    assert orphaned_sessions(env.folder) == []


def test_close_prompt_save_writes_the_file(env, tecator):
    target = env.tmp / "closing.nirdesk"
    ask = Asker(unsaved="save", save_path=str(target))
    host = env(ask, dataset=tecator, spec=SPEC)
    host.show()
    host.ctrl.mark_dirty("edit")
    host.close()
    assert not host.isVisible() and target.is_file()
    with Project.open(target, readonly=True) as p:
        assert p.load_pipeline(p.get_ui_state("workspace")["pipeline_id"]).spec == SPEC


# -- autosave -----------------------------------------------------------------------------------
def test_autosave_timer_writes_the_working_copy_not_the_users_file(env, tecator, qtbot):
    host = env(dataset=tecator, spec=SPEC, autosave_ms=50)
    user = env.tmp / "mine.nirdesk"
    assert host.ctrl.save_as(user)
    before, mtime = user.read_bytes(), user.stat().st_mtime_ns
    assert not host.ctrl.autosave_timer.isActive()        # nothing to autosave while clean

    host.ui["colour_mode"] = "partition"
    host.ctrl.mark_dirty("colour mode")
    assert host.ctrl.autosave_timer.isActive()
    work = host.ctrl.working_file

    def autosaved():
        with Project.open(work, readonly=True) as p:
            assert p.get_ui_state("window")["colour_mode"] == "partition"

    qtbot.waitUntil(autosaved, timeout=WAIT)
    assert user.read_bytes() == before and user.stat().st_mtime_ns == mtime
    owner = Session(env.folder, work.stem).read_owner()
    assert owner.dirty and owner.project == str(user) and owner.pid == os.getpid()
    with Project.open(user, readonly=True) as p:
        assert p.get_ui_state("window")["colour_mode"] == "target"


def test_autosave_failure_is_shown_once(env, tecator):
    ask = Asker()
    host = env(ask, dataset=tecator, spec=SPEC)
    host.ctrl.mark_dirty("x")
    host.snapshot = lambda: (_ for _ in ()).throw(OSError("disk full"))
    host.ctrl._snapshot = host.snapshot
    host.ctrl.autosave()
    host.ctrl.autosave()
    assert host.notifier.errors == ["OSError: disk full"] and host.ctrl.is_dirty
    assert "error" not in ask.kinds()   # errors are not questions: the notifier shows them


# -- crash restore ------------------------------------------------------------------------------
def _dead_pid() -> int:
    proc = subprocess.Popen([sys.executable, "-c", "pass"])
    proc.wait()
    return proc.pid


def _crash(host) -> Session:
    """What a killed nirdesk leaves: the working copy and its owner record (no clean exit)."""
    host.ctrl.autosave()
    host.ctrl.wait_idle()
    session = host.ctrl._copy.session
    host.ctrl._copy.project.close()
    host.ctrl._copy = WorkingCopy(session.folder)   # the controller forgets it, files stay
    return session


@pytest.mark.parametrize("how", ["dead pid", "reused pid"])
def test_crash_restore_gives_the_work_back(env, tecator, two_runs, qtbot, how):
    crashed = env(dataset=tecator, spec=SPEC)
    crashed.ctrl.save_as(env.tmp / "before.nirdesk")
    with qtbot.waitSignal(crashed.ctrl.runs_changed, timeout=WAIT):
        crashed.ctrl.record_run(two_runs[0], tecator, SPEC)
    crashed.ui["branch"] = 7
    session = _crash(crashed)
    owner = session.read_owner()
    if how == "dead pid":
        owner.pid = _dead_pid()
    else:   # the pid is alive (ours) but belongs to a process started at another time
        owner.create_time = process_start_time(os.getpid()) - 1000.0
    session.write_owner(owner)

    ask = Asker(restore="restore")
    fresh = env(ask)
    assert fresh.ctrl.check_for_crash_recovery()
    assert ask.kinds() == ["restore"]
    assert ask.calls[0][1]["project"] == str(env.tmp / "before.nirdesk")
    loaded = fresh.applied[-1]
    assert loaded.restored and loaded.pipeline_spec == SPEC and loaded.ui_state["branch"] == 7
    assert_same_dataset(loaded.dataset, tecator)
    assert len(fresh.ctrl.runs()) == 1
    assert fresh.ctrl.is_dirty and fresh.ctrl.path == str(env.tmp / "before.nirdesk")
    assert fresh.ctrl.title().endswith("before.nirdesk*")
    with Project.open(env.tmp / "before.nirdesk", readonly=True) as p:
        assert p.runs() == []        # the user's file only changes on Save
    assert fresh.ctrl.save()
    with Project.open(env.tmp / "before.nirdesk", readonly=True) as p:
        assert len(p.runs()) == 1


def test_crash_restore_skips_live_and_clean_sessions_and_discards(env, tecator):
    live = env(dataset=tecator, spec=SPEC)
    live.ctrl.mark_dirty("x")
    live.ctrl.autosave()
    live.ctrl.wait_idle()                       # a running session: never offered

    clean = Session.new(env.folder)              # a crashed session without changes
    clean.write_owner(Owner(pid=_dead_pid(), create_time=1.0, project=None, dirty=False,
                            saved="", started=""))
    Project.create(clean.work).close()

    dirty = env(dataset=tecator, spec=SPEC)
    dirty.ctrl.mark_dirty("x")
    crashed = _crash(dirty)
    owner = crashed.read_owner()
    owner.pid = _dead_pid()
    crashed.write_owner(owner)

    ask = Asker(restore="discard")
    fresh = env(ask)
    assert not fresh.ctrl.check_for_crash_recovery()
    assert ask.kinds() == ["restore"] and ask.calls[0][1]["project"] is None
    assert not clean.work.exists() and not crashed.work.exists()
    assert live.ctrl.working_file.exists()


def test_killed_process_leaves_a_restorable_session(env, tecator_dir, tecator):
    """A real process killed (SIGKILL) right after an autosave: no clean exit at all."""
    script = env.tmp / "victim.py"
    script.write_text(f"""
import os, sys
sys.path.insert(0, {str(Path(__file__).resolve().parents[2])!r})
os.environ["QT_QPA_PLATFORM"] = "offscreen"
from PySide6.QtWidgets import QApplication, QMainWindow
from app.project import ProjectController, WorkspaceSnapshot
from app.common.notify import Notifier
from app.common.settings import AppSettings
from engine.io import load_dataset
app = QApplication([])
w = QMainWindow()
ds = load_dataset(sys.argv[1])
c = ProjectController(w, AppSettings({str(env.tmp / "victim.ini")!r}),
                      lambda: WorkspaceSnapshot(ds, None, {json.dumps(SPEC)}, {{"k": 1}}),
                      lambda l: None, ask=lambda *a, **k: None,
                      notifier=Notifier(w, quiet=True), autosave_dir={str(env.folder)!r})
c.mark_dirty("edit")
c.autosave()
c.wait_idle()
print("autosaved", flush=True)
os.kill(os.getpid(), 9)
""")
    proc = subprocess.run([sys.executable, str(script), str(tecator_dir)], capture_output=True,
                          text=True, timeout=120)
    assert "autosaved" in proc.stdout, proc.stderr
    assert proc.returncode != 0
    ask = Asker(restore="restore")
    fresh = env(ask)
    assert fresh.ctrl.check_for_crash_recovery()
    loaded = fresh.applied[-1]
    assert loaded.ui_state == {"k": 1} and loaded.pipeline_spec == SPEC
    assert_same_dataset(loaded.dataset, tecator)
    assert fresh.ctrl.path is None and fresh.ctrl.title() == "nirdesk \u2014 Untitled*"


# -- bad files ------------------------------------------------------------------------------------
def _newer(path: Path) -> None:
    conn = sqlite3.connect(path)
    conn.execute("UPDATE meta SET value = '99' WHERE key = 'schema_version'")
    conn.commit()
    conn.close()


@pytest.mark.parametrize("kind, words", [("truncated", "truncated"),
                                         ("random", "not an SQLite database"),
                                         ("newer", "newer nirdesk")])
def test_bad_file_shows_one_line_and_keeps_the_project(env, tecator, two_runs, qtbot, kind,
                                                       words):
    host = env(Asker(), dataset=tecator, spec=SPEC)
    good = env.tmp / "good.nirdesk"
    with qtbot.waitSignal(host.ctrl.runs_changed, timeout=WAIT):
        host.ctrl.record_run(two_runs[0], tecator, SPEC)
    assert host.ctrl.save_as(good)
    bad = env.tmp / f"{kind}.nirdesk"
    if kind == "truncated":
        bad.write_bytes(good.read_bytes()[: good.stat().st_size // 2])
    elif kind == "random":
        bad.write_bytes(np.random.default_rng(0).bytes(50_000))
    else:
        bad.write_bytes(good.read_bytes())
        _newer(bad)
    content = bad.read_bytes()
    host.ctrl.mark_dirty("edit")
    ask = host.ctrl.ask
    ask.answers["unsaved"] = "discard"
    n_applied = len(host.applied)

    assert not host.ctrl.open_project(bad)
    [line] = host.notifier.errors
    assert str(bad) in line and words in line and "\n" not in line
    assert host.ctrl.path == str(good) and host.ctrl.is_dirty and len(host.ctrl.runs()) == 1
    assert len(host.applied) == n_applied and host.dataset is tecator
    assert bad.read_bytes() == content                         # never modified
    assert all(a.isEnabled() for a in host.ctrl.actions.values())
    assert host.ctrl.save()                                   # the open project still works


def test_older_schema_opens_from_a_copy_and_keeps_the_original_on_save(env):
    """A schema-1 file (written by `nirdesk run --save`, no workspace record) opens with its
    run's dataset, target and pipeline; the file changes only on Save, which first keeps the
    original beside it for older nirdesk versions."""
    old = env.tmp / "old.nirdesk"
    v1 = Path(__file__).resolve().parents[1] / "data" / "project_v1.nirdesk"
    old.write_bytes(v1.read_bytes())
    before = old.read_bytes()
    host = env()
    assert host.ctrl.open_project(old)
    loaded = host.applied[-1]
    with Project.open(old, readonly=True) as p:       # migrated in memory, file untouched
        [summary] = p.runs()
        spec = p.load_pipeline(summary.pipeline_id).spec
        stored = p.load_dataset(summary.dataset_id)
    assert old.read_bytes() == before and not (env.tmp / "old.schema-v1.nirdesk").exists()
    assert loaded.pipeline_spec == spec and loaded.dataset.target == summary.target
    assert_same_dataset(loaded.dataset, stored)
    assert "converted from project schema 1" in loaded.notes
    host.ctrl.mark_dirty("x")
    assert host.ctrl.save()
    assert (env.tmp / "old.schema-v1.nirdesk").read_bytes() == before
    with Project.open(old, readonly=True) as p:
        assert p.migrated_from is None and len(p.runs()) == 1


# -- recent projects ------------------------------------------------------------------------------
def test_recent_projects_menu_lists_and_opens(env, tecator, qtbot):
    host = env(dataset=tecator, spec=SPEC)
    first, second = env.tmp / "first.nirdesk", env.tmp / "second.nirdesk"
    assert host.ctrl.save_as(first)
    host.ui["branch"] = 5
    host.ctrl.mark_dirty("x")
    assert host.ctrl.save_as(second)
    labels = [a.text() for a in host.ctrl.recent_menu.actions() if a.data()]
    assert labels == ["&1 second.nirdesk", "&2 first.nirdesk"]

    other = env()     # a new window reads the same settings file
    entries = [a for a in other.ctrl.recent_menu.actions() if a.data()]
    assert [a.data() for a in entries] == [str(second.resolve()), str(first.resolve())]
    with qtbot.waitSignal(other.ctrl.project_opened, timeout=WAIT) as blocker:
        entries[1].trigger()
    assert blocker.args == [str(first)]
    assert other.ui["branch"] == 2 and other.ctrl.path == str(first)
    assert next(a.data() for a in other.ctrl.recent_menu.actions() if a.data()) == str(first)


# -- history and comparison -------------------------------------------------------------------
def test_history_lists_runs_and_compares_two(env, tecator, two_runs, qtbot):
    host = env(dataset=tecator, spec=SPEC)
    history = RunsHistory()
    qtbot.addWidget(history)
    history.bind(host.ctrl)
    for result in two_runs:
        with qtbot.waitSignal(host.ctrl.runs_changed, timeout=WAIT):
            host.ctrl.record_run(result, tecator, SPEC)
    history.resize(1000, 500)
    history.show()
    assert history.table.rowCount() == 2
    assert history.table.item(0, 0).text() == "2"          # newest first
    best = two_runs[1].branch(two_runs[1].best_branch)
    best_col = RUN_COLUMNS.index("Best branch")
    assert history.table.item(0, best_col).text() == best.name
    assert history.table.item(0, best_col + 1).data(Qt.ItemDataRole.UserRole + 1) == pytest.approx(
        rmse_np(two_runs[1], tecator, best.id), rel=1e-9)

    with qtbot.waitSignal(history.run_selected, timeout=WAIT) as blocker:
        rect = history.table.visualItemRect(history.table.item(1, 2))
        QTest.mouseClick(history.table.viewport(), Qt.MouseButton.LeftButton,
                         Qt.KeyboardModifier.NoModifier, rect.center())
    assert blocker.args == [1]
    assert not history.compare_button.isEnabled()
    rect = history.table.visualItemRect(history.table.item(0, 2))
    QTest.mouseClick(history.table.viewport(), Qt.MouseButton.LeftButton,
                     Qt.KeyboardModifier.ControlModifier, rect.center())
    assert sorted(history.selected_run_ids()) == [1, 2] and history.compare_button.isEnabled()
    QTest.mouseClick(history.compare_button, Qt.MouseButton.LeftButton)
    qtbot.waitUntil(lambda: history.comparison.isVisible(), timeout=WAIT)

    table = history.comparison
    a, b = two_runs
    for branch in a.branches:
        ra, rb = rmse_np(a, tecator, branch.id), rmse_np(b, tecator, branch.id)
        assert table.value(branch.name, "RMSECV A") == pytest.approx(ra, rel=1e-9)
        assert table.value(branch.name, "RMSECV B") == pytest.approx(rb, rel=1e-9)
        assert table.value(branch.name, "\u0394 RMSECV") == pytest.approx(rb - ra, rel=1e-9)
        y_test = np.asarray(tecator.targets[a.dataset["target"]])[a.test_indices]

        def rmsep(r, bid=branch.id, y_test=y_test):
            return float(np.sqrt(np.mean((r.branch(bid).test_predictions - y_test) ** 2)))

        assert table.value(branch.name, "\u0394 RMSEP") == pytest.approx(rmsep(b) - rmsep(a),
                                                                          abs=1e-12)
    assert table.table.rowCount() == len(a.branches)


def test_opening_copies_nothing_until_the_first_write(env, tecator, two_runs, qtbot):
    """Open reads the user's file in place (a 100,000-spectra project is 800 MB: no copy
    before it is shown); the working copy appears at the first write, with everything the
    file held, and the user's file still changes only on Save."""
    result = two_runs[0]
    host = env(dataset=tecator, spec=SPEC)
    with qtbot.waitSignal(host.ctrl.runs_changed, timeout=WAIT):
        host.ctrl.record_run(result, tecator, SPEC)
    saved = env.tmp / "lazy.nirdesk"
    assert host.ctrl.save_as(saved)
    before = saved.read_bytes()

    again = env()
    assert again.ctrl.open_project(saved)
    assert again.ctrl.working_file is None                   # nothing copied to open it
    [summary] = again.ctrl.runs()
    with qtbot.waitSignal(again.ctrl.run_loaded, timeout=WAIT):
        again.ctrl.load_run(summary.id)                       # reads from the user's file

    with qtbot.waitSignal(again.ctrl.runs_changed, timeout=WAIT):
        again.ctrl.record_run(two_runs[1], tecator, SPEC)     # the first write
    work = again.ctrl.working_file
    assert work is not None and work.parent == env.folder
    with Project.open(work, readonly=True) as p:
        assert len(p.runs()) == 2                             # the file's run + the new one
    assert saved.read_bytes() == before                       # untouched until Save
    assert again.ctrl.save()
    with Project.open(saved, readonly=True) as p:
        assert len(p.runs()) == 2
