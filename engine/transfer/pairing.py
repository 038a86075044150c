"""The transfer set: each sample's primary spectrum beside its secondary spectrum.

Why pairing is strict: DS and PDS regress one instrument's spectrum of a sample on the other's
spectrum of the SAME sample. A row paired with the wrong sample does not fail, it silently
teaches the transfer nonsense. So rows are paired by sample id when both files carry ids,
every id must appear once in each file (an id found in only one file, or twice, is refused
with the ids named), and the two wavelength axes must be the same. Files without an id column
(plain X.csv tables: nirdesk numbers their rows 1..n) are paired by order, which needs equal
row counts.
"""
from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

import numpy as np

from engine.dataset import SpectralDataset
from engine.errors import InputError

__all__ = ["TransferSet", "has_sample_ids", "pair_datasets", "where_of"]

#: at most this many ids are named in a refusal (the line stays one readable line)
_NAMED = 5


def where_of(dataset: SpectralDataset) -> str:
    """The file a dataset came from, for messages (its name when it was built in memory)."""
    meta = dataset.metadata
    return str(meta.get("x_file") or meta.get("path") or dataset.name)


def has_sample_ids(dataset: SpectralDataset) -> bool:
    """True when the rows carry ids of their own (an id column, instrument spectrum names, a
    folder import's file stems, a dataset built in memory); False for a table whose rows
    nirdesk numbered 1..n because it has no id column."""
    return bool(dataset.metadata.get("has_id_column", True))


def _named(ids: np.ndarray | list[str]) -> str:
    shown = ", ".join(str(i) for i in list(ids)[:_NAMED])
    more = len(ids) - _NAMED
    return shown + (f" and {more} more" if more > 0 else "")


def _duplicates(ids: np.ndarray) -> list[str]:
    values, counts = np.unique(ids, return_counts=True)
    return [str(v) for v in values[counts > 1]]


@dataclass
class TransferSet:
    """Paired spectra: row k of ``primary`` and of ``secondary`` is sample ``sample_ids[k]``.

    primary_rows / secondary_rows  the pairs' rows in the two datasets
    held_out      (n,) bool: rows either dataset holds out for testing (split.csv test/val):
                  never chosen as transfer standards, they score the transfer
    excluded      (n,) bool: rows either dataset excludes (the user's exclusions, rows the
                  split leaves out): neither standards nor scored
    reference     (n,) float reference values of the model's target where a dataset has
                  them (the secondary's first, else the primary's), else None
    paired_by     "sample id" or "row order"
    """

    primary: np.ndarray
    secondary: np.ndarray
    wavelengths: np.ndarray
    sample_ids: np.ndarray
    primary_rows: np.ndarray
    secondary_rows: np.ndarray
    held_out: np.ndarray
    excluded: np.ndarray
    paired_by: str
    primary_name: str
    secondary_name: str
    reference: np.ndarray | None = None
    notes: list[str] = field(default_factory=list)

    @property
    def n_pairs(self) -> int:
        return int(self.primary.shape[0])

    @property
    def candidates(self) -> np.ndarray:
        """Indices of the pairs that may serve as transfer standards (neither held out nor
        excluded)."""
        return np.flatnonzero(~self.held_out & ~self.excluded)


def _same_axis(primary: SpectralDataset, secondary: SpectralDataset) -> None:
    a, b = primary.wavelengths, secondary.wavelengths
    spacing = float(np.median(np.abs(np.diff(a)))) if a.size > 1 else 1.0
    if a.shape == b.shape and np.allclose(a, b, rtol=0.0, atol=1e-6 * max(spacing, 1e-12)):
        return

    def span(wl: np.ndarray) -> str:
        return f"{wl.size} wavelengths {wl.min():g}..{wl.max():g}" if wl.size else "no wavelengths"

    raise InputError(f"its wavelength axis ({span(b)}) differs from the primary's ({span(a)}) "
                     f"in {where_of(primary)}: a transfer pairs the same channels",
                     file=where_of(secondary))


def _reference(dataset: SpectralDataset, target: str | None, rows: np.ndarray
               ) -> np.ndarray | None:
    if target is None or target not in dataset.targets:
        return None
    values = dataset.targets[target]
    if values.dtype.kind in "UOS":
        return None
    return np.asarray(values[rows], dtype=np.float64)


def pair_datasets(primary: SpectralDataset, secondary: SpectralDataset,
                  target: str | None = None) -> TransferSet:
    """Pair the rows of two datasets (module docstring); InputError, one line, when they
    cannot be paired. ``target`` names the reference values to keep for scoring."""
    _same_axis(primary, secondary)
    p_where, s_where = where_of(primary), where_of(secondary)
    notes: list[str] = []
    if has_sample_ids(primary) and has_sample_ids(secondary):
        for ds, where in ((primary, p_where), (secondary, s_where)):
            dup = _duplicates(ds.sample_ids)
            if dup:
                raise InputError(f"sample ids occur more than once ({_named(dup)}): each "
                                 "transfer sample must be measured once per instrument",
                                 file=where)
        p_ids, s_ids = primary.sample_ids, secondary.sample_ids
        p_set, s_set = set(p_ids.tolist()), set(s_ids.tolist())
        only_secondary = [i for i in s_ids.tolist() if i not in p_set]
        if only_secondary:
            raise InputError(f"{len(only_secondary)} sample id(s) have no primary spectrum in "
                             f"{p_where}: {_named(only_secondary)}", file=s_where)
        only_primary = [i for i in p_ids.tolist() if i not in s_set]
        if only_primary:
            raise InputError(f"{len(only_primary)} sample id(s) have no secondary spectrum in "
                             f"{s_where}: {_named(only_primary)}", file=p_where)
        s_rows = np.arange(secondary.n_samples)
        index = {sid: k for k, sid in enumerate(p_ids)}
        p_rows = np.array([index[sid] for sid in s_ids], dtype=np.int64)
        paired_by = "sample id"
    else:
        if primary.n_samples != secondary.n_samples:
            raise InputError(f"without sample ids the rows are paired by order, and this file "
                             f"has {secondary.n_samples} rows while the primary {p_where} has "
                             f"{primary.n_samples}", file=s_where)
        p_rows = s_rows = np.arange(primary.n_samples)
        paired_by = "row order"
        notes.append("the files have no sample-id column: rows paired by order")
    held_out = primary.test_mask[p_rows] | secondary.test_mask[s_rows]
    excluded = primary.excluded[p_rows] | secondary.excluded[s_rows]
    reference = _reference(secondary, target, s_rows)
    if reference is None:
        reference = _reference(primary, target, p_rows)
    return TransferSet(primary=primary.X[p_rows], secondary=secondary.X[s_rows],
                       wavelengths=primary.wavelengths.copy(),
                       sample_ids=secondary.sample_ids[s_rows].copy(),
                       primary_rows=p_rows, secondary_rows=s_rows, held_out=held_out,
                       excluded=excluded,
                       paired_by=paired_by, primary_name=p_where, secondary_name=s_where,
                       reference=reference, notes=notes)


def describe(tset: TransferSet) -> dict[str, Any]:
    """The transfer set as JSON facts (for the saved run and the CLI)."""
    return {"primary": tset.primary_name, "secondary": tset.secondary_name,
            "n_pairs": tset.n_pairs, "paired_by": tset.paired_by,
            "n_held_out": int(tset.held_out.sum()), "n_excluded": int(tset.excluded.sum())}
