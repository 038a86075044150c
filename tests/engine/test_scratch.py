"""engine.scratch and engine.lifeline: /dev/shm data that never outlives its owner, workers
that never outlive their parent (issue 22, points 1 and 2)."""
from __future__ import annotations

import os
import signal
import subprocess
import sys
import textwrap
import time
from pathlib import Path

import numpy as np
import psutil
import pytest

from engine import scratch
from engine.executor import SharedData


def _dead_pid() -> int:
    """The pid of a process that has just ended (not reused within the test)."""
    proc = subprocess.Popen([sys.executable, "-c", "pass"])
    proc.wait()
    return proc.pid


def test_a_scratch_folder_names_and_records_its_owner_and_goes_on_close():
    folder = scratch.ScratchFolder(room=10)
    try:
        assert folder.path.name.startswith(f"nirdesk-{os.getpid()}-")
        pid, started = (folder.path / scratch.OWNER_FILE).read_text().split()
        assert int(pid) == os.getpid()
        assert float(started) == pytest.approx(psutil.Process().create_time(), abs=1e-6)
    finally:
        folder.close()
    assert not folder.path.exists()
    folder.close()  # twice is fine


def test_stale_folders_of_dead_owners_are_reclaimed_and_nothing_else(tmp_path):
    dead = tmp_path / f"nirdesk-{_dead_pid()}-abc123"
    dead.mkdir()
    (dead / "X.npy").write_bytes(b"x" * 100)
    alive = tmp_path / f"nirdesk-{os.getppid()}-def456"   # our parent: alive
    alive.mkdir()
    recycled = tmp_path / f"nirdesk-{os.getppid()}-ghi789"  # alive pid, another start time
    recycled.mkdir()
    (recycled / scratch.OWNER_FILE).write_text(f"{os.getppid()} 12.0\n")
    unrelated = [tmp_path / "nirdesk-xyz", tmp_path / f"other-{_dead_pid()}-abc"]
    for folder in unrelated:
        folder.mkdir()
    removed = scratch.reclaim_stale([tmp_path])
    assert sorted(removed) == sorted([dead, recycled])
    assert not dead.exists() and not recycled.exists()
    assert alive.exists() and all(f.exists() for f in unrelated)


def test_shared_data_lives_in_a_scratch_folder_that_reclaims_first(monkeypatch, tmp_path):
    calls = []
    monkeypatch.setattr(scratch, "reclaim_stale", lambda bases=None: calls.append(bases) or [])
    shared = SharedData(np.ones((4, 3)), np.arange(4.0))
    try:
        assert calls == [None]  # every new folder first reclaims the dead ones
        assert shared.folder.name.startswith(f"nirdesk-{os.getpid()}-")
        assert np.array_equal(np.load(shared.x_path), np.ones((4, 3)))
    finally:
        shared.close()
    assert not shared.folder.exists()


def test_interpreter_exit_removes_what_the_owner_forgot(tmp_path):
    code = textwrap.dedent("""
        from engine.scratch import ScratchFolder
        folder = ScratchFolder()
        print(folder.path, flush=True)
        raise SystemExit(3)   # an exit without close()
    """)
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True,
                         cwd=Path(__file__).resolve().parents[2], timeout=60)
    assert out.returncode == 3
    assert not Path(out.stdout.strip()).exists()


@pytest.mark.skipif(sys.platform != "linux", reason="process parents: POSIX")
def test_a_watched_child_ends_soon_after_its_parent_is_killed():
    # parent: starts a child that watches it, prints the child's pid, then waits forever
    code = textwrap.dedent("""
        import subprocess, sys, time
        child = subprocess.Popen([sys.executable, "-c",
            "import time; from engine.lifeline import watch_parent; watch_parent(); "
            "print('watching', flush=True); time.sleep(60)"], stdout=subprocess.PIPE)
        assert child.stdout.readline().strip() == b"watching"
        print(child.pid, flush=True)
        time.sleep(60)
    """)
    parent = subprocess.Popen([sys.executable, "-c", code], stdout=subprocess.PIPE,
                              cwd=Path(__file__).resolve().parents[2])
    try:
        child = psutil.Process(int(parent.stdout.readline()))
        parent.send_signal(signal.SIGKILL)
        parent.wait()
        deadline = time.monotonic() + 5.0

        def running() -> bool:  # a zombie has ended: only its reaping is left
            try:
                return child.status() != psutil.STATUS_ZOMBIE
            except psutil.NoSuchProcess:
                return False

        while running() and time.monotonic() < deadline:
            time.sleep(0.05)
        assert not running(), "the child outlived its parent by 5 s"
    finally:
        if parent.poll() is None:
            parent.kill()
