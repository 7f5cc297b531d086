"""deidc's default recipe: generated from PS3.15 Table E.1-1, compiles cleanly, de-identifies real files."""

from __future__ import annotations

import functools
import importlib.util
import json
import re
import sys
from collections import Counter
from collections.abc import Iterator
from pathlib import Path
from types import ModuleType

import deid_data
import pydicom
import pytest
from pydicom import config
from pydicom.data import get_testdata_file
from pydicom.datadict import dictionary_VR, keyword_for_tag
from pydicom.dataset import Dataset, FileDataset
from pydicom.sequence import Sequence
from pydicom.valuerep import validate_value

from deidc.compiler import compile_recipe
from deidc.plan import ActionKind, Plan, SelectTag, ValueDeidFunc, ValueLiteral
from deidc.runtime.engine import execute
from deidc.runtime.values import convert_literal

ROOT = Path(__file__).resolve().parent.parent
RECIPE = ROOT / "deidc" / "data" / "recipes" / "deid.dicom"
TABLE = ROOT / "deidc" / "data" / "ps3.15-table-e1-1.json"
GENERATOR = ROOT / "tools" / "make_default_recipe.py"
HUMANS = Path(deid_data.__file__).resolve().parent / "data" / "humans"
CONCRETE = re.compile(r"\(([0-9A-F]{4}),([0-9A-F]{4})\)")

#: the mapping the docs promise, written out independently of the generator
EXPECTED: dict[str, str] = {
    "X": "REMOVE", "Z": "BLANK", "D": "REPLACE", "U": "REPLACE", "K": "KEEP",
    "X/Z": "BLANK", "X/Z/U*": "BLANK", "X/D": "REPLACE", "Z/D": "REPLACE", "X/Z/D": "REPLACE",
}


def expected_action(code: str, vr: str) -> str:
    if vr == "SQ" and code != "X":
        return "BLANK"  # a sequence cannot hold a dummy: emptied
    return EXPECTED[code]


@functools.cache
def generator() -> ModuleType:
    spec = importlib.util.spec_from_file_location("make_default_recipe", GENERATOR)
    assert spec is not None and spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    sys.modules[spec.name] = module
    spec.loader.exec_module(module)
    return module


@functools.cache
def default_plan() -> Plan:
    compiled = compile_recipe(RECIPE.read_text(encoding="utf-8"), path="deid.dicom")
    assert compiled.plan is not None, compiled.diagnostics
    return compiled.plan


def table_rows() -> list[dict[str, str]]:
    rows: list[dict[str, str]] = json.loads(TABLE.read_text(encoding="utf-8"))
    return rows


def concrete_rows() -> Iterator[tuple[dict[str, str], int, str]]:
    """Yield (row, tag, keyword) for each row with one tag that pydicom names."""
    for row in table_rows():
        match = CONCRETE.fullmatch(row["tag"])
        if match:
            tag = int(match.group(1) + match.group(2), 16)
            keyword = keyword_for_tag(tag)
            if keyword:
                yield row, tag, keyword


def read(path: str | Path) -> FileDataset:
    return pydicom.dcmread(path, force=True)


def deidentify(path: str | Path, *, remove_private: bool = False) -> tuple[FileDataset, FileDataset]:
    """Return the file as read and the file after the default recipe ran on it."""
    dataset = read(path)
    execute(default_plan(), dataset, {}, remove_private=remove_private)
    return read(path), dataset


@functools.cache
def deidentified(path: str | Path) -> tuple[FileDataset, FileDataset]:
    """Return ``deidentify(path)``, computed once per file: callers must not change the datasets."""
    return deidentify(path)


def texts(dataset: Dataset) -> Iterator[str]:
    """Yield every element value as text, nested items and file meta included."""
    elements = list(dataset.iterall())
    meta = getattr(dataset, "file_meta", None)
    if meta is not None:
        elements += list(meta.iterall())
    for element in elements:
        value = element.value
        if isinstance(value, bytes):
            yield value.decode("latin-1")
        elif not isinstance(value, Sequence):
            yield str(value)


REAL_FILES = [
    pytest.param(HUMANS / "ctbrain1.dcm", id="ctbrain1"),
    pytest.param(get_testdata_file("CT_small.dcm"), id="CT_small"),
    pytest.param(get_testdata_file("MR_small.dcm"), id="MR_small"),
    pytest.param(get_testdata_file("rtplan.dcm"), id="rtplan"),
]

# ---------------------------------------------------------------- the generated file


def test_generated_recipe_matches_a_fresh_run_of_the_generator(tmp_path: Path) -> None:
    output = tmp_path / "deid.dicom"
    assert generator().main(["--output", str(output)]) == 0
    assert output.read_text(encoding="utf-8") == RECIPE.read_text(encoding="utf-8")
    assert generator().main(["--check"]) == 0


