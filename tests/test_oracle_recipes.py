"""deidc against deid 0.4.13: the precedence grid, private-creator fields, and deid's shipped
recipes over every deid-data file."""

from __future__ import annotations

from importlib import resources
from pathlib import Path

import pytest
from oracle import compare, load
from pydicom.data import get_testdata_file
from pydicom.dataset import Dataset

from deidc.data import DATASETS, get_dataset
from deidc.dicom import get_files

pytestmark = pytest.mark.oracle

FIRST = {"ADD": "ADD StudyDate 20221128", "BLANK": "BLANK StudyDate", "JITTER": "JITTER StudyDate 1",
         "KEEP": "KEEP StudyDate", "REPLACE": "REPLACE StudyDate 20221129", "REMOVE": "REMOVE StudyDate"}
SECOND = {"ADD": "ADD StudyDate 20000202", "BLANK": "BLANK StudyDate", "JITTER": "JITTER StudyDate 2",
          "KEEP": "KEEP StudyDate", "REPLACE": "REPLACE StudyDate 20000202", "REMOVE": "REMOVE StudyDate"}
PAIRS = [(a, b) for a in FIRST for b in SECOND]


@pytest.fixture(scope="module")
def ct() -> Dataset:
    dataset = load(str(get_testdata_file("CT_small.dcm")))
    dataset.StudyDate = "20230101"
    return dataset


@pytest.mark.parametrize(("first", "second"), PAIRS, ids=[f"{a}-then-{b}" for a, b in PAIRS])
def test_every_pair_of_actions_on_one_element_gives_deids_result(first: str, second: str, ct: Dataset,
                                                                  tmp_path: Path) -> None:
    recipe = f"%header\n{FIRST[first]}\n{SECOND[second]}"
    theirs, ours, diff = compare(recipe, ct, tmp_path)
    assert (theirs.error, ours.error, diff) == (None, None, {})


PRIVATE = [
    '%header\nREPLACE (0009,"GEMS_IDEN_01",01) X',
    '%header\nREMOVE 0009,"GEMS_IDEN_01",02',
    '%header\nBLANK (0009,"gems_iden_01",04)',
    '%header\nREMOVE (0009,"GEMS_IDEN_01",27)\nKEEP (0009,"GEMS_IDEN_01",01)\nREMOVE contains:0009',
    "%header\nREMOVE select:group:0009",
    "%header\nREMOVE contains:GEMS",
]


@pytest.mark.parametrize("recipe", PRIVATE, ids=[r.replace("\n", " / ") for r in PRIVATE])
def test_private_creator_fields_select_what_deid_selects(recipe: str, ct: Dataset, tmp_path: Path) -> None:
    theirs, ours, diff = compare(recipe, ct, tmp_path)
    assert (theirs.error, ours.error, diff) == (None, None, {})


def all_deid_data_files() -> list[str]:
    files: list[str] = []
    for name in DATASETS:
        folder = get_dataset(name)
        assert folder is not None
        files += sorted(get_files(folder, check=True))
    return files


DEID_RECIPES = ["deid.dicom", "deid.dicom.ultrasound", "deid.dicom.xray.chest"]
DEFAULT_VARS = {"entity_timestamp": "20000101", "item_timestamp": "20000102", "entity_id": "E1", "item_id": "I1"}


@pytest.mark.parametrize("name", DEID_RECIPES)
def test_deids_shipped_recipes_give_deids_result_on_every_deid_data_file(name: str, tmp_path: Path) -> None:
    text = (resources.files("deid") / "data" / name).read_text(encoding="utf-8")
    body = text.split("\n", 1)[1]  # compare() adds the FORMAT line
    files = all_deid_data_files()
    assert len(files) >= 13
    for path in files:
        theirs, ours, diff = compare(body, load(path), tmp_path, DEFAULT_VARS)
        assert (theirs.error, ours.error, diff) == (None, None, {}), path


BYTES = ["%header\nREPLACE EncapsulatedDocument abc", "%header\nBLANK EncapsulatedDocument",
         "%header\nREMOVE EncapsulatedDocument", "%header\nREPLACE 00091010 xyz", "%header\nBLANK select:vr:UN",
         "%header\nREMOVE select:vr:OB", "%header\nKEEP EncapsulatedDocument\nREMOVE ALL"]


@pytest.mark.parametrize("recipe", BYTES, ids=[r.replace("\n", " / ") for r in BYTES])
def test_byte_valued_elements_give_deids_result(recipe: str, ct: Dataset, tmp_path: Path) -> None:
    dataset = ct.copy()
    dataset.add_new(0x00420011, "OB", b"%PDF-1.4 patient report")
    dataset.add_new(0x00090010, "LO", "ACME 1.0")
    dataset.add_new(0x00091010, "UN", b"\x01\x02\x03\x04")
    theirs, ours, diff = compare(recipe, dataset, tmp_path)
    assert (theirs.error, ours.error, diff) == (None, None, {})
