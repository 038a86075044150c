"""The report as a paginated PDF: QPdfWriter with our own QPainter page layout.

Why not QTextDocument (HTML printed to PDF, the other no-dependency route): its paginator
breaks a page wherever a line falls, inside a table row too (a row's cells then continue on
the next page), cannot repeat a table's header on the next page, and lets a figure's title
end a page with the figure on the next. A reviewer's document must not do that. Laying the
blocks out ourselves is a few hundred lines and gives the rules we want:

- a table row is never split: a row that does not fit starts the next page, where the
  table's header row is drawn again;
- a heading keeps its first block with it; a figure keeps its title and caption;
- long paragraphs (a list of excluded samples) break between lines only;
- every page has a footer "page N of M" (a measuring pass counts the pages first: the same
  layout code runs once without drawing).

Text is drawn as text (searchable, extractable: the tests read it back with pypdf), figures
as images rendered by app.report.plot at ~240 dpi.
"""
from __future__ import annotations

from PySide6.QtCore import QBuffer, QByteArray, QIODevice, QMarginsF, QPointF, QRectF, Qt
from PySide6.QtGui import (
    QColor,
    QFont,
    QPageLayout,
    QPageSize,
    QPainter,
    QPdfWriter,
    QPen,
    QTextLayout,
    QTextOption,
)

from app.report.plot import FONT_FAMILY, render_figure
from engine.report import Figure, Heading, KeyValues, Paragraph, Report, Table

__all__ = ["pdf_bytes"]

RESOLUTION = 300            # device pixels per inch of the PDF's coordinate system
MARGINS_MM = (18.0, 16.0, 18.0, 18.0)   # left, top, right, bottom
FIGURE_ASPECT = 9 / 16


def _mm(value: float) -> float:
    return value / 25.4 * RESOLUTION


def _font(points: float, bold: bool = False, italic: bool = False) -> QFont:
    font = QFont(FONT_FAMILY)
    font.setPointSizeF(points)
    font.setBold(bold)
    font.setItalic(italic)
    # no ligatures: "ff" in a sha256 must stay two letters for anyone searching or copying
    # the text out of the PDF (a reviewer pasting the model hash; the tests' pypdf)
    for tag in ("liga", "clig", "dlig"):
        font.setFeature(QFont.Tag(tag), 0)
    return font


