"""Expansion of a parsed step tree into concrete branches (docs/design.md "Pipeline spec").

Rules, applied depth-first so that ids follow the spec's reading order (a lane's results,
including those of its continuation, come before the next lane's):

* Steps run in order. An operator is appended to the current chain; a splitter replaces the
  current splitter; a model records a leaf (chain so far + model, with the current splitter or
  the default KFold) and passes the chain on unchanged.
* A branch step runs each lane on a copy of the current chain. A lane that is *complete* (its
  last step is a model, or a branch step whose lanes are all complete) ends there; any other
  lane (ending in an operator or a splitter, or empty) continues with the steps after the
  branch step.
* If every lane of a branch step is complete, the steps after it continue from the chain as
  it was before the branch step (so consecutive groups of complete lanes each start from the
  same data: the seed guide's "Mixed Strategy").
* Afterwards every lane, operator and enabled splitter must have reached a model; otherwise
  the spec is refused ("model missing" / "splitter has no model after it").

The structure ignores ``enabled``: disabling a step never renumbers branches; the runner
skips disabled steps (and branches whose model is disabled).
"""
from __future__ import annotations

import dataclasses
from collections.abc import Callable, Iterator
from dataclasses import dataclass

from engine.errors import SpecError
from engine.pipeline.branches import BranchGroup, ConcreteBranch, StepSpec
from engine.pipeline.steps import where_of

__all__ = ["BranchNode", "StepNode", "expand"]


@dataclass(eq=False)
class StepNode:
    """An operator, model or splitter step at one place of the spec.

    ``path`` is its address (0-based step/lane indices, see SpecError.path); ``where`` the
    readable form of it, with the class name."""

    step: StepSpec
    where: str
    path: tuple[int, ...] = ()


@dataclass(eq=False)
class BranchNode:
    """A branch step; ``group`` indexes the BranchGroup list, lanes hold parsed steps;
    ``path`` is its address (lane k is ``path + (k,)``)."""

    group: int
    where: str
    lanes: list[list[Node]]
    path: tuple[int, ...] = ()


Node = StepNode | BranchNode


def is_complete(nodes: list[Node]) -> bool:
    """Whether a step list ends in a model (directly or through all lanes of a final
    branch step), so that nothing continues after it."""
    if not nodes:
        return False
    last = nodes[-1]
    if isinstance(last, BranchNode):
        return all(is_complete(lane) for lane in last.lanes)
    return last.step.kind == "model"


@dataclass(frozen=True)
class _Path:
    """A chain under construction: the state one lane of data carries along."""

    steps: tuple[StepSpec, ...] = ()
    ops: tuple[StepNode, ...] = ()
    splitter: StepNode | None = None
    group: int | None = None
    lane: int | None = None
    groups: tuple[int, ...] = ()
    lanes: tuple[tuple[int, int], ...] = ()


