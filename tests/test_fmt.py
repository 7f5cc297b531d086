"""The formatter: canonical text for every node, comments kept, meaning kept, stable; and ``deidc fmt``."""

from __future__ import annotations

import dataclasses
import inspect
import os
import stat
from importlib import resources
from pathlib import Path

import pytest
from hypothesis import given, settings

from deidc import ast, fmt
from deidc.cli import main
from deidc.fmt import format_text, render
from deidc.syntax import Parsed, parse
from deidc.testing import recipe_texts, recipes

ROOT = Path(__file__).resolve().parents[1]
GOLDEN = ROOT / "tests" / "golden" / "fmt_dicom_groups.deid"
USER_EXAMPLE = ROOT / "examples" / "deid" / "deid.dicom-groups"
SHIPPED = ("deid.dicom", "deid.dicom.ultrasound", "deid.dicom.xray.chest")

#: (written, canonical) pairs; together they use every node class of deidc.ast
EXAMPLES: list[tuple[str, str]] = [
    ("  FORMAT   dicom   # the only format\n", "FORMAT dicom # the only format\n"),
    ("format\n", "FORMAT\n"),
    ("# a comment   \n\n\n#another\n", "# a comment   \n\n#another\n"),  # blank lines inside a block: one
    ("%header\n  REMOVE   PatientID   # why\nBLANK\tALL\n", "%header\nREMOVE PatientID # why\nBLANK ALL\n"),
    ("%header\nREPLACE PatientName  John   Smith \n", "%header\nREPLACE PatientName John   Smith\n"),
    ('%header\nREPLACE PatientName a"b c"d\nADD PatientIdentityRemoved ""\n',
     '%header\nREPLACE PatientName "ab cd"\nADD PatientIdentityRemoved ""\n'),
    ("%header\nREPLACE PatientID var:id\nREPLACE PatientName func:new_name # a function\n",
     "%header\nREPLACE PatientID var:id\nREPLACE PatientName func:new_name # a function\n"),
    ("%header\nJITTER StudyDate deid_func:jitter days='-2'  years=1\nREPLACE SOPInstanceUID deid_func:pydicom_uuid "
     'prefix="1.2.826.0.1." stable_remapping=true\nREPLACE X deid_func:dicom_uuid org_root="a b"\n',
     "%header\nJITTER StudyDate deid_func:jitter days=-2 years=1\nREPLACE SOPInstanceUID deid_func:pydicom_uuid "
     'prefix=1.2.826.0.1. stable_remapping=true\nREPLACE X deid_func:dicom_uuid org_root="a b"\n'),
    ("%header\nREMOVE (0010,0020)\nREMOVE 0010002a\nREMOVE 0x0010002A\n",
     "%header\nREMOVE (0010,0020)\nREMOVE 0010002A\nREMOVE 0x0010002A\n"),
    ('%header\nREMOVE (0033,"MITRA OBJECT 1.0",1e)\nREMOVE 0033,"MITRA",1E\n',
     '%header\nREMOVE (0033,"MITRA OBJECT 1.0",1E)\nREMOVE 0033,"MITRA",1E\n'),
    ("%header\nREMOVE (0008,1140)__0__(0008,1155)\nREMOVE ReferencedImageSequence__ReferencedSOPInstanceUID\n",
     "%header\nREMOVE (0008,1140)__0__(0008,1155)\nREMOVE ReferencedImageSequence__ReferencedSOPInstanceUID\n"),
    ("%header\nREMOVE contains:Patient|Physician\nKEEP select:vr:PN\nREMOVE (0010, 0020)\n",
     "%header\nREMOVE contains:Patient|Physician\nKEEP select:vr:PN\nREMOVE (0010, 0020)\n"),
    ("%values  ids  # the ids\nSPLIT PatientID by='^' ; minlength=4;\nFIELD startswith:Operator\n"
     "%fields instance_fields\nFIELD contains:Instance\n%header\nREPLACE values:ids var:id\n"
     "REMOVE fields:instance_fields\n",
     "%values ids # the ids\nSPLIT PatientID by=\"^\";minlength=4\nFIELD startswith:Operator\n\n"
     "%fields instance_fields\nFIELD contains:Instance\n\n%header\nREPLACE values:ids var:id\n"
     "REMOVE fields:instance_fields\n"),
    ("%filter graylist\n# flags only\nLABEL  CT Dose   # (CTP)\ncontains Modality CT\n  +   contains ImageType "
     "SCREEN  SAVE ||  contains SeriesDescription Dose\nmissing Manufacturer || empty Manufacturer # either\n"
     "ctpcoordinates 0,0, 512,121,\nKeepCoordinates all\ncoordinates from:SequenceOfUltrasoundRegions\n"
     "# next\nLABEL\n  equals 0x00080060 CT\n",
     "%filter graylist\n\n# flags only\nLABEL CT Dose # (CTP)\n  contains Modality CT\n  + contains ImageType "
     "SCREEN  SAVE || contains SeriesDescription Dose\n  missing Manufacturer || empty Manufacturer # either\n"
     "  ctpcoordinates 0,0,512,121\n  KeepCoordinates all\n  coordinates from:SequenceOfUltrasoundRegions\n\n"
     "# next\nLABEL\n  equals 0x00080060 CT\n"),
    ("%labels\nADD MAINTAINER someone@example.org\n%Header\n%headers x # unknown\nREMOVE PatientID\n% header\n",
     "%labels\nADD MAINTAINER someone@example.org\n\n%Header\n\n%headers x # unknown\nREMOVE PatientID\n\n"
     "% header\n"),
    ("FORMAT dicom\n# about the header\n%header\nREMOVE PatientID\n# the end\n",
     "FORMAT dicom\n\n# about the header\n%header\nREMOVE PatientID\n# the end\n"),
    # a line keyword glued to a field is an action or a criterion: a space would make it a FORMAT/LABEL line
    ("%header\nFORMAT%header\nFORMATé\nREMOVE(0010,0020)\n", "%header\nFORMAT%header\nFORMATé\nREMOVE (0010,0020)\n"),
    ("%filter f\nLABEL x\nlabel(0010,0020) CT\ncoordinates(1 x\n",
     "%filter f\n\nLABEL x\n  label(0010,0020) CT\n  coordinates(1 x\n"),
]


