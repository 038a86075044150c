"""One observer hub for the window's Qt-free models, with declared event names.

Why declared names: models and widgets connect by name ("selection", "changed"); with a plain
dict a typo in ``connect("selction", ...)`` would fail silently and a view would simply never
update. Each model declares the names it emits, and both ``connect`` and ``emit`` refuse any
other name at once (the idea of napari's EmitterGroup without its machinery). No Qt here, so
the models stay testable headless; callbacks get no arguments and read the model instead.
"""
from __future__ import annotations

from collections.abc import Callable, Iterable
from typing import Any

__all__ = ["Events"]

Callback = Callable[[], Any]


class Events:
    """Observer lists for a fixed set of event names."""

    def __init__(self, names: Iterable[str]) -> None:
        self.names: tuple[str, ...] = tuple(names)
        if not self.names:
            raise ValueError("an Events hub needs at least one event name")
        self._callbacks: dict[str, list[Callback]] = {name: [] for name in self.names}

    def _check(self, name: str) -> list[Callback]:
        try:
            return self._callbacks[name]
        except KeyError:
            raise KeyError(f"unknown event {name!r}; this model emits "
                           f"{', '.join(self.names)}") from None

    def connect(self, name: str, callback: Callback) -> None:
        """Call ``callback()`` after every ``emit(name)``; KeyError for an unknown name."""
        self._check(name).append(callback)

    def disconnect(self, name: str, callback: Callback) -> None:
        """Stop calling ``callback`` for ``name`` (nothing happens if it was not connected)."""
        callbacks = self._check(name)
        if callback in callbacks:
            callbacks.remove(callback)

    def disconnect_all(self) -> None:
        """Forget every callback (a window that closes drops its views' subscriptions)."""
        for callbacks in self._callbacks.values():
            callbacks.clear()

    def emit(self, name: str) -> None:
        """Call the callbacks of ``name`` in connection order; KeyError for an unknown name."""
        for callback in list(self._check(name)):
            callback()
