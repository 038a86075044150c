"""The parallel policy: per branch step, run its branches in parallel or one after the other.

docs/design.md decision 2: the policy is a pure function of (expanded pipeline, mode, machine facts,
data sizes). It measures nothing itself (the caller passes :class:`~engine.machine.MachineFacts`),
so the GUI can run it on every edit to draw its badges, the CLI prints the same reasons before
a run, and the results JSON records them.

Why a policy at all: parallel branches only pay when the branches are independent CPU work.
The library nirdesk replaces (the nirs4all seed guide) documents the dangers -- models with
their own threads, neural networks, GPU models, branch x Optuna nesting, memory -- but checks
them on serialised dicts and so never fires on the estimator objects its own examples use.
Here every check reads the live (unfitted) estimator of each step, including estimators
nested inside it, which is present for JSON specs and Python-object specs alike.

Outcome per top-level branch step (a :class:`GroupPlan`): mode, workers, how many Optuna trials
each branch may run at once, and the reasons, each {code, severity, branch, message, fix, path,
data}. Reasons that override an explicit parallel request are warnings; the rest are info.
``message``/``fix`` are for people; ``path`` (a step address) and ``data`` are the same facts
for programs, so the editor places its badges and fixes without reading the text.

Reason codes: model_n_jobs, neural_network, gpu (warnings: a branch that must not share the
CPUs), nested_parallelism (warning: branches x Optuna trials, one level kept), memory
(warning: workers capped), predict_mode, user_sequential, workers_capped, too_small,
blas_bound, trials_capped, nested_branch_step, parallel_auto, parallel (info).
"""
from __future__ import annotations

import dataclasses
import math
import numbers
from dataclasses import dataclass, field
from typing import Any

from engine.machine import DataFacts, MachineFacts
from engine.pipeline.branches import BranchGroup, ConcreteBranch, ExpandedPipeline, StepSpec
from engine.registry import cost_of, work_of

__all__ = [
    "BLAS_BOUND_MIN_ELEMENTS",
    "GroupPlan",
    "Plan",
    "Reason",
    "decide",
    "estimate_task_seconds",
]

# -- tunables (module constants so that benchmarks can calibrate them) ------------------------

MODES = ("train", "predict", "explain")
#: Modes that always run sequentially: saved models are loaded from the project (seed guide).
SEQUENTIAL_MODES = ("predict", "explain")

#: A group of BLAS-dominated models (PLS, Ridge, ...) stays sequential from this many matrix
#: elements per task (n_rows x n_features): there one process with multi-threaded BLAS already
#: uses every core and a second process does not help. 5e7 is deliberately high (it never
#: fires on the benchmark datasets); calibrate it by measurement before lowering it.
BLAS_BOUND_MIN_ELEMENTS = 50_000_000

#: Memory model of one worker: a training-fold copy plus working arrays (~4 float64 copies of
#: the training matrix) and the interpreter with numpy + scikit-learn (~150 MB).
WORKING_COPIES = 4
WORKER_BASE_BYTES = 150 * 2**20
MEMORY_FRACTION = 0.8

#: Cost of putting work on the pool: starting cold workers (interpreter + imports, in parallel,
#: ~1 s wall), dispatching to warm ones, and a per-task round trip.
COLD_START_SECONDS = 1.0
WARM_START_SECONDS = 0.05
TASK_OVERHEAD_SECONDS = 0.005

DEFAULT_N_SPLITS = 5          # when the splitter's number of folds cannot be read
DEFAULT_N_TRIALS = 50         # for cost estimates when finetune_params gives no n_trials

#: Parameters through which an estimator runs its own threads or processes.
THREAD_KEYS = ("n_jobs", "thread_count", "nthread", "num_threads", "n_threads")
#: Libraries whose estimators use every core when their thread setting is left at None/0.
MULTITHREADED_ROOTS = frozenset({"xgboost", "lightgbm", "catboost"})
NEURAL_ROOTS = frozenset({"torch", "tensorflow", "keras", "jax", "flax", "skorch"})

FIX_MODEL_N_JOBS = "set the model's n_jobs=1 or run this branch group sequentially"
FIX_NEURAL = ('group neural networks in a separate sequential branch step ("parallel": false) '
              "and keep the light models in a parallel one")
FIX_GPU = ('run GPU models in a separate sequential branch step ("parallel": false): several '
           "processes on one GPU run out of GPU memory")
FIX_USER_SEQUENTIAL = "set n_jobs=-1 (auto) or 2+ to run its branches in parallel"
FIX_OVERRIDE_SEQUENTIAL = "use --parallel-branches -1 (auto) or 2+ to run branches in parallel"
FIX_MEMORY = "use fewer workers (n_jobs), free memory, or crop the wavelength range"
FIX_NESTED = "choose one level: trials n_jobs=1 with parallel branches, or sequential branches"

