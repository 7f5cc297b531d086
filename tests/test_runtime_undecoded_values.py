"""Values the runtime reads without pydicom's conversion give what pydicom's conversion gives.

Two shortcuts read an element's value without going through ``Dataset.__getitem__``:

* JITTER reads a DA or DT element still as read from the file from its bytes (as pydicom
  decodes dates when it does not convert them), so no element is made for it;
* an element of a dataset decoded on its own (``Entry.element``) is converted as
  ``dataset[tag]`` converts it, without the rest of what ``__getitem__`` does, when that
  rest does nothing for it (not private, not a sequence, not the character set, ...).

Either way, what is written, recorded and read back must be what the long way gives.
"""

from __future__ import annotations

import io
import warnings
from collections.abc import Iterator

import pydicom
import pytest
from pydicom import config
from pydicom.data import get_charset_files, get_testdata_file
from pydicom.dataelem import RawDataElement
from pydicom.dataset import Dataset, FileMetaDataset
from pydicom.uid import ExplicitVRLittleEndian

from deidc.compiler import compile_recipe
from deidc.runtime import execute, walk
from deidc.runtime.engine import StepError
from deidc.runtime.workset import walk as walk_all

JITTER = "FORMAT dicom\n%header\nJITTER endswith:Date 31\nJITTER endswith:DateTime -400\n"
#: DA and DT values as files hold them: one, several, padded, empty, the old DA form, time zones
DATES = [
    ("StudyDate", "DA", b"20200131"),
    ("SeriesDate", "DA", b"20200229\\19991231"),
    ("AcquisitionDate", "DA", b"20201231 "),
    ("ContentDate", "DA", b"2019.02.28"),
    ("PatientBirthDate", "DA", b""),
    ("InstanceCreationDate", "DA", b"20200101\\"),
    ("AcquisitionDateTime", "DT", b"20200131235959.123456+0100"),
    ("FrameReferenceDateTime", "DT", b"20200229\\2020022912"),
]


@pytest.fixture(autouse=True)
def _quiet() -> Iterator[None]:
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        yield


def _file(dates: list[tuple[str, str, bytes]]) -> bytes:
    dataset = Dataset()
    dataset.file_meta = FileMetaDataset()
    dataset.file_meta.TransferSyntaxUID = ExplicitVRLittleEndian
    dataset.file_meta.MediaStorageSOPClassUID = dataset.SOPClassUID = "1.2.840.10008.5.1.4.1.1.7"
    dataset.file_meta.MediaStorageSOPInstanceUID = dataset.SOPInstanceUID = "1.2.3.4"
    dataset.PatientName = "Doe^Jane"
    for keyword, vr, value in dates:
        dataset.add_new(keyword, vr, value.decode("latin_1"))
    inner = Dataset()
    inner.StudyDate = "20200115"  # in an item read from bytes
    dataset.ReferencedStudySequence = [inner]
    buffer = io.BytesIO()
    dataset.save_as(buffer, enforce_file_format=True)
    return buffer.getvalue()


def _run(data: bytes, recipe: str, decode_first: bool) -> tuple[bytes, list[tuple[str, str, object]]]:
    """Run a recipe as a batch does; ``decode_first``: every element is decoded before the run (the long way)."""
    dataset = pydicom.dcmread(io.BytesIO(data))
    if decode_first:
        for element in dataset:
            _ = element.value
    result = execute(compile_recipe(recipe, path="<jitter>").plan, dataset, {}, record_values=True,
                     reuse_raw=True)
    out = io.BytesIO()
    dataset.save_as(out)
    return out.getvalue(), [(c.uid, c.action, c.after) for c in result.changes]


