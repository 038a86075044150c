"""parse_pipeline: a pipeline spec (JSON text/file, dict/list, Python objects) -> branches.

Why one entry point for every form: the GUI editor, the CLI (a .json file) and user scripts
(estimator objects, as in the nirs4all seed guide) must agree on what a spec means; they all
go through the same validation, get the same SpecError messages (with ``where``), and get
back the same normal JSON form, which is what a project stores.

Normal form (``ExpandedPipeline.spec``; json.dumps of a normal-form input round-trips):

* the top level keeps its shape: a list of steps, or {"name", "steps", ...} in input key order;
* a step is "Name" when it has no params, else {"class": name, "params": {...}} (params
  only if non-empty, "enabled": false only if disabled); names are registry names, or
  allow-listed dotted paths for other classes;
* a tuned model is {"model": {"class"[, "params"]}, "finetune_params": {...}} (tuples of
  the Python API become lists);
* a branch step keeps its keys in input order ("enabled" only when false); list lanes stay
  lists; ``_or_`` alternatives keep their shape (a step, a list of steps, or null = no step).
"""
from __future__ import annotations

import copy
import json
import numbers
import os
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from engine.errors import SpecError
from engine.pipeline.branches import BranchGroup, ExpandedPipeline
from engine.pipeline.expand import BranchNode, Node, StepNode, expand
from engine.pipeline.limits import (
    MAX_NESTING,
    check_alternatives,
    check_branch_count,
    check_json_depth,
    nesting_error,
)
from engine.pipeline.steps import default_splitter, parse_step, type_name, where_of

__all__ = ["SpecStructure", "expand_structure", "json_step", "load_spec", "parse_pipeline",
           "parse_structure"]

_TOP_KEYS = ("name", "steps", "description", "schema")
_BRANCH_KEYS = ("branch", "parallel", "n_jobs", "enabled")


def parse_pipeline(spec: Any, *, name: str | None = None) -> ExpandedPipeline:
    """Validate and expand a pipeline spec.

    ``spec`` is a list of steps, {"name": ..., "steps": [...]}, a JSON string of either, or
    the path (str or Path) of a .json file holding one. ``name`` overrides the spec's name
    (default: the spec's "name", else the file stem, else "pipeline").
    Raises SpecError (a NirdeskInputError) for anything invalid; for a file, ``where``
    starts with the file path (``path`` stays the step's address inside the spec).
    """
    if name is not None and not isinstance(name, str):
        raise SpecError(f"name must be a string, got {type_name(name)}")
    data, source = _load(spec)
    try:
        return _parse(data, name, Path(source).stem if source else None)
    except SpecError as exc:
        if source is None:
            raise
        where = f"{source}, {exc.where}" if exc.where else source
        raise SpecError(exc.message, where=where, path=exc.path) from None


def _load(spec: Any) -> tuple[Any, str | None]:
    """(decoded spec, file path or None)."""
    path: Path | None = None
    if isinstance(spec, os.PathLike):
        path = Path(spec)
    elif isinstance(spec, str):
        if spec.lstrip().startswith(("[", "{")):
            return _decode(spec, None), None
        path = Path(spec)
        if not path.is_file():
            raise SpecError(f"not a JSON pipeline and no such file: {spec!r}")
    else:
        return spec, None
    try:
        text = path.read_text(encoding="utf-8")
    except (OSError, UnicodeDecodeError) as exc:
        raise SpecError(f"cannot read the pipeline file: {exc}", where=str(path)) from None
    return _decode(text, str(path)), str(path)


def _decode(text: str, source: str | None) -> Any:
    try:
        return json.loads(text)
    except json.JSONDecodeError as exc:
        raise SpecError(f"invalid JSON: {exc.msg} at line {exc.lineno}, column {exc.colno}",
                        where=source) from None
    except RecursionError:  # deeper than the JSON reader follows: far beyond the limit
        raise SpecError(f"the pipeline is nested too deeply to read (at most {MAX_NESTING} "
                        "branch steps inside each other)", where=source) from None


