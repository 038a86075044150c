"""The numbers behind the spectra view, as plain numpy (no Qt, testable headless).

SpectraData is one matrix of spectra as drawn (raw, or after a branch's preprocessing) with
its x axis and the statistics the view needs (mean, std, bounds). It is computed off the GUI
thread. The helpers answer the view's questions in a few milliseconds even for 10,000 x 1,000
spectra: which spectrum is nearest the mouse, which spectra cross a box, how spectra split into
colour groups, and what the target column looks like.
"""
from __future__ import annotations

from dataclasses import dataclass

import numpy as np

UNIT_LABEL = "Wavelength (nm)"
WAVENUMBER_LABEL = "Wavenumber (cm\u207b\u00b9)"
UNKNOWN_UNITS_LABEL = "Spectral axis (units not given by the file)"
COLUMN_LABEL = "Column (the file has no wavelength header)"
#: the engine's axis units (engine.dataset UNITS) -> the x axis label
AXIS_LABELS = {"nm": UNIT_LABEL, "cm-1": WAVENUMBER_LABEL, "": UNKNOWN_UNITS_LABEL}
N_COLOUR_BINS = 32  # colour-by-target levels; one drawing group per level


#: rows of spectra checked or summed at once: the statistics of 100,000 x 1,000 spectra then
#: need a few MB of temporaries instead of a mask and a deviation matrix as big as the data
STATS_ROWS = 4096


def _rows_not_finite(Y: np.ndarray) -> np.ndarray:
    """Indices of the rows holding NaN or inf, checked a block of rows at a time."""
    bad = [start + np.flatnonzero(~np.isfinite(Y[start:start + STATS_ROWS]).all(axis=1))
           for start in range(0, Y.shape[0], STATS_ROWS)]
    return np.concatenate(bad) if bad else np.zeros(0, dtype=np.intp)


