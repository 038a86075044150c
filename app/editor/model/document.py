"""PipelineDocument: the editor's model, a mutable pipeline spec with observers (no Qt).

Why the spec itself is the model: what the editor shows must round-trip exactly through the
engine's pipeline spec (load -> edit nothing -> save gives the same JSON). So the document
holds nothing but the spec in the engine's normal form (engine/pipeline/spec.py docstring);
lanes and cards are views of it, every edit rewrites it, and undo is a snapshot of it.

Validation has two levels, on purpose:

* structure and steps (known classes, valid parameter names and values, well-formed branch
  steps) must hold after every edit: an edit that would break them raises ValueError and
  leaves the spec unchanged;
* completeness (every lane reaches a model, the pipeline has a model at all) is NOT
  required: an empty lane or a pipeline without a model is a normal state while editing.
  ``error()`` then returns the engine's SpecError text and ``expanded()`` returns None.

Addresses (all indexes 0-based, paths are tuples of ints):

    ()                       the top-level container (the pipeline's step list)
    (i,)                     top-level step i
    (i, lane)                lane ``lane`` of the branch step (i,)  -- a *container*
    (i, lane, j)             step j of that lane
    (i, lane, j, lane2, k)   nesting continues the same way

So a step path has odd length and a container path even length. A generator branch step
{"branch": {"_or_": [alt, ...]}} is addressed exactly like a list-lanes branch step: its
alternatives are its lanes. Alternative k is the container (i, k); an alternative written as
one step is the one-step lane [(i, k, 0)], a list alternative the lane of its steps, and a
null alternative ("no step") an empty lane. Edits keep each alternative's shape where
possible: a list stays a list; a bare step that gets a second step becomes a list; a bare
step whose only step is removed becomes null; inserting into null gives a bare step.

``move_step(path, container, index)``: ``index`` is the drop position in the target
container as it looks *before* the move (the gap between two cards), so moving step 0 of a
lane to index 2 puts it after the old step 1.

Events (callbacks get no arguments; read the document): "changed" after every edit that
changed the spec (edits that change nothing do not notify).
"""
from __future__ import annotations

import copy
import dataclasses
import json
from collections.abc import Callable
from pathlib import Path
from typing import Any

from app.model.events import Events
from engine.errors import SpecError
from engine.pipeline.branches import ExpandedPipeline, StepSpec
from engine.pipeline.expand import BranchNode, StepNode

# The parser's private pieces: the document validates structure WITHOUT expansion (an
# incomplete pipeline is a normal editing state), with exactly the parser's own code so that
# the normal form cannot drift from parse_pipeline(...).spec (a test checks they agree).
from engine.pipeline.spec import expand_structure, load_spec, parse_structure
from engine.pipeline.steps import as_json_step, step_class, step_kind, type_name

__all__ = ["KEEP", "Address", "PipelineDocument", "same_spec"]

Address = tuple[int, ...]


class _Keep:
    """Sentinel: leave this option as it is."""

    def __repr__(self) -> str:
        return "KEEP"


KEEP: Any = _Keep()


# -- the analysis of one spec --------------------------------------------------------------

class _Analysis:
    """Normal form + parse tree + expansion (or the expansion's error) of one spec."""

    def __init__(self, data: Any, file_stem: str | None) -> None:
        """Raises SpecError when the structure or a step is invalid."""
        structure = parse_structure(data)   # the engine's own validation: no second copy
        nodes = structure.nodes
        self.normal: Any = structure.normal
        self.step_paths: dict[int, Address] = {}
        self.nodes = nodes
        self._index(nodes)
        self.expanded: ExpandedPipeline | None = None
        self.error: str | None = None
        try:
            expanded = expand_structure(structure, structure.name or file_stem or "pipeline")
        except SpecError as exc:
            self.error = str(exc)
        else:
            self.expanded = dataclasses.replace(expanded, spec=copy.deepcopy(self.normal))

    def _index(self, nodes: list) -> None:
        """The engine's address of every step of this spec (the parser's addresses are the
        document's: same tuples of 0-based indices), by StepSpec identity."""
        for node in nodes:
            if isinstance(node, StepNode):
                self.step_paths[id(node.step)] = node.path
            elif isinstance(node, BranchNode):
                for lane in node.lanes:
                    self._index(lane)


# -- the document ---------------------------------------------------------------------------

