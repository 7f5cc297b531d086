"""deidc writes a dataset byte for byte as ``Dataset.save_as(path, enforce_file_format=False)`` does.

Batches write through :func:`deidc.runtime.writer.save`, which copies raw elements in one
pass and leaves everything else to pydicom. Its output must be exactly pydicom's, on
files as read, after a recipe ran (decoded, new, removed elements; sequences rebuilt from
their bytes), and where it must fall back to ``save_as`` (another encoding, a new
character set, deflated or private transfer syntaxes), also when pydicom refuses to write.
"""

from __future__ import annotations

import functools
import io
import warnings
from pathlib import Path

import pydicom
import pytest
from hypothesis import HealthCheck, given, settings
from pydicom.data import get_testdata_file
from pydicom.uid import ExplicitVRBigEndian, ExplicitVRLittleEndian, ImplicitVRLittleEndian
from samples import BUNDLED_FILES, RECIPE_PATHS, VARIABLES, with_meta

from deidc.compiler import compile_recipe
from deidc.runtime import execute
from deidc.runtime.writer import _encoding, save
from deidc.testing import datasets

FILES = BUNDLED_FILES
RECIPES = {
    **RECIPE_PATHS,
}


def _both(dataset: pydicom.Dataset, again: pydicom.Dataset) -> tuple[bytes | type, bytes | type]:
    """Write two copies of a dataset, by save_as and by save; return the bytes or the exception's type."""
    written: list[bytes | type] = []
    for write, copy in ((lambda d, o: d.save_as(o, enforce_file_format=False), dataset), (save, again)):
        out = io.BytesIO()
        try:
            write(copy, out)
        except Exception as error:  # noqa: BLE001 - the same failure is the expected result
            written.append(type(error))
        else:
            written.append(out.getvalue())
    return written[0], written[1]


@pytest.mark.parametrize("path", FILES, ids=lambda p: Path(p).name)
def test_a_file_as_read_is_written_as_pydicom_writes_it(path: str) -> None:
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        pydicoms, ours = _both(pydicom.dcmread(path, force=True), pydicom.dcmread(path, force=True))
    assert ours == pydicoms


def test_most_bundled_files_take_the_fast_path() -> None:
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        read = [pydicom.dcmread(path, force=True) for path in FILES]
    assert sum(_encoding(d) is not None for d in read) >= 0.8 * len(read)


@functools.cache
def _plan(name: str):  # type: ignore[no-untyped-def]
    return compile_recipe(RECIPES[name].read_text(), path=str(RECIPES[name])).plan


@pytest.mark.parametrize("recipe", sorted(RECIPES))
@pytest.mark.parametrize("name", ["CT_small.dcm", "MR_small.dcm", "rtplan.dcm", "rtstruct.dcm", "reportsi.dcm",
                                  "nested_priv_SQ.dcm", "MR_small_bigendian.dcm", "JPEG2000.dcm"])
def test_a_dataset_a_recipe_changed_is_written_as_pydicom_writes_it(name: str, recipe: str) -> None:
    path = str(get_testdata_file(name))
    copies = []
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        for _ in range(2):
            dataset = pydicom.dcmread(path, force=True)
            execute(_plan(recipe), dataset, dict(VARIABLES), record_values=False, reuse_raw=True)
            copies.append(dataset)
        pydicoms, ours = _both(*copies)
    assert isinstance(ours, bytes)
    assert ours == pydicoms


@settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(datasets(max_depth=2, likely=("PatientName", "OperatorsName", "SOPInstanceUID")))
def test_generated_datasets_are_written_as_pydicom_writes_them(dataset: pydicom.Dataset) -> None:
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        for syntax in (ExplicitVRLittleEndian, ImplicitVRLittleEndian, ExplicitVRBigEndian):
            data = with_meta(dataset, syntax)
            copies = [pydicom.dcmread(io.BytesIO(data), force=True) for _ in range(2)]
            pydicoms, ours = _both(*copies)  # read, then written back unchanged
            assert ours == pydicoms
            for copy in copies:
                execute(_plan("groups"), copy, dict(VARIABLES), record_values=False, reuse_raw=True)
            pydicoms, ours = _both(*copies)
            assert ours == pydicoms


def test_a_new_character_set_or_encoding_is_left_to_pydicom() -> None:
    path = str(get_testdata_file("CT_small.dcm"))
    recoded = pydicom.dcmread(path)
    recoded.SpecificCharacterSet = "ISO_IR 192"  # pydicom re-encodes every text
    assert _encoding(recoded) is None
    other = pydicom.dcmread(path)
    other.file_meta.TransferSyntaxUID = ImplicitVRLittleEndian  # another encoding than the one read
    assert _encoding(other) is None
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        pydicoms, ours = _both(pydicom.dcmread(path), pydicom.dcmread(path))
        assert ours == pydicoms


def test_save_writes_a_path(tmp_path: Path) -> None:
    path = str(get_testdata_file("CT_small.dcm"))
    save(pydicom.dcmread(path), str(tmp_path / "out.dcm"))
    pydicom.dcmread(path).save_as(tmp_path / "pydicom.dcm", enforce_file_format=False)
    assert (tmp_path / "out.dcm").read_bytes() == (tmp_path / "pydicom.dcm").read_bytes()


def test_new_encapsulated_pixel_data_gets_an_undefined_length_as_dcmwrite_gives_it() -> None:
    path = str(get_testdata_file("JPEG2000.dcm"))
    copies = []
    for _ in range(2):
        dataset = pydicom.dcmread(path)
        data = dataset.PixelData
        del dataset.PixelData
        dataset.add_new(0x7FE00010, "OB", data)  # a new element: its length is not marked undefined
        copies.append(dataset)
    pydicoms, ours = _both(*copies)
    assert isinstance(ours, bytes)
    assert ours == pydicoms


def test_a_file_meta_with_other_elements_fails_as_pydicom_fails() -> None:
    copies = []
    for _ in range(2):
        dataset = pydicom.dcmread(str(get_testdata_file("CT_small.dcm")))
        meta = pydicom.Dataset()  # not a FileMetaDataset: nothing stops a non-group-2 element
        for element in dataset.file_meta:
            meta.add(element)
        dataset.file_meta = meta
        meta.PatientName = "Doe^Jane"  # after: pydicom checks the file meta when it is set
        copies.append(dataset)
    pydicoms, ours = _both(*copies)
    assert pydicoms is ValueError
    assert ours is ValueError


def test_a_dataset_with_large_pixel_data_is_written_by_save_as(monkeypatch: pytest.MonkeyPatch) -> None:
    """Built in memory, a large file's bytes would be held twice: pydicom writes it element by element."""
    from deidc.runtime import writer

    path = str(get_testdata_file("CT_small.dcm"))
    calls: list[object] = []
    real = pydicom.Dataset.save_as

    def counted(self: pydicom.Dataset, *args: object, **kwargs: object) -> None:
        calls.append(args[0])
        real(self, *args, **kwargs)  # type: ignore[arg-type]

    monkeypatch.setattr(pydicom.Dataset, "save_as", counted)
    monkeypatch.setattr(writer, "MAX_BYTES", len(pydicom.dcmread(path).PixelData) - 1)
    pydicoms, ours = _both(pydicom.dcmread(path), pydicom.dcmread(path))
    assert ours == pydicoms
    assert len(calls) == 2  # pydicom's own write, and ours: save_as too
