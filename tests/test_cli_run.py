from __future__ import annotations

import hashlib
import io
import json
import re
import shutil
import time
from pathlib import Path
from typing import BinaryIO

import pydicom
import pytest

import deidc.batch
import deidc.dicom.utils
from deidc.cli import main

VARS = ["--var", "id=new-cookie-id", "--var", "source_id=new-operator-id"]
#: where each cookie file goes in the input tree (folders nested on purpose)
LAYOUT = {"image1.dcm": "a/image1.dcm", "image2.dcm": "a/image2.dcm", "image3.dcm": "b/c/image3.dcm",
          "image4.dcm": "image4.dcm"}
#: the order files are processed in: each folder's files (sorted), then its subfolders (sorted)
ORDER = ["image4.dcm", "a/image1.dcm", "a/image2.dcm", "b/c/image3.dcm"]


@pytest.fixture
def inputs(tmp_path: Path, cookies: list[str]) -> Path:
    """Return a folder of four cookie files in nested folders."""
    root = tmp_path / "in"
    by_name = {Path(c).name: c for c in cookies}
    for name, relative in LAYOUT.items():
        target = root / relative
        target.parent.mkdir(parents=True, exist_ok=True)
        shutil.copyfile(by_name[name], target)
    return root


def _files(root: Path) -> dict[str, bytes]:
    return {p.relative_to(root).as_posix(): p.read_bytes() for p in sorted(root.rglob("*")) if p.is_file()}


def _hashes(root: Path) -> dict[str, str]:
    return {name: hashlib.sha256(data).hexdigest() for name, data in _files(root).items()}


def _table(out: str) -> dict[str, int]:
    """Read the summary table: label → count."""
    rows = (re.fullmatch(r"\s*(\S.*?)\s+(\d+)", line) for line in out.splitlines())
    return {m.group(1): int(m.group(2)) for m in rows if m}


def test_run_writes_each_file_under_out_with_its_relative_path(
    groups_recipe: str, inputs: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str],
) -> None:
    out = tmp_path / "out"
    assert main(["run", groups_recipe, str(inputs), "-o", str(out), "-j", "1", *VARS]) == 0
    assert sorted(_files(out)) == sorted(LAYOUT.values())
    cleaned = pydicom.dcmread(out / "b" / "c" / "image3.dcm")
    assert (cleaned.PatientID, cleaned.OperatorsName, cleaned.PatientIdentityRemoved) == (
        "new-cookie-id", "new-operator-id", "Yes")
    assert "SOPInstanceUID" not in cleaned
    table = _table(capsys.readouterr().out)
    assert (table["files processed"], table["written"], table["skipped (exists)"], table["failed"]) == (4, 4, 0, 0)
    assert (table["ADD"], table["REPLACE"], table["REMOVE"], table["BLANK"], table["JITTER"]) == (4, 8, 20, 0, 0)
    assert table["elements changed"] == 32


def test_dry_run_writes_nothing_and_prints_the_same_table(
    groups_recipe: str, inputs: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str],
) -> None:
    out = tmp_path / "out"
    assert main(["run", groups_recipe, str(inputs), "-o", str(out), "--dry-run", "-j", "1", *VARS]) == 0
    assert not out.exists()
    printed = capsys.readouterr().out
    assert printed.startswith("dry run: no file was written\n")
    table = _table(printed)
    assert (table["files processed"], table["would be written"], table["REPLACE"], table["REMOVE"]) == (4, 4, 8, 20)


def test_dry_run_needs_no_output_folder(groups_recipe: str, inputs: Path, capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["run", groups_recipe, str(inputs), "--dry-run", "-j", "1", *VARS]) == 0
    assert _table(capsys.readouterr().out)["ADD"] == 4


def test_missing_variable_exits_one_naming_it_and_its_line_and_writes_nothing(
    groups_recipe: str, inputs: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str],
) -> None:
    out = tmp_path / "out"
    assert main(["run", groups_recipe, str(inputs), "-o", str(out), "--var", "id=x"]) == 1
    printed, err = capsys.readouterr()
    assert printed == ""
    assert "error[DEID401]: the recipe needs the variable 'source_id'" in err
    assert "deid.dicom-groups:16: REPLACE values:operator_names var:source_id" in err
    assert "--var source_id=VALUE" in err
    assert "'id'" not in err
    assert not out.exists()


