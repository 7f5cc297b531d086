"""deid's API functions other than parsing, against deid 0.4.13 on the same inputs."""

from __future__ import annotations

import os
from importlib import resources
from pathlib import Path

import pydicom
import pytest
from oracle import compare, load
from pydicom.data import get_testdata_file

from deidc.config import DeidRecipe
from deidc.data import get_dataset
from deidc.dicom import get_identifiers
from deidc.dicom import tags as our_tags

pytestmark = pytest.mark.oracle

CTBRAIN = os.path.join(get_dataset("humans") or "", "ctbrain1.dcm")


def test_get_identifiers_has_the_same_fields_as_deid() -> None:
    from deid.dicom import get_identifiers as deid_get_identifiers

    for expand in (True, False):
        ours = get_identifiers([CTBRAIN], expand_sequences=expand)
        theirs = deid_get_identifiers([CTBRAIN], expand_sequences=expand)
        assert list(ours) == list(theirs)
        assert list(ours[CTBRAIN]) == list(theirs[CTBRAIN])
        assert [str(f) for f in ours[CTBRAIN].values()] == [str(f) for f in theirs[CTBRAIN].values()]
    assert len(get_identifiers([CTBRAIN])[CTBRAIN]) == 218


def test_tag_helpers_answer_as_deid_does() -> None:
    from deid.dicom import tags as deid_tags

    for keyword in ("PatientIdentityRemoved", "PatientName", "NotAKeyword", "00100010"):
        assert our_tags.get_tag(keyword) == deid_tags.get_tag(keyword)
    assert our_tags.add_tag("11112221") == deid_tags.add_tag("11112221")
    assert set(our_tags.find_tag("PatientIdentity")) == set(deid_tags.find_tag("PatientIdentity"))
    ours, theirs = load(CTBRAIN), load(CTBRAIN)
    assert our_tags.remove_sequences(ours) == deid_tags.remove_sequences(theirs)
    ours, theirs = load(CTBRAIN), load(CTBRAIN)
    assert our_tags.update_tag(ours, "PatientName", "X") == deid_tags.update_tag(theirs, "PatientName", "X")


@pytest.mark.parametrize("name", ["deid.dicom", "deid.dicom.ultrasound", "deid.dicom.xray.chest"])
def test_deid_recipe_accessors_answer_as_deid_does(name: str) -> None:
    from deid.config import DeidRecipe as TheirRecipe

    path = str(resources.files("deid") / "data" / name)
    ours, theirs = DeidRecipe(path), TheirRecipe(path)
    assert ours.get_format() == theirs.get_format()
    assert ours.get_actions() == theirs.get_actions()
    assert ours.get_actions(action="remove") == theirs.get_actions(action="remove")
    assert ours.get_actions(field="PATIENTID") == theirs.get_actions(field="PATIENTID")
    assert ours.ls_filters() == theirs.ls_filters()
    assert ours.has_actions() == theirs.has_actions()
    assert list(ours.deid) == list(theirs.deid)
    for group in ours.ls_filters():
        our_labels, their_labels = ours.get_filters(group), theirs.get_filters(group)
        assert [label["coordinates"] for label in our_labels] == [
            [[mask, box.replace(" ", "")] for mask, box in label["coordinates"]] for label in their_labels]
        assert [label["filters"] for label in our_labels] == [
            [dict(f, action=[a.lower() for a in f["action"]]) for f in label["filters"]] for label in their_labels]
        # deid keeps the word LABEL in the name (Q21); deidc does not
        assert [label["name"] for label in our_labels] == [
            label["name"].removeprefix("LABEL ").split("#")[0].strip() for label in their_labels]


BUILTINS = [
    "%header\nREPLACE PatientName deid_func:suffix_uuid",
    "%header\nREPLACE PatientName deid_func:dicom_uuid",
    "%header\nREPLACE SOPInstanceUID deid_func:dicom_uuid org_root=1.2.3",
    "%header\nADD PatientIdentityRemoved deid_func:basic_uuid",
]


@pytest.mark.parametrize("recipe", BUILTINS, ids=[r.split("\n")[1] for r in BUILTINS])
def test_builtins_give_values_of_deids_shape(recipe: str, tmp_path: Path) -> None:
    dataset = pydicom.dcmread(get_testdata_file("CT_small.dcm"))
    theirs, ours, diff = compare(recipe, dataset, tmp_path, generated=True)
    assert (theirs.error, ours.error) == (None, None)
    shapes = {k: (a, b) for k, (a, b) in diff.items()
              if str(a).split("-")[0].rstrip("0123456789") != str(b).split("-")[0].rstrip("0123456789")}
    assert shapes == {}
