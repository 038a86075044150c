"""Dock areas reserved for the parts of the workbench that come in later versions."""
from __future__ import annotations

from PySide6.QtCore import Qt
from PySide6.QtWidgets import QLabel

PLACEHOLDERS = {
    # object name: (dock title, what it will hold)
    "pipelineDock": ("Pipeline editor", "Drag preprocessing and model steps into branches."),
    "runDock": ("Run", "Set the number of workers and run the branches in parallel."),
    "gaugesDock": ("Resources", "CPU and memory gauges while a run is going."),
    "resultsDock": ("Results", "Compare the branches: metrics and predicted vs reference."),
}


def placeholder(title: str, what: str) -> QLabel:
    label = QLabel(f"<b>{title}</b><br>{what}<br><i>Coming in a later version.</i>")
    label.setAlignment(Qt.AlignmentFlag.AlignCenter)
    label.setWordWrap(True)
    label.setStyleSheet("color: palette(mid); padding: 8px;")
    label.setMinimumSize(120, 60)
    return label
