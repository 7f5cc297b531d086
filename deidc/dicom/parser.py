"""``DicomParser``: deid's per-file API, over a compiled plan and deidc's runtime."""

from __future__ import annotations

import json
import logging
import os
from collections.abc import Iterable
from typing import Any

from pydicom.dataset import Dataset

from deidc.compiler import compile_recipe, missing_inputs
from deidc.config import DeidRecipe
from deidc.config.legacy import from_legacy
from deidc.dicom.fields import DicomField, FieldsWithLookups
from deidc.dicom.utils import load_dicom, save_dicom
from deidc.errors import InputError, RecipeError
from deidc.plan import Plan
from deidc.runtime import Change, Matcher, execute
from deidc.runtime.walk import DEFAULT_SKIP
from deidc.runtime.workset import walk

__all__ = ["DicomParser"]

logger = logging.getLogger("deidc")


def load_config(config: str | os.PathLike[str] | None) -> dict[str, Any]:
    """Return a deid-style config (``get.skip``, ``put.actions``); None gives the default."""
    if config is None:
        return {"get": {"skip": sorted(DEFAULT_SKIP)}, "put": {"actions": [{"action": "KEEP", "field": "PixelData"}]}}
    try:
        with open(config, encoding="utf-8") as handle:
            loaded: dict[str, Any] = json.load(handle)
    except (OSError, ValueError) as error:
        raise InputError(f"{config}: cannot read the config: {error}") from error
    return loaded


def describe_missing(problems: Iterable[object]) -> str:
    """Return one message for missing var:/func: inputs."""
    lines = [f"{getattr(p, 'message', p)}; {getattr(p, 'help', '')}" for p in problems]
    return "the recipe needs inputs this run does not provide:\n  " + "\n  ".join(lines)


class DicomParser:
    """Apply a recipe to one DICOM file or dataset, the way deid's ``DicomParser`` does.

    Args:
        dicom_file: a path, or a pydicom Dataset (changed in place, as in deid).
        recipe: a ``DeidRecipe``, or anything ``DeidRecipe`` accepts; None is the default recipe.
        config: a deid-style JSON config (its ``get.skip`` list is used).
        force: read files without the DICM preamble too.
        disable_skip: let the recipe see PixelData and the protected file-meta elements.
    """

    def __init__(self, dicom_file: str | os.PathLike[str] | Dataset, recipe: object = None,
                 config: str | os.PathLike[str] | None = None, force: bool = True,
                 disable_skip: bool = False) -> None:
        """Load the recipe and the file."""
        self.lookup: dict[str, object] = {}
        self.fields: dict[str, DicomField] | FieldsWithLookups = {}
        self.changes: list[Change] = []
        self.disable_skip = disable_skip
        self.config = load_config(config)
        self.recipe = recipe if isinstance(recipe, DeidRecipe) else DeidRecipe(recipe)
        self.load(dicom_file, force)

    def __str__(self) -> str:
        """Return ``[dicom-parser:<file name>]``."""
        return f"[dicom-parser:{self.dicom_name}]"

    __repr__ = __str__

    def load(self, dicom_file: str | os.PathLike[str] | Dataset, force: bool = True) -> None:
        """Load a file or dataset (a Dataset is used as is, not copied)."""
        self.dicom = load_dicom(dicom_file, force=force)
        filename = getattr(self.dicom, "filename", None)
        self.dicom_file = os.path.abspath(filename) if isinstance(filename, str) and filename else None
        self.dicom_name = os.path.basename(self.dicom_file) if self.dicom_file else None
        self.seen: list[str] = []

    @property
    def skip(self) -> frozenset[str]:
        """Return the keywords and tags the recipe never sees."""
        if self.disable_skip:
            return frozenset()
        return frozenset(self.config.get("get", {}).get("skip", DEFAULT_SKIP))

    def define(self, name: str, value: object) -> None:
        """Provide a variable (for ``var:``) or a function (for ``func:``)."""
        self.lookup[name] = value

    def get_fields(self, expand_sequences: bool = True) -> FieldsWithLookups:
        """Return the dataset's fields by uid, without changing anything."""
        entries = walk(self.dicom, self.skip)
        return FieldsWithLookups({e.uid: DicomField.from_entry(e) for e in entries
                                  if expand_sequences or len(e.address) == 1})

    def parse(self, strip_sequences: bool = False, remove_private: bool = False) -> None:
        """Run the recipe on the dataset (in place); fill ``fields``, ``lookup`` and ``changes``.

        Raises:
            InputError: the recipe needs a ``var:`` or ``func:`` that was not defined.
        """
        self._parse(strip_sequences, remove_private, to_write=False)

    def _parse(self, strip_sequences: bool, remove_private: bool, to_write: bool) -> None:
        """:meth:`parse`; ``to_write``: the dataset will only be written, then dropped, and ``fields`` is not needed.

        Then, as in a batch, an element nothing selects is never made an entry, and what
        nothing changed is put back as read from the file (``execute``'s ``reuse_raw``),
        which the writer copies as it is; ``fields`` stays empty.
        """
        plan = self.recipe.plan
        missing = missing_inputs(plan, self.lookup)
        if missing:
            raise InputError(describe_missing(missing), missing)
        put = self._put_plan()
        result = execute(plan, self.dicom, self.lookup, matcher=_matcher(self.recipe),
                         strip_sequences=strip_sequences, remove_private=remove_private,
                         disable_skip=self.disable_skip, skip=self.skip, reuse_raw=to_write and put is None)
        self.changes = list(result.changes)
        if put is not None:
            result = execute(put, self.dicom, self.lookup, disable_skip=self.disable_skip, skip=self.skip)
            self.changes += result.changes
        if not to_write:
            self.fields = FieldsWithLookups({e.uid: DicomField.from_entry(e) for e in result.entries})

    def _put_plan(self) -> Plan | None:
        """Return the plan of the config's ``put.actions`` (run after the recipe), if they do anything."""
        actions = [a for a in self.config.get("put", {}).get("actions", []) if a.get("action") != "KEEP"]
        if not actions:
            return None
        compiled = compile_recipe(from_legacy({"format": "dicom", "header": actions}), path="<config put.actions>")
        if compiled.plan is None:
            raise RecipeError(compiled.diagnostics)
        return compiled.plan

    def save(self, filename: str | os.PathLike[str] | None = None, overwrite: bool = False) -> str:
        """Write the dataset to ``filename`` (atomically); an existing file is kept unless ``overwrite``."""
        target = os.fspath(filename) if filename else self.dicom_file
        if target is None:
            raise InputError("this dataset has no file name: give save() one")
        folder = os.path.dirname(target) or "."
        save_dicom(self.dicom, target, output_folder=folder, overwrite=overwrite)
        return target


def _matcher(recipe: DeidRecipe) -> Matcher:
    matcher = getattr(recipe, "_matcher", None)
    if matcher is None:
        matcher = Matcher()
        recipe._matcher = matcher  # type: ignore[attr-defined]
    return matcher