@dataclass
class SpecStructure:
    """A validated spec before expansion: what an editor needs from a half-built pipeline.

    nodes    the parse tree (StepNode / BranchNode)
    groups   the branch steps, numbered in spec order
    normal   the normal form (module docstring)
    name     the spec's own "name", if any
    """

    nodes: list[Node]
    groups: list[BranchGroup]
    normal: Any
    name: str | None


def load_spec(spec: Any) -> tuple[Any, str | None]:
    """(decoded spec, source file or None) for any input parse_pipeline accepts."""
    return _load(spec)


def parse_structure(data: Any) -> SpecStructure:
    """Validate the top level and every step of a decoded spec, without requiring a complete
    pipeline: an empty pipeline or a lane without a model is a normal state while editing
    (expand_structure reports it). Raises SpecError naming the step for anything invalid."""
    spec_name = None
    check_json_depth(data)  # before anything below recurses into it
    if isinstance(data, dict):
        if "steps" not in data:
            if {"branch", "class", "model"} & set(data):
                raise SpecError("a pipeline is a list of steps; put this step in a list [...]")
            raise SpecError("a pipeline object needs 'steps' (a list of steps)")
        for key in data:
            if key not in _TOP_KEYS:
                raise SpecError(f"unknown key {key!r} in the pipeline (valid keys: "
                                f"{', '.join(_TOP_KEYS)})")
        spec_name = data.get("name")
        if spec_name is not None and not isinstance(spec_name, str):
            raise SpecError(f"'name' must be a string, got {type_name(spec_name)}")
        steps_value = data["steps"]
    elif isinstance(data, (list, tuple)):
        steps_value = data
    else:
        raise SpecError("a pipeline is a list of steps or {\"name\": ..., \"steps\": [...]}; "
                        f"got {type_name(data)}")
    builder = _TreeBuilder()
    nodes, steps_json = builder.steps(steps_value, ())
    if isinstance(data, dict):
        normal: Any = {k: (steps_json if k == "steps" else copy.deepcopy(data[k])) for k in data}
    else:
        normal = steps_json
    return SpecStructure(nodes, builder.groups, normal, spec_name)


def expand_structure(structure: SpecStructure, name: str) -> ExpandedPipeline:
    """The concrete branches of a validated spec; SpecError when it cannot run yet (no step,
    a lane that ends without a model, ...)."""
    if not structure.nodes:
        raise SpecError("model missing: the pipeline has no steps")
    check_branch_count(structure.nodes)  # counted, not made: a huge generator costs nothing
    branches = expand(structure.nodes, structure.groups, default_splitter())
    return ExpandedPipeline(name=name, branches=branches, groups=structure.groups,
                            spec=structure.normal)


def json_step(step: Any) -> Any:
    """One step in any accepted form (name, dict, class, estimator) in its JSON normal form."""
    _, steps_json = _TreeBuilder().steps([step], ())
    return steps_json[0]


def _parse(data: Any, name: str | None, file_stem: str | None) -> ExpandedPipeline:
    structure = parse_structure(data)
    return expand_structure(structure, name or structure.name or file_stem or "pipeline")


