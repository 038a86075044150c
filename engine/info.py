"""Human-readable descriptions of datasets and pipelines for `nirdesk info`."""
from __future__ import annotations

from pathlib import Path

import numpy as np

from engine.dataset import SpectralDataset


def describe_dataset(ds: SpectralDataset, target: str | None = None) -> str:
    wl = ds.wavelengths
    lines = [f"dataset      {ds.name}  ({ds.metadata.get('layout', '?')} layout)",
             f"spectra      {ds.n_samples} samples x {ds.n_wavelengths} wavelengths",
             f"wavelengths  {wl[0]:g} .. {wl[-1]:g}" + (
                 "  (column numbers: the file has no wavelength header)"
                 if ds.metadata.get("wavelengths_unknown") else ""),
             f"partition    {ds.n_train} train, {ds.n_test} test"]
    names = [target] if target else ds.target_names
    for name in names:
        ds.select_target(name)
        values = ds.targets[name]
        if values.dtype.kind in "UOS":
            classes, counts = np.unique(values, return_counts=True)
            shown = ", ".join(f"{c} ({n})" for c, n in zip(classes[:10], counts[:10]))
            lines.append(f"target       {name}: {classes.size} classes: {shown}")
        else:
            lines.append(f"target       {name}: mean {values.mean():.4g}, sd {values.std(ddof=1):.4g}, "
                         f"min {values.min():.4g}, max {values.max():.4g}")
    return "\n".join(lines)


def describe_pipeline(path: str) -> str:
    from engine.pipeline.files import load_pipeline_file
    from engine.pipeline import parse_pipeline

    expanded = parse_pipeline(load_pipeline_file(path), name=Path(path).stem)
    lines = [f"pipeline     {expanded.name}: {len(expanded.branches)} branches"]
    lines += [f"  [{b.id}] {b.name}" for b in expanded.branches]
    for g in expanded.groups:
        lines.append(f"branch step  {g.where}: parallel={g.parallel}, n_jobs={g.n_jobs}, "
                     f"branches {g.branch_ids}")
    return "\n".join(lines)


def describe_path(path: str, target: str | None = None) -> str:
    """A dataset folder/CSV, or a pipeline .json file."""
    if path.lower().endswith(".json"):
        return describe_pipeline(path)
    from engine.io import load_dataset

    return describe_dataset(load_dataset(path), target)
