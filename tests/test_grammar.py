"""The grammar builds strictly, and every recipe deid 0.4.13 ships parses and compiles."""

from __future__ import annotations

from importlib import resources

import pytest

from deidc.codes import Severity
from deidc.compiler import compile_recipe
from deidc.syntax import field_parser, parse, recipe_parser

SHIPPED = ("deid.dicom", "deid.dicom.ultrasound", "deid.dicom.xray.chest")

#: the warnings deid's own recipes get, all DEID105 (unknown-keyword), all deserved:
#: - deid.dicom: 'Manfacturer' (lines 490, 497) and 'Manufacture' (504) in filter criteria,
#:   misspellings in deid's recipe, so those criteria never see a value; and in its header
#:   'PatientsName' (840), an old keyword, and 'jitter' (897), a stray line (quirk Q46):
#:   both match nothing, in deid too;
#: - deid.dicom.ultrasound: the same header, so 'PatientsName' (37) and 'jitter' (94);
#: - deid.dicom.xray.chest: none.
EXPECTED_WARNINGS: dict[str, list[tuple[str, int]]] = {
    "deid.dicom": [("DEID105", 490), ("DEID105", 497), ("DEID105", 504), ("DEID303", 826), ("DEID105", 840),
                   ("DEID303", 868), ("DEID105", 897)],
    "deid.dicom.ultrasound": [("DEID303", 23), ("DEID105", 37), ("DEID303", 65), ("DEID105", 94)],
    "deid.dicom.xray.chest": [],
}


def shipped(name: str) -> str:
    return (resources.files("deid") / "data" / name).read_text(encoding="utf-8")


def test_recipe_grammar_builds_in_strict_mode() -> None:
    parser = recipe_parser(strict=True)
    assert parser.options.parser == "lalr"
    assert parser.options.strict


def test_field_grammar_builds_in_strict_mode() -> None:
    parser = field_parser(strict=True)
    assert parser.options.parser == "lalr"
    assert parser.options.strict


def test_strict_and_default_recipe_parsers_agree() -> None:
    text = shipped("deid.dicom.ultrasound")
    assert recipe_parser(strict=True).parse(text) == recipe_parser().parse(text)


@pytest.mark.parametrize("name", SHIPPED)
def test_shipped_recipe_parses_without_syntax_error(name: str) -> None:
    parsed = parse(shipped(name), name)
    assert parsed.diagnostics == ()
    assert parsed.recipe.sections


@pytest.mark.parametrize("name", SHIPPED)
def test_shipped_recipe_compiles_without_error(name: str) -> None:
    compiled = compile_recipe(shipped(name), path=name)
    assert [d for d in compiled.diagnostics if d.severity is Severity.ERROR] == []
    assert compiled.ok


@pytest.mark.parametrize("name", SHIPPED)
def test_shipped_recipe_gets_only_the_known_warnings(name: str) -> None:
    compiled = compile_recipe(shipped(name), path=name)
    assert [(d.code, d.span.line) for d in compiled.diagnostics] == EXPECTED_WARNINGS[name]


def test_default_recipe_keeps_its_sections_in_file_order() -> None:
    recipe = parse(shipped("deid.dicom")).recipe
    kinds = [(type(s).__name__, s.name) for s in recipe.sections]
    assert kinds == [("FilterSection", "whitelist"), ("FilterSection", "graylist"),
                     ("FilterSection", "blacklist"), ("HeaderSection", None)]


def test_default_recipe_has_every_label_and_header_action() -> None:
    recipe = parse(shipped("deid.dicom")).recipe
    labels = [len(s.labels) for s in recipe.sections if type(s).__name__ == "FilterSection"]
    header = recipe.sections[-1]
    assert labels == [2, 109, 7]
    assert len([line for line in header.body if type(line).__name__ == "Action"]) == 73
