"""`nirdesk run`, `nirdesk predict`, `nirdesk preprocess` and `nirdesk info`: headless use of
the engine (docs/design.md "Command line").

Exit codes: 0 done; 2 bad input or arguments (one line on stderr, no traceback); 1 a failure
inside the run (a bug, reported with its traceback) or an output that could not be written
(a full disk: one line, the previous file unchanged); 130 cancelled (Ctrl-C or SIGTERM).
"""
from __future__ import annotations

import argparse
import sqlite3
import sys
from collections.abc import Sequence
from pathlib import Path
from typing import TYPE_CHECKING, Any, NoReturn

from engine.errors import InputError, NirdeskInputError, SpecError

if TYPE_CHECKING:  # the commands import what they need when they run (a fast --help)
    from types import FrameType

    import numpy as np

    from engine.dataset import SpectralDataset
    from engine.machine import MachineFacts
    from engine.pipeline import ConcreteBranch, ExpandedPipeline
    from engine.results import RunResult
    from engine.store import Project

EXIT_OK, EXIT_FAILURE, EXIT_BAD_INPUT, EXIT_CANCELLED = 0, 1, 2, 130


class _OneLineParser(argparse.ArgumentParser):
    """argparse prints usage plus the error; the contract asks for one line on stderr."""

    def error(self, message: str) -> NoReturn:
        self.exit(EXIT_BAD_INPUT, f"nirdesk {self.prog.split()[-1]}: {message} (see --help)\n")


def build_parser() -> argparse.ArgumentParser:
    parser = _OneLineParser(prog="nirdesk",
                            description="NIR modelling workbench (headless commands)")
    sub = parser.add_subparsers(dest="command", required=True, parser_class=_OneLineParser)
    run = sub.add_parser("run", help="cross-validate every branch of a pipeline on a dataset")
    run.add_argument("pipeline", help="pipeline spec (JSON file)")
    run.add_argument("--data", required=True, help=DATA_HELP)
    run.add_argument("--target", help="target column (default: the first one)")
    _add_data_options(run)
    run.add_argument("--exclude", metavar="IDS|FILE",
                     help="leave these samples out of calibration, CV and test scoring: sample "
                          "ids separated by commas, or a text file with one id per line")
    run.add_argument("--out", help="write the results JSON here")
    run.add_argument("--verbose", type=int, choices=(0, 1, 2), default=1,
                     help="0 quiet, 1 a line per branch, 2 also a timing table and the "
                          "calibration samples outside the 99 %% T2/Q limits")
    run.add_argument("--seed", type=int, default=0, help="seed for every random_state left unset")
    run.add_argument("--study-storage", metavar="URL",
                     help="keep each finetuned branch's Optuna study here "
                          "(e.g. sqlite:///study.db) to open it in optuna-dashboard")
    run.add_argument("--parallel-branches", type=int, metavar="N",
                     help="override every branch step's n_jobs: 1 sequential, N workers, -1 auto")
    run.add_argument("--backend", choices=("loky", "dask"), default="loky",
                     help="where tasks run: loky (this machine, default) or dask (a Dask cluster, "
                          "needs --scheduler and pip install 'nirdesk[cluster]')")
    run.add_argument("--scheduler", metavar="ADDRESS",
                     help="the Dask scheduler for --backend dask, e.g. tcp://10.0.0.5:8786")
    run.add_argument("--save", metavar="PROJECT",
                     help="add the dataset, pipeline and run (with its fitted models) to this "
                          ".nirdesk project, creating it if needed")
    pred = sub.add_parser("predict", help="apply a saved branch's model to new spectra")
    pred.add_argument("project", help="the .nirdesk project holding the trained run")
    pred.add_argument("--data", required=True, help="new spectra: " + DATA_HELP
                      + " (targets optional)")
    _add_data_options(pred, task=False)
    pred.add_argument("--out", required=True, help="write the predictions CSV here")
    pred.add_argument("--branch", type=int, metavar="ID",
                      help="branch id (default: the run's best branch)")
    pred.add_argument("--run", type=int, metavar="ID", help="run id (default: the latest run)")
    pred.add_argument("--resample", action="store_true",
                      help="interpolate spectra whose wavelengths differ onto the model's")
    pred.add_argument("--verbose", type=int, choices=(0, 1), default=1)
    pre = sub.add_parser("preprocess", help="write every spectrum after one branch's "
                                            "preprocessing (fitted on the training rows)")
    pre.add_argument("pipeline", help="pipeline spec (JSON file)")
    pre.add_argument("--data", required=True, help=DATA_HELP)
    _add_data_options(pre)
    pre.add_argument("--out", required=True,
                     help="write the spectra CSV here (sample_id, partition, one column per "
                          "output wavelength, the targets: a dataset nirdesk can open)")
    pre.add_argument("--branch", type=int, metavar="ID",
                     help="branch id (needed when the pipeline makes more than one branch)")
    pre.add_argument("--target", help="target the supervised steps fit on (default: the first)")
    pre.add_argument("--seed", type=int, default=0, help="seed for every random_state left unset")
    pre.add_argument("--verbose", type=int, choices=(0, 1), default=1)
    from engine.transfer.command import add_parser as add_transfer  # issue 19 (light: argparse)

    add_transfer(sub)
    info = sub.add_parser("info", help="describe a dataset, a pipeline JSON file or a project")
    info.add_argument("path", nargs="?",
                      help="a dataset, a pipeline .json, a .nirdesk project or a step name")
    info.add_argument("--steps", action="store_true",
                      help="list every step a pipeline may name (registry), one line each")
    info.add_argument("--target", help="target to describe (default: all)")
    _add_data_options(info)
    return parser


