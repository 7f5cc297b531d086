"""Shared fixtures: real DICOM data (deid-data, pydicom's test files) and recipes."""

from __future__ import annotations

import os
import shutil
import tempfile
from pathlib import Path

import pytest
from hypothesis import settings

#: the parser cache of this test session (also for the CLI's subprocesses): never the user's cache folder
PARSER_CACHE = tempfile.mkdtemp(prefix="deidc-test-parser-cache-")
os.environ["DEIDC_CACHE_DIR"] = PARSER_CACHE


def pytest_unconfigure(config: pytest.Config) -> None:
    shutil.rmtree(PARSER_CACHE, ignore_errors=True)

settings.register_profile("ci", derandomize=True, deadline=None, max_examples=100)
settings.register_profile("dev", deadline=None, max_examples=50)
settings.load_profile(os.environ.get("HYPOTHESIS_PROFILE", "ci"))

ROOT = Path(__file__).resolve().parent.parent
EXAMPLES = ROOT / "examples"


@pytest.fixture(scope="session")
def cookies() -> list[str]:
    """Return the seven dicom-cookies files, sorted."""
    from deidc.data import get_dataset
    from deidc.dicom import get_files

    base = get_dataset("dicom-cookies")
    assert base is not None
    return sorted(get_files(base))


@pytest.fixture(scope="session")
def humans() -> list[str]:
    """Return the deid-data 'humans' CT files (sequences, private tags)."""
    from deidc.data import get_dataset
    from deidc.dicom import get_files

    base = get_dataset("humans")
    assert base is not None
    return sorted(get_files(base))


@pytest.fixture(scope="session")
def groups_recipe() -> str:
    """Return the path of the user's example recipe."""
    return str(EXAMPLES / "deid" / "deid.dicom-groups")
