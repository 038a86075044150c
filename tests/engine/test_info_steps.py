"""`nirdesk info STEP`: a step's registry facts and parameter schema, headless."""
from __future__ import annotations

import inspect
import json

import pytest

from engine.cli import main as cli_main
from engine.errors import InputError
from engine.info import describe_path, describe_step, describe_steps
from engine.operators import Baseline, SavitzkyGolay
from engine.registry import get_entry, registry_entries


def _param_lines(text: str) -> dict[str, str]:
    """parameter name -> its "accepted; default" line (the lines after "parameters")."""
    body = text.split("parameters", 1)[1].splitlines()[1:]
    out = {}
    for line in body:
        if line.startswith("  ") and not line.startswith("   "):
            name, rest = line.strip().split(None, 1)
            out[name] = rest
    return out


def test_a_step_prints_its_entry_and_every_parameter_with_bounds_and_default(capsys):
    assert cli_main(["info", "SavitzkyGolay"]) == 0
    text = capsys.readouterr().out
    entry = get_entry("SavitzkyGolay")
    assert text.splitlines()[0] == "step         SavitzkyGolay  (card: Savitzky-Golay, tables: SG)"
    assert entry.description in text and "preprocessing" in text
    lines = _param_lines(text)
    defaults = {k: p.default for k, p in inspect.signature(SavitzkyGolay).parameters.items()}
    assert list(lines) == list(defaults)                 # every parameter, in order
    for name, default in defaults.items():
        assert lines[name].endswith(f"default {json.dumps(default)}"), name
    assert lines["window_length"].startswith("integer >= 1;")
    assert lines["mode"].startswith("one of interp, mirror, nearest, constant, wrap;")
    assert _param_lines(describe_step("Baseline"))["p"].startswith("number in (0, 1);")
    # the bounds printed are the class's own: its check refuses the open end
    with pytest.raises(ValueError):
        Baseline(p=1.0).check_params()


def test_dotted_paths_steps_without_parameters_and_the_list():
    text = describe_step("sklearn.svm.NuSVR")
    assert "sklearn.svm._classes.NuSVR" in text and "nu " in text
    assert describe_step("SNV").splitlines()[-1] == "parameters   none"
    listing = describe_steps().splitlines()
    assert [line.split()[0] for line in listing] == [e.name for e in registry_entries()]


def test_a_step_name_does_not_hide_a_file(tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)
    (tmp_path / "SNV").mkdir()                           # a folder called SNV is a dataset
    with pytest.raises(InputError) as err:
        describe_path("SNV")
    assert "step" not in str(err.value)
    with pytest.raises(InputError, match=r"nor a step of that name.*did you mean SavitzkyGolay"):
        describe_path("SavitzkyGolai")
