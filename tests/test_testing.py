"""deidc.testing: its strategies draw valid objects, check their options at once, and its properties find leaks."""

from __future__ import annotations

import io
import subprocess
import sys
from collections.abc import Callable
from pathlib import Path

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from hypothesis.errors import InvalidArgument
from pydicom import config, dcmread
from pydicom.datadict import keyword_dict
from pydicom.dataset import Dataset
from pydicom.filewriter import dcmwrite
from pydicom.valuerep import validate_value

from deidc import ast
from deidc.compiler import compile_recipe
from deidc.config import DeidRecipe
from deidc.errors import InputError, RecipeError
from deidc.fmt import render
from deidc.syntax import parse
from deidc.testing import (
    assert_consistent_uids,
    assert_idempotent,
    assert_never_fails,
    assert_removes_phi,
    datasets,
    keywords,
    recipe_texts,
    recipes,
    tags,
    values_for,
)
from deidc.testing._properties import elements

LEAKY = "FORMAT dicom\n%header\nKEEP OtherPatientIDsSequence\nREMOVE PatientName\nREMOVE OtherPatientIDs\n"
HEADER = "FORMAT dicom\n%header\n"


# ---------------------------------------------------------------- recipes


@settings(deadline=None, max_examples=60)
@given(recipe=recipes())
def test_generated_recipes_round_trip_and_compile_without_errors(recipe: ast.Recipe) -> None:
    text = render(recipe)
    parsed = parse(text)
    assert parsed.diagnostics == ()
    assert parsed.recipe == recipe
    compiled = compile_recipe(text)
    assert [d for d in compiled.diagnostics if d.is_error] == []
    assert compiled.ok


@settings(deadline=None, max_examples=60)
@given(text=recipe_texts(valid=False))
def test_compile_never_raises_on_generated_recipes(text: str) -> None:
    compiled = compile_recipe(text)
    assert compiled.ok == (not any(d.is_error for d in compiled.diagnostics))


@settings(deadline=None, max_examples=30)
@given(recipe=recipes(sections=("header",), actions=("REMOVE", "BLANK"), comments=False))
def test_recipes_keep_to_the_sections_and_actions_asked_for(recipe: ast.Recipe) -> None:
    assert all(isinstance(s, ast.HeaderSection) for s in recipe.sections)
    lines = [line for s in recipe.sections for line in s.body] + list(recipe.body)
    assert all(isinstance(line, (ast.Action, ast.FormatLine)) for line in lines)
    assert {line.verb for line in lines if isinstance(line, ast.Action)} <= {"REMOVE", "BLANK"}


@settings(deadline=None, max_examples=30)
@given(recipe=recipes(valid=False, sections=("unknown", "header")))
def test_invalid_recipes_round_trip_and_are_reported(recipe: ast.Recipe) -> None:
    parsed = parse(render(recipe))
    assert parsed.diagnostics == () and parsed.recipe == recipe
    if any(isinstance(s, ast.UnknownSection) for s in recipe.sections):
        assert compile_recipe(render(recipe)).plan is None


@pytest.mark.parametrize(("make", "message"), [
    (lambda: recipes(sections=["headers"]), "unknown"),
    (lambda: recipes(sections="header"), "collection"),
    (lambda: recipes(sections=["unknown"]), "valid=False"),
    (lambda: recipes(actions=["REPLAC"]), "REPLACE"),
    (lambda: recipes(max_lines=-1), "non-negative"),
    (lambda: recipes(max_sections=True), "non-negative"),
    (lambda: recipes(comments="yes"), "True or False"),
    (lambda: recipe_texts(valid=1), "True or False"),
    (lambda: datasets(keywords=["PatientNmae"]), "did you mean 'PatientName'"),
    (lambda: datasets(keywords="PatientName"), "collection"),
    (lambda: datasets(sequences=["PatientName"]), "not sequence keywords"),
    (lambda: datasets(max_depth=-1), "non-negative"),
    (lambda: datasets(uids="1.2.3"), "strategy"),
    (lambda: values_for("XX"), "value representation"),
    (lambda: values_for("SQ"), "value representation"),
    (lambda: keywords(vr="ZZ"), "no keyword"),
    (lambda: tags(private="yes"), "True or False"),
])
def test_strategy_options_are_checked_when_the_strategy_is_made(make: Callable[[], object], message: str) -> None:
    with pytest.raises(InvalidArgument, match=message):
        make()


