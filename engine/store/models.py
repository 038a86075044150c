"""Fitted models as skops blobs: dumped freely, loaded only when every type is trusted.

Loading is two checks deep. First nirdesk reads the blob's schema (plain JSON inside the
zip, nothing is instantiated) and lists every type it names; any type outside
:func:`engine.store.trusted.trusted_types` (what the registered steps list, plus what the
caller explicitly adds) refuses the blob with an InputError naming the types. Only then does
skops load it, with the same list as ``trusted``, so skops' own audit is a second, independent
check. pickle is never involved.
"""
from __future__ import annotations

import io
import json
import zipfile
from collections.abc import Iterable
from typing import Any

from engine.errors import InputError
from engine.store.trusted import trusted_types

__all__ = ["blob_types", "dump_model", "load_model_blob", "untrusted_types"]

#: A zip bomb guard: a schema larger than this is not a model nirdesk wrote.
MAX_SCHEMA_BYTES = 64 * 2**20


def dump_model(model: Any) -> bytes:
    """skops bytes of a fitted estimator (no pickle)."""
    import skops.io as sio

    return sio.dumps(model)


def _schema(blob: bytes, where: str | None) -> Any:
    try:
        with zipfile.ZipFile(io.BytesIO(bytes(blob))) as archive:
            info = archive.getinfo("schema.json")
            if info.file_size > MAX_SCHEMA_BYTES:
                raise InputError(f"the saved model's schema is implausibly large "
                                 f"({info.file_size} bytes)", file=where)
            return json.loads(archive.read(info))
    except InputError:
        raise
    except (zipfile.BadZipFile, KeyError, ValueError, OSError, EOFError) as exc:
        raise InputError(f"the saved model is not a readable skops blob ({exc})",
                         file=where) from None


def _walk(node: Any, out: set[str]) -> None:
    """Collect ``module.class`` of every node: objects, functions, types, arrays alike."""
    stack = [node]
    while stack:
        item = stack.pop()
        if isinstance(item, dict):
            module, cls = item.get("__module__"), item.get("__class__")
            if isinstance(module, str) and isinstance(cls, str):
                out.add(f"{module}.{cls}")
            stack.extend(item.values())
        elif isinstance(item, list):
            stack.extend(item)


def blob_types(blob: bytes, where: str | None = None) -> list[str]:
    """Every type (``module.Class`` or ``module.function``) a skops blob names, sorted."""
    found: set[str] = set()
    _walk(_schema(blob, where), found)
    return sorted(found)


def untrusted_types(blob: bytes, extra_trusted: Iterable[str] = (), where: str | None = None
                    ) -> list[str]:
    """The types of ``blob`` outside the trusted list (empty: the blob may be loaded)."""
    allowed = trusted_types() | frozenset(extra_trusted)
    return [t for t in blob_types(blob, where) if t not in allowed]


def load_model_blob(blob: bytes, extra_trusted: Iterable[str] = (), where: str | None = None
                    ) -> Any:
    """Rebuild a fitted model, or raise InputError naming the types that are not trusted.

    ``extra_trusted`` lets a caller accept more types for one load (a user who reviewed a
    dotted-path model they made themselves); nirdesk itself never passes anything.
    """
    import skops.io as sio
    from skops.io.exceptions import UntrustedTypesFoundException

    allowed = trusted_types() | frozenset(extra_trusted)
    bad = untrusted_types(blob, allowed, where)
    if bad:
        raise InputError("the saved model needs types nirdesk does not trust, so it was not "
                         f"loaded: {', '.join(bad)}", file=where)
    try:
        return sio.loads(bytes(blob), trusted=sorted(allowed))
    except UntrustedTypesFoundException as exc:  # skops' own audit disagrees: still refuse
        raise InputError(f"the saved model was refused by skops: {exc}", file=where) from None
    except Exception as exc:  # noqa: BLE001 - a damaged blob is the file's problem, not a bug
        raise InputError(f"the saved model cannot be rebuilt ({type(exc).__name__}: {exc})",
                         file=where) from None
