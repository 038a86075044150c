"""Facts about the machine and the data that the parallel policy decides from.

Why separate objects: docs/design.md decision 2 makes the policy a *pure* function of (pipeline
spec, mode, machine facts). Everything that has to be measured (CPU affinity, free memory,
how warm the worker pool is) is measured here, once, by the caller; the policy only reads
these frozen values, so tests can hand it any machine (1 CPU, 64 CPUs, 200 MB free) without
patching psutil or os.
"""
from __future__ import annotations

import os
from dataclasses import dataclass
from typing import Any

import psutil

__all__ = ["DataFacts", "MachineFacts", "usable_cpus"]

_FLOAT64_BYTES = 8


def usable_cpus() -> int:
    """CPUs this process may run on.

    CPU affinity (taskset, cgroup cpusets, batch schedulers) can give a process fewer CPUs
    than the machine has; ``os.cpu_count()`` would then over-subscribe them. Where the
    platform has no affinity call (macOS, Windows) the core count is the best we know.
    """
    getaffinity = getattr(os, "sched_getaffinity", None)
    if getaffinity is not None:
        try:
            return max(1, len(getaffinity(0)))
        except OSError:
            pass
    return max(1, os.cpu_count() or 1)


@dataclass(frozen=True)
class MachineFacts:
    """What the machine offers right now.

    usable_cpus        CPUs this process may run on (see :func:`usable_cpus`)
    total_memory       bytes of physical memory
    available_memory   bytes that can be given to new processes without swapping
                       (psutil's ``available``, which counts reclaimable cache)
    pool_warm_workers  worker processes already running in nirdesk's reusable pool; 0 means
                       a cold pool, where each worker costs about a second to start
                       (interpreter + numpy + scikit-learn imports)
    """

    usable_cpus: int
    total_memory: int
    available_memory: int
    pool_warm_workers: int = 0

    @classmethod
    def current(cls, pool_warm_workers: int = 0) -> MachineFacts:
        """Measure this machine now (cheap: one affinity call and one memory query)."""
        mem = psutil.virtual_memory()
        return cls(usable_cpus=usable_cpus(), total_memory=int(mem.total),
                   available_memory=int(mem.available),
                   pool_warm_workers=max(0, int(pool_warm_workers)))


@dataclass(frozen=True)
class DataFacts:
    """The size of the data a run works on (the policy needs sizes, never the values).

    n_train     rows used for cross-validation and the final refit
    n_features  spectral columns (wavelengths)
    n_test      held-out rows (predicted once per branch)
    """

    n_train: int
    n_features: int
    n_test: int = 0

    @property
    def nbytes(self) -> int:
        """Bytes of the float64 spectra matrix X (training and test rows)."""
        return (self.n_train + self.n_test) * self.n_features * _FLOAT64_BYTES

    @classmethod
    def from_dataset(cls, ds: Any) -> DataFacts:
        """From an engine.dataset.SpectralDataset (or anything with the same three sizes)."""
        return cls(n_train=int(ds.n_train), n_features=int(ds.n_wavelengths),
                   n_test=int(ds.n_test))
