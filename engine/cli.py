"""`nirdesk run` and `nirdesk info`: headless use of the engine (DESIGN.md "Command line").

Exit codes: 0 done; 2 bad input or arguments (one line on stderr, no traceback); 1 a failure
inside the run (a bug, reported with its traceback); 130 cancelled (Ctrl-C).
"""
from __future__ import annotations

import argparse
import json
import sys
from pathlib import Path
from typing import Sequence

from engine.errors import NirdeskInputError, SpecError

EXIT_OK, EXIT_FAILURE, EXIT_BAD_INPUT, EXIT_CANCELLED = 0, 1, 2, 130


class _OneLineParser(argparse.ArgumentParser):
    """argparse prints usage plus the error; the contract asks for one line on stderr."""

    def error(self, message: str):  # type: ignore[override]
        self.exit(EXIT_BAD_INPUT, f"nirdesk {self.prog.split()[-1]}: {message} (see --help)\n")


def build_parser() -> argparse.ArgumentParser:
    parser = _OneLineParser(prog="nirdesk", description="NIR modelling workbench (headless commands)")
    sub = parser.add_subparsers(dest="command", required=True, parser_class=_OneLineParser)
    run = sub.add_parser("run", help="cross-validate every branch of a pipeline on a dataset")
    run.add_argument("pipeline", help="pipeline spec (JSON file)")
    run.add_argument("--data", required=True, help="dataset folder or CSV file")
    run.add_argument("--target", help="target column (default: the first one)")
    run.add_argument("--out", help="write the results JSON here")
    run.add_argument("--verbose", type=int, choices=(0, 1, 2), default=1,
                     help="0 quiet, 1 a line per branch, 2 also a timing table")
    run.add_argument("--seed", type=int, default=0, help="seed for every random_state left unset")
    run.add_argument("--study-storage", metavar="URL",
                     help="keep each finetuned branch's Optuna study here (e.g. sqlite:///study.db) "
                          "to open it in optuna-dashboard")
    run.add_argument("--parallel-branches", type=int, metavar="N",
                     help="override every branch step's n_jobs: 1 sequential, N workers, -1 auto")
    info = sub.add_parser("info", help="describe a dataset (or a pipeline JSON file)")
    info.add_argument("path")
    info.add_argument("--target", help="target to describe (default: all)")
    return parser


def load_pipeline_file(path: str) -> object:
    """Read a pipeline JSON file; syntax errors name the file, line and column."""
    from engine.errors import InputError

    file = Path(path)
    if not file.is_file():
        raise InputError("pipeline file not found", file=path)
    try:
        return json.loads(file.read_text(encoding="utf-8-sig"))
    except json.JSONDecodeError as exc:
        raise InputError(f"invalid JSON: {exc.msg}", file=path, row=exc.lineno, column=exc.colno) from exc
    except UnicodeDecodeError as exc:
        raise InputError("not a text file (expected UTF-8 JSON)", file=path) from exc


def cmd_run(args: argparse.Namespace) -> int:
    import signal
    import threading

    from engine.io import load_dataset
    from engine.pipeline import parse_pipeline
    from engine.progress import ProgressPrinter
    from engine.run import run

    if args.parallel_branches is not None and (args.parallel_branches == 0 or args.parallel_branches < -1):
        raise SpecError(f"--parallel-branches must be -1 (auto) or >= 1, not {args.parallel_branches}")
    spec = load_pipeline_file(args.pipeline)
    try:
        expanded = parse_pipeline(spec, name=Path(args.pipeline).stem)
    except SpecError as exc:
        raise SpecError(exc.message, where=f"{args.pipeline}, {exc.where}" if exc.where else args.pipeline) from exc
    dataset = load_dataset(args.data, target=args.target)

    # Ctrl-C asks the run to cancel (workers killed, finished branches kept); a second one
    # interrupts at once.
    cancel = threading.Event()

    def on_sigint(signum, frame):  # noqa: ARG001
        if cancel.is_set():
            raise KeyboardInterrupt
        cancel.set()

    previous = signal.signal(signal.SIGINT, on_sigint)
    progress = ProgressPrinter() if args.verbose else None
    try:
        result = run(expanded, dataset, verbose=args.verbose, seed=args.seed,
                     parallel_branches=args.parallel_branches, cancel=cancel,
                     study_storage=args.study_storage,
                     log=progress.log if progress else print, on_event=progress)
    finally:
        signal.signal(signal.SIGINT, previous)
        if progress:
            progress.close()
    if args.out:
        result.write_json(args.out)
        if args.verbose:
            print(f"results written to {args.out}")
    if result.cancelled:
        print("nirdesk run: cancelled; finished branches were kept", file=sys.stderr)
        return EXIT_CANCELLED
    failed = [b for b in result.branches if b.status != "ok"]
    return EXIT_FAILURE if failed and len(failed) == len(result.branches) else EXIT_OK


def cmd_info(args: argparse.Namespace) -> int:
    from engine.info import describe_path

    print(describe_path(args.path, target=args.target))
    return EXIT_OK


def main(argv: Sequence[str] | None = None) -> int:
    args = build_parser().parse_args(argv)
    try:
        return {"run": cmd_run, "info": cmd_info}[args.command](args)
    except NirdeskInputError as exc:
        print(f"nirdesk {args.command}: {exc}", file=sys.stderr)
        return EXIT_BAD_INPUT
    except KeyboardInterrupt:
        print(f"nirdesk {args.command}: cancelled", file=sys.stderr)
        return EXIT_CANCELLED


if __name__ == "__main__":
    raise SystemExit(main())
