"""REMOVE without a condition, the runtime's most frequent change: what it records, and what it spares.

The runtime carries these out in one loop per step; the loop must record the removed
value when values are kept, spare what a REPLACE or JITTER selects (by identity, and by
address), and remove inside sequences still read as bytes, in the batch's way
(``reuse_raw``) as in the API's.
"""

from __future__ import annotations

import io

import pydicom
import pytest
from pydicom.data import get_testdata_file

from deidc.compiler import compile_recipe
from deidc.plan import Plan
from deidc.runtime import Matcher, execute

CT = str(get_testdata_file("CT_small.dcm"))
SEQUENCE, PATIENT_ID = 0x00101002, 0x00100020  # OtherPatientIDsSequence (2 items), PatientID


def _plan(body: str) -> Plan:
    compiled = compile_recipe("FORMAT dicom\n%header\n" + body + "\n", path="<test>")
    assert compiled.plan is not None, compiled.diagnostics
    return compiled.plan


def _run(body: str, reuse_raw: bool, record_values: bool = True) -> tuple[pydicom.Dataset, list[tuple[object, ...]]]:
    dataset = pydicom.dcmread(CT)
    matcher = Matcher()
    for _ in range(2):  # the second time, as a batch's later files: every identity decided
        dataset = pydicom.dcmread(CT)
        result = execute(_plan(body), dataset, {}, matcher=matcher, reuse_raw=reuse_raw, record_values=record_values)
    buffer = io.BytesIO()
    dataset.save_as(buffer, enforce_file_format=False)
    written = pydicom.dcmread(io.BytesIO(buffer.getvalue()))
    return written, [(c.uid, c.action, c.before, c.after) for c in result.changes]


@pytest.mark.parametrize("reuse_raw", [False, True])
def test_a_removal_records_the_value_it_removed_when_values_are_kept(reuse_raw: bool) -> None:
    original = pydicom.dcmread(CT)
    written, changes = _run("REMOVE PatientID", reuse_raw)
    assert PATIENT_ID not in written and all(PATIENT_ID not in item for item in written[SEQUENCE].value)
    assert changes == [
        ("(0010,0020)", "REMOVE", original.PatientID, None),
        ("(0010,1002)__0__(0010,0020)", "REMOVE", original.OtherPatientIDsSequence[0].PatientID, None),
        ("(0010,1002)__1__(0010,0020)", "REMOVE", original.OtherPatientIDsSequence[1].PatientID, None),
    ]
    _, unrecorded = _run("REMOVE PatientID", reuse_raw, record_values=False)
    assert [c[:2] for c in unrecorded] == [c[:2] for c in changes] and all(c[2] is None for c in unrecorded)


@pytest.mark.parametrize("reuse_raw", [False, True])
def test_a_removal_spares_what_a_replace_selects_by_address(reuse_raw: bool) -> None:
    written, changes = _run("REMOVE PatientID\nREPLACE (0010,1002)__1__(0010,0020) KEPT", reuse_raw)
    assert PATIENT_ID not in written
    items = written[SEQUENCE].value
    assert PATIENT_ID not in items[0] and items[1].PatientID == "KEPT"
    assert [(c[0], c[1]) for c in changes] == [("(0010,0020)", "REMOVE"), ("(0010,1002)__0__(0010,0020)", "REMOVE"),
                                               ("(0010,1002)__1__(0010,0020)", "REPLACE")]


@pytest.mark.parametrize("reuse_raw", [False, True])
def test_a_removal_spares_what_a_replace_or_jitter_selects_by_name(reuse_raw: bool) -> None:
    written, changes = _run("REMOVE ALL\nREPLACE PatientID ANON\nJITTER StudyDate 1", reuse_raw)
    assert written.PatientID == "ANON" and written.StudyDate == "20040120"  # CT_small's 20040119, a day later
    assert SEQUENCE not in written and "PatientName" not in written
    assert ("(0010,0020)", "REPLACE") in [(c[0], c[1]) for c in changes]
    assert ("(0010,0020)", "REMOVE") not in [(c[0], c[1]) for c in changes]
