"""Tests of a recipe repository: run them with ``pytest examples/recipe-tests``.

The ``deidc_recipe`` fixture comes from deidc's pytest plugin (installed with deidc);
the properties come from ``deidc.testing`` and need Hypothesis (``pip install deidc[test]``).
Each property runs its own Hypothesis search over generated DICOM headers and, when
it fails, shows the smallest dataset it found and the recipe lines responsible.
"""

from __future__ import annotations

from collections.abc import Callable

import pytest

from deidc.config import DeidRecipe
from deidc.testing import assert_consistent_uids, assert_idempotent, assert_never_fails, assert_removes_phi

LoadRecipe = Callable[..., DeidRecipe]

#: the inputs the recipe asks for (its var: names)
VARIABLES = {"patient_id": "RESEARCH-0001"}

#: what must never leave the hospital
IDENTIFIERS = ("PatientName", "PatientBirthDate", "PatientAddress", "OtherPatientIDs", "OtherPatientNames",
               "ReferringPhysicianName", "OperatorsName", "InstitutionName", "AccessionNumber")


@pytest.fixture
def recipe(deidc_recipe: LoadRecipe) -> DeidRecipe:
    return deidc_recipe("deid.hospital")  # found beside this file


def test_recipe_compiles_without_warnings(recipe: DeidRecipe) -> None:
    assert recipe.diagnostics == ()
    assert recipe.plan.variables == ("patient_id",)


def test_recipe_removes_identifiers_at_every_depth(recipe: DeidRecipe) -> None:
    assert_removes_phi(recipe, keywords=IDENTIFIERS, variables=VARIABLES, max_examples=60)


def test_recipe_runs_on_any_header(recipe: DeidRecipe) -> None:
    assert_never_fails(recipe, variables=VARIABLES, max_examples=60)


def test_recipe_maps_each_uid_to_one_new_uid(recipe: DeidRecipe) -> None:
    assert_consistent_uids(recipe, variables=VARIABLES, max_examples=40)


def test_identity_removal_alone_is_idempotent(deidc_recipe: LoadRecipe) -> None:
    # New UIDs are drawn from the old ones, so the whole recipe maps them again on a
    # second run; the removals on their own must be stable.
    removals = "FORMAT dicom\n%header\n" + "".join(f"REMOVE {keyword}\n" for keyword in IDENTIFIERS)
    assert_idempotent(deidc_recipe(removals), max_examples=40)


def test_a_recipe_that_keeps_a_sequence_leaks_what_is_inside(deidc_recipe: LoadRecipe) -> None:
    leaky = deidc_recipe("FORMAT dicom\n%header\nKEEP OtherPatientIDsSequence\nREMOVE OtherPatientIDs\n")
    with pytest.raises(AssertionError, match="OtherPatientIDsSequence"):
        assert_removes_phi(leaky, keywords=("OtherPatientIDs",), max_examples=200)