# -- result types ------------------------------------------------------------------------------


Address = tuple[int, ...]


@dataclass(frozen=True)
class Reason:
    """One explanation of a decision, shown as a badge, logged, and written to the results.

    code      stable identifier ("model_n_jobs", "memory", ...) for the GUI and tests
    severity  "warning" when it overrides the user's explicit parallel request, else "info"
    branch    1-based ConcreteBranch.id when about one branch, else None
    message   one line in the seed guide's words
    fix       what the user can change, or None
    path      the address (0-based step/lane indices, SpecError.path) of the step that
              causes it (the step running its own threads, the tuned model asking for parallel
              trials) or else of the branch step it is about; None for the trunk
    data      the machine-readable details (JSON values; addresses as tuples):
                model_n_jobs, gpu       {"key", "value", "step": address, "nested": bool}
                                        (nested: the setting belongs to an estimator inside
                                        the step, not to the step's own parameters)
                neural_network          {"step": address, "nested": bool}
                nested_parallelism      one branch: the finding above + {"cause": its code,
                                        "trials": k}; the group: {"workers", "trials"}
                memory                  {"trials": True, "branches": [ids]} for trial-level
                                        caps, {"workers": asked} for the group's workers;
                                        both with "fits": how many processes fit
                nested_branch_step      {"owner": address of the branch step whose plan runs it}
                trials_capped           {"asked", "n_jobs", "step"}
                trials_too_small        {"trials", "step"}
                workers_capped, parallel, parallel_auto   {"workers"}
              and {"why": text} for the reasons whose message is "Sequential: <why>" (a
              header that states "sequential" itself shows only the why)
    """

    code: str
    severity: str
    branch: int | None
    message: str
    fix: str | None = None
    path: Address | None = None
    data: dict[str, Any] = field(default_factory=dict, compare=False, hash=False)

    def to_json(self) -> dict[str, Any]:
        """The results JSON form; addresses become lists."""
        return {"code": self.code, "severity": self.severity, "branch": self.branch,
                "message": self.message, "fix": self.fix,
                "path": None if self.path is None else list(self.path),
                "data": _jsonable(self.data)}


def _jsonable(value: Any) -> Any:
    if isinstance(value, dict):
        return {k: _jsonable(v) for k, v in value.items()}
    if isinstance(value, (list, tuple)):
        return [_jsonable(v) for v in value]
    return value


@dataclass
class GroupPlan:
    """The decision for one top-level branch step (or for the trunk, ``group`` None).

    requested is the n_jobs the user asked for after ``--parallel-branches`` (-1 = auto;
    "parallel": true counts as -1). user_sequential is True only when the group is
    sequential because the user asked for that and for no other reason (the GUI's grey badge).
    trial_n_jobs holds, for every branch of the group, how many Optuna trials may run at once.
    """

    group: int | None
    where: str
    branch_ids: list[int]
    mode: str = "sequential"
    workers: int = 1
    requested: int = 1
    reasons: list[Reason] = field(default_factory=list)
    trial_n_jobs: dict[int, int] = field(default_factory=dict)
    user_sequential: bool = False
    path: Address | None = None   # the branch step's address (BranchGroup.path); None: trunk

    def to_json(self) -> dict[str, Any]:
        """The results JSON "parallel" entry (docs/design.md "Results JSON")."""
        return {"step": self.where, "path": None if self.path is None else list(self.path),
                "mode": self.mode, "workers": self.workers,
                "reasons": [r.to_json() for r in self.reasons]}


@dataclass
class Plan:
    """All group decisions, in execution order (by their first branch id)."""

    groups: list[GroupPlan]

    def for_branch(self, branch_id: int) -> GroupPlan:
        """The plan that runs ``branch_id`` (every branch is in exactly one)."""
        for group in self.groups:
            if branch_id in group.branch_ids:
                return group
        raise KeyError(f"no branch {branch_id} in the plan")

    def to_json(self) -> list[dict[str, Any]]:
        return [g.to_json() for g in self.groups]

    @property
    def max_workers(self) -> int:
        """Pool size the plan needs: parallel branches or parallel trials, whichever is larger
        (both are tasks on the same pool, docs/design.md decision 1)."""
        sizes = [max([g.workers, *g.trial_n_jobs.values()]) for g in self.groups]
        return max(sizes, default=1)


# -- the decision ---------------------------------------------------------------------------------


@dataclass(frozen=True)
class _Context:
    machine: MachineFacts
    data: DataFacts
    mode: str
    override: int | None

    @property
    def cpus(self) -> int:
        return max(1, int(self.machine.usable_cpus))


