"""The Transfer view's slow work and texts, as plain functions (no Qt, testable headless).

Listing a project's trained branches, reading the two instruments' files and pairing them,
fitting the transfer and writing the new project all run on the view's background thread
(app.common.workers.Jobs). Every function opens the project itself, read-only (an SQLite
connection belongs to the thread that made it), and the engine does the work
(engine.transfer): the window only shows what it returns.
"""
from __future__ import annotations

import threading
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np

__all__ = ["MAX_DRAWN", "BranchChoice", "Computed", "Prepared", "compute", "list_branches",
           "metric_text", "prepare", "save", "user_message"]

#: pairs drawn in the before/after spectra plot (a few, so each curve can be told apart)
MAX_DRAWN = 12


@dataclass(frozen=True)
class BranchChoice:
    """A trained branch the user can transfer."""

    run_id: int
    branch_id: int
    name: str
    best: bool

    def label(self) -> str:
        return (f"Run {self.run_id} \u00b7 branch {self.branch_id}: {self.name}"
                + ("  \u2605 best" if self.best else ""))


@dataclass
class Prepared:
    """A branch's model and the paired transfer set, ready to fit (engine objects)."""

    key: tuple[str, int, int, str, str]
    source: Any        # engine.transfer.project.TransferSource
    tset: Any          # engine.transfer.pairing.TransferSet

    @property
    def sample_ids(self) -> list[str]:
        return [str(s) for s in self.tset.sample_ids]

    @property
    def held_out(self) -> np.ndarray:
        """Pairs that cannot be standards: held out for testing, or excluded."""
        return np.asarray(self.tset.held_out | self.tset.excluded, dtype=bool)


@dataclass
class Computed:
    """A fitted transfer and what the view draws of it.

    drawn        indices of the pairs drawn in the spectra plot (evaluated ones first)
    reference    (k,) reference values of the evaluated pairs, or None
    """

    outcome: Any       # engine.transfer.fit.TransferOutcome
    drawn: np.ndarray
    wavelengths: np.ndarray
    reference: np.ndarray | None


def _check(cancel: threading.Event | None) -> None:
    if cancel is not None and cancel.is_set():
        from app.model.tasks import Cancelled

        raise Cancelled()


def list_branches(path: str, cancel: threading.Event | None = None) -> list[BranchChoice]:
    """Every branch with a saved model, newest run first (a transferred run is one too:
    transferring it again chains the transfers)."""
    from engine.store import Project

    out: list[BranchChoice] = []
    with Project.open(path, readonly=True) as proj:
        for summary in reversed(proj.runs()):
            _check(cancel)
            stored = proj.load_run(summary.id)
            names = {b["id"]: b["name"] for b in stored.results.get("branches", [])}
            for bid in stored.model_branches:
                out.append(BranchChoice(summary.id, bid, names.get(bid, f"branch {bid}"),
                                        bid == stored.best_branch))
    return out


def prepare(project: str, run_id: int, branch_id: int, primary: str, secondary: str,
            cancel: threading.Event | None = None) -> Prepared:
    """Load the branch's model and both files, and pair them (engine refusals propagate)."""
    from engine.io import load_data, resolve_dataset_path
    from engine.transfer.pairing import pair_datasets
    from engine.transfer.project import check_model_axis, load_source

    source = load_source(project, branch_id, run_id)
    _check(cancel)
    primary_ds = load_data(resolve_dataset_path(Path(primary)))
    _check(cancel)
    secondary_ds = load_data(resolve_dataset_path(Path(secondary)))
    check_model_axis(source, primary_ds)
    tset = pair_datasets(primary_ds, secondary_ds, target=source.target)
    return Prepared((project, run_id, branch_id, primary, secondary), source, tset)


def compute(prepared: Prepared, method: str, window: int, standards: int | list[str],
            cancel: threading.Event | None = None) -> Computed:
    """Choose the standards (Kennard-Stone N, or the ids ticked by hand) and fit."""
    from engine.transfer.fit import fit_transfer
    from engine.transfer.standards import choose_standards

    tset = prepared.tset
    chosen = choose_standards(tset, standards)
    _check(cancel)
    outcome = fit_transfer(prepared.source.model, tset, method, chosen, window=window,
                           classification=prepared.source.classification)
    evaluated = np.asarray(outcome.evaluated, dtype=np.int64)
    pool = evaluated if evaluated.size else np.setdiff1d(np.arange(tset.n_pairs), chosen)
    if pool.size == 0:
        pool = np.asarray(chosen, dtype=np.int64)
    step = max(1, pool.size // MAX_DRAWN)
    drawn = pool[::step][:MAX_DRAWN]
    reference = (None if tset.reference is None or not evaluated.size
                 else np.asarray(tset.reference[evaluated], dtype=np.float64))
    return Computed(outcome, drawn, np.asarray(tset.wavelengths), reference)


def save(prepared: Prepared, computed: Computed, path: str,
         cancel: threading.Event | None = None) -> tuple[str, int]:
    """Write the project plus the transferred run to ``path`` (atomically, by the engine)."""
    from engine.atomic import check_output_path
    from engine.transfer.project import save_transfer

    check_output_path(path, what="the transferred project")
    _check(cancel)
    run_id = save_transfer(prepared.source, prepared.tset, computed.outcome, path)
    return path, run_id


def metric_text(outcome: Any) -> str:
    """ "RMSEP on the 212 pairs held out for testing: 12.09 untransferred -> 4.458 with PDS" """
    before, after = outcome.before, outcome.after
    if not before or not after or before.get("rmse") is None or after.get("rmse") is None:
        return f"{outcome.label}: fitted; not scored ({outcome.evaluated_on})."
    def bias(m: dict[str, Any]) -> str:
        return "\u2014" if m.get("bias") is None else f"{m['bias']:+.3g}"

    return (f"RMSEP on {outcome.evaluated_on}: {before['rmse']:.4g} untransferred \u2192 "
            f"{after['rmse']:.4g} with {outcome.method.upper()} "
            f"(bias {bias(before)} \u2192 {bias(after)})")


def user_message(exc: BaseException, action: str) -> tuple[str, bool]:
    """(one line for the view, whether it is the user's input rather than a bug)."""
    from engine.errors import NirdeskInputError

    if isinstance(exc, NirdeskInputError):
        return " ".join(str(exc).split()), True
    if isinstance(exc, (OSError, MemoryError)):
        return f"cannot {action}: {type(exc).__name__}: {exc}", True
    return f"nirdesk failed to {action} ({type(exc).__name__}: {exc}); this is a bug", False
