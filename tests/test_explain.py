"""``deidc explain`` and :mod:`deidc.explain`.

Set ``DEIDC_UPDATE_GOLDEN=1`` to rewrite the ``explain_*.txt`` goldens.
"""

from __future__ import annotations

import copy
import importlib.resources
import os
import shutil
from pathlib import Path

import pydicom
import pytest

from deidc.cli import main
from deidc.compiler import compile_recipe
from deidc.explain import ElementReport, Explanation, Status, explain, explanation_text, show_value
from deidc.plan import Plan

ROOT = Path(__file__).resolve().parents[1]
GOLDEN = ROOT / "tests" / "golden"
UPDATE = os.environ.get("DEIDC_UPDATE_GOLDEN") == "1"
GROUPS = "examples/deid/deid.dicom-groups"
GROUPS_VARS = ["--var", "id=new-cookie-id", "--var", "source_id=new-operator-id"]
DEFAULT_VARS = ["--var", "entity_timestamp=20200101", "--var", "item_timestamp=20200102", "--var", "entity_id=ent-1",
                "--var", "item_id=item-1"]


def _check_golden(text: str, name: str) -> None:
    golden = GOLDEN / name
    if UPDATE:
        golden.write_text(text, encoding="utf-8")
    assert golden.exists(), f"no golden {name}: run with DEIDC_UPDATE_GOLDEN=1"
    assert text == golden.read_text(encoding="utf-8")


def _explain_in(tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str],
                recipe: tuple[str, Path], dicom: str, variables: list[str]) -> str:
    """Copy a recipe and a file into a temporary folder, explain there, and return stdout (paths are relative)."""
    (tmp_path / recipe[0]).parent.mkdir(parents=True, exist_ok=True)
    shutil.copyfile(recipe[1], tmp_path / recipe[0])
    shutil.copyfile(dicom, tmp_path / Path(dicom).name)
    monkeypatch.chdir(tmp_path)
    assert main(["explain", recipe[0], Path(dicom).name, *variables]) == 0
    return capsys.readouterr().out


def test_user_example_on_image1_matches_golden(
    cookies: list[str], tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str],
) -> None:
    out = _explain_in(tmp_path, monkeypatch, capsys, (GROUPS, ROOT / GROUPS), cookies[0], GROUPS_VARS)
    _check_golden(out, "explain_dicom_groups_image1.txt")


def test_deid_default_recipe_on_ctbrain1_matches_golden(
    humans: list[str], tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str],
) -> None:
    recipe = Path(str(importlib.resources.files("deid") / "data" / "deid.dicom"))
    [ctbrain1] = [h for h in humans if h.endswith("ctbrain1.dcm")]
    out = _explain_in(tmp_path, monkeypatch, capsys, ("deid.dicom", recipe), ctbrain1, DEFAULT_VARS)
    _check_golden(out, "explain_deid_default_ctbrain1.txt")


def test_user_example_shows_patient_id_before_after_and_its_line(
    cookies: list[str], tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str],
) -> None:
    out = _explain_in(tmp_path, monkeypatch, capsys, (GROUPS, ROOT / GROUPS), cookies[0], GROUPS_VARS)
    block = out[out.index("\nPatientID (0010,0020)") + 1:].split("\n\n")[0].splitlines()
    assert block == [
        "PatientID (0010,0020): 'cookie-47' → 'new-cookie-id'",
        f"  decided     {GROUPS}:15  REPLACE values:cookie_names var:id",
    ]


def _plan(text: str) -> Plan:
    compiled = compile_recipe(text, path="r.deid")
    assert compiled.plan is not None, compiled.diagnostics
    return compiled.plan


def _element(explanation: Explanation, name: str) -> ElementReport:
    [found] = [e for e in explanation.elements if e.name == name]
    return found


def _summary(report: ElementReport) -> list[tuple[str, str, str]]:
    return [(r.status.value, r.origin, r.text) for r in report.rules]


def test_remove_all_spared_by_a_later_replace_is_shown_overridden(cookies: list[str]) -> None:
    plan = _plan("FORMAT dicom\n%header\nREMOVE ALL\nREPLACE PatientID x\n")
    report = _element(explain(plan, pydicom.dcmread(cookies[0]), {}), "PatientID")
    assert (report.before, report.after, report.exists) == ("cookie-47", "x", True)
    assert _summary(report) == [("decided", "r.deid:4", "REPLACE PatientID x"),
                                ("overridden", "r.deid:3", "REMOVE ALL")]
    assert report.rules[1].note == "spared: REPLACE at r.deid:4 writes this element"


def test_earlier_change_is_overridden_by_a_later_one(cookies: list[str]) -> None:
    plan = _plan("FORMAT dicom\n%header\nREPLACE PatientID first\nBLANK PatientID\nREPLACE PatientID last\n")
    report = _element(explain(plan, pydicom.dcmread(cookies[0]), {}), "PatientID")
    assert report.after == "last"
    assert [r.status for r in report.rules] == [Status.DECIDED, Status.OVERRIDDEN, Status.OVERRIDDEN]
    assert report.rules[1].note == "REPLACE at r.deid:5 changed it later"