# ---------------------------------------------------------------- datasets and values


@settings(deadline=None, max_examples=40)
@given(dataset=datasets(keywords=("PatientName", "OtherPatientIDsSequence", "StudyDate")))
def test_datasets_have_the_keywords_asked_for_and_can_be_written(dataset: Dataset) -> None:
    assert {"PatientName", "OtherPatientIDsSequence", "StudyDate"} <= set(dataset.dir())
    assert len(dataset.OtherPatientIDsSequence) >= 1
    buffer = io.BytesIO()
    dcmwrite(buffer, dataset, implicit_vr=False, little_endian=True)
    buffer.seek(0)
    again = dcmread(buffer, force=True)
    assert [e.tag for _, e in elements(again)] == [e.tag for _, e in elements(dataset)]


@settings(deadline=None, max_examples=40)
@given(dataset=datasets())
def test_private_elements_of_datasets_have_their_creator(dataset: Dataset) -> None:
    for _, element in elements(dataset):
        if element.tag.is_private and not element.tag.is_private_creator:
            assert element.private_creator


#: what real headers have, by name
FEATURES: dict[str, Callable[[Dataset], bool]] = {
    "a nested sequence": lambda d: any(len(a) >= 5 for a, _ in elements(d)),
    "a private block": lambda d: any(e.tag.is_private_creator for _, e in elements(d)),
    "a multi-valued element": lambda d: any(e.VM > 1 and e.VR != "SQ" for _, e in elements(d)),
    "a person name": lambda d: any(e.VR == "PN" and "^" in str(e.value) for _, e in elements(d)),
    "a UID": lambda d: any(e.VR == "UI" and e.value for _, e in elements(d)),
    "a date": lambda d: any(e.VR == "DA" and len(str(e.value)) == 8 for _, e in elements(d)),
}


def test_datasets_look_like_real_headers() -> None:
    seen: set[str] = set()

    @settings(deadline=None, max_examples=100, database=None)
    @given(dataset=datasets())
    def look(dataset: Dataset) -> None:
        seen.update(name for name, has in FEATURES.items() if has(dataset))

    look()
    assert seen == set(FEATURES)


@settings(deadline=None, max_examples=30)
@given(data=st.data(), vr=st.sampled_from(["AE", "AS", "CS", "DA", "DS", "DT", "IS", "LO", "LT", "PN", "SH", "ST",
                                           "TM", "UC", "UI", "UR", "UT", "US", "SL", "FD", "OB", "OW"]))
def test_values_for_draws_values_valid_for_their_vr(data: st.DataObject, vr: str) -> None:
    validate_value(vr, data.draw(values_for(vr)), config.RAISE)


@settings(deadline=None, max_examples=30)
@given(keyword=keywords(), tag=tags(private=True), name=keywords(vr="PN"))
def test_keywords_and_tags_come_from_the_dictionary(keyword: str, tag: int, name: str) -> None:
    assert keyword in keyword_dict
    assert name in keyword_dict
    assert tag in keyword_dict.values() or (tag >> 16) % 2 == 1


# ---------------------------------------------------------------- the import boundary


@pytest.mark.parametrize("module", ["deidc", "deidc.cli", "deidc.testing", "deidc.testing.plugin"])
def test_importing_deidc_does_not_import_hypothesis(module: str) -> None:
    code = f"import sys, {module}; assert 'hypothesis' not in sys.modules, 'hypothesis was imported'"
    subprocess.run([sys.executable, "-c", code], check=True, capture_output=True, text=True)


# ---------------------------------------------------------------- the properties