def test_recipe_error_exits_one_before_touching_anything(
    inputs: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str],
) -> None:
    recipe = tmp_path / "bad.deid"
    recipe.write_text("FORMAT dicom\n%header\nREPLAC PatientName x\n", encoding="utf-8")
    out = tmp_path / "out"
    assert main(["run", str(recipe), str(inputs), "-o", str(out)]) == 1
    printed, err = capsys.readouterr()
    assert printed == ""
    assert f"{recipe}:3:1: error[DEID101]: unknown action 'REPLAC'" in err
    assert "3 | REPLAC PatientName x" in err
    assert not out.exists()


def test_existing_output_is_kept_without_overwrite_and_replaced_with_it(
    groups_recipe: str, inputs: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str],
) -> None:
    out = tmp_path / "out"
    (out / "a").mkdir(parents=True)
    (out / "a" / "image1.dcm").write_bytes(b"sentinel")
    assert main(["run", groups_recipe, str(inputs), "-o", str(out), "-j", "1", *VARS]) == 0
    assert (out / "a" / "image1.dcm").read_bytes() == b"sentinel"
    printed = capsys.readouterr().out
    table = _table(printed)
    assert (table["written"], table["skipped (exists)"], table["failed"]) == (3, 1, 0)
    assert f"skipped  {inputs / 'a' / 'image1.dcm'}  DEID404  {out / 'a' / 'image1.dcm'} exists" in printed
    assert main(["run", groups_recipe, str(inputs), "-o", str(out), "-j", "1", "--overwrite", *VARS]) == 0
    assert pydicom.dcmread(out / "a" / "image1.dcm").PatientID == "new-cookie-id"
    assert _table(capsys.readouterr().out)["written"] == 4


def test_corrupt_file_fails_alone_and_is_named_in_the_summary(
    groups_recipe: str, inputs: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str],
) -> None:
    bad = inputs / "b" / "broken.dcm"
    bad.write_bytes(b"this is not DICOM")
    out = tmp_path / "out"
    assert main(["run", groups_recipe, str(inputs), "-o", str(out), "-j", "1", *VARS]) == 1
    assert sorted(_files(out)) == sorted(LAYOUT.values())
    printed = capsys.readouterr().out
    table = _table(printed)
    assert (table["files processed"], table["written"], table["failed"]) == (5, 4, 1)
    [line] = [line for line in printed.splitlines() if line.startswith("failed ")]
    assert line.startswith(f"failed   {bad}  DEID403  cannot read as DICOM")


def test_two_jobs_write_the_same_bytes_as_one(
    groups_recipe: str, inputs: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str],
) -> None:
    assert main(["run", groups_recipe, str(inputs), "-o", str(tmp_path / "one"), "-j", "1", *VARS]) == 0
    first = capsys.readouterr().out
    assert main(["run", groups_recipe, str(inputs), "-o", str(tmp_path / "two"), "-j", "2", *VARS]) == 0
    assert capsys.readouterr().out == first
    assert _files(tmp_path / "one") == _files(tmp_path / "two")


def _record(path: Path) -> list[dict[str, object]]:
    return [json.loads(line) for line in path.read_text(encoding="utf-8").splitlines()]


def test_record_has_one_line_per_file_and_no_original_values(
    groups_recipe: str, inputs: Path, tmp_path: Path,
) -> None:
    record = tmp_path / "changes.jsonl"
    out = tmp_path / "out"
    assert main(["run", groups_recipe, str(inputs), "-o", str(out), "-j", "1", "--record", str(record), *VARS]) == 0
    lines = _record(record)
    assert [line["file"] for line in lines] == [str(inputs / r) for r in ORDER]
    assert all(set(line) == {"file", "output", "ok", "changes"} and line["ok"] for line in lines)
    assert lines[0]["output"] == str(out / "image4.dcm")
    changes = lines[0]["changes"]
    assert isinstance(changes, list)
    assert all(set(c) == {"element", "keyword", "action", "origin", "after"} for c in changes)
    [patient] = [c for c in changes if c["keyword"] == "PatientID"]
    assert patient == {"element": "(0010,0020)", "keyword": "PatientID", "action": "REPLACE",
                       "origin": f"{groups_recipe}:15", "after": "new-cookie-id"}
    text = record.read_text(encoding="utf-8")
    assert "cookie-47" not in text and "fragrant pond" not in text


def test_record_values_adds_the_original_values(groups_recipe: str, inputs: Path, tmp_path: Path) -> None:
    record = tmp_path / "changes.jsonl"
    assert main(["run", groups_recipe, str(inputs), "-o", str(tmp_path / "out"), "-j", "1", "--record", str(record),
                 "--record-values", *VARS]) == 0
    changes = _record(record)[0]["changes"]
    assert isinstance(changes, list)
    [patient] = [c for c in changes if c["keyword"] == "PatientID"]
    assert (patient["before"], patient["after"]) == ("cookie-47", "new-cookie-id")