def _column_mean_std(Y: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Each column's mean and standard deviation (ddof 1; 0 for one row), in two passes over
    blocks of rows: no temporary as large as Y (np.std makes one)."""
    n, p = Y.shape
    total = np.zeros(p)
    for start in range(0, n, STATS_ROWS):
        total += Y[start:start + STATS_ROWS].sum(axis=0)
    mean = total / n
    if n < 2:
        return mean, np.zeros(p)
    squares = np.zeros(p)
    for start in range(0, n, STATS_ROWS):
        block = Y[start:start + STATS_ROWS] - mean
        squares += np.einsum("ij,ij->j", block, block)
    return mean, np.sqrt(squares / (n - 1))


@dataclass(frozen=True)
class SpectraData:
    """Y (n, p) as drawn; x (p,) strictly monotonic; stats over all rows."""

    Y: np.ndarray
    x: np.ndarray
    x_label: str
    title: str
    mean: np.ndarray
    std: np.ndarray
    y_min: float
    y_max: float

    @classmethod
    def build(cls, Y: np.ndarray, x: np.ndarray | None, *, wavelengths_known: bool,
              title: str, units: str = "nm") -> SpectraData:
        """Check Y and compute the statistics. A Y whose width no longer matches ``x`` (an
        operator changed the number of columns without telling the new axis) is drawn against
        column numbers. ``units`` ("nm", "cm-1", "" unknown) names the x axis.

        Built off the GUI thread; it also imports numpy.ma there, which numpy's set routines
        (np.unique) import at their first call: on the GUI thread that was 20 ms of the first
        dataset's display, or a wait on the import lock while the warm-up thread held it."""
        import numpy.ma  # noqa: F401
        Y = np.ascontiguousarray(Y, dtype=np.float64)
        if Y.ndim != 2 or Y.shape[0] == 0 or Y.shape[1] == 0:
            raise ValueError(f"expected a non-empty 2-D matrix of spectra, got shape {Y.shape}")
        bad_rows = _rows_not_finite(Y)
        if bad_rows.size:
            raise ValueError(f"{bad_rows.size} spectra hold NaN or infinite values (first: row "
                             f"{bad_rows[0] + 1}); they cannot be drawn")
        p = Y.shape[1]
        if x is None or len(x) != p or not wavelengths_known:
            x, label = np.arange(1, p + 1, dtype=np.float64), COLUMN_LABEL
        else:
            x, label = np.asarray(x, dtype=np.float64), AXIS_LABELS.get(units, UNIT_LABEL)
        if p > 1:
            d = np.diff(x)
            if not (np.all(d > 0) or np.all(d < 0)):
                x, label = np.arange(1, p + 1, dtype=np.float64), COLUMN_LABEL
        mean, std = _column_mean_std(Y)
        return cls(Y=Y, x=x, x_label=label, title=title, mean=mean, std=std,
                   y_min=float(Y.min()), y_max=float(Y.max()))

    @property
    def n_samples(self) -> int:
        return self.Y.shape[0]

    @property
    def n_points(self) -> int:
        return self.Y.size

    @property
    def x_min(self) -> float:
        return float(min(self.x[0], self.x[-1]))

    @property
    def x_max(self) -> float:
        return float(max(self.x[0], self.x[-1]))

    # -- geometry queries ------------------------------------------------------------------
    def values_at(self, xv: float) -> np.ndarray | None:
        """Every spectrum's value at ``xv`` (linear between columns), or None outside x."""
        x = self.x
        if x.size == 1:
            return self.Y[:, 0] if xv == x[0] else None
        if not self.x_min <= xv <= self.x_max:
            return None
        inc = x[-1] > x[0]
        xs = x if inc else x[::-1]
        k = int(np.clip(np.searchsorted(xs, xv) - 1, 0, xs.size - 2))
        t = (xv - xs[k]) / (xs[k + 1] - xs[k])
        j0, j1 = (k, k + 1) if inc else (x.size - 1 - k, x.size - 2 - k)
        return self.Y[:, j0] * (1.0 - t) + self.Y[:, j1] * t

    def nearest(self, xv: float, yv: float, tolerance: float,
                rows: np.ndarray | None = None) -> int | None:
        """Row of the spectrum passing closest (vertically) to (xv, yv), if within tolerance."""
        values = self.values_at(xv)
        if values is None:
            return None
        dist = np.abs(values - yv) if rows is None else np.abs(values[rows] - yv)
        if dist.size == 0:
            return None
        k = int(np.argmin(dist))
        if dist[k] > tolerance:
            return None
        return int(k if rows is None else rows[k])

    def rows_in_box(self, x0: float, x1: float, y0: float, y1: float) -> np.ndarray:
        """Rows with a point inside the box (its columns, and the lines at its two edges)."""
        x0, x1 = sorted((x0, x1))
        y0, y1 = sorted((y0, y1))
        cols = np.flatnonzero((self.x >= x0) & (self.x <= x1))
        hit = np.zeros(self.n_samples, dtype=bool)
        for edge in (x0, x1):
            v = self.values_at(edge)
            if v is not None:
                hit |= (v >= y0) & (v <= y1)
        if cols.size:
            block = self.Y[:, cols[0]:cols[-1] + 1]  # contiguous: a view, no copy
            hit |= ((block >= y0) & (block <= y1)).any(axis=1)
        return np.flatnonzero(hit)

    def visible_columns(self, x0: float, x1: float) -> slice:
        """The contiguous columns needed to draw x in [x0, x1] (one extra on each side)."""
        x, p = self.x, self.x.size
        inc = p == 1 or x[-1] > x[0]
        xs = x if inc else x[::-1]
        a = max(int(np.searchsorted(xs, min(x0, x1), side="left")) - 1, 0)
        b = min(int(np.searchsorted(xs, max(x0, x1), side="right")) + 1, p)
        if inc:
            return slice(a, b)
        return slice(p - b, p - a)


# -- colour groups ---------------------------------------------------------------------------
@dataclass(frozen=True)
class Group:
    """Spectra drawn with one colour: ``fraction`` in [0, 1] on the colour map (numeric
    target), or ``category`` (index into a palette: class label or partition)."""

    rows: np.ndarray
    label: str
    fraction: float | None = None
    category: int | None = None


def is_numeric(values: np.ndarray | None) -> bool:
    return values is not None and values.dtype.kind in "fiub"


def colour_groups(mode: str, y: np.ndarray | None, test_mask: np.ndarray,
                  n_bins: int = N_COLOUR_BINS) -> list[Group]:
    """Split the rows into drawing groups, in drawing order (later groups on top).

    "partition": train then test. "target": a numeric target is cut into ``n_bins`` equal
    intervals between its min and max (one colour level each); class labels get one group per
    class; no target gives one group.
    """
    n = test_mask.size
    if mode == "partition":
        groups = [Group(np.flatnonzero(~test_mask), "train", category=0),
                  Group(np.flatnonzero(test_mask), "test", category=1)]
        return [g for g in groups if g.rows.size]
    if mode != "target":
        raise ValueError(f"unknown colour mode {mode!r}")
    if y is None:
        return [Group(np.arange(n), "all spectra", category=0)]
    if not is_numeric(y):
        classes, inverse = np.unique(y, return_inverse=True)
        return [Group(np.flatnonzero(inverse == k), str(c), category=k)
                for k, c in enumerate(classes)]
    lo, hi = float(np.min(y)), float(np.max(y))
    if hi <= lo:
        return [Group(np.arange(n), f"{lo:g}", fraction=0.5)]
    level = np.minimum(((y - lo) / (hi - lo) * n_bins).astype(np.intp), n_bins - 1)
    order = np.argsort(level, kind="stable")
    bounds = np.searchsorted(level[order], np.arange(n_bins + 1))
    groups = []
    for k in range(n_bins):
        rows = np.sort(order[bounds[k]:bounds[k + 1]])
        if rows.size:
            groups.append(Group(rows, f"level {k + 1}", fraction=(k + 0.5) / n_bins))
    return groups


# -- target statistics ---------------------------------------------------------------------------
def target_summary(y: np.ndarray | None, test_mask: np.ndarray) -> list[tuple[str, str]]:
    """(label, text) lines describing the target for the dataset panel."""
    if y is None:
        return [("target", "none (the dataset has no reference values)")]
    if not is_numeric(y):
        classes, counts = np.unique(y, return_counts=True)
        shown = ", ".join(f"{c} ({k})" for c, k in zip(classes[:8], counts[:8], strict=True))
        more = f", ... ({classes.size - 8} more)" if classes.size > 8 else ""
        return [("classes", f"{classes.size}: {shown}{more}")]
    y = y.astype(np.float64)
    lines = [("mean \u00b1 sd", f"{y.mean():.4g} \u00b1 {_sd(y):.4g}"),
             ("range", f"{y.min():.4g} \u2013 {y.max():.4g}")]
    train, test = y[~test_mask], y[test_mask]
    if test.size and train.size:
        lines.append(("train / test mean", f"{train.mean():.4g} / {test.mean():.4g}"))
    return lines


def _sd(v: np.ndarray) -> float:
    return float(v.std(ddof=1)) if v.size > 1 else 0.0


def format_value(v) -> str:
    if isinstance(v, (float, np.floating)):
        return f"{float(v):.4g}"
    return str(v)
