"""The pipeline's walls (DESIGN.md, STYLE.md §3): who may import what, and module size."""

from __future__ import annotations

import ast
import subprocess
import sys
from pathlib import Path

import pytest

PACKAGE = Path(__file__).resolve().parents[1] / "deidc"
MODULES = sorted(PACKAGE.rglob("*.py"))


def module_name(path: Path) -> str:
    parts = path.relative_to(PACKAGE.parent).with_suffix("").parts
    return ".".join(parts[:-1] if parts[-1] == "__init__" else parts)


def imports(path: Path) -> set[str]:
    tree = ast.parse(path.read_text(encoding="utf-8"))
    found: set[str] = set()
    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            found |= {alias.name for alias in node.names}
        elif isinstance(node, ast.ImportFrom) and node.module and node.level == 0:
            found.add(node.module)
            found |= {f"{node.module}.{alias.name}" for alias in node.names}
    return found


def test_lark_is_imported_only_by_the_syntax_stage() -> None:
    for path in MODULES:
        name = module_name(path)
        uses_lark = any(i == "lark" or i.startswith("lark.") for i in imports(path))
        assert not uses_lark or name in ("deidc.syntax", "deidc.syntax_errors", "deidc.syntax_cache"), name


def test_the_compiler_never_sees_a_dataset() -> None:
    for path in (PACKAGE / "compiler").rglob("*.py"):
        names = imports(path)
        assert not any(i.startswith(("pydicom.dataset", "pydicom.filereader", "deidc.runtime", "deidc.dicom"))
                       for i in names), path
        text = path.read_text(encoding="utf-8")
        assert "Dataset" not in text and "dcmread" not in text, path


@pytest.mark.parametrize("stage", ["deidc.source", "deidc.ast", "deidc.codes", "deidc.diagnostics", "deidc.plan"])
def test_inner_stages_import_nothing_of_later_stages(stage: str) -> None:
    path = PACKAGE / (stage.split(".")[1] + ".py")
    later = ("deidc.syntax", "deidc.compiler", "deidc.runtime", "deidc.dicom", "deidc.config", "deidc.cli",
             "pydicom", "lark")
    assert not any(i.startswith(later) for i in imports(path)), stage


def test_only_the_runtime_changes_datasets_and_actions_return_edits() -> None:
    actions = (PACKAGE / "runtime" / "actions.py").read_text(encoding="utf-8")
    assert "ACTIONS: Final[Mapping[ActionKind, ActionFn]]" in actions
    for path in MODULES:
        name = module_name(path)
        if name.startswith(("deidc.runtime", "deidc.dicom", "deidc.testing", "deidc.batch")):
            continue
        text = path.read_text(encoding="utf-8")
        assert ".remove_private_tags(" not in text and "del dataset[" not in text, name


def test_hypothesis_is_imported_only_by_deidc_testing() -> None:
    for path in MODULES:
        name = module_name(path)
        if any(i.startswith("hypothesis") for i in imports(path)):
            assert name.startswith("deidc.testing"), name
    done = subprocess.run([sys.executable, "-c", "import deidc, deidc.dicom, deidc.cli, sys; "
                           "assert 'hypothesis' not in sys.modules"], capture_output=True, text=True, check=False)
    assert done.returncode == 0, done.stderr


def test_the_library_never_exits_or_prints() -> None:
    for path in MODULES:
        name = module_name(path)
        if name in ("deidc.cli", "deidc.__main__") or name.startswith("deidc.cli_"):
            continue
        tree = ast.parse(path.read_text(encoding="utf-8"))
        for node in ast.walk(tree):
            if isinstance(node, ast.Call) and isinstance(node.func, ast.Name):
                assert node.func.id not in ("print", "exit", "quit"), f"{name}:{node.lineno}"
            if isinstance(node, ast.Attribute) and isinstance(node.value, ast.Name):
                assert (node.value.id, node.attr) != ("sys", "exit"), f"{name}:{node.lineno}"


def test_no_eval_and_no_import_by_name() -> None:
    for path in MODULES:
        tree = ast.parse(path.read_text(encoding="utf-8"))
        for node in ast.walk(tree):
            if isinstance(node, ast.Call) and isinstance(node.func, ast.Name):
                assert node.func.id not in ("eval", "exec", "__import__"), path
            if isinstance(node, ast.Call) and isinstance(node.func, ast.Attribute):
                called = node.func.attr
                if called == "import_module":
                    assert module_name(path).startswith("deidc.testing"), path  # its lazy public names only


@pytest.mark.parametrize("path", MODULES, ids=[module_name(p) for p in MODULES])
def test_modules_stay_under_400_lines(path: Path) -> None:
    assert len(path.read_text(encoding="utf-8").splitlines()) <= 400
