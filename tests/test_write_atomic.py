"""``write_atomic``: an output appears whole or not at all, with the umask's mode, never over another file."""

from __future__ import annotations

import io
import os
import stat
from pathlib import Path

import pydicom
import pytest
from pydicom.data import get_testdata_file

import deidc.dicom.utils
from deidc.dicom.utils import write_atomic


def _dataset() -> pydicom.Dataset:
    return pydicom.dcmread(str(get_testdata_file("CT_small.dcm")))


def _save_as_bytes() -> bytes:
    out = io.BytesIO()
    _dataset().save_as(out, enforce_file_format=False)
    return out.getvalue()


@pytest.fixture(params=["unnamed", "named"])
def way(request: pytest.FixtureRequest, monkeypatch: pytest.MonkeyPatch) -> str:
    """Write both ways: through a file with no name (Linux's O_TMPFILE), and through a named temporary file."""
    if request.param == "named":
        monkeypatch.setattr(deidc.dicom.utils, "_any_folder", lambda: None)
    elif deidc.dicom.utils._any_folder() is None:
        raise AssertionError("this system has no unnamed files (O_TMPFILE): the tests expect Linux")
    return str(request.param)


def _unnamed(stream: io.BufferedWriter) -> bool:
    """Whether a stream writes a file that has no name (Linux shows its descriptor as a deleted path)."""
    return os.readlink(f"/proc/self/fd/{stream.fileno()}").endswith("(deleted)")


def test_the_output_holds_what_save_as_writes_with_the_umasks_mode(tmp_path: Path, way: str) -> None:
    old = os.umask(0o027)
    deidc.dicom.utils._umask.cache_clear()  # read once per process: read it again here
    try:
        assert write_atomic(_dataset(), str(tmp_path / "out.dcm"))
    finally:
        os.umask(old)
        deidc.dicom.utils._umask.cache_clear()
    assert (tmp_path / "out.dcm").read_bytes() == _save_as_bytes()
    assert stat.S_IMODE((tmp_path / "out.dcm").stat().st_mode) == 0o640
    assert [p.name for p in tmp_path.iterdir()] == ["out.dcm"]  # no temporary file left


def test_an_existing_output_is_kept_unless_overwrite_is_on(tmp_path: Path, way: str) -> None:
    target = tmp_path / "out.dcm"
    target.write_bytes(b"earlier")
    assert not write_atomic(_dataset(), str(target))
    assert target.read_bytes() == b"earlier"
    assert write_atomic(_dataset(), str(target), overwrite=True)
    assert target.read_bytes() == _save_as_bytes()
    assert [p.name for p in tmp_path.iterdir()] == ["out.dcm"]


def test_a_failed_write_leaves_nothing(tmp_path: Path, monkeypatch: pytest.MonkeyPatch, way: str) -> None:
    def failing(dataset: pydicom.Dataset, stream: io.BufferedWriter) -> None:
        stream.write(b"DICM half")
        if way == "unnamed":
            assert _unnamed(stream) and stream.name == str(tmp_path / "out.dcm")
        else:
            assert Path(stream.name).parent == tmp_path and Path(stream.name).name.startswith(".deidc-")
        raise OSError(28, "No space left on device")

    monkeypatch.setattr(deidc.dicom.utils, "save", failing)
    with pytest.raises(OSError, match="No space"):
        write_atomic(_dataset(), str(tmp_path / "out.dcm"))
    assert list(tmp_path.iterdir()) == []


def test_nothing_is_seen_in_the_folder_until_the_output_is_complete(tmp_path: Path, monkeypatch: pytest.MonkeyPatch,
                                                                      way: str) -> None:
    real = deidc.dicom.utils.save
    seen: list[list[str]] = []

    def watched(dataset: pydicom.Dataset, stream: io.BufferedWriter) -> None:
        real(dataset, stream)
        seen.append(sorted(p.name for p in tmp_path.iterdir()))  # written, not yet named

    monkeypatch.setattr(deidc.dicom.utils, "save", watched)
    assert write_atomic(_dataset(), str(tmp_path / "out.dcm"))
    assert (tmp_path / "out.dcm").read_bytes() == _save_as_bytes()
    if way == "unnamed":
        assert seen == [[]]
    else:
        assert len(seen[0]) == 1 and seen[0][0].startswith(".deidc-")


def test_an_output_that_appears_during_the_write_is_kept(tmp_path: Path, monkeypatch: pytest.MonkeyPatch,
                                                         way: str) -> None:
    real = deidc.dicom.utils.save
    target = tmp_path / "out.dcm"

    def racing(dataset: pydicom.Dataset, stream: io.BufferedWriter) -> None:
        real(dataset, stream)
        target.write_bytes(b"another writer")  # after the check, before the output is named

    monkeypatch.setattr(deidc.dicom.utils, "save", racing)
    assert not write_atomic(_dataset(), str(target))
    assert target.read_bytes() == b"another writer"
    assert [p.name for p in tmp_path.iterdir()] == ["out.dcm"]


def test_a_file_system_without_unnamed_files_gets_a_named_temporary_file(tmp_path: Path,
                                                                           monkeypatch: pytest.MonkeyPatch) -> None:
    real_open = os.open
    refused: list[int] = []

    def no_unnamed(path: str, flags: int, mode: int = 0o777, **kwargs: object) -> int:
        if deidc.dicom.utils._UNNAMED and flags & deidc.dicom.utils._UNNAMED == deidc.dicom.utils._UNNAMED:
            refused.append(flags)
            raise OSError(95, "Operation not supported")
        return real_open(path, flags, mode, **kwargs)  # type: ignore[arg-type]

    monkeypatch.setattr(deidc.dicom.utils.os, "open", no_unnamed)
    assert write_atomic(_dataset(), str(tmp_path / "out.dcm"))
    assert (tmp_path / "out.dcm").read_bytes() == _save_as_bytes()
    assert [p.name for p in tmp_path.iterdir()] == ["out.dcm"]
    assert len(refused) == (1 if deidc.dicom.utils._any_folder() is not None else 0)
