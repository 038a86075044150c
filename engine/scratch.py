"""nirdesk's scratch folders (the run's X.npy/y.npy in /dev/shm): owned, removed, reclaimed.

Why: /dev/shm is RAM. A folder left there after a run stays in memory until the machine
reboots (hundreds of MB piled up in an afternoon). So every scratch folder records its owner
in its name (``nirdesk-<pid>-<random>``) and in an ``owner`` file (pid and the process's
start time, which tells a recycled pid from the real owner). Three guards, from the most to
the least orderly exit:

- the owner removes its folder when done (``close``), and at interpreter exit (atexit) any
  folder it still has (an exception, Ctrl-C, SIGTERM turned into Ctrl-C by the CLI);
- a process killed outright (SIGKILL, a crash, the OOM killer) cannot clean up: the next
  nirdesk that makes a scratch folder reclaims every folder whose owner is gone
  (:func:`reclaim_stale`);
- a folder whose owner is alive is never touched, nor anything not named ``nirdesk-<pid>-*``.
"""
from __future__ import annotations

import atexit
import contextlib
import os
import re
import shutil
import tempfile
import threading
from pathlib import Path

__all__ = ["PREFIX", "ScratchFolder", "reclaim_stale", "scratch_bases"]

PREFIX = "nirdesk-"
OWNER_FILE = "owner"
_NAME = re.compile(r"^nirdesk-(\d+)-[A-Za-z0-9_]+$")

_LIVE: set[tuple[int, Path]] = set()  # (owner pid, folder): a forked child owns nothing
_LIVE_LOCK = threading.Lock()


def _start_time(pid: int) -> float | None:
    """The process's start time (psutil), or None when no such process exists."""
    import psutil

    try:
        return float(psutil.Process(pid).create_time())
    except (psutil.NoSuchProcess, psutil.ZombieProcess):
        return None
    except psutil.Error:  # exists, but not ours to inspect: treat as alive
        return -1.0


def scratch_bases() -> list[Path]:
    """Where scratch folders may be: /dev/shm (when it exists) and the system temp folder."""
    bases = [Path("/dev/shm")] if os.path.isdir("/dev/shm") else []
    return [*bases, Path(tempfile.gettempdir())]


def _owner_alive(folder: Path, pid: int) -> bool:
    started = _start_time(pid)
    if started is None:
        return False
    if started < 0:
        return True
    try:
        recorded = float((folder / OWNER_FILE).read_text(encoding="ascii").split()[1])
    except (OSError, ValueError, IndexError):
        return True  # no record (being written, or unreadable): the pid alone says alive
    return abs(recorded - started) < 1.0  # a recycled pid started at another time


def reclaim_stale(bases: list[Path] | None = None) -> list[Path]:
    """Remove every ``nirdesk-<pid>-*`` folder whose owner process is gone; returns them."""
    removed: list[Path] = []
    for base in scratch_bases() if bases is None else bases:
        try:
            entries = list(os.scandir(base))
        except OSError:
            continue
        for entry in entries:
            match = _NAME.match(entry.name)
            if not match or not entry.is_dir(follow_symlinks=False):
                continue
            pid = int(match.group(1))
            if pid == os.getpid():
                continue  # our own: closed by their owner object
            folder = Path(entry.path)
            try:
                if entry.stat(follow_symlinks=False).st_uid != os.getuid():
                    continue  # another user's: not ours to judge
            except OSError:
                continue
            if not _owner_alive(folder, pid):
                shutil.rmtree(folder, ignore_errors=True)
                if not folder.exists():
                    removed.append(folder)
    return removed


class ScratchFolder:
    """A fresh folder owned by this process, in /dev/shm when it has ``room`` bytes to spare
    (twice over), else in the system temp folder. Stale folders of dead nirdesk processes are
    reclaimed first. ``close()`` removes it (safe twice); so does interpreter exit."""

    def __init__(self, room: int = 0) -> None:
        reclaim_stale()
        shm = Path("/dev/shm")
        use_shm = shm.is_dir() and shutil.disk_usage(shm).free > 2 * room
        self.path = Path(tempfile.mkdtemp(prefix=f"{PREFIX}{os.getpid()}-",
                                          dir=str(shm) if use_shm else None))
        started = _start_time(os.getpid()) or 0.0
        (self.path / OWNER_FILE).write_text(f"{os.getpid()} {started!r}\n", encoding="ascii")
        self._owner = os.getpid()
        with _LIVE_LOCK:
            _LIVE.add((self._owner, self.path))

    def close(self) -> None:
        if os.getpid() != self._owner:
            return  # a forked child: the folder is its parent's
        shutil.rmtree(self.path, ignore_errors=True)
        with _LIVE_LOCK:
            _LIVE.discard((self._owner, self.path))


@atexit.register
def _remove_live() -> None:
    """Interpreter exit: no folder of this process stays behind (only the owner removes)."""
    with _LIVE_LOCK:
        folders = [folder for pid, folder in _LIVE if pid == os.getpid()]
        _LIVE.clear()
    for folder in folders:
        with contextlib.suppress(OSError):
            shutil.rmtree(folder, ignore_errors=True)
