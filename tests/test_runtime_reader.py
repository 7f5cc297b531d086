"""deidc reads a file as ``pydicom.dcmread`` reads it: the same elements, file meta and dataset state.

Batches read through :func:`deidc.runtime.reader.read`, which reads the elements of an
Explicit VR Little Endian file from its bytes and leaves every other file to ``dcmread``.
Its dataset must be pydicom's: the same raw elements (value and position in the file), in
the same order, the same file meta, and the same attributes (encodings read, file name,
time stamp), on every file pydicom bundles, deid-data and generated datasets; and a file
pydicom cannot read fails the same way.
"""

from __future__ import annotations

import warnings
from pathlib import Path

import pydicom
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from pydicom.data import get_testdata_file
from pydicom.uid import ExplicitVRBigEndian, ExplicitVRLittleEndian, ImplicitVRLittleEndian
from samples import BUNDLED_FILES, with_meta

from deidc.runtime import reader
from deidc.runtime.reader import elements, read
from deidc.testing import datasets

FILES = BUNDLED_FILES


def _outcome(function: object, path: str, force: bool) -> object:
    """What reading gives: the dataset's state, or the exception's type."""
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        try:
            dataset = function(path, force=force)  # type: ignore[operator]
        except Exception as error:  # noqa: BLE001 - the same failure is the expected result
            return type(error)
    state = {key: _comparable(value) for key, value in vars(dataset).items() if key not in ("_dict", "file_meta")}
    meta = dataset.file_meta
    return (list(dataset._dict.items()), list(meta._dict.items()), vars(meta).keys() - {"_dict"}, state,
            dataset.original_encoding, dataset.original_character_set, dataset._character_set)


def _comparable(value: object) -> object:
    """A value as compared: a buffer (a deflated file's, inflated) by its type and bytes."""
    if hasattr(value, "getvalue"):
        return type(value), value.getvalue()
    return value


def _assert_same(path: str, force: bool = True) -> None:
    assert _outcome(read, path, force) == _outcome(pydicom.dcmread, path, force)


@pytest.mark.parametrize("path", FILES, ids=lambda p: Path(p).name)
def test_a_bundled_file_is_read_as_pydicom_reads_it(path: str) -> None:
    _assert_same(path)


@pytest.fixture
def left(monkeypatch: pytest.MonkeyPatch) -> list[str]:
    """The files the reader leaves to ``dcmread`` (listed as it is called)."""
    found: list[str] = []
    real = pydicom.dcmread

    def counted(path: str, force: bool = False) -> pydicom.Dataset:
        found.append(path)
        return real(path, force=force)

    monkeypatch.setattr(reader.pydicom, "dcmread", counted)
    return found


def test_most_explicit_little_endian_files_take_the_fast_path(left: list[str]) -> None:
    """The comparison above must test the fast path: count the files left to dcmread."""
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        for path in FILES:
            try:
                read(path, force=True)
            except Exception:  # noqa: BLE001, S112 - a file neither can read
                continue
    fast = len(FILES) - len(left)
    assert fast >= 50, fast
    assert str(get_testdata_file("CT_small.dcm")) not in left  # Explicit VR Little Endian, defined lengths
    assert str(get_testdata_file("rtplan.dcm")) in left  # Implicit VR Little Endian: pydicom's


def test_deid_data_files_are_read_as_pydicom_reads_them(humans: list[str], cookies: list[str]) -> None:
    for path in [*humans, *cookies]:
        _assert_same(path, force=False)


def test_a_file_pydicom_refuses_fails_the_same_way(tmp_path: Path) -> None:
    not_dicom = tmp_path / "notes.txt"
    not_dicom.write_bytes(b"hello, this is not DICOM" * 10)
    assert _outcome(read, str(not_dicom), False) == _outcome(pydicom.dcmread, str(not_dicom), False)
    missing = str(tmp_path / "missing.dcm")
    assert _outcome(read, missing, False) is _outcome(pydicom.dcmread, missing, False) is FileNotFoundError


def _file(dataset: pydicom.Dataset, syntax: str, tail: bytes) -> bytes:
    return with_meta(dataset, syntax) + tail


#: what may follow the elements: nothing, a few stray bytes, a truncated header or value, a delimiter
_TAILS = st.sampled_from([b"", b"\x00\x00\x00", b"\x10\x00\x10\x00PN\x08\x00Doe", b"\x10\x00\x10\x00",
                          b"\xfe\xff\x0d\xe0\x00\x00\x00\x00", b"\xfe\xff\x0d\xe0OB\x00\x00\x00\x00\x00\x00",
                          b"\x09\x00\x10\x10XX\x02\x00ab",
                          b"\x11\x00\x10\x10OB\x00\x00\xff\xff\xff\xff"])


@settings(max_examples=60, deadline=None,
          suppress_health_check=[HealthCheck.too_slow, HealthCheck.function_scoped_fixture])
@given(dataset=datasets(max_depth=2, likely=("PatientName", "OperatorsName", "SOPInstanceUID")), tail=_TAILS,
       syntax=st.sampled_from([ExplicitVRLittleEndian, ImplicitVRLittleEndian, ExplicitVRBigEndian]))
def test_generated_files_are_read_as_pydicom_reads_them(dataset: pydicom.Dataset, tail: bytes, syntax: str,
                                                        tmp_path_factory: pytest.TempPathFactory) -> None:
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        data = _file(dataset, syntax, tail)
    path = tmp_path_factory.mktemp("read") / "file.dcm"
    path.write_bytes(data)
    _assert_same(str(path))


def test_elements_leaves_to_pydicom_what_it_does_not_read_exactly() -> None:
    head = b"\x10\x00\x10\x00PN\x08\x00Doe^Jane"
    assert elements(head, 0) is not None
    assert elements(head + b"\x10\x00\x20\x00LO\x10\x00short", 0) is None  # truncated value
    assert elements(head + b"\x10\x00\x20\x00xx\x02\x00ab", 0) is None  # unknown VR
    assert elements(head + b"\x11\x00\x10\x00SQ\x00\x00\xff\xff\xff\xff", 0) is None  # undefined length
    assert elements(head + b"\xfe\xff\x0d\xe0\x00\x00\x00\x00", 0) is None  # a sequence delimiter
    assert elements(head + b"\xfe\xff\x0d\xe0OB\x00\x00\x00\x00\x00\x00", 0) is None  # one that looks like OB
    assert elements(head + b"\x11\x00\x10\x00OB\x00\x00\x01", 0) is None  # a long length cut short
    found = elements(head + b"\x00\x00\x00", 100)  # fewer than 8 bytes left: ignored, as pydicom does
    assert found is not None and [e.value_tell for e in found.values()] == [108]


def test_a_large_file_is_read_by_pydicom_value_by_value(left: list[str], monkeypatch: pytest.MonkeyPatch) -> None:
    """Not read at once (its bytes would be held twice): a file over MAX_BYTES goes to dcmread, with the same result."""
    path = str(get_testdata_file("CT_small.dcm"))
    monkeypatch.setattr(reader, "MAX_BYTES", Path(path).stat().st_size - 1)
    assert _outcome(read, path, False) == _outcome(pydicom.filereader.dcmread, path, False)
    assert left == [path]
