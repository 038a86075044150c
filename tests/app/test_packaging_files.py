"""The desktop integration files of issue 9: .desktop entry, MIME type, icons, the PyInstaller
spec's data, and install.sh/uninstall.sh into a scratch data folder (no build needed)."""
from __future__ import annotations

import ast
import configparser
import os
import shlex
import shutil
import struct
import subprocess
import sys
import xml.etree.ElementTree as ET
from pathlib import Path

import pytest

REPO = Path(__file__).resolve().parents[2]
PACKAGING = REPO / "packaging"
ICONS = REPO / "resources" / "icons"
MIME_NS = "{http://www.freedesktop.org/standards/shared-mime-info}"
ICON_SIZES = (16, 24, 32, 48, 64, 128, 256, 512)


def read_desktop(path: Path) -> dict[str, str]:
    parser = configparser.ConfigParser(interpolation=None, strict=True)
    parser.optionxform = str  # keys are case-sensitive
    parser.read_string(path.read_text(encoding="utf-8"))
    assert parser.sections() == ["Desktop Entry"]
    return dict(parser["Desktop Entry"])


def mime_type() -> ET.Element:
    root = ET.parse(PACKAGING / "nirdesk-mime.xml").getroot()
    assert root.tag == f"{MIME_NS}mime-info"
    types = root.findall(f"{MIME_NS}mime-type")
    assert len(types) == 1
    return types[0]


def png_size(path: Path) -> tuple[int, int]:
    """Width and height from the PNG signature and IHDR chunk (no image library involved)."""
    data = path.read_bytes()
    assert data[:8] == b"\x89PNG\r\n\x1a\n", f"{path} is not a PNG"
    length, kind = struct.unpack(">I4s", data[8:16])
    assert kind == b"IHDR" and length == 13
    return struct.unpack(">II", data[16:24])


def test_desktop_entry_opens_projects_with_nirdesk():
    entry = read_desktop(PACKAGING / "nirdesk.desktop")
    assert entry["Type"] == "Application"
    assert entry["Name"] == "nirdesk"
    assert entry["Terminal"] == "false"
    exec_args = entry["Exec"].split()
    assert exec_args == ["@EXEC@", "%f"]  # install.sh puts the executable's path in
    assert entry["Icon"] == "nirdesk"
    assert entry["Categories"].endswith(";") and "Science" in entry["Categories"].split(";")
    assert entry["MimeType"].split(";")[:-1] == [mime_type().get("type")]


def test_mime_type_matches_project_files(tmp_path):
    mt = mime_type()
    assert mt.get("type") == "application/x-nirdesk-project"
    assert [g.get("pattern") for g in mt.findall(f"{MIME_NS}glob")] == ["*.nirdesk"]
    assert mt.find(f"{MIME_NS}sub-class-of").get("type") == "application/vnd.sqlite3"
    # the magic must recognise a real project made by the engine (header and application_id)
    from engine.store import Project

    path = tmp_path / "p.nirdesk"
    Project.create(path).close()
    head = path.read_bytes()[:100]
    outer = mt.find(f"{MIME_NS}magic/{MIME_NS}match")
    inner = outer.find(f"{MIME_NS}match")
    for match in (outer, inner):
        assert match.get("type") == "string"
        offset, value = int(match.get("offset")), match.get("value").encode()
        assert head[offset:offset + len(value)] == value, match.attrib


def test_icons_are_pngs_of_their_stated_sizes():
    for size in ICON_SIZES:
        assert png_size(ICONS / f"nirdesk-{size}.png") == (size, size)
    svg = ET.parse(ICONS / "nirdesk.svg").getroot()
    assert svg.tag == "{http://www.w3.org/2000/svg}svg" and svg.get("viewBox") == "0 0 512 512"
    from app.shell.icons import ICON_SIZES as APP_SIZES

    assert tuple(APP_SIZES) == ICON_SIZES


def _spec_datas() -> list[tuple[list[str], str]]:
    """(path parts, destination) of every entry in the spec's ``datas = [...]`` list."""
    tree = ast.parse((PACKAGING / "nirdesk.spec").read_text(encoding="utf-8"))
    assign = next(n for n in tree.body if isinstance(n, ast.Assign)
                  and any(getattr(t, "id", None) == "datas" for t in n.targets))
    # the spec's own names, relative to the repository (our file: evaluating it is safe)
    names = {"str": str, "ROOT": Path(), "ICONS": Path("resources", "icons")}
    out = []
    for item in assign.value.elts:
        src, dest = item.elts
        path = eval(compile(ast.Expression(src), "nirdesk.spec", "eval"), names)  # noqa: S307
        out.append((list(Path(path).parts), dest.value))
    return out


