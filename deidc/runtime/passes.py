"""The passes over a working set around a plan's steps: KEEP's hiding before, raw elements put back after."""

from __future__ import annotations

from collections.abc import Sequence

from deidc.runtime.changes import Noted
from deidc.runtime.select import Matcher, PlanIndex
from deidc.runtime.walk import Entry
from deidc.runtime.workset import WorkingSet


def hide_kept(index: PlanIndex, working: WorkingSet, matcher: Matcher) -> None:
    """Leave out of the working set what a KEEP selects, with what is inside it."""
    if not index.keep_static and not index.keep_dynamic:
        return
    dynamic = index.keep_dynamic
    # a record is never kept (KEEP makes its identity an entry), unless a KEEP decides per element
    entries = working.everything() if dynamic else working.active
    kept_tags: set[int] = set()
    kept_addresses: set[tuple[int, ...]] = set()
    for found in entries:
        decided = found.decided  # (the matcher's decision, without the call when the entry holds it)
        decision = decided[1] if decided is not None and decided[0] is index else matcher.decide(index, found)
        if decision.kept or (dynamic and any(  # type: ignore[attr-defined]
                matcher.matches(k, found, {}) for k in dynamic)):
            if len(found.address) == 1:
                kept_tags.add(found.tag)
            else:
                kept_addresses.add(found.address)
    if kept_tags or kept_addresses:
        working.hide(kept_tags, kept_addresses)


_CHARSET = 0x00080005


def reuse_raw_elements(notes: Sequence[Noted], working: WorkingSet, initial: int) -> None:
    """Put raw elements back where nothing changed (see ``execute``'s ``reuse_raw``).

    ``notes``: the run's changes; ``initial``: the elements of ``working`` the walk found
    (those after were made by ADD).
    """
    # the entries that may be put back: decoded (not by themselves, out of a dataset), from a raw element
    candidates = [entry for entry in working.slots[:initial] if isinstance(entry, Entry) and entry.source is not None
                  and not entry.is_raw and not entry.detached and entry.alive]
    if not candidates:
        return
    wanted = {entry.address for entry in candidates}
    depths = sorted({len(address) for address in wanted})
    changed: set[tuple[int, ...]] = set()  # the candidates' addresses where something changed, or inside
    for noted in notes:
        target = noted[0]
        if isinstance(target, Entry):
            address = target.address
        elif target[0][1]:  # a record removed in an item: the sequences above it changed
            address = (*target[0][1], target[2].tag)
        else:
            continue  # a record removed at the top level: no entry holds it, nor a sequence above it
        if address and address[-1] == _CHARSET:
            return  # raw text must be decoded with the character set it was read with
        for depth in depths:  # the element and every sequence above it, where a candidate is
            if depth > len(address):
                break
            if address[:depth] in wanted:
                changed.add(address[:depth])
    restored: set[int] = set()
    for entry in candidates:
        source = entry.source
        if source is None or entry.address in changed:
            continue
        if entry.up is not None and (id(entry.up) in restored or not entry.up.alive or entry.up.cleared):
            continue
        if entry.parent.get_item(entry.tag) is not entry.element:
            continue  # replaced by something the run did not record: leave it
        entry.parent[entry.tag] = source
        if entry.vr == "SQ":
            restored.add(id(entry))


__all__ = ["hide_kept", "reuse_raw_elements"]
