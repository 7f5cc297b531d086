"""New values in a batch are put in as the bytes pydicom writes for them, without a pydicom element each.

When the dataset is written and dropped (``execute(reuse_raw=True)``, what batches do),
a new text value that pydicom encodes as ASCII goes into the dataset as a raw element
(:func:`deidc.runtime.actions.encoded`). The written file, what reads back, and the change
record must be what a new pydicom element gives; anything else (invalid, non-ASCII,
several values) still goes through a pydicom element, with pydicom's warnings.
"""

from __future__ import annotations

import io
import warnings
from collections.abc import Iterator

import pydicom
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from pydicom import config
from pydicom.data import get_testdata_file
from pydicom.dataelem import DataElement, RawDataElement
from pydicom.filebase import DicomBytesIO
from pydicom.filewriter import write_data_element
from pydicom.multival import MultiValue
from samples import RECIPE_TEXTS, VARIABLES

from deidc.compiler import compile_recipe
from deidc.runtime import actions, execute
from deidc.runtime.writer import save

RECIPES = {
    **RECIPE_TEXTS,
    # top level and inside sequences: ASCII, non-ASCII, several values, blanks, a number as text
    "values": "FORMAT dicom\n%header\nREPLACE PatientName Müller^Jürgen\nREPLACE PatientID var:id\n"
              "REPLACE ReferencedSOPInstanceUID 1.2.3.4\nREPLACE CodeMeaning redacted\nBLANK CodeValue\n"
              "REPLACE ImageType ORIGINAL\\PRIMARY\nREPLACE InstanceNumber 7\nBLANK StudyDate\n"
              "REPLACE Manufacturer ACME\nREPLACE (0009,\"GEMS_IDEN_01\",01) anonymous\n",
}
FILES = ["CT_small.dcm", "MR_small.dcm", "rtplan.dcm", "rtstruct.dcm", "JPEG2000.dcm", "chrSQEncoding.dcm",
         "chrJapMultiExplicitIR6.dcm", "chrX1.dcm"]


@pytest.fixture(autouse=True)
def _fresh_caches() -> Iterator[None]:
    actions._ENCODED.clear()
    actions._VALID.clear()
    yield
    actions._ENCODED.clear()
    actions._VALID.clear()


def _path(name: str) -> str:
    found = get_testdata_file(name) or pydicom.data.get_charset_files(name)[0]
    return str(found)


def _run(path: str, recipe: str, encode: bool, monkeypatch: pytest.MonkeyPatch) -> tuple[bytes, list[object]]:
    """Run a recipe as a batch does and write the file; ``encode`` False: every new value a pydicom element."""
    with monkeypatch.context() as patch:
        if not encode:
            patch.setattr(actions, "encoded", lambda *args: None)
        plan = compile_recipe(recipe, path="<recipe>").plan
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            dataset = pydicom.dcmread(path, force=True)
            result = execute(plan, dataset, dict(VARIABLES), record_values=False, reuse_raw=True)
            out = io.BytesIO()
            save(dataset, out)
    changes = [(c.address, c.action, c.after, type(c.after)) for c in result.changes]
    return out.getvalue(), changes


@pytest.mark.parametrize("recipe", list(RECIPES))
@pytest.mark.parametrize("name", FILES)
def test_values_put_in_as_bytes_write_the_same_file_and_changes(name: str, recipe: str,
                                                                 monkeypatch: pytest.MonkeyPatch) -> None:
    path = _path(name)
    as_elements, element_changes = _run(path, RECIPES[recipe], False, monkeypatch)
    as_bytes, byte_changes = _run(path, RECIPES[recipe], True, monkeypatch)
    assert byte_changes == element_changes
    assert as_bytes == as_elements


def test_a_batch_puts_new_ascii_values_in_as_raw_elements_and_reads_them_back() -> None:
    plan = compile_recipe(RECIPES["values"], path="<values>").plan
    dataset = pydicom.dcmread(_path("CT_small.dcm"))
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        result = execute(plan, dataset, dict(VARIABLES), record_values=False, reuse_raw=True)
    stored = dataset._dict
    assert isinstance(stored[0x00100020], RawDataElement) and stored[0x00100020].value == b"ID-1"
    assert isinstance(stored[0x00080070], RawDataElement) and stored[0x00080070].value == b"ACME"
    assert isinstance(stored[0x00080020], RawDataElement) and stored[0x00080020].value == b""
    assert not isinstance(stored[0x00100010], RawDataElement)  # not ASCII: a pydicom element
    assert not isinstance(stored[0x00080008], RawDataElement)  # several values: a pydicom element
    assert dataset.PatientID == "ID-1" and dataset.Manufacturer == "ACME" and dataset.StudyDate == ""
    assert dataset.InstanceNumber == 7
    after = {c.keyword: c.after for c in result.changes}
    assert after["PatientID"] == "ID-1" and after["StudyDate"] is None and after["InstanceNumber"] == 7


