"""New elements (REPLACE of an unread element, ADD) are validated as pydicom validates them, each text once.

A batch writes the same few texts into every file, so a text that passed pydicom's
validation for a VR is not validated again. That must not change what pydicom would
say: an invalid value warns (or raises, under pydicom's RAISE mode) every time.
"""

from __future__ import annotations

import warnings
from collections.abc import Iterator

import pytest
from pydicom import config

from deidc.runtime import actions
from deidc.runtime.actions import make_element


@pytest.fixture(autouse=True)
def _fresh_cache() -> Iterator[None]:
    actions._VALID.clear()
    mode = config.settings.reading_validation_mode
    yield
    actions._VALID.clear()
    config.settings.reading_validation_mode = mode


def _warnings(count: int, vr: str, value: str) -> list[str]:
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        for _ in range(count):
            make_element(0x00100010 if vr == "PN" else 0x00120062, vr, value)
    return [str(w.message) for w in caught]


def test_an_invalid_value_warns_each_time_as_pydicom_does() -> None:
    assert len(_warnings(3, "CS", "Yes, lower case")) == 3


def test_a_valid_value_never_warns_and_is_validated_once() -> None:
    assert _warnings(3, "CS", "YES") == []
    assert ("CS", "YES") in actions._VALID


def test_an_invalid_value_raises_under_pydicoms_raise_mode_also_after_a_valid_one() -> None:
    config.settings.reading_validation_mode = config.RAISE
    assert make_element(0x00120062, "CS", "YES").value == "YES"
    assert make_element(0x00120062, "CS", "YES").value == "YES"  # cached: still no error
    with pytest.raises(ValueError, match="CS"):
        make_element(0x00120062, "CS", "Yes, lower case")


def test_new_elements_keep_pydicoms_mode_for_later_values() -> None:
    element = make_element(0x00120062, "CS", "YES")
    again = make_element(0x00120062, "CS", "YES")
    assert element.validation_mode == again.validation_mode == config.settings.reading_validation_mode
    assert make_element(0x00100010, "PN", "Doe^Jane").value == "Doe^Jane"
    assert str(make_element(0x00281050, "DS", "1.5\\2").value[1]) == "2"  # several values, converted as usual


def _made() -> str:
    """A file whose sequences are stored with defined lengths (read raw): one at the top, one inside it."""
    import tempfile

    import pydicom

    inner = pydicom.Dataset()
    inner.CodeValue, inner.CodeMeaning = "T-1", "chest"
    item = pydicom.Dataset()
    item.ReferencedSOPInstanceUID = "1.2.3"
    item.PurposeOfReferenceCodeSequence = [inner]
    dataset = pydicom.Dataset()
    dataset.PatientName = "Doe^Jane"
    dataset.ReferencedImageSequence = [item, item]
    handle, path = tempfile.mkstemp(suffix=".dcm")
    with open(handle, "wb") as out:
        dataset.save_as(out, implicit_vr=False, little_endian=True)
    return path


def _blanked(path: str, keyword: str, read_first: bool) -> tuple[bytes, object, list[int]]:
    """BLANK a sequence (at every depth) in a file; return the written bytes, what is read back, and its lengths."""
    import io

    import pydicom

    from deidc.compiler import compile_recipe
    from deidc.runtime import execute

    plan = compile_recipe(f"FORMAT dicom\n%header\nBLANK {keyword}\n", path="<blank>").plan
    dataset = pydicom.dcmread(path, force=True)
    if read_first:  # every sequence converted before the run: blanking empties the converted element
        assert any(element.keyword == keyword for element in dataset.iterall())
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        execute(plan, dataset, {}, record_values=False, reuse_raw=True)
        out = io.BytesIO()
        dataset.save_as(out, enforce_file_format=False)
    again = pydicom.dcmread(io.BytesIO(out.getvalue()), force=True)
    return out.getvalue(), again.to_json_dict(), [len(e.value) for e in again.iterall() if e.keyword == keyword]


@pytest.mark.parametrize(("name", "keyword", "same_bytes"), [
    ("CT_small.dcm", "OtherPatientIDsSequence", True),  # at the top level: the same bytes
    ("made", "ReferencedImageSequence", True),
    ("made", "PurposeOfReferenceCodeSequence", False),  # inside items: the rebuilt sequence reads the same
])
def test_a_blanked_sequence_is_written_as_the_emptied_read_one(name: str, keyword: str, same_bytes: bool) -> None:
    from pydicom.data import get_testdata_file

    path = _made() if name == "made" else str(get_testdata_file(name))
    unread, unread_content, lengths = _blanked(path, keyword, read_first=False)
    read, read_content, _ = _blanked(path, keyword, read_first=True)
    assert lengths and not any(lengths)  # there, and empty
    assert unread_content == read_content
    if same_bytes:
        assert unread == read
