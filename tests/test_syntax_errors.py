"""Syntax errors: each bad line costs one diagnostic, worded for the kind of line it is in."""

from __future__ import annotations

import pytest

from deidc import ast
from deidc.syntax import MAX_SYNTAX_ERRORS, Parsed, parse

HEAD = "FORMAT dicom\n%header\n"


def codes_and_lines(parsed: Parsed) -> list[tuple[str, int]]:
    return [(d.code, d.span.line) for d in parsed.diagnostics]


# ---------------------------------------------------------------- errors and recovery


def test_three_bad_lines_cost_three_diagnostics_and_keep_the_good_lines() -> None:
    text = HEAD + "REMOVE A\n!!! one\nREMOVE B\nREMOVE (0010,\"x\nKEEP C\n= three\nBLANK D\n"
    parsed = parse(text)
    assert codes_and_lines(parsed) == [("DEID001", 4), ("DEID002", 6), ("DEID001", 8)]
    assert [(a.verb, a.target) for a in parsed.recipe.sections[0].body if isinstance(a, ast.Action)] == [
        (verb, ast.FieldName(names=(name,))) for verb, name in
        [("REMOVE", "A"), ("REMOVE", "B"), ("KEEP", "C"), ("BLANK", "D")]]


@pytest.mark.parametrize(("where", "bad"), [
    ("FORMAT dicom\n", "!!! x"),
    ("FORMAT dicom\n%values v\n", "SPLIT PatientID by"),
    ("FORMAT dicom\n%filter f\nLABEL x\n", "coordinates 1,2"),
    ("FORMAT dicom\n%filter f\nLABEL x\n", "+"),
], ids=["top", "values", "coordinates", "filter"])
def test_a_bad_line_keeps_its_section_for_the_next_line(where: str, bad: str) -> None:
    good = parse(where + "REMOVE A\n").recipe
    parsed = parse(where + bad + "\nREMOVE A\n")
    assert len(parsed.diagnostics) == 1
    assert parsed.recipe == good


def test_bad_last_line_without_newline_costs_one_diagnostic() -> None:
    parsed = parse(HEAD + "REMOVE A\nREMOVE")
    assert codes_and_lines(parsed) == [("DEID003", 4)]
    assert len(parsed.recipe.sections[0].body) == 1


def test_too_many_errors_are_cut_off_with_one_note() -> None:
    bad = "".join(f"!!! {i}\n" for i in range(MAX_SYNTAX_ERRORS + 20))
    parsed = parse(HEAD + bad + "REMOVE PatientID\n")
    found = [d.code for d in parsed.diagnostics]
    assert found == ["DEID001"] * MAX_SYNTAX_ERRORS + ["DEID008"]
    assert parsed.diagnostics[-1].span.line == 2 + MAX_SYNTAX_ERRORS + 1
    assert parsed.recipe.sections[0].body == (ast.Action(verb="REMOVE", target=ast.FieldName(names=("PatientID",))),)


ERRORS = [
    ("REMOVE", "DEID003", "'REMOVE' needs a field", (3, 7)),
    ('REMOVE (0033,"MITRA', "DEID002", "this double quote is never closed", (3, 14)),
    ("REPLACE PatientID var:", "DEID001", "expected a name after 'var:', found the end of the line", (3, 23)),
    ("REPLACE PatientID func:f extra", "DEID006", "unexpected 'extra' after 'func:f'", (3, 26)),
    ("JITTER StudyDate deid_func:jitter days", "DEID009", "'days' has no value", (3, 35)),
    ("REPLACE PatientID deid_func:", "DEID009",
     "expected the name of a built-in after 'deid_func:', found the end of the line", (3, 29)),
    ("+ contains A x", "DEID001",
     "expected an action such as 'REMOVE PatientID', a section or a comment, found '+'", (3, 1)),
]


@pytest.mark.parametrize(("line", "code", "message", "where"), ERRORS, ids=[e[0] for e in ERRORS])
def test_known_mistake_in_header_gets_its_own_message(line: str, code: str, message: str,
                                                      where: tuple[int, int]) -> None:
    (diagnostic,) = parse(HEAD + line + "\n").diagnostics
    assert (diagnostic.code, diagnostic.message, (diagnostic.span.line, diagnostic.span.column)) == (
        code, message, where)


FILTER_ERRORS = [
    ("coordinates 0,0,512", "DEID004", "coordinates must be 'all', 'from:Keyword' or four integers, "
     "found the end of the line"),
    ("keepcoordinates from:", "DEID004", "coordinates must be 'all', 'from:Keyword' or four integers, "
     "found the end of the line"),
    ("coordinates 0,0,1,1 banner", "DEID006", "unexpected 'banner' after the coordinates"),
    ("contains Modality CT ||", "DEID001", "expected a criterion after '||', found the end of the line"),
    ("+ contains", "DEID003", "'contains' needs a field"),
    ("= x", "DEID001", "expected 'LABEL', a criterion such as 'contains Modality CT', coordinates, a section "
     "or a comment, found '='"),
]


@pytest.mark.parametrize(("line", "code", "message"), FILTER_ERRORS, ids=[e[0] for e in FILTER_ERRORS])
def test_known_mistake_in_label_block_gets_its_own_message(line: str, code: str, message: str) -> None:
    (diagnostic,) = parse("FORMAT dicom\n%filter f\nLABEL x\n" + line + "\n").diagnostics
    assert (diagnostic.code, diagnostic.message, diagnostic.span.line) == (code, message, 4)


GROUP_ERRORS = [
    ("SPLIT PatientID by", "DEID005", "'by' has no value"),
    ("SPLIT PatientID by=", "DEID005", "expected a value after '=', found the end of the line"),
    ("SPLIT PatientID by=x y", "DEID005", "expected options such as by=\"^\";minlength=4, found 'y'"),
    ("REPLACE PatientID var:x", "DEID005", "expected options such as by=\"^\";minlength=4, found 'var:x'"),
    ("FIELD", "DEID003", "'FIELD' needs a field"),
]


@pytest.mark.parametrize(("line", "code", "message"), GROUP_ERRORS, ids=[e[0] for e in GROUP_ERRORS])
def test_known_mistake_in_values_gets_its_own_message(line: str, code: str, message: str) -> None:
    (diagnostic,) = parse("FORMAT dicom\n%values v\n" + line + "\n").diagnostics
    assert (diagnostic.code, diagnostic.message, diagnostic.span.line) == (code, message, 3)


def test_syntax_diagnostics_carry_the_path() -> None:
    (diagnostic,) = parse(HEAD + "REMOVE\n", "recipes/r.deid").diagnostics
    assert diagnostic.path == "recipes/r.deid"
