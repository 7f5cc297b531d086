from __future__ import annotations

import importlib.resources
import json
from pathlib import Path

import pytest

from deidc.compiler import compile_recipe
from deidc.plan import Plan
from deidc.plan_json import plan_from_json, plan_to_json
from deidc.source import Source

ROOT = Path(__file__).resolve().parents[1]
MIXED = (
    'FORMAT dicom\n%values names\nSPLIT PatientName by="^";minlength=3\n%fields dates\nFIELD endswith:Date\n'
    '%header\nREPLACE (0033,"CR",1E) deid_func:pydicom_uuid prefix=1.2.\nREMOVE PatientName func:is_bad\n'
    "REMOVE ReferencedImageSequence__ReferencedSOPInstanceUID\nJITTER select:vr:DA 3\n"
    "BLANK (0008,1140)__0__(0008,1155)\nKEEP select:group:0010\nREPLACE values:names var:id\nBLANK fields:dates\n"
    "REMOVE ALL\n%labels\nADD PatientComments y\n"
    "%filter f\nLABEL x\n  contains Modality CT || equals Rows 512\n  + missing PatientName\n"
    "  ctpcoordinates 1,2,3,4\n  keepcoordinates from:RegionSequence\n"
)


def _plan(text: str, path: str) -> Plan:
    compiled = compile_recipe(Source(path, text))
    assert compiled.plan is not None, compiled.diagnostics
    return compiled.plan


def _recipe_plan(name: str) -> Plan:
    if name == "default":
        text = (importlib.resources.files("deid") / "data" / "deid.dicom").read_text(encoding="utf-8")
        return _plan(text, "deid.dicom")
    if name == "groups":
        text = (ROOT / "examples" / "deid" / "deid.dicom-groups").read_text(encoding="utf-8")
        return _plan(text, "deid.dicom-groups")
    if name == "mixed":
        return _plan(MIXED, "mixed.deid")
    return Plan()


@pytest.mark.parametrize("name", ["default", "groups", "mixed", "empty"])
def test_plan_json_round_trips_through_json_text(name: str) -> None:
    plan = _recipe_plan(name)
    data = json.loads(json.dumps(plan_to_json(plan)))
    assert data["version"] == 1
    back = plan_from_json(data)
    assert back == plan
    assert back.to_text() == plan.to_text()


def test_plan_from_json_rejects_another_version() -> None:
    data = plan_to_json(Plan())
    data["version"] = 2
    with pytest.raises(ValueError, match="unsupported plan version 2"):
        plan_from_json(data)


def test_plan_from_json_rejects_an_unknown_type() -> None:
    data = plan_to_json(_plan("FORMAT dicom\n%header\nREMOVE ALL\n", "r.deid"))
    steps = data["steps"]
    assert isinstance(steps, list) and isinstance(steps[0], dict)
    steps[0]["selector"] = {"type": "SelectEverything"}
    with pytest.raises(ValueError, match="unknown plan object type 'SelectEverything'"):
        plan_from_json(data)
