"""deidc and deid 0.4.13 on the user's recipe and files: the same output, element by element."""

from __future__ import annotations

import pydicom
import pytest
from pydicom.dataset import Dataset

from deidc.dicom.parser import DicomParser

pytestmark = pytest.mark.oracle


def elements(dataset: Dataset) -> dict[str, object]:
    """Return every element (file meta and nested included) by path, with its VR and value."""
    found: dict[str, object] = {}

    def visit(prefix: str, ds: Dataset) -> None:
        for element in ds:
            key = f"{prefix}{element.tag}"
            if element.VR == "SQ":
                found[key] = ("SQ", len(element.value))
                for index, item in enumerate(element.value):
                    visit(f"{key}/{index}/", item)
            else:
                found[key] = (element.VR, element.value)

    visit("", dataset)
    visit("meta:", dataset.file_meta)
    return found


def run_deid(path: str, recipe: str, lookup: dict[str, object]) -> Dataset:
    from deid.dicom.parser import DicomParser as DeidParser

    parser = DeidParser(path, recipe=recipe)
    for key, value in lookup.items():
        parser.define(key, value)
    parser.parse()
    return parser.dicom


def run_deidc(path: str, recipe: str, lookup: dict[str, object]) -> Dataset:
    parser = DicomParser(path, recipe=recipe)
    for key, value in lookup.items():
        parser.define(key, value)
    parser.parse()
    return parser.dicom


def test_user_recipe_gives_the_same_output_as_deid_on_every_cookie(cookies: list[str], groups_recipe: str) -> None:
    lookup = {"id": "new-cookie-id", "source_id": "new-operator-id"}
    for path in cookies:
        ours = elements(run_deidc(path, groups_recipe, lookup))
        theirs = elements(run_deid(path, groups_recipe, lookup))
        assert ours == theirs, path


def test_user_recipe_saved_files_are_equal(cookies: list[str], groups_recipe: str, tmp_path: object) -> None:
    lookup = {"id": "X", "source_id": "Y"}
    ours = run_deidc(cookies[0], groups_recipe, lookup)
    theirs = run_deid(cookies[0], groups_recipe, lookup)
    ours.save_as(f"{tmp_path}/ours.dcm", enforce_file_format=False)
    theirs.save_as(f"{tmp_path}/theirs.dcm", enforce_file_format=False)
    assert elements(pydicom.dcmread(f"{tmp_path}/ours.dcm")) == elements(pydicom.dcmread(f"{tmp_path}/theirs.dcm"))
