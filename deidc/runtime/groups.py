"""``%values`` and ``%fields`` lists: working set → the list's values or elements.

Lists are computed once per dataset, before any header action runs.
"""

from __future__ import annotations

from collections.abc import Sequence

from deidc.plan import FieldList, GroupKind, ValueList
from deidc.runtime.field import DicomField
from deidc.runtime.select import Matcher
from deidc.runtime.walk import Entry


def _items(value: object) -> list[object]:
    if isinstance(value, (str, bytes)) or not isinstance(value, Sequence):
        return [value]
    return list(value)


def extract_values(values: ValueList, entries: Sequence[Entry], matcher: Matcher) -> list[object]:
    """Return the values a ``%values`` list finds, each once, in the order first found."""
    found: list[object] = []
    for step in values.steps:
        for entry in matcher.select(step.selector, entries, {}):
            element = entry.element
            if element.VR == "SQ" or element.value in ("", None):
                continue
            for item in _items(element.value):
                if item in ("", None):
                    continue
                if step.kind is GroupKind.FIELD:
                    pieces = [item]
                else:
                    pieces = [p for p in str(item).split(step.split_by) if len(p) >= step.min_length]
                for piece in pieces:
                    if piece not in found:
                        found.append(piece)
    return found


def extract_fields(fields: FieldList, entries: Sequence[Entry], matcher: Matcher) -> dict[str, DicomField]:
    """Return the elements a ``%fields`` list finds, by uid, in working-set order."""
    found: dict[str, DicomField] = {}
    for step in fields.steps:
        for entry in matcher.select(step.selector, entries, {}):
            found.setdefault(entry.uid, DicomField.from_entry(entry))
    return found
