"""A sparse working set (``execute(sparse=True)``, what batches run) changes exactly what a full one does.

In a sparse working set an element that no identity-only step, list line or KEEP
selects stays a record, made an entry only when something needs it (a ``values:``
list, an address or value selector, an ADD of its tag). The changes, their order and
values, and the dataset written must not depend on that.
"""

from __future__ import annotations

import copy
import functools
import io
import warnings
from pathlib import Path

import pydicom
import pytest
from hypothesis import HealthCheck, given, settings
from pydicom.data import get_charset_files, get_testdata_file
from pydicom.dataelem import RawDataElement
from samples import RECIPE_TEXTS
from samples import VARIABLES as SAMPLE_VARIABLES

from deidc.compiler import compile_recipe
from deidc.runtime import Matcher, StepError, execute
from deidc.runtime.walk import private_creator
from deidc.runtime.workset import build, walk
from deidc.testing import datasets

RECIPES = {
    **RECIPE_TEXTS,
    # KEEP by name and by address: what they select (and what is inside) leaves the working set
    "keep": "FORMAT dicom\n%header\nKEEP ReferencedSOPInstanceUID\nKEEP (0008,1140)__0__(0008,1150)\n"
            "REMOVE contains:UID\nREPLACE PatientName anon\n",
    # a step by address, and an ADD of an element no other step selects (it exists in most files)
    "address": "FORMAT dicom\n%header\nREPLACE (0008,1140)__0__(0008,1155) 1.2.3\nADD Modality OT\n"
               "ADD PatientBirthDate 19000101\nBLANK PatientSex\n",
    # a values: list of a value that only unselected elements hold, and of numbers
    "values": "FORMAT dicom\n%values found\nFIELD Modality\nFIELD Rows\nFIELD PatientName\n%header\n"
              "REMOVE values:found\n",
    # a %fields list with a line by address, and an ADD of a listed element
    "fields": "FORMAT dicom\n%values names\nFIELD PatientName\n%fields listed\nFIELD (0008,1140)__0__(0008,1155)\n"
              "FIELD startswith:Study\n%header\nADD StudyID 7\nREMOVE fields:listed\nREPLACE values:names X\n",
    # a caller's function: elements are edited in the datasets at once
    "function": "FORMAT dicom\n%header\nREPLACE PatientID func:pseudonym\nREMOVE endswith:Date\n",
}
#: pydicom's bundled files: sequences, private blocks (also in items), implicit VR, big endian, character sets
FILES = ["CT_small.dcm", "MR_small.dcm", "rtplan.dcm", "rtstruct.dcm", "waveform_ecg.dcm", "nested_priv_SQ.dcm",
         "MR_small_implicit.dcm", "MR_small_bigendian.dcm", "reportsi.dcm", "chrFrenMulti.dcm", "chrH31.dcm",
         "chrX1.dcm"]
VARIABLES = {**SAMPLE_VARIABLES, "pseudonym": lambda **_: "P-1"}


@functools.cache
def _plan(name: str):  # type: ignore[no-untyped-def]
    compiled = compile_recipe(RECIPES[name], path=f"<{name}>")
    assert compiled.plan is not None, compiled.diagnostics
    return compiled.plan


def _run(data: bytes, name: str, sparse: bool, reuse_raw: bool,
         matcher: Matcher | None = None) -> tuple[list[tuple[object, ...]], object]:
    """Run a recipe on a file's bytes; return the changes and what is read back from the written file."""
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        dataset = pydicom.dcmread(io.BytesIO(data), force=True)
        result = execute(_plan(name), dataset, dict(VARIABLES), matcher=matcher, reuse_raw=reuse_raw, sparse=sparse)
        buffer = io.BytesIO()
        dataset.save_as(buffer)
        again = pydicom.dcmread(io.BytesIO(buffer.getvalue()), force=True)
        content = (again.file_meta.to_json_dict(), again.to_json_dict())
    changes = [(c.address, c.uid, c.keyword, c.action, c.origin, repr(c.before), repr(c.after), c.vr, c.filemeta)
               for c in result.changes]
    return changes, content


