"""``replace_identifiers(..., save=True)`` runs a file as a batch does, and writes what the in-memory run writes.

A file whose dataset is only written (the caller gets its path) is read by deidc's
reader and run with ``reuse_raw`` (untouched elements copied as read, new ASCII values put
in as bytes), as in ``deidc run``. The bytes written must be those of the datasets the
same call returns without ``save``, written by pydicom; a dataset the caller passes is
still changed in place, as deid does.
"""

from __future__ import annotations

import io
import shutil
import warnings
from pathlib import Path

import pydicom
import pytest
import samples
from pydicom.data import get_testdata_file

import deidc.dicom.parser as parser_module
from deidc.config import DeidRecipe
from deidc.dicom import replace_identifiers

FILES = ["CT_small.dcm", "MR_small.dcm", "rtplan.dcm", "rtstruct.dcm", "nested_priv_SQ.dcm", "MR_small_implicit.dcm",
         "MR_small_bigendian.dcm", "JPEG2000.dcm", "waveform_ecg.dcm"]


@pytest.fixture(scope="module")
def inputs(tmp_path_factory: pytest.TempPathFactory) -> list[str]:
    folder = tmp_path_factory.mktemp("inputs")
    copied = []
    for name in FILES:
        found = get_testdata_file(name)
        assert isinstance(found, str), name
        copied.append(str(shutil.copy(found, folder / name)))
    return copied


@pytest.fixture
def seen(monkeypatch: pytest.MonkeyPatch) -> list[bool]:
    """Each run of the engine by the API, in order: whether it ran as a batch does (``reuse_raw``)."""
    runs: list[bool] = []
    real = parser_module.execute

    def recording(*args: object, **kwargs: object) -> object:
        runs.append(bool(kwargs.get("reuse_raw")))
        return real(*args, **kwargs)  # type: ignore[arg-type]

    monkeypatch.setattr(parser_module, "execute", recording)
    return runs


def _ids(paths: list[str]) -> dict[str, dict[str, object]]:
    return {path: dict(samples.VARIABLES) for path in paths}


def _as_written(dataset: pydicom.Dataset) -> bytes:
    buffer = io.BytesIO()
    dataset.save_as(buffer, enforce_file_format=False)
    return buffer.getvalue()


@pytest.mark.parametrize("recipe", sorted(samples.RECIPE_PATHS))
def test_saved_files_hold_the_bytes_of_the_datasets_returned_without_save(recipe: str, inputs: list[str],
                                                                          tmp_path: Path) -> None:
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        in_memory = replace_identifiers(inputs, ids=_ids(inputs), deid=DeidRecipe(str(samples.RECIPE_PATHS[recipe])))
        written = replace_identifiers(inputs, ids=_ids(inputs), deid=DeidRecipe(str(samples.RECIPE_PATHS[recipe])),
                                      output_folder=str(tmp_path))
    assert not in_memory.failures and not written.failures
    assert [Path(p).name for p in written] == FILES
    for dataset, path in zip(in_memory, written, strict=True):
        assert Path(path).read_bytes() == _as_written(dataset), (recipe, path)  # type: ignore[arg-type]


def test_only_files_written_and_dropped_run_as_a_batch(inputs: list[str], tmp_path: Path, seen: list[bool]) -> None:
    for folder in ("a", "b"):
        (tmp_path / folder).mkdir()
    recipe = DeidRecipe(str(samples.RECIPE_PATHS["groups"]))
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        replace_identifiers(inputs[:2], ids=_ids(inputs), deid=recipe, output_folder=str(tmp_path / "a"))
        assert seen == [True, True]  # the files: read, run and written as a batch does
        seen.clear()
        replace_identifiers(inputs[:2], ids=_ids(inputs), deid=recipe)
        assert seen == [False, False]  # the datasets are returned
        seen.clear()
        caller = pydicom.dcmread(inputs[0])
        before = caller.PatientID
        replace_identifiers([caller], ids=_ids(inputs[:1]), deid=recipe,
                            output_folder=str(tmp_path / "b"))
    assert seen == [False]  # a caller's dataset, changed in place: its elements are left decoded
    assert caller.PatientID != before and caller.PatientID == samples.VARIABLES["id"]


def test_a_config_with_put_actions_writes_the_same_bytes(inputs: list[str], tmp_path: Path, seen: list[bool]) -> None:
    (tmp_path / "out").mkdir()
    config = tmp_path / "config.json"
    config.write_text('{"get": {"skip": ["PixelData"]}, "put": {"actions": [{"action": "BLANK", '
                      '"field": "StudyDate"}]}}', encoding="utf-8")
    recipe = DeidRecipe(str(samples.RECIPE_PATHS["groups"]))
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        in_memory = replace_identifiers(inputs, ids=_ids(inputs), deid=recipe, config=str(config))
        written = replace_identifiers(inputs, ids=_ids(inputs), deid=recipe, config=str(config),
                                      output_folder=str(tmp_path / "out"))
    assert seen == [False] * 4 * len(inputs)  # the recipe, then the put actions, on datasets left decoded
    for dataset, path in zip(in_memory, written, strict=True):
        assert Path(path).read_bytes() == _as_written(dataset)  # type: ignore[arg-type]
        assert pydicom.dcmread(path, force=True).get("StudyDate", "") == ""
