"""Sequences read from their raw bytes (``deidc.runtime.rawseq``) give exactly what pydicom's reader gives.

The walk reads the items of an undecoded sequence itself, and leaves them undecoded
until a value inside is needed. These tests compare that, on real files, on
hand-made edge cases and on generated datasets, with the walk that lets pydicom
convert every sequence: the same raw elements, the same working set, the same
written files.
"""

from __future__ import annotations

import gc
import io
import struct
import warnings
from collections.abc import Iterator
from pathlib import Path

import pydicom
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from pydicom.data import get_testdata_file
from pydicom.dataelem import RawDataElement
from pydicom.dataset import Dataset, FileMetaDataset
from pydicom.sequence import Sequence
from pydicom.tag import BaseTag
from pydicom.uid import ExplicitVRBigEndian, ExplicitVRLittleEndian, ImplicitVRLittleEndian
from samples import RECIPE_PATHS, VARIABLES

from deidc.compiler import compile_recipe
from deidc.runtime import execute, rawseq
from deidc.runtime.walk import address_uid
from deidc.runtime.workset import walk
from deidc.testing import datasets

#: pydicom's bundled files: sequences of defined length (both byte orders), undefined length, a bad VR
FILES = ["CT_small.dcm", "test-SR.dcm", "liver_expb_1frame.dcm", "reportsi_with_empty_number_tags.dcm",
         "rtdose_expb.dcm", "SC_rgb_small_odd_big_endian.dcm", "SC_rgb_dcmtk_+eb+cr.dcm", "badVR.dcm",
         "rtplan.dcm", "rtstruct.dcm", "waveform_ecg.dcm", "MR_small.dcm"]
RECIPES = {
    **RECIPE_PATHS,
}
INLINE = {
    "deep": "FORMAT dicom\n%header\nREPLACE ReferencedSOPInstanceUID 1.2.3\nBLANK CodeMeaning\n",
    "private": "FORMAT dicom\n%header\nREMOVE contains:ACME\nREPLACE endswith:Comments none\n",
    "values": "FORMAT dicom\n%values names\nFIELD PatientName\nFIELD PatientID\n%header\n"
              "REPLACE values:names nobody\n",
    # edits inside items, then the sequence blanked or removed: the edits go with it
    "edit-then-blank": "FORMAT dicom\n%header\nREMOVE ReferencedSOPInstanceUID\nBLANK ReferencedStudySequence\n"
                       "REPLACE CodeValue X\nBLANK ConceptCodeSequence\nBLANK SourceImageSequence\n",
    "edit-then-remove": "FORMAT dicom\n%header\nREPLACE ReferencedSOPClassUID 1.2\nREMOVE ReferencedStudySequence\n"
                        "REMOVE CodeMeaning\nREMOVE ProcedureCodeSequence\n",
    # edits, then a value read in the same tree (the items become datasets with the edits made)
    "edit-then-read": "FORMAT dicom\n%values names\nFIELD PatientName\n%header\nREMOVE CodingSchemeDesignator\n"
                      "REPLACE RequestedProcedureID RP9\nREPLACE values:names nobody\nJITTER endswith:Date 3\n",
    # new text in the character set of the file, and after the file's character set is changed
    "text": "FORMAT dicom\n%header\nREPLACE RequestedProcedureDescription \u00c7a va\n"
            "REPLACE CodeMeaning d\u00e9j\u00e0\n",
    "charset": "FORMAT dicom\n%header\nREPLACE SpecificCharacterSet ISO_IR 192\n"
               "REPLACE RequestedProcedureDescription \u00c7a va\nREMOVE CodeValue\n",
}


def _read(data: bytes) -> Dataset:
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        return pydicom.dcmread(io.BytesIO(data), force=True)


def _file_bytes(name: str) -> bytes:
    return Path(str(get_testdata_file(name))).read_bytes()


def _raw_sequences(dataset: Dataset) -> Iterator[RawDataElement]:
    """Yield every raw sequence element, at every depth (converting them, on a copy, to go deeper)."""
    for tag in list(dataset.keys()):
        stored = dataset.get_item(tag)
        if isinstance(stored, RawDataElement) and stored.VR == "SQ":
            yield stored
        element = dataset[tag]
        if element.VR == "SQ" and element.value:
            for item in element.value:
                yield from _raw_sequences(item)


