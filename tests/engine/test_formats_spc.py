"""SPC reader (issue 15): files written by the independent struct-packing writer in
tests/formats_writers.py (evenly spaced, x array and XY forms; float, int32 and int16 y) read
back as written, and damaged files are refused in one line.
"""
from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest

from engine.errors import InputError
from engine.io.formats import read_spectra
from tests.formats_writers import refusal_line, spc_values, write_spc


# -- SPC -----------------------------------------------------------------------------------
@pytest.mark.parametrize("y_format", ["float", "int32", "int16"])
@pytest.mark.parametrize("x_form", ["even", "xvals", "xyxys"])
def test_spc_multi_spectrum_files_read_back_what_was_written(tmp_path: Path, tablet: tuple,
                                                             y_format: str, x_form: str) -> None:
    wl, X = tablet
    path = write_spc(tmp_path / "many.spc", wl, X, y_format=y_format,
                     even=x_form == "even", xy=x_form == "xyxys")
    got = read_spectra(path)
    np.testing.assert_allclose(got.axis, wl.astype(np.float32), rtol=0, atol=1e-9)
    np.testing.assert_array_equal(got.spectra, spc_values(X, y_format))
    assert got.units == "nm" and got.names == [f"many_{i}" for i in range(1, 13)]
    assert got.metadata["y_units"] == "log(1/R)"


def test_spc_single_spectrum_descending_wavenumbers_is_sorted(tmp_path: Path) -> None:
    wn = np.linspace(10000.0, 4000.0, 301)
    y = np.sin(wn / 700.0)
    path = write_spc(tmp_path / "one.spc", wn, y, x_type=1, y_type=2)
    got = read_spectra(path)
    np.testing.assert_allclose(got.axis, wn[::-1], rtol=0, atol=1e-9)
    np.testing.assert_array_equal(got.spectra[0], spc_values(y)[0][::-1])
    assert got.units == "cm-1" and got.names == ["one"] and got.notes
    assert got.metadata["y_units"] == "absorbance"


def test_spc_bad_files_are_refused_in_one_line(tmp_path: Path, tablet: tuple) -> None:
    wl, X = tablet
    cases = {}
    full = write_spc(tmp_path / "full.spc", wl, X).read_bytes()
    cases["truncated"] = (full[:len(full) - 100], "truncated")
    cases["header"] = (full[:300], "truncated")
    cases["old"] = (write_spc(tmp_path / "o.spc", wl, X[0], version=0x4D).read_bytes(),
                    "old-format")
    cases["text"] = (b"wavelength,absorbance\n1,2\n", "not an SPC file")
    cases["empty"] = (b"", "empty")
    for name, (raw, why) in cases.items():
        path = tmp_path / f"{name}.spc"
        path.write_bytes(raw)
        with pytest.raises(InputError) as exc:
            read_spectra(path)
        assert why in refusal_line(str(exc.value), path), name


def test_spc_subfiles_with_different_axes_are_refused(tmp_path: Path) -> None:
    path = write_spc(tmp_path / "two.spc", np.arange(10.0), np.ones((2, 10)), xy=True)
    raw = bytearray(path.read_bytes())
    second_x = 512 + 32 + 40 + 40 + 32  # header, sub 1 (x, y), subheader 2
    raw[second_x:second_x + 4] = np.float32(-5.0).tobytes()
    path.write_bytes(bytes(raw))
    with pytest.raises(InputError) as exc:
        read_spectra(path)
    assert "its own x axis" in refusal_line(str(exc.value), path)


def test_spc_micrometres_become_nm_and_other_units_are_unknown(tmp_path: Path) -> None:
    um = np.linspace(1.1, 2.5, 71)
    y = np.cos(um)
    got = read_spectra(write_spc(tmp_path / "um.spc", um, y, x_type=2))
    np.testing.assert_allclose(got.axis, um * 1000.0, rtol=1e-12)
    assert got.units == "nm" and any("micrometres" in n for n in got.notes)
    got = read_spectra(write_spc(tmp_path / "min.spc", um, y, x_type=5))
    assert got.units == "" and any("'minutes'" in n for n in got.notes)
