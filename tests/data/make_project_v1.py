"""Make tests/data/project_v1.nirdesk: a small project in schema version 1 (the migration fixture).

How it was made (run from the repository root):

    .venv/bin/python tests/data/make_project_v1.py

What it holds: one dataset (tablet rows 1-40 'cal' for training and 401-420 'test', every 6th
wavelength: 60 samples x 100 wavelengths, target api_mg), one pipeline
{"name": "snv-pls5", "steps": ["SNV", PLSRegression(n_components=5, scale=false)]}, and one run
of it with its fitted model (skops), out-of-fold and test predictions. It is written with the
frozen version-1 tables (engine.store.schema.SCHEMA_V1) and plain INSERTs of the version-1
columns, i.e. exactly what a schema-1 nirdesk wrote: no ui_state table, no datasets.metadata.

The file is committed; rerun the script only to rebuild it on purpose (the migration test
then checks the new file the same way).
"""
from __future__ import annotations

import hashlib
import json
import os
import sqlite3
import sys
from pathlib import Path

# Run as a script, Python puts tests/data on the path, not the repository root: add the root
# so that the engine imports below also work without an editable install.
sys.path.insert(0, str(Path(__file__).resolve().parents[2]))

from engine.dataset import SpectralDataset
from engine.io import load_dataset
from engine.results import _json_safe
from engine.run import run
from engine.store import arrays
from engine.store.models import blob_types, dump_model
from engine.store.schema import create_schema

HERE = Path(__file__).resolve().parent
SPEC = {"name": "snv-pls5",
        "steps": ["SNV", {"class": "PLSRegression", "params": {"n_components": 5, "scale": False}}]}
CREATED = "2026-01-15T09:30:00+00:00"


def subset() -> SpectralDataset:
    full = load_dataset(HERE / "tablet")
    rows = list(range(0, 40)) + list(range(400, 420))
    cols = slice(0, None, 6)
    return SpectralDataset(X=full.X[rows][:, cols], wavelengths=full.wavelengths[cols],
                           targets={"api_mg": full.targets["api_mg"][rows]},
                           sample_ids=full.sample_ids[rows], test_mask=full.test_mask[rows],
                           name="tablet-subset")


def main(out: Path) -> None:
    ds = subset()
    result = run(SPEC, ds, verbose=0, seed=0)
    if out.exists():
        out.unlink()
    conn = sqlite3.connect(str(out), isolation_level=None)
    conn.execute("BEGIN IMMEDIATE")
    create_schema(conn, upto=1)
    conn.executemany("INSERT OR REPLACE INTO meta(key, value) VALUES (?, ?)", [
        ("format", "nirdesk.project"), ("created", CREATED), ("modified", CREATED),
        ("created_by", "0.1.0 (schema-1 fixture)"), ("written_by", "0.1.0 (schema-1 fixture)")])
    blobs = {"X": arrays.to_npy(ds.X), "wavelengths": arrays.to_npy(ds.wavelengths),
             "targets": arrays.targets_to_npy(ds.targets),
             "sample_ids": arrays.to_npy(ds.sample_ids),
             "test_mask": arrays.to_npy(ds.test_mask)}
    conn.execute("INSERT INTO datasets(id, name, content_hash, n_samples, n_wavelengths, X,"
                 " wavelengths, targets, target_names, sample_ids, test_mask, created)"
                 " VALUES (1, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)",
                 (ds.name, arrays.content_hash(blobs), ds.n_samples, ds.n_wavelengths, blobs["X"],
                  blobs["wavelengths"], blobs["targets"], json.dumps(ds.target_names),
                  blobs["sample_ids"], blobs["test_mask"], CREATED))
    conn.execute("INSERT INTO pipelines(id, name, spec, spec_hash, created) VALUES (1, ?, ?, ?, ?)",
                 (SPEC["name"], json.dumps(SPEC),
                  arrays.content_hash({"spec": json.dumps(SPEC, sort_keys=True).encode()}),
                  CREATED))
    branch = result.branches[0]
    conn.execute("INSERT INTO runs(id, created, dataset_id, pipeline_id, target, task,"
                 " best_branch, n_branches, plan, results, seconds, cancelled, train_indices,"
                 " test_indices, versions)"
                 " VALUES (1, ?, 1, 1, ?, ?, ?, ?, ?, ?, ?, 0, ?, ?, ?)",
                 (CREATED, ds.target, result.task, result.best_branch, len(result.branches),
                  json.dumps(_json_safe(result.parallel)), json.dumps(_json_safe(result.to_json())),
                  result.seconds, arrays.to_npy(result.train_indices),
                  arrays.to_npy(result.test_indices), json.dumps({"note": "schema-1 fixture"})))
    model = dump_model(branch.model)
    conn.execute("INSERT INTO branch_models(run_id, branch_id, model, sha256, wavelengths, types)"
                 " VALUES (1, 1, ?, ?, ?, ?)",
                 (model, hashlib.sha256(model).hexdigest(), blobs["wavelengths"],
                  json.dumps(blob_types(model))))
    conn.executemany("INSERT INTO predictions(run_id, branch_id, kind, data) VALUES (1, 1, ?, ?)",
                     [("cv", arrays.to_npy(branch.oof_predictions)),
                      ("test", arrays.to_npy(branch.test_predictions))])
    conn.execute("COMMIT")
    conn.execute("VACUUM")
    conn.close()
    print(f"wrote {out} ({os.path.getsize(out)} bytes)")


if __name__ == "__main__":
    main(Path(sys.argv[1]) if len(sys.argv) > 1 else HERE / "project_v1.nirdesk")
