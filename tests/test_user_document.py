"""The user's document (shared/seed), call by call, with ``deid`` replaced by ``deidc``."""

from __future__ import annotations

import os
import pprint
from collections import OrderedDict

import pydicom
import pytest

from deidc.config import DeidRecipe
from deidc.data import get_dataset
from deidc.dicom import get_files, remove_private_identifiers, replace_identifiers
from deidc.dicom.fields import FieldsWithLookups
from deidc.dicom.parser import DicomParser
from deidc.dicom.tags import get_private, has_private
from deidc.utils import get_installdir

DOCUMENT_RECIPE = OrderedDict([
    ("format", "dicom"),
    ("values", OrderedDict([
        ("cookie_names", [{"action": "SPLIT", "field": "PatientID", "value": 'by="^";minlength=4'}]),
        ("operator_names", [{"action": "FIELD", "field": "startswith:Operator"}]),
    ])),
    ("fields", OrderedDict([("instance_fields", [{"action": "FIELD", "field": "contains:Instance"}])])),
    ("header", [
        {"action": "ADD", "field": "PatientIdentityRemoved", "value": "Yes"},
        {"action": "REPLACE", "field": "values:cookie_names", "value": "var:id"},
        {"action": "REPLACE", "field": "values:operator_names", "value": "var:source_id"},
        {"action": "REMOVE", "field": "fields:instance_fields"},
    ]),
])
INSTANCE_FIELDS = ("SOPInstanceUID", "StudyInstanceUID", "SeriesInstanceUID", "InstanceNumber")


@pytest.fixture()
def document_parser() -> DicomParser:
    base = get_dataset("dicom-cookies")
    dicom_file = next(get_files(base))
    path = os.path.abspath("%s/../examples/deid/deid.dicom-groups" % get_installdir())  # noqa: UP031  (as the document writes it)
    return DicomParser(dicom_file, recipe=path)


def test_document_recipe_path_resolves_from_the_install_dir() -> None:
    path = os.path.abspath("%s/../examples/deid/deid.dicom-groups" % get_installdir())  # noqa: UP031  (as the document writes it)
    assert os.path.isfile(path)


def test_parser_loads_the_dicom_and_has_no_fields_before_parse(document_parser: DicomParser) -> None:
    assert document_parser.dicom.PatientID == "cookie-47"
    assert "PatientIdentityRemoved" not in document_parser.dicom
    assert document_parser.fields == {}
    assert repr(document_parser.fields) == "{}"


def test_recipe_prints_as_deid_and_holds_the_documented_structure(document_parser: DicomParser) -> None:
    assert str(document_parser.recipe) == "[deid]"
    assert repr(document_parser.recipe) == "[deid]"
    assert document_parser.recipe.deid == DOCUMENT_RECIPE
    assert pprint.pformat(document_parser.recipe.deid) == pprint.pformat(DOCUMENT_RECIPE)
    assert type(document_parser.recipe.deid["values"]) is OrderedDict


def test_define_fills_the_lookup(document_parser: DicomParser) -> None:
    document_parser.define("id", "new-cookie-id")
    document_parser.define("source_id", "new-operator-id")
    assert document_parser.lookup == {"id": "new-cookie-id", "source_id": "new-operator-id"}


def _parsed(parser: DicomParser) -> DicomParser:
    parser.define("id", "new-cookie-id")
    parser.define("source_id", "new-operator-id")
    parser.parse(strip_sequences=False, remove_private=False)
    return parser


def test_parse_computes_the_values_and_fields_lists(document_parser: DicomParser) -> None:
    operator = str(document_parser.dicom.OperatorsName)
    lookup = _parsed(document_parser).lookup
    assert list(lookup) == ["id", "source_id", "cookie_names", "operator_names", "instance_fields"]
    assert lookup["cookie_names"] == ["cookie-47"]
    assert [str(v) for v in lookup["operator_names"]] == [operator]
    keywords = sorted(f.keyword for f in lookup["instance_fields"].values())
    assert keywords == sorted([*INSTANCE_FIELDS, "MediaStorageSOPInstanceUID"])


def test_parse_changes_exactly_what_the_recipe_says(document_parser: DicomParser) -> None:
    before = pydicom.dcmread(document_parser.dicom_file)
    after = _parsed(document_parser).dicom
    assert after.PatientID == "new-cookie-id"
    assert after.OperatorsName == "new-operator-id"
    assert after.PatientIdentityRemoved == "Yes"
    for keyword in INSTANCE_FIELDS:
        assert keyword not in after
    changed = {"PatientID", "OperatorsName", "PatientIdentityRemoved", *INSTANCE_FIELDS}
    for element in before:
        if element.keyword not in changed:
            assert after[element.tag].value == element.value, element.keyword


def test_fields_after_parse_is_a_mapping_printed_like_a_dict(document_parser: DicomParser) -> None:
    fields = _parsed(document_parser).fields
    assert isinstance(fields, FieldsWithLookups)
    assert len(fields) == len(list(fields.keys()))
    assert "(0010,0020)" in fields
    assert fields["(0010,0020)"].element.value == "new-cookie-id"
    assert str(fields["(0012,0062)"]).endswith("  [PatientIdentityRemoved]")
    text = repr(fields)
    assert text.startswith("{'(0008,0005)': (0008,0005) Specific Character Set")
    assert "'(0012,0062)': (0012,0062) Patient Identity Removed" in text
    assert all(k not in fields for k in ("(0008,0018)", "(0020,000D)", "(0020,000E)", "(0020,0013)"))