class PipelineDocument:
    """A pipeline spec being edited; see the module docstring for addresses and rules."""

    def __init__(self, spec: Any = None, *, file_stem: str | None = None) -> None:
        self.events = Events(("changed",))
        self._file_stem = file_stem
        self._spec: Any = []
        self._analysis = _Analysis([], file_stem)
        if spec is not None:
            self._set(self._analyse(spec), notify=False)

    # -- construction, import/export ----------------------------------------------------
    @classmethod
    def from_spec(cls, spec: Any) -> PipelineDocument:
        """A document from a list of steps, a {"name", "steps"} dict, JSON text or a path
        (str or Path) of a .json file. Raises SpecError (one line, naming the file and the
        step) when the spec is unusable; an incomplete spec loads, with ``error()`` set."""
        data, source = load_spec(spec)
        stem = Path(source).stem if source else None
        try:
            analysis = _Analysis(data, stem)
        except SpecError as exc:
            if source is None:
                raise
            where = f"{source}, {exc.where}" if exc.where else source
            raise SpecError(exc.message, where=where, path=exc.path) from None
        doc = cls(file_stem=stem)
        doc._set(analysis, notify=False)
        return doc

    def to_spec(self) -> list | dict:
        """The spec in normal form (a deep copy)."""
        return copy.deepcopy(self._spec)

    def to_json(self, indent: int | None = 2) -> str:
        return json.dumps(self._spec, indent=indent)

    def save(self, path: str | Path) -> None:
        """Write the spec as JSON (UTF-8, trailing newline), replacing the file atomically."""
        from engine.atomic import write_text

        write_text(path, self.to_json() + "\n", what="the pipeline")

    def expanded(self) -> ExpandedPipeline | None:
        """The engine's expansion of the current spec, or None while it is incomplete."""
        return self._analysis.expanded

    def error(self) -> str | None:
        """Why the current spec cannot run yet (the engine's SpecError text), else None."""
        return self._analysis.error

    @property
    def name(self) -> str | None:
        return self._spec.get("name") if isinstance(self._spec, dict) else None

    def steps(self) -> list:
        """The top-level steps (a deep copy)."""
        return copy.deepcopy(_top(self._spec))

    # -- snapshots (undo) ----------------------------------------------------------------
    def snapshot(self) -> Any:
        """An opaque, exact copy of the current spec (JSON-able)."""
        return copy.deepcopy(self._spec)

    def restore(self, snapshot: Any) -> None:
        """Go back to a snapshot taken with :meth:`snapshot` (notifies if it differs)."""
        if same_spec(snapshot, self._spec):
            return
        self._set(self._analyse(snapshot), notify=True)

    def replace_spec(self, spec: Any) -> None:
        """Replace the whole spec (import). ValueError if it is unusable (spec unchanged)."""
        try:
            data, source = load_spec(spec)
        except SpecError as exc:
            raise ValueError(str(exc)) from None
        stem = Path(source).stem if source else self._file_stem
        try:
            analysis = _Analysis(data, stem)
        except SpecError as exc:
            raise ValueError(str(exc)) from None
        self._file_stem = stem
        self._set(analysis, notify=True)

    # -- queries ---------------------------------------------------------------------------
    def step_at(self, path: Address) -> dict | str:
        """The step at ``path`` (a deep copy of its JSON form)."""
        lane, j = self._lane_of(self._spec, self._check_step_path(path))
        return copy.deepcopy(lane[j])

    def kind_at(self, path: Address) -> str:
        """"operator", "model", "splitter", "branch" or "generator"."""
        return step_kind(self.step_at(path))

    def lanes(self, path: Address) -> int:
        """Number of lanes (alternatives for a generator) of the branch step at ``path``."""
        return len(self._branch_lanes(self._spec, path))

    def children(self, path: Address = ()) -> list[Address]:
        """Container path -> its step paths; branch step path -> its lane (container)
        paths; any other step -> []."""
        path = tuple(path)
        if len(path) % 2 == 0:
            return [path + (j,) for j in range(len(self._container(self._spec, path)))]
        item = self.step_at(path)
        if isinstance(item, dict) and "branch" in item:
            return [path + (k,) for k in range(self.lanes(path))]
        return []

    def container_len(self, container: Address) -> int:
        return len(self._container(self._spec, tuple(container)))

    def is_generator(self, path: Address) -> bool:
        return self.kind_at(path) == "generator"

    def generator_count(self, path: Address) -> int:
        """Number of alternatives (= branches it generates) of the generator step at path."""
        if not self.is_generator(path):
            raise ValueError(f"step {_fmt(path)} is not a generator branch step")
        return self.lanes(path)

    def branch_count(self) -> int:
        """Number of concrete branches the spec expands to (0 while it is incomplete)."""
        exp = self.expanded()
        return len(exp.branches) if exp is not None else 0

    def step_path(self, step: StepSpec) -> Address | None:
        """The document path of a StepSpec of ``expanded()`` (e.g. of a ConcreteBranch)."""
        return self._analysis.step_paths.get(id(step))

    def group_path(self, group_index: int) -> Address | None:
        """The document path of the branch step that BranchGroup ``group_index`` is."""
        exp = self.expanded()
        if exp is None or not 0 <= group_index < len(exp.groups):
            return None
        return exp.groups[group_index].path

    def branch_options(self, path: Address) -> dict[str, Any]:
        """{"parallel": bool|None, "n_jobs": int|None} as written (None = key absent)."""
        item = self._branch_item(self._spec, path)
        return {"parallel": item.get("parallel"), "n_jobs": item.get("n_jobs")}

    def is_enabled(self, path: Address) -> bool:
        item = self.step_at(path)
        return not (isinstance(item, dict) and item.get("enabled", True) is False)

    # -- edits -----------------------------------------------------------------------------
    def insert_step(self, container: Address, index: int, step: Any) -> None:
        """Insert ``step`` (any step form, including a branch step) at ``index``."""
        container = tuple(container)

        def edit(spec: Any) -> None:
            lane = self._container(spec, container)
            if not isinstance(index, int) or not 0 <= index <= len(lane):
                raise ValueError(f"cannot insert at position {index}: {_where_c(container)} "
                                 f"has {len(lane)} step(s)")
            lane.insert(index, as_json_step(step))
            self._store(spec, container, lane)

        self._edit(edit)

    def remove_step(self, path: Address) -> None:
        path = self._check_step_path(path)

        def edit(spec: Any) -> None:
            lane, j = self._lane_of(spec, path)
            del lane[j]
            self._store(spec, path[:-1], lane)

        self._edit(edit)

    def move_step(self, path: Address, container: Address, index: int) -> None:
        """Move a step to ``index`` of ``container`` (index as before the move, see the
        module docstring); reorder within a lane, move between lanes or levels."""
        path, target = self._check_step_path(path), tuple(container)
        if len(target) % 2:
            raise ValueError(f"{_fmt(target)} is a step, not a lane or the top level")
        if target[:len(path)] == path:
            raise ValueError(f"cannot move step {_fmt(path)} into itself")

        def edit(spec: Any) -> None:
            src, j = path[:-1], path[-1]
            dest = self._container(spec, target)  # checks the target exists
            if not isinstance(index, int) or not 0 <= index <= len(dest):
                raise ValueError(f"cannot move to position {index}: {_where_c(target)} has "
                                 f"{len(dest)} step(s)")
            lane = self._container(spec, src)
            item = lane.pop(j)
            self._store(spec, src, lane)
            tgt, idx = list(target), index
            n = len(src)
            if tgt[:n] == list(src) and len(tgt) > n and tgt[n] > j:
                tgt[n] -= 1          # an earlier sibling of an ancestor was removed
            if tuple(tgt) == src and idx > j:
                idx -= 1             # same lane: the gap moved up by one
            dest = self._container(spec, tuple(tgt))
            dest.insert(idx, item)
            self._store(spec, tuple(tgt), dest)

        self._edit(edit)

    def duplicate_step(self, path: Address) -> None:
        """Insert a copy of the step right after it."""
        path = self._check_step_path(path)

        def edit(spec: Any) -> None:
            lane, j = self._lane_of(spec, path)
            lane.insert(j + 1, copy.deepcopy(lane[j]))
            self._store(spec, path[:-1], lane)

        self._edit(edit)

    def set_enabled(self, path: Address, enabled: bool) -> None:
        """Disable a step without deleting it ("enabled": false) or enable it again."""
        if not isinstance(enabled, bool):
            raise ValueError(f"enabled must be true or false, got {enabled!r}")
        path = self._check_step_path(path)

        def edit(spec: Any) -> None:
            lane, j = self._lane_of(spec, path)
            item = lane[j]
            if isinstance(item, str):
                item = {"class": item}
            elif not isinstance(item, dict):
                raise ValueError(f"step {_fmt(path)} cannot be disabled")
            if enabled:
                item.pop("enabled", None)
            else:
                item["enabled"] = False
            lane[j] = item
            self._store(spec, path[:-1], lane)

        self._edit(edit)

    def set_params(self, path: Address, params: dict[str, Any]) -> None:
        """Replace the step's params (the model's, for a finetuned model); {} removes them."""
        if not isinstance(params, dict):
            raise ValueError(f"params must be a dict, got {type_name(params)}")
        path = self._check_step_path(path)

        def edit(spec: Any) -> None:
            lane, j = self._lane_of(spec, path)
            item = _plain_dict(lane[j], path)
            target = item.get("model", item)
            if params:
                target["params"] = copy.deepcopy(params)
                if "model" not in item:  # keep "class", "params", "enabled" order
                    item = _ordered(item, ("class", "params", "enabled"))
            else:
                target.pop("params", None)
            lane[j] = item
            self._store(spec, path[:-1], lane)

        self._edit(edit)

    def set_finetune(self, path: Address, finetune: dict[str, Any] | None) -> None:
        """Tune a model with Optuna ({"model":..., "finetune_params": finetune}) or, with
        None, turn it back into a plain model step (its fixed params are kept)."""
        from engine.pipeline.params import finetune_error

        path = self._check_step_path(path)
        if self.kind_at(path) != "model":
            raise ValueError(f"step {_fmt(path)} is not a model; only models can be tuned")
        if finetune is not None:
            if not isinstance(finetune, dict):
                raise ValueError(f"finetune must be a dict or None, got {type_name(finetune)}")
            cls_name = step_class(self.step_at(path))
            problem = finetune_error(finetune, cls_name)
            if problem:
                raise ValueError(problem)

        def edit(spec: Any) -> None:
            lane, j = self._lane_of(spec, path)
            item = _plain_dict(lane[j], path)
            inner = item.get("model", item)
            model = {"class": inner["class"]}
            if inner.get("params"):
                model["params"] = inner["params"]
            enabled = item.get("enabled", True)
            if finetune is None:
                new: dict[str, Any] = dict(model)
            else:
                new = {"model": model, "finetune_params": copy.deepcopy(finetune)}
            if enabled is False:
                new["enabled"] = False
            lane[j] = new
            self._store(spec, path[:-1], lane)

        self._edit(edit)

    def make_branch(self, container: Address, index: int, lanes: int = 2) -> None:
        """Insert an empty branch step with ``lanes`` lanes (default 2)."""
        if not isinstance(lanes, int) or lanes < 1:
            raise ValueError(f"a branch step needs at least one lane, got {lanes!r}")
        self.insert_step(container, index, {"branch": [[] for _ in range(lanes)]})

    def make_generator(self, container: Address, index: int,
                       alternatives: list | tuple = (None,)) -> None:
        """Insert a generator branch step {"branch": {"_or_": alternatives}} (default: one
        "no step" alternative, to drop steps into)."""
        alts = [None if a is None else _as_alternative(a) for a in alternatives]
        if not alts:
            raise ValueError("a generator needs at least one alternative")
        self.insert_step(container, index, {"branch": {"_or_": alts}})

    def set_generator(self, path: Address, generator: bool) -> None:
        """Turn a list-lanes branch step into a generator ({"_or_": [...]}) or back; the
        lanes become alternatives (a one-step lane a bare step, an empty lane null)."""
        path = self._check_step_path(path)

        def edit(spec: Any) -> None:
            item = self._branch_item(spec, path)
            value = item["branch"]
            if generator and isinstance(value, list):
                item["branch"] = {"_or_": [None if not lane else lane[0] if len(lane) == 1
                                           else lane for lane in value]}
            elif not generator and isinstance(value, dict):
                item["branch"] = [[] if a is None else a if isinstance(a, list) else [a]
                                  for a in value["_or_"]]

        self._edit(edit)

    def add_lane(self, path: Address, steps: list | tuple = (), index: int | None = None) -> None:
        """Add a lane (an alternative, for a generator) holding ``steps``."""
        path = self._check_step_path(path)
        new_steps = [as_json_step(s) for s in steps]

        def edit(spec: Any) -> None:
            lanes = self._branch_lanes(spec, path)
            k = len(lanes) if index is None else index
            if not isinstance(k, int) or not 0 <= k <= len(lanes):
                raise ValueError(f"cannot add a lane at position {index}: the branch step "
                                 f"{_fmt(path)} has {len(lanes)} lane(s)")
            item = self._branch_item(spec, path)
            if isinstance(item["branch"], dict):
                alt = None if not new_steps else new_steps[0] if len(new_steps) == 1 \
                    else new_steps
                item["branch"]["_or_"].insert(k, alt)
            else:
                item["branch"].insert(k, new_steps)

        self._edit(edit)

    def remove_lane(self, path: Address, lane: int) -> None:
        path = self._check_step_path(path)

        def edit(spec: Any) -> None:
            lanes = self._branch_lanes(spec, path)
            if not isinstance(lane, int) or not 0 <= lane < len(lanes):
                raise ValueError(f"the branch step {_fmt(path)} has no lane {lane}")
            if len(lanes) == 1:
                raise ValueError("a branch step needs at least one lane; delete the branch "
                                 "step instead")
            item = self._branch_item(spec, path)
            del (item["branch"]["_or_"] if isinstance(item["branch"], dict)
                 else item["branch"])[lane]

        self._edit(edit)

    def add_alternative(self, path: Address, step: Any, index: int | None = None) -> None:
        """Add an alternative (a step, a list of steps or None = "no step") to a generator."""
        path = self._check_step_path(path)
        if self.kind_at(path) != "generator":
            raise ValueError(f"step {_fmt(path)} is not a generator branch step")
        alt = None if step is None else _as_alternative(step)

        def edit(spec: Any) -> None:
            alts = self._branch_item(spec, path)["branch"]["_or_"]
            k = len(alts) if index is None else index
            if not isinstance(k, int) or not 0 <= k <= len(alts):
                raise ValueError(f"cannot add an alternative at position {index}")
            alts.insert(k, alt)

        self._edit(edit)

    def remove_alternative(self, path: Address, k: int) -> None:
        path = self._check_step_path(path)
        if self.kind_at(path) != "generator":
            raise ValueError(f"step {_fmt(path)} is not a generator branch step")
        self.remove_lane(path, k)

    def set_branch_options(self, path: Address, parallel: Any = KEEP, n_jobs: Any = KEEP) -> None:
        """Set a branch step's "parallel" / "n_jobs". A value sets the key, None removes it
        (the engine's default: parallel false, n_jobs 1), KEEP (default) leaves it."""
        path = self._check_step_path(path)
        if parallel is not KEEP and parallel is not None and not isinstance(parallel, bool):
            raise ValueError(f"'parallel' must be true or false, got {parallel!r}")
        if n_jobs is not KEEP and n_jobs is not None and (
                isinstance(n_jobs, bool) or not isinstance(n_jobs, int)
                or (n_jobs < 1 and n_jobs != -1)):
            raise ValueError(f"'n_jobs' must be -1 (auto) or an integer >= 1, got {n_jobs!r}")

        def edit(spec: Any) -> None:
            item = self._branch_item(spec, path)
            for key, value in (("parallel", parallel), ("n_jobs", n_jobs)):
                if value is KEEP:
                    continue
                if value is None:
                    item.pop(key, None)
                else:
                    item[key] = value

        self._edit(edit)

    def set_name(self, name: str | None) -> None:
        """Name the pipeline (turns a bare step list into {"name", "steps"}); None or ""
        removes the name."""
        if name is not None and not isinstance(name, str):
            raise ValueError(f"the name must be a string, got {type_name(name)}")

        def edit(spec: Any) -> Any:
            if isinstance(spec, list):
                return {"name": name, "steps": spec} if name else spec
            if name:
                if "name" in spec:
                    spec["name"] = name
                    return spec
                return {"name": name, **spec}
            spec.pop("name", None)
            return spec

        self._edit(edit)

    # -- internals -------------------------------------------------------------------------
    def _analyse(self, data: Any) -> _Analysis:
        try:
            return _Analysis(data, self._file_stem)
        except SpecError as exc:
            raise ValueError(str(exc)) from None

    def _set(self, analysis: _Analysis, *, notify: bool) -> None:
        self._analysis = analysis
        self._spec = analysis.normal
        if notify:
            self.events.emit("changed")

    def _edit(self, fn: Callable[[Any], Any]) -> None:
        """Apply ``fn`` to a copy; validate; commit and notify only if something changed."""
        spec = copy.deepcopy(self._spec)
        result = fn(spec)
        if result is not None:
            spec = result
        analysis = self._analyse(spec)
        if same_spec(analysis.normal, self._spec):
            return
        self._set(analysis, notify=True)

    @staticmethod
    def _check_step_path(path: Any) -> Address:
        if not isinstance(path, (tuple, list)) or not path or \
                not all(isinstance(p, int) and not isinstance(p, bool) for p in path):
            raise ValueError(f"a step path is a non-empty tuple of integers, got {path!r}")
        path = tuple(path)
        if len(path) % 2 == 0:
            raise ValueError(f"{_fmt(path)} is a lane, not a step")
        return path

    def _lane_of(self, spec: Any, path: Address) -> tuple[list, int]:
        lane = self._container(spec, path[:-1])
        j = path[-1]
        if not 0 <= j < len(lane):
            raise ValueError(f"no step {_fmt(path)}: {_where_c(path[:-1])} has "
                             f"{len(lane)} step(s)")
        return lane, j

    def _container(self, spec: Any, container: Address) -> list:
        """The steps of a container as a list. Top level and list lanes: the live list;
        generator alternatives: a new list (write it back with :meth:`_store`)."""
        if not isinstance(container, tuple) or not all(
                isinstance(p, int) and not isinstance(p, bool) for p in container):
            raise ValueError(f"a lane address is a tuple of integers, got {container!r}")
        if len(container) % 2:
            raise ValueError(f"{_fmt(container)} is a step, not a lane or the top level")
        if not container:
            return _top(spec)
        lanes = self._branch_lanes(spec, container[:-1])
        k = container[-1]
        if not 0 <= k < len(lanes):
            raise ValueError(f"the branch step {_fmt(container[:-1])} has no lane {k}")
        return lanes[k]

    def _branch_item(self, spec: Any, path: Address) -> dict:
        path = self._check_step_path(path)
        lane, j = self._lane_of(spec, path)
        item = lane[j]
        if not (isinstance(item, dict) and "branch" in item):
            raise ValueError(f"step {_fmt(path)} is not a branch step")
        return item

    def _branch_lanes(self, spec: Any, path: Address) -> list[list]:
        value = self._branch_item(spec, path)["branch"]
        if isinstance(value, dict):
            return [[] if a is None else a if isinstance(a, list) else [a]
                    for a in value["_or_"]]
        return value

    def _store(self, spec: Any, container: Address, steps: list) -> None:
        """Write a container's steps back (keeps a generator alternative's shape)."""
        if not container:
            return
        item = self._branch_item(spec, container[:-1])
        value = item["branch"]
        if isinstance(value, list):
            value[container[-1]] = steps
            return
        alts = value["_or_"]
        old = alts[container[-1]]
        if isinstance(old, list):
            alts[container[-1]] = steps
        else:
            alts[container[-1]] = None if not steps else steps[0] if len(steps) == 1 \
                else steps


