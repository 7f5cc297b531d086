"""Text output shows at most 100 diagnostics per file, errors first, and a note counts the rest.

The cap is in the command line's text rendering only: ``compile_recipe``, ``--format json`` and
``--format sarif`` keep every diagnostic, and the exit code and the summary count them all.
"""

from __future__ import annotations

import json
import re
from pathlib import Path

import pytest

import deidc
from deidc.cli import main
from deidc.diagnostics import MAX_SHOWN_PER_FILE, cap_per_file

HEADER = "FORMAT dicom\n%header\n"
LOCATION = re.compile(r"^\S+:\d+:\d+: (error|warning|note)\[DEID\d+\]", re.MULTILINE)


def _write(path: Path, text: str) -> str:
    path.write_text(text, encoding="utf-8")
    return str(path)


def _stray_actions(count: int) -> str:
    """Return a recipe of ``count`` actions before any section: one error each, and one for the missing FORMAT."""
    return "".join(f"FOO bar{i}\n" for i in range(count))


def _misspelt_keywords(count: int) -> str:
    """Return a recipe of ``count`` warnings (unknown keywords), and no error."""
    return HEADER + "".join(f"REMOVE NoSuchKeyword{i}\n" for i in range(count))


def _shown(out: str) -> list[str]:
    return [m.group(0) for m in LOCATION.finditer(out)]


def test_a_file_shows_100_diagnostics_and_a_note_that_counts_the_others(
    tmp_path: Path, capsys: pytest.CaptureFixture[str],
) -> None:
    path = _write(tmp_path / "garbage.deid", _stray_actions(300))
    assert main(["lint", path]) == 1
    out, err = capsys.readouterr()
    assert len(_shown(out)) == MAX_SHOWN_PER_FILE == 100
    assert out.rstrip().endswith(
        f"{path}: note: 201 more diagnostics not shown (201 errors): text output shows 100 per file, errors first\n"
        "  = help: fix these and lint again, narrow them with --select or --ignore, or list every one with "
        "--format json")
    assert err.strip() == "301 errors, 0 warnings in 1 file"


def test_concise_output_ends_a_capped_file_with_a_one_line_note(
    tmp_path: Path, capsys: pytest.CaptureFixture[str],
) -> None:
    path = _write(tmp_path / "garbage.deid", _stray_actions(150))
    assert main(["lint", "--format", "concise", path]) == 1
    lines = capsys.readouterr().out.splitlines()
    assert len(lines) == 101
    assert all(LOCATION.match(line) for line in lines[:100])
    assert lines[0].startswith(f"{path}:1:1: error[DEID110]")  # in position order
    assert lines[-1] == f"{path}: note: 51 more diagnostics not shown (51 errors): text output shows 100 per file, " \
                        "errors first"