def test_keep_hides_the_element_from_other_actions(cookies: list[str]) -> None:
    plan = _plan("FORMAT dicom\n%header\nREMOVE ALL\nKEEP PatientID\nREPLACE PatientID x\n")
    explanation = explain(plan, pydicom.dcmread(cookies[0]), {})
    report = _element(explanation, "PatientID")
    assert (report.before, report.after) == ("cookie-47", "cookie-47")
    assert _summary(report) == [("decided", "r.deid:4", "KEEP PatientID"), ("hidden", "r.deid:3", "REMOVE ALL"),
                                ("hidden", "r.deid:5", "REPLACE PatientID x")]
    text = explanation_text(explanation)
    assert "PatientID (0010,0020): 'cookie-47' (kept)\n" in text
    assert "  hidden      r.deid:3  REMOVE ALL  (KEEP at r.deid:4 hides this element)\n" in text


def test_second_remove_of_a_removed_element_has_no_effect(cookies: list[str]) -> None:
    plan = _plan("FORMAT dicom\n%header\nREMOVE PatientID\nREMOVE contains:Patient\n")
    report = _element(explain(plan, pydicom.dcmread(cookies[0]), {}), "PatientID")
    assert not report.exists
    assert report.rules[1].status is Status.NO_EFFECT
    assert report.rules[1].note == "already removed by r.deid:3"


def test_nested_elements_are_named_by_path_and_address(humans: list[str]) -> None:
    plan = _plan("FORMAT dicom\n%header\nREPLACE ReferencedSOPInstanceUID 1.2.3\n")
    [ctbrain1] = [h for h in humans if h.endswith("ctbrain1.dcm")]
    text = explanation_text(explain(plan, pydicom.dcmread(ctbrain1), {}, file="ctbrain1.dcm"))
    assert ("\nReferencedImageSequence[0].ReferencedSOPInstanceUID (0008,1140)/0/(0008,1155): "
            "'1.3.12.2.1107.5.1.4.65515.9999988887777…' → '1.2.3'\n") in text


def test_explain_leaves_the_dataset_unchanged(cookies: list[str]) -> None:
    dataset = pydicom.dcmread(cookies[0])
    before = copy.deepcopy(dataset)
    explanation = explain(_plan("FORMAT dicom\n%header\nREMOVE ALL\nADD PatientIdentityRemoved YES\n"), dataset, {})
    assert len(explanation.elements) > 10
    assert dataset == before


def test_element_no_step_touches_is_left_out(cookies: list[str]) -> None:
    explanation = explain(_plan("FORMAT dicom\n%header\nBLANK PatientName\n"), pydicom.dcmread(cookies[0]), {})
    assert [e.name for e in explanation.elements] == ["PatientName"]


def test_long_values_are_cut_to_the_width() -> None:
    assert show_value("x" * 100) == "'" + "x" * 39 + "…'"
    assert show_value("a\nb") == "'a\\nb'"
    assert show_value(b"\x00" * 8) == "<8 bytes>"
    assert show_value("") == "(empty)"


def test_explain_with_a_missing_variable_exits_one(
    cookies: list[str], capsys: pytest.CaptureFixture[str],
) -> None:
    assert main(["explain", str(ROOT / GROUPS), cookies[0], "--var", "id=x"]) == 1
    captured = capsys.readouterr()
    assert captured.out == ""
    assert "the recipe needs the variable 'source_id'" in captured.err


def test_explain_of_a_file_that_is_not_dicom_exits_two(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    bad = tmp_path / "bad.dcm"
    bad.write_bytes(b"not DICOM")
    assert main(["explain", str(ROOT / GROUPS), str(bad), *GROUPS_VARS]) == 2
    assert f"cannot read {bad} as DICOM" in capsys.readouterr().err


def test_items_of_a_removed_sequence_are_removed_with_it(humans: list[str]) -> None:
    plan = _plan("FORMAT dicom\n%header\nREMOVE ALL\n")
    [ctbrain1] = [h for h in humans if h.endswith("ctbrain1.dcm")]
    report = _element(explain(plan, pydicom.dcmread(ctbrain1), {}), "ReferencedImageSequence[0].ReferencedSOPClassUID")
    assert not report.exists
    assert _summary(report) == [("decided", "r.deid:3", "REMOVE ALL")]
    assert report.rules[0].note == "removed with its sequence"


def test_add_overrides_keep(cookies: list[str]) -> None:
    plan = _plan("FORMAT dicom\n%header\nKEEP PatientID\nADD PatientID new\n")
    report = _element(explain(plan, pydicom.dcmread(cookies[0]), {}), "PatientID")
    assert report.after == "new"
    assert _summary(report) == [("decided", "r.deid:4", "ADD PatientID new"),
                                ("overridden", "r.deid:3", "KEEP PatientID")]
