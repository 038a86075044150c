"""Live parallel-policy badges: the engine's verdict per branch group, before any run.

Why here and not in the view: the badge is the policy's decision (engine.policy.decide, a
pure function) mapped back onto the document -- which branch step it concerns, which step a
fix must edit -- and that mapping is model logic that deserves headless tests. The view only
paints ``GroupBadge.colour``/``text`` on the branch step at ``GroupBadge.path`` and shows
``tooltip``/``details``; "Apply fix" passes a ``Fix`` to EditorController.apply_fix.

Colours:
    green  parallel, nothing to warn about              text "parallel ×2"
           or sequential because that is faster here (the policy's info reasons too_small
           and blas_bound: starting workers would cost more than they save, or one process
           already uses every core)              text "sequential · faster"
    amber  the policy overrode or warns about the user's request (a warning reason, or
           sequential for another reason although the user asked for parallel): text
           "parallel ×2"/"sequential"
    grey   sequential because the user chose it (n_jobs 1 / "parallel": false)

Why sequential-because-faster is green: it is the best plan for this work on this machine,
not a problem; amber on the demo's first screen read as "something is wrong" and offered no
fix, since none exists (issue 21).

Texts are the policy's own Reason.message and Reason.fix, so the editor, the CLI log and the
results JSON say the same thing. Everything else -- which branch step a plan or a note is
about, which step runs its own threads, whether a memory cap is about trials -- comes from
the structured facts beside the text (GroupPlan.path, Reason.path, Reason.data); the text is
never read.
"""
from __future__ import annotations

import dataclasses
from dataclasses import dataclass, field
from typing import Any

from app.editor.model.document import PipelineDocument
from app.editor.model.labels import card_label
from engine.machine import DataFacts, MachineFacts
from engine.pipeline.branches import ExpandedPipeline
from engine.pipeline.steps import step_params
from engine.policy import GroupPlan, Reason, decide

__all__ = ["DEFAULT_DATA", "Fix", "GroupBadge", "apply_edit", "fix_note", "group_badges"]

#: Data sizes assumed before a dataset is open (a typical NIR calibration set).
DEFAULT_DATA = DataFacts(n_train=500, n_features=700)

GREEN, AMBER, GREY = "green", "amber", "grey"
#: info reasons saying sequential is the faster plan (nothing to fix): a green badge
FASTER_SEQUENTIAL = ("too_small", "blas_bound")
FASTER_TEXT = "sequential \u00b7 faster"


@dataclass(frozen=True)
class Fix:
    """An edit that resolves a reason, as data (apply it with :func:`apply_edit` or
    EditorController.apply_fix): ("set_params", path, params),
    ("set_branch_options", path, parallel, n_jobs), ("set_finetune", path, finetune) or
    ("batch", (edit, edit, ...))."""

    label: str
    apply: tuple


@dataclass
class GroupBadge:
    """The badge of one top-level branch step.

    path     document path of the branch step (e.g. (0,)); group: BranchGroup index
    colour   "green" | "amber" | "grey";  text: "parallel ×2" | "sequential"
    tooltip  one line per reason: message — fix
    details  longer text for a popup: each reason with its fix and the branch it concerns
    """

    path: tuple[int, ...] | None
    group: int | None
    colour: str
    text: str
    tooltip: str
    details: str
    fixes: list[Fix] = field(default_factory=list)
    reasons: list[Reason] = field(default_factory=list)
    mode: str = "sequential"
    workers: int = 1
    note: str = ""      # what the last applied fix changed (fix_note), shown until an edit


def apply_edit(doc: PipelineDocument, edit: tuple) -> None:
    """Perform a Fix.apply edit on ``doc``; a batch is all-or-nothing."""
    name, *args = edit
    if name == "batch":
        before = doc.snapshot()
        try:
            for sub in args[0]:
                apply_edit(doc, sub)
        except ValueError:
            doc.restore(before)
            raise
        return
    if name not in ("set_params", "set_branch_options", "set_finetune", "set_enabled"):
        raise ValueError(f"unknown edit {name!r}")
    getattr(doc, name)(*args)


def _line(reason: Reason) -> str:
    return f"{reason.message} — {reason.fix}" if reason.fix else reason.message


