"""What the window remembers between sessions: geometry, dock layout, recent files, view
options - in a QSettings INI file (plain text, nothing pickled).

Location: Qt's per-user configuration folder (nirdesk/nirdesk.ini), or the file named by the
NIRDESK_SETTINGS environment variable (tests, benchmarks, a portable install). A window
started with ``persistent=False`` (screenshots) reads and writes nothing.
"""
from __future__ import annotations

import os
from pathlib import Path
from typing import Any

from PySide6.QtCore import QByteArray, QSettings

SETTINGS_ENV = "NIRDESK_SETTINGS"
MAX_RECENT = 10
LAYOUT_VERSION = 1  # bump when docks change so an old saved layout is not restored


class AppSettings:
    def __init__(self, path: str | Path | None = None, persistent: bool = True) -> None:
        self.persistent = persistent
        self._memory: dict[str, Any] = {}
        self._qs: QSettings | None = None
        if persistent:
            path = path or os.environ.get(SETTINGS_ENV)
            if path:
                self._qs = QSettings(str(path), QSettings.Format.IniFormat)
            else:
                self._qs = QSettings(QSettings.Format.IniFormat, QSettings.Scope.UserScope,
                                     "nirdesk", "nirdesk")

    @property
    def file(self) -> str | None:
        return None if self._qs is None else self._qs.fileName()

    # -- raw access -----------------------------------------------------------------------------
    def _get(self, key: str, default: Any = None) -> Any:
        if self._qs is None:
            return self._memory.get(key, default)
        return self._qs.value(key, default)

    def _set(self, key: str, value: Any) -> None:
        if self._qs is None:
            self._memory[key] = value
        else:
            self._qs.setValue(key, value)

    def sync(self) -> None:
        if self._qs is not None:
            self._qs.sync()

    # -- first run ------------------------------------------------------------------------------
    @property
    def first_run(self) -> bool:
        return not _bool(self._get("session/started", False))

    def mark_started(self) -> None:
        self._set("session/started", True)

    # -- recent files ---------------------------------------------------------------------------
    def recent_files(self) -> list[str]:
        value = self._get("files/recent", [])
        if isinstance(value, str):  # QSettings returns one string for a one-item list
            value = [value]
        return [str(v) for v in (value or []) if v]

    def add_recent(self, path: str) -> list[str]:
        path = str(Path(path).resolve())
        recent = [path] + [p for p in self.recent_files() if p != path]
        self._set("files/recent", recent[:MAX_RECENT])
        return recent[:MAX_RECENT]

    def clear_recent(self) -> None:
        self._set("files/recent", [])

    def last_pipeline(self) -> str | None:
        return self._get("files/pipeline") or None

    def set_last_pipeline(self, path: str) -> None:
        self._set("files/pipeline", str(Path(path).resolve()))

    # -- window layout --------------------------------------------------------------------------
    def window_layout(self) -> tuple[QByteArray | None, QByteArray | None]:
        if _int(self._get("window/layout_version", 0)) != LAYOUT_VERSION:
            return None, None
        return self._get("window/geometry"), self._get("window/state")

    def save_window_layout(self, geometry: QByteArray, state: QByteArray) -> None:
        self._set("window/geometry", geometry)
        self._set("window/state", state)
        self._set("window/layout_version", LAYOUT_VERSION)

    # -- view options ---------------------------------------------------------------------------
    def view_options(self) -> dict[str, Any]:
        return {"colour_mode": str(self._get("view/colour_mode", "target")),
                "band": _bool(self._get("view/band", False))}

    def save_view_options(self, colour_mode: str, band: bool) -> None:
        self._set("view/colour_mode", colour_mode)
        self._set("view/band", bool(band))

    # -- execution (Settings > Execution) ---------------------------------------------------
    def leaderboard_hidden(self) -> list[str]:
        """Header texts of the leaderboard columns the user hid (its header's menu)."""
        value = self._get("results/hidden_columns", [])
        if isinstance(value, str):  # QSettings returns one string for a one-item list
            value = [value] if value else []
        return [str(v) for v in value or []]

    def save_leaderboard_hidden(self, names: list[str]) -> None:
        self._set("results/hidden_columns", list(names))

    def execution_backend(self) -> str:
        """"loky" (this machine, the default) or "dask" (a Dask cluster)."""
        value = str(self._get("execution/backend", "loky"))
        return value if value in ("loky", "dask") else "loky"

    def execution_scheduler(self) -> str:
        """The last Dask scheduler address entered ("" if none)."""
        return str(self._get("execution/scheduler", "") or "")

    def execution_workers(self) -> int:
        """The local worker count: -1 = auto (every usable CPU), else >= 1."""
        value = _int(self._get("execution/workers", -1))
        return value if value >= 1 else -1

    def execution_choice(self):  # -> engine.backends.ExecutionChoice
        """The three settings as the engine's ExecutionChoice (what make_pool takes)."""
        from engine.backends import ExecutionChoice

        return ExecutionChoice(self.execution_backend(), self.execution_scheduler(),
                               self.execution_workers())

    def save_execution(self, backend: str, scheduler: str, workers: int) -> None:
        """Remember the Execution page; the scheduler address is kept even for "loky" so that
        switching back to the cluster does not mean typing it again."""
        self._set("execution/backend", backend if backend in ("loky", "dask") else "loky")
        self._set("execution/scheduler", str(scheduler or "").strip())
        self._set("execution/workers", int(workers) if int(workers) >= 1 else -1)


def _bool(value: Any) -> bool:
    if isinstance(value, str):
        return value.lower() in ("true", "1", "yes")
    return bool(value)


def _int(value: Any) -> int:
    try:
        return int(value)
    except (TypeError, ValueError):
        return 0
