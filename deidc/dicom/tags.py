"""deid's ``deid.dicom.tags`` helpers: private tags, dictionary look-ups, small edits."""

from __future__ import annotations

import logging
import re

from pydicom._dicom_dict import DicomDictionary
from pydicom.datadict import keyword_dict
from pydicom.dataelem import DataElement
from pydicom.dataset import Dataset
from pydicom.tag import Tag

__all__ = ["add_tag", "find_tag", "get_private", "get_tag", "has_private", "remove_sequences", "update_tag"]

logger = logging.getLogger("deidc")


def get_private(dicom: Dataset) -> list[DataElement]:
    """Return every private element, at every depth (sequences included), in walk order."""
    found: list[DataElement] = []

    def visit(dataset: Dataset, element: DataElement) -> None:
        if element.tag.is_private:
            found.append(element)

    dicom.walk(visit)
    return found


def has_private(dicom: Dataset) -> bool:
    """Return whether a dataset has private elements (their count is logged at INFO)."""
    count = len(get_private(dicom))
    logger.info("Found %d private tags", count)
    return count > 0


def get_tag(field: str) -> dict[str, object] | None:
    """Return the dictionary entry of a keyword: tag, VR, VM, keyword, name (None if unknown)."""
    if field not in keyword_dict:
        return None
    tag = Tag(keyword_dict[field])
    vr, vm, name, _retired, keyword = DicomDictionary[tag]
    return {"tag": tag, "VR": vr, "VM": vm, "keyword": keyword, "name": name}


def add_tag(identifier: str, VR: str = "ST", VM: str | None = None, name: str | None = None,  # noqa: N803
            keyword: str | None = None) -> dict[str, object]:
    """Return a tag entry for an 8-hex-digit identifier, as deid's ``add_tag`` does."""
    tag = Tag("0x" + identifier)
    return {"tag": tag, "VR": VR, "VM": VM, "keyword": keyword, "name": name}


def find_tag(term: str, VR: str | None = None, VM: str | None = None,  # noqa: N803
             retired: bool = False) -> list[tuple[str, str, str, str, str]]:
    """Return the dictionary entries ``(VR, VM, name, retired, keyword)`` whose keyword or name matches."""
    regex = re.compile(term, re.IGNORECASE)
    found: list[tuple[str, str, str, str, str]] = []
    for entry in DicomDictionary.values():
        vr, vm, name, is_retired, keyword = entry
        if (regex.search(keyword) or regex.search(name)) and (VR is None or vr == VR) and (
                VM is None or vm == VM) and (retired or not is_retired):
            found.append(entry)
    return found


def remove_sequences(dicom: Dataset) -> Dataset:
    """Delete every top-level sequence (with everything in it); return the dataset."""
    for element in list(dicom):
        if element.VR == "SQ":
            del dicom[element.tag]
    return dicom


def update_tag(dicom: Dataset, field: str, value: object) -> Dataset:
    """Set an element's value if the dataset has it; return the dataset."""
    if field in dicom:
        dicom.data_element(field).value = value  # type: ignore[union-attr]
    return dicom
