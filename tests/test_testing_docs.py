"""The worked example of docs/testing.md runs as written: its Python blocks, in order, in one namespace."""

from __future__ import annotations

import re
from pathlib import Path

import pytest

DOC = Path(__file__).resolve().parents[1] / "docs" / "testing.md"
BLOCK = re.compile(r"^```python\n(.*?)^```$", re.DOTALL | re.MULTILINE)


def _blocks() -> list[str]:
    return BLOCK.findall(DOC.read_text(encoding="utf-8"))


def test_testing_page_has_a_worked_example() -> None:
    blocks = _blocks()
    assert len(blocks) >= 5
    assert any("assert_removes_phi" in block for block in blocks)


def test_testing_page_code_blocks_run_in_order(tmp_path: Path, monkeypatch: pytest.MonkeyPatch,
                                               capsys: pytest.CaptureFixture[str]) -> None:
    monkeypatch.chdir(tmp_path)
    namespace: dict[str, object] = {"__name__": "docs_testing"}
    for number, block in enumerate(_blocks(), start=1):
        exec(compile(block, f"{DOC.name}[block {number}]", "exec"), namespace)
    printed = capsys.readouterr().out
    assert "leaks PHI" in printed
    assert "KEEP OtherPatientIDsSequence" in printed
