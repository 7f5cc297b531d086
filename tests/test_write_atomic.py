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


def test_the_output_holds_what_save_as_writes_with_the_umasks_mode(tmp_path: Path) -> None:
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


def test_an_existing_output_is_kept_unless_overwrite_is_on(tmp_path: Path) -> None:
    target = tmp_path / "out.dcm"
    target.write_bytes(b"earlier")
    assert not write_atomic(_dataset(), str(target))
    assert target.read_bytes() == b"earlier"
    assert write_atomic(_dataset(), str(target), overwrite=True)
    assert target.read_bytes() == _save_as_bytes()
    assert [p.name for p in tmp_path.iterdir()] == ["out.dcm"]


def test_a_failed_write_leaves_nothing(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    def failing(dataset: pydicom.Dataset, stream: io.BufferedWriter) -> None:
        stream.write(b"DICM half")
        assert Path(stream.name).parent == tmp_path and Path(stream.name).name.startswith(".deidc-")
        raise OSError(28, "No space left on device")

    monkeypatch.setattr(deidc.dicom.utils, "save", failing)
    with pytest.raises(OSError, match="No space"):
        write_atomic(_dataset(), str(tmp_path / "out.dcm"))
    assert list(tmp_path.iterdir()) == []
