"""Files in and out: finding DICOM files, reading them, and writing them atomically."""

from __future__ import annotations

import contextlib
import fnmatch
import functools
import io
import logging
import os
import tempfile
from collections.abc import Iterator, Sequence
from typing import Final

import pydicom
from pydicom.dataset import Dataset, FileDataset
from pydicom.errors import InvalidDicomError

from deidc.errors import InputError
from deidc.runtime.reader import read
from deidc.runtime.writer import save

__all__ = ["PART_PREFIX", "dcmread", "get_files", "load_dicom", "remove_part_files", "save_dicom", "write_atomic"]

logger = logging.getLogger("deidc")


def get_files(contenders: str | os.PathLike[str] | Sequence[str | os.PathLike[str]], check: bool = True,
              pattern: str | None = None, force: bool = False, tempdir: str | None = None) -> Iterator[str]:
    """Yield the DICOM files among paths and folders (folders are walked, in sorted order).

    Args:
        contenders: a path or a list of paths; folders are searched recursively.
        check: skip files that pydicom cannot read (with a warning).
        pattern: an fnmatch pattern that file names inside folders must match.
        force: read files without the DICM preamble too.
        tempdir: unused; deid extracted zip files there (deidc does not read zip files).
    """
    items = [contenders] if isinstance(contenders, (str, os.PathLike)) else list(contenders)
    for item in items:
        path = os.fspath(item)
        if os.path.isdir(path):
            for root, dirs, files in os.walk(path):
                dirs.sort()
                for name in sorted(files):
                    if pattern is None or fnmatch.fnmatch(name, pattern):
                        yield from _checked(os.path.join(root, name), check, force)
        else:
            yield from _checked(path, check, force)


def _checked(path: str, check: bool, force: bool) -> Iterator[str]:
    if not check:
        yield path
        return
    try:
        pydicom.dcmread(path, force=force, stop_before_pixels=True)
    except (OSError, InvalidDicomError, ValueError, EOFError) as error:
        logger.warning("Cannot read input file %s, skipping: %s", path, error)
        return
    yield path


def dcmread(filename: str | os.PathLike[str], **kwargs: object) -> FileDataset:
    """Read a DICOM file with pydicom (``force=True`` unless told otherwise)."""
    kwargs.setdefault("force", True)
    return pydicom.dcmread(filename, **kwargs)  # type: ignore[arg-type]


def load_dicom(dcm_file: str | os.PathLike[str] | Dataset, force: bool = True) -> Dataset:
    """Return a dataset: a Dataset as is, or a file read as ``pydicom.dcmread`` reads it.

    Files are read by :func:`deidc.runtime.reader.read`, which returns the same dataset, faster.
    """
    if isinstance(dcm_file, Dataset):
        return dcm_file
    path = os.fspath(dcm_file)
    if not os.path.exists(path):
        raise InputError(f"{path}: no such file")
    try:
        return read(path, force=force)
    except (OSError, InvalidDicomError, ValueError, EOFError) as error:
        raise InputError(f"{path}: cannot read as DICOM: {error}") from error


#: how the temporary file of :func:`write_atomic` starts: then the writer's pid, ``-``, and a random part
PART_PREFIX: Final = ".deidc-"


def write_atomic(dataset: Dataset, target: str, overwrite: bool = False) -> bool:
    """Write ``dataset`` to ``target`` through a temporary file in the same folder.

    Where the system allows it (Linux), the temporary file has no name until it is
    complete (``O_TMPFILE``), then gets the name ``target``: nothing half written is ever
    seen, and a process killed while writing leaves nothing behind. Elsewhere, and to
    replace a file, the temporary file is ``.deidc-PID-RANDOM.part`` (PID: the writing
    process's), then renamed.

    Returns False (and writes nothing) when ``target`` exists and ``overwrite`` is off.
    A failed write leaves no partial file behind.
    """
    folder = os.path.dirname(os.path.abspath(target))
    if not overwrite and os.path.exists(target):
        return False
    if not overwrite:
        written = _write_unnamed(dataset, target, folder)
        if written is not None:
            return written
    # the writer's pid in the name: if the process dies mid-write, whoever ran it can remove its file
    handle, temporary = tempfile.mkstemp(prefix=f"{PART_PREFIX}{os.getpid()}-", suffix=".part", dir=folder)
    present = True  # the temporary file is still there (to remove, unless it became the output)
    try:
        raw = io.FileIO(handle, "wb")  # written through mkstemp's own descriptor (not opened again)
        raw.name = temporary  # type: ignore[misc]  # what the stream says it writes (fdopen would say the number)
        with io.BufferedWriter(raw) as stream:
            os.fchmod(handle, 0o666 & ~_umask())  # mkstemp makes it owner-only; outputs follow the umask
            save(dataset, stream)  # the bytes of dataset.save_as(temporary, enforce_file_format=False)
        if overwrite:
            os.replace(temporary, target)
            present = False
        else:
            try:
                os.link(temporary, target)  # fails if target appeared meanwhile: never replaces
            except FileExistsError:
                return False
            except OSError:
                if os.path.exists(target):
                    return False
                os.replace(temporary, target)
                present = False
    finally:
        if present:
            with contextlib.suppress(FileNotFoundError):
                os.unlink(temporary)
    return True


