"""`nirdesk report PROJECT [--run ID] [--branch ID] --out report.pdf|report.html`.

Why here and not in engine.cli with the other headless commands: drawing the figures and
laying out the PDF needs Qt (a QGuiApplication for fonts, QPainter), which the engine never
imports. It still runs without a display: when none is there, Qt's offscreen platform is
chosen before Qt loads (set QT_QPA_PLATFORM yourself to override). app.main routes the
command here; nothing Qt is imported until the arguments are read.

Exit codes as the other commands (docs/design.md "Command line"): 0 written; 2 bad input or
arguments (one line on stderr: an unknown run or branch names the choices); 1 the file could
not be written (the previous file is unchanged).
"""
from __future__ import annotations

import argparse
import os
import sqlite3
import sys
from collections.abc import MutableMapping, Sequence
from typing import NoReturn

from engine.atomic import WriteFailed
from engine.errors import NirdeskInputError

__all__ = ["build_parser", "ensure_platform", "main"]

EXIT_OK, EXIT_FAILURE, EXIT_BAD_INPUT = 0, 1, 2


class _OneLineParser(argparse.ArgumentParser):
    def error(self, message: str) -> NoReturn:
        self.exit(EXIT_BAD_INPUT, f"nirdesk report: {message} (see --help)\n")


def build_parser() -> argparse.ArgumentParser:
    parser = _OneLineParser(prog="nirdesk report",
                            description="write the validation report of a saved run: its "
                                        "dataset, pipeline, all branches, one branch's figures "
                                        "of merit and plots, the parallel plan, versions and "
                                        "the model's sha256 (PDF or self-contained HTML)")
    parser.add_argument("project", help="the .nirdesk project holding the run")
    parser.add_argument("--run", type=int, metavar="ID", help="run id (default: the latest)")
    parser.add_argument("--branch", type=int, metavar="ID",
                        help="branch shown in detail (default: the run's best)")
    parser.add_argument("--out", required=True, metavar="FILE",
                        help="report.pdf or report.html (the suffix chooses the format)")
    parser.add_argument("--verbose", type=int, choices=(0, 1), default=1)
    return parser


def ensure_platform(environ: MutableMapping[str, str] | None = None) -> str | None:
    """Choose Qt's offscreen platform when there is no display (a server, CI, ssh); return
    the platform set, or None when the user's or the display's is kept."""
    environ = os.environ if environ is None else environ
    if environ.get("QT_QPA_PLATFORM"):
        return None
    if sys.platform.startswith("linux") and not (environ.get("DISPLAY")
                                                 or environ.get("WAYLAND_DISPLAY")):
        environ["QT_QPA_PLATFORM"] = "offscreen"
        return "offscreen"
    return None


def main(argv: Sequence[str] | None = None) -> int:
    try:
        args = build_parser().parse_args(argv)
    except SystemExit as exc:   # --help, or bad arguments (one line already printed)
        return exc.code if isinstance(exc.code, int) else EXIT_BAD_INPUT
    ensure_platform()
    from PySide6.QtGui import QGuiApplication

    app = QGuiApplication.instance() or QGuiApplication(["nirdesk report"])
    from app.report.export import export_report

    try:
        done = export_report(args.project, args.out, args.run, args.branch)
    except NirdeskInputError as exc:
        print(f"nirdesk report: {exc}", file=sys.stderr)
        return EXIT_BAD_INPUT
    except sqlite3.DatabaseError as exc:
        print(f"nirdesk report: the project file is damaged ({exc})", file=sys.stderr)
        return EXIT_BAD_INPUT
    except WriteFailed as exc:
        print(f"nirdesk report: {exc}", file=sys.stderr)
        return EXIT_FAILURE
    finally:
        del app
    if args.verbose:
        pages = f"{done.pages} pages, " if done.pages is not None else ""
        print(f"report of run {done.run_id}, branch {done.branch_id} written to {done.path} "
              f"({pages}{done.seconds:.1f} s)")
    return EXIT_OK