def test_existing_record_is_refused_without_overwrite(
    groups_recipe: str, inputs: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str],
) -> None:
    record = tmp_path / "changes.jsonl"
    record.write_text("keep me\n", encoding="utf-8")
    assert main(["run", groups_recipe, str(inputs), "-o", str(tmp_path / "out"), "--record", str(record),
                 *VARS]) == 2
    assert "exists (use --overwrite to replace it)" in capsys.readouterr().err
    assert record.read_text(encoding="utf-8") == "keep me\n"
    assert not (tmp_path / "out").exists()


@pytest.mark.parametrize("inside", ["", "out", "a/out"])
def test_output_in_or_equal_to_an_input_folder_is_refused(
    inside: str, groups_recipe: str, inputs: Path, capsys: pytest.CaptureFixture[str],
) -> None:
    before = _hashes(inputs)
    out = inputs / inside if inside else inputs
    assert main(["run", groups_recipe, str(inputs), "-o", str(out), *VARS]) == 2
    assert "inside the input folder" in capsys.readouterr().err
    assert _hashes(inputs) == before
    assert sorted(p.relative_to(inputs).as_posix() for p in inputs.rglob("*") if p.is_dir()) == ["a", "b", "b/c"]


def test_output_folder_holding_an_input_file_is_refused(
    groups_recipe: str, inputs: Path, capsys: pytest.CaptureFixture[str],
) -> None:
    one = inputs / "a" / "image1.dcm"
    assert main(["run", groups_recipe, str(one), "-o", str(one.parent), "--overwrite", *VARS]) == 2
    assert "which its output would replace" in capsys.readouterr().err


def test_inputs_are_byte_for_byte_unchanged_after_runs(
    groups_recipe: str, inputs: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str],
) -> None:
    before = _hashes(inputs)
    out = tmp_path / "out"
    assert main(["run", groups_recipe, str(inputs), "-o", str(out), "-j", "2", *VARS]) == 0
    assert main(["run", groups_recipe, str(inputs), "-o", str(out), "-j", "1", "--overwrite", "--strip-sequences",
                 "--remove-private", *VARS]) == 0
    assert _hashes(inputs) == before
    written = _hashes(out)
    assert sorted(written) == sorted(before) and all(written[k] != before[k] for k in before)


def _fail_second_save(monkeypatch: pytest.MonkeyPatch, error: BaseException) -> list[str]:
    """Make the second write of an output write half a file and then raise ``error``; return the paths it saw."""
    original = deidc.dicom.utils.save  # what write_atomic writes with
    seen: list[str] = []

    def save(dataset: pydicom.Dataset, stream: BinaryIO) -> None:
        seen.append(str(stream.name))  # the temporary file write_atomic writes through
        if len(seen) == 2:
            stream.write(b"DICM half a file")
            raise error
        original(dataset, stream)

    monkeypatch.setattr(deidc.dicom.utils, "save", save)
    return seen


def _leftovers(root: Path) -> list[str]:
    return [p.name for p in root.rglob("*") if p.name.endswith(".part") or p.name.startswith(".deidc-")]


def test_failed_write_leaves_no_partial_file(
    groups_recipe: str, inputs: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch,
    capsys: pytest.CaptureFixture[str],
) -> None:
    seen = _fail_second_save(monkeypatch, OSError(28, "No space left on device"))
    out = tmp_path / "out"
    assert main(["run", groups_recipe, str(inputs), "-o", str(out), "-j", "1", *VARS]) == 1
    # a named temporary file, or (Linux) a file with no name yet that was to become the output
    assert Path(seen[1]).name.endswith(".part") or seen[1] == str(out / "a" / "image1.dcm")
    assert _leftovers(out) == []
    assert sorted(_files(out)) == ["a/image2.dcm", "b/c/image3.dcm", "image4.dcm"]
    printed = capsys.readouterr().out
    assert f"failed   {inputs / 'a' / 'image1.dcm'}  DEID403  cannot write {out / 'a' / 'image1.dcm'}" in printed


def test_interrupted_run_leaves_no_partial_output_or_record(
    groups_recipe: str, inputs: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch,
    capsys: pytest.CaptureFixture[str],
) -> None:
    _fail_second_save(monkeypatch, KeyboardInterrupt())
    out = tmp_path / "out"
    record = tmp_path / "changes.jsonl"
    assert main(["run", groups_recipe, str(inputs), "-o", str(out), "-j", "1", "--record", str(record), *VARS]) == 130
    assert "interrupted" in capsys.readouterr().err
    assert _leftovers(tmp_path) == []
    assert sorted(_files(out)) == ["image4.dcm"]
    assert pydicom.dcmread(out / "image4.dcm").PatientID == "new-cookie-id"
    assert not record.exists()


