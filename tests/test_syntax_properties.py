"""Properties of the syntax stage and checker: no input makes them raise, and a bad line costs one diagnostic."""

from __future__ import annotations

import contextlib
import dataclasses
import io
import json
import random
import tempfile
from importlib import resources
from pathlib import Path

from hypothesis import HealthCheck, example, given, settings
from hypothesis import strategies as st
from hypothesis.extra.lark import from_lark

from deidc.cli import main
from deidc.codes import REGISTRY
from deidc.compiler import compile_recipe
from deidc.diagnostics import render
from deidc.source import Source
from deidc.syntax import MAX_SYNTAX_ERRORS, is_tree, parse, recipe_parser

SHIPPED = {name: (resources.files("deid") / "data" / name).read_text(encoding="utf-8")
           for name in ("deid.dicom", "deid.dicom.ultrasound", "deid.dicom.xray.chest")}
#: characters that matter to the grammar, to insert into recipes
SPECIAL = ' \t\r\n"\'#%+|:,()=;_-.0123456789aAzZ\\\ufeff\x0b\x0c\x85\u2028\xa0'

FAST = settings(max_examples=150, deadline=None, derandomize=True)
SLOW = settings(max_examples=60, deadline=None, derandomize=True,
                suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large])


def check_parse(text: str) -> None:
    """Parse and compile ``text``; check what must hold of any input."""
    parsed = parse(text, "p.deid")
    syntax_lines = [d.span.line for d in parsed.diagnostics if d.code != "DEID008"]
    assert len(syntax_lines) == len(set(syntax_lines)), "a line got more than one syntax diagnostic"
    assert len(syntax_lines) <= MAX_SYNTAX_ERRORS
    if any(d.code == "DEID008" for d in parsed.diagnostics):
        assert len(syntax_lines) == MAX_SYNTAX_ERRORS
    assert not any(is_tree(v) for v in leaves(parsed.recipe))
    compiled = compile_recipe(text, path="p.deid")
    lines = len(Source("p.deid", text).line_starts)
    for diagnostic in compiled.diagnostics:
        assert diagnostic.code in REGISTRY
        assert 1 <= diagnostic.span.line <= lines
        assert diagnostic.message and not diagnostic.message.endswith(".")
    assert (compiled.plan is None) == any(d.is_error for d in compiled.diagnostics)
    render(compiled.diagnostics, {"p.deid": compiled.sources[0]})


def leaves(value: object) -> list[object]:
    if dataclasses.is_dataclass(value) and not isinstance(value, type):
        return [leaf for f in dataclasses.fields(value) for leaf in leaves(getattr(value, f.name))]
    if isinstance(value, tuple):
        return [leaf for item in value for leaf in leaves(item)]
    return [value]


@FAST
@given(st.text())
@example("")
@example("\ufeff")
@example("FORMAT dicom\n%header\nREMOVE")
@example("%\n%\n")
@example('REMOVE (0010,"x\n"')
def test_any_text_parses_and_compiles_without_raising(text: str) -> None:
    check_parse(text)


@FAST
@given(st.binary().map(lambda b: b.decode("latin-1")))
def test_binary_text_parses_and_compiles_without_raising(text: str) -> None:
    check_parse(text)


@SLOW
@given(from_lark(recipe_parser(strict=True)))  # built, not loaded from the parser cache: it keeps its .grammar
def test_text_from_the_grammar_parses_and_compiles_without_raising(text: str) -> None:
    check_parse(text)


@st.composite
def mutated_recipes(draw: st.DrawFn) -> str:
    """Return one of deid's recipes with lines deleted, duplicated, swapped or changed, cut to a window."""
    lines = SHIPPED[draw(st.sampled_from(sorted(SHIPPED)))].splitlines(keepends=True)
    for _ in range(draw(st.integers(1, 8))):
        if not lines:
            break
        i, j = draw(st.integers(0, len(lines) - 1)), draw(st.integers(0, len(lines) - 1))
        match draw(st.sampled_from(["delete", "duplicate", "swap", "insert"])):
            case "delete":
                del lines[i]
            case "duplicate":
                lines.insert(i, lines[j])
            case "swap":
                lines[i], lines[j] = lines[j], lines[i]
            case _:
                at = draw(st.integers(0, len(lines[i])))
                noise = draw(st.text(st.sampled_from(SPECIAL) | st.characters(), min_size=1, max_size=4))
                lines[i] = lines[i][:at] + noise + lines[i][at:]
    start = draw(st.integers(0, max(len(lines) - 1, 0)))
    return "".join(lines[start:start + draw(st.integers(1, 80))])


