"""The working copy of the open project: its session files in the autosave folder, finding
the sessions a crashed nirdesk left behind, and the reads and writes between the window's
workspace (WorkspaceSnapshot / LoadedProject) and the project file.

Everything here is plain Python run on the controller's background thread (WorkingCopy's
methods, open_copy, adopt); the Qt side is app.project.controller.

Why a working copy: the user's ``.nirdesk`` file must change only when they choose Save, yet
runs, pipeline edits and the periodic autosave have to reach the disk at once so that a crash
loses nothing. So every window works on its own copy, ``<autosave>/session-....nirdesk``
(an ordinary project file: every write is one SQLite transaction, so a kill at any moment
leaves the state before or after it), and Save copies that file atomically over the user's
file (``Project.save_as(..., switch=False)``: temp file, fsync, rename). An untitled project
lives only there until its first Save As.

Why an owner record beside it (``session-....json``): a working copy without a living owner
is what a crash leaves behind. The record holds the owner's pid *and* that process's start
time, because pids are reused: a pid that exists but belongs to a process started at another
time is a different program, so the session is orphaned. It also holds the user's file the
session belongs to (None when untitled), whether it has changes the user's file lacks
(``dirty``; an orphan without changes is deleted silently, there is nothing to restore) and
when it was last written. The record is written before the working copy is created and
replaced atomically, so a working copy never exists without one except after a hand edit.

A clean exit (the user saved or chose Discard) removes both files.

Location: ``NIRDESK_AUTOSAVE_DIR`` if set (tests, portable installs), else Qt's per-user
application data folder + ``/autosave``.
"""
from __future__ import annotations

import contextlib
import json
import os
import secrets
import time
from dataclasses import asdict, dataclass, field
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

AUTOSAVE_ENV = "NIRDESK_AUTOSAVE_DIR"
SESSION_PREFIX = "session-"
WORK_SUFFIX = ".nirdesk"
OWNER_SUFFIX = ".json"
START_TIME_TOLERANCE = 0.01  # s; psutil reports the same float for the same process


def default_autosave_dir() -> Path:
    """Where session files live (created on first use)."""
    env = os.environ.get(AUTOSAVE_ENV)
    if env:
        return Path(env)
    from PySide6.QtCore import QStandardPaths

    base = QStandardPaths.writableLocation(QStandardPaths.StandardLocation.AppDataLocation)
    return Path(base or Path.home() / ".nirdesk") / "autosave"


def _now() -> str:
    return datetime.now(UTC).isoformat(timespec="seconds")


def process_start_time(pid: int) -> float | None:
    """The start time of process ``pid`` (seconds since the epoch), None if it does not exist."""
    import psutil

    try:
        return float(psutil.Process(pid).create_time())
    except (psutil.NoSuchProcess, psutil.AccessDenied, psutil.ZombieProcess, ValueError):
        return None


def owner_alive(pid: int, create_time: float) -> bool:
    """True if the process that wrote an owner record is still running (same pid AND same
    start time: a reused pid is another program)."""
    import psutil

    if pid <= 0 or not psutil.pid_exists(pid):
        return False
    started = process_start_time(pid)
    if started is None:  # exists but unreadable (another user's process): not ours to judge
        return psutil.pid_exists(pid)
    return abs(started - create_time) < START_TIME_TOLERANCE


@dataclass
class Owner:
    """The owner record of a session (JSON beside the working copy)."""

    pid: int
    create_time: float
    project: str | None     # the user's file this session works on; None = untitled
    dirty: bool             # the working copy holds changes the user's file lacks
    saved: str              # UTC ISO time of the last write
    started: str            # when the session began

    @classmethod
    def mine(cls, project: str | None, dirty: bool, started: str | None = None) -> Owner:
        pid = os.getpid()
        return cls(pid=pid, create_time=process_start_time(pid) or 0.0, project=project,
                   dirty=dirty, saved=_now(), started=started or _now())