def _bytes(name: str) -> bytes:
    found = get_testdata_file(name) if not name.startswith("chr") else get_charset_files(name)[0]
    assert found is not None, name
    return Path(str(found)).read_bytes()


@pytest.mark.parametrize("reuse_raw", [False, True])
@pytest.mark.parametrize("recipe", sorted(RECIPES))
@pytest.mark.parametrize("name", FILES)
def test_sparse_and_full_working_sets_change_the_same_elements(name: str, recipe: str, reuse_raw: bool) -> None:
    data = _bytes(name)
    full = _run(data, recipe, sparse=False, reuse_raw=reuse_raw)
    sparse = _run(data, recipe, sparse=True, reuse_raw=reuse_raw)
    assert sparse == full


@pytest.mark.parametrize("recipe", sorted(RECIPES))
def test_a_batch_matcher_gives_later_files_the_same_results(recipe: str) -> None:
    """Identities learnt on one file decide the next ones as a fresh matcher would."""
    matcher = Matcher()
    for name in FILES:
        data = _bytes(name)
        assert _run(data, recipe, sparse=True, reuse_raw=True, matcher=matcher) == \
            _run(data, recipe, sparse=False, reuse_raw=True)


def test_elements_nothing_selects_stay_records_and_become_the_walks_entries() -> None:
    plan = _plan("groups")
    matcher = Matcher()
    index = matcher.index(plan)
    path = str(get_testdata_file("reportsi.dcm"))  # explicit VR (an implicit VR is looked up: an entry each time)
    decide = functools.partial(matcher.classify, index, True)
    first = build(pydicom.dcmread(path), root=matcher.context(index), decide=decide)
    dataset = pydicom.dcmread(path)
    working = build(dataset, root=matcher.context(index), decide=decide)
    walked = list(walk(copy.deepcopy(dataset)))
    assert 0 < len(working.active) < len(working.slots) // 3  # most elements are left records (not sequences)
    assert len(first.active) > 2 * len(working.active)  # the first time, an identity is decided from an entry
    assert all(e.vr == "SQ" or e.tag == 0x00080005 or matcher.decide(index, e).steps or
               matcher.decide(index, e).lines for e in working.active)
    made = working.everything()
    assert [(e.address, e.names, e.vr, e.creator, e.filemeta, e.is_raw, e.slot) for e in made] == \
        [(e.address, e.names, e.vr, e.creator, e.filemeta, e.is_raw, e.slot) for e in walked]
    assert [e.element.value for e in made if e.vr != "SQ"] == [e.element.value for e in walked if e.vr != "SQ"]