def _nodes(value: object) -> list[object]:
    """Return every AST node inside ``value`` (itself included)."""
    if isinstance(value, tuple):
        return [n for item in value for n in _nodes(item)]
    if not dataclasses.is_dataclass(value) or isinstance(value, type):
        return []
    found: list[object] = [value]
    for field in dataclasses.fields(value):
        if field.compare:
            found += _nodes(getattr(value, field.name))
    return found


@pytest.mark.parametrize(("written", "canonical"), EXAMPLES)
def test_format_writes_the_canonical_layout(written: str, canonical: str) -> None:
    result = format_text(written)
    assert result.diagnostics == () and result.error is None
    assert result.text == canonical


@pytest.mark.parametrize(("written", "canonical"), EXAMPLES)
def test_format_keeps_the_tree_and_is_idempotent(written: str, canonical: str) -> None:
    assert parse(canonical).recipe == parse(written).recipe
    assert format_text(canonical).text == canonical
    assert not format_text(canonical).changed


def test_examples_cover_every_node_class() -> None:
    classes = {cls for _, cls in inspect.getmembers(ast, inspect.isclass)
               if dataclasses.is_dataclass(cls) and cls.__module__ == ast.__name__}
    seen = {type(node) for written, _ in EXAMPLES for node in _nodes(parse(written).recipe)}
    assert classes - seen == set()


def test_format_keeps_every_comment() -> None:
    text = ("# top\nFORMAT dicom # fmt\n%header # h\n# inside\nREMOVE PatientID # trailing\n"
            "%filter f # f\nLABEL x # l\n# in label\ncontains Modality CT # c\n")
    formatted = format_text(text).text
    assert formatted is not None
    for comment in ("# top", "# fmt", "# h", "# inside", "# trailing", "# f", "# l", "# in label", "# c"):
        assert comment in formatted


def test_format_keeps_one_blank_line_where_a_block_had_blank_lines() -> None:
    written = ("FORMAT dicom\n\n%header\n\n\nREMOVE PatientID\nREMOVE PatientName\n\n\n\n# dates\nJITTER StudyDate 3\n"
               "  \t\nJITTER SeriesDate 3\n\n\n%filter f\n\nLABEL x\ncontains Modality CT\n\n"
               "+ contains Modality MR\n\n")
    expected = ("FORMAT dicom\n\n%header\nREMOVE PatientID\nREMOVE PatientName\n\n# dates\nJITTER StudyDate 3\n\n"
                "JITTER SeriesDate 3\n\n%filter f\n\nLABEL x\n  contains Modality CT\n\n  + contains Modality MR\n")
    result = format_text(written)
    assert result.text == expected
    assert format_text(expected).text == expected


