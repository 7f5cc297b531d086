"""The runtime stage: ``Plan`` + pydicom ``Dataset`` + inputs → the changed dataset and a record.

This module runs a plan and carries out the edits (with :mod:`deidc.runtime.records`, which
carries out steps on the elements a batch leaves records). Its model is deid's: header
actions run in recipe order, each seeing the result of the ones before; KEEP (anywhere)
hides elements from every action but ADD; REMOVE spares what a REPLACE or JITTER
selects. Actions decide through pure functions (:mod:`deidc.runtime.actions`) and the run
carries out their edits.
"""

from __future__ import annotations

import functools
import heapq
from collections.abc import Callable, Iterator, Mapping, MutableMapping

from pydicom.charset import default_encoding
from pydicom.dataset import Dataset

from deidc.plan import ActionKind, Plan, SelectFields, SelectValues, Step, ValueFunc, ValueList
from deidc.runtime import actions
from deidc.runtime.actions import Edit, Remove, SetValue
from deidc.runtime.changes import Change, ChangeLog, Noted
from deidc.runtime.field import DicomField
from deidc.runtime.groups import extract_fields, extract_values, line_entries
from deidc.runtime.listmatch import ascii_safe, charset_terms, text_codec, values_test
from deidc.runtime.passes import hide_kept, reuse_raw_elements
from deidc.runtime.rawseq import Tree
from deidc.runtime.records import RecordSteps, slot_of
from deidc.runtime.select import Matcher, PlanIndex
from deidc.runtime.textindex import TextIndex
from deidc.runtime.values import ValueProblem
from deidc.runtime.walk import DEFAULT_SKIP, Entry, private_creator
from deidc.runtime.workset import WorkingSet, build


class StepError(ValueError):
    """A step could not be carried out on an element; names the recipe line."""

    def __init__(self, step: Step, entry_uid: str, reason: str) -> None:
        """Describe the failure with the step's origin."""
        self.step = step
        self.uid = entry_uid
        self.reason = reason
        super().__init__(f"{step.origin}: {step.origin.text!r} on {entry_uid}: {reason}")


class Execution:
    """What running a plan on one dataset produced (the dataset itself is changed in place)."""

    __slots__ = ("changes", "groups", "_entries")

    def __init__(self, entries: list[Entry] | Callable[[], list[Entry]], groups: dict[str, object],
                 changes: ChangeLog | None = None) -> None:
        """Record the run's entries (or how to list them, when first asked), lists and changes."""
        self._entries = entries
        self.groups = groups  #: the computed %values and %fields lists
        self.changes = ChangeLog() if changes is None else changes  #: what changed, in order (a sequence of Change)

    @property
    def entries(self) -> list[Entry]:
        """Return the working set at the end, in order (live entries), listed the first time it is asked for."""
        if callable(self._entries):
            self._entries = self._entries()
        return self._entries

    def __repr__(self) -> str:
        """Return the lists and the number of changes."""
        return f"Execution(groups={self.groups!r}, changes={len(self.changes)})"