def test_verbose_prints_one_line_per_file(
    groups_recipe: str, inputs: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str],
) -> None:
    out = tmp_path / "out"
    assert main(["run", groups_recipe, str(inputs), "-o", str(out), "-j", "1", "-v", *VARS]) == 0
    lines = capsys.readouterr().out.splitlines()
    assert lines[:4] == [f"{inputs / r} → {out / r} (8 changes)" for r in ORDER]


def test_progress_bar_only_on_a_terminal(
    groups_recipe: str, inputs: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch,
    capsys: pytest.CaptureFixture[str],
) -> None:
    assert main(["run", groups_recipe, str(inputs), "--dry-run", "-j", "1", *VARS]) == 0
    err = capsys.readouterr().err  # the recipe's own warning (DEID311, 'Yes'), and no progress bar
    assert "file/s" not in err and "DEID311" in err

    class Terminal(io.StringIO):
        def isatty(self) -> bool:
            return True

    terminal = Terminal()
    monkeypatch.setattr("sys.stderr", terminal)
    assert main(["run", groups_recipe, str(inputs), "--dry-run", "-j", "1", *VARS]) == 0
    assert "4/4" in terminal.getvalue() and "file/s" in terminal.getvalue()


def test_dataset_option_adds_a_deid_data_folder(
    groups_recipe: str, tmp_path: Path, cookies: list[str], capsys: pytest.CaptureFixture[str],
) -> None:
    out = tmp_path / "out"
    assert main(["run", groups_recipe, "--dataset", "dicom-cookies", "-o", str(out), *VARS]) == 0
    assert sorted(_files(out)) == sorted(Path(c).name for c in cookies)
    assert _table(capsys.readouterr().out)["written"] == len(cookies)


@pytest.mark.parametrize("extra", [[], ["-j", "0"], ["--var", "novalue"], ["--dataset", "nope"],
                                   *(["--timeout", seconds] for seconds in ("0", "-3", "soon", "nan", "inf"))])
def test_bad_usage_exits_two_and_writes_nothing(
    extra: list[str], groups_recipe: str, inputs: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str],
) -> None:
    output = ["-o", str(tmp_path / "out")] if extra else []
    assert main(["run", groups_recipe, str(inputs), *output, *extra, *VARS]) == 2
    assert "error" in capsys.readouterr().err
    assert not (tmp_path / "out").exists()


def test_missing_input_exits_two(groups_recipe: str, tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    missing = tmp_path / "nope"
    assert main(["run", groups_recipe, str(missing), "-o", str(tmp_path / "out"), *VARS]) == 2
    assert capsys.readouterr().err == f"deidc: error: cannot read {missing}: No such file or directory\n"


def test_very_verbose_lists_each_change_with_its_recipe_line(tmp_path: Path,
                                                             capsys: pytest.CaptureFixture[str]) -> None:
    recipe = Path(__file__).resolve().parents[1] / "examples" / "deid" / "deid.dicom-groups"
    code = main(["run", str(recipe), "--dataset", "dicom-cookies", "-o", str(tmp_path / "out"),
                 "--var", "id=new-cookie-id", "--var", "source_id=new-operator-id", "-vv", "-j", "1"])
    out = capsys.readouterr().out
    assert code == 0
    assert "    REPLACE PatientID (0010,0020) = 'new-cookie-id'  ← " in out
    assert out.count("    REMOVE  SOPInstanceUID (0008,0018)  ← ") == 7


def test_a_file_over_the_time_limit_fails_and_the_others_are_written(
    groups_recipe: str, inputs: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch,
    capsys: pytest.CaptureFixture[str],
) -> None:
    real = deidc.batch.process_file

    def stuck(plan: object, path: str, relative: str, options: object, matcher: object) -> object:
        if relative.endswith("image1.dcm"):
            time.sleep(600)  # stuck: only the time limit ends it
        return real(plan, path, relative, options, matcher)  # type: ignore[arg-type]

    monkeypatch.setattr(deidc.batch, "process_file", stuck)  # inherited by the worker process
    out = tmp_path / "out"
    assert main(["run", groups_recipe, str(inputs), "-o", str(out), "-j", "1", "--timeout", "1", *VARS]) == 1
    printed = capsys.readouterr().out
    assert f"failed   {inputs / 'a' / 'image1.dcm'}  DEID403  the worker process died while processing this file " \
           "(stopped after the time limit of 1 s per file)" in printed
    assert sorted(_files(out)) == ["a/image2.dcm", "b/c/image3.dcm", "image4.dcm"]