def test_the_api_keeps_pydicom_elements() -> None:
    """Without reuse_raw (the deid-compatible API), the dataset stays in memory: new values are elements."""
    plan = compile_recipe(RECIPES["values"], path="<values>").plan
    dataset = pydicom.dcmread(_path("CT_small.dcm"))
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        execute(plan, dataset, dict(VARIABLES))
    assert isinstance(dataset._dict[0x00100020], DataElement)
    assert dataset.StudyDate is None or dataset.StudyDate == ""


def test_an_invalid_value_still_warns_in_every_file_of_a_batch() -> None:
    plan = compile_recipe("FORMAT dicom\n%header\nREPLACE Modality not a code string\n", path="<cs>").plan
    caught = []
    for _ in range(3):
        dataset = pydicom.dcmread(_path("CT_small.dcm"))
        with warnings.catch_warnings(record=True) as found:
            warnings.simplefilter("always")
            execute(plan, dataset, {}, record_values=False, reuse_raw=True)
        caught += [w for w in found if "CS" in str(w.message)]
        assert dataset.Modality == "not a code string"
    assert len(caught) == 3


def test_an_invalid_value_raises_in_a_batch_under_pydicoms_raise_mode() -> None:
    plan = compile_recipe("FORMAT dicom\n%header\nREPLACE Modality not a code string\n", path="<cs>").plan
    mode = config.settings.reading_validation_mode
    config.settings.reading_validation_mode = config.RAISE
    try:
        with pytest.raises(ValueError, match="not a valid CS value"):
            execute(plan, pydicom.dcmread(_path("CT_small.dcm")), {}, record_values=False, reuse_raw=True)
    finally:
        config.settings.reading_validation_mode = mode


_VRS = ["AE", "AS", "CS", "DA", "DS", "DT", "IS", "LO", "LT", "PN", "SH", "ST", "TM", "UC", "UI", "UR", "UT"]
_CHARSETS = ["ISO_IR 6", "ISO_IR 100", "ISO_IR 192", "GB18030", ("", "ISO 2022 IR 87"),
             ("ISO 2022 IR 6", "ISO 2022 IR 100")]


def _pydicom_bytes(element: DataElement, charset: object) -> bytes:
    buffer = DicomBytesIO()
    buffer.is_little_endian, buffer.is_implicit_VR = True, False
    write_data_element(buffer, element, list(charset) if isinstance(charset, tuple) else charset)
    header = 12 if element.VR in ("UC", "UR", "UT", "OB", "OW", "UN", "SQ") else 8
    return buffer.getvalue()[header:]


@settings(max_examples=300, deadline=None)
@given(st.sampled_from(_VRS), st.one_of(st.none(), st.text(alphabet=st.sampled_from(list("AZaz09 ^\\.-_:é山=\x00")),
                                                           max_size=12)), st.sampled_from(_CHARSETS))
def test_encoded_bytes_are_what_pydicom_writes_for_a_new_element(vr: str, value: str | None, charset: object) -> None:
    _check_encoded(vr, value, charset)


#: dates, times and date-times as a recipe or JITTER gives them: valid, nearly valid, several, odd lengths
_TIMES = st.text(alphabet=st.sampled_from(list("0123456789.+-\\ ")), min_size=1, max_size=27) | st.sampled_from([
    "20200131", "2020013", "20201301", "20200229", "235959", "2359", "235959.123456", "20181227235959.123456+0100",
    "20181227235959.123456", "2018122723", "20200101-20201231", "20200101\\20200102", "246060"])


@settings(max_examples=300, deadline=None)
@given(st.sampled_from(["DA", "DT", "TM"]), _TIMES, st.sampled_from(["ISO_IR 6", "ISO_IR 100"]), st.booleans())
def test_dates_and_times_are_encoded_as_pydicom_writes_them(vr: str, value: str, charset: str,
                                                            conversion: bool) -> None:
    actions._ENCODED.clear()
    before, config.datetime_conversion = config.datetime_conversion, conversion
    try:
        _check_encoded(vr, value, charset)
    finally:
        config.datetime_conversion = before
        actions._ENCODED.clear()


def _check_encoded(vr: str, value: str | None, charset: object) -> None:
    """encoded() gives what a new pydicom element holds and writes, or None where it must be such an element."""
    found = actions.encoded(vr, value, charset)  # type: ignore[arg-type]
    if value is not None and not value.isascii():
        assert found is None  # (ISO 2022 would encode it as ASCII bytes with escapes: not the same everywhere)
        return
    try:
        element = DataElement(0x00100010, vr, value, validation_mode=config.RAISE)
    except ValueError:
        assert found is None  # invalid: left to a pydicom element, which warns
        return
    if isinstance(element.value, MultiValue):
        assert found is None  # several values: a mutable value, left to a pydicom element
        return
    data = _pydicom_bytes(element, charset)
    if not data.isascii():
        assert found is None
        return
    assert found is not None
    assert found[0] == data
    assert found[1] == element.value and type(found[1]) is type(element.value)
    assert actions.encoded(vr, value, charset) is found  # kept
