"""The rule analysis on the compiled plan: 3xx warnings, only where the outcome is certain."""

from __future__ import annotations

from importlib import resources
from pathlib import Path

import pytest

from deidc.codes import Severity
from deidc.compiler import compile_recipe
from deidc.compiler.rule_patterns import matches_nothing
from deidc.plan import PatternKind

HEAD = "FORMAT dicom\n\n%header\n"
ROOT = Path(__file__).resolve().parent.parent


def found(body: str, head: str = HEAD) -> list[tuple[str, int]]:
    compiled = compile_recipe(head + body.replace("/", "\n") + "\n", path="r.deid")
    assert compiled.ok, compiled.diagnostics
    return [(d.code, d.span.line) for d in compiled.diagnostics]


def message(body: str) -> str:
    [diagnostic] = compile_recipe(HEAD + body.replace("/", "\n") + "\n", path="r.deid").diagnostics
    return diagnostic.message


# ---------------------------------------------------------------- KEEP hides (DEID301)


@pytest.mark.parametrize("body", [
    "KEEP PatientID/REMOVE PatientID",
    "REMOVE PatientID/KEEP PatientID",
    "KEEP (0010,0020)/BLANK PatientID",
    "KEEP PatientID/REPLACE 00100020 x",
    "KEEP ReferencedStudySequence/REMOVE ReferencedStudySequence__ReferencedSOPInstanceUID",
    "KEEP ALL/REMOVE contains:Patient",
    "KEEP ALL/REMOVE values:v",
])
def test_keep_hides_every_later_or_earlier_action_but_add(body: str) -> None:
    head = "FORMAT dicom\n%values v\nFIELD PatientID\n%header\n" if "values:" in body else HEAD
    assert [code for code, _ in found(body, head)] == ["DEID301"]


def test_add_brings_a_kept_element_back_within_reach_of_later_actions() -> None:
    # the REMOVE applies to what the ADD wrote, and without the ADD the KEEP would have kept it: both matter
    assert found("KEEP PatientID/ADD PatientID x/REMOVE PatientID") == []


def test_keep_message_names_both_lines_and_the_element() -> None:
    assert message("KEEP PatientID/REMOVE PatientID") == (
        "REMOVE at line 5 never applies to 'PatientID': KEEP at line 4 keeps it")


@pytest.mark.parametrize("body", [
    "KEEP ALL/ADD PatientName x/BLANK PatientName",
    "KEEP PatientID/REMOVE ALL",  # ALL still applies to the others
    "KEEP ReferencedStudySequence__ReferencedSOPInstanceUID/REMOVE ReferencedSOPInstanceUID",  # only one path kept
    "KEEP fields:f/REMOVE PatientID",  # a list protects nothing
    "KEEP contains:Patient/REMOVE PatientID",  # expanders are not analysed
])
def test_keep_that_may_not_hide_is_not_reported(body: str) -> None:
    head = "FORMAT dicom\n%fields f\nFIELD PatientID\n%header\n" if "fields:" in body else HEAD
    assert found(body, head) == []


# ---------------------------------------------------------------- duplicates (DEID303)


def test_exact_duplicate_is_reported_on_the_later_line() -> None:
    assert found("REMOVE PatientID/REMOVE OperatorsName/REMOVE PatientID") == [("DEID303", 6)]


def test_same_element_written_as_keyword_and_tag_is_a_duplicate() -> None:
    assert found("REMOVE PatientID/REMOVE (0010,0020)") == [("DEID303", 5)]


def test_expanders_that_differ_only_in_case_are_duplicates() -> None:
    assert message("REMOVE endswith:Time/REMOVE endswith:time") == "REMOVE 'endswith:time' repeats line 4"


def test_repeated_jitter_says_the_dates_move_twice() -> None:
    assert message("JITTER StudyDate 1/JITTER StudyDate 1").endswith("the dates move twice")


