"""Spans: every node points at its text, with Lark's coordinates (lines and columns from 1, end exclusive)."""

from __future__ import annotations

from deidc import ast
from deidc.source import Span
from deidc.syntax import parse

HEAD = "FORMAT dicom\n%header\n"


def clean(text: str) -> ast.Recipe:
    parsed = parse(text, "r.deid")
    assert parsed.diagnostics == ()
    return parsed.recipe


# ---------------------------------------------------------------- spans


def test_action_spans_point_at_the_line_words() -> None:
    text = HEAD + "\n  REPLACE PatientName  var:name # c\n"
    parsed = parse(text)
    node = parsed.recipe.sections[0].body[0]
    assert isinstance(node, ast.Action)
    assert node.span == Span(4, 3, 4, 36, 24, 57)
    assert parsed.source.excerpt(node.verb_span) == "REPLACE"
    assert (node.verb_span.line, node.verb_span.column) == (4, 3)
    assert parsed.source.excerpt(node.target.span) == "PatientName"
    assert node.value is not None
    assert parsed.source.excerpt(node.value.span) == "var:name"
    assert (node.value.span.line, node.value.span.column) == (4, 24)


def test_a_line_span_ends_before_its_newline() -> None:
    parsed = parse("FORMAT dicom\n\n\n%header\nREMOVE A\n\n\n")
    (format_line,) = parsed.recipe.body
    assert format_line.span == Span(1, 1, 1, 13, 0, 12)
    assert parsed.recipe.sections[0].body[0].span == Span(5, 1, 5, 9, 23, 31)


def test_section_span_starts_at_its_percent_and_ends_with_its_last_line() -> None:
    parsed = parse("FORMAT dicom\n%values v\nFIELD A\n\n%header\n")
    values, head = parsed.recipe.sections
    assert (values.span.line, values.span.column, values.span.end_line, values.span.end_column) == (2, 1, 3, 8)
    assert (head.span.line, head.span.column, head.span.end_line, head.span.end_column) == (5, 1, 5, 8)


def test_criterion_spans_point_at_each_criterion() -> None:
    parsed = parse("FORMAT dicom\n%filter f\nLABEL x\n  contains Modality CT || empty A\n")
    node = parsed.recipe.sections[0].labels[0].body[0]
    assert isinstance(node, ast.Member)
    first, second = node.criteria
    assert parsed.source.excerpt(first.span) == "contains Modality CT"
    assert parsed.source.excerpt(second.word_span) == "empty"
    assert (second.target.span.line, second.target.span.column) == (4, 33)


def test_spans_count_columns_on_crlf_and_lone_cr_lines() -> None:
    for newline in ("\r\n", "\r"):
        parsed = parse(f"FORMAT dicom{newline}%header{newline}  KEEP Modality{newline}")
        node = parsed.recipe.sections[0].body[0]
        assert (node.span.line, node.span.column) == (3, 3)
        assert parsed.source.excerpt(node.span) == "KEEP Modality"


def test_span_offsets_after_a_bom_point_into_the_original_text() -> None:
    parsed = parse("\ufeffFORMAT dicom\n")
    assert parsed.source.excerpt(parsed.recipe.body[0].span) == "FORMAT dicom"


def test_node_equality_ignores_spans() -> None:
    first = clean(HEAD + "REMOVE PatientID\n").sections[0].body[0]
    moved = clean("FORMAT dicom\n\n\n%header\n      REMOVE    PatientID\n").sections[0].body[0]
    assert first == moved
    assert first.span != moved.span