def execute(
    plan: Plan,
    dataset: Dataset,
    lookup: MutableMapping[str, object],
    *,
    matcher: Matcher | None = None,
    strip_sequences: bool = False,
    remove_private: bool = False,
    disable_skip: bool = False,
    skip: frozenset[str] = DEFAULT_SKIP,
    record_values: bool = True,
    reuse_raw: bool = False,
    sparse: bool | None = None,
) -> Execution:
    """Run ``plan`` on ``dataset`` in place; ``lookup`` holds variables and functions and gains the lists.

    ``reuse_raw``: when the run is over, put back the elements as read from the file
    (undecoded) wherever nothing changed: sequences with no change inside them, and
    elements decoded only to be read. Writing the dataset is then as fast as writing
    an unchanged one there. The entries of the result then no longer point into those
    sequences, so this is for a dataset that is written and dropped (a batch). Then
    also (unless a step calls one of the caller's functions, which get the dataset)
    the elements inside sequences still read as bytes are read and edited without
    converting the sequences, whose bytes are rebuilt with the edits at the end
    (:class:`~deidc.runtime.rawseq.Tree`): a blanked element there reads back as
    pydicom reads an empty value from a file.

    ``sparse`` (default: ``reuse_raw``): an element that the plan's identity-only steps,
    list lines and KEEPs leave alone stays a record of the working set, made an entry
    only if something needs it (:mod:`deidc.runtime.workset`); the result's ``entries``
    are then only the entries that were made.
    """
    matcher = matcher or Matcher()
    if strip_sequences:
        for element in list(dataset):
            if element.VR == "SQ":
                del dataset[element.tag]
    if remove_private:
        dataset.remove_private_tags()
    index = matcher.index(plan)
    trees: list[Tree] = []
    sparse = reuse_raw if sparse is None else sparse
    hide = not index.keep_dynamic  # KEEP by identity only: left out by the walk (else after it)
    working = build(dataset, frozenset() if disable_skip else skip, reuse_raw and not index.calls_functions, trees,
                    matcher.context(index, sparse), functools.partial(matcher.classify, index, sparse), hide)
    if not hide:
        hide_kept(index, working, matcher)
    groups: dict[str, object] = {}
    selected = line_entries(index, working, matcher)
    start = 0
    for values in plan.values:
        groups[values.name] = extract_values(values, selected[start:start + len(values.steps)])
        start += len(values.steps)
    found: dict[str, list[Entry]] = {}
    for fields in plan.fields:
        groups[fields.name], found[fields.name] = extract_fields(fields, selected[start:start + len(fields.steps)])
        start += len(fields.steps)
    lookup.update(groups)
    run = _Run(index, dataset, lookup, matcher, working, record_values, reuse_raw)
    run.found = found
    for position in run.positions():
        run.step(position, plan.steps[position])
    run.finish()
    if reuse_raw:
        reuse_raw_elements(run.changes, run.working, run.initial)
    for tree in trees:
        tree.release()
    made = working.made if sparse else working.everything
    return Execution(lambda: [e for e in made() if e.live], groups, ChangeLog(run.changes))


class _LazyField:
    """Builds the ``DicomField`` a ``func:`` receives only if a function is actually called."""

    __slots__ = ("entry",)

    def __init__(self, entry: Entry) -> None:
        self.entry = entry

    def get(self) -> DicomField:
        return DicomField.from_entry(self.entry)


