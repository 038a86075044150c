"""Malformed datasets through `nirdesk info`, `run` and `predict` (issue 22): ragged rows,
text cells, NaN/inf/1e300, broken headers, empty, binary, wrong encodings, corrupt gzip, a
JCAMP file named .csv, a constant target, one row; plus valid oddities (a BOM, CRLF, shared
sample ids) that must keep working. Every case: no traceback, no hang, exit 2 in one line
for what is bad."""
from __future__ import annotations

import pytest

from tests.fuzzing import DATASET_KINDS, INFO_ACCEPTS, check_outcome, dataset_case

SEEDS = range(4)
#: refused by `run` though `info` describes them: nothing to model
RUN_REFUSES = frozenset({"constant", "onerow"})


@pytest.mark.parametrize("seed", SEEDS)
@pytest.mark.parametrize("kind", DATASET_KINDS)
def test_info_run_predict_on_a_malformed_dataset(kind, seed, tmp_path, cli, pls_spec,
                                                 trained_project):
    case = dataset_case(kind, seed, tmp_path)
    info = ["info", str(case.path)]
    code, out, err = cli(info)
    check_outcome(info, code, err, must_refuse=case.bad and kind not in INFO_ACCEPTS)
    if kind in INFO_ACCEPTS and code == 0:
        assert "samples" in out  # described, not silently empty
    run = ["run", str(pls_spec), "--data", str(case.path), "--verbose", "0"]
    code, _, err = cli(run)
    check_outcome(run, code, err, must_refuse=case.bad)
    if kind in RUN_REFUSES:
        assert "nothing to model" in err or "only 1 training sample" in err
    out_csv = tmp_path / "pred.csv"
    predict = ["predict", str(trained_project), "--data", str(case.path), "--out",
               str(out_csv), "--verbose", "0"]
    code, _, err = cli(predict)
    # predict needs no target: a constant or single-row one is no reason to refuse
    check_outcome(predict, code, err, must_refuse=case.bad and kind not in RUN_REFUSES)
    if code == 0:
        assert out_csv.read_text().count("\n") > 1
    else:
        assert not out_csv.exists()  # a refusal writes nothing


def test_the_refusals_name_file_row_and_column(tmp_path, cli):
    """The kinds that hit one cell say where it is (file, row, column), as the docs promise."""
    for kind in ("text", "nonfinite", "overflow", "ragged"):
        case = dataset_case(kind, 0, tmp_path)
        code, _, err = cli(["info", str(case.path)])
        assert code == 2 and f"{case.path.name}, row " in err, err
        if kind != "ragged":
            assert "column " in err, err