@settings(max_examples=80, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(datasets(max_depth=2, likely=("PatientName", "StudyDate", "ReferencedSOPInstanceUID")))
def test_sparse_and_full_agree_on_generated_datasets(dataset: pydicom.Dataset) -> None:
    buffer = io.BytesIO()
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        dataset.save_as(buffer, implicit_vr=False, little_endian=True)
    data = buffer.getvalue()
    for recipe in ("groups", "expanders", "keep", "values", "fields"):
        try:
            full = _run(data, recipe, sparse=False, reuse_raw=True)
        except StepError:
            with pytest.raises(StepError):
                _run(data, recipe, sparse=True, reuse_raw=True)
            continue
        assert _run(data, recipe, sparse=True, reuse_raw=True) == full


def _made_file() -> bytes:
    """A small file where a list's value is held by elements that no step names, at the top and in items."""
    dataset = pydicom.Dataset()
    dataset.PatientName, dataset.PatientID, dataset.IssuerOfPatientID = "ABC^DEF", "ABC", "ABC"
    dataset.StudyDescription = "ABC study"
    other = pydicom.Dataset()
    other.PatientID, other.IssuerOfPatientID, other.TypeOfPatientID = "XYZ", "ABC", "TEXT"
    other.private_block(0x0011, "ACME2", create=True).add_new(0x01, "LO", "ABC in an item")
    dataset.OtherPatientIDsSequence = [other]
    dataset.private_block(0x0011, "ACME1", create=True).add_new(0x01, "LO", "ABC")  # written padded: "ACME1 "
    buffer = io.BytesIO()
    dataset.save_as(buffer, implicit_vr=False, little_endian=True)
    return buffer.getvalue()


MADE = {
    # a KEEP of a sequence hides the elements inside it, also those left records
    "kept sequence": "FORMAT dicom\n%values ids\nFIELD PatientID\n%header\nKEEP OtherPatientIDsSequence\n"
                     "REMOVE values:ids\n",
    # ADD of an element that is there, left a record: the record is that element (not a second one)
    "add existing": "FORMAT dicom\n%values ids\nFIELD PatientID\n%header\nADD IssuerOfPatientID ABC\n"
                    "REMOVE values:ids\n",
    # an element ADD makes after the list's index is built is still tested by the list
    "add after index": "FORMAT dicom\n%values ids\nFIELD PatientID\n%header\nREPLACE values:ids XYZ\n"
                       "ADD StationName ABC\nREMOVE values:ids\n",
}
RECIPES.update(MADE)
RECIPES["kept tag"] = ("FORMAT dicom\n%values ids\nFIELD AccessionNumber\n%header\nKEEP select:vr:LO\n"
                       "REPLACE values:ids NEW\n")


@pytest.mark.parametrize("recipe", sorted(MADE))
def test_records_are_hidden_found_and_added_as_entries_would_be(recipe: str) -> None:
    data = _made_file()
    matcher = Matcher()
    _run(data, recipe, sparse=True, reuse_raw=True, matcher=matcher)  # every identity decided once
    full = _run(data, recipe, sparse=False, reuse_raw=True)
    assert _run(data, recipe, sparse=True, reuse_raw=True, matcher=matcher) == full
    assert full[0], "the recipe changes something"


def _kept_tag_file() -> bytes:
    """PatientID at the top (LO) and in an item (written as SH: another identity), both holding a list's value."""
    dataset = pydicom.Dataset()
    dataset.PatientID, dataset.AccessionNumber = "ABC", "ABC"
    item = pydicom.Dataset()
    item.add_new(0x00100020, "SH", "ABC")
    dataset.OtherPatientIDsSequence = [item]
    buffer = io.BytesIO()
    dataset.save_as(buffer, implicit_vr=False, little_endian=True)
    return buffer.getvalue()


def test_a_kept_tag_hides_that_tag_in_items_also_where_it_is_left_a_record() -> None:
    # KEEP select:vr:LO keeps the top-level PatientID, and so hides the SH one in the item (by tag), which no
    # step selects by identity: in a second file of the batch it is a record, and must be hidden all the same
    data = _kept_tag_file()
    matcher = Matcher()
    _run(data, "kept tag", sparse=True, reuse_raw=True, matcher=matcher)
    full = _run(data, "kept tag", sparse=False, reuse_raw=True)
    assert [change[1] for change in full[0]] == ["(0008,0050)"]  # AccessionNumber only
    assert _run(data, "kept tag", sparse=True, reuse_raw=True, matcher=matcher) == full


@pytest.mark.parametrize("name", [*FILES, "priv_SQ.dcm", "made"])
def test_private_creators_read_from_bytes_are_the_ones_pydicom_decodes(name: str) -> None:
    data = _bytes(name) if name != "made" else _made_file()
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        raw = pydicom.dcmread(io.BytesIO(data), force=True)
        decoded = pydicom.dcmread(io.BytesIO(data), force=True)
        decoded.decode()
    private = [int(tag) for tag in raw.keys() if tag.group % 2 and tag.element >= 0x1000]  # noqa: SIM118 (tags, undecoded)
    found = [private_creator(raw, tag) for tag in private]
    assert found == [private_creator(decoded, tag) for tag in private]
    if name in ("CT_small.dcm", "made"):  # explicit VR, creators undecoded: read from their bytes
        creators = {tag & 0xFFFF0000 | (tag & 0xFFFF) >> 8 for tag in private}
        assert all(found) and all(isinstance(raw.get_item(tag), RawDataElement) for tag in creators)
