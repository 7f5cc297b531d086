"""``has_burned_pixels``: run a recipe's ``%filter`` sections on files, as deid does."""

from __future__ import annotations

import logging
import os
from collections.abc import Sequence

from pydicom.dataset import Dataset

from deidc.config import DeidRecipe
from deidc.dicom.utils import load_dicom
from deidc.errors import InputError
from deidc.runtime.filters import evaluate

__all__ = ["has_burned_pixels"]

logger = logging.getLogger("deidc")

Item = str | os.PathLike[str] | Dataset


def _single(item: Item, recipe: DeidRecipe, force: bool) -> dict[str, object]:
    dataset = load_dicom(item, force=force)
    matches = evaluate(recipe.plan.filters, dataset)
    results = [{"reason": m.reason, "group": m.group, "coordinates": m.coordinates} for m in matches]
    return {"flagged": bool(results), "results": results}


def has_burned_pixels(dicom_files: Item | Sequence[Item], force: bool = True, deid: object = None) -> dict[str, object]:
    """Run the recipe's filters on one file (or a list of files).

    One file gives ``{"flagged": bool, "results": [{"reason", "group", "coordinates"}]}``;
    a list gives ``{"clean": [files not flagged], "flagged": {file: result}}``. A list
    item that cannot be read is logged and left out.
    """
    recipe = deid if isinstance(deid, DeidRecipe) else DeidRecipe(deid)
    if not recipe.plan.filters:
        logger.warning("Deid provided does not have %%filter.")
    if not isinstance(dicom_files, (list, tuple)):
        return _single(dicom_files, recipe, force)  # type: ignore[arg-type]
    clean: list[object] = []
    flagged: dict[object, object] = {}
    for index, item in enumerate(dicom_files):
        try:
            result = _single(item, recipe, force)
        except InputError as error:
            logger.error("%s", error)
            continue
        key: object = item if not isinstance(item, Dataset) else getattr(item, "filename", None) or f"<dataset {index}>"
        if result["flagged"]:
            flagged[key] = result
        else:
            clean.append(key)
    return {"clean": clean, "flagged": flagged}
