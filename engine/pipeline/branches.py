"""What the pipeline parser produces: concrete branches ready to be cross-validated.

The parser (engine.pipeline.spec) turns the nested JSON/Python spec of docs/design.md into a flat
list of ConcreteBranch objects. Each one is a linear chain (preprocessing..., model) with the
splitter that applies to it, so that the executor can cut it into (branch, fold) tasks.
BranchGroup records every branch step so the parallel policy can decide per group.
"""
from __future__ import annotations

import copy
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:  # pragma: no cover
    from sklearn.pipeline import Pipeline



@dataclass
class StepSpec:
    """One resolved step.

    kind        "operator" (preprocessing/scaling), "model" or "splitter"
    class_name  the registry short name (e.g. "SNV", "PLSRegression") or an allow-listed
                dotted path; this is what is written back to JSON
    params      the parameters given explicitly in the spec (JSON-able values)
    estimator   an unfitted template instance; always clone() it before fitting
    finetune    normalised finetune_params for a model step, else None
    enabled     False when the user disabled the step in the editor (skipped when running)
    path        the step's address in the spec (0-based step/lane indices, the editor's
                addresses; see SpecError.path), None for steps the spec does not hold (the
                default splitter). One StepSpec object sits at exactly one place, even when
                several branches share it, so ``path`` finds the card of any branch step.
                Not compared: the same step at two places is still the same step.
    """

    kind: str
    class_name: str
    params: dict[str, Any]
    estimator: Any
    finetune: dict[str, Any] | None = None
    enabled: bool = True
    path: tuple[int, ...] | None = field(default=None, compare=False)

    def label(self) -> str:
        """Readable form used in branch names: "SNV", "PLSRegression(n_components=10)"."""
        if not self.params:
            return self.class_name
        args = ", ".join(f"{k}={v!r}" if isinstance(v, str) else f"{k}={v}"
                         for k, v in self.params.items())
        return f"{self.class_name}({args})"

    def to_json(self) -> dict[str, Any] | str:
        """The normal JSON step form of docs/design.md, as the parser writes it back.

        A bare name when there are no params (and the step is enabled); else
        {"class", "params" (only if non-empty), "enabled": false (only if disabled)};
        a tuned model is {"model": {"class"[, "params"]}, "finetune_params"[, "enabled"]}.
        """
        if self.kind == "model" and self.finetune is not None:
            inner: dict[str, Any] = {"class": self.class_name}
            if self.params:
                inner["params"] = copy.deepcopy(self.params)
            out: dict[str, Any] = {"model": inner,
                                   "finetune_params": copy.deepcopy(self.finetune)}
        elif not self.params and self.enabled:
            return self.class_name
        else:
            out = {"class": self.class_name}
            if self.params:
                out["params"] = copy.deepcopy(self.params)
        if not self.enabled:
            out["enabled"] = False
        return out


@dataclass
class ConcreteBranch:
    """One evaluable chain: preprocessing steps then exactly one model.

    id      1-based, in expansion order (stable for a given spec)
    group   index (0-based) of the outermost branch step this chain came from, or None
    lane    1-based lane/alternative number inside that group, or None
    splitter_is_default  True when no splitter step applies and ``splitter`` is the default
            KFold(5, shuffle=True, random_state=0), so a runner may re-seed it (--seed)
            without overriding a splitter the user wrote
    """

    id: int
    name: str
    steps: list[StepSpec]
    splitter: StepSpec
    group: int | None = None
    lane: int | None = None
    splitter_is_default: bool = False

    @property
    def model(self) -> StepSpec:
        return self.steps[-1]

    @property
    def preprocessing(self) -> list[StepSpec]:
        return self.steps[:-1]

    @property
    def enabled(self) -> bool:
        """False when the model step is disabled (or inside a disabled branch step): the
        branch keeps its id and name, but the runner should skip it."""
        return self.model.enabled

    def build_pipeline(self) -> Pipeline:
        """A fresh, unfitted sklearn Pipeline (clones of the templates, disabled steps left out)."""
        # imported here: the window's editor imports this module before it shows, and
        # scikit-learn costs ~0.8 s to import (it loads on a background thread instead)
        from sklearn.base import clone
        from sklearn.pipeline import Pipeline

        chain = [(f"{i}_{s.class_name.rsplit('.', 1)[-1].lower()}", clone(s.estimator))
                 for i, s in enumerate(self.steps) if s.enabled or s is self.model]
        return Pipeline(chain)


@dataclass
class BranchGroup:
    """One branch step of the spec, with its parallel settings as written by the user."""

    index: int
    where: str                 # e.g. "step 1" or "step 2 > branch 1 > step 1"
    parallel: bool             # the spec's "parallel" flag
    n_jobs: int                # the spec's "n_jobs" (1 = sequential, -1 = auto)
    branch_ids: list[int] = field(default_factory=list)
    parent: int | None = None  # index of the enclosing group for nested branch steps
    path: tuple[int, ...] = ()  # the branch step's address, e.g. (0,) or (1, 0, 0)


@dataclass
class ExpandedPipeline:
    name: str
    branches: list[ConcreteBranch]
    groups: list[BranchGroup]
    spec: Any                  # the normalised JSON spec (list of steps)
