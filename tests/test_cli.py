from __future__ import annotations

import json
import re
import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest

from deidc import __version__, cli
from deidc.cli import main
from deidc.plan_json import plan_from_json

ROOT = Path(__file__).resolve().parents[1]
CLEAN = "FORMAT dicom\n\n%header\nREMOVE PatientID\nADD PatientIdentityRemoved YES\n"
BAD = "FORMAT dicom\n\n%header\nREPLAC PatientName x\n"
WARNS = "FORMAT dicom\n\n%header\nREMOVE PatientsName\n"
JSON_KEYS = {"file", "line", "column", "end_line", "end_column", "severity", "code", "name", "message", "help",
             "suggestions"}


def _write(path: Path, text: str) -> str:
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(text, encoding="utf-8")
    return str(path)


def test_lint_of_clean_recipe_exits_zero(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["lint", _write(tmp_path / "clean.deid", CLEAN)]) == 0
    out, err = capsys.readouterr()
    assert out == ""
    assert err.strip() == "0 errors, 0 warnings in 1 file"


def test_lint_of_unknown_action_exits_one_with_caret_excerpt(
    tmp_path: Path, capsys: pytest.CaptureFixture[str],
) -> None:
    path = _write(tmp_path / "bad.deid", BAD)
    assert main(["lint", path]) == 1
    out, err = capsys.readouterr()
    assert f"{path}:4:1: error[DEID101]: unknown action 'REPLAC'" in out
    assert "4 | REPLAC PatientName x\n  | ^^^^^^" in out
    assert "help: did you mean 'REPLACE'?" in out
    assert "1 error, 0 warnings in 1 file" in err


def test_lint_warnings_alone_exit_zero(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["lint", _write(tmp_path / "w.deid", WARNS)]) == 0
    out, err = capsys.readouterr()
    assert "warning[DEID105]" in out
    assert "0 errors, 1 warning in 1 file" in err