def _thread_step(doc: PipelineDocument, reason: Reason
                 ) -> tuple[tuple[int, ...], dict[str, Any], str] | None:
    """(path, params with the thread setting set to 1, key) of the step whose OWN params
    run threads (n_jobs=-1 / >1), as the policy found it (Reason.data); None if there is
    none (e.g. the threads belong to an estimator nested inside a step: no obvious edit)."""
    data = reason.data
    if data.get("cause", reason.code) != "model_n_jobs" or data.get("nested"):
        return None
    key, value, path = data.get("key"), data.get("value"), data.get("step")
    if not isinstance(value, int) or isinstance(value, bool) or path is None:
        return None  # "n_jobs=None, all cores" of a booster: setting 1 is a choice, not a fix
    try:
        params = step_params(doc.step_at(path))
    except ValueError:  # not a step of this document
        return None
    params[key] = 1
    return path, params, key


def _sequential_fix(doc: PipelineDocument, path: tuple[int, ...]) -> Fix:
    parallel = doc.branch_options(path)["parallel"]
    return Fix("Run this group sequentially",
               ("set_branch_options", path, None if parallel is None else False, None))


def _fixes(doc: PipelineDocument, exp: ExpandedPipeline, plan: GroupPlan,
           path: tuple[int, ...], cpus: int) -> list[Fix]:
    fixes: list[Fix] = []
    by_id = {b.id: b for b in exp.branches}
    options = doc.branch_options(path)
    seq = False
    for reason in plan.reasons:
        code = reason.code
        if code in ("model_n_jobs", "nested_parallelism") and reason.branch is not None:
            found = _thread_step(doc, reason)
            if found is not None:
                step_path, params, key = found
                name = card_label(doc.step_at(step_path))
                fixes.append(Fix(f"Set {key}=1 on {name} (branch {reason.branch})",
                                 ("set_params", step_path, params)))
            seq = seq or code == "model_n_jobs"
        elif code in ("neural_network", "gpu"):
            seq = True
        elif code == "nested_parallelism":
            edits = []
            for bid in plan.branch_ids:
                model = by_id[bid].model
                mpath = doc.step_path(model)
                if mpath is None or not model.finetune or model.finetune.get("n_jobs", 1) == 1:
                    continue
                ft = dict(model.finetune)
                ft["n_jobs"] = 1
                edits.append(("set_finetune", mpath, ft))
            if edits:
                fixes.append(Fix("Run Optuna trials one at a time (n_jobs=1)",
                                 ("batch", tuple(edits))))
            seq = True
        elif (code == "workers_capped" or (code == "memory" and not reason.data.get("trials"))
              ) and plan.requested != -1:
            n = plan.workers if code == "memory" or plan.mode == "parallel" else max(
                1, min(plan.requested, len(plan.branch_ids), cpus))
            if n != options["n_jobs"]:
                fixes.append(Fix(f"Set the group's n_jobs={n}",
                                 ("set_branch_options", path, options["parallel"], n)))
    if seq:
        fixes.append(_sequential_fix(doc, path))
    unique: dict[str, Fix] = {}
    for fix in fixes:
        unique.setdefault(repr(fix.apply), fix)
    return list(unique.values())


def _details(plan: GroupPlan, exp: ExpandedPipeline, path: tuple[int, ...] | None) -> str:
    by_id = {b.id: b for b in exp.branches}
    where = f"Branch step {path[0] + 1}" if path and len(path) == 1 else plan.where
    head = (f"{where}: parallel, {plan.workers} workers" if plan.mode == "parallel"
            else f"{where}: sequential")
    lines = [head, f"Branches: {', '.join(map(str, plan.branch_ids))}"]
    for reason in plan.reasons:
        lines.append("")
        lines.append(("⚠ " if reason.severity == "warning" else "• ") + reason.message)
        if reason.fix:
            lines.append(f"  Fix: {reason.fix}")
        if reason.branch is not None and reason.branch in by_id:
            lines.append(f"  Branch {reason.branch}: {by_id[reason.branch].name}")
    return "\n".join(lines)


