"""Build the report of one saved run (and one branch in detail) from a project file.

Where each fact comes from (nothing that the project stored is computed anew):

    dataset        the stored dataset (name, source files, content hash, arrays, units) and
                   the run's results JSON (rows used, excluded sample ids at run time)
    pipeline       the branch's JSON steps, the saved model's parameters, the stored
                   pipeline spec (its CV splitter), best_params and tuning
    leaderboard,   the results JSON's metrics, exactly as stored, printed with fixed formats
    metrics
    plots          stored spectra; stored out-of-fold and test predictions; the stored
                   RMSECV curve; the saved model's coefficients and fitted preprocessing
                   (engine.pipeline.preprocess_branch, deterministic); T² and Q of the stored
                   spectra against the saved latent model (Project.load_diagnostics)
    classification confusion matrices counted from the stored predictions
    plan, timing,  the results JSON and the run's stored library versions; the model blob's
    versions       stored sha256
"""
from __future__ import annotations

import os
from typing import Any

import numpy as np

from engine.dataset import SpectralDataset
from engine.report import formatting as F
from engine.report.document import Block, Heading, KeyValues, Paragraph, Report, Table
from engine.report.source import Source, read_source
from engine.report.steps import steps_table

__all__ = ["build_report"]

REGRESSION_COLUMNS = (("rmse", "RMSE"), ("r2", "R\u00b2"), ("bias", "Bias"), ("sep", "SEP"),
                      ("rpd", "RPD"), ("mae", "MAE"))
CLASS_COLUMNS = (("accuracy", "Accuracy"), ("balanced_accuracy", "Balanced accuracy"),
                 ("f1_macro", "F1 (macro)"))
PARTITIONS = (("cal", "Calibration", "RMSEC"), ("cv", "Cross-validation", "RMSECV"),
              ("test", "Test", "RMSEP"))


def build_report(path: str | os.PathLike, run_id: int | None = None,
                 branch_id: int | None = None) -> Report:
    """The report of run ``run_id`` (default: the latest) with branch ``branch_id`` (default:
    the run's best) in detail. InputError (one line naming the choices) for an unknown run or
    branch, or a branch without a saved model."""
    r = read_source(path, run_id, branch_id)
    b = r.branch
    blocks: list[Block] = []
    blocks += _summary(r)
    blocks += _dataset(r)
    blocks += _pipeline(r)
    blocks += _leaderboard(r)
    blocks += _merit(r)
    blocks += _plots(r)
    blocks += _outliers(r)
    blocks += _plan(r)
    blocks += _timing_versions(r)
    title = f"Model report \u2013 {r.pipeline.name}"
    subtitle = (f"{r.dataset.name}, target {r.target}: run {r.run.id} of {r.run.created}, "
                f"branch {b['id']}")
    return Report(title=title, subtitle=subtitle, blocks=tuple(blocks), run_id=r.run.id,
                  branch_id=int(b["id"]))


# -- sections ---------------------------------------------------------------------------------

def _headline(r: Source) -> str:
    m = r.branch.get("metrics") or {}
    if r.classification:
        return (f"balanced accuracy CV {F.metric((m.get('cv') or {}).get('balanced_accuracy'))}"
                f", test {F.metric((m.get('test') or {}).get('balanced_accuracy'))}")
    return (f"RMSEC {F.metric((m.get('cal') or {}).get('rmse'))}, "
            f"RMSECV {F.metric((m.get('cv') or {}).get('rmse'))}, "
            f"RMSEP {F.metric((m.get('test') or {}).get('rmse'))}")


def _summary(r: Source) -> list[Block]:
    b, best = r.branch, r.results.get("best_branch")
    which = ("the run's best branch" if b["id"] == best
             else f"chosen for this report (the run's best is branch {best})")
    rows = [("Project", r.path.name), ("Run", f"{r.run.id}, recorded {r.run.created}"),
            ("Pipeline", r.pipeline.name),
            ("Branch", f"{b['id']}: {b['name']} ({which})"),
            ("Target", f"{r.target} ({r.run.task})"),
            ("Result", _headline(r)),
            ("Model sha256", r.sha256)]
    return [Heading("Summary"), KeyValues(tuple(rows))]


def _partition_how(ds: SpectralDataset, n_test: int) -> str:
    how = _test_rows_how(ds, n_test)
    other = ds.metadata.get("partition_other") or {}
    if isinstance(other, dict) and other:
        labels = ", ".join(f"{label!r} ({len(rows)})" for label, rows in other.items())
        how += f"; rows labelled {labels} are neither calibration nor test: left out"
    mapped = ds.metadata.get("partition_mapped") or {}
    if isinstance(mapped, dict) and mapped:
        how += "; labels mapped: " + ", ".join(f"{k!r} to {v}" for k, v in mapped.items())
    return how


