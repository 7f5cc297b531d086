"""The checker: one diagnostic per problem, at the right place, worded by the style guide."""

from __future__ import annotations

from pathlib import Path

import pytest

from deidc.codes import REGISTRY, Severity
from deidc.compiler import Compiled, compile_recipe
from deidc.diagnostics import Diagnostic

HEAD = "FORMAT dicom\n\n%header\n"
RECIPES = Path(__file__).resolve().parent / "recipes"


def only(text: str) -> Diagnostic:
    compiled = compile_recipe(text, path="r.deid")
    assert len(compiled.diagnostics) == 1, compiled.diagnostics
    return compiled.diagnostics[0]


def compiled(text: str) -> Compiled:
    return compile_recipe(text, path="r.deid")


# ---------------------------------------------------------------- the required cases


def test_mistyped_action_is_one_unknown_action_suggesting_the_verb() -> None:
    diagnostic = only(HEAD + "REPLAC PatientName x\n")
    assert (diagnostic.code, diagnostic.span.line, diagnostic.span.column) == ("DEID101", 4, 1)
    assert diagnostic.message == "unknown action 'REPLAC'"
    assert diagnostic.help == "did you mean 'REPLACE'?"
    assert diagnostic.suggestions[0] == "REPLACE"


def test_lower_case_action_is_unknown_and_suggests_the_upper_case_verb() -> None:
    diagnostic = only(HEAD + "remove PatientID\n")
    assert (diagnostic.code, diagnostic.span.line) == ("DEID101", 4)
    assert diagnostic.suggestions[0] == "REMOVE"


@pytest.mark.parametrize("field", ["(0010,00ZZ)", "(0010, 0020)", "(0010,0020", "0010,0020"])
def test_bad_tag_is_one_malformed_field(field: str) -> None:
    diagnostic = only(HEAD + "REMOVE PatientID\nREMOVE " + field + "\n")
    assert (diagnostic.code, diagnostic.span.line, diagnostic.span.column) == ("DEID205", 5, 8)
    assert diagnostic.span.end_column == 8 + len(field)


def test_tag_with_a_space_is_told_to_lose_the_space() -> None:
    diagnostic = only(HEAD + "REMOVE (0010, 0020)\n")
    assert diagnostic.help == "write it without spaces, e.g. '(0010,0020)'"


def test_section_header_without_a_name_is_one_diagnostic() -> None:
    diagnostic = only("FORMAT dicom\n%values\nFIELD PatientName\n")
    assert (diagnostic.code, diagnostic.span.line) == ("DEID108", 2)


def test_values_reference_to_no_list_is_one_unknown_list() -> None:
    diagnostic = only(HEAD + "REPLACE values:cookie_names var:id\n")
    assert (diagnostic.code, diagnostic.span.line, diagnostic.span.column) == ("DEID106", 4, 9)


def test_unknown_list_suggests_a_list_with_a_close_name() -> None:
    diagnostic = only("FORMAT dicom\n%values cookie_names\nFIELD PatientID\n%header\nREPLACE values:cookie_name x\n")
    assert diagnostic.suggestions == ("cookie_names",)


def test_list_reference_without_a_name_says_how_to_write_one() -> None:
    diagnostic = only(HEAD + "REMOVE fields:\n")
    assert diagnostic.code == "DEID106"
    assert diagnostic.help is not None


# ---------------------------------------------------------------- one problem, one diagnostic