def test_removes_phi_finds_the_value_a_kept_sequence_leaks() -> None:
    with pytest.raises(AssertionError) as failure:
        assert_removes_phi(LEAKY, keywords=("PatientName", "OtherPatientIDs"), max_examples=100)
    message = str(failure.value)
    headline, _, rest = message.partition("\n")
    assert "leaks PHI: OtherPatientIDs at (0010,1002)__0__(0010,1000) holds" in headline
    survived = headline.split(" holds ")[1].split(",")[0]
    before = rest.split("smallest dataset found (before the recipe):")[1].split("after the recipe:")[0]
    assert f"Other Patient IDs                   LO: {survived}" in before
    assert "<recipe>:3: KEEP OtherPatientIDsSequence" in rest
    assert "REMOVE OtherPatientIDs  [hidden: KEEP at <recipe>:3 hides this element]" in rest
    assert before.count("---------") == 1  # shrunk: one sequence of one item


def test_removes_phi_passes_a_recipe_that_removes_at_every_depth() -> None:
    assert_removes_phi(HEADER + "REMOVE PatientName\nREMOVE OtherPatientIDs\n",
                       keywords=("PatientName", "OtherPatientIDs"), max_examples=40)


def test_removes_phi_catches_a_value_copied_into_another_element() -> None:
    with pytest.raises(AssertionError, match="StudyDescription at .* holds"):
        assert_removes_phi(HEADER + "ADD StudyDescription func:copy\nREMOVE PatientName\n",
                           keywords=("PatientName",), max_examples=40,
                           variables={"copy": lambda dicom, **_: str(dicom.get("PatientName", "x"))})


def test_idempotent_reports_the_line_that_changes_again() -> None:
    with pytest.raises(AssertionError, match=r"not idempotent(.|\n)*<recipe>:3: JITTER StudyDate 1"):
        assert_idempotent(HEADER + "JITTER StudyDate 1\n", max_examples=100)
    assert_idempotent(HEADER + "REMOVE PatientName\nREPLACE PatientID anonymous\nBLANK StudyDate\n", max_examples=30)


def test_never_fails_reports_the_failing_line_and_dataset() -> None:
    with pytest.raises(AssertionError, match=r"not a valid value for VR US(.|\n)*<recipe>:3: REPLACE Rows abc"
                                             r"(.|\n)*Rows +US: 0"):
        assert_never_fails(HEADER + "REPLACE Rows abc\n", max_examples=100)
    assert_never_fails(HEADER + "REMOVE ALL\n", max_examples=30)


def test_consistent_uids_tells_random_from_stable_uids() -> None:
    with pytest.raises(AssertionError, match=r"maps UID .* to two UIDs(.|\n)*deid_func:basic_uuid"):
        assert_consistent_uids(HEADER + "REPLACE StudyInstanceUID deid_func:basic_uuid\n", max_examples=50)
    assert_consistent_uids(HEADER + "REPLACE endswith:UID deid_func:pydicom_uuid\n", max_examples=30)


def test_properties_take_a_deid_recipe_a_path_and_variables(tmp_path: Path) -> None:
    path = tmp_path / "deid.site"
    path.write_text(HEADER + "REPLACE PatientID var:id\nREMOVE PatientName\n", encoding="utf-8")
    assert_never_fails(str(path), variables={"id": "ANON"}, max_examples=20)
    assert_removes_phi(DeidRecipe(str(path)), keywords=("PatientName",), variables={"id": "ANON"}, max_examples=20)


def test_properties_refuse_bad_recipes_and_missing_inputs() -> None:
    with pytest.raises(RecipeError, match="REPLAC"):
        assert_never_fails(HEADER + "REPLAC PatientID x\n")
    with pytest.raises(InputError, match="'id'"):
        assert_never_fails(HEADER + "REPLACE PatientID var:id\n")
    with pytest.raises(InvalidArgument, match="recipe="):
        assert_never_fails(42)  # type: ignore[arg-type]
    with pytest.raises(InvalidArgument, match="max_examples"):
        assert_never_fails(HEADER + "REMOVE PatientID\n", max_examples=0)


# ---------------------------------------------------------------- the pytest plugin


def test_deidc_recipe_fixture_loads_text_and_paths(deidc_recipe: Callable[..., DeidRecipe]) -> None:
    from_text = deidc_recipe(HEADER + "REMOVE PatientID\n")
    assert [step.origin.text for step in from_text.plan.steps] == ["REMOVE PatientID"]
    shipped = deidc_recipe("dicom")
    assert len(shipped.plan.steps) > 50
    with pytest.raises(RecipeError):
        deidc_recipe(HEADER + "REPLAC PatientID x\n")
