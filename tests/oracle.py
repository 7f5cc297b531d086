"""Run deid 0.4.13 and deidc on the same recipe and file, and compare the results.

Used by the ``oracle`` tests. UIDs that either side generates are compared by shape.
"""

from __future__ import annotations

import copy
import re
import warnings
from dataclasses import dataclass
from pathlib import Path

import pydicom
from pydicom.dataset import Dataset

_UID = re.compile(r"^[0-9]+(\.[0-9]+)+$")
_UUID = re.compile(r"[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}")


def shape(value: object) -> object:
    """Return a value with generated identifiers replaced by a placeholder."""
    text = str(value)
    if _UUID.search(text):
        return _UUID.sub("<uuid>", text)
    return value


def elements(dataset: Dataset, generated: bool = False) -> dict[str, object]:
    """Return every element by path (file meta and nested included) with VR and value."""
    found: dict[str, object] = {}

    def visit(prefix: str, ds: Dataset) -> None:
        for element in ds:
            key = f"{prefix}{element.tag}"
            if element.VR == "SQ":
                found[key] = ("SQ", len(element.value or []))
                for index, item in enumerate(element.value or []):
                    visit(f"{key}/{index}/", item)
            else:
                value = element.value
                text = str(value)
                if generated and (_UID.match(text) or _UUID.search(text)):
                    value = "<generated>"
                found[key] = (element.VR, value)

    visit("", dataset)
    meta = getattr(dataset, "file_meta", None)
    if meta is not None:
        visit("meta:", meta)
    return found


@dataclass
class Outcome:
    """What one engine did: the dataset, or the error it raised."""

    dataset: Dataset | None
    error: str | None


def run_deid(recipe: Path, dataset: Dataset, lookup: dict[str, object]) -> Outcome:
    """Run deid's DicomParser on a copy of ``dataset``."""
    from deid.dicom.parser import DicomParser

    try:
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            parser = DicomParser(copy.deepcopy(dataset), recipe=str(recipe))
            for key, value in lookup.items():
                parser.define(key, value)
            parser.parse()
    except (Exception, SystemExit) as error:  # noqa: BLE001 - deid raises anything
        return Outcome(None, f"{type(error).__name__}: {error}")
    return Outcome(parser.dicom, None)


def run_deidc(recipe: Path, dataset: Dataset, lookup: dict[str, object]) -> Outcome:
    """Run deidc's DicomParser on a copy of ``dataset``."""
    from deidc.dicom.parser import DicomParser
    from deidc.errors import DeidcError
    from deidc.runtime import StepError

    try:
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            parser = DicomParser(copy.deepcopy(dataset), recipe=str(recipe))
            for key, value in lookup.items():
                parser.define(key, value)
            parser.parse()
    except (DeidcError, StepError) as error:
        return Outcome(None, f"{type(error).__name__}: {error}")
    return Outcome(parser.dicom, None)


def load(path: str) -> Dataset:
    """Read a DICOM file."""
    return pydicom.dcmread(path)


def compare(recipe_text: str, dataset: Dataset, tmp: Path, lookup: dict[str, object] | None = None,
            generated: bool = False) -> tuple[Outcome, Outcome, dict[str, tuple[object, object]]]:
    """Run both engines; return their outcomes and the elements where they differ."""
    recipe = tmp / "deid.oracle"
    recipe.write_text("FORMAT dicom\n\n" + recipe_text.strip() + "\n", encoding="utf-8")
    theirs = run_deid(recipe, dataset, dict(lookup or {}))
    ours = run_deidc(recipe, dataset, dict(lookup or {}))
    if theirs.dataset is None or ours.dataset is None:
        return theirs, ours, {}
    a, b = elements(theirs.dataset, generated), elements(ours.dataset, generated)
    diff = {k: (a.get(k), b.get(k)) for k in sorted(set(a) | set(b)) if a.get(k) != b.get(k)}
    return theirs, ours, diff