def test_render_of_a_tree_without_spans_has_no_blank_lines_inside_blocks() -> None:
    parsed = parse("%header\nREMOVE PatientID\n\n\nREMOVE PatientName\n")
    header = parsed.recipe.sections[0]
    lines = tuple(dataclasses.replace(line, span=ast.NO_SPAN) for line in header.body)
    recipe = dataclasses.replace(parsed.recipe, sections=(dataclasses.replace(header, body=lines),))
    assert render(recipe) == "%header\nREMOVE PatientID\nREMOVE PatientName\n"
    assert render(parsed.recipe) == "%header\nREMOVE PatientID\n\nREMOVE PatientName\n"


def test_format_keeps_crlf_line_endings() -> None:
    assert format_text("FORMAT dicom\r\n%header\r\nREMOVE  X\r\n").text == "FORMAT dicom\r\n\r\n%header\r\nREMOVE X\r\n"


def test_empty_recipe_formats_to_empty_text() -> None:
    assert render(ast.Recipe()) == ""
    assert format_text("\n\n  \n").text == ""


def test_format_refuses_text_with_syntax_errors() -> None:
    result = format_text('FORMAT dicom\n%header\nREMOVE "PatientID\n', path="bad.deid")
    assert result.text is None and not result.ok
    assert [d.code for d in result.diagnostics] == ["DEID002"]
    assert result.diagnostics[0].path == "bad.deid"