DATA_HELP = ("dataset folder or CSV file, an instrument file (OPUS, JCAMP-DX, SPC, ...), or a "
             "folder of single-spectrum files with --reference")


def _add_data_options(p: argparse.ArgumentParser, task: bool = True) -> None:
    """The options that say how to read --data (shared by run, predict, preprocess, info)."""
    p.add_argument("--reference", metavar="SHEET",
                   help="reference values (CSV) for a folder of single-spectrum files, "
                        "matched by file-name stem")
    p.add_argument("--id-column", metavar="NAME",
                   help="the sheet's sample-id column (default: id/sample/name/file, else the "
                        "first column)")
    p.add_argument("--group-column", metavar="NAME",
                   help="with one sheet row per file: the column naming each file's sample "
                        "(equal values = replicate scans of one sample)")
    p.add_argument("--replicates", choices=("keep", "average"), default="keep",
                   help="several files of one sample: keep them as rows of one group "
                        "(GroupKFold keeps them together; default) or average them")
    p.add_argument("--sheet", metavar="NAME",
                   help="the sheet of an Excel workbook given as --data (default: the first)")
    p.add_argument("--split-map", metavar="LABEL=ROLE", action="append", default=[],
                   help="give rows of a partition label other than train/test (e.g. "
                        "trans=train, val2=test, outlier=exclude); unmapped, they are left out")
    p.add_argument("--common-axis", action="store_true",
                   help="put files whose axes differ on their common range (linear "
                        "interpolation) instead of refusing them")
    if task:
        p.add_argument("--task", choices=("regression", "classification"),
                       help="model the target as regression or classification (default: text "
                            "= classes, numbers = regression)")


def _load_data(args: argparse.Namespace, target: str | None = None) -> SpectralDataset:
    """--data with its reading options, as one dataset (engine.io.load_data)."""
    from engine.io import load_data, resolve_dataset_path

    path = args.data if args.reference else resolve_dataset_path(args.data)
    return load_data(path, target=target, reference=args.reference, id_column=args.id_column,
                     group_column=args.group_column, replicates=args.replicates,
                     common_axis=args.common_axis, task=getattr(args, "task", None),
                     sheet=args.sheet, split_map=_split_map(args.split_map))