@pytest.mark.parametrize(("text", "code", "line"), [
    ("FORMAT dicom\n%values v\nREMOVE PatientID\n%header\nREMOVE values:v\n", "DEID111", 3),
    ("FORMAT dicom\n%filter f\nLABEL x\nREMOVE PatientID\n", "DEID111", 4),
    (HEAD + "contains Modality CT\n", "DEID111", 4),
    (HEAD + "LABEL Dose\n", "DEID111", 4),
    ("FORMAT dicom\n%values v\nFIELD values:v\n%header\nREMOVE values:v\n", "DEID209", 3),
    ("FORMAT dicom\n%values v\nFIELDS PatientsName\n%header\nREMOVE values:v\n", "DEID101", 3),
    ("FORMAT dicom\n%headers\nREMOVE PatientsName\nREPLAC x y\n", "DEID102", 2),
    ("FORMAT dicom\n% header\nREMOVE PatientID\n", "DEID102", 2),
    ("FORMAT dicom\n%\nREMOVE PatientID\n", "DEID102", 2),
    (HEAD + "ADD 0x00120062 YES\n", "DEID205", 4),
    (HEAD + "ADD PatientsName x\n", "DEID206", 4),
    ("FORMAT dicom\n%values id\nFIELD PatientID\n%header\nREPLACE PatientName var:id\n", "DEID120", 5),
    ("FORMAT dicom\n%values my names\nFIELD PatientID\n", "DEID121", 2),
    ("format di com\n%header\nREMOVE PatientID\n", "DEID113", 1),
    (HEAD + "REPLACE PatientName\n", "DEID201", 4),
], ids=["header-action-in-values", "header-action-in-label", "criterion-in-header", "label-in-header",
        "list-in-list", "bad-group-verb", "unknown-section-body", "percent-space", "percent-alone",
        "add-0x", "add-unknown-keyword", "list-shadows-var", "list-name-space", "format-spelling",
        "missing-value"])
def test_problem_gets_exactly_one_diagnostic(text: str, code: str, line: int) -> None:
    diagnostic = only(text)
    assert (diagnostic.code, diagnostic.span.line) == (code, line)


def test_space_after_percent_suggests_the_section() -> None:
    diagnostic = only("FORMAT dicom\n% header\n")
    assert diagnostic.suggestions == ("%header",)


def test_missing_value_points_after_the_field() -> None:
    diagnostic = only(HEAD + "REPLACE PatientName\n")
    assert (diagnostic.span.column, diagnostic.label) == (20, "a value goes here")


def test_unknown_keyword_is_a_warning_and_the_recipe_still_compiles() -> None:
    result = compiled(HEAD + "REMOVE PatientsName\n")
    assert [(d.code, d.severity) for d in result.diagnostics] == [("DEID105", Severity.WARNING)]
    assert result.ok


def test_an_error_stops_lowering() -> None:
    result = compiled(HEAD + "REPLAC PatientName x\nREMOVE PatientID\n")
    assert result.plan is None


def test_syntax_errors_and_check_errors_come_sorted_by_line() -> None:
    result = compiled(HEAD + "REPLAC PatientName x\nREMOVE\nBLANK contains:\n")
    assert [(d.code, d.span.line) for d in result.diagnostics] == [("DEID101", 4), ("DEID003", 5), ("DEID208", 6)]


def test_repeating_group_keyword_is_not_unknown() -> None:
    result = compiled("FORMAT dicom\n%filter f\nLABEL x\ncontains OverlayDescription x\n%header\nREMOVE OverlayData\n")
    assert result.diagnostics == ()


# ---------------------------------------------------------------- style of every message


def fixture_diagnostics() -> list[Diagnostic]:
    found: list[Diagnostic] = []
    for path in sorted(RECIPES.glob("DEID*.deid")):
        found += compile_recipe(path.read_text(encoding="utf-8"), path=path.name).diagnostics
    return found


@pytest.mark.parametrize("diagnostic", fixture_diagnostics(), ids=lambda d: d.code)
def test_message_is_lowercase_without_final_period(diagnostic: Diagnostic) -> None:
    first = diagnostic.message.split()[0].strip("'")
    assert diagnostic.message[0] in "'" or first.islower() or first.isupper(), diagnostic.message
    assert not diagnostic.message.endswith(".")
    assert diagnostic.message.count("'") % 2 == 0


@pytest.mark.parametrize("diagnostic", fixture_diagnostics(), ids=lambda d: d.code)
def test_every_diagnostic_says_how_to_fix_it(diagnostic: Diagnostic) -> None:
    assert diagnostic.help
    assert not diagnostic.help.endswith(".")


