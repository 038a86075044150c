"""Colours of the spectra view: a colour map for numeric targets, a palette for classes and
for the train/test partition, and line opacity that falls with the number of spectra so that
dense regions read as density instead of a solid block."""
from __future__ import annotations

import functools
import math

import pyqtgraph as pg
from PySide6.QtGui import QColor

from app.model.spectra_data import Group

COLOUR_MAP = "viridis"
MAP_SPAN = (0.0, 0.92)  # leave out viridis' palest yellow, hard to see on white
PARTITION = {0: "#1f77b4", 1: "#ff7f0e"}  # train blue, test orange
PALETTE = ("#1f77b4", "#ff7f0e", "#2ca02c", "#d62728", "#9467bd", "#8c564b", "#e377c2",
           "#7f7f7f", "#bcbd22", "#17becf")
SELECTION = "#d00000"
HOVER = "#e000e0"
MEAN = "#202020"


@functools.cache
def colour_map() -> pg.ColorMap:
    """The target colour map (one object, built once: building it took ~10 ms, paid on the
    GUI thread at every recolour; callers only read it)."""
    cmap = pg.colormap.get(COLOUR_MAP)
    return cmap.getSubset(MAP_SPAN[0], MAP_SPAN[1] - MAP_SPAN[0])


def alpha_for(n_spectra: int) -> int:
    """Opaque for a few spectra, faint for thousands (215 -> 208, 10,000 -> 40)."""
    if n_spectra <= 50:
        return 230
    return int(max(40, min(230, 255 * 12 / math.sqrt(n_spectra))))


def group_colour(group: Group, mode: str, cmap: pg.ColorMap) -> QColor:
    if group.fraction is not None:
        return cmap.map(group.fraction, mode=cmap.QCOLOR)
    k = group.category or 0
    if mode == "partition":
        return QColor(PARTITION.get(k, PALETTE[k % len(PALETTE)]))
    return QColor(PALETTE[k % len(PALETTE)])


def rgba(colour: QColor, alpha: int) -> tuple[int, int, int, int]:
    return colour.red(), colour.green(), colour.blue(), alpha