def _split_map(items: list[str]) -> dict[str, str]:
    """--split-map LABEL=ROLE options as a dict (a malformed one: InputError, exit 2)."""
    mapping: dict[str, str] = {}
    for item in items:
        label, sep, role = item.partition("=")
        if not sep or not label.strip() or not role.strip():
            raise InputError(f"--split-map {item!r}: expected LABEL=ROLE, e.g. trans=train")
        mapping[label.strip()] = role.strip().lower()
    return mapping


def _read_pipeline(path: str, spec: Any = None) -> tuple[Any, ExpandedPipeline]:
    """(decoded spec, expanded pipeline) of a pipeline file (``spec``: its JSON, already
    read); errors name the file."""
    from engine.pipeline import load_pipeline_file, parse_pipeline

    spec = load_pipeline_file(path) if spec is None else spec
    try:
        return spec, parse_pipeline(spec, name=Path(path).stem)
    except SpecError as exc:
        where = f"{path}, {exc.where}" if exc.where else path
        raise SpecError(exc.message, where=where, path=exc.path) from exc


def cmd_run(args: argparse.Namespace) -> int:
    from engine.atomic import check_output_path

    if args.out:  # a folder or a missing folder must not cost a whole run
        check_output_path(args.out, what="the results")
    n = args.parallel_branches
    if n is not None and (n == 0 or n < -1):
        raise SpecError(f"--parallel-branches must be -1 (auto) or >= 1, not {n}")
    _check_backend_args(args)
    from engine.pipeline.files import load_pipeline_file

    # cheap checks first: the JSON, then the data (numpy only); the spec's steps need
    # scikit-learn (~1-2 s to import), so a bad file is refused before that cost
    spec = load_pipeline_file(args.pipeline)
    dataset = _load_data(args, target=args.target)
    spec, expanded = _read_pipeline(args.pipeline, spec)
    if args.exclude:
        _apply_exclusions(dataset, args.exclude)
    project = _project_for_saving(args.save) if args.save else None
    pool = None
    try:
        pool, args.machine = _backend_pool(args)
        args.pool = pool
        return _run_and_report(args, expanded, dataset, spec, project)
    finally:
        if pool is not None:
            pool.shutdown()
        if project is not None:
            project.close()


def _apply_exclusions(dataset: SpectralDataset, value: str) -> None:
    """--exclude: an existing file holds one sample id per line (blank lines and lines
    starting with # are skipped); anything else is ids separated by commas. An id the
    dataset lacks is an input error naming it and where it came from."""
    from engine.errors import InputError

    path = Path(value)
    if path.is_file():
        try:
            text = path.read_text(encoding="utf-8-sig")
        except (OSError, UnicodeDecodeError) as exc:
            raise InputError(f"cannot read the sample ids to exclude ({exc})",
                             file=value) from None
        ids = [line.strip() for line in text.splitlines()
               if line.strip() and not line.lstrip().startswith("#")]
        where = value
    else:
        ids = [part.strip() for part in value.split(",") if part.strip()]
        where = "--exclude"
    if not ids:
        raise InputError("no sample ids to exclude", file=value if path.is_file() else None)
    dataset.exclude(dataset.rows_of_ids(ids, where=where))


def _check_backend_args(args: argparse.Namespace) -> None:
    """--backend/--scheduler make sense together; refuse the rest before any work."""
    if args.backend != "dask":
        if args.scheduler:
            raise SpecError("--scheduler is for --backend dask (add --backend dask)")
        return
    from engine.backends import DaskMissing, dask_available

    if not dask_available():
        raise DaskMissing()
    if not args.scheduler:
        raise SpecError("--backend dask needs --scheduler ADDRESS (the tcp://HOST:PORT that "
                        "`dask scheduler` prints)")