@pytest.mark.parametrize("diagnostic", fixture_diagnostics(), ids=lambda d: d.code)
def test_severity_is_the_registered_one(diagnostic: Diagnostic) -> None:
    assert diagnostic.severity is REGISTRY[diagnostic.code].severity


@pytest.mark.parametrize("diagnostic", fixture_diagnostics(), ids=lambda d: d.code)
def test_span_is_on_one_line(diagnostic: Diagnostic) -> None:
    assert diagnostic.span.line == diagnostic.span.end_line
    assert diagnostic.span.end_column > diagnostic.span.column


def test_capitalised_list_prefix_is_an_unknown_expander_suggesting_the_prefix() -> None:
    diagnostic = only("FORMAT dicom\n%values v\nFIELD PatientID\n%header\nREPLACE Values:v X\nREMOVE values:v\n")
    assert (diagnostic.code, diagnostic.suggestions) == ("DEID103", ("values",))


def test_unknown_expander_without_close_name_lists_the_expanders() -> None:
    diagnostic = only(HEAD + "REMOVE allfields:x\n")
    assert diagnostic.help == "the expanders are startswith, endswith, contains, except, select"


def test_typo_in_a_list_reference_is_not_also_an_unused_list() -> None:
    diagnostic = only("FORMAT dicom\n%values cookie_names\nFIELD PatientID\n%header\nREPLACE values:cookie_name x\n")
    assert diagnostic.code == "DEID106"


def test_unused_list_is_still_reported_beside_a_reference_to_another_list() -> None:
    result = compiled("FORMAT dicom\n%values names\nFIELD PatientID\n%values names2\nFIELD PatientName\n"
                      "%header\nREMOVE values:names\n")
    assert [(d.code, d.span.line) for d in result.diagnostics] == [("DEID116", 4)]


def test_private_tag_with_spaces_keeps_the_spaces_of_its_creator_in_the_help() -> None:
    diagnostic = only(HEAD + 'REMOVE (0033, "MITRA OBJECT", 1E)\n')
    assert diagnostic.help == "write it without spaces, e.g. '(0033,\"MITRA OBJECT\",1E)'"


# ---------------------------------------------------------------- %labels, prefixes with a space, dangling operators


def test_labels_lines_are_metadata_and_only_their_shape_is_checked() -> None:
    text = "FORMAT dicom\n%labels\nADD MAINTAINER someone@example.org\nREMOVE Anything\nADD VERSION 1.0\n"
    assert compiled(text).diagnostics == ()


@pytest.mark.parametrize(("line", "code"), [("ADD VERSION", "DEID201"), ("KEEP Note x", "DEID202"),
                                            ("ADDD VERSION 1", "DEID101")])
def test_labels_line_that_is_not_action_shaped_is_still_reported(line: str, code: str) -> None:
    assert only("FORMAT dicom\n%labels\n" + line + "\n").code == code


@pytest.mark.parametrize(("value", "prefix"), [("var: new_id", "var:"), ("func:  pseudonym", "func:"),
                                               ("deid_func: basic_uuid", "deid_func:")])
def test_space_after_a_value_prefix_is_a_warning_at_the_space(value: str, prefix: str) -> None:
    diagnostic = only(HEAD + "REPLACE PatientID " + value + "\n")
    spaces = len(value) - len(value[len(prefix):].lstrip()) - len(prefix)
    assert (diagnostic.code, diagnostic.severity) == ("DEID215", Severity.WARNING)
    assert (diagnostic.span.column, diagnostic.span.end_column) == (19 + len(prefix), 19 + len(prefix) + spaces)
    assert compiled(HEAD + "REPLACE PatientID " + value + "\n").ok


@pytest.mark.parametrize("line", ["contains Modality CT ||", "contains Modality CT +", "+", "||"])
def test_operator_with_no_criterion_after_it_is_a_syntax_error(line: str) -> None:
    diagnostic = only("FORMAT dicom\n%filter f\nLABEL x\ncontains Manufacturer GE\n" + line + "\n")
    assert (diagnostic.code, diagnostic.span.line) == ("DEID001", 5)
    assert "expected a criterion after" in diagnostic.message