def _test_rows_how(ds: SpectralDataset, n_test: int) -> str:
    meta = ds.metadata
    if n_test == 0:
        return "no test part: every sample used is calibration"
    if meta.get("split_file"):
        return f"test rows as marked in {meta['split_file']} (test or val)"
    if meta.get("partition_column"):
        return f"test rows as marked in the column {meta['partition_column']!r}"
    if meta.get("layout") == "nirs4all":
        return "the validation/test files (Xval/Xtest) form the test part"
    return "as marked in the source data"


def _sources(meta: dict[str, Any]) -> str:
    files = [meta.get(k) for k in ("x_file", "target_file", "split_file")]
    if isinstance(meta.get("files"), dict):
        files += list(meta["files"].values())
    seen = [str(f) for f in dict.fromkeys(files) if f]
    return "; ".join(seen) or str(meta.get("path", F.DASH))


def _axis_text(ds: SpectralDataset) -> str:
    wl = ds.wavelengths
    units = f" {ds.units}" if ds.units else " (units not given)"
    step = ""
    if wl.size > 1:
        d = np.diff(wl)
        even = np.allclose(d, d.mean(), rtol=1e-3, atol=0.0)
        step = f", step {F.number(float(d.mean()))}" if even else ", uneven steps"
    return (f"{wl.size} points, {F.value(float(wl[0]))} to {F.value(float(wl[-1]))}"
            f"{units}{step}")


def _splitter(r: Source) -> tuple[Any, bool]:
    """The branch's CV splitter StepSpec from the stored pipeline spec (None if the spec no
    longer parses, e.g. a plugin step not registered now)."""
    from engine.errors import NirdeskInputError
    from engine.pipeline import parse_pipeline

    try:
        expanded = parse_pipeline(r.pipeline.spec)
    except NirdeskInputError:
        return None, False
    branch = next((x for x in expanded.branches if x.id == int(r.branch["id"])), None)
    if branch is None:
        return None, False
    return branch.splitter, branch.splitter_is_default


def _dataset(r: Source) -> list[Block]:
    ds, info = r.dataset, r.results.get("dataset", {})
    n_train, n_test = len(r.train), len(r.test)
    excluded = [str(x) for x in info.get("excluded") or []]
    splitter, default = _splitter(r)
    cv = F.DASH if splitter is None else splitter.label() + (
        " (the default; random_state follows the run's --seed)" if default else "")
    rows = [("Name", ds.name), ("Source", _sources(ds.metadata)),
            ("Content sha256", r.dataset_hash),
            ("Samples", f"{ds.n_samples} in the dataset: {n_train} calibration, {n_test} test,"
                        f" {len(excluded)} excluded"),
            ("Spectral axis", _axis_text(ds)),
            ("Target", f"{r.target} ({r.run.task})"),
            ("Partition", _partition_how(ds, n_test)),
            ("Cross-validation", f"{cv} on the {n_train} calibration rows")]
    if ds.metadata.get("layout"):
        rows.insert(2, ("Layout", str(ds.metadata["layout"])))
    text = (", ".join(excluded) if excluded else "none")
    return [Heading("Dataset"), KeyValues(tuple(rows)),
            Paragraph(f"Excluded samples ({len(excluded)}), left out of calibration, "
                      f"cross-validation and test: {text}")]


def _pipeline(r: Source) -> list[Block]:
    b = r.branch
    splitter, default = _splitter(r)
    blocks: list[Block] = [Heading("Pipeline"),
                           Paragraph(f"Branch {b['id']} of the pipeline {r.pipeline.name!r}: "
                                     f"{b['name']}"),
                           steps_table(list(b.get("steps") or []), r.model, b.get("best_params"),
                                       splitter, default, b.get("tuning"))]
    tuning = b.get("tuning")
    if tuning:
        rows = [("Method", str(tuning.get("method", F.DASH))),
                ("Metric", str(tuning.get("metric", F.DASH))),
                ("Candidates evaluated", str(tuning.get("evaluated", F.DASH))),
                ("Search time", F.seconds(tuning.get("seconds")))]
        best = b.get("best_params") or {}
        rows.append(("Best parameters", ", ".join(f"{k} = {F.value(v)}"
                                                  for k, v in sorted(best.items())) or F.DASH))
        blocks.append(KeyValues(tuple(rows), title="Parameter search"))
    return blocks


