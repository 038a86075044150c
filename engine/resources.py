"""Where the bundled resources live (demo dataset, demo pipeline), for CLI, GUI and tests."""
from __future__ import annotations

import sys
from pathlib import Path


def resources_dir() -> Path:
    """resources/ next to the packages (source checkout, editable install) or in a frozen app."""
    bundle = getattr(sys, "_MEIPASS", None)
    if bundle:
        return Path(bundle) / "resources"
    return Path(__file__).resolve().parent.parent / "resources"


def demo_dataset_path() -> Path:
    return resources_dir() / "demo" / "tecator"


def demo_pipeline_path() -> Path:
    return resources_dir() / "demo" / "pipeline.json"
