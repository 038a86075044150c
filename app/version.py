"""nirdesk's version, readable without importing Qt or the engine (`nirdesk --version`)."""
from __future__ import annotations

from pathlib import Path

__all__ = ["app_version"]


def app_version() -> str:
    """The version in pyproject.toml beside the packages (source checkout, and the frozen app,
    which bundles that file), else the installed distribution's; "unknown" when neither."""
    pyproject = Path(__file__).resolve().parent.parent / "pyproject.toml"
    try:
        import tomllib

        project = tomllib.loads(pyproject.read_text(encoding="utf-8")).get("project", {})
        if project.get("name") == "nirdesk" and project.get("version"):
            return str(project["version"])
    except (OSError, ValueError):
        pass
    try:
        from importlib.metadata import version

        return version("nirdesk")
    except Exception:  # noqa: BLE001 - not installed
        return "unknown"