def decide(expanded: ExpandedPipeline, *, machine: MachineFacts, data: DataFacts,
           mode: str = "train", override_n_jobs: int | None = None) -> Plan:
    """Decide, per top-level branch step, parallel or sequential and how many workers.

    Branches of nested branch steps (and of a branch step that only continues lanes of an
    earlier one) belong to the plan of the top-level step they came from; branches in no
    branch step form a sequential "trunk" plan. ``override_n_jobs`` (``nirdesk run
    --parallel-branches N``) replaces every branch step's n_jobs: 1 forces sequential, -1 auto.
    Never returns more workers (or parallel trials) than ``machine.usable_cpus``.
    """
    if mode not in MODES:
        raise ValueError(f"mode must be one of {', '.join(MODES)}, got {mode!r}")
    if override_n_jobs is not None and (isinstance(override_n_jobs, bool) or not isinstance(
            override_n_jobs, numbers.Integral) or (override_n_jobs < 1 and override_n_jobs != -1)):
        raise ValueError(f"override_n_jobs must be -1 (auto) or >= 1, got {override_n_jobs!r}")
    ctx = _Context(machine, data, mode,
                   None if override_n_jobs is None else int(override_n_jobs))
    owners = _owners(expanded)
    owned: dict[int | None, list[ConcreteBranch]] = {}
    for branch in expanded.branches:
        owned.setdefault(owners[branch.id], []).append(branch)
    notes = _inner_step_notes(expanded, owners)
    plans: list[GroupPlan] = []
    for index, branches in owned.items():
        if index is None:
            plans.append(_trunk_plan(branches, ctx))
        else:
            plans.append(_group_plan(expanded.groups[index], branches,
                                     notes.get(index, []), ctx))
    plans.sort(key=lambda p: min(p.branch_ids, default=math.inf))
    for plan in plans:  # a reason with no step of its own is about the plan's branch step
        plan.reasons = [r if r.path is not None else dataclasses.replace(r, path=plan.path)
                        for r in plan.reasons]
    return Plan(plans)


def _owners(expanded: ExpandedPipeline) -> dict[int, int | None]:
    """Branch id -> index of the top-level group whose plan runs it (None: trunk).

    ConcreteBranch.group is the first branch step the chain went through; it is top-level
    already, but walk up ``parent`` anyway so a nested index can never become a plan.
    """
    out: dict[int, int | None] = {}
    for branch in expanded.branches:
        index = branch.group
        while index is not None and expanded.groups[index].parent is not None:
            index = expanded.groups[index].parent
        out[branch.id] = index
    return out


def _inner_step_notes(expanded: ExpandedPipeline, owners: dict[int, int | None]
                      ) -> dict[int, list[Reason]]:
    """Info reasons for branch steps that are not separate plans, keyed by the owning group."""
    notes: dict[int, list[Reason]] = {}
    for group in expanded.groups:
        for owner in dict.fromkeys(owners.get(b) for b in group.branch_ids):
            if owner is None or owner == group.index:
                continue
            outer = expanded.groups[owner].where
            if group.parent is not None:
                msg = f"Nested branch step at {group.where} runs inside {outer}'s plan"
            else:
                msg = (f"Branch step at {group.where} runs inside {outer}'s plan "
                       "(its branches continue branches of that step)")
            own = _own_setting(group)
            if own:
                msg += f"; its own {own} is not used"
            notes.setdefault(owner, []).append(Reason(
                "nested_branch_step", "info", None, msg, path=group.path,
                data={"owner": expanded.groups[owner].path}))
    return notes


def _own_setting(group: BranchGroup) -> str | None:
    if group.n_jobs != 1:
        return f"n_jobs={group.n_jobs}"
    if group.parallel:
        return '"parallel": true'
    return None


def _trunk_plan(branches: list[ConcreteBranch], ctx: _Context) -> GroupPlan:
    """Branches outside any branch step: sequential (nothing to run them beside)."""
    plan = GroupPlan(group=None, where="top level", branch_ids=[b.id for b in branches],
                     trial_n_jobs={b.id: 1 for b in branches})
    if ctx.mode in SEQUENTIAL_MODES:  # say why, as a branch step does (predict logs it)
        plan.reasons.append(_predict_reason(ctx.mode))
    if ctx.mode == "train":
        _assign_trials(plan, _active(branches), ctx)
    return plan