def _leaderboard(r: Source) -> list[Block]:
    best = r.results.get("best_branch")
    header: tuple[str, ...]
    if r.classification:
        header = ("Branch", "Steps", "Status", "BAcc CV", "Acc CV", "BAcc test", "Time")
        keys: tuple[tuple[str, str], ...] = (("cv", "balanced_accuracy"), ("cv", "accuracy"),
                                             ("test", "balanced_accuracy"))
    else:
        header = ("Branch", "Steps", "Status", "RMSEC", "RMSECV", "R\u00b2 CV", "RMSEP", "Time")
        keys = (("cal", "rmse"), ("cv", "rmse"), ("cv", "r2"), ("test", "rmse"))
    rows = []
    for b in r.results.get("branches", []):
        m = b.get("metrics") or {}
        mark = " *" if b["id"] == best else ""
        cells = [F.metric((m.get(part) or {}).get(key)) for part, key in keys]
        status = b.get("status", "")
        if b.get("error"):
            status += f": {b['error']}"
        rows.append((f"{b['id']}{mark}", str(b["name"]), status, *cells,
                     F.seconds(b.get("seconds"))))
    n = len(header)
    return [Heading("Leaderboard"),
            Table(header=header, rows=tuple(rows), title="All branches of the run",
                  caption="* the run's best branch. Metrics as stored with the run.",
                  align=("l", "l", "l") + ("r",) * (n - 3),
                  widths=(1.1, 4.0, 1.0) + (1.3,) * (n - 4) + (1.1,))]


def _merit(r: Source) -> list[Block]:
    m = r.branch.get("metrics") or {}
    blocks: list[Block] = [Heading(f"Figures of merit of branch {r.branch['id']}")]
    counts = {"cal": len(r.train), "test": len(r.test),
              "cv": _n_predicted(r.run.predictions.get(int(r.branch["id"]), {}).get("cv"))}
    columns = CLASS_COLUMNS if r.classification else REGRESSION_COLUMNS
    rows = []
    for part, label, name in PARTITIONS:
        values = m.get(part)
        if values is None and part == "test" and not len(r.test):
            continue
        title = label if r.classification else f"{label} ({name})"
        rows.append((title, str(counts[part]),
                     *(F.metric((values or {}).get(k)) for k, _ in columns)))
    header = ("Partition", "n", *(label for _, label in columns))
    blocks.append(Table(header=header, rows=tuple(rows), align=("l",) + ("r",) * (len(header) - 1),
                        widths=(2.6,) + (1.0,) * (len(header) - 1),
                        caption=("Calibration: the refitted model on its own calibration rows; "
                                 "cross-validation: out-of-fold predictions; test: the "
                                 "held-out rows. Bias = mean(predicted \u2212 observed).")
                        if not r.classification else
                        "Cross-validation: out-of-fold predictions; test: the held-out rows."))
    if r.classification:
        blocks += _confusion(r)
    warnings = r.branch.get("warnings") or []
    if warnings:
        blocks.append(Paragraph("Warnings of this branch: " + "; ".join(map(str, warnings)),
                                note=True))
    return blocks


def _n_predicted(values: Any) -> int:
    if values is None:
        return 0
    arr = np.asarray(values)
    if arr.dtype.kind == "f":
        return int(np.isfinite(arr).sum())
    return int((arr != "").sum()) if arr.dtype.kind == "U" else int(arr.size)


