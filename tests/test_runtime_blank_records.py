"""BLANK on elements a batch leaves records: what it writes and records, in order, is what entries give.

In a batch, an element that only identity-only BLANKs and REMOVEs without a condition
select (no list line, no KEEP, nothing that spares it) stays a record of the working set:
BLANK puts the empty value in as bytes without making an entry, and files the record in
the next step that selects it. These tests run recipes the API's way (every element an
entry) and a batch's way (records), and require the same file and the same changes in the
same order, at the top level and inside sequences still read as bytes.
"""

from __future__ import annotations

import io

import pydicom
import pytest
import test_runtime_remove
from test_runtime_remove import CT, PATIENT_ID, SEQUENCE, WAYS, _plan, _run

from deidc.runtime import Matcher, execute
from deidc.runtime.walk import Entry

TYPE_OF_ID = 0x00100022  # TypeOfPatientID, in both items of OtherPatientIDsSequence


def _same_ways(body: str) -> tuple[pydicom.Dataset, list[tuple[object, ...]]]:
    """``test_runtime_remove._same_ways``, an old value of '' counting as None (see there)."""
    return test_runtime_remove._same_ways(body, blank_is_none=True)


def test_a_batch_blanks_what_only_blanks_select_as_records() -> None:
    written, changes = _same_ways("%header\nBLANK PatientID\nBLANK TypeOfPatientID")
    assert written.PatientID == "" and all(item.TypeOfPatientID == "" and item.PatientID == ""
                                           for item in written[SEQUENCE].value)
    _, batch_changes, records = _run("%header\nBLANK PatientID\nBLANK TypeOfPatientID", "batch")
    assert records == len(batch_changes) == 5  # PatientID ×3, TypeOfPatientID in both items
    _, _, made = _run("%header\nBLANK PatientID\nBLANK TypeOfPatientID", "batch, values kept")
    assert made == 0  # a value to record is read from an entry


def test_a_blanked_record_goes_on_to_the_next_steps_in_working_set_order() -> None:
    # each BLANK and REMOVE selects elements that are entries (sequences, names in a list) and records, in
    # turns: a record filed in a later step's bucket must be carried out in its place, not after the entries
    body = ("%values names\nFIELD PatientName\n%header\nBLANK startswith:Patient\nBLANK endswith:ID\n"
            "BLANK contains:Type\nREMOVE contains:Patient\nREMOVE ALL")
    written, changes = _same_ways(body)
    assert [c[:3] for c in changes].count(("(0010,0020)", "PatientID", "BLANK")) == 2
    assert ("(0010,0020)", "PatientID", "REMOVE") in [c[:3] for c in changes]
    uids = [c[0] for c in changes if c[2] == "REMOVE"]
    assert uids.index("(0010,0010)") < uids.index("(0010,0020)")  # PatientName (an entry), then PatientID


def test_a_blanked_record_is_seen_blank_by_a_later_values_list_and_by_add() -> None:
    # CT_small: PatientID 1CT1; the list holds CT1, which the blanked PatientID no longer holds
    written, changes = _same_ways('%values v\nSPLIT PatientName by="^"\n%header\nBLANK PatientID\n'
                                  "REPLACE values:v X\nADD PatientID NEW")
    assert written.PatientID == "NEW" and written.PatientName == "X"
    assert [c[:3] for c in changes if c[0] == "(0010,0020)"] == [("(0010,0020)", "PatientID", "BLANK"),
                                                                 ("(0010,0020)", "PatientID", "ADD")]


def test_a_blanked_record_in_a_removed_sequence_is_not_blanked_again() -> None:
    written, changes = _same_ways("%header\nREMOVE OtherPatientIDsSequence\nBLANK TypeOfPatientID\n"
                                  "BLANK PatientID")
    assert SEQUENCE not in written and written.PatientID == ""
    assert [c[0] for c in changes] == ["(0010,1002)", "(0010,0020)"]


@pytest.mark.parametrize("way", list(WAYS))
def test_a_blanked_record_reads_back_as_pydicom_reads_an_empty_value(way: str) -> None:
    written, _, _ = _run("%header\nBLANK PatientID\nBLANK TypeOfPatientID\nBLANK select:vr:DS", way)
    reference = pydicom.dcmread(CT)
    for element in reference.iterall():
        if element.tag in (PATIENT_ID, TYPE_OF_ID) or element.VR == "DS":
            element.value = None
    buffer = io.BytesIO()
    reference.save_as(buffer, enforce_file_format=False)
    assert written == pydicom.dcmread(io.BytesIO(buffer.getvalue()))  # as pydicom reads the values back


def test_the_batchs_records_are_blanked_without_entries() -> None:
    plan = _plan("%header\nBLANK PatientID\nBLANK TypeOfPatientID")
    matcher = Matcher()
    for _ in range(2):
        dataset = pydicom.dcmread(CT)
        result = execute(plan, dataset, {}, matcher=matcher, reuse_raw=True, record_values=False)
    assert not [e for e in result.entries if e.tag in (PATIENT_ID, TYPE_OF_ID)]
    assert all(not isinstance(noted[0], Entry) for noted in result.changes._noted)


def test_a_record_made_an_entry_before_its_blank_goes_on_to_the_later_steps() -> None:
    # the values list (CT1, in PatientID 1CT1) makes PatientID an entry before the BLANK and REMOVE that select it
    written, changes = _same_ways('%values v\nSPLIT PatientName by="^"\n%header\nREPLACE values:v X\n'
                                  "BLANK PatientID\nREMOVE PatientID")
    assert PATIENT_ID not in written
    assert [c[2] for c in changes if c[0] == "(0010,0020)"] == ["REPLACE", "BLANK", "REMOVE"]


def test_a_blanked_number_is_not_found_by_a_later_values_list() -> None:
    # CT_small: Rows and Columns are both 128 (binary numbers, read from their bytes by a list's test)
    written, changes = _same_ways("%values v\nFIELD Columns\n%header\nBLANK Rows\nREPLACE values:v 64")
    assert written.Columns == 64 and written.Rows is None
    assert [c[:3] for c in changes] == [("(0028,0010)", "Rows", "BLANK"), ("(0028,0011)", "Columns", "REPLACE")]


def test_a_file_meta_element_is_blanked_as_the_apis_way_blanks_it() -> None:
    written, changes = _same_ways("%header\nBLANK ImplementationVersionName\nBLANK SourceApplicationEntityTitle")
    assert written.file_meta.ImplementationVersionName in ("", None)
    assert [c[:3] for c in changes] == [("(0002,0013)", "ImplementationVersionName", "BLANK"),
                                        ("(0002,0016)", "SourceApplicationEntityTitle", "BLANK")]