def group_badges(source: PipelineDocument | ExpandedPipeline | None, *,
                 machine: MachineFacts | None = None, data: DataFacts | None = None,
                 global_workers: int | None = None, mode: str = "train") -> list[GroupBadge]:
    """One badge per top-level branch step that has a plan, in execution order; [] while
    the spec is incomplete. ``machine`` defaults to MachineFacts.current(), ``data`` to
    DEFAULT_DATA; ``global_workers`` (the GUI's worker cap, -1/None = none) caps the usable
    CPUs as engine.run.run(max_workers=...) does."""
    if source is None:
        return []
    doc = source if isinstance(source, PipelineDocument) else PipelineDocument(source.spec)
    exp = doc.expanded()
    if exp is None:
        return []
    facts = machine if machine is not None else MachineFacts.current()
    if global_workers is not None and global_workers != -1:
        if isinstance(global_workers, bool) or not isinstance(global_workers, int) \
                or global_workers < 1:
            raise ValueError(f"global_workers must be -1 (auto) or >= 1, got {global_workers!r}")
        facts = dataclasses.replace(facts, usable_cpus=min(facts.usable_cpus, global_workers))
    plan = decide(exp, machine=facts, data=data or DEFAULT_DATA, mode=mode)
    badges = []
    planned = {gp.group for gp in plan.groups}
    for group in exp.groups:
        # A top-level branch step whose branches continue the lanes of an earlier one runs
        # inside that step's plan: say so on its own badge (its own settings are not used).
        if group.parent is not None or group.index in planned or not group.branch_ids:
            continue
        owner = next((gp for gp in plan.groups if set(group.branch_ids) & set(gp.branch_ids)),
                     None)
        if owner is None:
            continue
        notes = [r for r in owner.reasons if r.code == "nested_branch_step"
                 and r.path == group.path]
        text = f"with step {owner.path[0] + 1}" if owner.path else "in an earlier plan"
        badges.append(GroupBadge(path=group.path, group=group.index,
                                 colour=GREY, text=text,
                                 tooltip="\n".join(_line(r) for r in notes),
                                 details="\n".join(r.message for r in notes),
                                 reasons=notes, mode=owner.mode, workers=owner.workers))
    for gp in plan.groups:
        if gp.group is None:
            continue  # the trunk: models outside any branch step, always sequential
        path = gp.path
        warnings = any(r.severity == "warning" for r in gp.reasons)
        if gp.mode == "parallel":
            colour, text = (AMBER if warnings else GREEN), f"parallel ×{gp.workers}"
        elif gp.user_sequential and not warnings:
            colour, text = GREY, "sequential"
        elif not warnings and any(r.code in FASTER_SEQUENTIAL for r in gp.reasons):
            colour, text = GREEN, FASTER_TEXT
        else:
            colour, text = AMBER, "sequential"
        fixes = _fixes(doc, exp, gp, path, max(1, facts.usable_cpus)) if path else []
        badges.append(GroupBadge(path=path, group=gp.group, colour=colour, text=text,
                                 tooltip="\n".join(_line(r) for r in gp.reasons),
                                 details=_details(gp, exp, path), fixes=fixes,
                                 reasons=list(gp.reasons), mode=gp.mode, workers=gp.workers))
    badges.sort(key=lambda b: b.path or ())
    return badges


def _verdict(badge: GroupBadge) -> str:
    """"parallel ×2", or "sequential: <the policy's main reason>"."""
    if badge.mode == "parallel":
        return badge.text
    why = next((r for r in badge.reasons if r.severity == "warning"), None) or next(
        (r for r in badge.reasons if r.code in FASTER_SEQUENTIAL), None) or (
        badge.reasons[0] if badge.reasons else None)
    if why is None:
        return "sequential"
    return "sequential: " + str(why.data.get("why") or why.message)


def _codes(badge: GroupBadge) -> list[str]:
    return sorted({r.code for r in badge.reasons})


def fix_note(label: str, before: GroupBadge | None, after: GroupBadge | None) -> str | None:
    """What an applied fix changed, in one line, when the badge's reasons changed: "Fixed:
    Set n_jobs=1 on RandomForest (branch 2). Now sequential: about 0.3 s of work, ...".

    Why: a fix removes one reason; the policy may then keep the group sequential for
    another (little work, memory), and a badge that merely stayed (or turned) sequential
    read as "the fix did nothing"."""
    if after is None:
        return None
    if before is not None and _codes(before) == _codes(after) and before.text == after.text:
        return None
    return f"Fixed: {label}. Now {_verdict(after)}."
