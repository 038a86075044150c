"""File > New / Open / Save / Save As / recent projects, the unsaved-changes marker, the close
prompt, autosave and crash restore: the window's side of project files (issue 8).

What a project holds for the window (the rest of the file is the engine's, engine.store):

    the open dataset         a stored dataset (Project.save_dataset; identical data stored once)
    the current pipeline     a stored pipeline spec (JSON)
    the runs                 each with the dataset and pipeline it ran on (Project.record_run)
    UI state                 ui_state["workspace"] = {dataset_id, pipeline_id, dataset_path,
                             target} and ui_state["window"] = whatever dict the window gives
                             (selected target, colour mode, last branch, ...)

The window gives and takes these through two callables: ``snapshot() -> WorkspaceSnapshot``
(called on the GUI thread whenever the project is written) and ``apply(LoadedProject)``
(called on the GUI thread after an open / restore / New). A file written by
``nirdesk run --save`` has no workspace record: it opens with the latest run's dataset,
target and pipeline.

How saving works (see app.project.autosave for why): the controller always works on a
*working copy* in the autosave folder. Runs (``record_run``), the periodic autosave (every
``autosave_ms`` while dirty) and the final autosave at an unclean exit write only there, each
write one SQLite transaction. Save copies the working copy over the user's file atomically
(temp file + fsync + rename), so killing nirdesk at any moment leaves the user's file as it
was before or after the Save, never broken, and nothing but Save ever touches it. Open copies
the user's file into a fresh working copy (a file of an older schema is migrated in that copy;
the first Save over it first keeps the original as NAME.schema-vN.nirdesk, as the engine does).
Untitled work has a working copy as soon as something is written (a run, an autosave), so runs
always have a Project behind them.

Threading: every Project call runs on this controller's own background thread (an
app.common.workers.Jobs: one thread, jobs in order), never on the GUI thread. Each call is a
job handle; Save, Save As, Open and restore wait for theirs with ``Handle.wait()`` (the window
keeps painting) so the methods can still return whether they worked; the project actions are
disabled meanwhile. Runs, autosaves and run look-ups are fire-and-forget: their handles carry
what to do with the answer.

Errors (truncated, corrupt, newer-schema or non-SQLite files, a full disk) go to the window's
app.common.notify.Notifier as one line naming the file; what was open stays open.
"""
from __future__ import annotations

import contextlib
import os
from collections.abc import Callable
from pathlib import Path
from typing import Any

from PySide6.QtCore import QObject, QTimer, Signal
from PySide6.QtGui import QAction, QKeySequence
from PySide6.QtWidgets import QMenu, QWidget

from app.common import gc_guard
from app.common.notify import Notifier
from app.common.recent_menu import fill_recent_menu
from app.common.settings import AppSettings
from app.common.workers import Handle, Jobs
from app.project.autosave import (
    LoadedProject,
    WorkingCopy,
    WorkspaceSnapshot,
    adopt,
    default_autosave_dir,
    open_copy,
    orphaned_sessions,
)
from app.project.dialogs import Ask, default_ask

__all__ = ["LoadedProject", "ProjectController", "WorkspaceSnapshot"]

APP = "nirdesk"
UNTITLED = "Untitled"
RECENT_KEY = "projects/recent"
MAX_RECENT = 10
AUTOSAVE_MS = 3 * 60 * 1000
SHORTCUTS = {"new": "Ctrl+N", "open": "Ctrl+Shift+P", "save": "Ctrl+S", "save_as": "Ctrl+Shift+S"}
KEPT = "The project already open stays open."


def _call(fn: Callable[..., Any], *args: Any, cancel: Any = None) -> Any:
    """Jobs passes a cancel event; project writes are never abandoned half-way."""
    return fn(*args)


