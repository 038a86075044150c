"""The "recent files" submenus (datasets, projects): one way to list them.

Why shared: both menus number the first nine entries as keyboard mnemonics, show the full
path as tooltip and status tip, and end with a Clear entry; written twice they drifted."""
from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

from PySide6.QtWidgets import QMenu


def fill_recent_menu(menu: QMenu, paths: list[str], open_path: Callable[[str], object],
                     clear: Callable[[], object], clear_text: str = "Clear recent",
                     enabled: bool = True) -> None:
    """Rebuild ``menu`` with one action per path ("&1 name" ...), then a Clear entry."""
    menu.clear()
    for i, path in enumerate(paths):
        label = f"&{i + 1} {Path(path).name}" if i < 9 else Path(path).name
        act = menu.addAction(label)
        act.setToolTip(path)
        act.setStatusTip(path)
        act.setData(path)
        act.triggered.connect(lambda checked=False, p=path: open_path(p))
    if paths:
        menu.addSeparator()
        menu.addAction(clear_text, clear)
    menu.setEnabled(bool(paths) and enabled)