@pytest.mark.parametrize("conversion", [False, True], ids=["dates as text", "datetime_conversion"])
def test_jitter_on_undecoded_dates_writes_and_records_what_decoded_dates_give(
        conversion: bool, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(config, "datetime_conversion", conversion)
    # (pydicom cannot convert a padded date: only the first run would read it)
    data = _file([d for d in DATES if d[2] != b"20200101\\" and not (conversion and d[2].endswith(b" "))])
    undecoded = _run(data, JITTER, False)
    assert undecoded == _run(data, JITTER, True)
    written = pydicom.dcmread(io.BytesIO(undecoded[0]))
    assert str(written.StudyDate) == "20200302"
    assert [str(v) for v in written.SeriesDate] == ["20200331", "20000131"]
    assert str(written.ContentDate) == "20190331"
    assert written.PatientBirthDate in ("", None)
    assert str(written.AcquisitionDateTime) == "20181227235959.123456+0100"
    assert str(written.ReferencedStudySequence[0].StudyDate) == "20200215"


def test_jitter_reads_undecoded_dates_without_converting_them(monkeypatch: pytest.MonkeyPatch) -> None:
    data = _file(DATES[:4])
    converted: list[int] = []
    original = walk.convert_raw_data_element

    def spy(raw: RawDataElement, *args: object, **kwargs: object) -> object:
        converted.append(int(raw.tag))
        return original(raw, *args, **kwargs)

    monkeypatch.setattr(walk, "convert_raw_data_element", spy)
    dataset = pydicom.dcmread(io.BytesIO(data))
    execute(compile_recipe(JITTER, path="<jitter>").plan, dataset, {}, record_values=False, reuse_raw=True)
    assert converted == []
    assert str(dataset.StudyDate) == "20200302"


def test_jitter_fails_on_an_empty_value_among_several_as_it_does_decoded() -> None:
    data = _file([("InstanceCreationDate", "DA", b"20200101\\")])
    messages = []
    for decode_first in (False, True):
        with pytest.raises(StepError) as raised:
            _run(data, JITTER, decode_first)
        messages.append(str(raised.value))
    assert messages[0] == messages[1] and "not a full date" in messages[0]


FILES = [str(get_testdata_file(name)) for name in ("CT_small.dcm", "MR_small.dcm", "rtplan.dcm", "JPEG2000.dcm")] + [
    str(get_charset_files(name)[0]) for name in ("chrX1.dcm", "chrFren.dcm", "chrSQEncoding.dcm", "chrH31.dcm")]


@pytest.mark.parametrize("path", FILES, ids=lambda p: p.rsplit("/", 1)[-1])
def test_an_element_decoded_on_its_own_is_what_the_dataset_gives(path: str) -> None:
    dataset = pydicom.dcmread(path)
    reference = pydicom.dcmread(path)
    for entry in walk_all(dataset):
        if entry.filemeta or len(entry.address) > 1:
            continue
        element = entry.element
        expected = reference[entry.tag]
        assert dataset._dict[entry.tag] is element  # stored in the dataset, as dataset[tag] stores it
        assert (element.VR, element.value, type(element.value)) == (expected.VR, expected.value,
                                                                    type(expected.value)), entry.uid
        assert element.private_creator == expected.private_creator, entry.uid
        assert element.is_undefined_length == expected.is_undefined_length, entry.uid


def test_a_plain_element_is_decoded_without_the_datasets_item_lookup(monkeypatch: pytest.MonkeyPatch) -> None:
    dataset = pydicom.dcmread(FILES[0])
    entries = {entry.tag: entry for entry in walk_all(dataset)}
    looked_up: list[object] = []
    original = Dataset.__getitem__

    def spy(self: Dataset, key: object) -> object:
        looked_up.append(key)
        return original(self, key)  # type: ignore[arg-type]

    monkeypatch.setattr(Dataset, "__getitem__", spy)
    assert str(entries[0x00100010].element.value) == "CompressedSamples^CT1"  # PatientName: plain
    assert looked_up == []
    _ = entries[0x00431028].element.value  # a private element: dataset[tag] records its creator
    assert looked_up
