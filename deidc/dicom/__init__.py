"""deid's ``deid.dicom`` API over deidc's pipeline: replace ``deid`` by ``deidc`` in the imports.

Batch functions never stop at one bad file: a file that cannot be read or processed
is logged with its path and reason, left out of the result, and listed in the
result's ``failures``.
"""

from __future__ import annotations

import copy
import logging
import os
import tempfile
from collections.abc import Mapping, Sequence
from dataclasses import dataclass

from pydicom.dataset import Dataset

from deidc.compiler import missing_inputs
from deidc.config import DeidRecipe
from deidc.dicom.fields import DicomField
from deidc.dicom.parser import DicomParser, describe_missing
from deidc.dicom.utils import get_files, load_dicom, write_atomic
from deidc.errors import DeidcError, InputError
from deidc.runtime import StepError
from deidc.runtime.walk import DEFAULT_SKIP
from deidc.runtime.workset import walk

__all__ = [
    "BatchResult",
    "DicomParser",
    "FileFailure",
    "get_files",
    "get_identifiers",
    "remove_private_identifiers",
    "replace_identifiers",
]

logger = logging.getLogger("deidc")

Item = str | os.PathLike[str] | Dataset


@dataclass(frozen=True)
class FileFailure:
    """A file of a batch that could not be processed."""

    path: str  #: the input (or ``<dataset N>`` for an unnamed dataset)
    reason: str  #: why


class BatchResult(list):  # type: ignore[type-arg]
    """The results of a batch, in input order, with the files that failed in ``failures``."""

    def __init__(self) -> None:
        """Start empty."""
        super().__init__()
        self.failures: list[FileFailure] = []
        self.skipped: list[str] = []


def _items(dicom_files: Item | Sequence[Item]) -> list[Item]:
    if isinstance(dicom_files, (str, os.PathLike, Dataset)):
        return [dicom_files]
    return list(dicom_files)


def _name(item: Item, index: int) -> str:
    if isinstance(item, Dataset):
        filename = getattr(item, "filename", None)
        return filename if isinstance(filename, str) and filename else f"<dataset {index}>"
    return os.fspath(item)


def get_identifiers(dicom_files: Item | Sequence[Item], force: bool = True, config: str | None = None,
                    strip_sequences: bool = False, remove_private: bool = False, disable_skip: bool = False,
                    expand_sequences: bool = True) -> dict[str | None, dict[str, DicomField]]:
    """Return each file's fields by uid, keyed by absolute path; nothing is changed.

    ``strip_sequences`` and ``remove_private`` leave those elements out of the result
    (deid 0.4.13 accepts and ignores them).
    """
    result: dict[str | None, dict[str, DicomField]] = {}
    skip = frozenset() if disable_skip else DEFAULT_SKIP
    for index, item in enumerate(_items(dicom_files)):
        try:
            dataset = load_dicom(item, force=force)
        except InputError as error:
            logger.error("%s", error)
            continue
        if strip_sequences or remove_private:
            dataset = copy.deepcopy(dataset)
            if strip_sequences:
                for element in list(dataset):
                    if element.VR == "SQ":
                        del dataset[element.tag]
            if remove_private:
                dataset.remove_private_tags()
        filename = getattr(dataset, "filename", None)
        key = os.path.abspath(filename) if isinstance(filename, str) and filename else None
        result[key] = {e.uid: DicomField.from_entry(e) for e in walk(dataset, skip)
                       if expand_sequences or len(e.address) == 1}
        _ = index
    return result


def _lookup_for(ids: Mapping[str, Mapping[str, object]], item: Item, parser: DicomParser) -> dict[str, object]:
    found: dict[str, object] = {}
    for key in (parser.dicom_file, _name(item, 0)):
        if key is not None and key in ids:
            found.update(ids[key])
        elif key is not None and os.path.abspath(key) in ids:
            found.update(ids[os.path.abspath(key)])
    return found