class _TreeBuilder:
    """Parses steps into StepNode/BranchNode trees, numbering branch steps in spec order.

    Every node, group and error carries its address (``path``: 0-based step and lane
    indices, the editor's addresses); the readable ``where`` is made from it (where_of).
    """

    def __init__(self) -> None:
        self.groups: list[BranchGroup] = []
        self._parents: list[int] = []

    def steps(self, value: Any, path: tuple[int, ...], enabled: bool = True
              ) -> tuple[list[Node], list[Any]]:
        """The steps of the container at ``path`` (() = the top level, else a lane)."""
        if not isinstance(value, (list, tuple)):
            raise SpecError(f"steps must be a list, got {type_name(value)}",
                            where=where_of(path) or None, path=path or None)
        nodes: list[Node] = []
        out: list[Any] = []
        for k, item in enumerate(value):
            step_path = path + (k,)
            node: Node
            if isinstance(item, dict) and "branch" in item:
                node, js = self.branch(item, step_path, enabled)
            else:
                step, js = parse_step(item, step_path, enabled)
                node = StepNode(step, where_of(step_path, step.class_name), step_path)
            nodes.append(node)
            out.append(js)
        return nodes, out

    def branch(self, item: dict, path: tuple[int, ...], enabled: bool
               ) -> tuple[BranchNode, dict]:
        where = where_of(path, "branch")

        def error(message: str) -> SpecError:
            return SpecError(message, where=where, path=path)

        if len(self._parents) >= MAX_NESTING:
            raise nesting_error(path)
        for key in item:
            if key not in _BRANCH_KEYS:
                raise error(f"unknown key {key!r} in branch step (valid keys: "
                            f"{', '.join(_BRANCH_KEYS)})")
        parallel = item.get("parallel", False)
        if not isinstance(parallel, bool):
            raise error(f"'parallel' must be true or false, got {type_name(parallel)}")
        n_jobs = item.get("n_jobs", 1)
        if isinstance(n_jobs, bool) or not isinstance(n_jobs, numbers.Integral):
            raise error(f"'n_jobs' must be an integer (1 = sequential, N workers, -1 = "
                        f"auto), got {type_name(n_jobs)}")
        n_jobs = int(n_jobs)  # numpy integers from Python specs
        if n_jobs != -1 and n_jobs < 1:
            raise error(f"'n_jobs' must be -1 (auto) or >= 1, got {n_jobs}")
        own = item.get("enabled", True)
        if not isinstance(own, bool):
            raise error(f"'enabled' must be true or false, got {type_name(own)}")
        group = BranchGroup(index=len(self.groups), where=where_of(path), parallel=parallel,
                            n_jobs=n_jobs, parent=self._parents[-1] if self._parents else None,
                            path=path)
        self.groups.append(group)
        self._parents.append(group.index)
        try:
            lanes, lanes_json = self._lanes(item["branch"], path, error, enabled and own)
        finally:
            self._parents.pop()
        values = {"branch": lanes_json, "parallel": parallel, "n_jobs": n_jobs, "enabled": own}
        out = {key: values[key] for key in item if key != "enabled" or not own}
        return BranchNode(group=group.index, where=group.where, lanes=lanes, path=path), out

    def _lanes(self, value: Any, path: tuple[int, ...], error: Callable[[str], SpecError],
               enabled: bool) -> tuple[list[list[Node]], Any]:
        lanes: list[list[Node]] = []
        if isinstance(value, dict):
            if "_or_" not in value or len(value) != 1:
                extra = ", ".join(repr(k) for k in value if k != "_or_") or "none"
                raise error("a generator branch is {\"_or_\": [step, ...]}; only '_or_' is "
                            f"supported (other keys: {extra})")
            alternatives = value["_or_"]
            if not isinstance(alternatives, (list, tuple)):
                raise error(f"'_or_' must be a list of alternatives, got "
                            f"{type_name(alternatives)}")
            if not alternatives:
                raise error("generator produces nothing: '_or_' is empty")
            check_alternatives(len(alternatives), where_of(path, "branch"), path)
            alts_json: list[Any] = []
            for k, alt in enumerate(alternatives):
                lane_path = path + (k,)
                nodes: list[Node]
                if alt is None:
                    nodes, js = [], None
                elif isinstance(alt, (list, tuple)):
                    nodes, js = self.steps(alt, lane_path, enabled)
                else:
                    nodes, one = self.steps([alt], lane_path, enabled)
                    js = one[0]
                lanes.append(nodes)
                alts_json.append(js)
            return lanes, {"_or_": alts_json}
        if not isinstance(value, (list, tuple)):
            raise error("'branch' must be a list of branches (each a list of steps) or "
                        f"{{\"_or_\": [...]}}; got {type_name(value)}")
        if not value:
            raise error("branch step has no branches: 'branch' is an empty list")
        lanes_json: list[Any] = []
        for k, lane in enumerate(value):
            lane_path = path + (k,)
            if not isinstance(lane, (list, tuple)):
                raise SpecError(f"each branch must be a list of steps, got {type_name(lane)} "
                                "(wrap a single step in [...])", where=where_of(lane_path),
                                path=lane_path)
            nodes, js = self.steps(lane, lane_path, enabled)
            lanes.append(nodes)
            lanes_json.append(js)
        return lanes, lanes_json
