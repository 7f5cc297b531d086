"""Data that ships with deidc (recipes, the PS3.15 table) and ``get_dataset`` over ``deid-data``."""

from __future__ import annotations

import logging
import os

from deidc.errors import InputError

__all__ = ["DATASETS", "get_dataset"]

logger = logging.getLogger("deidc")

#: the example datasets of the deid-data package
DATASETS = ("dicom-cookies", "animals", "humans", "ultrasounds")


def get_dataset(dataset: str | None = None) -> str | None:
    """Return the folder of a ``deid-data`` example dataset (None for an unknown name).

    Raises:
        InputError: the ``deid-data`` package is not installed.
    """
    try:
        import deid_data
    except ModuleNotFoundError as error:
        raise InputError("install deid data with `pip install deid-data`") from error
    if dataset is None:
        logger.warning("Valid datasets include: %s", ",".join(DATASETS))
        return None
    name = os.path.splitext(dataset.lower())[0] if dataset.lower().endswith((".zip", ".tar")) else dataset.lower()
    if name not in DATASETS:
        logger.warning("Valid datasets include: %s", ",".join(DATASETS))
        return None
    base = os.path.dirname(os.path.abspath(deid_data.__file__))
    return os.path.join(base, "data", name)