def test_same_field_with_other_value_is_no_duplicate() -> None:
    assert found("REMOVE PatientID/REMOVE PatientID var:flag") == []


# ---------------------------------------------------------------- overridden and conflicting (DEID302, DEID304)


@pytest.mark.parametrize(("body", "code"), [
    ("BLANK PatientName/REMOVE PatientName", "DEID302"),
    ("BLANK PatientName/REMOVE ALL", "DEID302"),
    ("REPLACE PatientName x/BLANK PatientName", "DEID302"),
    ("JITTER StudyDate 1/REPLACE StudyDate 20000101", "DEID302"),
    ("REPLACE PatientName x/REPLACE PatientName y", "DEID304"),
    ("ADD PatientIdentityRemoved YES/REMOVE PatientIdentityRemoved", "DEID304"),
    ("ADD PatientIdentityRemoved YES/REMOVE ALL", "DEID304"),
    ("ADD PatientName x/ADD PatientName y", "DEID304"),
])
def test_earlier_action_a_later_one_always_undoes_is_reported_on_the_earlier_line(body: str, code: str) -> None:
    assert found(body) == [(code, 4)]


def test_conflicting_replaces_name_both_values() -> None:
    assert message("REPLACE PatientName x/REPLACE PatientName y") == (
        "REPLACE at line 4 sets 'PatientName' to 'x', but REPLACE at line 5 sets it to 'y': the later line wins")


@pytest.mark.parametrize("body", [
    "REMOVE ALL/ADD PatientIdentityRemoved YES",  # the ADD comes last: it wins
    "REMOVE PatientID/ADD PatientID var:id",
    "BLANK PatientName/REMOVE PatientName/REPLACE contains:Name x",  # the REPLACE may spare it
    "REPLACE PatientName x/BLANK PatientName/REMOVE ALL",  # the REPLACE spares it from REMOVE ALL
    "ADD PatientName x/REPLACE PatientName y",  # the ADD creates what the REPLACE then sets
    "ADD PatientName x/BLANK PatientName",
    "REPLACE PatientName x/REPLACE PatientName var:y",  # var: may hold None
    "REPLACE PatientName x/REPLACE PatientName func:f",  # func: may return None
    "BLANK PatientName/REMOVE PatientName var:flag",  # a conditional REMOVE
    "REPLACE ReferencedStudySequence__PatientName x/ADD PatientName y",  # ADD writes the top level only
    "BLANK PixelData/REMOVE ALL",  # ALL never sees the protected elements
    "JITTER StudyDate 1/JITTER StudyDate 2",
    "REPLACE ReferencedStudySequence x/REPLACE ReferencedStudySequence y",  # a sequence is never replaced
])
def test_order_that_matters_is_not_reported(body: str) -> None:
    assert found(body) == []


# ---------------------------------------------------------------- REMOVE spared by REPLACE (DEID305)


@pytest.mark.parametrize("body", [
    "REPLACE PatientID x/REMOVE PatientID",
    "REMOVE PatientID/REPLACE PatientID x",
    "REPLACE ALL x/REMOVE PatientID",
    "REPLACE PatientID x/REMOVE ReferencedStudySequence__PatientID",
])
def test_remove_of_what_a_literal_replace_writes_never_applies(body: str) -> None:
    [(code, _)] = found(body)
    assert code == "DEID305"


@pytest.mark.parametrize("body", [
    "REPLACE PatientID func:f/REMOVE PatientID",  # may write nothing: then REMOVE applies (deidc, d10)
    "REPLACE PatientID var:id/REMOVE PatientID",
    "REPLACE PatientID x/REMOVE PatientID/ADD PatientID y",  # the ADD may create what the REPLACE never saw
    "REPLACE ReferencedStudySequence__PatientID x/REMOVE PatientID",  # spares one path, not every PatientID
    "REPLACE ReferencedStudySequence x/REMOVE ReferencedStudySequence",  # a sequence is never replaced
    "REPLACE values:v x/REMOVE PatientID",  # lists never spare
])
def test_remove_a_replace_may_not_spare_is_not_reported(body: str) -> None:
    head = "FORMAT dicom\n%values v\nFIELD PatientID\n%header\n" if "values:" in body else HEAD
    assert found(body, head) == []