def test_save_writes_a_file_pydicom_reads_back_equal(document_parser: DicomParser, tmp_path: object) -> None:
    parser = _parsed(document_parser)
    target = os.path.join(str(tmp_path), "mydicom.dcm")
    assert parser.save(target) == target
    again = pydicom.dcmread(target)
    assert again == parser.dicom
    assert again.file_meta.TransferSyntaxUID == parser.dicom.file_meta.TransferSyntaxUID
    assert again.PixelData == pydicom.dcmread(parser.dicom_file).PixelData


def test_save_never_replaces_an_existing_file(document_parser: DicomParser, tmp_path: object) -> None:
    target = os.path.join(str(tmp_path), "mydicom.dcm")
    with open(target, "wb") as handle:
        handle.write(b"keep me")
    _parsed(document_parser).save(target)
    with open(target, "rb") as handle:
        assert handle.read() == b"keep me"


def test_replace_identifiers_without_recipe_uses_the_default(cookies: list[str]) -> None:
    cleaned = replace_identifiers(dicom_files=cookies)
    assert len(cleaned) == len(cookies)
    for dataset in cleaned:
        assert isinstance(dataset, pydicom.Dataset)
        assert dataset.get("PatientID", "") in ("", None) or dataset.PatientID != "cookie-47"
        assert dataset.PatientIdentityRemoved == "YES"


def test_replace_identifiers_save_writes_one_temporary_folder(cookies: list[str]) -> None:
    cleaned_files = replace_identifiers(dicom_files=cookies, save=True)
    assert len(cleaned_files) == len(cookies)
    assert len({os.path.dirname(p) for p in cleaned_files}) == 1
    assert sorted(os.path.basename(p) for p in cleaned_files) == sorted(os.path.basename(p) for p in cookies)
    for path in cleaned_files:
        assert pydicom.dcmread(path).PatientIdentityRemoved == "YES"


def test_output_folder_alone_writes_the_files(cookies: list[str], tmp_path: object) -> None:
    folder = str(tmp_path)
    cleaned_files = replace_identifiers(dicom_files=cookies, output_folder=folder)
    assert cleaned_files == [os.path.join(folder, os.path.basename(p)) for p in cookies]
    assert all(os.path.isfile(p) for p in cleaned_files)


def test_second_run_without_overwrite_leaves_every_file_and_logs_it(
        cookies: list[str], tmp_path: object, caplog: pytest.LogCaptureFixture) -> None:
    folder = str(tmp_path)
    first = replace_identifiers(dicom_files=cookies, output_folder=folder)
    stamps = {p: os.stat(p).st_mtime_ns for p in first}
    second = replace_identifiers(dicom_files=cookies, output_folder=folder)
    assert second == first
    assert {p: os.stat(p).st_mtime_ns for p in first} == stamps
    errors = [r.getMessage() for r in caplog.records if r.levelname == "ERROR"]
    for path in first:
        assert f"{os.path.basename(path)} already exists, overwrite set to False. Not writing." in errors
    assert second.skipped == first


def test_overwrite_true_rewrites_the_files(cookies: list[str], tmp_path: object) -> None:
    folder = str(tmp_path)
    first = replace_identifiers(dicom_files=cookies[:2], output_folder=folder)
    for path in first:
        with open(path, "wb") as handle:
            handle.write(b"old")
    again = replace_identifiers(dicom_files=cookies[:2], output_folder=folder, overwrite=True)
    assert again.skipped == []
    assert all(pydicom.dcmread(p).PatientIdentityRemoved == "YES" for p in again)


def test_remove_private_option_and_remove_private_identifiers(humans: list[str]) -> None:
    cleaned = replace_identifiers(dicom_files=humans, remove_private=True)
    assert all(not get_private(d) for d in cleaned)
    saved = replace_identifiers(dicom_files=humans, save=True)
    really_cleaned = remove_private_identifiers(dicom_files=saved)
    assert len(really_cleaned) == len(humans)
    assert all(not get_private(pydicom.dcmread(p)) for p in really_cleaned)


def test_has_private_and_get_private_on_a_cookie(cookies: list[str]) -> None:
    dicom = pydicom.dcmread(cookies[0])
    assert has_private(dicom) is False
    assert get_private(dicom) == []


def test_has_private_finds_private_tags_in_a_ct(humans: list[str]) -> None:
    dicom = pydicom.dcmread(humans[0])
    assert has_private(dicom) is True
    assert len(get_private(dicom)) > 0


def test_deid_recipe_lists_its_sections(groups_recipe: str) -> None:
    recipe = DeidRecipe(groups_recipe)
    assert recipe.ls_valuelists() == ["cookie_names", "operator_names"]
    assert recipe.ls_fieldlists() == ["instance_fields"]
    assert recipe.get_format() == "dicom"
    assert len(recipe.get_actions(action="replace")) == 2
