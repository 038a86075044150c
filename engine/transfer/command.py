"""The `nirdesk transfer` subcommand: its arguments and what it prints.

    nirdesk transfer PROJECT --primary DATA --secondary DATA --method ds|pds|sbc
                     [--window N] [--standards N | --standard-ids IDS] [--tolerance T]
                     [--branch ID] [--run ID] --save NEW.nirdesk

Kept beside the transfer itself so engine/cli.py (shared by every command) only registers it.
Refusals are InputErrors, which engine.cli prints on one line with exit code 2.
"""
from __future__ import annotations

import argparse
from typing import Any

__all__ = ["add_parser", "cmd_transfer"]

DATA = ("dataset folder or CSV file, or an instrument file; rows paired by sample id, or by "
        "order when the files have no id column")


def add_parser(sub: Any) -> argparse.ArgumentParser:
    """Add the ``transfer`` subparser to ``sub`` (argparse's subparsers action)."""
    p: argparse.ArgumentParser = sub.add_parser(
        "transfer", help="move a saved branch's model to a second instrument (DS, PDS or "
                         "slope/bias correction) and save it into a new project")
    p.add_argument("project", help="the .nirdesk project holding the branch to transfer")
    p.add_argument("--primary", required=True, metavar="DATA",
                   help="the transfer samples measured on the model's instrument: " + DATA)
    p.add_argument("--secondary", required=True, metavar="DATA",
                   help="the same samples measured on the second instrument: " + DATA)
    p.add_argument("--method", required=True, choices=("ds", "pds", "sbc"),
                   help="ds: Direct Standardisation; pds: Piecewise DS; sbc: slope/bias "
                        "correction of the predictions")
    p.add_argument("--window", type=int, default=5, metavar="N",
                   help="PDS window: an odd number of channels (default 5)")
    picked = p.add_mutually_exclusive_group()
    picked.add_argument("--standards", type=int, metavar="N",
                        help="fit on N pairs picked by Kennard-Stone (default: every pair not "
                             "held out for testing)")
    picked.add_argument("--standard-ids", metavar="IDS",
                        help="fit on these sample ids (separated by commas)")
    p.add_argument("--tolerance", type=float, metavar="T",
                   help="drop singular values below T x the largest in each pseudo-inverse "
                        "(default: 0.01 for pds, none for ds)")
    p.add_argument("--branch", type=int, metavar="ID",
                   help="branch id (default: the run's best branch)")
    p.add_argument("--run", type=int, metavar="ID", help="run id (default: the latest run)")
    p.add_argument("--save", required=True, metavar="NEW.nirdesk",
                   help="write the project plus the transferred model here")
    p.add_argument("--verbose", type=int, choices=(0, 1), default=1)
    return p


def _metric_line(name: str, metrics: dict[str, Any] | None) -> str:
    if not metrics or metrics.get("rmse") is None:
        return f"{name}: not scored"
    bias = metrics.get("bias")
    tail = f", bias {bias:+.4g}" if bias is not None else ""
    return f"{name}: RMSEP {metrics['rmse']:.4g}{tail}"


def cmd_transfer(args: argparse.Namespace) -> int:
    from engine.transfer.project import transfer_project

    log = print if args.verbose else (lambda message: None)
    standards: Any = args.standards
    if args.standard_ids is not None:
        standards = [s.strip() for s in args.standard_ids.split(",") if s.strip()]
    tolerance: Any = "default" if args.tolerance is None else args.tolerance
    report = transfer_project(args.project, args.primary, args.secondary, args.method,
                              window=args.window, standards=standards, branch=args.branch,
                              run_id=args.run, tolerance=tolerance, save=args.save, log=log)
    out = report.outcome
    if args.verbose:
        print(f"scored on {out.evaluated_on}")
        print(_metric_line("untransferred", out.before))
        print(_metric_line(f"with {out.method.upper()}", out.after))
        if out.slope is not None and out.bias is not None:
            print(f"slope {out.slope[0]:.6g}, bias {out.bias[0]:.6g}")
        print(f"saved to {report.saved_to} as run {report.run_id} "
              f"(nirdesk predict {report.saved_to} --data SECONDARY)")
    return 0
