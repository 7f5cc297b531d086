"""The run's bookkeeping of its steps' elements, and the steps carried out on records.

A run (:class:`deidc.runtime.engine._Run`) puts each element an identity-only step selects
in that step's *bucket*. An element the working set left a record (see
:mod:`deidc.runtime.workset`) goes only in the first step that selects it: a REMOVE without
a condition removes it as a record (:meth:`RecordSteps._remove_all`), a BLANK blanks it as
one, putting the empty value in as bytes, and files it in the next step that selects it
(:meth:`RecordSteps._blank_record`). A bucket that gets elements while the run goes on is
put back in working-set order before its step runs.
"""

from __future__ import annotations

import bisect
import heapq

from deidc.plan import ActionKind, Step
from deidc.runtime import actions
from deidc.runtime.changes import Noted
from deidc.runtime.rawseq import Tree
from deidc.runtime.select import Matcher, PlanIndex
from deidc.runtime.walk import Entry, drop_from, put_raw
from deidc.runtime.workset import WorkingSet


def slot_of(candidate: Entry | int) -> int:
    """Return a bucket's element's position in the working set (a record's is itself)."""
    return candidate if isinstance(candidate, int) else candidate.slot


class RecordSteps:
    """The part of a run that files elements in the steps' buckets and carries out steps on records."""

    index: PlanIndex
    matcher: Matcher
    working: WorkingSet
    record_values: bool
    encodings: actions.Charset | None
    changes: list[Noted]
    changed: list[Entry]
    deferred: dict[int, tuple[Entry, Step]]
    trees: dict[int, Tree]
    buckets: dict[int, list[Entry | int]]
    pending: list[int]
    scheduled: set[int]
    late: set[int]
    origins: dict[int, tuple[str, str]]

    def _file(self, entry: Entry, after: int) -> None:
        """Put an entry in the bucket of every identity-only step after position ``after`` that selects it."""
        for position in self.matcher.decide(self.index, entry).steps:
            if position > after:
                self._bucket(position).append(entry)
                self.late.add(position)

    def _bucket(self, position: int) -> list[Entry | int]:
        """Return the bucket of an identity-only step (made, and the step scheduled, when first needed)."""
        bucket = self.buckets.get(position)
        if bucket is None:
            bucket = self.buckets[position] = []
            if position not in self.scheduled:
                self.scheduled.add(position)
                heapq.heappush(self.pending, position)
        return bucket

    def _said(self, step: Step) -> tuple[str, str]:
        """Return the step's action and ``path:line`` (made once per run)."""
        said = self.origins.get(id(step))
        if said is None:
            said = self.origins[id(step)] = (step.action.value, str(step.origin))
        return said

    def _blank_record(self, position: int, step: Step, slot: int) -> Entry | None:
        """Blank an element still a record, as a record (None); or return its entry when it needs one.

        Either way it is then filed in the next step that selects it (an entry: in each).
        """
        working = self.working
        found = working.slots[slot]
        if not isinstance(found, Entry):
            place, _, node = found
            made = None if (self.record_values or place[2] or step.action is not ActionKind.BLANK or node.vr == "UN"
                            or self.encodings is None) else actions.blank_raw(node.tag, node.vr, self.encodings)
            if made is None:  # its value is recorded, or cannot be put in as bytes here: as an entry
                found = working.entry(slot)
            else:
                up = place[3]
                if slot in working.removed or (up is not None and not up.live_container):
                    return None  # gone with its sequence
                raw, after = made
                tree = put_raw(place[0], node.tag, raw)
                if tree is not None:
                    self.trees[id(tree)] = tree
                working.slots[slot] = (place, raw, node)
                self.changes.append((found, self._said(step), None, after))
                steps = node.decided[1].steps  # type: ignore[index, union-attr]  # (in order)
                after_this = bisect.bisect_right(steps, position)
                if after_this < len(steps):  # the next step that selects it
                    self._bucket(steps[after_this]).append(slot)
                    self.late.add(steps[after_this])
                return None
        self._file(found, position)
        return found

    def _remove_all(self, step: Step, candidates: list[Entry] | list[Entry | int]) -> None:
        """Carry out a REMOVE without a condition (``_apply`` for each, in one loop: most changes are these).

        A record (its position in the bucket) that is still one is removed as a record: no
        entry is made for it (unless its value is to be recorded).
        """
        index, decide, deferred, trees = self.index, self.matcher.decide, self.deferred, self.trees
        said = self._said(step)
        changed, changes, keep = self.changed, self.changes, self.record_values
        working = self.working
        slots, removed = working.slots, working.removed
        #: per container (its place), while this step runs: whether it is still there (which does not change
        #: during the step: a record is not a sequence, and a sequence comes before what is in it)
        places: dict[int, bool] = {}
        for candidate in candidates:
            if candidate.__class__ is int:
                found = slots[candidate]  # type: ignore[index]
                if not isinstance(found, Entry):
                    if keep:  # its value is recorded: as an entry
                        found = working.entry(candidate)  # type: ignore[arg-type]
                    else:  # removed as a record (no entry is made)
                        place = found[0]
                        there = places.get(id(place))
                        if there is None:
                            up = place[3]
                            there = places[id(place)] = up is None or up.live_container
                        if not there or candidate in removed:
                            continue  # removed with its sequence, or by an earlier step
                        removed.add(candidate)  # type: ignore[arg-type]
                        edited = drop_from(place[0], found[2].tag, found[1].tag)
                        if edited is not None:
                            trees[id(edited)] = edited
                        changes.append((found, said, None, None))
                        continue
                entry = found
            else:
                entry = candidate  # type: ignore[assignment]
            if not entry.live:
                continue  # removed (or emptied) with its sequence by an earlier action
            decided = entry.decided  # (the matcher's decision, without the call when the entry holds it)
            decision = decided[1] if decided is not None and decided[0] is index else decide(index, entry)
            if decision.shielded:  # type: ignore[attr-defined]
                deferred.setdefault(id(entry), (entry, step))
                continue
            before = entry.element.value if keep else None
            dropped = entry.drop()
            if dropped is not None:
                trees[id(dropped)] = dropped
            changed.append(entry)
            changes.append((entry, said, before, None))


__all__ = ["RecordSteps", "slot_of"]