def _backend_pool(args: argparse.Namespace) -> tuple[Any, MachineFacts | None]:
    """(pool, machine facts) for run(): (None, None) = the local loky pool measuring this
    machine; for dask a pool connected to the scheduler (ClusterError -> exit 2, one line,
    after at most about 5 s) and the cluster's threads and memory for the policy."""
    if args.backend != "dask":
        return None, None
    from engine.backends import ExecutionChoice, machine_facts, make_pool

    pool = make_pool(ExecutionChoice("dask", args.scheduler))
    try:
        facts = machine_facts(pool)
    except BaseException:
        pool.shutdown()
        raise
    assert facts is not None, "a Dask pool always reports its cluster's facts"
    if args.verbose:
        cores, workers = facts.usable_cpus, len(pool.workers())
        print(f"Dask cluster {pool.address}: {workers} worker{'s' if workers != 1 else ''}, "
              f"{cores} thread{'s' if cores != 1 else ''}")
    return pool, facts


def _run_and_report(args: argparse.Namespace, expanded: ExpandedPipeline,
                    dataset: SpectralDataset, spec: Any, project: Project | None) -> int:
    import signal
    import threading

    from engine.progress import ProgressPrinter
    from engine.run import run

    # Ctrl-C (or SIGTERM, its twin from a service manager or `kill`) asks the run to cancel
    # (workers killed, finished branches kept); a second one interrupts at once.
    cancel = threading.Event()

    def on_sigint(signum: int, frame: FrameType | None) -> None:
        if cancel.is_set():
            raise KeyboardInterrupt
        cancel.set()

    previous = signal.signal(signal.SIGINT, on_sigint)
    previous_term = signal.signal(signal.SIGTERM, on_sigint)
    progress = ProgressPrinter() if args.verbose else None
    try:
        result = run(expanded, dataset, verbose=args.verbose, seed=args.seed,
                     parallel_branches=args.parallel_branches, cancel=cancel,
                     study_storage=args.study_storage,
                     log=progress.log if progress else print, on_event=progress,
                     pool=getattr(args, "pool", None), machine=getattr(args, "machine", None),
                     in_process_sequential=getattr(args, "pool", None) is None)
    finally:
        signal.signal(signal.SIGINT, previous)
        signal.signal(signal.SIGTERM, previous_term)
        if progress:
            progress.close()
    from engine.atomic import WriteFailed

    unwritten = False
    if args.out:
        try:
            result.write_json(args.out)
        except WriteFailed as exc:  # one line, and the run still goes to --save below
            print(f"nirdesk run: {exc}", file=sys.stderr)
            unwritten = True
        else:
            if args.verbose:
                print(f"results written to {args.out}")
    if args.save:
        name = spec.get("name") if isinstance(spec, dict) else None
        saved = _save_run(project, args.save, result, dataset, spec,
                          name if isinstance(name, str) else expanded.name)
        if saved is None:
            return EXIT_FAILURE
        if args.verbose:
            print(f"saved as run {saved} in {args.save}")
    if unwritten:
        return EXIT_FAILURE
    if result.cancelled:
        print("nirdesk run: cancelled; finished branches were kept", file=sys.stderr)
        return EXIT_CANCELLED
    failed = [b for b in result.branches if b.status != "ok"]
    return EXIT_FAILURE if failed and len(failed) == len(result.branches) else EXIT_OK


def _project_for_saving(path: str) -> Project | None:
    """Vet --save before the run (a bad project file must not cost a whole run): an existing
    file is opened (checked, migrated); a new one is only created once there is a result."""
    from engine.errors import InputError
    from engine.store import Project

    target = Path(path)
    if target.exists():
        return Project.open(target)
    if not target.parent.is_dir():
        raise InputError("the folder for the project does not exist", file=path)
    return None


def _save_run(project: Project | None, path: str, result: RunResult, dataset: SpectralDataset,
              spec: Any, name: str) -> int | None:
    """Add the run to the project; a failing disk is reported in one line (exit 1)."""
    from engine.store import Project
    from engine.store.project import write_problem

    try:
        project = project or Project.create_or_open(path)
        with project:
            return project.record_run(result, dataset, spec, name)
    except (sqlite3.Error, OSError) as exc:
        print(f"nirdesk run: {path}: could not save the run ({write_problem(exc)}); "
              "the project is unchanged", file=sys.stderr)
        return None


