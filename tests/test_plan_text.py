from __future__ import annotations

import importlib.resources
from pathlib import Path

import pytest

from deidc.compiler import compile_recipe
from deidc.plan import (
    Criterion,
    Filter,
    FilterLine,
    Label,
    Origin,
    PatternKind,
    Plan,
    SelectAddress,
    SelectAll,
    SelectFields,
    SelectGroup,
    SelectName,
    SelectNothing,
    Selector,
    SelectPath,
    SelectPattern,
    SelectPrivate,
    SelectTag,
    SelectValues,
    SelectVR,
    ValueDeidFunc,
    ValueFunc,
    ValueLiteral,
    ValueSource,
    ValueVar,
)
from deidc.plan_text import plan_to_text, selector_text, value_text
from deidc.source import Source

ROOT = Path(__file__).resolve().parents[1]
GOLDEN = ROOT / "tests" / "golden"
GROUPS_RECIPE = "examples/deid/deid.dicom-groups"


def _plan(text: str, path: str = "recipe.deid") -> Plan:
    compiled = compile_recipe(Source(path, text))
    assert compiled.plan is not None, compiled.diagnostics
    return compiled.plan


def test_groups_recipe_plan_matches_golden() -> None:
    plan = _plan((ROOT / GROUPS_RECIPE).read_text(encoding="utf-8"), GROUPS_RECIPE)
    assert plan.to_text() == (GOLDEN / "plan_dicom_groups.txt").read_text(encoding="utf-8")


def test_deid_default_recipe_plan_matches_golden() -> None:
    text = (importlib.resources.files("deid") / "data" / "deid.dicom").read_text(encoding="utf-8")
    plan = _plan(text, "deid.dicom")
    assert plan_to_text(plan) == (GOLDEN / "plan_deid_default.txt").read_text(encoding="utf-8")


@pytest.mark.parametrize(
    ("selector", "expected"),
    [
        (SelectAll(), "ALL"),
        (SelectTag(0x00100020, "PatientID"), "PatientID (0010,0020)"),
        (SelectTag(0x00100020), "(0010,0020)"),
        (SelectName("patientsname"), "patientsname (name)"),
        (SelectPath(("otherpatientidssequence", "patientid")), "otherpatientidssequence__patientid (path)"),
        (SelectAddress((0x00081140, 0x00081155), (0,)), "(0008,1140)__0__(0008,1155) (address)"),
        (SelectPrivate(0x0033, "CREATOR", 0x1E), '(0033,"CREATOR",1E)'),
        (SelectPattern(PatternKind.CONTAINS, "Instance"), "contains:Instance (pattern)"),
        (SelectVR("PN"), "select:vr:PN (VR)"),
        (SelectGroup(0x0010), "select:group:0010 (group)"),
        (SelectValues("cookie_names"), "values:cookie_names (list)"),
        (SelectFields("instance_fields"), "fields:instance_fields (list)"),
        (SelectNothing("empty except"), "nothing (empty except)"),
    ],
)
def test_selector_text_names_the_selector_with_its_tag_or_kind(selector: Selector, expected: str) -> None:
    assert selector_text(selector) == expected


@pytest.mark.parametrize(
    ("value", "expected"),
    [
        (None, ""),
        (ValueLiteral("Yes"), '"Yes"'),
        (ValueLiteral('say "hi"'), '"say \\"hi\\""'),
        (ValueVar("id"), "var:id"),
        (ValueFunc("f"), "func:f"),
        (ValueDeidFunc("pydicom_uuid", (("prefix", "1.2."),)), "deid_func:pydicom_uuid prefix=1.2."),
        (ValueDeidFunc("jitter_timestamp"), "deid_func:jitter_timestamp"),
    ],
)
def test_value_text_names_where_the_value_comes_from(value: ValueSource | None, expected: str) -> None:
    assert value_text(value) == expected


def test_plan_text_lists_inputs_before_header_steps() -> None:
    text = _plan("FORMAT dicom\n%header\nREPLACE PatientID var:id\nREPLACE PatientName func:name\n").to_text()
    assert text.index("needs: var:id, func:name") < text.index("recipe.deid:3")


def test_plan_text_says_when_a_plan_needs_nothing() -> None:
    assert "needs: nothing" in _plan("FORMAT dicom\n%header\nREMOVE PatientID\n").to_text()


def test_plan_text_keeps_execution_order_and_aligns_columns() -> None:
    recipe = "FORMAT dicom\n%header\nREMOVE ALL\nKEEP PatientSex\nADD PatientIdentityRemoved YES\n"
    lines = [line for line in _plan(recipe).to_text().splitlines() if line.startswith("recipe.deid:")]
    assert [line.split()[1] for line in lines] == ["REMOVE", "KEEP", "ADD"]
    assert len({line.index(line.split()[1]) for line in lines}) == 1
    assert lines[2].endswith('PatientIdentityRemoved (0012,0062)  "YES"')


def test_plan_text_shows_split_options_of_value_lists() -> None:
    recipe = 'FORMAT dicom\n%values names\nSPLIT PatientName by="^";minlength=3\n%header\nREPLACE values:names x\n'
    text = _plan(recipe).to_text()
    assert "%values names\nrecipe.deid:3" in text
    assert 'SPLIT    PatientName (0010,0010)  by="^" minlength=3' in text


def test_plan_text_is_deterministic() -> None:
    recipe = (ROOT / GROUPS_RECIPE).read_text(encoding="utf-8")
    assert _plan(recipe).to_text() == _plan(recipe).to_text()


def _criterion(keyword: str, tag: int, value: str) -> Criterion:
    return Criterion("contains", SelectTag(tag, keyword), value, keyword)


def test_filter_summary_groups_inner_operators_left_to_right() -> None:
    a, b, c = _criterion("Modality", 0x00080060, "CT"), _criterion("Rows", 0x00280010, "512"), _criterion(
        "Columns", 0x00280011, "512")
    label = Label("mixed", (FilterLine(None, (a, b, c), ("and", "or")),), (), Origin("r.deid", 4))
    text = plan_to_text(Plan(filters=(Filter("graylist", (label,)),)))
    assert '(Modality (0008,0060) contains "CT" and Rows (0028,0010) contains "512") or Columns' in text


def test_filter_summary_shows_labels_lines_and_regions() -> None:
    recipe = (
        "FORMAT dicom\n%filter graylist\nLABEL Dose Report\n  contains Modality CT\n"
        "  + contains ImageType SCREEN || contains SeriesDescription Dose\n  ctpcoordinates 10,10,5,5\n"
        "  keepcoordinates all\n"
    )
    lines = _plan(recipe).to_text().splitlines()
    start = lines.index("%filter graylist (1 label)")
    assert lines[start + 1].split() == ["recipe.deid:3", "LABEL", '"Dose', 'Report"']
    assert lines[start + 2].split()[:2] == ["if", "Modality"]
    assert lines[start + 3].split()[:2] == ["and", "(ImageType"]
    assert lines[start + 3].endswith('SeriesDescription (0008,103E) contains "Dose")')
    assert lines[start + 4].split() == ["clean", "10,10,15,15"]
    assert lines[start + 5].split() == ["keep", "all"]


def test_filter_summary_shows_a_leading_or_and_notes_how_deid_reads_it() -> None:
    recipe = "FORMAT dicom\n%filter f\nLABEL x\n  contains Modality CT\n  || contains Modality DX\n"
    text = _plan(recipe).to_text()
    assert "or   Modality (0008,0060) contains \"DX\"" in text
    assert "(deid 0.4.13 reads this '||' as 'and')" in text
