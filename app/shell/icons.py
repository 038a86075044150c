"""The application icon and desktop name, shared by the window start and the self-test."""
from __future__ import annotations

from typing import Any

__all__ = ["ICON_SIZES", "set_app_icon"]

ICON_SIZES = (16, 24, 32, 48, 64, 128, 256, 512)


def set_app_icon(app: Any) -> None:
    """Window/taskbar icon from the bundled PNGs (no SVG plugin needed), and the .desktop
    entry's name so that Wayland shells match the window to the installed launcher."""
    from PySide6.QtCore import QSize
    from PySide6.QtGui import QIcon

    from engine.resources import resources_dir

    icon = QIcon()
    for size in ICON_SIZES:
        path = resources_dir() / "icons" / f"nirdesk-{size}.png"
        if path.is_file():
            icon.addFile(str(path), QSize(size, size))
    if not icon.isNull():
        app.setWindowIcon(icon)
    app.setDesktopFileName("nirdesk")