def _group_plan(group: BranchGroup, branches: list[ConcreteBranch], notes: list[Reason],
                ctx: _Context) -> GroupPlan:
    """The decision for one top-level branch step; checks run from hard stops to estimates."""
    asked = _asked(group, ctx)
    plan = GroupPlan(group=group.index, where=group.where, branch_ids=[b.id for b in branches],
                     requested=asked, reasons=list(notes),
                     trial_n_jobs={b.id: 1 for b in branches}, path=group.path)
    active = _active(branches)
    if ctx.mode in SEQUENTIAL_MODES:
        plan.reasons.append(_predict_reason(ctx.mode))
        return plan
    if asked == 1:
        # Sequential by choice is the seed's own advice for threaded models, neural nets and
        # GPU models, so none of those is a warning here.
        plan.reasons.append(_user_sequential_reason(ctx))
        plan.user_sequential = True
        return _sequential(plan, active, ctx)
    blockers = [Reason(f.code, "warning", b.id,
                       f"Parallel execution disabled: Branch {b.id} {f.detail}", f.fix,
                       path=f.step, data=f.data)
                for b in active for f in _findings(b)]
    if blockers:
        plan.reasons.extend(blockers)
        return _sequential(plan, active, ctx)
    workers, how = _pick_workers(plan, asked, len(active), ctx)
    if workers >= 2:
        workers = _memory_cap(plan, workers, ctx)
    if workers >= 2:
        slow = [r for r in (_too_small(active, workers, ctx), _blas_bound(active, ctx)) if r]
        if slow:
            plan.reasons.extend(slow)
            workers = 1
    if workers < 2:
        return _sequential(plan, active, ctx)
    if not _resolve_nesting(plan, active, workers, ctx):
        return _sequential(plan, active, ctx, trials_explained=True)
    plan.mode, plan.workers = "parallel", workers
    if how is not None:
        plan.reasons.append(how)
    return plan


def _active(branches: list[ConcreteBranch]) -> list[ConcreteBranch]:
    """Branches that will run (a disabled model is skipped by the runner)."""
    return [b for b in branches if b.enabled]


def _asked(group: BranchGroup, ctx: _Context) -> int:
    """The n_jobs in force: the override, else n_jobs, where "parallel": true means auto."""
    if ctx.override is not None:
        return ctx.override
    if group.n_jobs == 1 and group.parallel:
        return -1
    return group.n_jobs


def _sequential(plan: GroupPlan, active: list[ConcreteBranch], ctx: _Context,
                trials_explained: bool = False) -> GroupPlan:
    plan.mode, plan.workers = "sequential", 1
    _assign_trials(plan, active, ctx, quiet_caps=trials_explained)
    return plan


# -- simple reasons -----------------------------------------------------------------------------


def _sequential_because(code: str, why: str, fix: str | None = None) -> Reason:
    """A reason that is the verdict itself: message "Sequential: <why>", data {"why"}."""
    return Reason(code, "info", None, f"Sequential: {why}", fix, data={"why": why})


def _predict_reason(mode: str) -> Reason:
    return _sequential_because("predict_mode",
                               f"parallel execution is disabled in {mode} mode (saved models "
                               "are loaded from the project one branch at a time)")


def _user_sequential_reason(ctx: _Context) -> Reason:
    if ctx.override == 1:
        return _sequential_because("user_sequential", "--parallel-branches 1 asks for n_jobs=1",
                                   FIX_OVERRIDE_SEQUENTIAL)
    return _sequential_because("user_sequential", "this branch step asks for n_jobs=1",
                               FIX_USER_SEQUENTIAL)


def _plural(count: int, word: str) -> str:
    if count == 1:
        return f"1 {word}"
    return f"{count} {word}es" if word.endswith(("ch", "s")) else f"{count} {word}s"


def _pick_workers(plan: GroupPlan, asked: int, n_branches: int, ctx: _Context
                  ) -> tuple[int, Reason | None]:
    """Workers before memory/cost checks, and the reason to show if the group ends parallel.

    A cap (more workers asked than branches or CPUs) is recorded at once: it explains a
    sequential outcome too (one branch, one CPU).
    """
    cpus = ctx.cpus
    branches, cpu_text = _plural(n_branches, "branch"), _plural(cpus, "usable CPU")
    if asked == -1:
        workers = min(n_branches, cpus)
        msg = f"auto: min({branches}, {cpu_text}) = {_plural(workers, 'worker')}"
        if workers < 2:
            plan.reasons.append(Reason("workers_capped", "info", None, msg + ": sequential",
                                       data={"workers": workers}))
            return workers, None
        return workers, Reason("parallel_auto", "info", None, msg, data={"workers": workers})
    workers = max(1, min(asked, n_branches, cpus))
    if workers < asked:
        tail = "sequential" if workers < 2 else _plural(workers, "worker")
        plan.reasons.append(Reason("workers_capped", "info", None,
                                   f"n_jobs={asked} asked; {branches} on {cpu_text}: {tail}",
                                   data={"workers": workers}))
        return workers, None
    return workers, Reason("parallel", "info", None,
                           f"n_jobs={asked}: {_plural(workers, 'worker')}",
                           data={"workers": workers})


