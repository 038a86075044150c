"""The report as data: blocks a renderer lays out (PDF, HTML) and plain text for tests.

Why data and not HTML: the PDF is laid out page by page (a table row never split), the HTML
flows, and a test reads the numbers; one document model serves all three, and a figure is
its plot DATA (series, axis labels, limit lines) so that every renderer draws the same plot
and a test can compare the points with the project. Blocks are frozen dataclasses; numbers
inside text are already formatted (engine.report.formatting), so the text is deterministic.
"""
from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np

__all__ = ["Block", "Figure", "Guide", "Heading", "KeyValues", "Paragraph", "Report", "Series",
           "Table", "report_text"]


@dataclass(frozen=True)
class Heading:
    text: str
    level: int = 1          # 1 section, 2 subsection


@dataclass(frozen=True)
class Paragraph:
    text: str
    note: bool = False      # a remark in smaller type (what a figure or table omits, and why)


@dataclass(frozen=True)
class KeyValues:
    """Two columns, a fact per row ("Samples", "642 (428 calibration, ...)")."""

    rows: tuple[tuple[str, str], ...]
    title: str = ""


@dataclass(frozen=True)
class Table:
    """A header row and body rows of text cells; ``align`` per column, "l" or "r".

    ``repeat_header``: a renderer that breaks the table across pages repeats the header.
    """

    header: tuple[str, ...]
    rows: tuple[tuple[str, ...], ...]
    title: str = ""
    caption: str = ""
    align: tuple[str, ...] = ()
    widths: tuple[float, ...] = ()   # relative column widths (renderer's hint); () = equal

    def __post_init__(self) -> None:
        n = len(self.header)
        for row in self.rows:
            if len(row) != n:
                raise ValueError(f"table {self.title!r}: a row has {len(row)} cells for "
                                 f"{n} columns")
        if self.align and len(self.align) != n:
            raise ValueError(f"table {self.title!r}: {len(self.align)} alignments for {n} "
                             "columns")
        if self.widths and len(self.widths) != n:
            raise ValueError(f"table {self.title!r}: {len(self.widths)} widths for {n} columns")

    def alignment(self, column: int) -> str:
        return self.align[column] if self.align else "l"


@dataclass(frozen=True)
class Series:
    """Plot data of one legend entry.

    kind "lines":  ``x`` (p,) shared axis, ``y`` (k, p): k curves (spectra)
         "line":   ``x`` (m,), ``y`` (m,): one curve
         "points": ``x`` (m,), ``y`` (m,): markers
    ``colour`` is an index into the renderer's palette (the same index, the same colour).
    """

    label: str
    kind: str
    x: np.ndarray
    y: np.ndarray
    colour: int = 0

    def __post_init__(self) -> None:
        if self.kind not in ("lines", "line", "points"):
            raise ValueError(f"unknown series kind {self.kind!r}")
        x, y = np.asarray(self.x, dtype=np.float64), np.asarray(self.y, dtype=np.float64)
        if self.kind == "lines":
            y = y.reshape(-1, x.size) if y.size else np.zeros((0, x.size))
        elif x.shape != y.shape:
            raise ValueError(f"series {self.label!r}: x {x.shape} and y {y.shape} differ")
        object.__setattr__(self, "x", x)
        object.__setattr__(self, "y", y)

    @property
    def count(self) -> int:
        """Curves for "lines", points for "points"/"line"."""
        return int(self.y.shape[0]) if self.kind == "lines" else int(self.x.size)


@dataclass(frozen=True)
class Guide:
    """A reference line: "h" (y = value), "v" (x = value) or "diagonal" (y = x)."""

    label: str
    orientation: str
    value: float = 0.0
    dashed: bool = True

    def __post_init__(self) -> None:
        if self.orientation not in ("h", "v", "diagonal"):
            raise ValueError(f"unknown guide orientation {self.orientation!r}")


@dataclass(frozen=True)
class Figure:
    key: str                    # stable name ("pred_vs_obs"): file names, tests
    title: str
    x_label: str
    y_label: str
    series: tuple[Series, ...]
    guides: tuple[Guide, ...] = ()
    caption: str = ""
    square: bool = False        # equal-looking axes (predicted vs observed)


Block = Heading | Paragraph | KeyValues | Table | Figure


@dataclass(frozen=True)
class Report:
    title: str
    subtitle: str
    blocks: tuple[Block, ...] = field(default_factory=tuple)
    run_id: int = 0          # the run and branch described (for the caller, not printed)
    branch_id: int = 0

    def figures(self) -> list[Figure]:
        return [b for b in self.blocks if isinstance(b, Figure)]

    def tables(self) -> list[Table]:
        return [b for b in self.blocks if isinstance(b, Table)]

    def figure(self, key: str) -> Figure | None:
        return next((f for f in self.figures() if f.key == key), None)


def report_text(report: Report) -> str:
    """The whole document as plain text: every word and number a renderer prints, figures
    by title, axes, legend and point counts (deterministic: the same project, the same text)."""
    out = [report.title, report.subtitle, ""]
    for block in report.blocks:
        if isinstance(block, Heading):
            out += ["", ("#" * block.level) + " " + block.text, ""]
        elif isinstance(block, Paragraph):
            out.append(block.text)
        elif isinstance(block, KeyValues):
            if block.title:
                out.append(block.title)
            out += [f"  {k}: {v}" for k, v in block.rows]
        elif isinstance(block, Table):
            if block.title:
                out.append(block.title)
            out.append(" | ".join(block.header))
            out += [" | ".join(row) for row in block.rows]
            if block.caption:
                out.append(block.caption)
        else:
            out.append(f"[figure {block.key}] {block.title}; x: {block.x_label}; "
                       f"y: {block.y_label}")
            out += [f"  {s.label} ({s.kind}, {s.count})" for s in block.series]
            out += [f"  {g.label}" for g in block.guides]
            if block.caption:
                out.append(block.caption)
    return "\n".join(out) + "\n"
