"""Human-readable descriptions of datasets, pipelines and steps for `nirdesk info`."""
from __future__ import annotations

import os
import textwrap
from pathlib import Path
from typing import Any

import numpy as np

from engine.dataset import SpectralDataset


def describe_dataset(ds: SpectralDataset, target: str | None = None) -> str:
    wl = ds.wavelengths
    layout = ds.metadata.get("layout", "?")
    units = f" {ds.units}" if ds.units else ""
    lines = [f"dataset      {ds.name}  ({layout} layout)",
             f"spectra      {ds.n_samples} samples x {ds.n_wavelengths} wavelengths",
             f"axis         {wl[0]:g} .. {wl[-1]:g}{units}" + (
                 "  (column numbers: the file has no wavelength header)"
                 if ds.metadata.get("wavelengths_unknown") else
                 "" if ds.units else "  (units unknown)"),
             f"partition    {ds.n_train} train, {ds.n_test} test"]
    lines += _import_lines(ds)
    names = [target] if target else ds.target_names
    if not names:
        lines.append("target       none (spectra only: give reference values with --reference)")
    candidates = ds.class_candidates()
    for name in names:
        ds.select_target(name)
        values = ds.targets[name]
        if ds.task(name) == "classification":
            labels = ds.y
            classes, counts = np.unique(labels, return_counts=True)
            shown = ", ".join(f"{c} ({n})" for c, n in zip(classes[:10], counts[:10], strict=True))
            chosen = "  (classification: your choice)" if name in ds.tasks else ""
            lines.append(f"target       {name}: {classes.size} classes: {shown}{chosen}")
        else:
            # one value has no sample sd (numpy warns and gives nan): say why instead
            sd = f"{values.std(ddof=1):.4g}" if values.size > 1 else "n/a (one sample)"
            lines.append(f"target       {name}: mean {values.mean():.4g}, sd {sd}, "
                         f"min {values.min():.4g}, max {values.max():.4g}")
            if values.size > 1 and values.min() == values.max():
                lines.append("             the same value for every sample: nothing to model "
                             "(nirdesk run refuses it)")
            if name in candidates:
                n = np.unique(values).size
                lines.append(f"             {n} whole-number values: could be classes "
                             "(run with --task classification); modelled as regression")
    lines += [f"note         {n}" for n in ds.metadata.get("notes", [])]
    return "\n".join(lines)


def _import_lines(ds: SpectralDataset) -> list[str]:
    """A spectrum-folder import: matched / unmatched / replicates / refused files."""
    plan = ds.metadata.get("import")
    lines: list[str] = []
    if plan:
        lines.append(f"reference    {plan['sheet']} (ids from column {plan['id_column']!r})")
        lines.append(f"matched      {plan['n_matched']} of {plan['n_files']} files"
                     + (f"; {len(plan['replicates'])} samples with replicate scans "
                        f"({ds.metadata.get('replicates')})" if plan["replicates"] else ""))
        files = [Path(f).name for f in plan["unmatched_files"]]
        if files:
            lines.append(f"no reference {len(files)} files: {_shown(files)}")
        if plan["unmatched_ids"]:
            lines.append(f"no file      {len(plan['unmatched_ids'])} references: "
                         f"{_shown(plan['unmatched_ids'])}")
    for r in ds.metadata.get("refused", []):
        lines.append(f"refused      {Path(r['file']).name}: {r['reason']}")
    meta = ds.metadata.get("file_metadata")
    if meta:
        shown = ", ".join(f"{k}: {v}" for k, v in list(meta.items())[:8])
        lines.append(f"file says    {textwrap.shorten(shown, 200)}")
    return lines


def _shown(names: list[str], limit: int = 8) -> str:
    return ", ".join(names[:limit]) + (f", ... ({len(names) - limit} more)"
                                       if len(names) > limit else "")