# -- memory -------------------------------------------------------------------------------------


def _bytes_per_worker(data: DataFacts) -> int:
    return WORKING_COPIES * data.n_train * data.n_features * 8 + WORKER_BASE_BYTES


def _processes_that_fit(ctx: _Context) -> int:
    return int(MEMORY_FRACTION * ctx.machine.available_memory // _bytes_per_worker(ctx.data))


def _fmt_bytes(n: float) -> str:
    if n >= 2**30:
        return f"{n / 2**30:.1f} GB"
    return f"{n / 2**20:.0f} MB"


def _memory_text(count: int, what: str, ctx: _Context) -> str:
    per = _bytes_per_worker(ctx.data)
    d = ctx.data
    return (f"Memory: {count} {what} need about {_fmt_bytes(count * per)} "
            f"({_fmt_bytes(per)} each: working copies of {d.n_train:,} x {d.n_features:,} "
            f"spectra + {_fmt_bytes(WORKER_BASE_BYTES)} per process), more than "
            f"{MEMORY_FRACTION:.0%} of the {_fmt_bytes(ctx.machine.available_memory)} available")


def _memory_cap(plan: GroupPlan, workers: int, ctx: _Context) -> int:
    """Fewer workers when their working memory would not fit (sequential if only one fits)."""
    fit = _processes_that_fit(ctx)
    if workers <= fit:
        return workers
    capped = max(1, fit)
    tail = "sequential" if capped < 2 else _plural(capped, "worker")
    plan.reasons.append(Reason("memory", "warning", None,
                               f"{_memory_text(workers, 'workers', ctx)}: {tail}", FIX_MEMORY,
                               data={"workers": workers, "fits": capped}))
    return capped


# -- cost model -----------------------------------------------------------------------------------


def _class_name(step: StepSpec) -> str:
    est = step.estimator
    if est is not None and not isinstance(est, type):
        return type(est).__name__
    return step.class_name.rsplit(".", 1)[-1]


def _param(step: StepSpec, key: str, default: Any) -> Any:
    est = step.estimator
    if est is not None and callable(getattr(est, "get_params", None)):
        try:
            value = est.get_params(deep=False).get(key, default)
        except Exception:  # noqa: BLE001 - a third-party get_params must not break the plan
            value = step.params.get(key, default)
    else:
        value = step.params.get(key, default)
    return default if value is None else value


def _number(value: Any, default: float) -> float:
    return float(value) if isinstance(value, numbers.Real) and not isinstance(value, bool) \
        else default


def _model_seconds(model: StepSpec, r: float, f: float) -> float:
    """Seconds for one fit + predict of ``model`` on r rows x f features (see the caller)."""
    name = _class_name(model)
    if name.startswith("PLS"):
        k = _number(_param(model, "n_components", 2), 2)
        return 5.7e-9 * r * f * k
    if "Lasso" in name or "ElasticNet" in name:
        return 3.7e-7 * r * f
    if name.startswith(("RandomForest", "ExtraTrees")):
        trees = _number(_param(model, "n_estimators", 100), 100)
        return 1e-8 * trees * r * math.log2(max(r, 2)) * f
    if name.startswith(("SVR", "SVC", "NuSVR", "NuSVC", "KNeighbors")):
        return 2e-9 * r * r * f / 100
    if name.startswith("MLP"):
        hidden = _param(model, "hidden_layer_sizes", (100,))
        sizes = hidden if isinstance(hidden, (list, tuple)) else (hidden,)
        width = sum(_number(h, 100) for h in sizes)
        iters = _number(_param(model, "max_iter", 200), 200)
        return 2e-7 * r * f * width / 100 * iters / 200
    # Ridge (measured: 0.052 s for 2,752 x 597 with 1 thread), and anything unknown
    return 3.2e-8 * r * f


def _fit_seconds(branch: ConcreteBranch, n_rows: int, n_features: int) -> float:
    """One fit + predict of the branch's whole chain, without tuning trials."""
    r, f = float(max(n_rows, 1)), float(max(n_features, 1))
    seconds = _model_seconds(branch.model, r, f)
    for step in branch.preprocessing:
        if step.enabled:
            # the step's registry entry says how heavy it is (ALS: 10, arPLS: 800)
            factor = work_of(step.estimator if step.estimator is not None
                             else _class_name(step))
            seconds += factor * 2e-8 * r * f
    return seconds


def _n_trials(branch: ConcreteBranch) -> int:
    ft = branch.model.finetune
    if not ft:
        return 1
    return max(1, int(_number(ft.get("n_trials", DEFAULT_N_TRIALS), DEFAULT_N_TRIALS)))


def estimate_task_seconds(branch: ConcreteBranch, n_rows: int, n_features: int) -> float:
    """Rough wall seconds of one (branch, fold) task fitting on ``n_rows`` x ``n_features``.

    These are order-of-magnitude estimates, calibrated on a 2-core machine with scikit-learn
    1.9: good enough to tell 0.01 s from 10 s of work (the too-small rule) and to start the
    longest tasks first (the executor), not to predict a run's duration. A finetuned branch
    costs one fit per trial.
    """
    return _fit_seconds(branch, n_rows, n_features) * _n_trials(branch)


def _n_splits(branch: ConcreteBranch) -> int:
    splitter = branch.splitter.estimator if branch.splitter is not None else None
    value = getattr(splitter, "n_splits", None)
    if not isinstance(value, numbers.Integral) or isinstance(value, bool):
        try:
            value = splitter.get_n_splits()
        except Exception:  # noqa: BLE001 - splitters needing X or groups: assume the default
            value = None
    if not isinstance(value, numbers.Integral) or isinstance(value, bool) or value < 1:
        return DEFAULT_N_SPLITS
    return int(value)


def _branch_work(branch: ConcreteBranch, data: DataFacts) -> tuple[float, int]:
    """(estimated seconds, number of tasks) of cross-validating and refitting one branch."""
    k = _n_splits(branch)
    fold_rows = round(data.n_train * (k - 1) / k) if k >= 2 else data.n_train
    folds = k * estimate_task_seconds(branch, fold_rows, data.n_features)
    refit = _fit_seconds(branch, data.n_train, data.n_features)
    return folds + refit, k * _n_trials(branch) + 1


def _too_small(active: list[ConcreteBranch], workers: int, ctx: _Context) -> Reason | None:
    """Sequential when parallelism would save less time than the workers cost."""
    work, tasks = 0.0, 0
    for branch in active:
        seconds, n = _branch_work(branch, ctx.data)
        work, tasks = work + seconds, tasks + n
    cold = ctx.machine.pool_warm_workers < workers
    cost = (COLD_START_SECONDS if cold else WARM_START_SECONDS) + TASK_OVERHEAD_SECONDS * tasks
    if work - work / workers >= cost:
        return None
    what = "starting" if cold else "the overhead of"
    return _sequential_because("too_small", f"about {work:.2g} s of work, less than {what} "
                                            f"{_plural(workers, 'worker')} (~{cost:.1g} s)")


def _cost_class(step: StepSpec) -> str | None:
    """The registry's cost class of a step ("blas", "threads", ...; engine.registry.cost_of):
    one table says which models are BLAS-bound, for the policy and for every other reader."""
    est = step.estimator
    return cost_of(est if est is not None and not isinstance(est, type) else step.class_name)


def _blas_bound(active: list[ConcreteBranch], ctx: _Context) -> Reason | None:
    """Sequential for large matrices when every model is BLAS-dominated.

    The largest task (the refit on all training rows) is compared with the threshold.
    """
    elements = ctx.data.n_train * ctx.data.n_features
    if not active or elements < BLAS_BOUND_MIN_ELEMENTS:
        return None
    if not all(_cost_class(b.model) == "blas" for b in active):
        return None
    return _sequential_because("blas_bound", "BLAS-bound models on large matrices use both "
                                             "cores in one process; a second process does not "
                                             "speed them up")


# -- Optuna trials ------------------------------------------------------------------------------


def _trial_request(branch: ConcreteBranch) -> int:
    """finetune_params n_jobs of the branch's model (1 when it is not tuned)."""
    ft = branch.model.finetune
    if not ft:
        return 1
    value = ft.get("n_jobs", 1)
    if isinstance(value, bool) or not isinstance(value, numbers.Integral):
        return 1
    return int(value)


def _resolve_nesting(plan: GroupPlan, active: list[ConcreteBranch], workers: int,
                     ctx: _Context) -> bool:
    """Parallel branches whose trials are parallel too: keep one level (seed guide).

    With at least as many branches as CPUs the branches alone fill the machine: keep them
    parallel and run trials one at a time. Otherwise trials use the cores better (more of
    them than branches): branches run one after the other, trials in parallel.
    Returns False when the branches must run sequentially.
    """
    tuned = {b.id: _trial_request(b) for b in active if _trial_request(b) != 1}
    if not tuned:
        return True
    cpus = ctx.cpus
    trials = max(cpus if n == -1 else n for n in tuned.values())
    head = (f"{workers} branches x {trials} trials = {workers * trials} processes on "
            f"{_plural(cpus, 'CPU')}")
    facts = {"workers": workers, "trials": trials}
    if len(active) >= cpus:
        plan.reasons.append(Reason("nested_parallelism", "warning", None,
                                   f"{head}: trials run with n_jobs=1", FIX_NESTED, data=facts))
        return True
    per_trial = min(trials, cpus)
    plan.reasons.append(Reason("nested_parallelism", "warning", None,
                               f"{head}: branches run sequentially, trials with "
                               f"n_jobs={per_trial}", FIX_NESTED, data=facts))
    return False


def _trials_too_small(branch: ConcreteBranch, k: int, ctx: _Context) -> Reason | None:
    """Parallel trials pay only if the fitting time they save exceeds starting the workers
    plus the per-task round trips (the same rule as for branches)."""
    n_tasks = _n_trials(branch) * _n_splits(branch)
    work = n_tasks * _fit_seconds(branch, round(ctx.data.n_train * 0.8), ctx.data.n_features)
    cold = ctx.machine.pool_warm_workers < k
    cost = (COLD_START_SECONDS if cold else WARM_START_SECONDS) + TASK_OVERHEAD_SECONDS * n_tasks
    if work - work / k >= cost:
        return None
    return Reason("trials_too_small", "info", branch.id,
                  f"Branch {branch.id}: about {work:.2g} s of fitting in all trials, less than "
                  f"parallel trials would cost (~{cost:.1g} s): trials run with n_jobs=1",
                  path=branch.model.path, data={"trials": k, "step": branch.model.path})


def _assign_trials(plan: GroupPlan, active: list[ConcreteBranch], ctx: _Context,
                   quiet_caps: bool = False) -> None:
    """trial_n_jobs for branches that run one after the other: each branch may use the CPUs
    for its trials, but no more than there are, not on top of a model's own threads, and not
    more processes than memory holds."""
    cpus, fit = ctx.cpus, _processes_that_fit(ctx)
    short_of_memory: list[int] = []
    wanted = 0
    for branch in active:
        asked = _trial_request(branch)
        if asked == 1:
            continue
        k = cpus if asked == -1 else min(asked, cpus)
        model = branch.model.path
        if asked > cpus and not quiet_caps:
            plan.reasons.append(Reason(
                "trials_capped", "info", branch.id,
                f"Branch {branch.id}: finetune n_jobs={asked} asked on "
                f"{_plural(cpus, 'usable CPU')}: trials run with n_jobs={cpus}",
                path=model, data={"asked": asked, "n_jobs": cpus, "step": model}))
        findings = _findings(branch)
        if k > 1 and findings:
            first = findings[0]
            plan.reasons.append(Reason(
                "nested_parallelism", "warning", branch.id,
                f"Branch {branch.id} {first.detail} and asks for {k} parallel trials: "
                "trials run with n_jobs=1", first.fix, path=first.step,
                data={**first.data, "cause": first.code, "trials": k}))
            k = 1
        if k > 1:
            reason = _trials_too_small(branch, k, ctx)
            if reason is not None:
                plan.reasons.append(reason)
                k = 1
        if k > max(1, fit):
            short_of_memory.append(branch.id)
            wanted = max(wanted, k)
            k = max(1, fit)
        plan.trial_n_jobs[branch.id] = k
    if short_of_memory:
        tail = "trials run one at a time" if fit < 2 else f"trials run with n_jobs={fit}"
        ids = ", ".join(map(str, short_of_memory))
        one = short_of_memory[0] if len(short_of_memory) == 1 else None
        model = next(b.model.path for b in active if b.id == one) if one is not None else None
        plan.reasons.append(Reason(
            "memory", "warning", one,
            f"{_memory_text(wanted, 'parallel trials', ctx)} (branch {ids}): {tail}",
            FIX_MEMORY, path=model,
            data={"trials": True, "branches": list(short_of_memory), "fits": max(1, fit)}))


# -- what a branch's estimators do on their own ------------------------------------------------


@dataclass(frozen=True)
class _Component:
    """One estimator object of a step: the step itself or an estimator nested in it."""

    name: str              # class name
    module: str            # defining module ("" when unknown)
    params: dict[str, Any]  # its own (shallow) parameters
    inside: str | None     # class name of the step it is nested in, None for the step itself

    @property
    def label(self) -> str:
        return f"{self.name} in {self.inside}" if self.inside else self.name

    @property
    def root(self) -> str:
        return self.module.split(".", 1)[0]


@dataclass(frozen=True)
class _Finding:
    code: str
    detail: str   # "uses n_jobs=-1 (RandomForestRegressor)": follows "Branch 2 "
    fix: str
    step: Address | None = None                     # the step that shows it
    data: dict[str, Any] = field(default_factory=dict, compare=False, hash=False)


def _shallow_params(obj: Any) -> dict[str, Any]:
    try:
        return dict(obj.get_params(deep=False))
    except Exception:  # noqa: BLE001 - a third-party get_params failed: nothing to read
        return {}


def _components(step: StepSpec) -> list[_Component]:
    """The step's estimator and every estimator nested in it (meta-estimators, pipelines,
    voting/stacking members), read from the live object; the spec params if there is none."""
    est = step.estimator
    if est is None or isinstance(est, type) or not callable(getattr(est, "get_params", None)):
        module = step.class_name.rpartition(".")[0]
        if not module:
            from engine.registry import get_entry
            entry = get_entry(step.class_name)
            module = entry.path.rpartition(".")[0] if entry else ""
        return [_Component(step.class_name.rsplit(".", 1)[-1], module, dict(step.params), None)]
    outer = type(est).__name__
    out = [_Component(outer, type(est).__module__ or "", _shallow_params(est), None)]
    try:
        deep = est.get_params(deep=True)
    except Exception:  # noqa: BLE001 - a third-party get_params failed: no nested estimators
        deep = {}
    for value in deep.values():
        if not isinstance(value, type) and callable(getattr(value, "get_params", None)):
            out.append(_Component(type(value).__name__, type(value).__module__ or "",
                                  _shallow_params(value), outer))
    return out


def _is_int(value: Any) -> bool:
    return isinstance(value, numbers.Integral) and not isinstance(value, bool)


def _threads(comp: _Component) -> tuple[str, Any, str] | None:
    """(key, value, text such as "n_jobs=-1") when the component runs its own
    threads/processes, else None.

    n_jobs -1 or > 1 (or < -1: all but some) anywhere; for xgboost/lightgbm/catboost also a
    thread setting left at None/0, which those libraries read as "all cores", unless another
    thread setting of the object is explicitly 1.
    """
    library = comp.root in MULTITHREADED_ROOTS
    default_all: tuple[str, Any] | None = None
    explicit_one = False
    for key in THREAD_KEYS:
        if key not in comp.params:
            continue
        value = comp.params[key]
        if _is_int(value):
            if value > 1 or value < 0:
                return key, int(value), f"{key}={int(value)}"
            explicit_one = explicit_one or value == 1
            if value == 0 and library and default_all is None:
                default_all = (key, 0)
        elif value is None and library and default_all is None:
            default_all = (key, None)
    if default_all and not explicit_one:
        key, value = default_all
        return key, value, f"{key}={value}, all cores"
    return None


def _is_neural(comp: _Component) -> bool:
    if comp.root in NEURAL_ROOTS:
        return True
    return comp.module.startswith("sklearn.neural_network") and comp.name.startswith("MLP")


def _gpu(comp: _Component) -> tuple[str, Any] | None:
    """(key, value), e.g. ("device", "cuda"), when a parameter puts the component on a GPU,
    else None."""
    for key, value in comp.params.items():
        k = key.lower()
        if isinstance(value, str):
            v = value.lower()
            hit = ((k in ("device", "devices", "device_type")
                    and (v in ("gpu", "mps") or v.startswith("cuda")))
                   or (k in ("tree_method", "predictor") and v.startswith("gpu"))
                   or (k == "task_type" and v == "gpu"))
        else:
            hit = ((k == "use_gpu" and value is True)
                   or (k == "gpu_id" and _is_int(value) and value >= 0))
        if hit:
            return key, value
    return None


def _findings(branch: ConcreteBranch) -> list[_Finding]:
    """What stops this branch from sharing the CPUs with others: at most one finding per
    kind (own threads, neural network, GPU), from the first step that shows it."""
    found: dict[str, _Finding] = {}
    for step in branch.steps:
        if not step.enabled:
            continue
        for comp in _components(step):
            where = {"step": step.path, "nested": comp.inside is not None}
            threads = _threads(comp)
            if threads and "model_n_jobs" not in found:
                key, value, text = threads
                found["model_n_jobs"] = _Finding("model_n_jobs",
                                                 f"uses {text} ({comp.label})",
                                                 FIX_MODEL_N_JOBS, step.path,
                                                 {"key": key, "value": value, **where})
            if _is_neural(comp) and "neural_network" not in found:
                found["neural_network"] = _Finding("neural_network",
                                                   f"uses a neural network ({comp.label})",
                                                   FIX_NEURAL, step.path, where)
            gpu = _gpu(comp)
            if gpu and "gpu" not in found:
                key, value = gpu
                found["gpu"] = _Finding("gpu", f"uses the GPU ({key}={value!r}, {comp.label})",
                                        FIX_GPU, step.path, {"key": key, "value": value, **where})
    return list(found.values())