class _Layout:
    """Places blocks on pages; with ``painter`` None it only measures (the counting pass)."""

    def __init__(self, writer: QPdfWriter, painter: QPainter | None, report: Report,
                 total_pages: int, images: dict[str, object]) -> None:
        self.writer = writer
        self.p = painter
        self.report = report
        self.total = total_pages
        self.images = images
        self.width = float(writer.width())
        self.height = float(writer.height())
        self.footer_h = _mm(8)
        self.bottom = self.height - self.footer_h
        self.page = 1
        self.y = 0.0
        self.pad = _mm(1.2)
        self._footer()

    # -- pages ------------------------------------------------------------------------------
    def _footer(self) -> None:
        if self.p is None:
            return
        font = _font(7.5)
        self.p.setFont(font)
        self.p.setPen(QColor("#555555"))
        text = f"{self.report.title}  \u00b7  page {self.page} of {self.total}"
        self.p.drawText(QRectF(0, self.height - self.footer_h * 0.7, self.width,
                               self.footer_h * 0.7),
                        int(Qt.AlignmentFlag.AlignRight | Qt.AlignmentFlag.AlignVCenter), text)
        self.p.setPen(QPen(QColor("#bbbbbb"), _mm(0.2)))
        self.p.drawLine(QPointF(0, self.height - self.footer_h * 0.75),
                        QPointF(self.width, self.height - self.footer_h * 0.75))

    def new_page(self) -> None:
        if self.p is not None:
            self.writer.newPage()
        self.page += 1
        self.y = 0.0
        self._footer()

    def ensure(self, h: float) -> None:
        """Start a new page unless ``h`` fits below the cursor (a block taller than a whole
        page is started on a fresh page and drawn as far as it goes)."""
        if self.y > 0 and self.y + h > self.bottom:
            self.new_page()

    # -- text -------------------------------------------------------------------------------
    def _lines(self, text: str, font: QFont, width: float) -> tuple[QTextLayout, list, float]:
        layout = QTextLayout(text, font, self.writer)
        option = QTextOption()
        option.setWrapMode(QTextOption.WrapMode.WrapAtWordBoundaryOrAnywhere)
        layout.setTextOption(option)
        layout.beginLayout()
        lines, y = [], 0.0
        while True:
            line = layout.createLine()
            if not line.isValid():
                break
            line.setLineWidth(width)
            line.setPosition(QPointF(0, y))
            y += line.height()
            lines.append(line)
        layout.endLayout()
        return layout, lines, y

    def text_height(self, text: str, font: QFont, width: float) -> float:
        return self._lines(text, font, width)[2]

    def draw_text(self, x: float, y: float, text: str, font: QFont, width: float,
                  colour: str = "#111111", align_right: bool = False) -> float:
        layout, lines, h = self._lines(text, font, width)
        if self.p is not None:
            self.p.setPen(QColor(colour))
            if align_right:
                for line in lines:
                    line.setPosition(QPointF(width - line.naturalTextWidth(), line.y()))
            layout.draw(self.p, QPointF(x, y))
        return h

    def paragraph(self, text: str, font: QFont, colour: str = "#111111",
                  space_after: float = _mm(2.0)) -> None:
        """Wrapped text that may break across pages, between lines only."""
        _layout, lines, _ = self._lines(text, font, self.width)   # keep the layout alive
        for line in lines:
            h = line.height()
            self.ensure(h)
            if self.p is not None:
                self.p.setPen(QColor(colour))
                self.p.setFont(font)
                line.draw(self.p, QPointF(0, self.y - line.y()))
            self.y += h
        self.y += space_after

    # -- blocks -----------------------------------------------------------------------------
    def title(self) -> None:
        self.y += self.draw_text(0, self.y, self.report.title, _font(18, bold=True),
                                 self.width)
        self.y += _mm(1)
        self.y += self.draw_text(0, self.y, self.report.subtitle, _font(10), self.width,
                                 "#444444")
        self.y += _mm(4)

    def heading(self, block: Heading, next_height: float) -> None:
        font = _font(13 if block.level == 1 else 11, bold=True)
        h = self.text_height(block.text, font, self.width) + _mm(4)
        self.ensure(h + next_height)   # a heading never ends a page alone
        self.y += _mm(2)
        self.y += self.draw_text(0, self.y, block.text, font, self.width, "#1f3b5c")
        if self.p is not None and block.level == 1:
            self.p.setPen(QPen(QColor("#1f3b5c"), _mm(0.3)))
            self.p.drawLine(QPointF(0, self.y + _mm(0.6)), QPointF(self.width, self.y + _mm(0.6)))
        self.y += _mm(2)

    def _columns(self, table: Table) -> list[float]:
        weights = list(table.widths) or [1.0] * len(table.header)
        total = sum(weights)
        return [self.width * w / total for w in weights]

    def _row_height(self, cells: tuple[str, ...], widths: list[float], font: QFont) -> float:
        return max(self.text_height(c, font, w - 2 * self.pad)
                   for c, w in zip(cells, widths, strict=True)) + 2 * self.pad

    def _draw_row(self, cells: tuple[str, ...], widths: list[float], font: QFont, h: float,
                  table: Table, fill: str | None) -> None:
        if self.p is not None:
            if fill:
                self.p.fillRect(QRectF(0, self.y, self.width, h), QColor(fill))
            x = 0.0
            for i, (text, w) in enumerate(zip(cells, widths, strict=True)):
                self.draw_text(x + self.pad, self.y + self.pad, text, font, w - 2 * self.pad,
                               align_right=table.alignment(i) == "r")
                x += w
            self.p.setPen(QPen(QColor("#d0d0d0"), _mm(0.15)))
            self.p.drawLine(QPointF(0, self.y + h), QPointF(self.width, self.y + h))
        self.y += h

    def table(self, table: Table) -> None:
        widths = self._columns(table)
        body, head = _font(8), _font(8, bold=True)
        header_h = self._row_height(table.header, widths, head)
        first = self._row_height(table.rows[0], widths, body) if table.rows else 0.0
        title_h = self.text_height(table.title, _font(9.5, bold=True), self.width) + _mm(1) \
            if table.title else 0.0
        self.ensure(title_h + header_h + first)
        if table.title:
            self.y += self.draw_text(0, self.y, table.title, _font(9.5, bold=True), self.width)
            self.y += _mm(1)
        self._draw_row(table.header, widths, head, header_h, table, "#e8edf3")
        for n, row in enumerate(table.rows):
            h = self._row_height(row, widths, body)
            if self.y + h > self.bottom:          # never split a row: next page, header again
                self.new_page()
                self._draw_row(table.header, widths, head, header_h, table, "#e8edf3")
            self._draw_row(row, widths, body, h, table, "#f7f7f7" if n % 2 else None)
        if table.caption:
            self.y += _mm(1)
            self.paragraph(table.caption, _font(7.5, italic=True), "#444444", _mm(1))
        self.y += _mm(3)

    def key_values(self, block: KeyValues) -> None:
        widths = [self.width * 0.24, self.width * 0.76]
        key_font, value_font = _font(8.5, bold=True), _font(8.5)
        heights = [max(self.text_height(k, key_font, widths[0] - 2 * self.pad),
                       self.text_height(v, value_font, widths[1] - 2 * self.pad)) + self.pad
                   for k, v in block.rows]
        title_h = (self.text_height(block.title, _font(9.5, bold=True), self.width) + _mm(1)
                   if block.title else 0.0)
        if title_h + sum(heights) < 0.4 * self.bottom:   # a short list stays on one page
            self.ensure(title_h + sum(heights))
        if block.title:
            h = self.text_height(block.title, _font(9.5, bold=True), self.width)
            self.ensure(h + _mm(8))
            self.y += self.draw_text(0, self.y, block.title, _font(9.5, bold=True), self.width)
            self.y += _mm(1)
        for (key, value), h in zip(block.rows, heights, strict=True):
            self.ensure(h)
            self.draw_text(0, self.y, key, key_font, widths[0] - 2 * self.pad, "#333333")
            self.draw_text(widths[0], self.y, value, value_font, widths[1] - 2 * self.pad)
            self.y += h
        self.y += _mm(3)

    def figure_height(self, fig: Figure) -> float:
        h = self.text_height(fig.title, _font(10, bold=True), self.width) + _mm(1.5)
        h += self.width * FIGURE_ASPECT
        if fig.caption:
            h += self.text_height(fig.caption, _font(7.5, italic=True), self.width) + _mm(1)
        return h + _mm(4)

    def figure(self, fig: Figure) -> None:
        self.ensure(self.figure_height(fig))   # title, plot and caption stay together
        self.y += self.draw_text(0, self.y, fig.title, _font(10, bold=True), self.width)
        self.y += _mm(1.5)
        h = self.width * FIGURE_ASPECT
        if self.p is not None:
            self.p.drawImage(QRectF(0, self.y, self.width, h), self.images[fig.key])
        self.y += h + _mm(1)
        if fig.caption:
            self.paragraph(fig.caption, _font(7.5, italic=True), "#444444", 0)
        self.y += _mm(3)

    def block_height(self, block: object) -> float:
        """How much of ``block`` must fit under its heading (its first part)."""
        if isinstance(block, Figure):
            return self.figure_height(block)
        if isinstance(block, Table):
            widths = self._columns(block)
            h = self._row_height(block.header, widths, _font(8, bold=True))
            if block.rows:
                h += self._row_height(block.rows[0], widths, _font(8))
            return h + _mm(6)
        return _mm(12)

    def run(self) -> int:
        self.title()
        blocks = list(self.report.blocks)
        for i, block in enumerate(blocks):
            if isinstance(block, Heading):
                nxt = blocks[i + 1] if i + 1 < len(blocks) else None
                self.heading(block, self.block_height(nxt) if nxt is not None else 0.0)
            elif isinstance(block, Paragraph):
                self.paragraph(block.text, _font(7.5, italic=True) if block.note else _font(9),
                               "#444444" if block.note else "#111111")
            elif isinstance(block, KeyValues):
                self.key_values(block)
            elif isinstance(block, Table):
                self.table(block)
            elif isinstance(block, Figure):
                self.figure(block)
        return self.page