# -- the controller -----------------------------------------------------------------------------
class ProjectController(QObject):
    """The window's project files. Create one per window; see the module docstring.

    actions: new (Ctrl+N), open (Ctrl+Shift+P), save (Ctrl+S), save_as (Ctrl+Shift+S), all
    added to ``parent_widget`` so their shortcuts work from every dock; ``recent_menu`` is the
    "Open recent project" menu (kept in the settings under ``projects/recent``). ``ask``
    answers the questions (app.project.dialogs); ``notifier`` shows errors and status.
    """

    title_changed = Signal(str)      # the window title, "nirdesk — name.nirdesk*"
    dirty_changed = Signal(bool)
    project_opened = Signal(str)     # the user's file ("" for a restored untitled session)
    project_saved = Signal(str)
    runs_changed = Signal()          # runs() changed (a run was added, a project opened)
    run_loaded = Signal(object)      # engine.store.StoredRun asked for with load_run()
    failed = Signal(str)             # every error shown, as its one line
    busy_changed = Signal(bool, str)

    def __init__(self, parent_widget: QWidget, settings: AppSettings,
                 snapshot: Callable[[], WorkspaceSnapshot],
                 apply: Callable[[LoadedProject], None], *, ask: Ask | None = None,
                 notifier: Notifier | None = None,
                 autosave_dir: str | os.PathLike | None = None,
                 autosave_ms: int = AUTOSAVE_MS) -> None:
        super().__init__(parent_widget)
        self.parent_widget = parent_widget
        self.settings = settings
        self._snapshot = snapshot
        self._apply = apply
        self.ask: Ask = ask or default_ask(parent_widget)
        self.notifier = notifier or Notifier(parent_widget)
        self.autosave_dir = Path(autosave_dir) if autosave_dir else default_autosave_dir()
        self._copy = WorkingCopy(self.autosave_dir)
        self._path: str | None = None
        self._dirty = False
        self._changes = 0   # counts changes, so a save clears the marker only for what it wrote
        self._may_discard = False       # the user saved or chose Discard: exit removes the copy
        self._runs: list[Any] = []
        self._busy = 0
        self._closed = False
        self._handles: list[Handle] = []   # jobs not ended yet, oldest first
        self._serial = 0
        self._autosave_failing = False
        self._last_reason = ""
        self.errors: list[str] = []

        gc_guard.acquire()   # collections stay on the GUI thread while our thread runs
        self.jobs = Jobs(self, name="nirdesk-project")
        self.jobs.busy_changed.connect(self.busy_changed)
        self.autosave_timer = QTimer(self)
        self.autosave_timer.setInterval(int(autosave_ms))
        self.autosave_timer.timeout.connect(self.autosave)

        self.actions: dict[str, QAction] = {}
        for name, text, slot, tip in (
                ("new", "&New project", self.new_project, "Start a new, empty project"),
                ("open", "Open pro&ject\u2026", self._ask_open, "Open a .nirdesk project"),
                ("save", "&Save project", self.save, "Save the project (runs, dataset, "
                 "pipeline, view)"),
                ("save_as", "Save project &as\u2026", self._ask_save_as,
                 "Save the project under a new name")):
            act = QAction(text, parent_widget)
            act.setObjectName(f"project_{name}")
            act.setShortcut(QKeySequence(SHORTCUTS[name]))
            act.setToolTip(f"{tip} ({SHORTCUTS[name]})")
            act.setStatusTip(tip)
            act.triggered.connect(lambda checked=False, s=slot: s())
            parent_widget.addAction(act)
            self.actions[name] = act
        self.recent_menu = QMenu("Recent projec&ts", parent_widget)
        self.recent_menu.setObjectName("recentProjectsMenu")
        self._rebuild_recent()
        self._update_title()

    # -- state --------------------------------------------------------------------------------
    @property
    def path(self) -> str | None:
        """The user's project file (None while untitled)."""
        return self._path

    @property
    def is_dirty(self) -> bool:
        return self._dirty

    @property
    def working_file(self) -> Path | None:
        """The session's working copy (None until something was written)."""
        s = self._copy.session
        return s.work if s is not None and s.work.exists() else None

    def runs(self) -> list[Any]:
        """The project's runs (engine.store.RunSummary), oldest first."""
        return list(self._runs)

    def display_name(self) -> str:
        return Path(self._path).name if self._path else UNTITLED

    def title(self) -> str:
        return f"{APP} \u2014 {self.display_name()}" + ("*" if self._dirty else "")

    def refresh_title(self) -> None:
        """Set the window title again (after something else changed it)."""
        self._update_title()

    def _update_title(self) -> None:
        w = self.parent_widget
        w.setWindowTitle(f"{APP} \u2014 {self.display_name()}[*]")
        w.setWindowModified(self._dirty)
        self.title_changed.emit(self.title())

    def _set_dirty(self, dirty: bool) -> None:
        if dirty:
            self._changes += 1
            self._may_discard = False
            if not self.autosave_timer.isActive():
                self.autosave_timer.start()
        else:
            self.autosave_timer.stop()
        if dirty != self._dirty:
            self._dirty = dirty
            self._update_title()
            self.dirty_changed.emit(dirty)

    def mark_dirty(self, reason: str = "") -> None:
        """The window changed something the project stores (pipeline edit, dataset, target,
        view state). ``reason`` shows in the status bar when autosaved."""
        self._last_reason = reason
        self._set_dirty(True)

    def _status(self, text: str, ms: int = 6000) -> None:
        self.notifier.status(text, ms)

    def _error(self, title: str, exc: BaseException, kept: str | None = KEPT) -> None:
        line = self.notifier.error(title, exc, kept)
        self.errors.append(line)
        self.failed.emit(line)

    # -- background jobs ------------------------------------------------------------------------
    def _submit(self, label: str, fn: Callable[..., Any], *args: Any,
                ok: Callable[[Any], None] | None = None,
                fail: Callable[[BaseException], None] | None = None) -> Handle:
        """Run ``fn(*args)`` on the project thread; ``ok(result)`` / ``fail(exception)`` follow
        on the GUI thread (no ``fail``: an autosave-kind failure, shown unless closing)."""
        self._serial += 1   # a kind of its own: project jobs never supersede each other
        handle = self.jobs.submit(f"project-{self._serial}", _call, fn, *args, label=label)
        self._handles.append(handle)
        if ok is not None:
            handle.finished.connect(ok)
        handle.failed.connect(lambda exc, _tb: self._on_failed(exc, fail))
        for signal in (handle.finished, handle.failed, handle.cancelled):
            signal.connect(lambda *_a, h=handle: self._forget(h))
        return handle

    def _forget(self, handle: Handle) -> None:
        if handle in self._handles:
            self._handles.remove(handle)

    def _on_failed(self, exc: BaseException, fail: Callable[[BaseException], None] | None
                   ) -> None:
        if fail is not None:
            fail(exc)
        elif not self._closed:
            self._error("Cannot write the project's autosave", exc, None)

    def wait_idle(self) -> None:
        """Let every queued job finish, its answer handled (before closing, or before a
        caller reads the working copy); failures were reported by their own handlers."""
        while self._handles:
            handle = self._handles[0]
            with contextlib.suppress(Exception):   # reported by the handle's own handler
                handle.wait()
            self._forget(handle)

    def _run(self, label: str, fn: Callable[..., Any], *args: Any) -> Any:
        """Run ``fn`` on the background thread and wait for it with the actions disabled; its
        result, or its exception raised here."""
        self._busy += 1
        self._enable(False)
        try:
            self._serial += 1
            handle = self.jobs.submit(f"project-{self._serial}", _call, fn, *args, label=label)
            return handle.wait()
        finally:
            self._busy -= 1
            self._enable(self._busy == 0)

    def _enable(self, on: bool) -> None:
        for act in self.actions.values():
            act.setEnabled(on)
        self.recent_menu.setEnabled(on and bool(self.recent_projects()))

    # -- unsaved changes ---------------------------------------------------------------------
    def _resolve_unsaved(self, action: str) -> bool:
        """True when it is fine to leave the current project (saved, discarded or clean)."""
        if not self._dirty:
            return True
        answer = self.ask("unsaved", name=self.display_name(), action=action)
        if answer == "save":
            return self.save()
        if answer == "discard":
            self._may_discard = True
            return True
        return False

    def maybe_close(self) -> bool:
        """For the window's closeEvent: False means keep the window open (the user chose
        Cancel, or the Save failed or was cancelled)."""
        if self._closed:
            return True
        if self._busy:
            self._status("Wait until the project is saved, then close again")
            return False
        self.wait_idle()
        if not self._dirty:
            self._may_discard = True
            return True
        return self._resolve_unsaved("close")

    def shutdown(self) -> None:
        """Stop the timer and the thread. The working copy is removed when the user saved
        or discarded (or the settings are not persistent: screenshots, batch runs); otherwise
        it is written one last time and kept, so the next start offers to restore it."""
        if self._closed:
            return
        self.autosave_timer.stop()
        self.wait_idle()
        self._closed = True
        try:
            if self._dirty and not self._may_discard and self.settings.persistent:
                self._copy.write(self._snapshot(), dirty=True)
                if self._copy.project is not None:
                    self._copy.project.close()
            else:
                self._copy.discard()
        except Exception as exc:  # noqa: BLE001 - at exit: say it, never abort the exit
            import sys

            print(f"nirdesk: the final autosave failed: {exc}", file=sys.stderr)
        self.jobs.shutdown()
        gc_guard.release()

    # -- New / Open / Save --------------------------------------------------------------------
    def _switch(self, copy: WorkingCopy, loaded: LoadedProject, *, dirty: bool) -> None:
        old, self._copy = self._copy, copy
        self._submit("Closing the previous project\u2026", old.discard)
        self._path = copy.target
        self._runs = list(loaded.runs)
        self._set_dirty(dirty)
        self._may_discard = False
        self._update_title()
        self.runs_changed.emit()
        try:
            self._apply(loaded)
        except Exception as exc:  # noqa: BLE001 - the window could not show it: say so
            import traceback

            traceback.print_exc()
            self._error("Cannot show the project", exc, None)

    def new_project(self) -> bool:
        """Start an untitled project (after the unsaved-changes prompt). False if cancelled."""
        if self._busy or not self._resolve_unsaved("new"):
            return False
        empty = LoadedProject(path=None, dataset=None, dataset_path=None, pipeline_spec=None,
                              runs=[], ui_state={})
        self._switch(WorkingCopy(self.autosave_dir), empty, dirty=False)
        self._status("New project")
        return True

    def _ask_open(self) -> bool:
        recent = self.recent_projects()
        path = self.ask("open_path", start=str(Path(recent[0]).parent) if recent else "")
        return bool(path) and self.open_project(path)

    def open_project(self, path: str | os.PathLike) -> bool:
        """Open a .nirdesk file (the `nirdesk PROJECT` entry too). False if the user cancelled
        the unsaved-changes prompt or the file cannot be opened (error shown, current project
        kept)."""
        path = str(Path(path).expanduser().absolute())
        if self._busy or not self._resolve_unsaved("open"):
            return False
        try:
            copy, loaded = self._run(f"Opening {Path(path).name}\u2026", open_copy, path,
                                     self.autosave_dir)
        except Exception as exc:  # noqa: BLE001 - any failure: one line, keep what is open
            self._error("Cannot open the project", exc)
            if not Path(path).exists():
                self._forget_recent(path)
            return False
        self._switch(copy, loaded, dirty=False)
        self._add_recent(path)
        msg = f"Opened {Path(path).name}: {len(loaded.runs)} run(s)"
        self._status(msg + (f" ({'; '.join(loaded.notes)})" if loaded.notes else ""))
        self.project_opened.emit(path)
        return True

    def save(self) -> bool:
        """Save to the project's file (Save As for untitled work). True if saved."""
        if self._path is None:
            return self._ask_save_as()
        return self.save_as(self._path)

    def _ask_save_as(self) -> bool:
        suggested = self._path or str(Path(self._start_dir()) / f"{UNTITLED.lower()}.nirdesk")
        path = self.ask("save_path", suggested=suggested)
        return bool(path) and self.save_as(path)

    def save_as(self, path: str | os.PathLike) -> bool:
        """Write the project to ``path`` atomically and make it the project's file."""
        from engine.store import PROJECT_SUFFIX

        path = Path(path).expanduser().absolute()
        if path.suffix.lower() != PROJECT_SUFFIX:
            path = path.with_name(path.name + PROJECT_SUFFIX)
        if self._busy:
            self._status("A save is already under way; it will say when it is done")
            return False
        changes = self._changes
        try:
            self._run(f"Saving {path.name}\u2026", self._copy.save_to, str(path),
                      self._snapshot())
        except Exception as exc:  # noqa: BLE001 - disk full, read-only folder: say it
            self._error("Cannot save the project", exc,
                        "Nothing was lost: your work is still open and autosaved.")
            return False
        self._path = str(path)
        # The window kept running while the file was written: a run that landed or an edit
        # made meanwhile is not in the file, so the marker stays for it (issue 21: the marker
        # must tell the truth in both directions).
        later = self._changes != changes
        self._set_dirty(later)
        self._may_discard = not later
        self._update_title()
        self._add_recent(str(path))
        self._status(f"Saved {path}" + ("; changes made while saving are not in it yet"
                                        if later else ""))
        self.project_saved.emit(str(path))
        return True

    # -- autosave, runs -------------------------------------------------------------------------
    def autosave(self) -> None:
        """Write the workspace into the working copy (never into the user's file). A failure
        is shown once, not every few minutes, until an autosave works again."""
        if not self._dirty or self._busy or self._closed:
            return

        def ok(_result: Any) -> None:
            self._autosave_failing = False
            self._status("Autosaved", 3000)

        def fail(exc: BaseException) -> None:
            if not self._autosave_failing:
                self._error("Autosave failed", exc, "Save the project to keep your work.")
            self._autosave_failing = True

        try:
            snap = self._snapshot()
        except Exception as exc:  # noqa: BLE001 - the window's state could not be read
            fail(exc)
            return
        self._submit("Autosaving\u2026", self._copy.write, snap, ok=ok, fail=fail)

    def record_run(self, result: Any, dataset: Any, pipeline_spec: Any) -> None:
        """Add a finished (or cancelled) run to the project, with its dataset and pipeline;
        the working copy is written at once, the project becomes dirty."""
        if self._closed:
            return

        def done(runs: list) -> None:
            self._runs = list(runs)
            self.runs_changed.emit()

        self._set_dirty(True)
        self._submit("Adding the run to the project\u2026", self._copy.record_run, result,
                     dataset, pipeline_spec, self._snapshot(), ok=done,
                     fail=lambda exc: self._error("Cannot add the run to the project", exc,
                                                  "The run's results stay on screen."))

    def rename_run(self, run_id: int, name: str) -> None:
        """Name a run of the project ("" removes the name); the history shows it when the
        working copy has it, and the project becomes dirty (Save keeps it)."""
        if self._closed:
            return

        def done(runs: list) -> None:
            self._runs = list(runs)
            self.runs_changed.emit()

        self._set_dirty(True)
        self._submit("Renaming the run\u2026", self._copy.rename_run, int(run_id), str(name),
                     ok=done, fail=lambda exc: self._error(f"Cannot rename run {run_id}", exc,
                                                           None))

    def load_run(self, run_id: int) -> None:
        """Read a stored run in the background; ``run_loaded(StoredRun)`` follows."""
        self._submit("Reading the run\u2026", self._copy.load_run, int(run_id),
                     ok=self.run_loaded.emit,
                     fail=lambda exc: self._error(f"Cannot read run {run_id}", exc, None))

    def fetch_results(self, run_ids: list[int],
                      callback: Callable[[dict[int, dict]], None]) -> None:
        """The results JSON of some runs, by id, handed to ``callback`` on the GUI thread."""
        self._submit("Reading runs\u2026", self._copy.results, [int(r) for r in run_ids],
                     ok=callback, fail=lambda exc: self._error("Cannot read the runs", exc, None))

    # -- crash restore ---------------------------------------------------------------------------
    def check_for_crash_recovery(self) -> bool:
        """Offer to restore the work of sessions whose nirdesk process is gone. Call once at
        start, before opening a project from the command line. True if one was restored."""
        for orphan in orphaned_sessions(self.autosave_dir, exclude=self._copy.session):
            owner = orphan.owner
            if owner is not None and not owner.dirty:
                orphan.session.remove()   # nothing the user's file lacks
                continue
            answer = self.ask("restore", project=owner.project if owner else None,
                              saved=owner.saved if owner else "",
                              autosave=str(orphan.session.work))
            if answer == "discard":
                orphan.session.remove()
            elif answer == "restore":
                try:
                    copy, loaded = self._run("Restoring unsaved work\u2026", adopt, orphan,
                                             self.autosave_dir)
                except Exception as exc:  # noqa: BLE001 - a damaged autosave: say which
                    self._error("Cannot restore the autosave", exc, None)
                    continue
                self._switch(copy, loaded, dirty=True)
                self._status("Restored unsaved work" + (f" on {Path(copy.target).name}"
                                                        if copy.target else ""))
                self.project_opened.emit(copy.target or "")
                return True
        return False

    # -- recent projects ------------------------------------------------------------------------
    def recent_projects(self) -> list[str]:
        value = self.settings._get(RECENT_KEY, [])
        if isinstance(value, str):   # QSettings returns one string for a one-item list
            value = [value]
        return [str(v) for v in (value or []) if v]

    def _add_recent(self, path: str) -> None:
        path = str(Path(path).resolve())
        recent = [path] + [p for p in self.recent_projects() if p != path]
        self.settings._set(RECENT_KEY, recent[:MAX_RECENT])
        self._rebuild_recent()

    def _forget_recent(self, path: str) -> None:
        path = str(Path(path).resolve())
        self.settings._set(RECENT_KEY, [p for p in self.recent_projects() if p != path])
        self._rebuild_recent()

    def _clear_recent(self) -> None:
        self.settings._set(RECENT_KEY, [])
        self._rebuild_recent()

    def _start_dir(self) -> str:
        recent = self.recent_projects()
        return str(Path(recent[0]).parent) if recent else str(Path.home())

    def _rebuild_recent(self) -> None:
        fill_recent_menu(self.recent_menu, self.recent_projects(), self.open_project,
                         self._clear_recent, "Clear recent projects", enabled=not self._busy)
