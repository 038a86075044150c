"""engine.atomic: a file is replaced whole or not at all, and a failure names the file."""
from __future__ import annotations

import os
import stat

import pytest

from engine.atomic import (
    WriteFailed,
    check_output_path,
    replacing,
    write_bytes,
    write_text,
    write_via,
)
from engine.errors import InputError


def _leftovers(folder):
    return sorted(p.name for p in folder.iterdir() if ".tmp" in p.name)


def test_write_text_replaces_and_leaves_no_temp(tmp_path):
    target = tmp_path / "out.json"
    write_text(target, "first\n")
    write_text(target, "second\n")
    assert target.read_text(encoding="utf-8") == "second\n"
    assert _leftovers(tmp_path) == []


def test_failure_in_the_block_keeps_the_previous_file(tmp_path):
    target = tmp_path / "out.csv"
    write_bytes(target, b"good,file\n")
    with pytest.raises(RuntimeError), replacing(target, what="the predictions") as fh:
        fh.write("half a ro")
        raise RuntimeError("boom")
    assert target.read_bytes() == b"good,file\n"
    assert _leftovers(tmp_path) == []


def test_os_error_becomes_one_line_naming_the_file(tmp_path):
    target = tmp_path / "out.csv"
    write_bytes(target, b"previous")
    with pytest.raises(WriteFailed) as info, replacing(target, what="the results") as fh:
        fh.write("x")
        raise OSError(28, "No space left on device")
    message = str(info.value)
    assert "\n" not in message
    assert str(target) in message and "No space left on device" in message
    assert "previous file is unchanged" in message
    assert isinstance(info.value, OSError)
    assert target.read_bytes() == b"previous"
    assert _leftovers(tmp_path) == []


def test_new_file_failure_says_nothing_was_written(tmp_path):
    target = tmp_path / "new.csv"
    with pytest.raises(WriteFailed, match="nothing was written"), replacing(target):
        raise OSError(5, "Input/output error")
    assert not target.exists() and _leftovers(tmp_path) == []


def test_existing_mode_is_kept_and_new_files_follow_the_umask(tmp_path):
    target = tmp_path / "kept.txt"
    target.write_text("x")
    target.chmod(0o640)
    write_text(target, "y")
    assert stat.S_IMODE(target.stat().st_mode) == 0o640
    fresh = tmp_path / "fresh.txt"
    write_text(fresh, "z")
    umask = os.umask(0)
    os.umask(umask)
    assert stat.S_IMODE(fresh.stat().st_mode) == 0o666 & ~umask


def test_a_symlink_target_keeps_the_link(tmp_path):
    real = tmp_path / "real.json"
    real.write_text("old")
    link = tmp_path / "link.json"
    link.symlink_to(real)
    write_text(link, "new")
    assert link.is_symlink() and real.read_text() == "new"


@pytest.mark.skipif(os.geteuid() == 0, reason="root writes into read-only folders")
def test_read_only_folder_is_a_write_failure(tmp_path):
    folder = tmp_path / "ro"
    folder.mkdir()
    (folder / "a.txt").write_text("old")
    folder.chmod(0o500)
    try:
        with pytest.raises(WriteFailed, match=r"a\.txt"):
            write_text(folder / "a.txt", "new")
        assert (folder / "a.txt").read_text() == "old"
    finally:
        folder.chmod(0o700)


def test_check_output_path_refuses_folders_and_missing_folders(tmp_path):
    with pytest.raises(InputError, match="folder"):
        check_output_path(tmp_path, what="the results")
    missing = tmp_path / "nope" / "out.json"
    with pytest.raises(InputError, match="does not exist") as info:
        check_output_path(missing)
    assert str(missing) in str(info.value)
    inside_file = tmp_path / "file.txt"
    inside_file.write_text("x")
    with pytest.raises(InputError, match="not a folder"):
        check_output_path(inside_file / "out.json")
    assert check_output_path(tmp_path / "ok.json") == tmp_path / "ok.json"


def test_write_via_replaces_only_after_the_writer_succeeded(tmp_path):
    target = tmp_path / "plot.png"
    target.write_bytes(b"old image")
    seen = []
    write_via(target, lambda temp: (seen.append(temp.suffix), temp.write_bytes(b"new image")))
    assert seen == [".png"]  # exporters that choose the format by the name still can
    assert target.read_bytes() == b"new image"

    def fails(temp):
        temp.write_bytes(b"half")
        raise OSError(28, "No space left on device")

    with pytest.raises(WriteFailed, match="No space left"):
        write_via(target, fails, what="the plot")
    with pytest.raises(WriteFailed, match="empty file"):
        write_via(target, lambda temp: None)
    assert target.read_bytes() == b"new image"
    assert _leftovers(tmp_path) == []


def test_a_read_only_file_is_not_replaced_behind_the_users_back(tmp_path, monkeypatch):
    target = tmp_path / "locked.csv"
    target.write_text("keep")
    target.chmod(0o444)
    if os.geteuid() == 0:  # root may write anything: ask as a user would be answered
        import engine.atomic as atomic

        monkeypatch.setattr(atomic.os, "access", lambda path, mode: False)
    with pytest.raises(WriteFailed, match="read-only"):
        write_text(target, "new")
    assert target.read_text() == "keep"
