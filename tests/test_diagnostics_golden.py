"""Every diagnostic code has a recipe that produces it, and its full rendering is pinned.

``tests/recipes/DEIDnnn_<name>.deid`` is the smallest recipe that produces the code;
``DEIDnnn_<name>.expected`` beside it is what ``render`` prints for it (the path shown is
the file name alone, so the goldens do not depend on the machine). ``tests/recipes/fixed/``
holds the same recipe with the mistake fixed: it compiles without any diagnostic.

Set ``DEIDC_UPDATE_GOLDEN=1`` to rewrite the ``.expected`` files.
"""

from __future__ import annotations

import importlib.util
import os
import re
import sys
from pathlib import Path
from types import ModuleType

import pytest

from deidc.codes import REGISTRY
from deidc.compiler import compile_recipe
from deidc.diagnostics import render

ROOT = Path(__file__).resolve().parent.parent
RECIPES = ROOT / "tests" / "recipes"
FIXED = RECIPES / "fixed"
FIXTURES = sorted(RECIPES.glob("DEID*.deid"))
NAME = re.compile(r"^(DEID\d{3})_([a-z0-9-]+)$")
UPDATE = os.environ.get("DEIDC_UPDATE_GOLDEN") == "1"

#: codes below 400 that have no fixture here, and why
NO_FIXTURE: dict[str, str] = {
    "DEID007": "reported when a recipe file's bytes are read (deidc.config), not by parse or compile_recipe on text",
    "DEID008": "needs more than 100 syntax errors, so its golden would be 600 lines: "
    "test_syntax_errors.py::test_too_many_errors_are_cut_off_with_one_note covers it",
}


def code_of(path: Path) -> str:
    match = NAME.match(path.stem)
    assert match, f"{path.name} is not named DEIDnnn_<kebab-name>.deid"
    return match.group(1)


def rendering(path: Path) -> str:
    text = path.read_text(encoding="utf-8")
    compiled = compile_recipe(text, path=path.name)
    return render(compiled.diagnostics, {path.name: compiled.sources[0]}) + "\n"


@pytest.mark.parametrize("fixture", FIXTURES, ids=lambda p: p.stem)
def test_fixture_rendering_matches_its_golden(fixture: Path) -> None:
    expected = fixture.with_suffix(".expected")
    actual = rendering(fixture)
    if UPDATE:
        expected.write_text(actual, encoding="utf-8")
    assert expected.exists(), f"no golden for {fixture.name}: run with DEIDC_UPDATE_GOLDEN=1"
    assert actual == expected.read_text(encoding="utf-8")


@pytest.mark.parametrize("fixture", FIXTURES, ids=lambda p: p.stem)
def test_fixture_produces_its_code_and_no_other(fixture: Path) -> None:
    compiled = compile_recipe(fixture.read_text(encoding="utf-8"), path=fixture.name)
    assert [d.code for d in compiled.diagnostics] == [code_of(fixture)]


@pytest.mark.parametrize("fixture", FIXTURES, ids=lambda p: p.stem)
def test_fixture_is_named_after_its_registered_code(fixture: Path) -> None:
    match = NAME.match(fixture.stem)
    assert match is not None
    code, name = match.groups()
    assert code in REGISTRY
    assert REGISTRY[code].name == name


@pytest.mark.parametrize("fixture", FIXTURES, ids=lambda p: p.stem)
def test_fixed_version_of_fixture_compiles_cleanly(fixture: Path) -> None:
    fixed = FIXED / fixture.name
    assert fixed.exists(), f"no fixed version of {fixture.name} in {FIXED}"
    compiled = compile_recipe(fixed.read_text(encoding="utf-8"), path=fixed.name)
    assert compiled.diagnostics == ()
    assert compiled.ok


def test_every_syntax_and_checker_code_has_a_fixture() -> None:
    covered = {code_of(p) for p in FIXTURES}
    wanted = {code for code in REGISTRY if int(code[4:]) < 400}
    assert sorted(wanted - covered - set(NO_FIXTURE)) == []


def test_allow_list_names_only_registered_codes_without_fixtures() -> None:
    covered = {code_of(p) for p in FIXTURES}
    assert set(NO_FIXTURE) <= set(REGISTRY)
    assert set(NO_FIXTURE).isdisjoint(covered)
    assert all(reason.strip() for reason in NO_FIXTURE.values())


def test_every_golden_belongs_to_a_fixture() -> None:
    goldens = {p.stem for p in RECIPES.glob("*.expected")}
    assert goldens == {p.stem for p in FIXTURES}
    assert {p.name for p in FIXED.glob("*.deid")} == {p.name for p in FIXTURES}


def doc_generator() -> ModuleType:
    spec = importlib.util.spec_from_file_location("make_diagnostics_doc", ROOT / "tools" / "make_diagnostics_doc.py")
    assert spec is not None and spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    sys.modules[spec.name] = module
    spec.loader.exec_module(module)
    return module


def test_diagnostics_doc_is_up_to_date() -> None:
    expected = doc_generator().render_doc()
    if UPDATE:
        (ROOT / "docs" / "diagnostics.md").write_text(expected, encoding="utf-8")
    assert (ROOT / "docs" / "diagnostics.md").read_text(encoding="utf-8") == expected


def test_diagnostics_doc_has_an_entry_for_every_code() -> None:
    doc = (ROOT / "docs" / "diagnostics.md").read_text(encoding="utf-8")
    for code in REGISTRY.values():
        assert f"## {code.code} {code.name}\n" in doc
    assert set(doc_generator().NOTES) >= set(NO_FIXTURE)
