"""The size limits of a pipeline spec, checked before anything is built or expanded.

Why limits at all: a spec comes from a file, and a file can be anything. A pipeline nested
2,000 branch steps deep used to end in a RecursionError traceback, and an ``_or_`` of 10,000
alternatives ran for five minutes and 650 MB before the user saw a line. Both are refused here
in one line that names the limit, and cheaply:

* ``check_json_depth`` walks the decoded JSON with an explicit stack (no recursion, so it works
  on any depth the JSON reader produced) before the parser recurses into it;
* ``count_branches`` counts the branches a parsed tree *would* expand to by multiplying lane
  counts (the expansion rules of engine.pipeline.expand, applied to numbers instead of
  chains), so a generator of a billion combinations is refused without making one of them.

The numbers are generous for real work (the largest shootout pipelines seen use a few hundred
branches and four nesting levels) and small enough that a refused spec costs milliseconds.
"""
from __future__ import annotations

from typing import Any

from engine.errors import SpecError

__all__ = ["MAX_BRANCHES", "MAX_JSON_DEPTH", "MAX_NESTING", "check_branch_count",
           "check_json_depth", "count_branches"]

#: branch steps inside branch steps (the top-level branch step is level 1)
MAX_NESTING = 64
#: the JSON nesting a spec may have: a branch level costs 3-4 JSON levels ({"branch": {"_or_":
#: [[step]]}}) and a step's params a few more
MAX_JSON_DEPTH = 4 * MAX_NESTING + 32
#: concrete branches (each one a cross-validated model) one pipeline may expand to
MAX_BRANCHES = 5000


def check_json_depth(data: Any, where: str | None = None) -> None:
    """SpecError when the decoded spec nests lists/objects deeper than MAX_JSON_DEPTH.

    Iterative on purpose: the parser, ``copy.deepcopy`` and ``json.dumps`` all recurse, and
    must only ever see a spec this has accepted."""
    stack: list[tuple[Any, int]] = [(data, 1)]
    while stack:
        value, depth = stack.pop()
        if depth > MAX_JSON_DEPTH:
            raise SpecError(f"the pipeline is nested more than {MAX_JSON_DEPTH} levels deep "
                            f"(the limit; at most {MAX_NESTING} branch steps inside each "
                            "other)", where=where)
        if isinstance(value, dict):
            stack.extend((v, depth + 1) for v in value.values())
        elif isinstance(value, (list, tuple)):
            stack.extend((v, depth + 1) for v in value)


def nesting_error(path: tuple[int, ...]) -> SpecError:
    """The refusal of a branch step nested deeper than MAX_NESTING (its address in full as
    ``path``; the readable ``where`` shortened, 65 levels of "step 1 > branch 1" help no one)."""
    from engine.pipeline.steps import where_of

    where = where_of(path[:4]) + " > ... > " + where_of(path[-1:], "branch")
    return SpecError(f"branch steps are nested more than {MAX_NESTING} levels deep (the limit); "
                     "flatten the pipeline", where=where, path=path)


def count_branches(nodes: list[Any]) -> int:
    """How many concrete branches ``expand`` makes of a parsed tree (StepNode/BranchNode),
    computed without making them: per incoming chain, a list yields a number of leaves (its
    models, times the chains reaching them) and a number of chains that continue after it."""
    return _count(nodes)[0]


def _count(nodes: list[Any]) -> tuple[int, int]:
    from engine.pipeline.expand import BranchNode, is_complete

    leaves, chains = 0, 1
    for node in nodes:
        if isinstance(node, BranchNode):
            lanes = [_count(lane) for lane in node.lanes]
            leaves += chains * sum(lane_leaves for lane_leaves, _ in lanes)
            if not all(is_complete(lane) for lane in node.lanes):
                chains *= sum(lane_chains for _, lane_chains in lanes)
            # every lane complete: the steps after it start again from the incoming chains
        elif node.step.kind == "model":
            leaves += chains
    return leaves, (0 if is_complete(nodes) else chains)


def check_branch_count(nodes: list[Any]) -> None:
    """SpecError when the tree would expand to more than MAX_BRANCHES branches."""
    n = count_branches(nodes)
    if n > MAX_BRANCHES:
        shown = f"{n:,}" if n < 10**12 else f"about 10^{len(str(n)) - 1}"
        raise SpecError(f"the pipeline expands to {shown} branches; the limit is "
                        f"{MAX_BRANCHES:,} (use fewer '_or_' alternatives, or split the "
                        "pipeline into several runs)")


def check_alternatives(n: int, where: str, path: tuple[int, ...]) -> None:
    """SpecError for one ``_or_`` list longer than the branch limit: refused before its
    alternatives are parsed (each one builds an estimator)."""
    if n > MAX_BRANCHES:
        raise SpecError(f"'_or_' has {n:,} alternatives; a pipeline may expand to at most "
                        f"{MAX_BRANCHES:,} branches (the limit)", where=where, path=path)
