"""Each documented difference from deid 0.4.13 (docs/differences-from-deid.md), one test each.

The test names carry the difference's number in the document (``d01`` ...).
"""

from __future__ import annotations

import logging
import os
from pathlib import Path

import pydicom
import pytest
from pydicom.data import get_testdata_file
from pydicom.dataset import Dataset, FileMetaDataset
from pydicom.sequence import Sequence

from deidc.compiler import compile_recipe
from deidc.config import DeidRecipe
from deidc.dicom import get_identifiers, remove_private_identifiers, replace_identifiers
from deidc.dicom.parser import DicomParser
from deidc.dicom.tags import get_private, has_private
from deidc.errors import InputError, RecipeError


def recipe_file(tmp_path: Path, body: str, name: str = "deid.test") -> str:
    path = tmp_path / name
    path.write_text("FORMAT dicom\n\n" + body.strip() + "\n", encoding="utf-8")
    return str(path)


def run(tmp_path: Path, body: str, dataset: Dataset, **lookup: object) -> Dataset:
    parser = DicomParser(dataset, recipe=recipe_file(tmp_path, body))
    for key, value in lookup.items():
        parser.define(key, value)
    parser.parse()
    return parser.dicom


def small() -> Dataset:
    ds = Dataset()
    ds.PatientName = "Doe^John"
    ds.PatientID = "12345"
    ds.PatientSex = "M"
    ds.InstitutionName = "AxB Hospital"
    ds.StudyDate = "20230101"
    ds.StudyTime = "011635"
    ds.ImageComments = "Some Mixed Words"
    ds.file_meta = FileMetaDataset()
    return ds


def test_d01_missing_variable_is_an_error_before_any_file(cookies: list[str], tmp_path: Path) -> None:
    recipe = recipe_file(tmp_path, "%header\nREPLACE PatientID var:new_id")
    out = tmp_path / "out"
    out.mkdir()
    with pytest.raises(InputError, match="new_id") as raised:
        replace_identifiers(cookies, deid=recipe, output_folder=str(out))
    assert "deid.test:4" in str(raised.value)
    assert list(out.iterdir()) == []


def test_d02_comment_after_remove_is_a_comment(tmp_path: Path) -> None:
    assert "PatientID" not in run(tmp_path, "%header\nREMOVE PatientID # drop it", small())


def test_d03_quotes_group_words_and_are_not_written(tmp_path: Path) -> None:
    out = run(tmp_path, '%header\nREPLACE PatientName "John   Smith"', small())
    assert out.PatientName == "John   Smith"


def test_d04_spaces_inside_a_value_are_kept(tmp_path: Path) -> None:
    out = run(tmp_path, "%header\nREPLACE InstitutionName St  John's   Hospital", small())
    assert out.InstitutionName == "St  John's   Hospital"


def test_d05_hash_inside_quotes_or_words_is_data(tmp_path: Path) -> None:
    out = run(tmp_path, '%header\nREPLACE InstitutionName "Ward #3"\nREPLACE ImageComments a#b # note', small())
    assert out.InstitutionName == "Ward #3"
    assert out.ImageComments == "a#b"


def test_d06_misspelt_or_lowercase_action_is_an_error() -> None:
    for line in ("remove PatientID", "REMOVED PatientID", "Keep Modality"):
        compiled = compile_recipe(f"FORMAT dicom\n%header\n{line}\n")
        assert not compiled.ok
        assert [d.code for d in compiled.diagnostics if d.is_error] == ["DEID101"]


def test_d07_bad_section_is_a_diagnostic_not_an_exit() -> None:
    compiled = compile_recipe("FORMAT dicom\n%pixels\nREMOVE PatientID\n%values\n")
    assert {d.code for d in compiled.diagnostics} >= {"DEID102", "DEID108"}
    with pytest.raises(RecipeError):
        DeidRecipe({"format": "dicom", "header": [{"action": "REMOVE", "field": "(0010,"}]})


def test_d08_values_lists_match_literally_and_never_sequences(tmp_path: Path) -> None:
    ds = small()
    ds.OtherPatientIDs = "A.B"
    ds.ReferencedPatientSequence = Sequence([Dataset()])
    ds.ReferencedPatientSequence[0].PatientID = "A.B"
    body = "%values v\nFIELD OtherPatientIDs\n%header\nREPLACE values:v HIDDEN"
    out = run(tmp_path, body, ds)
    assert out.InstitutionName == "AxB Hospital"  # deid: 'A.B' is a regex and matches 'AxB'
    assert out.ReferencedPatientSequence[0].PatientID == "HIDDEN"
    assert out.OtherPatientIDs == "HIDDEN"
    ds = small()
    ds.OtherPatientIDs = "Doe (John"  # deid: re.error
    assert run(tmp_path, body, ds).OtherPatientIDs == "HIDDEN"


