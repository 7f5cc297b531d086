"""``%values`` and ``%fields`` lists: working set → the list's values or elements.

Lists are computed once per dataset, before any header action runs. Which elements a
line reads is decided per element identity, once per batch, like the header's steps
(:class:`deidc.runtime.select.Decision`): one pass over the working set fills every
line's entries.
"""

from __future__ import annotations

from collections.abc import Sequence

from deidc.plan import FieldList, GroupKind, ValueList
from deidc.runtime.field import DicomField
from deidc.runtime.select import Matcher, PlanIndex
from deidc.runtime.walk import Entry
from deidc.runtime.workset import WorkingSet


def line_entries(index: PlanIndex, working: WorkingSet, matcher: Matcher) -> list[list[Entry]]:
    """Return, for each group line of the plan (``index.lines``), the entries it reads, in working-set order."""
    selected: list[list[Entry]] = [[] for _ in index.lines]
    if not selected:
        return selected
    if len(index.dynamic_lines) < len(selected):
        for entry in working.active:  # an element an identity-only line selects is never left a record
            for number in matcher.decide(index, entry).lines:
                selected[number].append(entry)
    for number in index.dynamic_lines:
        selected[number] = matcher.select(index.lines[number].selector, working.everything(), {})
    return selected


def _items(value: object) -> list[object]:
    if isinstance(value, (str, bytes)) or not isinstance(value, Sequence):
        return [value]
    return list(value)


def extract_values(values: ValueList, selected: Sequence[Sequence[Entry]]) -> list[object]:
    """Return the values a ``%values`` list finds (``selected``: each line's entries), each once, in order found."""
    found: list[object] = []
    for step, entries in zip(values.steps, selected, strict=True):
        for entry in entries:
            if entry.vr == "SQ":
                continue
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


def extract_fields(fields: FieldList, selected: Sequence[Sequence[Entry]]) -> tuple[dict[str, DicomField], list[Entry]]:
    """Return the elements a ``%fields`` list finds, by uid in the order found, and the entries themselves."""
    found: dict[str, DicomField] = {}
    chosen: list[Entry] = []
    for entries in selected:
        for entry in entries:
            uid = entry.uid
            if uid not in found:
                found[uid] = DicomField.from_entry(entry)
                chosen.append(entry)
    return found, chosen