def test_spec_bundles_the_demo_and_icons_where_the_app_looks(monkeypatch, tmp_path):
    datas = _spec_datas()
    assert (["resources", "demo"], "resources/demo") in datas
    assert (["resources", "icons"], "resources/icons") in datas
    assert (["pyproject.toml"], ".") in datas
    for src, _ in datas:
        assert REPO.joinpath(*src).exists(), src
    # a frozen app finds them under sys._MEIPASS at those destinations
    from engine import resources

    monkeypatch.setattr(sys, "_MEIPASS", str(tmp_path), raising=False)
    assert resources.demo_dataset_path() == tmp_path / "resources" / "demo" / "tecator"
    assert resources.resources_dir() / "icons" == tmp_path / "resources" / "icons"


def test_install_and_uninstall_into_a_scratch_data_folder(tmp_path):
    exe_dir = tmp_path / "my apps"
    exe_dir.mkdir()
    exe = exe_dir / "nirdesk"
    exe.write_text("#!/bin/sh\necho fake\n")
    exe.chmod(0o755)
    share, bin_dir = tmp_path / "share", tmp_path / "bin"
    env = dict(os.environ, HOME=str(tmp_path), XDG_DATA_HOME=str(tmp_path / "xdg"))
    run = subprocess.run(["bash", str(PACKAGING / "install.sh"), "--venv", str(exe),
                          "--data-home", str(share), "--bin-dir", str(bin_dir)],
                         env=env, capture_output=True, text=True, timeout=60)
    assert run.returncode == 0, run.stderr
    desktop = share / "applications" / "nirdesk.desktop"
    entry = read_desktop(desktop)
    # Desktop Entry quoting: key-file backslashes first, then shell-like words
    words = shlex.split(entry["Exec"].replace("\\\\", "\\"))
    assert words == [str(exe), "%f"]
    assert (share / "mime" / "packages" / "nirdesk.xml").read_bytes() == \
        (PACKAGING / "nirdesk-mime.xml").read_bytes()
    for size in ICON_SIZES:
        for kind, name in (("apps", "nirdesk"), ("mimetypes", "application-x-nirdesk-project")):
            icon = share / "icons" / "hicolor" / f"{size}x{size}" / kind / f"{name}.png"
            assert png_size(icon) == (size, size)
    if shutil.which("update-mime-database"):
        globs = (share / "mime" / "globs2").read_text()
        assert "application/x-nirdesk-project:*.nirdesk" in globs
    if shutil.which("desktop-file-validate"):
        check = subprocess.run(["desktop-file-validate", str(desktop)], capture_output=True,
                               text=True)
        assert check.returncode == 0, check.stdout + check.stderr
    assert not (tmp_path / "xdg").exists()  # nothing written outside --data-home

    run = subprocess.run(["bash", str(PACKAGING / "uninstall.sh"), "--data-home", str(share),
                          "--bin-dir", str(bin_dir)], env=env, capture_output=True, text=True,
                         timeout=60)
    assert run.returncode == 0, run.stderr
    assert not desktop.exists()
    assert not (share / "mime" / "packages" / "nirdesk.xml").exists()
    assert not list((share / "icons").rglob("*.png"))
    assert exe.exists()  # a venv install is the user's, never removed


def test_install_refuses_a_missing_executable(tmp_path):
    run = subprocess.run(["bash", str(PACKAGING / "install.sh"), "--venv",
                          str(tmp_path / "nope"), "--data-home", str(tmp_path / "share")],
                         env=dict(os.environ, HOME=str(tmp_path)), capture_output=True,
                         text=True, timeout=60)
    assert run.returncode == 2
    assert run.stderr.startswith("install.sh: no nirdesk executable found")
    assert not (tmp_path / "share" / "applications").exists()


@pytest.mark.parametrize("script", ["build.sh", "install.sh", "uninstall.sh", "release-check.sh"])
def test_scripts_are_executable_bash_without_syntax_errors(script):
    path = PACKAGING / script
    assert os.access(path, os.X_OK)
    assert subprocess.run(["bash", "-n", str(path)]).returncode == 0