def _without_raw_reading(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(rawseq, "read_items", lambda raw: None)


def _working_set(data: bytes, defer: bool = False) -> list[tuple[object, ...]]:
    """The walk's entries, with everything a selector or an action may read, values decoded."""
    dataset = _read(data)
    rows = []
    for entry in walk(dataset, defer=defer):
        # a sequence read here keeps its raw form as well (no action reads a sequence's raw value)
        raw = entry.raw.value if entry.raw is not None and entry.vr != "SQ" else None
        value = entry.element.value
        shown = len(value) if entry.vr == "SQ" else repr(value)
        assert entry.uid == address_uid(entry.address)  # built from the sequence's uid, it is the address's
        rows.append((entry.address, entry.names, entry.vr, entry.creator, entry.filemeta, entry.uid, raw, shown))
    return rows


def _written(data: bytes, recipe: str, record_values: bool = True) -> tuple[object, list[tuple[object, ...]]]:
    """Run a recipe and write the file; return what is read back from it, element by element, and the changes.

    (Not the bytes: an element no step changed may be written as it was read, or as
    pydicom writes its decoded value, e.g. without a private creator's padding.)
    """
    text = INLINE[recipe] if recipe in INLINE else RECIPES[recipe].read_text()
    plan = compile_recipe(text, path=recipe).plan
    dataset = _read(data)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        result = execute(plan, dataset, dict(VARIABLES), record_values=record_values, reuse_raw=True)
        buffer = io.BytesIO()
        dataset.save_as(buffer)
        again = _read(buffer.getvalue())
        content = (again.file_meta.to_json_dict(), again.to_json_dict())
    return content, [(c.uid, c.keyword, c.action, c.origin, repr(c.before), repr(c.after))
                     for c in result.changes]


def _item(private: str | None = None, undefined: bool = False, **values: object) -> Dataset:
    item = Dataset()
    for keyword, value in values.items():
        setattr(item, keyword, value)
    if private is not None:
        block = item.private_block(0x0011, private, create=True)
        block.add_new(0x01, "LO", "ACME secret")
        block.add_new(0x02, "US", 7)
        block.add_new(0x03, "OB", b"")  # empty: its raw value is None
    item.is_undefined_length_sequence_item = undefined
    return item


def _edge_file(transfer_syntax: str) -> bytes:
    """A file with the sequence shapes the raw reader must read (or leave to pydicom) correctly."""
    dataset = Dataset()
    dataset.PatientName = "Doe^Jane"
    dataset.PatientID = "ID-1"
    dataset.SpecificCharacterSet = "ISO_IR 100"
    dataset.ReferencedStudySequence = Sequence([
        _item(ReferencedSOPInstanceUID="1.2.3.4", ReferencedSOPClassUID="1.2.840.10008.5.1.4.1.1.2"),
        _item(undefined=True, ReferencedSOPInstanceUID="1.2.3.5"),  # an item of undefined length
        Dataset(),  # an empty item
    ])
    dataset.RequestAttributesSequence = Sequence([
        _item(private="ACME 1.0", RequestedProcedureID="RP1"),
        _item(private="ACME 1.0 \x00", RequestedProcedureDescription="Caf\xe9 scan"),  # padded creator, Latin-1
        _item(private="Caf\xe9 Systems", ScheduledProcedureStepID="SPS1"),  # a creator that is not ASCII
    ])
    nested = Sequence([_item(CodeValue="T-1", CodeMeaning="Doe^Jane chest")])
    dataset.ProcedureCodeSequence = Sequence([_item(CodingSchemeDesignator="SRT", ConceptCodeSequence=nested,
                                                    CodeMeaning="Poumon \xe9tendu")])  # Latin-1 text
    undefined = Sequence([_item(CodeValue="U-1", CodeMeaning="undefined length")])
    dataset.AnatomicRegionSequence = Sequence([_item(CodeValue="A-1", PrimaryAnatomicStructureSequence=undefined)])
    dataset.AnatomicRegionSequence[0]["PrimaryAnatomicStructureSequence"].is_undefined_length = True
    dataset.OtherPatientIDsSequence = Sequence([])  # an empty sequence
    dataset.file_meta = FileMetaDataset()
    dataset.file_meta.TransferSyntaxUID = transfer_syntax
    dataset.file_meta.MediaStorageSOPClassUID = "1.2.840.10008.5.1.4.1.1.7"
    dataset.file_meta.MediaStorageSOPInstanceUID = "1.2.3"
    buffer = io.BytesIO()
    implicit = transfer_syntax == ImplicitVRLittleEndian
    little = transfer_syntax != ExplicitVRBigEndian
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        pydicom.dcmwrite(buffer, dataset, implicit_vr=implicit, little_endian=little)
    return buffer.getvalue()


EDGE = {str(ts): _edge_file(ts) for ts in (ExplicitVRLittleEndian, ExplicitVRBigEndian, ImplicitVRLittleEndian)}


@pytest.mark.parametrize("name", FILES)
def test_items_read_from_raw_bytes_are_the_raw_elements_pydicom_reads(name: str) -> None:
    _check_items(_file_bytes(name))


@pytest.mark.parametrize("syntax", sorted(EDGE))
def test_edge_cases_are_read_as_pydicom_reads_them_or_left_to_pydicom(syntax: str) -> None:
    read = _check_items(EDGE[syntax])
    assert read == (0 if syntax == ImplicitVRLittleEndian else 4)  # implicit VR is always left to pydicom


def _tags(item: Dataset) -> list[int]:
    """An item's tags in tag order (the reader's order; pydicom's dataset keeps the file's)."""
    return sorted(item.keys())  # type: ignore[arg-type]


def _check_items(data: bytes) -> int:
    """Compare every raw sequence the reader reads with pydicom's items; return how many it read."""
    read = 0
    for raw in _raw_sequences(_read(data)):
        items = rawseq.read_items(raw)
        if items is None:
            continue
        read += 1
        holder = Dataset()
        holder[raw.tag] = raw
        converted = holder[raw.tag].value
        assert len(items) == len(converted)
        for (members, _), item in zip(items, converted, strict=True):
            assert [tag for tag, _ in members] == [int(tag) for tag in _tags(item)]
            as_read = [item.get_item(tag, keep_deferred=True) for tag in _tags(item)]  # an empty value not decoded
            assert [element for _, element in members] == as_read
    return read


def _item_bytes(*elements: tuple[int, bytes, bytes]) -> bytes:
    """An item of defined length holding explicit VR little endian elements (tag, VR, value), in the order given."""
    body = b"".join(struct.pack("<HH2sH", tag >> 16, tag & 0xFFFF, vr, len(value)) + value
                    for tag, vr, value in elements)
    return struct.pack("<HHL", 0xFFFE, 0xE000, len(body)) + body


@pytest.mark.parametrize("order", [(0x00100020, 0x00100020), (0x00100020, 0x00100010, 0x00100020),
                                   (0x00100030, 0x00100020, 0x00100030), (0x00100010, 0x00100020)])
def test_an_item_with_a_repeated_tag_is_left_to_pydicom(order: tuple[int, ...]) -> None:
    """pydicom keeps the last of a repeated tag: the reader leaves such an item to it; items without one it reads."""
    value = _item_bytes(*[(tag, b"LO", f"V{number}".encode()) for number, tag in enumerate(order)])
    raw = RawDataElement(BaseTag(0x00081115), "SQ", len(value), value, 0, False, True)
    items = rawseq.read_items(raw)
    if len(set(order)) < len(order):
        assert items is None
    else:
        assert items is not None and [tag for tag, _ in items[0].members] == sorted(order)


def test_the_reader_reads_the_sequences_of_real_files() -> None:
    assert sum(_check_items(_file_bytes(name)) for name in FILES) >= 10


def test_a_truncated_or_malformed_sequence_is_left_to_pydicom() -> None:
    raw = next(r for r in _raw_sequences(_read(EDGE[ExplicitVRLittleEndian])) if rawseq.read_items(r))
    value = raw.value
    assert isinstance(value, bytes)
    for broken in (value[:-3], value[:5], b"\x00" * 8 + value[8:], value[:8] + b"\xff\xff" + value[10:]):
        changed = raw._replace(value=broken, length=len(broken))
        items = rawseq.read_items(changed)
        if items is not None:  # still well-formed by chance: then it must be pydicom's reading
            holder = Dataset()
            holder[raw.tag] = changed
            assert [[e for _, e in m.members] for m in items] == [
                [i.get_item(t, keep_deferred=True) for t in _tags(i)] for i in holder[raw.tag].value]


@pytest.mark.parametrize("source", [*FILES, *sorted(EDGE)])
def test_the_working_set_is_the_same_as_when_pydicom_reads_every_sequence(
        source: str, monkeypatch: pytest.MonkeyPatch) -> None:
    data = EDGE[source] if source in EDGE else _file_bytes(source)
    raw_read = _working_set(data)
    assert _working_set(data, defer=True) == raw_read  # values decoded without converting the items
    _without_raw_reading(monkeypatch)
    assert raw_read == _working_set(data)


@pytest.mark.parametrize("recipe", [*RECIPES, *INLINE])
@pytest.mark.parametrize("source", ["test-SR.dcm", "liver_expb_1frame.dcm", "rtplan.dcm", *sorted(EDGE)])
def test_runs_write_the_same_file_as_when_pydicom_reads_every_sequence(
        recipe: str, source: str, monkeypatch: pytest.MonkeyPatch) -> None:
    data = EDGE[source] if source in EDGE else _file_bytes(source)
    for record_values in (True, False):  # reading the old values decodes elements: edits may not wait then
        raw_read = _written(data, recipe, record_values)
        with monkeypatch.context() as patched:
            patched.setattr(rawseq, "read_items", lambda raw: None)
            assert raw_read == _written(data, recipe, record_values)


def _encoded(dataset: Dataset, little: bool) -> bytes:
    buffer = io.BytesIO()
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        pydicom.dcmwrite(buffer, dataset, implicit_vr=False, little_endian=little)
    return buffer.getvalue()


@settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(dataset=datasets(max_depth=3), little=st.booleans())
def test_generated_datasets_walk_and_run_the_same_either_way(dataset: Dataset, little: bool) -> None:
    data = _encoded(dataset, little)
    _check_items(data)
    raw_read = _working_set(data), _written(data, "private"), _written(data, "values")
    assert _working_set(data, defer=True) == raw_read[0]
    original = rawseq.read_items
    rawseq.read_items = lambda raw: None  # type: ignore[assignment]
    try:
        assert raw_read == (_working_set(data), _written(data, "private"), _written(data, "values"))
    finally:
        rawseq.read_items = original


def _plan(text: str):  # type: ignore[no-untyped-def]
    return compile_recipe(text, path="<recipe>").plan


def test_edits_inside_unread_sequences_are_written_into_their_bytes(monkeypatch: pytest.MonkeyPatch) -> None:
    data = EDGE[ExplicitVRLittleEndian]
    recipe = "deep"
    dataset = _read(data)
    execute(_plan(INLINE[recipe]), dataset, dict(VARIABLES), record_values=False, reuse_raw=True)
    for keyword in ("ReferencedStudySequence", "ProcedureCodeSequence"):  # changed inside, never converted
        stored = dataset.get_item(keyword)
        assert isinstance(stored, RawDataElement) and stored.length == len(stored.value)
    assert dataset.ReferencedStudySequence[0].ReferencedSOPInstanceUID == "1.2.3"
    assert dataset.ProcedureCodeSequence[0].ConceptCodeSequence[0].CodeMeaning == ""
    made = _written(data, recipe)
    monkeypatch.setattr(rawseq, "rebuild", lambda *args, **kwargs: None)  # the bytes cannot be rebuilt
    assert _written(data, recipe) == made
    monkeypatch.setattr(rawseq, "read_items", lambda raw: None)
    assert _written(data, recipe) == made


def test_a_recipe_that_calls_a_function_makes_every_edit_in_the_dataset_at_once() -> None:
    seen: list[object] = []

    def look(item: object, value: object, field: object, dicom: Dataset) -> str:
        seen.append([len(i) for i in dicom.ReferencedStudySequence])  # what the steps before left
        return "X"

    dataset = _read(EDGE[ExplicitVRLittleEndian])
    plan = _plan("FORMAT dicom\n%header\nREMOVE ReferencedSOPClassUID\nREPLACE PatientID func:look\n")
    execute(plan, dataset, {"look": look}, record_values=False, reuse_raw=True)
    assert seen == [[1, 1, 0]]


def test_a_value_decoded_from_an_unread_item_is_the_one_pydicom_decodes() -> None:
    dataset = _read(EDGE[ExplicitVRLittleEndian])
    entries = [e for e in walk(dataset, defer=True) if e.names == ("ProcedureCodeSequence", "CodeMeaning")]
    assert len(entries) == 1 and entries[0].element.value == "Poumon \xe9tendu" and entries[0].detached
    assert isinstance(dataset.get_item("ProcedureCodeSequence"), RawDataElement)  # still unread
    assert dataset.ProcedureCodeSequence[0].CodeMeaning == "Poumon \xe9tendu"


CHARSETS = [("ISO_IR 192", "Gr\u00fc\u00dfe \u65e5\u672c"), ("ISO_IR 144", "\u041f\u0435\u0442\u0440\u043e\u0432"),
            ("ISO_IR 100", "Poumon \xe9tendu"), (None, "plain")]


@pytest.mark.parametrize(("charset", "text"), CHARSETS)
def test_text_in_an_unread_item_is_decoded_in_the_files_character_set(charset: str | None, text: str) -> None:
    dataset = Dataset()
    if charset is not None:
        dataset.SpecificCharacterSet = charset
    dataset.ProcedureCodeSequence = Sequence([_item(CodeMeaning=text, CodeValue="C-1")])
    dataset.file_meta = FileMetaDataset()
    dataset.file_meta.TransferSyntaxUID = ExplicitVRLittleEndian
    buffer = io.BytesIO()
    pydicom.dcmwrite(buffer, dataset, implicit_vr=False, little_endian=True)
    data = buffer.getvalue()
    read = _read(data)
    entry = next(e for e in walk(read, defer=True) if e.names == ("ProcedureCodeSequence", "CodeMeaning"))
    assert entry.element.value == text and entry.detached
    plan = _plan(f"FORMAT dicom\n%header\nREPLACE CodeValue {text}\nREMOVE CodingSchemeDesignator\n")
    execute(plan, read, {}, record_values=False, reuse_raw=True)
    assert isinstance(read.get_item("ProcedureCodeSequence"), RawDataElement)  # written into the bytes
    out = io.BytesIO()
    read.save_as(out)
    again = _read(out.getvalue())
    assert (again.ProcedureCodeSequence[0].CodeValue, again.ProcedureCodeSequence[0].CodeMeaning) == (text, text)


def test_text_in_an_item_with_its_own_character_set_is_decoded_in_it() -> None:
    """An item that declares its character set is read and edited through pydicom's datasets, which use it."""
    dataset = Dataset()
    dataset.SpecificCharacterSet = "ISO_IR 100"
    item = _item(CodeMeaning="Gr\u00fc\u00dfe \u65e5\u672c", CodeValue="C-1")
    item.SpecificCharacterSet = "ISO_IR 192"
    dataset.ProcedureCodeSequence = Sequence([item])
    dataset.file_meta = FileMetaDataset()
    dataset.file_meta.TransferSyntaxUID = ExplicitVRLittleEndian
    buffer = io.BytesIO()
    pydicom.dcmwrite(buffer, dataset, implicit_vr=False, little_endian=True)
    read = _read(buffer.getvalue())
    entry = next(e for e in walk(read, defer=True) if e.names == ("ProcedureCodeSequence", "CodeMeaning"))
    assert entry.element.value == "Gr\u00fc\u00dfe \u65e5\u672c" and not entry.detached

def test_a_batch_run_leaves_no_reference_cycles_behind() -> None:
    plan = _plan(INLINE["deep"])
    gc.collect()
    gc.disable()
    try:
        dataset = _read(EDGE[ExplicitVRLittleEndian])
        execute(plan, dataset, dict(VARIABLES), record_values=False, reuse_raw=True)
        del dataset
        found = gc.collect()  # what only the cyclic collector could free
    finally:
        gc.enable()
    assert found == 0