class _Run(RecordSteps):
    """The state of one plan's run on one dataset."""

    def __init__(self, index: PlanIndex, dataset: Dataset, lookup: MutableMapping[str, object], matcher: Matcher,
                 working: WorkingSet, record_values: bool = True, encode: bool = False) -> None:
        self.index = index
        self.record_values = record_values
        self.dataset = dataset
        self.lookup = lookup
        self.matcher = matcher
        self.working = working
        self.changes: list[Noted] = []  #: what changed, in order (a ChangeLog's notes)
        self.deferred: dict[int, tuple[Entry, Step]] = {}
        self.written: set[int] = set()
        #: the elements each identity-only step selects, in order: entries, and the positions of records
        #: that only REMOVEs without a condition and BLANKs select, in the first one's bucket only (see
        #: :mod:`deidc.runtime.records`)
        self.buckets: dict[int, list[Entry | int]] = {}
        self.pending: list[int] = sorted(index.dynamic | index.adds)
        self.late: set[int] = set()  #: the steps whose buckets got elements after the run began
        self.scheduled: set[int] = set(self.pending)
        self.found: dict[str, list[Entry]] = {}  #: the entries each %fields list found
        self.origins: dict[int, tuple[str, str]] = {}  #: the action and ``path:line`` of each step, by id
        self.initial = len(working.slots)  #: the working set's elements after this many were created by ADD
        self.added: list[Entry] = []  #: the entries ADD created, in order
        self.changed: list[Entry] = []  #: every entry a step changed, in order (with repeats)
        self.text_index: TextIndex | None = None  #: the raw text values, once a values: list needs them
        self.trees: dict[int, Tree] = {}  #: sequences read as bytes with edits to carry out
        #: the character set new values are encoded in, when they may be put in as bytes (``encode``:
        #: the dataset is written and dropped; only explicit VR little endian, not the file meta)
        self.encodings: actions.Charset | None = None
        if encode and getattr(dataset, "original_encoding", None) == (False, True):
            self.encodings = actions.charset_key(dataset.get("SpecificCharacterSet", default_encoding))
        active = working.active  # every character set is an entry
        terms = charset_terms(active) if index.dynamic else None  # the character sets, for values: lists
        self.ascii_text = terms is not None and ascii_safe(active, terms)
        self.codec = text_codec(active, terms) if terms is not None and self.ascii_text else None
        buckets, decide = self.buckets, matcher.decide
        for slot, found in enumerate(working.slots):  # (_file and _bucket, inlined: once per element)
            if isinstance(found, Entry):
                decided = found.decided  # (the matcher's decision, without the call when the entry holds it)
                steps = (decided[1] if decided is not None and decided[0] is index  # type: ignore[attr-defined]
                         else decide(index, found)).steps
                for position in steps:
                    bucket = buckets.get(position)
                    (self._bucket(position) if bucket is None else bucket).append(found)
                continue
            decided = found[2].decided  # a record plain REMOVEs and BLANKs select: in the first one's bucket
            if decided is not None and decided[1].steps:  # type: ignore[attr-defined]
                position = decided[1].steps[0]  # type: ignore[attr-defined]  # (the steps are in order)
                bucket = buckets.get(position)
                (self._bucket(position) if bucket is None else bucket).append(slot)

    def positions(self) -> Iterator[int]:
        """Yield, in order, the positions of the steps that may act (ADD may schedule later steps)."""
        while self.pending:
            position = heapq.heappop(self.pending)
            self.scheduled.discard(position)
            yield position

    def step(self, position: int, step: Step) -> None:
        if step.action is ActionKind.KEEP:
            return
        if step.action is ActionKind.ADD:
            self._add(position, step)
            return
        candidates: list[Entry] | list[Entry | int]
        if position in self.index.dynamic:
            candidates = self._select(step)
        else:
            candidates = self.buckets.pop(position, [])
            if position in self.late:  # filed while the run went on: in working-set order, as the others
                candidates.sort(key=slot_of)
        if step.action is ActionKind.REMOVE and step.value is None and not self.index.shield_dynamic:
            self._remove_all(step, candidates)
            return
        for candidate in candidates:  # (records are in the buckets of plain REMOVEs and BLANKs only)
            entry = candidate if isinstance(candidate, Entry) else self._blank_record(position, step, candidate)
            if entry is None or not entry.live:
                continue  # blanked as a record, or removed (or emptied) with its sequence by an earlier action
            self._apply(step, entry, self._decide(step, entry))

    def _select(self, step: Step) -> list[Entry]:
        selector = step.selector
        if isinstance(selector, SelectFields) and selector.name in self.found:
            listed = self.lookup.get(selector.name)
            if isinstance(listed, Mapping):  # the list (by uid): what it found, then what ADD made at those uids
                chosen = [e for e in self.found[selector.name] if e.live]
                return chosen + [e for e in self.added if e.live and e.uid in listed]
        if isinstance(selector, SelectValues) and self.ascii_text:
            test = values_test(self.lookup.get(selector.name), True, self.codec)
            if test is None:
                return []
            if self.text_index is None:
                self.text_index = TextIndex(self.working.slots, self.working.entry, self.codec)
            indexed = self.text_index.select(test, self.working.slots, self.changed)
            if indexed is not None:
                return indexed
        return self.matcher.select(selector, self.working.everything(), self.lookup, self.ascii_text, self.codec)

    def _decide(self, step: Step, entry: Entry) -> Edit:
        field = _LazyField(entry) if isinstance(step.value, ValueFunc) else None  # only a func: gets it
        try:
            return actions.decide(step, entry, self.dataset, self.lookup, field)
        except ValueProblem as problem:
            raise StepError(step, entry.uid, str(problem)) from problem

    def _apply(self, step: Step, entry: Entry, edit: Edit) -> None:
        if isinstance(edit, Remove):
            shield = self.index.shield_dynamic
            decided = entry.decided  # (the matcher's decision, without the call when the entry holds it)
            decision = decided[1] if decided is not None and decided[0] is self.index else self.matcher.decide(
                self.index, entry)
            if decision.shielded or (shield and any(  # type: ignore[attr-defined]
                    self.matcher.matches(s, entry, {}) for s in shield)):
                self.deferred.setdefault(id(entry), (entry, step))
                return
            self._remove(entry, step)
        elif isinstance(edit, SetValue):
            before = entry.element.value if self.record_values else None
            try:
                tree, after = actions.set_value(entry, edit, self._encodings(entry))
            except (ValueError, TypeError, OverflowError) as error:
                raise StepError(step, entry.uid, f"{edit.value!r} is not a valid {entry.vr} value: "
                                f"{error}") from error
            if tree is not None:
                self.trees[id(tree)] = tree
            if step.action in (ActionKind.REPLACE, ActionKind.JITTER):
                self.written.add(id(entry))
            if entry.vr == "SQ" and not after:
                entry.cleared = True
            self._record(entry, step, before, after)

    def _encodings(self, entry: Entry) -> actions.Charset | None:
        """Return the character set a new value of ``entry`` may be encoded in as bytes (None: make an element).

        The dataset's own, at every depth: only ASCII values are put in as bytes, the same in
        an item that declares another character set.
        """
        return None if entry.filemeta else self.encodings

    def _remove(self, entry: Entry, step: Step) -> None:
        before = entry.element.value if self.record_values else None
        tree = entry.drop()
        if tree is not None:
            self.trees[id(tree)] = tree
        self._record(entry, step, before, None)

    def _add(self, position: int, step: Step) -> None:
        target = actions.add_target(step.selector, self.dataset)
        if target is None:
            return
        tag, vr = target
        container = self.dataset.file_meta if tag >> 16 == 2 else self.dataset
        existing = None
        if tag in container:  # else no live entry holds it (a live element is never out of its container)
            existing = self.working.top_level(tag)
        try:
            value = actions.add_value(step, existing, vr, self.dataset, self.lookup, tag)
        except ValueProblem as problem:
            raise StepError(step, f"({tag >> 16:04X},{tag & 0xFFFF:04X})", str(problem)) from problem
        if value is None:
            return
        if existing is not None:
            self._apply(step, existing, SetValue(value))
            return
        before = container[tag].value if tag in container else None
        try:
            element = actions.new_element(tag, vr, value)
        except (ValueError, TypeError) as error:
            raise StepError(step, f"({tag >> 16:04X},{tag & 0xFFFF:04X})", str(error)) from error
        container[tag] = element
        entry = Entry((tag,), container[tag], container, (element.keyword,), container is not self.dataset,
                      private_creator(container, tag))
        self.working.append(entry)
        self.added.append(entry)
        self._file(entry, position)
        self._record(entry, step, before, element.value)

    def _record(self, entry: Entry, step: Step, before: object, after: object) -> None:
        self.changed.append(entry)
        self.changes.append((entry, self._said(step), before, after))

    def finish(self) -> None:
        """Carry out the removals that a REPLACE/JITTER shielded but never wrote (deid would leak them)."""
        for key, (entry, step) in self.deferred.items():
            if key not in self.written and entry.live:
                self._remove(entry, step)
        for tree in self.trees.values():
            tree.write()


__all__ = ["Change", "ChangeLog", "Execution", "StepError", "ValueList", "execute"]
