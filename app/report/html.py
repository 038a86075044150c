"""The report as ONE self-contained HTML file: figures as PNG data URIs, styles inline.

Why one file: a report is mailed, attached to a change request and archived; a folder of
images beside an .html loses its pictures on the way. Every text is escaped; nothing is
loaded from outside (no scripts, fonts or style sheets), so it opens the same anywhere and
prints on A4 with the same rules as the PDF where browsers allow (rows kept whole).
"""
from __future__ import annotations

import base64
import html

from PySide6.QtCore import QBuffer, QByteArray, QIODevice
from PySide6.QtGui import QImage

from app.report.plot import render_figure
from engine.report import Figure, Heading, KeyValues, Paragraph, Report, Table

__all__ = ["html_text", "png_bytes"]

STYLE = """
body { font-family: "DejaVu Sans", Arial, sans-serif; font-size: 10pt; color: #111;
       max-width: 60em; margin: 2em auto; padding: 0 1em; line-height: 1.35; }
h1 { font-size: 18pt; margin-bottom: .2em; }
.subtitle { color: #444; margin-top: 0; }
h2 { font-size: 13pt; color: #1f3b5c; border-bottom: 1px solid #1f3b5c; margin-top: 1.6em;
     page-break-after: avoid; }
table { border-collapse: collapse; margin: .4em 0 1em; font-size: 9pt; width: 100%; }
th, td { padding: .2em .45em; border-bottom: 1px solid #d0d0d0; vertical-align: top;
         text-align: left; }
th { background: #e8edf3; }
td.r, th.r { text-align: right; font-variant-numeric: tabular-nums; }
tr { page-break-inside: avoid; }
tbody tr:nth-child(even) { background: #f7f7f7; }
table.kv th { background: none; width: 24%; color: #333; }
.caption, .note { font-size: 8pt; font-style: italic; color: #444; }
figure { margin: 1em 0; page-break-inside: avoid; }
figure img { width: 100%; height: auto; }
figcaption { font-weight: bold; margin-bottom: .3em; }
.tabletitle { font-weight: bold; margin: .6em 0 .1em; }
"""


def png_bytes(image: QImage) -> bytes:
    data = QByteArray()
    buffer = QBuffer(data)
    buffer.open(QIODevice.OpenModeFlag.WriteOnly)
    if not image.save(buffer, "PNG"):
        raise OSError("the figure could not be encoded as PNG")
    buffer.close()
    return bytes(data.data())


def _table(t: Table) -> str:
    e = html.escape
    out = []
    if t.title:
        out.append(f'<div class="tabletitle">{e(t.title)}</div>')
    cls = [' class="r"' if t.alignment(i) == "r" else "" for i in range(len(t.header))]
    out.append("<table><thead><tr>" + "".join(f"<th{c}>{e(h)}</th>"
                                             for c, h in zip(cls, t.header, strict=True))
               + "</tr></thead><tbody>")
    for row in t.rows:
        out.append("<tr>" + "".join(f"<td{c}>{e(v)}</td>" for c, v in zip(cls, row, strict=True))
                   + "</tr>")
    out.append("</tbody></table>")
    if t.caption:
        out.append(f'<p class="caption">{e(t.caption)}</p>')
    return "\n".join(out)


def _figure(fig: Figure, png: bytes) -> str:
    e = html.escape
    data = base64.b64encode(png).decode("ascii")
    caption = f'<p class="caption">{e(fig.caption)}</p>' if fig.caption else ""
    return (f'<figure id="{e(fig.key)}"><figcaption>{e(fig.title)}</figcaption>'
            f'<img alt="{e(fig.title)}" src="data:image/png;base64,{data}">{caption}</figure>')


def html_text(report: Report, images: dict[str, QImage] | None = None) -> str:
    """The whole HTML document (figures rendered here when ``images`` is not given)."""
    e = html.escape
    parts = ["<!DOCTYPE html>", '<html lang="en"><head><meta charset="utf-8">',
             f"<title>{e(report.title)}</title>", '<meta name="generator" content="nirdesk">',
             f"<style>{STYLE}</style></head><body>",
             f"<h1>{e(report.title)}</h1>", f'<p class="subtitle">{e(report.subtitle)}</p>']
    for block in report.blocks:
        if isinstance(block, Heading):
            tag = "h2" if block.level == 1 else "h3"
            parts.append(f"<{tag}>{e(block.text)}</{tag}>")
        elif isinstance(block, Paragraph):
            parts.append(f'<p class="note">{e(block.text)}</p>' if block.note
                         else f"<p>{e(block.text)}</p>")
        elif isinstance(block, KeyValues):
            if block.title:
                parts.append(f'<div class="tabletitle">{e(block.title)}</div>')
            rows = "".join(f"<tr><th>{e(k)}</th><td>{e(v)}</td></tr>" for k, v in block.rows)
            parts.append(f'<table class="kv"><tbody>{rows}</tbody></table>')
        elif isinstance(block, Table):
            parts.append(_table(block))
        elif isinstance(block, Figure):
            image = images[block.key] if images is not None else render_figure(block)
            parts.append(_figure(block, png_bytes(image)))
    parts.append("</body></html>")
    return "\n".join(parts) + "\n"
