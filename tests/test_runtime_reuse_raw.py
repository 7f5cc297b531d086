"""Putting raw elements back after a run (``execute(reuse_raw=True)``, what batches do) writes the same data.

Sequences with no change inside them, and elements decoded only to be read, go back
to their undecoded form so that writing them is as fast as copying them; what is
written must not differ in any element from what the run made.
"""

from __future__ import annotations

import io
import warnings

import pydicom
import pytest
from pydicom.data import get_testdata_file
from samples import RECIPE_PATHS, VARIABLES

from deidc.compiler import compile_recipe
from deidc.runtime import execute

RECIPES = {
    **RECIPE_PATHS,
}
INLINE = {
    # a change deep inside one sequence, none in another: only the untouched one goes back raw
    "nested": "FORMAT dicom\n%header\nREPLACE ReferencedSOPInstanceUID 1.2.3\nBLANK CodeMeaning\n",
    # nothing changes at all, but a values: list decodes what it reads
    "reads": "FORMAT dicom\n%values names\nFIELD PatientName\n%header\nREPLACE values:names nobody\n",
    "charset": "FORMAT dicom\n%header\nREPLACE SpecificCharacterSet ISO_IR 192\n",
}
FILES = ["rtplan.dcm", "CT_small.dcm", "MR_small.dcm", "rtstruct.dcm", "waveform_ecg.dcm"]


def _plan(name: str):  # type: ignore[no-untyped-def]
    if name in INLINE:
        return compile_recipe(INLINE[name], path=f"<{name}>").plan
    path = RECIPES[name]
    return compile_recipe(path.read_text(), path=str(path)).plan


def _written(path: str, name: str | None, reuse_raw: bool) -> tuple[dict[str, object], list[object]]:
    """Read, run the recipe (None: none) and write; return what is read back from the output, and the changes."""
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        dataset = pydicom.dcmread(path, force=True)
        result = None
        if name is not None:
            result = execute(_plan(name), dataset, dict(VARIABLES), record_values=False, reuse_raw=reuse_raw)
        buffer = io.BytesIO()
        dataset.save_as(buffer)
        again = pydicom.dcmread(io.BytesIO(buffer.getvalue()), force=True)
        changes = [] if result is None else [(c.address, c.uid, c.action, c.after) for c in result.changes]
        return again.to_json_dict(), changes


def _assert_same(path: str, name: str) -> None:
    """Both ways write the same elements, except that an element the run did not change may be written as read.

    (pydicom pads an odd-length binary value when it writes a decoded element: written
    raw, the value stays as it was in the input, as an unchanged dataset's would.)
    """
    plain, plain_changes = _written(path, name, reuse_raw=False)
    reused, reused_changes = _written(path, name, reuse_raw=True)
    assert reused_changes == plain_changes
    as_read, _ = _written(path, None, reuse_raw=False)
    changed = {address[0] for address, *_ in plain_changes}
    assert reused.keys() == plain.keys()
    for key in plain:
        if reused[key] != plain[key]:
            assert int(key, 16) not in changed, key
            assert reused[key] == as_read[key], key


@pytest.mark.parametrize("name", [*RECIPES, *INLINE])
@pytest.mark.parametrize("filename", FILES)
def test_putting_raw_elements_back_writes_the_same_elements(filename: str, name: str) -> None:
    path = get_testdata_file(filename)
    assert path is not None
    _assert_same(str(path), name)


def test_an_untouched_sequence_is_written_from_its_raw_bytes() -> None:
    path = get_testdata_file("rtplan.dcm")
    assert path is not None
    dataset = pydicom.dcmread(path)
    execute(_plan("nested"), dataset, dict(VARIABLES), record_values=False, reuse_raw=True)
    untouched = dataset.get_item(0x300A00B0)  # BeamSequence: no ReferencedSOPInstanceUID, no CodeMeaning
    assert untouched is not None and untouched.is_raw
    changed = dataset.get_item(0x300C0060)  # ReferencedStructureSetSequence: its ReferencedSOPInstanceUID changed
    assert changed is not None and not changed.is_raw
    assert changed.value[0].ReferencedSOPInstanceUID == "1.2.3"


@pytest.mark.parametrize("name", [*RECIPES, *INLINE])
def test_putting_raw_elements_back_writes_the_same_elements_on_deid_data(humans: list[str], name: str) -> None:
    for path in humans[:2]:
        _assert_same(path, name)