def test_lint_concise_prints_one_line_per_diagnostic(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    path = _write(tmp_path / "bad.deid", BAD)
    assert main(["lint", "--format", "concise", path]) == 1
    out = capsys.readouterr().out
    assert out == f"{path}:4:1: error[DEID101]: unknown action 'REPLAC' — did you mean 'REPLACE'?\n"


def test_lint_json_output_is_only_json_with_flat_keys(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    path = _write(tmp_path / "bad.deid", BAD)
    assert main(["lint", "--format", "json", path]) == 1
    out, err = capsys.readouterr()
    items = json.loads(out)
    assert err == ""
    assert [set(item) for item in items] == [JSON_KEYS]
    assert (items[0]["file"], items[0]["line"], items[0]["code"], items[0]["name"]) == (path, 4, "DEID101",
                                                                                       "unknown-action")


def test_lint_ignore_drops_a_code_and_its_exit_status(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    path = _write(tmp_path / "bad.deid", BAD)
    assert main(["lint", "--ignore", "DEID101", "--format", "json", path]) == 0
    assert json.loads(capsys.readouterr().out) == []


def test_lint_select_keeps_only_matching_prefixes(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    paths = [_write(tmp_path / "bad.deid", BAD), _write(tmp_path / "w.deid", WARNS)]
    assert main(["lint", "--select", "DEID10", "--format", "json", *paths]) == 1
    assert sorted(d["code"] for d in json.loads(capsys.readouterr().out)) == ["DEID101", "DEID105"]
    assert main(["lint", "--select", "DEID105", "--format", "json", *paths]) == 0
    assert [d["code"] for d in json.loads(capsys.readouterr().out)] == ["DEID105"]


def test_lint_rejects_an_unknown_code_as_bad_usage(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["lint", "--ignore", "E501", _write(tmp_path / "clean.deid", CLEAN)]) == 2
    assert "'E501' is not a diagnostic code" in capsys.readouterr().err


def test_lint_exit_zero_reports_errors_but_exits_zero(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["lint", "--exit-zero", _write(tmp_path / "bad.deid", BAD)]) == 0
    assert "error[DEID101]" in capsys.readouterr().out


def test_lint_walks_a_folder_for_recipe_files(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    first = _write(tmp_path / "b.deid", BAD)
    second = _write(tmp_path / "sub" / "deid.dicom.extra", BAD)
    _write(tmp_path / "notes.txt", BAD)
    assert main(["lint", "--format", "json", str(tmp_path)]) == 1
    assert [d["file"] for d in json.loads(capsys.readouterr().out)] == sorted([first, second])
    assert main(["lint", str(tmp_path)]) == 1
    assert "2 errors, 0 warnings in 2 files" in capsys.readouterr().err


def test_lint_of_missing_path_exits_two_with_one_line(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    missing = tmp_path / "nope.deid"
    assert main(["lint", str(missing)]) == 2
    out, err = capsys.readouterr()
    assert out == ""
    assert err == f"deidc: error: cannot read {missing}: No such file or directory\n"


def test_lint_of_non_utf8_file_reports_deid007(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    path = tmp_path / "latin.deid"
    path.write_bytes(b"FORMAT dicom\n%header\nREPLACE PatientName M\xfcller\n")
    assert main(["lint", "--format", "json", str(path)]) == 1
    [item] = json.loads(capsys.readouterr().out)
    assert (item["code"], item["name"], item["line"], item["column"]) == ("DEID007", "not-text", 3, 22)


def test_compile_prints_plan_with_recipe_lines(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    path = _write(tmp_path / "clean.deid", CLEAN)
    assert main(["compile", path]) == 0
    out = capsys.readouterr().out
    assert f"{path}:4  REMOVE  PatientID (0010,0020)" in out
    assert f'{path}:5  ADD     PatientIdentityRemoved (0012,0062)  "YES"' in out


def test_compile_of_example_matches_golden_plan(
    monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str],
) -> None:
    monkeypatch.chdir(ROOT)
    assert main(["compile", "examples/deid/deid.dicom-groups"]) == 0
    assert capsys.readouterr().out == (ROOT / "tests" / "golden" / "plan_dicom_groups.txt").read_text(encoding="utf-8")


def test_compile_combines_recipes_in_order(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    first = _write(tmp_path / "a.deid", CLEAN)
    second = _write(tmp_path / "b.deid", "FORMAT dicom\n%header\nBLANK PatientName\n")
    assert main(["compile", first, second]) == 0
    out = capsys.readouterr().out
    assert out.index(f"{first}:5") < out.index(f"{second}:3")


def test_compile_of_bad_recipe_exits_one_with_diagnostics(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["compile", _write(tmp_path / "bad.deid", BAD)]) == 1
    out, err = capsys.readouterr()
    assert out == ""
    assert "error[DEID101]" in err


def test_compile_emits_plan_json_that_round_trips(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["compile", "--emit", "json", _write(tmp_path / "clean.deid", CLEAN)]) == 0
    data = json.loads(capsys.readouterr().out)
    assert data["version"] == 1
    assert [step.action.value for step in plan_from_json(data).steps] == ["REMOVE", "ADD"]


def test_version_prints_package_version(capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["--version"]) == 0
    assert capsys.readouterr().out.strip() == f"deidc {__version__}"


def test_missing_command_is_bad_usage(capsys: pytest.CaptureFixture[str]) -> None:
    assert main([]) == 2
    assert "required" in capsys.readouterr().err


def _explode(args: object) -> int:
    raise RuntimeError("boom\nsecond line")


def test_internal_error_prints_one_line_and_exits_two(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str],
) -> None:
    monkeypatch.setitem(cli.COMMANDS, "lint", cli.Command("lint", cli.COMMANDS["lint"].configure, _explode))
    assert main(["lint", _write(tmp_path / "clean.deid", CLEAN)]) == 2
    assert capsys.readouterr().err == (
        "deidc: internal error: RuntimeError: boom second line (run with --debug for the traceback)\n")


def test_debug_reraises_internal_errors(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setitem(cli.COMMANDS, "lint", cli.Command("lint", cli.COMMANDS["lint"].configure, _explode))
    with pytest.raises(RuntimeError, match="boom"):
        main(["lint", "--debug", _write(tmp_path / "clean.deid", CLEAN)])


def test_module_runs_as_console_script() -> None:
    done = subprocess.run([sys.executable, "-m", "deidc", "--version"], cwd=ROOT, capture_output=True, text=True,
                          check=False, timeout=60)
    assert (done.returncode, done.stdout.strip()) == (0, f"deidc {__version__}")


def test_lint_of_empty_folder_warns_and_exits_zero(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    _write(tmp_path / "notes.txt", BAD)
    assert main(["lint", str(tmp_path)]) == 0
    assert "no recipe files found" in capsys.readouterr().err


# ---------------------------------------------------------------- lint: SARIF, run inputs, rule codes, pre-commit

INPUTS = "FORMAT dicom\n\n%header\n  REPLACE PatientID var:new_id\nREPLACE PatientName func:pseudonym\n"
RULES = "FORMAT dicom\n\n%header\nREMOVE PatientID\nREMOVE PatientID\nADD PatientIdentityRemoved Yes\n"


def _sarif(capsys: pytest.CaptureFixture[str], *args: str) -> tuple[int, Any]:
    code = main(["lint", "--format", "sarif", *args])
    out, err = capsys.readouterr()
    assert err == ""
    return code, json.loads(out)


def test_lint_sarif_is_one_run_of_deidc_with_every_code_as_a_rule(
    tmp_path: Path, capsys: pytest.CaptureFixture[str],
) -> None:
    code, log = _sarif(capsys, _write(tmp_path / "clean.deid", CLEAN))
    assert code == 0
    assert log["version"] == "2.1.0" and str(log["$schema"]).endswith("sarif-2.1.0.json")
    [run] = log["runs"]
    driver = run["tool"]["driver"]
    assert (driver["name"], driver["version"], run["results"]) == ("deidc", __version__, [])
    assert [r["id"] for r in driver["rules"]] == list(cli.REGISTRY)
    for rule in driver["rules"]:
        assert set(rule) >= {"id", "name", "shortDescription", "helpUri"}
        assert rule["helpUri"] == f"docs/diagnostics.md#{rule['id'].lower()}"
        assert rule["shortDescription"]["text"] == cli.REGISTRY[rule["id"]].description


def test_lint_sarif_results_carry_rule_level_message_and_region(
    tmp_path: Path, capsys: pytest.CaptureFixture[str],
) -> None:
    bad, rules = _write(tmp_path / "bad.deid", BAD), _write(tmp_path / "rules.deid", RULES)
    code, log = _sarif(capsys, bad, rules)
    assert code == 1
    [run] = log["runs"]
    rule_ids = [r["id"] for r in run["tool"]["driver"]["rules"]]
    found = [(r["ruleId"], r["level"], r["locations"][0]["physicalLocation"]["artifactLocation"]["uri"],
              r["locations"][0]["physicalLocation"]["region"]["startLine"]) for r in run["results"]]
    assert found == [("DEID101", "error", bad, 4), ("DEID303", "warning", rules, 5), ("DEID311", "warning", rules, 6)]
    first = run["results"][0]
    assert first["message"]["text"] == "unknown action 'REPLAC'"
    assert first["locations"][0]["physicalLocation"]["region"] == {
        "startLine": 4, "startColumn": 1, "endLine": 4, "endColumn": 7}
    assert all(rule_ids[r["ruleIndex"]] == r["ruleId"] for r in run["results"])


def test_lint_sarif_of_a_file_that_is_not_text_has_a_located_result(
    tmp_path: Path, capsys: pytest.CaptureFixture[str],
) -> None:
    path = tmp_path / "binary.deid"
    path.write_bytes(b"FORMAT dicom\n\xff\xfe\n")
    code, log = _sarif(capsys, str(path))
    assert code == 1
    [result] = log["runs"][0]["results"]
    assert (result["ruleId"], result["locations"][0]["physicalLocation"]["region"]["startLine"]) == ("DEID007", 2)


def test_lint_reports_rule_warnings_and_select_ignore_apply_to_them(
    tmp_path: Path, capsys: pytest.CaptureFixture[str],
) -> None:
    path = _write(tmp_path / "rules.deid", RULES)
    assert main(["lint", "--format", "json", path]) == 0
    assert [d["code"] for d in json.loads(capsys.readouterr().out)] == ["DEID303", "DEID311"]
    assert main(["lint", "--format", "json", "--ignore", "DEID3", path]) == 0
    assert json.loads(capsys.readouterr().out) == []
    assert main(["lint", "--format", "json", "--select", "DEID311", path]) == 0
    assert [d["code"] for d in json.loads(capsys.readouterr().out)] == ["DEID311"]


def test_lint_checks_run_inputs_only_when_asked(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    path = _write(tmp_path / "inputs.deid", INPUTS)
    assert main(["lint", "--format", "json", path]) == 0
    assert json.loads(capsys.readouterr().out) == []
    assert main(["lint", "--format", "json", "--inputs", path]) == 1
    found = [(d["code"], d["line"], d["column"], d["end_column"]) for d in json.loads(capsys.readouterr().out)]
    assert found == [("DEID401", 4, 21, 31), ("DEID402", 5, 21, 35)]


def test_lint_with_every_input_provided_is_clean(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    path = _write(tmp_path / "inputs.deid", INPUTS)
    assert main(["lint", "--var", "new_id=X1", "--func", "pseudonym", path]) == 0
    assert "0 errors, 0 warnings" in capsys.readouterr().err
    assert main(["lint", "--format", "concise", "--var", "new_id=X1", path]) == 1
    assert "error[DEID402]: the recipe needs the function 'pseudonym'" in capsys.readouterr().out


def test_lint_var_without_a_value_is_bad_usage(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["lint", "--var", "novalue", _write(tmp_path / "inputs.deid", INPUTS)]) == 2
    assert "'novalue' is not NAME=VALUE" in capsys.readouterr().err


def test_labels_section_is_free_form_metadata(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    path = _write(tmp_path / "labels.deid", "FORMAT dicom\n%labels\nADD MAINTAINER someone@example.org\n"
                  "ADD VERSION 1.0\n%header\nREMOVE PatientID\n")
    assert main(["lint", path]) == 0
    assert "0 errors, 0 warnings" in capsys.readouterr().err


def _hooks(text: str) -> list[dict[str, str]]:
    """Read the flat list of mappings a .pre-commit-hooks.yaml holds (the subset of YAML it uses)."""
    hooks: list[dict[str, str]] = []
    for line in text.splitlines():
        if not line.strip() or line.lstrip().startswith("#"):
            continue
        if line.startswith("- "):
            hooks.append({})
            line = "  " + line[2:]
        name, _, value = line.strip().partition(": ")
        value = value.strip()
        if value[:1] in ("'", '"'):
            assert value[-1] == value[0]
            value = value[1:-1]
        hooks[-1][name] = value
    return hooks


def test_pre_commit_hook_runs_lint_on_recipe_files() -> None:
    [hook] = _hooks((ROOT / ".pre-commit-hooks.yaml").read_text(encoding="utf-8"))
    assert {k: hook[k] for k in ("id", "entry", "language")} == {
        "id": "deidc-lint", "entry": "deidc lint", "language": "python"}
    files = re.compile(hook["files"])
    for path in ("deid.dicom", "recipes/deid.dicom.xray.chest", "a/b/my.deid", "deid"):
        assert files.search(path), path
    for path in ("deidc/cli.py", "README.md", "notes/deidc/x.txt", "my.deid.bak"):
        assert not files.search(path), path