def test_d09_fields_lists_select_exactly_their_elements(tmp_path: Path) -> None:
    ds = small()
    ds.ProcedureCodeSequence = Sequence([Dataset()])
    ds.ProcedureCodeSequence[0].CodeValue = "P1"
    ds.AnatomicRegionSequence = Sequence([Dataset()])
    ds.AnatomicRegionSequence[0].CodeValue = "A1"
    body = "%fields f\nFIELD ProcedureCodeSequence__CodeValue\n%header\nREPLACE fields:f NEW"
    out = run(tmp_path, body, ds)
    assert out.ProcedureCodeSequence[0].CodeValue == "NEW"
    assert out.AnatomicRegionSequence[0].CodeValue == "A1"  # deid widens to every CodeValue


def test_d10_remove_is_only_spared_by_a_replace_that_writes(tmp_path: Path) -> None:
    out = run(tmp_path, "%header\nREPLACE PatientName func:nothing\nREMOVE ALL", small(), nothing=lambda **kw: None)
    assert "PatientName" not in out  # deid keeps the original name
    out = run(tmp_path, "%header\nREMOVE ALL\nREPLACE PatientName func:anon", small(), anon=lambda **kw: "ANON")
    assert out.PatientName == "ANON"


def test_d11_replace_never_turns_a_sequence_into_text(tmp_path: Path) -> None:
    ds = small()
    ds.ReferencedPatientSequence = Sequence([Dataset()])
    ds.ReferencedPatientSequence[0].ReferencedSOPInstanceUID = "1.2.3"
    out = run(tmp_path, "%header\nREPLACE contains:Patient x", ds)  # deid: TypeError
    assert out["ReferencedPatientSequence"].VR == "SQ"
    assert out.ReferencedPatientSequence[0].ReferencedSOPInstanceUID == "x"  # matched by its nested name
    assert out.PatientName == "x"


def test_d12_jitter_shifts_dates_only_and_fails_loudly(tmp_path: Path) -> None:
    out = run(tmp_path, "%header\nJITTER StudyDate 1\nJITTER StudyTime 1", small())
    assert out.StudyDate == "20230102"
    assert out.StudyTime == "011635"  # deid writes today's date into the TM element
    ds = small()
    ds.StudyDate = "20231301"
    with pytest.raises(ValueError, match="JITTER"):
        run(tmp_path, "%header\nJITTER StudyDate 1", ds)


def test_d13_field_on_a_sequence_and_split_of_none_add_nothing(tmp_path: Path) -> None:
    ds = small()
    ds.ReferencedStudySequence = Sequence([Dataset()])
    ds.AccessionNumber = None
    parser = DicomParser(ds, recipe=recipe_file(
        tmp_path, "%values v\nFIELD ReferencedStudySequence\nSPLIT AccessionNumber\nFIELD PatientSex\n"
                  "%header\nREPLACE values:v X"))
    parser.parse()
    assert parser.lookup["v"] == ["M"]


def test_d14_add_by_tag_uses_the_dictionary_vr(tmp_path: Path) -> None:
    out = run(tmp_path, "%header\nADD 00101030 70\nADD (0012,0062) YES", small())
    assert out["PatientWeight"].VR == "DS"
    assert out.PatientIdentityRemoved == "YES"


def test_d15_keep_protects_a_nested_element_it_names(tmp_path: Path) -> None:
    ds = small()
    ds.ProcedureCodeSequence = Sequence([Dataset()])
    ds.ProcedureCodeSequence[0].CodeValue = "P1"
    out = run(tmp_path, "%header\nKEEP ProcedureCodeSequence__CodeValue\nREMOVE CodeValue", ds)
    assert out.ProcedureCodeSequence[0].CodeValue == "P1"


def test_d16_combined_recipes_merge_lists_and_do_not_touch_the_callers_list(tmp_path: Path) -> None:
    first = recipe_file(tmp_path, "%values a\nFIELD PatientID\n%header\nREPLACE values:a X", "deid.a")
    second = recipe_file(tmp_path, "%values b\nFIELD PatientSex\n%header\nREPLACE values:b Y", "deid.b")
    items = [first, second]
    recipe = DeidRecipe(items, base=False)
    assert recipe.ls_valuelists() == ["a", "b"]
    assert items == [first, second]
    recipe.load(first)
    assert len(recipe.get_actions()) == 3


def test_d17_a_recipe_that_does_not_exist_is_an_error(tmp_path: Path) -> None:
    with pytest.raises(InputError, match="no such recipe"):
        DicomParser(small(), recipe=str(tmp_path / "missing.deid"))


def test_d18_one_bad_file_does_not_stop_a_batch(cookies: list[str], tmp_path: Path) -> None:
    missing = str(tmp_path / "missing.dcm")
    bad_date = pydicom.dcmread(cookies[2])
    bad_date.StudyDate = "20231301"
    bad_date.filename = str(tmp_path / "bad_date.dcm")
    recipe = recipe_file(tmp_path, "%header\nREMOVE PatientName\nJITTER StudyDate 1")
    out = tmp_path / "out"
    out.mkdir()
    results = replace_identifiers([cookies[0], missing, bad_date, cookies[1]], deid=recipe, output_folder=str(out))
    assert [os.path.basename(p) for p in results] == [os.path.basename(cookies[0]), os.path.basename(cookies[1])]
    assert [f.path for f in results.failures] == [missing, str(tmp_path / "bad_date.dcm")]
    assert "JITTER" in results.failures[1].reason
    assert sorted(p.name for p in out.iterdir()) == sorted(os.path.basename(p) for p in results)


