"""``%filter`` sections at run time: plan filters + a dataset → the labels that match.

Pure: reads the dataset, changes nothing. Used by ``has_burned_pixels`` to flag images
whose pixels may carry burned-in text, and to say which regions to clean or keep.
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from dataclasses import dataclass

from pydicom.dataelem import DataElement
from pydicom.dataset import Dataset

from deidc.plan import Criterion, Filter, FilterLine, Label, SelectName, SelectTag


@dataclass(frozen=True)
class Match:
    """One LABEL that matched."""

    group: str  #: the filter's name
    label: str  #: the LABEL's text
    reason: str  #: the criteria, as text
    coordinates: list[list[object]]  #: ``[mask, box]`` pairs (mask 1 = keep, 0 = clean)


def _element(dataset: Dataset, criterion: Criterion) -> DataElement | None:
    selector = criterion.selector
    if isinstance(selector, SelectTag):
        return dataset.get(selector.tag)  # type: ignore[no-any-return]
    if isinstance(selector, SelectName):
        for element in dataset:
            if element.keyword.lower() == selector.name:
                return element
    return None


def _texts(element: DataElement) -> list[str]:
    value = element.value
    if value is None:
        return []
    if element.VM > 1 and not isinstance(value, (str, bytes)):
        return [str(v).strip() for v in value]
    return [str(value).strip()]


def _missing(element: DataElement | None) -> bool:
    return element is None or element.value is None


def evaluate_criterion(dataset: Dataset, criterion: Criterion) -> bool:
    """Return whether one test holds for the dataset."""
    element = _element(dataset, criterion)
    test = criterion.test
    if test == "missing":
        return _missing(element)
    if test == "present":
        return not _missing(element)
    if test == "empty":
        return element is not None and (element.value is None or element.value == "" or
                                        (element.VR == "SQ" and len(element.value) == 0) or
                                        (isinstance(element.value, Sequence) and len(element.value) == 0))
    texts = [] if element is None else _texts(element)
    wanted = (criterion.value or "").strip()
    if test in ("contains", "notcontains"):
        regex = re.compile(wanted, re.IGNORECASE)
        found = any(regex.search(t) for t in texts)
        return found if test == "contains" else not found
    equal = any(t.lower() == wanted.lower() for t in texts)
    return equal if test == "equals" else not equal


def evaluate_line(dataset: Dataset, line: FilterLine) -> bool:
    """Fold a line's tests left to right with its ``and``/``or`` operators (no precedence)."""
    result = evaluate_criterion(dataset, line.criteria[0])
    for operator, criterion in zip(line.operators, line.criteria[1:], strict=True):
        value = evaluate_criterion(dataset, criterion)
        result = (result and value) if operator == "and" else (result or value)
    return result


def evaluate_label(dataset: Dataset, label: Label) -> bool:
    """Fold a label's lines in order with their leading operators (``+``: and, ``||``: or; none: and)."""
    if not label.lines:
        return True
    result = evaluate_line(dataset, label.lines[0])
    for line in label.lines[1:]:
        value = evaluate_line(dataset, line)
        result = (result or value) if line.operator == "or" else (result and value)
    return result


def _describe(label: Label) -> str:
    parts = []
    for index, line in enumerate(label.lines):
        if index:
            parts.append(line.operator or "and")
        for position, criterion in enumerate(line.criteria):
            if position:
                parts.append(line.operators[position - 1])
            text = f"{criterion.field} {criterion.test}"
            parts.append(text if criterion.value is None else f"{text} {criterion.value}")
    return " ".join(parts)


def _regions(dataset: Dataset, label: Label) -> list[list[object]]:
    found: list[list[object]] = []
    for region in label.regions:
        mask = 1 if region.keep else 0
        if region.box.startswith("from:"):
            boxes = []
            keyword = region.box[5:]
            sequence = dataset.data_element(keyword) if keyword in dataset else None
            for item in (sequence.value if sequence is not None and sequence.VR == "SQ" else []):
                corners = [item.get(k) for k in ("RegionLocationMinX0", "RegionLocationMinY0",
                                                 "RegionLocationMaxX1", "RegionLocationMaxY1")]
                if all(c is not None for c in corners):
                    boxes.append(",".join(str(c) for c in corners))
            found.append([mask, boxes])
        else:
            found.append([mask, region.box])
    return found


def evaluate(filters: Sequence[Filter], dataset: Dataset) -> list[Match]:
    """Return every LABEL of every filter that matches the dataset, in recipe order."""
    return [Match(group.name, label.name, _describe(label), _regions(dataset, label))
            for group in filters for label in group.labels if evaluate_label(dataset, label)]
