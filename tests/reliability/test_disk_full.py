"""Nothing lost on a full disk (issue 22, points 3, 8 and 9).

A small tmpfs is mounted and filled to the last byte, with a good previous file on it; then
`run --out`, `predict --out`, `preprocess --out` and `run --save` must each fail in ONE line
naming the file, exit 1 (docs/design.md: "could not be written"), leave the previous file
byte-identical and leave no temporary file behind. Mounting needs root: elsewhere these
tests are skipped with that reason. An output path that can never be written (a folder, a
missing folder) is refused before any work, exit 2.
"""
from __future__ import annotations

import errno
import os
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

from engine.cli import main
from engine.resources import demo_dataset_path

PIPELINE = '{"name": "small", "steps": ["SNV", {"class": "PLSRegression", ' \
           '"params": {"n_components": 3}}]}'


@pytest.fixture(scope="module")
def made(tmp_path_factory):
    """A pipeline, a results JSON, a predictions CSV, spectra and a project with one run."""
    folder = tmp_path_factory.mktemp("made")
    pipeline = folder / "pipeline.json"
    pipeline.write_text(PIPELINE, encoding="utf-8")
    data = str(demo_dataset_path())
    assert main(["run", str(pipeline), "--data", data, "--verbose", "0", "--parallel-branches",
                 "1", "--out", str(folder / "results.json"),
                 "--save", str(folder / "p.nirdesk")]) == 0
    assert main(["predict", str(folder / "p.nirdesk"), "--data", data, "--verbose", "0",
                 "--out", str(folder / "predictions.csv")]) == 0
    assert main(["preprocess", str(pipeline), "--data", data, "--verbose", "0",
                 "--out", str(folder / "spectra.csv")]) == 0
    return folder


@pytest.fixture
def full_disk(tmp_path):
    """A 1 MB tmpfs (root only); ``fill()`` takes its last free byte."""
    if os.geteuid() != 0 or sys.platform != "linux":
        pytest.skip("a full disk is simulated with a small tmpfs, which only root may mount")
    disk = tmp_path / "disk"
    disk.mkdir()
    done = subprocess.run(["mount", "-t", "tmpfs", "-o", "size=1m", "tmpfs", str(disk)],
                          capture_output=True, text=True)
    if done.returncode != 0:
        pytest.skip(f"cannot mount a tmpfs here: {done.stderr.strip()}")
    try:
        yield disk
    finally:
        subprocess.run(["umount", "-l", str(disk)], check=False)


def fill(disk: Path) -> None:
    fd = os.open(disk / "filler", os.O_WRONLY | os.O_CREAT, 0o600)
    try:
        for size in (65536, 4096, 1):
            try:
                while os.write(fd, b"\0" * size):
                    pass
            except OSError as exc:
                assert exc.errno == errno.ENOSPC
    finally:
        os.close(fd)
    assert shutil.disk_usage(disk).free < 4096


def _one_line_failure(capsys, target: Path) -> str:
    err = capsys.readouterr().err
    assert err.count("\n") == 1 and "Traceback" not in err, err
    assert str(target) in err, err
    return err


def _no_temporaries(disk: Path) -> None:
    assert sorted(p.name for p in disk.iterdir() if p.name != "filler"
                  and not p.name.startswith(("results", "predictions", "spectra", "p."))) == []
    assert [p.name for p in disk.iterdir() if ".tmp" in p.name] == []


@pytest.mark.parametrize("command", ["run", "predict", "preprocess"])
def test_a_full_disk_keeps_the_previous_output_byte_identical(made, full_disk, capsys, command):
    name = {"run": "results.json", "predict": "predictions.csv", "preprocess": "spectra.csv"}
    target = full_disk / name[command]
    shutil.copyfile(made / name[command], target)
    before = target.read_bytes()
    fill(full_disk)
    data = str(demo_dataset_path())
    argv = {"run": ["run", str(made / "pipeline.json"), "--parallel-branches", "1"],
            "predict": ["predict", str(made / "p.nirdesk")],
            "preprocess": ["preprocess", str(made / "pipeline.json")]}[command]
    capsys.readouterr()
    code = main([*argv, "--data", data, "--verbose", "0", "--out", str(target)])
    err = _one_line_failure(capsys, target)
    assert code == 1, err
    assert "No space left on device" in err and "previous file is unchanged" in err
    assert target.read_bytes() == before
    _no_temporaries(full_disk)


def test_a_full_disk_while_saving_a_run_keeps_the_project(made, full_disk, capsys):
    project = full_disk / "p.nirdesk"
    shutil.copyfile(made / "p.nirdesk", project)
    before = project.read_bytes()
    fill(full_disk)
    capsys.readouterr()
    code = main(["run", str(made / "pipeline.json"), "--data", str(demo_dataset_path()),
                 "--parallel-branches", "1", "--verbose", "0", "--save", str(project)])
    err = _one_line_failure(capsys, project)
    assert code == 1, err
    assert "the disk is full" in err and "project is unchanged" in err
    assert "rollback" not in err and "no transaction" not in err
    assert project.read_bytes() == before
    assert not project.with_name(project.name + "-journal").exists()
    os.unlink(full_disk / "filler")  # room again: the project opens with its one run
    from engine.store import Project

    with Project.open(project, readonly=True) as reopened:
        assert len(reopened.runs()) == 1 and reopened.verify() == []


def test_an_output_that_can_never_be_written_is_refused_before_the_run(made, tmp_path, capsys):
    data = str(demo_dataset_path())
    for out in (tmp_path, tmp_path / "missing" / "results.json"):
        code = main(["run", str(made / "pipeline.json"), "--data", data, "--out", str(out)])
        captured = capsys.readouterr()
        assert code == 2, captured
        assert captured.err.count("\n") == 1 and str(out) in captured.err
        assert captured.out == ""  # nothing ran: no branch line, no progress
    for argv in (["predict", str(made / "p.nirdesk")],
                 ["preprocess", str(made / "pipeline.json")]):
        code = main([*argv, "--data", data, "--out", str(tmp_path)])
        captured = capsys.readouterr()
        assert code == 2 and captured.err.count("\n") == 1 and "folder" in captured.err


def test_results_that_cannot_be_written_still_reach_the_project(made, full_disk, tmp_path,
                                                               capsys):
    target = full_disk / "results.json"
    fill(full_disk)
    project = tmp_path / "kept.nirdesk"
    capsys.readouterr()
    code = main(["run", str(made / "pipeline.json"), "--data", str(demo_dataset_path()),
                 "--parallel-branches", "1", "--verbose", "0", "--out", str(target),
                 "--save", str(project)])
    err = _one_line_failure(capsys, target)
    assert code == 1 and "nothing was written" in err, err
    from engine.store import Project

    with Project.open(project, readonly=True) as saved:  # the run was not lost with the JSON
        assert len(saved.runs()) == 1