def test_a_file_of_100_diagnostics_has_no_note(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    path = _write(tmp_path / "r.deid", _stray_actions(99))
    assert main(["lint", "--format", "concise", path]) == 1
    out = capsys.readouterr().out
    assert len(_shown(out)) == 100
    assert "not shown" not in out


def test_errors_after_many_warnings_are_shown_and_fail_the_lint(
    tmp_path: Path, capsys: pytest.CaptureFixture[str],
) -> None:
    path = _write(tmp_path / "r.deid", _misspelt_keywords(250) + "REPLAC PatientName x\n")
    assert main(["lint", "--format", "concise", path]) == 1
    out, err = capsys.readouterr()
    shown = _shown(out)
    assert len(shown) == 100
    assert shown[-1] == f"{path}:253:1: error[DEID101]"  # the last line's error, shown in its place
    assert sum(": error[" in s for s in shown) == 1
    assert out.splitlines()[-1].startswith(f"{path}: note: 151 more diagnostics not shown (151 warnings)")
    assert err.strip() == "1 error, 250 warnings in 1 file"


def test_a_capped_file_of_warnings_still_exits_zero(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    path = _write(tmp_path / "r.deid", _misspelt_keywords(120))
    assert main(["lint", "--format", "concise", path]) == 0
    out, err = capsys.readouterr()
    assert "20 more diagnostics not shown (20 warnings)" in out
    assert err.strip() == "0 errors, 120 warnings in 1 file"


def test_each_file_is_capped_on_its_own_with_its_note_after_its_diagnostics(
    tmp_path: Path, capsys: pytest.CaptureFixture[str],
) -> None:
    first = _write(tmp_path / "a.deid", _stray_actions(120))
    small = _write(tmp_path / "b.deid", HEADER + "REPLAC PatientName x\n")
    last = _write(tmp_path / "c.deid", _misspelt_keywords(110))
    assert main(["lint", "--format", "concise", first, small, last]) == 1
    lines = capsys.readouterr().out.splitlines()
    assert [line.split(":")[0] for line in lines] == [first] * 101 + [small] + [last] * 101
    assert lines[100] == f"{first}: note: 21 more diagnostics not shown (21 errors): text output shows 100 per " \
                         "file, errors first"
    assert lines[-1].startswith(f"{last}: note: 10 more diagnostics not shown (10 warnings)")


def test_select_applies_before_the_cap(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    path = _write(tmp_path / "garbage.deid", _stray_actions(300))
    assert main(["lint", "--format", "concise", "--select", "DEID112", path]) == 1
    out = capsys.readouterr().out
    assert _shown(out) == [f"{path}:1:1: error[DEID112]"]
    assert "not shown" not in out


@pytest.mark.parametrize("fmt", ["json", "sarif"])
def test_machine_formats_list_every_diagnostic(fmt: str, tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    path = _write(tmp_path / "garbage.deid", _stray_actions(300))
    assert main(["lint", "--format", fmt, path]) == 1
    found = json.loads(capsys.readouterr().out)
    assert len(found if fmt == "json" else found["runs"][0]["results"]) == 301


def test_compile_prints_capped_diagnostics_and_fails(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    path = _write(tmp_path / "garbage.deid", _stray_actions(300))
    assert main(["compile", path]) == 1
    out, err = capsys.readouterr()
    assert out == ""
    assert len(_shown(err)) == 100
    assert f"{path}: note: 201 more diagnostics not shown (201 errors)" in err
    assert "list every one with 'deidc lint --format json'" in err
    assert err.strip().endswith("301 errors, 0 warnings in 1 file")


def test_the_python_api_returns_every_diagnostic() -> None:
    compiled = deidc.compile_recipe(_stray_actions(300), path="garbage.deid")
    assert len(compiled.diagnostics) == 301
    assert compiled.plan is None


def test_cap_per_file_keeps_errors_first_then_sorts_by_position() -> None:
    warnings = deidc.compile_recipe(_misspelt_keywords(5), path="a.deid").diagnostics
    errors = deidc.compile_recipe(_stray_actions(3), path="b.deid").diagnostics
    mixed = deidc.compile_recipe(_misspelt_keywords(5) + "REPLAC PatientName x\n", path="c.deid").diagnostics
    shown, hidden = cap_per_file([*mixed, *warnings, *errors], limit=4)
    assert [(d.path, d.span.line) for d in shown] == [
        ("a.deid", 3), ("a.deid", 4), ("a.deid", 5), ("a.deid", 6), ("b.deid", 1), ("b.deid", 1), ("b.deid", 2),
        ("b.deid", 3), ("c.deid", 3), ("c.deid", 4), ("c.deid", 5), ("c.deid", 8)]
    assert [d.code for d in shown if d.path == "c.deid"] == ["DEID105"] * 3 + ["DEID101"]
    assert {path: [d.span.line for d in found] for path, found in hidden.items()} == {
        "a.deid": [7], "c.deid": [6, 7]}


def test_cap_per_file_needs_a_positive_limit() -> None:
    with pytest.raises(ValueError, match="limit must be >= 1"):
        cap_per_file([], limit=0)


def test_run_prints_capped_diagnostics_and_reads_nothing(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    path = _write(tmp_path / "garbage.deid", _stray_actions(300))
    (tmp_path / "in").mkdir()
    out_dir = tmp_path / "out"
    assert main(["run", path, str(tmp_path / "in"), "-o", str(out_dir)]) != 0
    out, err = capsys.readouterr()
    assert len(_shown(err)) == 100
    assert f"{path}: note: 201 more diagnostics not shown (201 errors)" in err
    assert not out_dir.exists()