# ---------------------------------------------------------------- patterns (DEID306)


@pytest.mark.parametrize(("kind", "pattern"), [
    (PatternKind.CONTAINS, "PatientNmae"),
    (PatternKind.STARTSWITH, "Nmae"),
    (PatternKind.ENDSWITH, "Patinet"),
    (PatternKind.CONTAINS, "Xyzzy|Plugh"),
    (PatternKind.EXCEPT, "Quux"),
])
def test_plain_pattern_found_in_no_dictionary_text_matches_nothing(kind: PatternKind, pattern: str) -> None:
    assert matches_nothing(kind, pattern)


@pytest.mark.parametrize(("kind", "pattern"), [
    (PatternKind.CONTAINS, "Patient"),
    (PatternKind.STARTSWITH, "patient"),  # any case
    (PatternKind.ENDSWITH, "Date|Foo"),
    (PatternKind.CONTAINS, "Patient's"),  # an element name
    (PatternKind.CONTAINS, "0019"),  # could be part of a tag
    (PatternKind.CONTAINS, "Face"),  # hexadecimal: could be part of a tag
    (PatternKind.CONTAINS, "Sequence__Ref"),  # a nested name
    (PatternKind.CONTAINS, "SIEMENS"),  # a private creator of pydicom's dictionary
    (PatternKind.CONTAINS, "Pat.ent"),  # a regular expression: not analysed
    (PatternKind.CONTAINS, "a|"),  # an empty alternative matches everything
])
def test_pattern_that_may_match_is_not_reported(kind: PatternKind, pattern: str) -> None:
    assert not matches_nothing(kind, pattern)


def test_pattern_in_a_values_list_is_checked_too() -> None:
    head = "FORMAT dicom\n%values v\nFIELD contains:Nmae\n%header\nREMOVE values:v\n"
    assert found("", head) == [("DEID306", 3)]


def test_pattern_typo_suggests_the_keyword() -> None:
    compiled = compile_recipe(HEAD + "REMOVE contains:PatientNmae\n", path="r.deid")
    assert compiled.diagnostics[0].suggestions[0] == "contains:PatientName"


# ---------------------------------------------------------------- values (DEID307-DEID311)


@pytest.mark.parametrize(("body", "code"), [
    ("JITTER StudyTime 1", "DEID307"),
    ("JITTER PatientName 1", "DEID307"),
    ("REPLACE StudyInstanceUID 1.2.03", "DEID308"),
    ("ADD SOPInstanceUID abc", "DEID308"),
    ("REPLACE PatientID " + "x" * 65, "DEID309"),
    ("REPLACE PatientName " + "x" * 65, "DEID309"),
    ("REPLACE Rows abc", "DEID310"),
    ("REPLACE Rows 70000", "DEID310"),
    ("REPLACE PatientWeight heavy", "DEID310"),
    ("REPLACE ImageType ORIGINAL\\primary", "DEID311"),
    ("ADD PatientIdentityRemoved Yes", "DEID311"),
    ("ADD StudyDate yesterday", "DEID311"),
])
def test_literal_the_dictionary_vr_does_not_allow_is_a_warning(body: str, code: str) -> None:
    compiled = compile_recipe(HEAD + body + "\n", path="r.deid")
    assert [(d.code, d.severity) for d in compiled.diagnostics] == [(code, Severity.WARNING)]
    assert compiled.ok


