"""A maintainer's check of the skops types each registered step trusts.

Fits every sample of every registered operator and model (``RegistryEntry.samples``, see
engine.store.trusted.registry_samples), dumps it with skops and reads the types the dump
names. Prints, per step, the types its entry must list in ``RegistryEntry.trusted`` and marks
those it does not list yet ("NEW: review before adding") and those it lists but no sample
needs ("unused"). The lists themselves stay literals a person reviews: nothing here edits
them, so a library upgrade can never widen what a project file may instantiate on its own.

    .venv/bin/python tools/update_trusted_types.py        # exit 1 when something is NEW
"""
from __future__ import annotations

import sys

from engine.registry import RegistryEntry, get_entry
from engine.store.models import blob_types, dump_model
from engine.store.trusted import ALWAYS_TRUSTED, SAMPLE_MODEL, registry_samples


def types_needed() -> dict[str, tuple[RegistryEntry, set[str]]]:
    """Registry name -> (entry, types its samples' dumps name beyond ALWAYS_TRUSTED and, for
    an operator, beyond the sample model's own types)."""
    helper = set(get_entry(SAMPLE_MODEL).trusted)
    found: dict[str, tuple[RegistryEntry, set[str]]] = {}
    for entry, _label, pipeline in registry_samples():
        types = set(blob_types(dump_model(pipeline))) - ALWAYS_TRUSTED
        if entry.kind != "model":
            types -= helper - set(entry.trusted)
        found.setdefault(entry.name, (entry, set()))[1].update(types)
    return found


def main() -> int:
    new = 0
    for name, (entry, types) in types_needed().items():
        print(f"{name}:")
        for kind in sorted(types | set(entry.trusted)):
            note = ("" if kind in types and kind in entry.trusted else
                    "  # NEW: review before adding" if kind in types else "  # unused")
            new += kind not in entry.trusted
            print(f'    "{kind}",{note}')
    return 1 if new else 0


if __name__ == "__main__":
    sys.exit(main())