def test_format_refuses_output_that_changes_the_tree(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(fmt, "render", lambda recipe: "FORMAT dicom\n")
    result = format_text("FORMAT dicom\n%header\nREMOVE PatientID\n")
    assert result.text is None
    assert result.error is not None and "would change the recipe" in result.error


def test_format_refuses_output_that_is_not_stable(monkeypatch: pytest.MonkeyPatch) -> None:
    calls: list[int] = []

    def unstable(recipe: ast.Recipe) -> str:
        calls.append(1)
        return "FORMAT dicom\n" + "\n" * len(calls)

    monkeypatch.setattr(fmt, "render", unstable)
    result = format_text("FORMAT dicom\n")
    assert result.text is None
    assert result.error is not None and "not stable" in result.error


def test_format_refuses_a_tree_it_cannot_write_back(monkeypatch: pytest.MonkeyPatch) -> None:
    # an unquoted literal that reads as a variable cannot come from the parser, and render cannot keep it
    odd = ast.Recipe(body=(ast.FormatLine(format="dicom"),), sections=(ast.HeaderSection(keyword="header", body=(
        ast.Action(verb="REPLACE", target=ast.FieldName(names=("PatientID",)),
                   value=ast.Literal(text="var:x", quoted=False)),)),))
    real = fmt.parse
    monkeypatch.setattr(fmt, "parse", lambda source, path="<string>": real(source, path=path)
                        if isinstance(source, str) else Parsed(odd, (), source))
    result = format_text("anything\n")
    assert result.text is None
    assert result.error is not None and "would change the recipe" in result.error and "var:x" in result.error


def test_user_example_formats_to_the_golden_file() -> None:
    text = USER_EXAMPLE.read_text(encoding="utf-8")
    result = format_text(text, path=str(USER_EXAMPLE))
    assert result.text == GOLDEN.read_text(encoding="utf-8")
    assert parse(result.text).recipe == parse(text).recipe
    assert format_text(result.text).text == result.text


@pytest.mark.parametrize("name", SHIPPED)
def test_deid_shipped_recipes_format_to_the_same_tree(name: str) -> None:
    text = (resources.files("deid") / "data" / name).read_text(encoding="utf-8")
    result = format_text(text, path=name)
    assert result.ok, result.error or result.diagnostics
    assert result.text is not None
    assert parse(result.text).recipe == parse(text).recipe
    assert format_text(result.text).text == result.text
    assert result.text.count("#") == text.count("#")


# ---------------------------------------------------------------- properties


@settings(deadline=None, max_examples=60)
@given(recipe=recipes(valid=False))
def test_render_round_trips_any_recipe(recipe: ast.Recipe) -> None:
    text = render(recipe)
    parsed = parse(text)
    assert parsed.diagnostics == ()
    assert parsed.recipe == recipe


@settings(deadline=None, max_examples=60)
@given(text=recipe_texts(valid=False))
def test_format_is_idempotent_and_keeps_the_tree(text: str) -> None:
    first = format_text(text)
    assert first.ok and first.text is not None
    assert parse(first.text).recipe == parse(text).recipe
    assert format_text(first.text).text == first.text


def _comments(recipe: ast.Recipe) -> list[str]:
    found = [n.text for n in _nodes(recipe) if isinstance(n, ast.Comment)]
    return sorted(found + [c for n in _nodes(recipe) if isinstance(c := getattr(n, "comment", None), str)])


@settings(deadline=None, max_examples=40)
@given(recipe=recipes())
def test_format_keeps_every_comment_of_generated_recipes(recipe: ast.Recipe) -> None:
    formatted = format_text(render(recipe)).text
    assert formatted is not None
    assert _comments(parse(formatted).recipe) == _comments(recipe)


# ---------------------------------------------------------------- the command


def _write(path: Path, text: str) -> Path:
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(text, encoding="utf-8", newline="")
    return path


UGLY = "FORMAT dicom\n%header\n  REMOVE   PatientID\n"
PRETTY = "FORMAT dicom\n\n%header\nREMOVE PatientID\n"


def test_fmt_check_exits_one_and_names_files_that_would_change(tmp_path: Path,
                                                               capsys: pytest.CaptureFixture[str]) -> None:
    ugly = _write(tmp_path / "ugly.deid", UGLY)
    _write(tmp_path / "pretty.deid", PRETTY)
    assert main(["fmt", "--check", str(tmp_path)]) == 1
    out, err = capsys.readouterr()
    assert out == f"would reformat {ugly}\n"
    assert "1 file would be reformatted, 1 file already formatted" in err
    assert ugly.read_text(encoding="utf-8") == UGLY


def test_fmt_check_of_formatted_files_exits_zero(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["fmt", "--check", str(_write(tmp_path / "deid.pretty", PRETTY))]) == 0
    assert capsys.readouterr().out == ""


def test_fmt_diff_prints_a_unified_diff_and_changes_nothing(tmp_path: Path,
                                                            capsys: pytest.CaptureFixture[str]) -> None:
    ugly = _write(tmp_path / "ugly.deid", UGLY)
    assert main(["fmt", "--diff", str(ugly)]) == 1
    out = capsys.readouterr().out
    assert out.startswith(f"--- {ugly}\t(original)\n+++ {ugly}\t(formatted)\n@@ ")
    assert "-  REMOVE   PatientID\n" in out and "+REMOVE PatientID\n" in out
    assert ugly.read_text(encoding="utf-8") == UGLY


def test_fmt_rewrites_files_in_place_keeping_their_mode(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    ugly = _write(tmp_path / "recipes" / "deid.site", UGLY)
    os.chmod(ugly, 0o640)
    ignored = _write(tmp_path / "recipes" / "notes.txt", UGLY)
    assert main(["fmt", str(tmp_path / "recipes")]) == 0
    assert ugly.read_text(encoding="utf-8") == PRETTY
    assert stat.S_IMODE(os.stat(ugly).st_mode) == 0o640
    assert ignored.read_text(encoding="utf-8") == UGLY
    assert sorted(p.name for p in ugly.parent.iterdir()) == ["deid.site", "notes.txt"]
    assert "1 file reformatted, 0 files unchanged" in capsys.readouterr().err
    assert main(["fmt", "--check", str(ugly)]) == 0


def test_fmt_of_a_file_with_syntax_errors_exits_two_and_leaves_it(tmp_path: Path,
                                                                  capsys: pytest.CaptureFixture[str]) -> None:
    text = 'FORMAT dicom\n%header\nREMOVE "x\n'
    bad = _write(tmp_path / "bad.deid", text)
    ugly = _write(tmp_path / "ugly.deid", UGLY)
    assert main(["fmt", str(bad), str(ugly)]) == 2
    err = capsys.readouterr().err
    assert f"{bad}:3:8: error[DEID002]" in err
    assert bad.read_text(encoding="utf-8") == text
    assert ugly.read_text(encoding="utf-8") == PRETTY


def test_fmt_of_a_missing_path_exits_two(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["fmt", str(tmp_path / "nothing.deid")]) == 2
    assert "cannot read" in capsys.readouterr().err


def test_fmt_without_paths_is_a_usage_error(capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["fmt"]) == 2
    assert "PATH" in capsys.readouterr().err


def test_format_keeps_a_byte_order_mark() -> None:
    result = format_text("\ufeffFORMAT dicom\n%header\nREMOVE  X\n")
    assert result.text == "\ufeffFORMAT dicom\n\n%header\nREMOVE X\n"
    assert format_text(result.text).text == result.text


def test_fmt_diff_cuts_lines_only_at_line_endings(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    recipe = _write(tmp_path / "deid.odd", "FORMAT dicom\n# a\u2028b\x0bc\n%header\nREMOVE  X\n")
    assert main(["fmt", "--diff", str(recipe)]) == 1
    out = capsys.readouterr().out
    assert " # a\u2028b\x0bc\n" in out
    assert "-REMOVE  X\n+REMOVE X\n" in out
