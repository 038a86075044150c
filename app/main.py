"""The `nirdesk` console script: headless subcommands, or the desktop window.

Headless commands (run, info, predict) never import Qt, so batch jobs start fast and work on
machines without a display.
"""
from __future__ import annotations

import sys
from typing import Sequence

HEADLESS_COMMANDS = {"run", "info", "predict"}


def main(argv: Sequence[str] | None = None) -> int:
    args = list(sys.argv[1:] if argv is None else argv)
    if args and args[0] in HEADLESS_COMMANDS:
        from engine.cli import main as cli_main

        return cli_main(args)
    from app.gui import run_gui

    return run_gui(args)


if __name__ == "__main__":
    raise SystemExit(main())