def test_d19_parse_can_run_twice_and_plain_datasets_work(tmp_path: Path) -> None:
    parser = DicomParser(small(), recipe=recipe_file(tmp_path, "%header\nREPLACE PatientID X"))
    parser.parse()
    parser.parse()
    assert parser.dicom.PatientID == "X"


def test_d20_private_tags_are_found_and_removed_at_every_depth(humans: list[str], caplog: pytest.LogCaptureFixture,
                                                               capsys: pytest.CaptureFixture[str]) -> None:
    ds = pydicom.dcmread(humans[0])
    nested = [e for e in get_private(ds) if e.tag not in ds]
    assert nested, "ctbrain1 has private elements inside standard sequences"
    with caplog.at_level(logging.INFO, logger="deidc"):
        assert has_private(ds)
    assert capsys.readouterr().out == ""
    assert any("private tags" in r.getMessage() for r in caplog.records)
    cleaned = remove_private_identifiers([ds], save=False)
    assert get_private(cleaned[0]) == []
    assert get_private(ds) != []  # the caller's dataset is not changed


def test_d21_get_identifiers_honours_strip_sequences_and_remove_private(humans: list[str]) -> None:
    full = next(iter(get_identifiers(humans[0]).values()))
    stripped = next(iter(get_identifiers(humans[0], strip_sequences=True, remove_private=True).values()))
    assert any("__" in uid for uid in full)
    assert not any("__" in uid for uid in stripped)
    assert len(stripped) < len(full)


def test_d22_stable_remapping_false_gives_different_uids(tmp_path: Path) -> None:
    body = "%header\nREPLACE StudyInstanceUID deid_func:pydicom_uuid stable_remapping=false"
    first, second = small(), small()
    first.StudyInstanceUID = "1.2.3"
    second.StudyInstanceUID = "1.2.4"
    assert run(tmp_path, body, first).StudyInstanceUID != run(tmp_path, body, second).StudyInstanceUID


def test_d23_values_lists_keep_the_order_found(tmp_path: Path) -> None:
    ds = small()
    ds.PatientName = "SIMPSON^HOMER^J^"
    parser = DicomParser(ds, recipe=recipe_file(tmp_path, '%values v\nSPLIT PatientName by="^"\n%header\n'
                                                           "REPLACE values:v X"))
    parser.parse()
    assert parser.lookup["v"] == ["SIMPSON", "HOMER", "J"]


def test_d24_bom_lowercase_format_tabs_and_comments_are_accepted() -> None:
    text = "\ufeffformat dicom # the format\n%values\tnames\nFIELD PatientName\n%header\nREPLACE values:names X\n"
    compiled = compile_recipe(text)
    assert compiled.ok, compiled.diagnostics


def test_d25_unknown_keyword_is_a_warning_not_silence() -> None:
    compiled = compile_recipe("FORMAT dicom\n%header\nREMOVE PatientNme\n")
    assert compiled.ok
    assert [(d.code, d.severity.value, d.suggestions[:1]) for d in compiled.diagnostics] == [
        ("DEID105", "warning", ("PatientName",))]


def test_d26_bundled_ct_keeps_pixel_data_and_transfer_syntax(tmp_path: Path) -> None:
    path = get_testdata_file("CT_small.dcm")
    assert isinstance(path, str)
    out = run(tmp_path, "%header\nREMOVE ALL", pydicom.dcmread(path))
    original = pydicom.dcmread(path)
    assert out.PixelData == original.PixelData
    assert out.file_meta.TransferSyntaxUID == original.file_meta.TransferSyntaxUID
    assert "PatientName" not in out


def test_d27_a_value_that_does_not_fit_the_vr_fails_the_file(tmp_path: Path) -> None:
    ds = small()
    ds.Rows = 512
    with pytest.raises(ValueError, match="not a valid value for VR US"):
        run(tmp_path, "%header\nREPLACE Rows abc", ds)


def test_config_put_actions_run_after_the_recipe(tmp_path: Path) -> None:
    import json

    config = tmp_path / "config.json"
    config.write_text(json.dumps({"get": {"skip": ["PixelData"]},
                                  "put": {"actions": [{"action": "KEEP", "field": "PixelData"},
                                                      {"action": "REPLACE", "field": "PatientID", "value": "PUT"}]}}))
    parser = DicomParser(small(), recipe=recipe_file(tmp_path, "%header\nREPLACE PatientID FIRST"),
                         config=str(config))
    parser.parse()
    assert parser.dicom.PatientID == "PUT"
    assert [c.action for c in parser.changes] == ["REPLACE", "REPLACE"]


def test_an_element_added_by_its_private_creator_is_seen_by_later_steps(tmp_path: Path) -> None:
    body = '%header\nADD (0033,"ACME 1.0",10) first\nREPLACE (0033,"ACME 1.0",10) second'
    out = run(tmp_path, body, small())
    block = out.private_block(0x0033, "ACME 1.0")
    assert out[block.get_tag(0x10)].value == "second"