class Session:
    """One session's two files: ``work`` (the project working copy) and ``owner_file``."""

    def __init__(self, folder: Path, stem: str) -> None:
        self.folder = Path(folder)
        self.stem = stem
        self.work = self.folder / f"{stem}{WORK_SUFFIX}"
        self.owner_file = self.folder / f"{stem}{OWNER_SUFFIX}"

    @classmethod
    def new(cls, folder: str | os.PathLike) -> Session:
        folder = Path(folder)
        folder.mkdir(parents=True, exist_ok=True)
        stamp = time.strftime("%Y%m%d-%H%M%S")
        return cls(folder, f"{SESSION_PREFIX}{stamp}-{os.getpid()}-{secrets.token_hex(3)}")

    def __repr__(self) -> str:
        return f"Session({str(self.work)!r})"

    def write_owner(self, owner: Owner) -> None:
        """Replace the owner record atomically (a crash leaves the old or the new record)."""
        temp = self.owner_file.with_name(f".{self.owner_file.name}.{os.getpid()}.tmp")
        temp.write_text(json.dumps(asdict(owner), indent=1), encoding="utf-8")
        os.replace(temp, self.owner_file)

    def read_owner(self) -> Owner | None:
        """The record, or None if it is missing or unreadable (a damaged record: orphaned)."""
        try:
            data = json.loads(self.owner_file.read_text(encoding="utf-8"))
            return Owner(pid=int(data["pid"]), create_time=float(data["create_time"]),
                         project=data.get("project"), dirty=bool(data.get("dirty", True)),
                         saved=str(data.get("saved", "")), started=str(data.get("started", "")))
        except (OSError, ValueError, KeyError, TypeError):
            return None

    def remove(self) -> None:
        """Delete the working copy, its journal and the owner record."""
        for path in (self.work, self.work.with_name(self.work.name + "-journal"),
                     self.owner_file):
            with contextlib.suppress(OSError):
                path.unlink(missing_ok=True)


@dataclass
class Orphan:
    """A session whose owner is gone."""

    session: Session
    owner: Owner | None     # None: the record was missing or unreadable


def orphaned_sessions(folder: str | os.PathLike, exclude: Session | None = None) -> list[Orphan]:
    """Sessions in ``folder`` whose owner process is no longer running, newest first.

    A record without a working copy is stale and removed here (nothing to restore).
    """
    folder = Path(folder)
    if not folder.is_dir():
        return []
    stems = {p.name[:-len(WORK_SUFFIX)] for p in folder.glob(f"{SESSION_PREFIX}*{WORK_SUFFIX}")}
    stems |= {p.name[:-len(OWNER_SUFFIX)] for p in folder.glob(f"{SESSION_PREFIX}*{OWNER_SUFFIX}")}
    found = []
    for stem in sorted(stems, reverse=True):
        if exclude is not None and stem == exclude.stem:
            continue
        session = Session(folder, stem)
        owner = session.read_owner()
        if owner is not None and owner_alive(owner.pid, owner.create_time):
            continue
        if not session.work.exists():
            session.remove()
            continue
        found.append(Orphan(session, owner))
    return found


# -- the workspace in the project, and the working copy ------------------------------------------
@dataclass
class WorkspaceSnapshot:
    """What the window has open, as the project should store it."""

    dataset: Any | None                 # engine.dataset.SpectralDataset (its .target is kept)
    dataset_path: str | None            # where it was imported from (informative)
    pipeline_spec: Any | None           # JSON form: list of steps or {"name", "steps"}
    ui_state: dict[str, Any] = field(default_factory=dict)   # JSON-able


@dataclass
class LoadedProject:
    """What the window should show after Open / crash restore / New.

    dataset / pipeline_spec None: the project has none (New, or a file without one); the
    window may keep showing what it has, it becomes the project's at the next save.
    raw is the dataset prepared for drawing (app.model.spectra_data.SpectraData) and pipeline the
    spec parsed into branches (engine.pipeline.ExpandedPipeline), both computed off the GUI
    thread like app.model.tasks.load / read_pipeline do. A stored spec this nirdesk cannot parse
    leaves pipeline None with the reason in notes; the project still opens.
    """

    path: str | None
    dataset: Any | None
    dataset_path: str | None
    pipeline_spec: Any | None
    runs: list[Any]                      # engine.store.RunSummary, oldest first
    ui_state: dict[str, Any]
    raw: Any | None = None
    pipeline: Any | None = None          # engine.pipeline.ExpandedPipeline parsed from the spec
    restored: bool = False               # from a crashed session's working copy
    notes: list[str] = field(default_factory=list)   # e.g. "migrated from schema 1"