@SLOW
@given(mutated_recipes())
def test_mutated_shipped_recipes_parse_and_compile_without_raising(text: str) -> None:
    check_parse(text)


@SLOW
@given(st.lists(st.sampled_from([
    "FORMAT dicom", "%header", "%values v", "%fields f", "%filter g", "%labels", "LABEL x", "REMOVE PatientID",
    "REPLACE PatientName var:name", "SPLIT PatientID by=\"^\"", "FIELD contains:UID", "contains Modality CT",
    "+ empty A", "|| present B", "coordinates 0,0,1,1", "# note", "", "!!!", "REMOVE", "coordinates 1,2",
    "SPLIT x by", "REPLACE x var:", "% header", "%", "\t", "JITTER StudyDate deid_func:jitter days",
]), max_size=30), st.sampled_from(["\n", "\r\n", "\r"]))
def test_lines_of_every_kind_in_any_order_parse_and_compile_without_raising(lines: list[str], newline: str) -> None:
    check_parse(newline.join(lines))


#: lines that are wrong in every kind of section
BAD_LINES = ("!!! junk", "= x", 'REMOVE "x', "+", "123 abc", "|| ||")


@SLOW
@given(st.sampled_from(sorted(SHIPPED)), st.sampled_from(BAD_LINES), st.data())
def test_a_bad_line_costs_one_diagnostic_and_changes_nothing_else(name: str, bad: str, data: st.DataObject) -> None:
    lines = SHIPPED[name].splitlines(keepends=True)
    at = data.draw(st.integers(0, len(lines)))
    broken = parse("".join(lines[:at] + [bad + "\n"] + lines[at:]))
    assert [d.span.line for d in broken.diagnostics] == [at + 1]
    assert broken.recipe == parse(SHIPPED[name]).recipe


# ---------------------------------------------------------------- the command line never shows a traceback


def lint_file(data: bytes, *options: str) -> tuple[int, str, str]:
    """Write ``data`` to a recipe file and run ``deidc lint`` on it; return the exit code, stdout and stderr."""
    with tempfile.TemporaryDirectory() as folder:
        path = Path(folder) / "garbage.deid"
        path.write_bytes(data)
        out, err = io.StringIO(), io.StringIO()
        with contextlib.redirect_stdout(out), contextlib.redirect_stderr(err):
            code = main(["lint", *options, str(path)])
    return code, out.getvalue(), err.getvalue()


@FAST
@given(st.one_of(st.binary(max_size=3000), st.text(max_size=3000).map(str.encode), mutated_recipes().map(str.encode)),
       st.sampled_from([(), ("--format", "concise"), ("--format", "json"), ("--format", "sarif"), ("--inputs",)]))
@example(b"\xff\xfe\x00garbage", ())
@example(b"FORMAT dicom\n%header\nREPLACE PatientID var: x\nKEEP ALL\nREMOVE PatientID\n", ("--inputs",))
def test_lint_of_any_file_gives_diagnostics_and_an_exit_code(data: bytes, options: tuple[str, ...]) -> None:
    code, out, err = lint_file(data, *options)
    assert code in (0, 1)
    assert "internal error" not in err and "Traceback" not in err
    if "json" in options or "sarif" in options:
        json.loads(out)


def test_lint_of_five_megabytes_of_random_bytes_reports_one_diagnostic() -> None:
    code, out, err = lint_file(random.Random(4).randbytes(5_000_000), "--format", "json")
    assert code == 1
    assert [d["code"] for d in json.loads(out)] == ["DEID007"]
    assert err == ""


def test_lint_of_a_200000_line_recipe_completes() -> None:
    kinds = ["REMOVE PatientID", "BLANK contains:Name", "REPLACE StudyDate 20000101", "KEEP Modality",
             "JITTER StudyDate 1", "ADD PatientIdentityRemoved YES", "REPLAC PatientName x", "%header", "# note"]
    lines = ["FORMAT dicom", "%header"]
    lines += [kinds[(i // 20) % len(kinds)] if i % 20 == 0 else "" for i in range(2, 200_000)]
    code, out, err = lint_file(("\n".join(lines) + "\n").encode(), "--format", "json")
    found = json.loads(out)
    assert code == 1 and err == ""
    assert {d["code"] for d in found} == {"DEID101"}  # an error: the plan is not built, so no rule warnings
    assert max(d["line"] for d in found) > 199_000
    fixed = ("" if "REPLAC " in line else line for line in lines)  # the same 200,000 lines without the error
    code, out, err = lint_file(("\n".join(fixed) + "\n").encode(), "--format", "concise")
    assert code == 0 and "warning[DEID303]" in out
