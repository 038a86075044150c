"""Instrument-file readers (issue 15): OPUS, JCAMP-DX and the dispatch on suffix and content
(SPC in test_formats_spc.py, Excel and MATLAB in test_formats_tables.py).

Every expected value comes from outside the reader under test: the format library's own arrays
(brukeropus, jcamp), or the arrays the independent writers in tests/formats_writers.py (and
openpyxl, scipy.io.savemat) were given.
"""
from __future__ import annotations

import shutil
from pathlib import Path

import brukeropus
import jcamp
import numpy as np
import pytest

from engine.errors import InputError
from engine.io.formats import SUFFIXES, SpectraFile, format_of, read_spectra
from tests.formats_writers import refusal_line, write_jcamp

DATA = Path(__file__).resolve().parents[1] / "data"
OPUS = DATA / "formats" / "opus" / "file.0"
JCAMP = DATA / "formats" / "jcamp"
JCAMP_READ = ["ethanol2.jdx", "isopropanol_ASDF.jdx", "example_multiline_datasets.jdx",
              "PE1800.DX"]
JCAMP_REFUSED = {"example_compound_file.jdx": "compound", "BRUKDIF.DX": "NMR",
                 "TESTSPEC.DX": "NMR", "noencoding_example.jdx": "no spectrum decoded"}




# -- OPUS ----------------------------------------------------------------------------------
def test_opus_absorbance_equals_brukeropus_with_the_axis_sorted_ascending() -> None:
    ref = brukeropus.read_opus(str(OPUS)).a
    got = read_spectra(OPUS)
    assert ref.x[0] > ref.x[-1]  # the shared file is descending: the sort is exercised
    np.testing.assert_array_equal(got.axis, np.asarray(ref.x, dtype=np.float64)[::-1])
    np.testing.assert_array_equal(got.spectra[0], np.asarray(ref.y, dtype=np.float64)[::-1])
    assert got.units == "cm-1" and got.n_spectra == 1 and got.names == ["file.0"]
    assert got.metadata["block"] == "a" and got.metadata["instrument"] == "VERTEX 80V"
    assert any("descending" in n for n in got.notes)


def test_opus_another_block_on_request_and_a_missing_block_names_those_present() -> None:
    ref = brukeropus.read_opus(str(OPUS)).sm
    got = read_spectra(OPUS, block="sm")
    np.testing.assert_array_equal(got.spectra[0], np.asarray(ref.y, dtype=np.float64)[::-1])
    assert got.metadata["block"] == "sm"
    with pytest.raises(InputError) as exc:
        read_spectra(OPUS, block="t")
    text = refusal_line(str(exc.value), OPUS)
    assert "no block 't'" in text and "a (Absorbance)" in text and "sm (" in text


def test_opus_is_recognised_by_content_and_damaged_files_are_refused(tmp_path: Path) -> None:
    numbered = tmp_path / "sample.3"
    shutil.copy(OPUS, numbered)
    assert format_of(numbered) == "OPUS"
    assert read_spectra(numbered).names == ["sample.3"]
    truncated = tmp_path / "cut.0"
    truncated.write_bytes(OPUS.read_bytes()[:5000])
    with pytest.raises(InputError) as exc:
        read_spectra(truncated)
    assert "damaged or truncated" in refusal_line(str(exc.value), truncated)
    other = tmp_path / "noise.1"
    other.write_bytes(b"\x01\x02" * 50)
    with pytest.raises(InputError) as exc:
        read_spectra(other)
    assert "not an OPUS file" in refusal_line(str(exc.value), other)


# -- JCAMP-DX ------------------------------------------------------------------------------
@pytest.mark.parametrize("name", JCAMP_READ)
def test_jcamp_files_the_library_reads_give_its_arrays(name: str) -> None:
    ref = jcamp.readfile(str(JCAMP / name))
    x, y = np.asarray(ref["x"], dtype=np.float64), np.asarray(ref["y"], dtype=np.float64)
    order = np.argsort(x)
    got = read_spectra(JCAMP / name)
    np.testing.assert_array_equal(got.axis, x[order])
    np.testing.assert_array_equal(got.spectra[0], y[order])
    assert got.units == "cm-1"
    assert got.metadata["y_units"] == ref["yunits"].strip()
    assert got.names == [Path(name).stem]
    assert any("descending" in n for n in got.notes) == (x[0] > x[-1])


@pytest.mark.parametrize("name", sorted(JCAMP_REFUSED))
def test_jcamp_files_the_library_cannot_read_are_refused_in_one_line(name: str) -> None:
    with pytest.raises(InputError) as exc:
        read_spectra(JCAMP / name)
    assert JCAMP_REFUSED[name] in refusal_line(str(exc.value), JCAMP / name)


def test_jcamp_written_nir_spectrum_reads_back_exactly_in_nm(tmp_path: Path,
                                                             tablet: tuple) -> None:
    wl, X = tablet
    for table in ("XYDATA", "XYPOINTS"):
        path = write_jcamp(tmp_path / f"s_{table}.jdx", wl, X[3], table=table)
        got = read_spectra(path)
        np.testing.assert_array_equal(got.axis, wl)
        np.testing.assert_array_equal(got.spectra, X[3:4])
        assert got.units == "nm" and got.metadata["y_units"] == "LOG(1/R)"


def test_jcamp_truncated_data_table_is_refused(tmp_path: Path, tablet: tuple) -> None:
    wl, X = tablet
    path = write_jcamp(tmp_path / "cut.jdx", wl, X[0])
    lines = path.read_text().splitlines()
    path.write_text("\n".join(lines[:-20]) + "\n")  # the last data lines and ##END= lost
    with pytest.raises(InputError) as exc:
        read_spectra(path)
    assert "cut.jdx" in refusal_line(str(exc.value), path)


# -- dispatch ------------------------------------------------------------------------------
def test_every_listed_suffix_dispatches_and_unknown_or_missing_files_are_refused(
        tmp_path: Path) -> None:
    assert {SUFFIXES[s] for s in (".jdx", ".dx", ".spc", ".xlsx", ".mat")} == {
        "JCAMP-DX", "SPC", "Excel", "MATLAB"}
    odd = tmp_path / "a.xyz"
    odd.write_text("1 2\n")
    with pytest.raises(InputError) as exc:
        read_spectra(odd)
    assert "unknown spectrum file format '.xyz'" in refusal_line(str(exc.value), odd)
    missing = tmp_path / "gone.spc"
    with pytest.raises(InputError) as exc:
        read_spectra(missing)
    assert "no such file" in refusal_line(str(exc.value), missing)
    upper = tmp_path / "LOUD.JDX"
    shutil.copy(JCAMP / "ethanol2.jdx", upper)
    assert isinstance(read_spectra(upper), SpectraFile)


def test_jcamp_micrometres_become_nm(tmp_path: Path) -> None:
    um = np.linspace(1.0, 2.5, 16)
    y = np.linspace(0.1, 0.4, 16)
    got = read_spectra(write_jcamp(tmp_path / "um.jdx", um, y, x_units="MICROMETERS"))
    np.testing.assert_allclose(got.axis, um * 1000.0, rtol=1e-12)
    np.testing.assert_array_equal(got.spectra[0], y)
    assert got.units == "nm" and got.metadata["x_units"] == "MICROMETERS"