# -- helpers on JSON steps ------------------------------------------------------------------

def same_spec(a: Any, b: Any) -> bool:
    """Whether two specs are the same JSON. Not ``==``: Python has 1 == 1.0 == True, but
    {"alpha": 1} and {"alpha": 1.0} are different files (and undo must restore the exact one)."""
    return json.dumps(a) == json.dumps(b)


def _top(spec: Any) -> list:
    return spec["steps"] if isinstance(spec, dict) else spec


def _fmt(path: Address) -> str:
    return "(" + ", ".join(map(str, path)) + (",)" if len(path) == 1 else ")")


def _where_c(container: Address) -> str:
    return "the top level" if not container else f"lane {_fmt(container)}"


def _ordered(item: dict, order: tuple[str, ...]) -> dict:
    return {k: item[k] for k in order if k in item} | {k: v for k, v in item.items()
                                                       if k not in order}


def _as_alternative(alt: Any) -> Any:
    if isinstance(alt, (list, tuple)):
        return [as_json_step(s) for s in alt]
    return as_json_step(alt)


def _plain_dict(item: Any, path: Address) -> dict:
    """A non-branch step as a mutable dict ("SNV" -> {"class": "SNV"})."""
    if isinstance(item, str):
        return {"class": item}
    if isinstance(item, dict) and "branch" not in item:
        return item
    raise ValueError(f"step {_fmt(path)} is a branch step; it has no parameters")