def _choices(ds: Any) -> tuple[Any, ...]:
    """What the user said about a dataset that the store keeps beside its arrays (axis units,
    the task per target, replicate groups, the excluded rows): a change must be saved even for
    the same object."""
    groups = getattr(ds, "groups", None)
    excluded = getattr(ds, "excluded", None)
    return (getattr(ds, "units", None), tuple(sorted(dict(getattr(ds, "tasks", {})).items())),
            None if groups is None else tuple(str(g) for g in groups),
            None if excluded is None else bytes(excluded.tobytes()))


def _pipeline_name(spec: Any) -> str | None:
    if isinstance(spec, dict) and isinstance(spec.get("name"), str):
        return spec["name"]
    return getattr(spec, "name", None)


class WorkingCopy:
    """A session's working copy and owner record. Only the background thread calls these
    methods (the GUI thread only after waiting for it to be idle)."""

    def __init__(self, folder: Path, target: str | None = None, session: Session | None = None,
                 project: Any = None, migrated_from: int | None = None) -> None:
        self.folder = folder
        self.target = target            # the user's file (None: untitled)
        self.session = session
        # engine.store.Project on session.work once written; before that, after Open, the
        # user's file opened read-only
        self.project = project
        self.migrated_from = migrated_from
        self.started: str | None = None
        # (dataset object, stored id, its user choices when stored)
        self._dataset: tuple[Any, int, Any] | None = None

    # -- files ----------------------------------------------------------------------------
    def _owner(self, dirty: bool) -> None:
        owner = Owner.mine(self.target, dirty, self.started)
        self.started = owner.started
        self.session.write_owner(owner)

    def ensure(self) -> Any:
        """The working copy's Project, made at the first write: an empty one for untitled
        work, or the copy of the user's file that was opened read-only (open_copy)."""
        from engine.store import Project

        if self.project is None:
            self.session = self.session or Session.new(self.folder)
            self._owner(dirty=True)   # the record first: a working copy never lacks one
            self.project = Project.create(self.session.work, overwrite=True)
        elif self.project.readonly:   # an opened file, not written to yet: copy it now
            source = self.project
            self._owner(dirty=True)
            source.save_as(self.session.work, switch=False)
            source.close()
            self.project = Project.open(self.session.work)
        return self.project

    def discard(self) -> None:
        if self.project is not None:
            self.project.close()
            self.project = None
        if self.session is not None:
            self.session.remove()

    # -- writes ---------------------------------------------------------------------------
    def write(self, snap: WorkspaceSnapshot, dirty: bool = True) -> None:
        """Store the window's dataset, pipeline and UI state (one transaction)."""
        project = self.ensure()
        with project.transaction():
            ds = snap.dataset
            dataset_id = None
            if ds is not None:
                choices = _choices(ds)
                if self._dataset is not None and self._dataset[0] is ds \
                        and self._dataset[2] == choices:
                    dataset_id = self._dataset[1]   # same object: skip hashing the arrays
                else:  # new data, or a choice changed (a task switched): the store keeps it
                    dataset_id = project.save_dataset(ds)
                    self._dataset = (ds, dataset_id, choices)
            pipeline_id = None
            if snap.pipeline_spec is not None:
                pipeline_id = project.save_pipeline(snap.pipeline_spec,
                                                    _pipeline_name(snap.pipeline_spec))
            project.set_ui_state("workspace", {
                "dataset_id": dataset_id, "pipeline_id": pipeline_id,
                "dataset_path": snap.dataset_path,
                "target": getattr(ds, "target", None)})
            project.set_ui_state("window", dict(snap.ui_state or {}))
        self._owner(dirty)

    def record_run(self, result: Any, dataset: Any, spec: Any, snap: WorkspaceSnapshot) -> list:
        project = self.ensure()
        with project.transaction():
            project.record_run(result, dataset, spec, _pipeline_name(spec))
            if self._dataset is not None and _choices(dataset) != self._dataset[2]:
                # the run's copy stored the choices it ran with (exclusions changed since):
                # store the window's current ones again, or a reopened project shows the old
                self._dataset = None
            self.write(snap)
        return project.runs()

    def save_to(self, dest: str, snap: WorkspaceSnapshot) -> None:
        """Write the workspace into the working copy, then copy it atomically to ``dest``."""
        from engine.store.files import keep_original

        self.write(snap, dirty=True)
        dest_path = Path(dest)
        if (self.migrated_from is not None and self.target is not None
                and dest_path.resolve() == Path(self.target).resolve() and dest_path.exists()):
            keep_original(dest_path, self.migrated_from)   # an older nirdesk can open the copy
        self.project.save_as(dest_path, switch=False)
        self.target, self.migrated_from = str(dest_path), None
        self._owner(dirty=False)

    def rename_run(self, run_id: int, name: str) -> list:
        """Name a run in the working copy (engine.store.Project.rename_run); its runs after."""
        project = self.ensure()
        project.rename_run(run_id, name)
        self._owner(dirty=True)
        return project.runs()

    # -- reads ----------------------------------------------------------------------------
    def runs(self) -> list:
        return [] if self.project is None else self.project.runs()

    def results(self, run_ids: list[int]) -> dict[int, dict]:
        """The results JSON of each run (leaderboards), by run id."""
        if self.project is None:
            return {}
        return {rid: self.project.load_run(rid).results for rid in run_ids}

    def load_run(self, run_id: int) -> Any:
        if self.project is None:
            raise ValueError(f"the project has no run {run_id}")
        return self.project.load_run(run_id)

    def read(self, restored: bool = False) -> LoadedProject:
        """The workspace as stored (or, without a workspace record, the latest run's)."""
        project = self.project
        state = project.get_ui_state("workspace", None) or {}
        runs = project.runs()
        last = runs[-1] if runs else None
        dataset_id = state.get("dataset_id")
        if dataset_id is None and not state:
            dataset_id = last.dataset_id if last else next(
                (d["id"] for d in reversed(project.datasets())), None)
        pipeline_id = state.get("pipeline_id")
        if pipeline_id is None and not state:
            pipeline_id = last.pipeline_id if last else next(
                (p.id for p in reversed(project.pipelines())), None)
        dataset = raw = None
        if dataset_id is not None:
            dataset = project.load_dataset(dataset_id)
            target = state.get("target") or (last.target if last else None)
            if target in dataset.targets:
                dataset.select_target(target)
            from app.model.spectra_data import SpectraData

            known = not dataset.metadata.get("wavelengths_unknown")
            from app.model.tasks import axis_units

            raw = SpectraData.build(dataset.X, dataset.wavelengths, title="raw",
                                    wavelengths_known=known, units=axis_units(dataset))
            self._dataset = (dataset, dataset_id, _choices(dataset))
        spec = project.load_pipeline(pipeline_id).spec if pipeline_id is not None else None
        notes = []
        pipeline = None
        if spec is not None:
            from engine.errors import NirdeskInputError
            from engine.pipeline import parse_pipeline

            try:
                pipeline = parse_pipeline(spec)
            except NirdeskInputError as exc:
                notes.append(f"the stored pipeline cannot be used here: {exc}")
        if self.migrated_from is not None:
            notes.append(f"converted from project schema {self.migrated_from}")
        if getattr(project, "recovered", False):
            notes.append("an interrupted save was rolled back")
        return LoadedProject(path=self.target, dataset=dataset,
                             dataset_path=state.get("dataset_path"), pipeline_spec=spec,
                             runs=runs, ui_state=project.get_ui_state("window", {}) or {},
                             raw=raw, pipeline=pipeline, restored=restored, notes=notes)