def cmd_predict(args: argparse.Namespace) -> int:
    from engine.atomic import check_output_path

    check_output_path(args.out, what="the predictions")
    from engine.predict import predict

    log = print if args.verbose else (lambda message: None)
    from engine.io import instrument_suffix

    # a CSV layout is read by predict() after the project's checks (a bad project is named
    # first); a spectrum folder or an instrument file is read here with its options
    data = (_load_data(args) if args.reference or instrument_suffix(args.data) is not None
            else args.data)
    result = predict(args.project, data, branch=args.branch, resample=args.resample,
                     run_id=args.run, log=log)
    result.write_csv(args.out)
    if args.verbose:
        tail = ""
        if result.metrics:
            key, label = (("balanced_accuracy", "BAcc") if result.task == "classification"
                          else ("rmse", "RMSEP"))
            value = result.metrics.get(key)
            tail = f"; {label} {value:.4g}" if value is not None else ""
        print(f"{len(result.predictions)} predictions written to {args.out}{tail}")
        if result.n_flagged is not None:
            print(f"{result.n_flagged} of {len(result.predictions)} spectra flagged outside the "
                  f"model (T2 or Q above its 99% limit; see the flag column)")
    return EXIT_OK


def cmd_preprocess(args: argparse.Namespace) -> int:
    """Every spectrum of the dataset after one branch's preprocessing, as the branch's model
    sees it in a run: fitted on the training rows, applied to all rows
    (engine.pipeline.preprocess_branch), written as a CSV nirdesk can open as a dataset."""
    from engine.atomic import check_output_path
    from engine.pipeline import preprocess_branch

    check_output_path(args.out, what="the spectra")
    _, expanded = _read_pipeline(args.pipeline)
    branch = _chosen_branch(expanded, args.branch, args.pipeline)
    dataset = _load_data(args, target=args.target)
    y = dataset.y if dataset.target is not None else None
    Z, axis = preprocess_branch(branch, dataset.X, dataset.wavelengths,
                                train_indices=dataset.train_indices, y=y, seed=args.seed)
    _write_spectra(args.out, Z, axis, dataset)
    if args.verbose:
        print(f"{Z.shape[0]} spectra x {Z.shape[1]} wavelengths after branch {branch.id} "
              f"({branch.name}, fitted on {dataset.n_train} training rows) written to {args.out}")
    return EXIT_OK


def _chosen_branch(expanded: ExpandedPipeline, branch_id: int | None,
                   source: str) -> ConcreteBranch:
    """The branch --branch names; without it the only branch, else a list to choose from."""
    by_id = {b.id: b for b in expanded.branches}
    listing = "; ".join(f"{b.id}: {b.name}" for b in expanded.branches)
    if branch_id is None:
        if len(by_id) == 1:
            return expanded.branches[0]
        raise SpecError(f"the pipeline makes {len(by_id)} branches; choose one with --branch "
                        f"ID ({listing})", where=source)
    if branch_id not in by_id:
        raise SpecError(f"no branch {branch_id}; the pipeline's branches are {listing}",
                        where=source)
    return by_id[branch_id]


def _write_spectra(path: str, Z: np.ndarray, axis: np.ndarray,
                   dataset: SpectralDataset) -> None:
    """sample_id, partition (train/test), one column per axis value, then the targets:
    the single-CSV dataset layout, so the file opens again as a dataset."""
    import csv
    import math

    import numpy as np

    from engine.atomic import replacing

    def cell(value: Any) -> str:
        if isinstance(value, (float, np.floating)):
            return repr(float(value)) if math.isfinite(value) else ""
        return str(value)

    names = dataset.target_names
    header = (["sample_id", "partition"]
              + [np.format_float_positional(float(v), trim="-") for v in axis] + names)
    with replacing(path, what="the spectra", newline="") as fh:  # WriteFailed: exit 1
        writer = csv.writer(fh)
        writer.writerow(header)
        for i in range(Z.shape[0]):
            writer.writerow([dataset.sample_ids[i],
                             "test" if dataset.test_mask[i] else "train",
                             *(repr(float(v)) for v in Z[i]),
                             *(cell(dataset.targets[n][i]) for n in names)])