class _Expander:
    def __init__(self, groups: list[BranchGroup], default_splitter: StepSpec) -> None:
        self.groups = groups
        self.default_splitter = default_splitter
        self.branches: list[ConcreteBranch] = []
        self.used: set[int] = set()                    # id() of nodes that reached a model
        self.used_lanes: set[tuple[int, int]] = set()  # (group, 1-based lane)

    def run(self, nodes: list[Node], i: int, path: _Path,
            cont: Callable[[_Path], None]) -> None:
        while i < len(nodes):
            node = nodes[i]
            if isinstance(node, BranchNode):
                self._branch(nodes, i, node, path, cont)
                return
            step = node.step
            if step.kind == "model":
                self._leaf(path, node)
            elif step.kind == "splitter":
                if step.enabled:
                    path = dataclasses.replace(path, splitter=node)
            else:
                path = dataclasses.replace(path, steps=path.steps + (step,),
                                           ops=path.ops + (node,))
            i += 1
        if not is_complete(nodes):  # a list ending in a model stops here
            cont(path)

    def _branch(self, nodes: list[Node], i: int, node: BranchNode, path: _Path,
                cont: Callable[[_Path], None]) -> None:
        def after(p: _Path) -> None:
            self.run(nodes, i + 1, p, cont)

        for lane_no, lane in enumerate(node.lanes, 1):
            lane_path = dataclasses.replace(
                path, groups=path.groups + (node.group,),
                lanes=path.lanes + ((node.group, lane_no),))
            if lane_path.group is None:
                lane_path = dataclasses.replace(lane_path, group=node.group, lane=lane_no)
            self.run(lane, 0, lane_path, after)
        if i + 1 < len(nodes) and all(is_complete(lane) for lane in node.lanes):
            self.run(nodes, i + 1, path, cont)

    def _leaf(self, path: _Path, node: StepNode) -> None:
        steps = list(path.steps) + [node.step]
        splitter = path.splitter.step if path.splitter else self.default_splitter
        branch = ConcreteBranch(id=len(self.branches) + 1,
                                name=" > ".join(s.label() for s in steps),
                                steps=steps, splitter=splitter,
                                group=path.group, lane=path.lane,
                                splitter_is_default=path.splitter is None)
        self.branches.append(branch)
        for g in path.groups:
            self.groups[g].branch_ids.append(branch.id)
        self.used.update(id(n) for n in path.ops)
        self.used.add(id(node))
        if path.splitter is not None:
            self.used.add(id(path.splitter))
        self.used_lanes.update(path.lanes)


def _walk(nodes: list[Node], used_lanes: set[tuple[int, int]]
          ) -> Iterator[tuple[tuple[int, ...], StepNode | None]]:
    """(lane path, None) for lanes no chain got through, (step path, node) for the steps of
    the other lanes; in spec order. A dead lane is reported once, not its steps."""
    for node in nodes:
        if isinstance(node, BranchNode):
            for lane_no, lane in enumerate(node.lanes, 1):
                if (node.group, lane_no) not in used_lanes:
                    yield node.path + (lane_no - 1,), None
                else:
                    yield from _walk(lane, used_lanes)
        else:
            yield node.path, node


def expand(nodes: list[Node], groups: list[BranchGroup], default_splitter: StepSpec
           ) -> list[ConcreteBranch]:
    """All concrete branches of the tree, in expansion order; fills ``branch_ids`` of the
    groups. Raises SpecError when some lane/step never reaches a model."""
    ex = _Expander(groups, default_splitter)
    ex.run(nodes, 0, _Path(), lambda p: None)
    dead_lanes: list[tuple[int, ...]] = []
    dead_ops: list[StepNode] = []
    dead_splitters: list[StepNode] = []
    for path, node in _walk(nodes, ex.used_lanes):
        if node is None:
            dead_lanes.append(path)
        elif id(node) not in ex.used:
            if node.step.kind == "operator":
                dead_ops.append(node)
            elif node.step.kind == "splitter" and node.step.enabled:
                dead_splitters.append(node)
    lanes = [where_of(path) for path in dead_lanes]
    if not ex.branches:
        msg = ("model missing: the pipeline has no model step "
               "(add one, e.g. {\"class\": \"PLSRegression\"})")
        if lanes:
            msg += "; branches that never reach a model: " + ", ".join(lanes)
        raise SpecError(msg)
    if dead_lanes:
        more = f"; same for {', '.join(lanes[1:])}" if len(lanes) > 1 else ""
        raise SpecError("model missing: this branch ends in preprocessing and no model "
                        f"follows it (add a model to it or after the branch step){more}",
                        where=lanes[0], path=dead_lanes[0])
    if dead_ops:
        raise SpecError("model missing: no model uses the output of this step (add a model "
                        "after it or remove it)", where=dead_ops[0].where,
                        path=dead_ops[0].path)
    if dead_splitters:
        raise SpecError("splitter has no model after it (a splitter applies to the models "
                        "that follow it, until the next splitter)",
                        where=dead_splitters[0].where, path=dead_splitters[0].path)
    return ex.branches
