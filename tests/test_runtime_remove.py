"""REMOVE without a condition, the runtime's most frequent change: what it records, and what it spares.

The runtime carries these out in one loop per step. In a batch (a sparse working set, a
``Matcher`` that has seen the file's identities), an element that only such REMOVEs
select, and that nothing spares, is not even made an entry: it is removed as a record
of the working set. Either way the loop must record the removed value when values are
kept, spare what a REPLACE or JITTER selects (by identity and by address), remove inside
sequences still read as bytes, remove an element once however many REMOVEs select it,
and leave it removed for the steps after.
"""

from __future__ import annotations

import io

import pydicom
import pytest
from pydicom.data import get_testdata_file

from deidc.compiler import compile_recipe
from deidc.plan import Plan
from deidc.runtime import Matcher, execute
from deidc.runtime.walk import Entry

CT = str(get_testdata_file("CT_small.dcm"))
SEQUENCE, PATIENT_ID = 0x00101002, 0x00100020  # OtherPatientIDsSequence (2 items), PatientID
#: how a file is run: the API's way (every element an entry, values kept), and a batch's second file
#: (records, elements reused raw), with and without values kept
WAYS = {"api": {"reuse_raw": False}, "batch": {"reuse_raw": True, "record_values": False},
        "batch, values kept": {"reuse_raw": True}}


def _plan(body: str) -> Plan:
    compiled = compile_recipe("FORMAT dicom\n" + body + "\n", path="<test>")
    assert compiled.plan is not None, compiled.diagnostics
    return compiled.plan


def _run(body: str, way: str, lookup: dict[str, object] | None = None) -> tuple[
        pydicom.Dataset, list[tuple[object, ...]], int]:
    """Run a recipe on CT_small (twice, as a batch's first and second files); return what is read back,
    the changes (uid, keyword, action, before, after) and how many elements were removed as records."""
    matcher, plan = Matcher(), _plan(body)
    for _ in range(2):  # the second time, every identity is decided: some elements stay records
        dataset = pydicom.dcmread(CT)
        result = execute(plan, dataset, dict(lookup or {}), matcher=matcher, **WAYS[way])  # type: ignore[arg-type]
    buffer = io.BytesIO()
    dataset.save_as(buffer, enforce_file_format=False)
    written = pydicom.dcmread(io.BytesIO(buffer.getvalue()))
    records = sum(1 for noted in result.changes._noted if not isinstance(noted[0], Entry))
    changes = [(c.uid, c.keyword, c.action, _value(c.before), c.after) for c in result.changes]
    return written, changes, records


def _value(value: object) -> object:
    """A value, a sequence as its length (the objects differ, read raw or not)."""
    return ("SQ", len(value)) if isinstance(value, pydicom.Sequence) else value


def _same_ways(body: str, blank_is_none: bool = False) -> tuple[pydicom.Dataset, list[tuple[object, ...]]]:
    """Run a recipe every way; check they write the same and record the same; return the API's run.

    ``blank_is_none``: an old value of '' counts as None (an element blanked earlier in the
    run holds None when the blank made a pydicom element, the API's way, and '' when it was
    put in as bytes, a batch's way, which pydicom reads back as '').
    """
    written, changes, _ = _run(body, "api")
    for way in WAYS:
        again, changes_again, _ = _run(body, way)
        assert again == written, way
        if way == "batch":  # values are not kept: compare all but the old values
            assert changes_again == [(*c[:3], None, c[4]) for c in changes], way
        elif blank_is_none:
            assert [_blank_as_none(c) for c in changes_again] == [_blank_as_none(c) for c in changes], way
        else:
            assert changes_again == changes, way
    return written, changes


def _blank_as_none(change: tuple[object, ...]) -> tuple[object, ...]:
    return (*change[:3], None if change[3] == "" else change[3], change[4])


def test_a_removal_records_the_value_it_removed_when_values_are_kept() -> None:
    original = pydicom.dcmread(CT)
    written, changes = _same_ways("%header\nREMOVE PatientID")
    assert PATIENT_ID not in written and all(PATIENT_ID not in item for item in written[SEQUENCE].value)
    assert changes == [
        ("(0010,0020)", "PatientID", "REMOVE", original.PatientID, None),
        ("(0010,1002)__0__(0010,0020)", "PatientID", "REMOVE", original.OtherPatientIDsSequence[0].PatientID, None),
        ("(0010,1002)__1__(0010,0020)", "PatientID", "REMOVE", original.OtherPatientIDsSequence[1].PatientID, None),
    ]