def describe_pipeline(path: str) -> str:
    from engine.pipeline import parse_pipeline
    from engine.pipeline.files import load_pipeline_file

    expanded = parse_pipeline(load_pipeline_file(path), name=Path(path).stem)
    lines = [f"pipeline     {expanded.name}: {len(expanded.branches)} branches"]
    lines += [f"  [{b.id}] {b.name}" for b in expanded.branches]
    for g in expanded.groups:
        lines.append(f"branch step  {g.where}: parallel={g.parallel}, n_jobs={g.n_jobs}, "
                     f"branches {g.branch_ids}")
    return "\n".join(lines)


def _default_text(value: Any) -> str:
    import json

    try:
        return json.dumps(value)
    except TypeError:
        return repr(value)


def describe_step(name: str) -> str:
    """A step's facts and parameter schema: its registry entry (title, table label, kind,
    task, cost class, description, search words) and each parameter with what it accepts
    and its default, as the editor's inspector offers them (engine.pipeline.params).

    ``name`` is a registry name or an allowed dotted class path; SpecError otherwise.
    """
    from engine import registry
    from engine.pipeline.params import field_rule, param_fields

    cls = registry.resolve_class(name)
    entry = registry.get_entry(name) or registry.entry_of(cls)
    kind = registry.kind_of(cls) or "?"
    head = f"step         {entry.name if entry else name}"
    if entry is not None and any(t != entry.name for t in (entry.label, entry.short)):
        head += f"  (card: {entry.label}, tables: {entry.short})"
    lines = [head,
             f"class        {cls.__module__}.{cls.__qualname__}",
             f"kind         {kind}, task {registry.task_of(cls)}"]
    if entry is not None:
        lines.append(f"description  {entry.description}")
        lines.append(f"cost         {entry.cost or 'light'}")
        if entry.synonyms:
            lines.append(f"search       {', '.join(entry.synonyms)}")
    fields = param_fields(cls)
    if not fields:
        lines.append("parameters   none")
        return "\n".join(lines)
    lines.append("parameters   name: accepted values; default")
    width = max(len(f.name) for f in fields)
    for f in fields:
        lines.append(f"  {f.name:<{width}}  {field_rule(f)}; default {_default_text(f.default)}")
        if f.description:
            lines.append(textwrap.fill(f.description, 96, initial_indent=" " * (width + 4),
                                       subsequent_indent=" " * (width + 4)))
    return "\n".join(lines)


def describe_steps() -> str:
    """Every registered step, one line each: name, kind, task, description."""
    from engine.registry import registry_entries

    entries = registry_entries()
    width = max(len(e.name) for e in entries)
    return "\n".join(f"{e.name:<{width}}  {e.kind:<13}  {e.task:<14}  {e.description}"
                     for e in entries)


def _looks_like_a_step(path: str) -> bool:
    return bool(path) and all(part.isidentifier() for part in path.split(".")) \
        and not os.path.exists(path)


def describe_path(path: str, target: str | None = None, *, reference: str | None = None,
                  id_column: str | None = None, group_column: str | None = None,
                  replicates: str = "keep",
                  common_axis: bool = False, task: str | None = None,
                  sheet: str | None = None, split_map: dict[str, str] | None = None) -> str:
    """A dataset (any input engine.io.load_data takes: a CSV layout, an instrument file, a
    spectrum folder with its reference sheet), a pipeline .json file, or a step (a registry
    name such as SavitzkyGolay, or an allowed dotted class path) when no file of that name
    exists."""
    if _looks_like_a_step(path) and reference is None:
        from engine.errors import InputError, SpecError

        try:
            return describe_step(path)
        except SpecError as exc:
            raise InputError(f"no such file or folder, nor a step of that name ({exc.message})",
                             file=path) from None
    if path.lower().endswith(".json"):
        return describe_pipeline(path)
    from engine.io import load_data

    dataset = load_data(path, target=target, reference=reference, id_column=id_column,
                        group_column=group_column, replicates=replicates,
                        common_axis=common_axis, task=task, sheet=sheet, split_map=split_map)
    return describe_dataset(dataset, target)