#: the flag that opens a file with no name in a folder (Linux), or 0
_UNNAMED: Final = getattr(os, "O_TMPFILE", 0)


@functools.cache
def _any_folder() -> int | None:
    """Return a folder's descriptor that makes ``os.link`` follow ``/proc/self/fd/N`` (None: no unnamed files here).

    (With a ``src_dir_fd``, ``os.link`` calls ``linkat`` with ``AT_SYMLINK_FOLLOW``; the
    path given is absolute, so the folder itself plays no part.)
    """
    if not _UNNAMED or not os.path.isdir("/proc/self/fd"):
        return None
    return os.open("/", os.O_RDONLY | os.O_DIRECTORY)


def _write_unnamed(dataset: Dataset, target: str, folder: str) -> bool | None:
    """Write ``dataset`` into a file with no name in ``folder``, then name it ``target`` (never replacing one).

    Returns whether it was written (False: ``target`` appeared meanwhile), or None when the
    system or the folder's file system has no unnamed files: write another way.
    """
    anchor = _any_folder()
    if anchor is None:
        return None
    try:
        handle = os.open(folder, _UNNAMED | os.O_WRONLY, 0o666)  # the umask applies, as to any new file
    except OSError:  # e.g. a file system without them (EOPNOTSUPP), or a folder that cannot be written
        return None
    raw = io.FileIO(handle, "wb")
    raw.name = target  # type: ignore[misc]  # what the stream says it writes (it has no name yet)
    with io.BufferedWriter(raw) as stream:  # closed: the file is gone unless it was named
        save(dataset, stream)  # the bytes of dataset.save_as(target, enforce_file_format=False)
        stream.flush()
        try:
            os.link(f"/proc/self/fd/{handle}", target, src_dir_fd=anchor)  # fails if target appeared meanwhile
        except FileExistsError:
            return False
        except OSError:
            return None  # (a /proc that does not allow it): write another way
    return True


def remove_part_files(folder: str, pid: int) -> list[str]:
    """Remove the temporary files that process ``pid`` left in ``folder`` (it died writing); return their paths.

    Only for a process that is known to be gone: the files of a live writer would vanish
    under it.
    """
    prefix = f"{PART_PREFIX}{pid}-"
    removed: list[str] = []
    try:
        names = os.listdir(folder)
    except OSError:
        return removed
    for name in names:
        if name.startswith(prefix) and name.endswith(".part"):
            path = os.path.join(folder, name)
            try:
                os.unlink(path)
            except OSError:
                continue
            removed.append(path)
    return removed


@functools.cache
def _umask() -> int:
    """Return the process's umask (read once: reading it means setting it)."""
    mask = os.umask(0)
    os.umask(mask)
    return mask


def save_dicom(dicom: Dataset, dicom_file: str | os.PathLike[str], output_folder: str | None = None,
               overwrite: bool = False) -> str:
    """Write a dataset as ``output_folder/basename(dicom_file)``; return that path.

    Without ``output_folder`` the file goes to a new temporary folder. An existing file
    is never replaced unless ``overwrite`` is true; it is logged and its path returned.
    """
    if output_folder is None:
        output_folder = tempfile.mkdtemp(prefix="deidc-")
    target = os.path.join(output_folder, os.path.basename(os.fspath(dicom_file)))
    if not write_atomic(dicom, target, overwrite):
        logger.error("%s already exists, overwrite set to False. Not writing.", os.path.basename(target))
    return target