def test_a_batch_removes_what_only_removals_select_as_records_inside_sequences_too() -> None:
    _, changes, records = _run("%header\nREMOVE PatientID\nREMOVE TypeOfPatientID", "batch")
    assert records == len(changes) == 5  # PatientID ×3, TypeOfPatientID in both items
    _, _, made = _run("%header\nREMOVE PatientID\nREMOVE TypeOfPatientID", "batch, values kept")
    assert made == 0  # a value to record is read from an entry


def test_an_element_two_removals_select_is_removed_once() -> None:
    written, changes = _same_ways("%header\nREMOVE PatientID\nREMOVE startswith:Patient\nREMOVE ALL")
    assert [c[0] for c in changes].count("(0010,0020)") == 1
    assert [c[0] for c in changes].count("(0010,1002)__0__(0010,0020)") <= 1
    assert len(written) == 0 or all(e.tag >> 16 == 0x7FE0 for e in written)


def test_an_element_removed_stays_removed_for_a_later_values_list() -> None:
    # CT_small: PatientName CompressedSamples^CT1, PatientID 1CT1 (which holds "CT1")
    written, changes = _same_ways('%values v\nSPLIT PatientName by="^"\n%header\nREMOVE PatientID\n'
                                  "REPLACE values:v X")
    assert PATIENT_ID not in written and written.PatientName == "X"
    assert ("(0010,0020)", "PatientID", "REPLACE") not in [c[:3] for c in changes]


def test_a_removal_spares_what_a_replace_selects_by_address() -> None:
    written, changes = _same_ways("%header\nREMOVE PatientID\nREPLACE (0010,1002)__1__(0010,0020) KEPT")
    assert PATIENT_ID not in written
    items = written[SEQUENCE].value
    assert PATIENT_ID not in items[0] and items[1].PatientID == "KEPT"
    assert [c[:3] for c in changes] == [("(0010,0020)", "PatientID", "REMOVE"),
                                        ("(0010,1002)__0__(0010,0020)", "PatientID", "REMOVE"),
                                        ("(0010,1002)__1__(0010,0020)", "PatientID", "REPLACE")]


def test_a_removal_spares_what_a_replace_or_jitter_selects_by_name() -> None:
    written, changes = _same_ways("%header\nREMOVE ALL\nREPLACE PatientID ANON\nJITTER StudyDate 1")
    assert written.PatientID == "ANON" and written.StudyDate == "20040120"  # CT_small's 20040119, a day later
    assert SEQUENCE not in written and "PatientName" not in written
    assert ("(0010,0020)", "PatientID", "REPLACE") in [c[:3] for c in changes]
    assert ("(0010,0020)", "PatientID", "REMOVE") not in [c[:3] for c in changes]


@pytest.mark.parametrize("way", sorted(WAYS))
def test_a_removal_inside_a_sequence_read_as_bytes_is_written(way: str) -> None:
    written, _, _ = _run("%header\nREMOVE TypeOfPatientID", way)
    items = written[SEQUENCE].value
    assert len(items) == 2 and all("TypeOfPatientID" not in item and "PatientID" in item for item in items)


@pytest.mark.parametrize("way", sorted(WAYS))
def test_a_removal_inside_a_sequence_made_a_dataset_is_not_undone_by_the_raw_reuse(way: str) -> None:
    # a recipe that calls a function edits items as datasets (not as bytes): the sequence is decoded, and
    # must not be put back as read once a record inside it is removed
    written, changes, _ = _run("%header\nREMOVE TypeOfPatientID\nREPLACE PatientName func:name", way,
                               {"name": lambda **_: "NAME"})
    items = written[SEQUENCE].value
    assert len(items) == 2 and all("TypeOfPatientID" not in item and "PatientID" in item for item in items)
    assert written.PatientName == "NAME" and len(changes) == 3