def open_copy(path: str, folder: Path) -> tuple[WorkingCopy, LoadedProject]:
    """Open the user's file read-only (every check, migration in memory) and read its
    workspace. Nothing is written to ``path``.

    The working copy is made at the first write (WorkingCopy.ensure), not here: a project of
    100,000 spectra is an 800 MB file, and copying it before showing it doubled the time to
    open and the disk it takes, for a project the user may only look at (issue 20). Until
    then the session's owner record exists without a working copy, which a later start
    treats as nothing to restore.
    """
    from engine.store import Project

    source = Project.open(path, readonly=True)
    copy = WorkingCopy(folder, target=str(path), session=Session.new(folder), project=source,
                       migrated_from=source.migrated_from)
    try:
        copy._owner(dirty=False)
        return copy, copy.read()
    except BaseException:
        copy.discard()
        raise


def adopt(orphan: Orphan, folder: Path) -> tuple[WorkingCopy, LoadedProject]:
    """Take over a crashed session's working copy (its journal, if any, is rolled back)."""
    from engine.store import Project

    owner = orphan.owner
    copy = WorkingCopy(folder, target=owner.project if owner else None, session=orphan.session)
    copy.project = Project.open(orphan.session.work)
    try:
        copy._owner(dirty=True)
        return copy, copy.read(restored=True)
    except BaseException:
        copy.project.close()
        copy.project = None
        raise
