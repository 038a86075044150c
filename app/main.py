"""The `nirdesk` console script: headless subcommands, or the desktop window.

Headless commands (run, info, predict) never import Qt, so batch jobs start fast and work on
machines without a display. `report` draws with Qt but opens no window (app.report.cli:
Qt's offscreen platform when there is no display). `--version` answers without importing
anything heavy. In the packaged app (PyInstaller, packaging/nirdesk.spec) the same
executable also serves as the interpreter of the worker processes: main() first hands such
command lines to run_frozen_helper().
"""
from __future__ import annotations

import re
import sys
from collections.abc import Sequence

from app.version import app_version

HEADLESS_COMMANDS = {"run", "info", "predict", "preprocess", "transfer"}

# How loky starts its helpers (joblib/externals/loky/backend): a worker is
# `python -m joblib.externals.loky.backend.popen_loky_posix --process-name N --pipe FD`, its
# resource tracker `python [flags] -c "from ...resource_tracker import main; main(FD, VERBOSE)"`.
# In a frozen app "python" is the nirdesk executable itself, which would start a second
# window instead; loky has no freeze_support of its own (joblib/loky#236, PR #625 not merged).
LOKY_WORKER_MODULE = "joblib.externals.loky.backend.popen_loky_posix"
_LOKY_TRACKER = re.compile(r"from joblib\.externals\.loky\.backend\.resource_tracker import main; "
                           r"main\((\d+), (\d+|True|False)\)")
# loky's copy of the Python 3.14 tracker starts multiprocessing's own tracker the same way;
# PyInstaller's freeze_support hook knows this one, but only with matching interpreter flags.
_MP_TRACKER = re.compile(r"from multiprocessing\.resource_tracker import main;main\((\d+)\)")


def run_frozen_helper(argv: Sequence[str]) -> bool:
    """In a frozen app, run this process as the multiprocessing/loky helper that ``argv`` asks
    for and return True (the caller exits); False for an ordinary start.

    Must run before anything else in main(): a worker that fell through would open a window.
    Only the exact command lines loky and multiprocessing build are recognised; nothing else
    from the command line is executed.
    """
    args = list(argv)
    if len(args) >= 2 and args[0] == "-m" and args[1] == LOKY_WORKER_MODULE:
        import runpy

        # alter_sys=False keeps the launcher as __main__, which is what loky's spawn.prepare
        # compares with the parent's main path (otherwise it would try to re-run the script).
        sys.argv = [sys.argv[0], *args[2:]]
        runpy.run_module(LOKY_WORKER_MODULE, run_name="__main__", alter_sys=False)
        return True  # (the module ends with sys.exit)
    if "-c" in args:
        index = args.index("-c")
        command = args[index + 1] if index + 1 < len(args) else ""
        match = _LOKY_TRACKER.fullmatch(command)
        if match:
            from joblib.externals.loky.backend.resource_tracker import main as tracker_main

            flag = match.group(2)  # loky's VERBOSE: False, True or a number
            tracker_main(int(match.group(1)), int(flag) if flag.isdigit() else int(flag == "True"))
            return True
        match = _MP_TRACKER.fullmatch(command)
        if match:
            from multiprocessing.resource_tracker import main as mp_tracker_main

            mp_tracker_main(int(match.group(1)))
            return True
    if sys.platform == "win32" and len(args) == 2 and args[0] == "--multiprocessing-fork" \
            and args[1].isdigit():
        # loky's frozen Windows command line: [exe, "--multiprocessing-fork", PIPE_HANDLE]
        from joblib.externals.loky.backend import popen_loky_win32

        popen_loky_win32.main(int(args[1]))
        return True
    # multiprocessing's own helpers (resource tracker, spawn children): PyInstaller's hook of
    # freeze_support runs them and exits. After the loky checks: on Windows it would misread
    # loky's bare pipe handle above as its own "name=value" arguments and fail.
    import multiprocessing

    multiprocessing.freeze_support()
    return False


def main(argv: Sequence[str] | None = None) -> int:
    if argv is None and getattr(sys, "frozen", False) and run_frozen_helper(sys.argv[1:]):
        return 0
    args = list(sys.argv[1:] if argv is None else argv)
    if args[:1] == ["--version"]:
        print(f"nirdesk {app_version()}")
        return 0
    if args and args[0] in HEADLESS_COMMANDS:
        from engine.cli import main as cli_main

        return cli_main(args)
    if args and args[0] == "report":   # needs Qt to draw, not a window (offscreen if no display)
        from app.report.cli import main as report_main

        return report_main(args[1:])
    from app.gui import run_gui

    return run_gui(args)


if __name__ == "__main__":
    raise SystemExit(main())