def cmd_info(args: argparse.Namespace) -> int:
    if args.steps or args.path is None:
        if args.path is not None:
            raise NirdeskInputError("give either a PATH or --steps, not both")
        if not args.steps:
            raise NirdeskInputError("give a dataset, pipeline, project or step to describe, "
                                    "or --steps to list every step")
        from engine.info import describe_steps

        print(describe_steps())
        return EXIT_OK
    from engine.io.paths import kind_of

    kind = kind_of(args.path)
    if kind not in ("file", "folder", "missing"):  # opening a FIFO would block forever
        raise NirdeskInputError(f"{args.path}: this is {kind}; nirdesk describes regular files "
                                "and folders only")
    from engine.store import is_project_path

    if is_project_path(args.path):
        from engine.store.describe import describe_project

        print(describe_project(args.path))
        return EXIT_OK
    from engine.info import describe_path

    print(describe_path(args.path, target=args.target, reference=args.reference,
                        id_column=args.id_column, group_column=args.group_column,
                        replicates=args.replicates,
                        common_axis=args.common_axis, task=args.task, sheet=args.sheet,
                        split_map=_split_map(args.split_map)))
    return EXIT_OK


def _cmd_transfer(args: argparse.Namespace) -> int:
    """`nirdesk transfer` (engine.transfer.command: its arguments and output live there)."""
    from engine.transfer.command import cmd_transfer

    return cmd_transfer(args)


def _terminated(signum: int, frame: FrameType | None) -> None:
    """SIGTERM outside a run's own handler: unwind like Ctrl-C, so every finally runs (the
    workers and the /dev/shm data go) instead of dying where we stand."""
    raise KeyboardInterrupt


def main(argv: Sequence[str] | None = None) -> int:
    import signal

    from engine.atomic import WriteFailed
    from engine.warnlines import one_line_warnings

    args = build_parser().parse_args(argv)
    previous_term = signal.signal(signal.SIGTERM, _terminated)
    try:
        # a library's warning: one line, once, no paths (a run's own go into its results)
        with one_line_warnings(f"nirdesk {args.command}"):
            return {"run": cmd_run, "predict": cmd_predict, "preprocess": cmd_preprocess,
                    "info": cmd_info, "transfer": _cmd_transfer}[args.command](args)
    except WriteFailed as exc:  # a full disk: one line, the previous file kept (exit 1)
        print(f"nirdesk {args.command}: {exc}", file=sys.stderr)
        return EXIT_FAILURE
    except NirdeskInputError as exc:
        print(f"nirdesk {args.command}: {exc}", file=sys.stderr)
        return EXIT_BAD_INPUT
    except sqlite3.DatabaseError as exc:  # a project damaged in a way the open checks missed
        from engine.store.check import one_line

        print(f"nirdesk {args.command}: the project file is damaged ({one_line(exc)})",
              file=sys.stderr)
        return EXIT_BAD_INPUT
    except KeyboardInterrupt:
        print(f"nirdesk {args.command}: cancelled", file=sys.stderr)
        return EXIT_CANCELLED
    finally:
        # a Ctrl-C or SIGTERM during the last clean-up must not end it with a traceback
        previous_int = signal.signal(signal.SIGINT, signal.SIG_IGN)
        signal.signal(signal.SIGTERM, signal.SIG_IGN)
        try:
            _stop_local_pool()
        finally:
            signal.signal(signal.SIGINT, previous_int)
            signal.signal(signal.SIGTERM, previous_term)


def _stop_local_pool() -> None:
    """No worker, resource tracker or /dev/shm data may outlive the command, whatever way it
    ends (the local pool is process-wide, so the run itself does not stop it)."""
    executor = sys.modules.get("engine.executor")
    if executor is not None:
        executor.shutdown_default_pool()


if __name__ == "__main__":
    raise SystemExit(main())