def _confusion(r: Source) -> list[Block]:
    """Confusion matrices (rows observed, columns predicted) and per-class precision, recall
    and F1, counted from the run's stored predictions."""
    preds = r.run.predictions.get(int(r.branch["id"]), {})
    y = r.y.astype(str)
    raw = [("cross-validation", r.train, preds.get("cv")),
           ("test", r.test, preds.get("test"))]
    parts = [(name, rows, np.asarray(p).astype(str)) for name, rows, p in raw
             if p is not None and len(rows)]
    labels = sorted({*y[r.train].tolist(), *y[r.test].tolist(),
                     *(v for _, _, p in parts for v in p.tolist() if v != "")})
    blocks: list[Block] = []
    per_class: dict[str, list[str]] = {c: [] for c in labels}
    for name, rows, pred in parts:
        obs = y[rows]
        keep = pred != ""
        obs, pred = obs[keep], pred[keep]
        index = {c: i for i, c in enumerate(labels)}
        matrix = np.zeros((len(labels), len(labels)), dtype=np.int64)
        for o, p in zip(obs, pred, strict=True):
            matrix[index[o], index[p]] += 1
        body = tuple((c, *(str(v) for v in matrix[i]), str(int(matrix[i].sum())))
                     for i, c in enumerate(labels))
        body += (("predicted", *(str(int(v)) for v in matrix.sum(axis=0)),
                  str(int(matrix.sum()))),)
        blocks.append(Table(header=("observed \\ predicted", *labels, "n"), rows=body,
                            title=f"Confusion matrix, {name}",
                            align=("l",) + ("r",) * (len(labels) + 1),
                            widths=(2.4,) + (1.0,) * (len(labels) + 1)))
        for i, c in enumerate(labels):
            tp = int(matrix[i, i])
            n_obs, n_pred = int(matrix[i].sum()), int(matrix[:, i].sum())
            recall = tp / n_obs if n_obs else None
            precision = tp / n_pred if n_pred else None
            f1 = (2 * precision * recall / (precision + recall)
                  if precision and recall else (0.0 if n_obs and n_pred else None))
            per_class[c] += [str(n_obs), F.metric(precision), F.metric(recall), F.metric(f1)]
    header: tuple[str, ...] = ("Class",)
    for name, _, _ in parts:
        short = "CV" if name == "cross-validation" else "test"
        header += (f"n {short}", f"Precision {short}", f"Recall {short}", f"F1 {short}")
    blocks.append(Table(header=header, rows=tuple((c, *per_class[c]) for c in labels),
                        title="Class metrics", align=("l",) + ("r",) * (len(header) - 1),
                        caption="Counted from the confusion matrices above: precision = "
                                "correct / predicted as the class, recall = correct / "
                                "observed in the class."))
    return blocks


def _plots(r: Source) -> list[Block]:
    from engine.report.plots import branch_figures

    return [Heading("Plots"), *branch_figures(r)]


def _outliers(r: Source) -> list[Block]:
    found = r.branch.get("outliers")
    head: list[Block] = [Heading("Calibration samples outside the model")]
    if found is None:
        return head + [Paragraph("The run stored no T\u00b2/Q diagnostics for this branch.")]
    if not found:
        return head + [Paragraph("No calibration sample is outside the 99 % T\u00b2 or Q "
                                 "limit.")]
    rows = tuple((str(o["id"]), str(int(o["row"]) + 1), F.number(o["t2"]), F.number(o["q"]),
                  str(o["limit"])) for o in found)
    return head + [
        Paragraph(f"{len(found)} of {len(r.train)} calibration samples lie outside the 99 % "
                  "limit of Hotelling's T\u00b2 or of Q, as the run recorded them. They were "
                  "kept in the model (an outlier flag never changes a metric)."),
        Table(header=("Sample id", "Row", "T\u00b2", "Q", "Limit broken"), rows=rows,
              align=("l", "r", "r", "r", "l"), widths=(1.5, 1.0, 1.4, 1.4, 2.0))]


def _plan(r: Source) -> list[Block]:
    rows = []
    for entry in r.run.plan or []:
        reasons = "; ".join(str(x.get("message", "")) for x in entry.get("reasons") or [])
        rows.append((str(entry.get("step") or "trunk"), str(entry.get("mode", "")),
                     str(entry.get("workers", "")), reasons or F.DASH))
    if not rows:
        return [Heading("Parallel plan"), Paragraph("The run stored no parallel plan.")]
    return [Heading("Parallel plan"),
            Table(header=("Step", "Mode", "Workers", "Reasons (the policy's words)"),
                  rows=tuple(rows), align=("l", "l", "r", "l"), widths=(1.2, 1.2, 0.9, 6.0))]


def _timing_versions(r: Source) -> list[Block]:
    b = r.branch
    timing = [("Run", F.seconds(r.run.seconds)), (f"Branch {b['id']}", F.seconds(b.get("seconds")))]
    if b.get("tuning"):
        timing.append(("Parameter search", F.seconds(b["tuning"].get("seconds"))))
    from engine.store.project import app_version

    versions = [(name, str(r.run.versions.get(key, F.DASH))) for key, name in (
        ("nirdesk", "nirdesk"), ("python", "Python"), ("numpy", "numpy"),
        ("scikit-learn", "scikit-learn"), ("skops", "skops"))]
    return [Heading("Timing"), KeyValues(tuple(timing)),
            Heading("Software and model"),
            KeyValues(tuple(versions), title="Versions the run was fitted with"),
            KeyValues((("Model sha256", r.sha256),
                       ("Model", f"run {r.run.id}, branch {b['id']} of {r.path.name}"),
                       ("Report written by", f"nirdesk {app_version()}")), title="Model")]
