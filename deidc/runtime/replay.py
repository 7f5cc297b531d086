"""Replaying a change record: the changes of a run + the original dataset → the run's output.

An audit can check that a record says everything a run did: replaying it on a copy of
the input gives the same dataset as the run.
"""

from __future__ import annotations

from collections.abc import Iterable

from pydicom.dataelem import DataElement
from pydicom.dataset import Dataset

from deidc.runtime.engine import Change


def _container(dataset: Dataset, change: Change) -> Dataset | None:
    if change.filemeta:
        return dataset.file_meta  # type: ignore[no-any-return]
    current = dataset
    address = change.address
    for position in range(0, len(address) - 1, 2):
        tag, index = address[position], address[position + 1]
        if tag not in current:
            return None
        items = current[tag].value
        if index >= len(items):
            return None
        current = items[index]
    return current


def replay(dataset: Dataset, changes: Iterable[Change]) -> Dataset:
    """Apply recorded changes to ``dataset`` in place, in order; return it."""
    for change in changes:
        container = _container(dataset, change)
        if container is None:
            continue
        tag = change.address[-1]
        if change.action == "REMOVE":
            if tag in container:
                del container[tag]
        elif tag in container:
            container[tag].value = change.after
        else:
            container[tag] = DataElement(tag, change.vr, change.after)
    return dataset
