"""Fixtures of the fuzz suite: the real CLI called in-process (tests.fuzzing.call_cli), a
small valid dataset and pipeline, and one trained project to predict with."""
from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

import pytest

from tests.fuzzing import base_table, call_cli, write_table


@pytest.fixture(scope="session")
def cli() -> Callable[[list[str]], tuple[int, str, str]]:
    return call_cli


@pytest.fixture(scope="session")
def good_data(tmp_path_factory) -> Path:
    return write_table(tmp_path_factory.mktemp("good") / "good.csv", base_table(0))


@pytest.fixture(scope="session")
def pls_spec(tmp_path_factory) -> Path:
    path = tmp_path_factory.mktemp("spec") / "pls.json"
    path.write_text('[{"class": "PLSRegression", "params": {"n_components": 3}}]')
    return path


@pytest.fixture(scope="session")
def trained_project(tmp_path_factory, good_data, pls_spec) -> Path:
    """A project with one run of PLS(3) on the base dataset, saved through the CLI."""
    path = tmp_path_factory.mktemp("project") / "trained.nirdesk"
    code, _, err = call_cli(["run", str(pls_spec), "--data", str(good_data), "--save",
                             str(path), "--verbose", "0"])
    assert code == 0, err
    return path
