"""Export the spectra plot (with its colour bar or legend) as PNG or SVG.

PNG: pyqtgraph's ImageExporter at the plot's size on screen. SVG: Qt's own QSvgGenerator in
SVG 1.1 mode (which keeps the plot's clipping), rendering the plot's part of the scene;
pyqtgraph 0.14's SVGExporter cannot parse the closed paths Qt 6.11 writes (pyqtgraph issue
#3495), so it is not used. Both put the spectra layer in export mode: it draws every
spectrum as vector polylines when there are at most VECTOR_EXPORT_MAX_POINTS points, and
embeds its image otherwise (an SVG of 10 million points helps nobody).
"""
from __future__ import annotations

from pathlib import Path

from PySide6.QtCore import QRectF, QSize
from PySide6.QtGui import QColor, QPainter

FORMATS = (".png", ".svg")


def export_plot(graphics, path: str | Path) -> Path:
    """``graphics`` is the pyqtgraph GraphicsLayoutWidget holding the plot."""
    path = Path(path)
    suffix = path.suffix.lower()
    if suffix not in FORMATS:
        raise ValueError(f"export to .png or .svg, not {path.suffix or 'a name without extension'}")
    from engine.atomic import write_via

    def produce(temp: Path) -> None:
        if suffix == ".png":
            from pyqtgraph.exporters import ImageExporter

            ImageExporter(graphics.ci).export(str(temp))
        else:
            _export_svg(graphics, temp)

    # written beside and renamed: a full disk keeps the previous file (WriteFailed, an OSError)
    return write_via(path, produce, what="the plot")


def _export_svg(graphics, path: Path) -> None:
    from PySide6.QtSvg import QSvgGenerator

    item = graphics.ci
    source = item.sceneBoundingRect()
    w, h = max(1, round(source.width())), max(1, round(source.height()))
    generator = QSvgGenerator(QSvgGenerator.SvgVersion.Svg11)
    generator.setFileName(str(path))
    generator.setSize(QSize(w, h))
    generator.setViewBox(QRectF(0, 0, w, h))
    # pyqtgraph axes replay QPictures recorded at the screen resolution: match it, or the
    # axes come out scaled by 72/96
    generator.setResolution(graphics.logicalDpiX())
    generator.setTitle("nirdesk spectra")
    generator.setDescription("exported by nirdesk")
    scene = graphics.scene()
    items = [i for i in scene.items() if hasattr(i, "setExportMode")]
    for i in items:
        i.setExportMode(True, {"antialias": True, "background": QColor("white"),
                               "resolutionScale": 1.0})
    painter = QPainter(generator)
    try:
        painter.fillRect(QRectF(0, 0, w, h), QColor("white"))
        scene.render(painter, QRectF(0, 0, w, h), source)
    finally:
        painter.end()
        for i in items:
            i.setExportMode(False)