@pytest.mark.parametrize("body", [
    "JITTER StudyDate 1", "JITTER AcquisitionDateTime 1", "JITTER endswith:Time 1",
    "REPLACE StudyInstanceUID 1.2.840.10008.1", "REPLACE StudyInstanceUID var:uid",
    "REPLACE Rows 512", "REPLACE PatientWeight 70.5", "REPLACE ImageType ORIGINAL\\PRIMARY",
    "ADD PatientIdentityRemoved YES", "REPLACE SmallestImagePixelValue -5",  # US or SS: SS allows it
    "ADD 00091001 whatever", "REPLACE PixelData x", "REPLACE PatientComments " + "long " * 300,
])
def test_literal_that_suits_the_element_is_not_reported(body: str) -> None:
    assert found(body) == []


def test_lower_case_code_string_suggests_upper_case() -> None:
    [diagnostic] = compile_recipe(HEAD + "ADD PatientIdentityRemoved Yes\n", path="r.deid").diagnostics
    assert (diagnostic.suggestions, diagnostic.span.column) == (("YES",), 28)


# ---------------------------------------------------------------- filters (DEID312)

FILTER = "FORMAT dicom\n%filter f\nLABEL x\n"


@pytest.mark.parametrize("body", [
    "present Modality + missing Modality",
    "present Modality/+ missing Modality",
    "equals Modality CT + equals Modality MR",
    "equals Modality CT + notequals Modality ct",
    "contains Modality C.* + notcontains Modality C.*",
    "empty Modality + equals Modality CT",
    "missing Modality + contains Modality CT",
    "present Modality + missing Modality || present Modality + missing Modality",
])
def test_label_whose_criteria_contradict_never_matches(body: str) -> None:
    assert [code for code, _ in found(body, FILTER)] == ["DEID312"]


@pytest.mark.parametrize("body", [
    "present Modality || missing Modality",
    "present Modality/|| missing Modality",
    "equals ImageType ORIGINAL + equals ImageType PRIMARY",  # multi-valued: both may hold
    "contains Modality CT + contains Modality MR",
    "empty Modality + present Modality",
    "equals Modality CT + notequals Modality MR",
])
def test_label_that_some_dataset_matches_is_not_reported(body: str) -> None:
    assert found(body, FILTER) == []


def test_never_matching_label_points_at_the_contradicting_criterion() -> None:
    compiled = compile_recipe(FILTER + "present Modality\n+ missing Modality\n", path="r.deid")
    [diagnostic] = compiled.diagnostics
    assert (diagnostic.span.line, diagnostic.span.column) == (5, 3)
    assert diagnostic.message == ("LABEL 'x' never matches: 'missing Modality' cannot hold together with "
                                  "'present Modality' at line 4")


# ---------------------------------------------------------------- the recipes deid ships, and the user's


def test_user_example_gets_only_the_code_string_warning() -> None:
    text = (ROOT / "examples" / "deid" / "deid.dicom-groups").read_text(encoding="utf-8")
    assert found("", text) == [("DEID311", 14)]


@pytest.mark.parametrize(("name", "expected"), [
    ("deid.dicom", [("DEID303", 826), ("DEID303", 868)]),
    ("deid.dicom.ultrasound", [("DEID303", 23), ("DEID303", 65)]),
    ("deid.dicom.xray.chest", []),
])
def test_shipped_recipes_get_only_duplicate_warnings_from_the_rules(name: str, expected: list[tuple[str, int]]) -> None:
    text = (resources.files("deid") / "data" / name).read_text(encoding="utf-8")
    compiled = compile_recipe(text, path=name)
    assert compiled.ok
    assert [(d.code, d.span.line) for d in compiled.diagnostics if d.code >= "DEID3"] == expected


def test_rules_do_not_run_when_the_recipe_has_errors() -> None:
    compiled = compile_recipe(HEAD + "REMOVE PatientID\nREMOVE PatientID\nREPLAC x y\n", path="r.deid")
    assert [d.code for d in compiled.diagnostics] == ["DEID101"]


def test_labels_section_is_metadata_and_is_not_analysed() -> None:
    text = "FORMAT dicom\n%labels\nADD MAINTAINER someone@example.org\nADD VERSION 1.0\nADD VERSION 1.0\n"
    assert found("", text) == []