def _writer(device: QIODevice, report: Report) -> QPdfWriter:
    writer = QPdfWriter(device)
    writer.setResolution(RESOLUTION)
    writer.setPageSize(QPageSize(QPageSize.PageSizeId.A4))
    left, top, right, bottom = MARGINS_MM
    writer.setPageMargins(QMarginsF(left, top, right, bottom), QPageLayout.Unit.Millimeter)
    writer.setTitle(report.title)
    writer.setCreator("nirdesk")
    return writer


def pdf_bytes(report: Report, images: dict[str, object] | None = None) -> tuple[bytes, int]:
    """(the PDF file's bytes, its page count). ``images`` maps figure keys to QImages
    (rendered here when not given)."""
    images = images if images is not None else {f.key: render_figure(f)
                                                 for f in report.figures()}
    # pass 1: measure (no painter) to know the page count for the footers
    scratch = QBuffer()
    scratch.open(QIODevice.OpenModeFlag.WriteOnly)
    pages = _Layout(_writer(scratch, report), None, report, 0, images).run()
    data = QByteArray()
    buffer = QBuffer(data)
    buffer.open(QIODevice.OpenModeFlag.WriteOnly)
    writer = _writer(buffer, report)
    painter = QPainter(writer)
    try:
        drawn = _Layout(writer, painter, report, pages, images).run()
    finally:
        painter.end()
    buffer.close()
    assert drawn == pages, "the measuring and the drawing pass must lay out alike"
    return bytes(data.data()), pages