def test_generator_check_mode_flags_a_stale_recipe(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    stale = tmp_path / "deid.dicom"
    stale.write_text("FORMAT dicom\n%header\n", encoding="utf-8")
    assert generator().main(["--check", "--output", str(stale)]) == 1
    assert "out of date" in capsys.readouterr().err


def test_recipe_starts_with_format_and_has_one_header_section() -> None:
    lines = RECIPE.read_text(encoding="utf-8").splitlines()
    assert lines[0] == "FORMAT dicom"
    assert [line for line in lines if line.startswith("%")] == ["%header"]
    assert any("GENERATED" in line for line in lines[:20])
    assert any("python tools/make_default_recipe.py" in line for line in lines[:20])


def test_recipe_compiles_without_any_diagnostic() -> None:
    compiled = compile_recipe(RECIPE.read_text(encoding="utf-8"), path="deid.dicom")
    assert compiled.ok
    assert compiled.diagnostics == ()


def test_recipe_needs_no_variables_or_functions() -> None:
    text = RECIPE.read_text(encoding="utf-8")
    assert "var:" not in text
    assert re.search(r"(?<!deid_)func:", text) is None
    assert default_plan().variables == ()
    assert default_plan().functions == ()


def test_every_concrete_basic_profile_row_has_exactly_one_matching_action() -> None:
    steps = [s for s in default_plan().steps if s.action is not ActionKind.ADD]
    by_tag = Counter(s.selector.tag for s in steps if isinstance(s.selector, SelectTag))
    action_of = {s.selector.tag: s.action.value for s in steps if isinstance(s.selector, SelectTag)}
    rows = list(concrete_rows())
    assert len(rows) == 617
    wrong = []
    for row, tag, keyword in rows:
        want = expected_action(row["basicProfile"], str(dictionary_VR(tag))[:2])
        if by_tag[tag] != 1 or action_of[tag] != want:
            wrong.append((keyword, row["basicProfile"], by_tag[tag], action_of.get(tag), want))
    assert wrong == []


def test_every_action_comes_from_a_table_row_and_names_one_attribute() -> None:
    concrete = {tag for _, tag, _ in concrete_rows()}
    steps = [s for s in default_plan().steps if s.action is not ActionKind.ADD]
    tags = [s.selector.tag for s in steps if isinstance(s.selector, SelectTag)]
    assert set(tags) <= concrete
    assert len(tags) == len(set(tags))
    others = sorted(s.origin.text for s in steps if not isinstance(s.selector, SelectTag))
    assert others == [r"REMOVE startswith:\(50[01][02468ace],", r"REMOVE startswith:\(60[01][02468ace],3000\)",
                      r"REMOVE startswith:\(60[01][02468ace],4000\)"]
    assert Counter(s.action.value for s in steps) == {"REMOVE": 383, "REPLACE": 174, "BLANK": 63}


def test_uid_rows_are_replaced_by_a_stable_uid_function() -> None:
    uid_steps = {s.selector.tag: s for s in default_plan().steps
                 if isinstance(s.selector, SelectTag) and isinstance(s.value, ValueDeidFunc)}
    u_rows = {tag for row, tag, _ in concrete_rows() if row["basicProfile"] == "U"}
    assert u_rows <= set(uid_steps)
    for step in uid_steps.values():
        assert step.value == ValueDeidFunc("pydicom_uuid", (("stable_remapping", "true"),))
        assert dictionary_VR(step.selector.tag) == "UI"  # type: ignore[union-attr]


def test_dummy_values_are_valid_and_non_empty_for_their_vr() -> None:
    literal_steps = [s for s in default_plan().steps if s.action is ActionKind.REPLACE
                     and isinstance(s.value, ValueLiteral) and isinstance(s.selector, SelectTag)]
    assert len(literal_steps) == 119
    for step in literal_steps:
        assert isinstance(step.value, ValueLiteral) and isinstance(step.selector, SelectTag)
        vr = str(dictionary_VR(step.selector.tag))[:2]
        value = convert_literal(step.value.text, vr)
        assert value not in ("", b"", None)
        validate_value(vr, value, config.RAISE)
        if isinstance(value, bytes):
            assert len(value) % 2 == 0, step.origin.text


def test_private_attributes_row_is_listed_as_not_expressed() -> None:
    text = RECIPE.read_text(encoding="utf-8")
    tail = text[text.index("# Not expressed by this recipe:"):]
    assert "Private Attributes" in tail
    assert "remove_private=True" in tail
    assert all(line.startswith("#") for line in tail.splitlines())


def test_recipe_ends_by_recording_the_de_identification() -> None:
    adds = [s for s in default_plan().steps if s.action is ActionKind.ADD]
    assert default_plan().steps[-2:] == tuple(adds)
    assert [a.origin.text.split()[1] for a in adds] == ["PatientIdentityRemoved", "DeidentificationMethod"]
    method = adds[1].value
    assert isinstance(method, ValueLiteral) and 0 < len(method.text) <= 64

# ---------------------------------------------------------------- running it


@pytest.mark.parametrize("path", REAL_FILES)
def test_patient_name_and_id_leave_no_trace(path: Path) -> None:
    before, after = deidentified(path)
    assert str(after.get("PatientName", "")) != str(before.PatientName)
    assert before.PatientID and after.PatientID == "ANONYMOUS"
    assert not any(before.PatientID in text for text in texts(after))
    assert after.PatientIdentityRemoved == "YES"


@pytest.mark.parametrize("path", REAL_FILES)
def test_result_saves_as_a_valid_file_and_reads_back(path: Path, tmp_path: Path) -> None:
    before, after = deidentify(path)
    output = tmp_path / "out.dcm"
    after.save_as(output, enforce_file_format=True)
    back = pydicom.dcmread(output)
    assert back.SOPClassUID == before.SOPClassUID
    assert back.file_meta.MediaStorageSOPInstanceUID == back.SOPInstanceUID != before.SOPInstanceUID
    assert back.file_meta.TransferSyntaxUID == before.file_meta.TransferSyntaxUID
    assert ("PixelData" in back) == ("PixelData" in before)
    assert back.get("PixelData") == before.get("PixelData")
    assert back.DeidentificationMethod == after.DeidentificationMethod


def test_dates_follow_the_table_codes() -> None:
    before, after = deidentified(HUMANS / "ctbrain1.dcm")
    assert before.StudyDate == "20230101" and before.SeriesDate == "20230101"
    assert not after.StudyDate  # Z
    assert not after.AcquisitionDate  # X/Z
    assert after.SeriesDate == "19000101"  # X/D
    assert after.ContentDate == "19000101"  # Z/D
    assert after.SeriesTime == "000000" and not after.StudyTime


def test_identifying_descriptions_get_dummies_and_others_are_kept() -> None:
    before, after = deidentified(HUMANS / "ctbrain1.dcm")
    assert before.InstitutionName and after.InstitutionName == "ANONYMOUS"  # X/Z/D
    assert before.StationName and after.StationName == "ANONYMOUS"
    assert after.DeviceSerialNumber == "ANONYMOUS" and after.ProtocolName == "ANONYMOUS"
    for keyword in ("Modality", "Manufacturer", "Rows", "Columns", "SliceThickness", "ImageType"):
        assert after[keyword].value == before[keyword].value


def test_sequences_coded_z_or_u_star_are_emptied_not_removed() -> None:
    before, after = deidentified(HUMANS / "ctbrain1.dcm")
    for keyword in ("ReferencedImageSequence", "SourceImageSequence", "ReferencedStudySequence"):
        assert len(before[keyword].value) == 1
        assert keyword in after and len(after[keyword].value) == 0


def test_same_study_uid_in_two_files_maps_to_the_same_new_uid() -> None:
    first_before, first = deidentified(HUMANS / "ctbrain1.dcm")
    second_before, second = deidentified(HUMANS / "ctbrain2.dcm")
    assert first_before.StudyInstanceUID == second_before.StudyInstanceUID
    assert first.StudyInstanceUID == second.StudyInstanceUID != first_before.StudyInstanceUID
    assert first.StudyInstanceUID.startswith("2.25.") and first.StudyInstanceUID.is_valid
    _, other = deidentified(get_testdata_file("CT_small.dcm"))
    assert other.StudyInstanceUID != first.StudyInstanceUID


def test_nested_reference_maps_like_the_instance_it_references() -> None:
    before, after = deidentified(get_testdata_file("rtplan.dcm"))
    referenced = before.ReferencedStructureSetSequence[0].ReferencedSOPInstanceUID
    target = Dataset()
    target.SOPInstanceUID = referenced
    execute(default_plan(), target, {})
    new_reference = after.ReferencedStructureSetSequence[0].ReferencedSOPInstanceUID
    assert new_reference == target.SOPInstanceUID != referenced


def test_private_elements_stay_unless_remove_private_is_set() -> None:
    _, kept = deidentified(HUMANS / "ctbrain1.dcm")
    assert any(element.tag.is_private for element in kept.iterall())
    _, removed = deidentify(HUMANS / "ctbrain1.dcm", remove_private=True)
    assert not any(element.tag.is_private for element in removed.iterall())
    assert removed.PatientID == "ANONYMOUS"


def test_overlay_and_curve_groups_are_removed_at_any_depth() -> None:
    dataset = Dataset()
    dataset.Modality = "OT"
    dataset.add_new(0x60020010, "US", 16)  # OverlayRows: not in the table
    dataset.add_new(0x60023000, "OW", b"\x00\x01" * 16)  # OverlayData
    dataset.add_new(0x60024000, "LT", "Dr Smith's note")  # OverlayComments
    dataset.add_new(0x50040005, "US", 1)  # CurveDimensions
    dataset.add_new(0x50043000, "OW", b"\x00\x00")  # CurveData
    item = Dataset()
    item.add_new(0x60004000, "LT", "nested note")
    dataset.ReferencedSeriesSequence = Sequence([item])
    execute(default_plan(), dataset, {})
    assert {int(element.tag) for element in dataset} == {0x00080060, 0x00081115, 0x60020010, 0x00120062, 0x00120063}
    assert len(dataset.ReferencedSeriesSequence[0]) == 0
