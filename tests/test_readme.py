"""The README's commands and Python examples are true."""

from __future__ import annotations

import re
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]
README = (ROOT / "README.md").read_text(encoding="utf-8")


def python_blocks() -> list[str]:
    return re.findall(r"```python\n(.*?)```", README, flags=re.S)


@pytest.mark.parametrize("index", range(len(python_blocks())))
def test_python_examples_run(index: int, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    shutil.copytree(ROOT / "examples", tmp_path / "examples")
    monkeypatch.chdir(tmp_path)
    exec(compile(python_blocks()[index], f"README block {index}", "exec"), {})  # noqa: S102


def test_readme_opens_with_the_main_job_and_the_test_command() -> None:
    commands = re.findall(r"```bash\n(.*?)\n```", README, flags=re.S)
    assert "deidc run examples/deid/deid.dicom-groups --dataset dicom-cookies" in commands[0]
    assert commands[1].endswith("-m pytest")
    ci = (ROOT / ".ci" / "run").read_text(encoding="utf-8")
    assert "-m pytest" in ci and '-e ".[test,dev]"' in ci and '-e ".[test,dev]"' in commands[1]


def test_main_job_runs_on_the_bundled_sample(tmp_path: Path) -> None:
    command = [sys.executable, "-m", "deidc", "run", str(ROOT / "examples/deid/deid.dicom-groups"),
               "--dataset", "dicom-cookies", "-o", str(tmp_path / "out"), "--var", "id=new-cookie-id",
               "--var", "source_id=new-operator-id"]
    done = subprocess.run(command, capture_output=True, text=True, check=False)
    assert done.returncode == 0, done.stderr
    assert "written            7" in done.stdout
    assert sorted(p.name for p in (tmp_path / "out").iterdir()) == [f"image{i}.dcm" for i in range(1, 8)]