def replace_identifiers(dicom_files: Item | Sequence[Item], ids: Mapping[str, Mapping[str, object]] | None = None,
                        deid: object = None, save: bool = False, overwrite: bool = False,
                        output_folder: str | os.PathLike[str] | None = None, force: bool = True,
                        config: str | None = None, strip_sequences: bool = False, remove_private: bool = False,
                        disable_skip: bool = False) -> BatchResult:
    """Apply a recipe to files or datasets; return the datasets, or the written paths.

    Args:
        dicom_files: one path/dataset or a list of them.
        ids: per-file variables and functions, keyed by the file's path.
        deid: the recipe (a ``DeidRecipe``, path, tag, dict or list); None is the default recipe.
        save: write the results; with no ``output_folder`` they go to one new temporary folder.
        overwrite: replace existing output files (never done otherwise: those are logged).
        output_folder: where to write; giving it implies ``save``.
        force: read files without the DICM preamble too.
        config: a deid-style JSON config.
        strip_sequences: delete top-level sequences first.
        remove_private: delete private elements first.
        disable_skip: let the recipe see PixelData and protected file-meta elements.

    Returns:
        A list in input order (datasets, or paths when saving); ``.failures`` lists the
        files that could not be processed.

    Raises:
        InputError: the recipe needs a ``var:``/``func:`` that some file lacks (checked for
            every file before any is processed).
    """
    recipe = deid if isinstance(deid, DeidRecipe) else DeidRecipe(deid)
    ids = ids or {}
    items = _items(dicom_files)
    if output_folder is not None:
        save = True
    folder = os.fspath(output_folder) if output_folder is not None else None
    if save and folder is None:
        folder = tempfile.mkdtemp(prefix="deidc-")
    _check_inputs(recipe, items, ids)
    result = BatchResult()
    for index, item in enumerate(items):
        name = _name(item, index)
        try:
            parser = DicomParser(item, recipe=recipe, config=config, force=force, disable_skip=disable_skip)
            parser.lookup.update(_lookup_for(ids, item, parser))
            # a file's dataset is written and dropped: run as a batch does (a caller's dataset is returned)
            parser._parse(strip_sequences, remove_private, to_write=save and not isinstance(item, Dataset))
        except (DeidcError, StepError, OSError, ValueError) as error:
            logger.error("%s: not processed: %s", name, error)
            result.failures.append(FileFailure(name, str(error)))
            continue
        if not save:
            result.append(parser.dicom)
            continue
        assert folder is not None
        target = os.path.join(folder, os.path.basename(parser.dicom_file or f"dataset{index}.dcm"))
        try:
            written = write_atomic(parser.dicom, target, overwrite)
        except OSError as error:
            logger.error("%s: cannot write %s: %s", name, target, error)
            result.failures.append(FileFailure(name, f"cannot write {target}: {error}"))
            continue
        if not written:
            logger.error("%s already exists, overwrite set to False. Not writing.", os.path.basename(target))
            result.skipped.append(target)
        result.append(target)
    return result


def _check_inputs(recipe: DeidRecipe, items: Sequence[Item], ids: Mapping[str, Mapping[str, object]]) -> None:
    if not recipe.plan.variables and not recipe.plan.functions:
        return
    for index, item in enumerate(items):
        name = _name(item, index)
        lookup: dict[str, object] = {}
        for key in (name, os.path.abspath(name)):
            lookup.update(ids.get(key, {}))
        missing = missing_inputs(recipe.plan, lookup)
        if missing:
            raise InputError(f"{name}: " + describe_missing(missing), missing)


def remove_private_identifiers(dicom_files: Item | Sequence[Item], save: bool = True, overwrite: bool = False,
                               output_folder: str | os.PathLike[str] | None = None,
                               force: bool = True) -> BatchResult:
    """Remove private elements (at every depth); return the written paths, or the datasets."""
    items = _items(dicom_files)
    folder = os.fspath(output_folder) if output_folder is not None else None
    if save and folder is None:
        folder = tempfile.mkdtemp(prefix="deidc-")
    result = BatchResult()
    for index, item in enumerate(items):
        name = _name(item, index)
        try:
            dataset = load_dicom(item, force=force)
            if isinstance(item, Dataset):
                dataset = copy.deepcopy(dataset)
            dataset.remove_private_tags()
        except (DeidcError, OSError, ValueError) as error:
            logger.error("%s: not processed: %s", name, error)
            result.failures.append(FileFailure(name, str(error)))
            continue
        if not save:
            result.append(dataset)
            continue
        assert folder is not None
        target = os.path.join(folder, os.path.basename(name))
        if not write_atomic(dataset, target, overwrite):
            logger.error("%s already exists, overwrite set to False. Not writing.", os.path.basename(target))
            result.skipped.append(target)
        result.append(target)
    return result
