"""Which pairs of the transfer set the transfer is fitted on (the transfer standards).

Why Kennard-Stone: a transfer fitted on a few samples must see the whole spectral variation
the model will meet, and Kennard-Stone (1969) picks the most spread-out samples first; it is
the usual choice for transfer standards (Wang et al. 1991 used it). It runs on the primary
spectra, the space the model was calibrated in, with the engine's own implementation
(engine.splitters.kennard_stone). The user may instead name the samples by id.
"""
from __future__ import annotations

from collections.abc import Sequence

import numpy as np

from engine.errors import InputError
from engine.splitters import kennard_stone
from engine.transfer.pairing import TransferSet

__all__ = ["choose_standards"]


def choose_standards(tset: TransferSet, standards: int | Sequence[str] | None = None
                     ) -> np.ndarray:
    """Indices (into the pairs) of the transfer standards.

    standards  None: every pair neither held out nor excluded; N: Kennard-Stone's first N of
               those; a list of sample ids: exactly those pairs (the user chose them)
    """
    candidates = tset.candidates
    where = tset.secondary_name
    if standards is None:
        if candidates.size < 2:
            raise InputError(f"the transfer set has {candidates.size} pair(s) neither held out "
                             "for testing nor excluded; a transfer needs at least 2", file=where)
        return candidates
    if isinstance(standards, (int, np.integer)):
        n = int(standards)
        if n < 2 or n > candidates.size:
            raise InputError(f"--standards {n}: choose between 2 and {candidates.size} (the "
                             "pairs neither held out for testing nor excluded)", file=where)
        if n == candidates.size:
            return candidates
        picked = kennard_stone(tset.primary[candidates], n)
        return np.asarray(candidates[picked], dtype=np.int64)
    wanted = [str(s) for s in standards]
    index = {sid: k for k, sid in enumerate(tset.sample_ids.tolist())}
    unknown = [s for s in wanted if s not in index]
    if unknown:
        raise InputError(f"the transfer set has no sample(s) {', '.join(unknown[:5])}",
                         file=where)
    rows = np.array(sorted({index[s] for s in wanted}), dtype=np.int64)
    if rows.size < 2:
        raise InputError("choose at least 2 transfer samples", file=where)
    return rows
