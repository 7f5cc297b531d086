"""Selector matching: plan selectors × working-set entries → bool.

Decisions that depend only on an element's identity (keyword path, tag, VR, private
creator) are cached in a :class:`Matcher`, which lives as long as the plan's run: a
batch decides each identity once. Value-dependent selectors (``values:``,
``fields:``) and exact addresses are decided per element.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence

from deidc.plan import (
    ActionKind,
    FieldList,
    PatternKind,
    Plan,
    SelectAddress,
    SelectAll,
    SelectFields,
    SelectGroup,
    SelectName,
    SelectNothing,
    Selector,
    SelectPath,
    SelectPattern,
    SelectPrivate,
    SelectTag,
    SelectValues,
    SelectVR,
    ValueFunc,
    ValueList,
)
from deidc.runtime.listmatch import values_test
from deidc.runtime.patterns import compile_pattern, description, joined_texts, pattern_found, search_patterns
from deidc.runtime.selector_index import SelectorIndex
from deidc.runtime.walk import Entry, keyword_of, tag_text
from deidc.runtime.workset import Context


def element_name(entry: Entry) -> str:
    """Return the element's description (``Patient's Name``, ``Private Creator`` ...), without decoding it."""
    return description(entry.tag, entry.creator)


def targets(entry: Entry) -> list[str]:
    """Return the texts a pattern expander searches for this element."""
    tag = entry.tag
    found = [entry.nested_name.lower(), tag_text(tag), f"{tag:08X}", element_name(entry), keyword_of(tag)]
    if entry.creator is not None:
        private = f'{tag >> 16:04X},"{entry.creator}",{tag & 0xFF:02X}'
        found += [f"({private})", private]
    return found


def _identity_match(selector: Selector, entry: Entry) -> bool:
    match selector:
        case SelectAll():
            return True
        case SelectTag(tag=tag, keyword=keyword):
            return entry.tag == tag or (bool(keyword) and keyword_of(entry.tag) == keyword)
        case SelectName(name=name):
            keyword = keyword_of(entry.tag).lower()
            return name in (keyword, element_name(entry).lower(), entry.nested_name.lower())
        case SelectPath(names=names):
            return tuple(n.lower() for n in entry.names) == names
        case SelectPrivate(group=group, creator=creator, offset=offset):
            tag = entry.tag
            return (entry.creator is not None and tag >> 16 == group and tag & 0xFF == offset
                    and entry.creator.lower() == creator.lower())
        case SelectPattern(kind=kind, pattern=pattern):
            texts = targets(entry)
            found = pattern_found(kind, pattern, texts, joined_texts(texts))
            return not found if kind is PatternKind.EXCEPT else found
        case SelectVR(vr=vr):
            return entry.vr == vr
        case SelectGroup(group=group):
            return entry.tag >> 16 == group
        case SelectNothing():
            return False
    raise AssertionError(selector)


def _patterns(entry: Entry, selectors: Sequence[tuple[int, SelectPattern]]) -> list[int]:
    """Return the numbers of the pattern selectors that select an element (its texts computed once)."""
    return search_patterns(targets(entry), selectors)


_DYNAMIC = (SelectAddress, SelectValues, SelectFields)


def is_dynamic(selector: Selector) -> bool:
    """Return whether a selector depends on more than an element's identity (values, lists, item indexes)."""
    return isinstance(selector, _DYNAMIC)


_KEPT = -1
_SHIELDED = -2
_LINE = 1 << 30  #: group lines are numbered from here in the selector index (steps below it)


class PlanIndex:
    """A plan's steps sorted by how they select, computed once per plan."""

    def __init__(self, plan: Plan) -> None:
        """Split the plan's steps into identity-only and dynamic ones, and collect KEEP and shield selectors."""
        self.plan = plan
        acting = [(i, s) for i, s in enumerate(plan.steps) if s.action not in (ActionKind.KEEP, ActionKind.ADD)]
        self.static = tuple(i for i, s in acting if not is_dynamic(s.selector))
        self.dynamic = frozenset(i for i, s in acting if is_dynamic(s.selector))
        self.adds = frozenset(i for i, s in enumerate(plan.steps) if s.action is ActionKind.ADD)
        keep = [s.selector for s in plan.steps if s.action is ActionKind.KEEP]
        # deid resolves KEEP and the REMOVE shield without the lists: values:/fields: protect nothing
        self.keep_static = tuple(k for k in keep if not is_dynamic(k))
        self.keep_dynamic = tuple(k for k in keep if isinstance(k, SelectAddress))
        shield = [s.selector for s in plan.steps if s.action in (ActionKind.REPLACE, ActionKind.JITTER)]
        self.shield_static = tuple(k for k in shield if not is_dynamic(k))
        self.shield_dynamic = tuple(k for k in shield if isinstance(k, SelectAddress))
        #: the identity-only REMOVEs without a condition
        self.plain_removals = frozenset(i for i in self.static if plan.steps[i].action is ActionKind.REMOVE
                                        and plan.steps[i].value is None)
        #: those and the identity-only BLANKs: an element only these select may stay a record (the runtime
        #: blanks and removes it as a record)
        self.record_steps = self.plain_removals | frozenset(
            i for i in self.static if plan.steps[i].action is ActionKind.BLANK)
        #: the lines of the %values lists, then of the %fields lists, numbered in that order
        groups: list[ValueList | FieldList] = [*plan.values, *plan.fields]
        self.lines = tuple(line for group in groups for line in group.steps)
        self.dynamic_lines = frozenset(n for n, line in enumerate(self.lines) if is_dynamic(line.selector))
        # one index over the acting steps (by position), the KEEP selectors (-1), the shields (-2)
        # and the identity-only group lines (from _LINE)
        entries = [(i, plan.steps[i].selector) for i in self.static]
        entries += [(_KEPT, k) for k in self.keep_static] + [(_SHIELDED, k) for k in self.shield_static]
        entries += [(_LINE + n, line.selector) for n, line in enumerate(self.lines) if n not in self.dynamic_lines]
        self.selectors = SelectorIndex(entries)
        #: a step calls a function of the caller's (which gets the dataset itself)
        self.calls_functions = any(isinstance(s.value, ValueFunc) for s in plan.steps)


class Decision:
    """What a plan decides for one element identity, for a whole batch."""

    __slots__ = ("kept", "lines", "shielded", "steps")

    def __init__(self, steps: tuple[int, ...], kept: bool, shielded: bool, lines: tuple[int, ...] = ()) -> None:
        """Record the identity-only steps and group lines that select it, and whether KEEP or REPLACE/JITTER does."""
        self.steps = steps  #: indexes of the identity-only steps that select it
        self.kept = kept  #: a KEEP selects it
        self.shielded = shielded  #: a REPLACE or JITTER selects it
        self.lines = lines  #: numbers of the identity-only group lines (``PlanIndex.lines``) that select it


class Matcher:
    """Decides which entries a selector matches, caching identity-only decisions."""

    def __init__(self) -> None:
        """Start with an empty cache."""
        self._cache: dict[tuple[Selector, tuple[object, ...]], bool] = {}
        self._indexes: dict[int, PlanIndex] = {}
        self._decisions: dict[tuple[int, tuple[object, ...]], Decision] = {}
        self._contexts: dict[tuple[int, bool], tuple[PlanIndex, Context]] = {}

    def index(self, plan: Plan) -> PlanIndex:
        """Return the (cached) index of a plan."""
        found = self._indexes.get(id(plan))
        if found is None or found.plan is not plan:
            found = self._indexes[id(plan)] = PlanIndex(plan)
        return found

    def context(self, index: PlanIndex, sparse: bool = True) -> Context:
        """Return the top-level context of a plan's walks (:func:`deidc.runtime.workset.build`) in this batch.

        It is decided by :meth:`classify` with the same ``sparse``.
        """
        key = (id(index), sparse)
        found = self._contexts.get(key)
        if found is None or found[0] is not index:
            found = self._contexts[key] = (index, Context())
        return found[1]

    def classify(self, index: PlanIndex, sparse: bool, entry: Entry) -> tuple[tuple[object, object] | None, bool, bool]:
        """Return a new identity's decision (as ``Entry.decided``), whether it may stay a record, whether it is kept.

        ``sparse``: an element that no identity-only step, list line or KEEP selects may
        stay a record (else every element is an entry); so may one that only REMOVEs without a
        condition and BLANKs select (:attr:`PlanIndex.record_steps`), when nothing (no REPLACE
        or JITTER) can spare it from a REMOVE: the runtime blanks and removes it as a record.
        """
        decision = self.decide(index, entry)
        if not sparse or decision.lines or decision.kept:
            return entry.decided, False, decision.kept
        return entry.decided, not decision.steps or (
            not decision.shielded and not index.shield_dynamic and index.record_steps.issuperset(decision.steps)), False

    def decide(self, index: PlanIndex, entry: Entry) -> Decision:
        """Return the identity-only decision of a plan for an entry (computed once per identity)."""
        decided = entry.decided
        if decided is not None and decided[0] is index:
            return decided[1]  # type: ignore[return-value]
        key = (id(index), entry.identity)
        found = self._decisions.get(key)
        if found is None:
            numbers = index.selectors.lookup(entry, self._check, element_name, _patterns)
            found = self._decisions[key] = Decision(
                tuple(n for n in numbers if 0 <= n < _LINE), _KEPT in numbers, _SHIELDED in numbers,
                tuple(n - _LINE for n in numbers if n >= _LINE))
        entry.decided = (index, found)
        return found

    def _check(self, selector: Selector, entry: Entry) -> bool:
        return self.matches(selector, entry, {})

    def matches(self, selector: Selector, entry: Entry, groups: Mapping[str, object]) -> bool:
        """Return whether ``selector`` selects ``entry`` (groups: the computed lists)."""
        if isinstance(selector, SelectAddress):
            return _address_match(selector, entry)
        if isinstance(selector, SelectValues):
            test = values_test(groups.get(selector.name), False)
            return test is not None and test.matches(entry)
        if isinstance(selector, SelectFields):
            found = groups.get(selector.name)
            return isinstance(found, Mapping) and entry.uid in found
        key = (selector, entry.identity)
        result = self._cache.get(key)
        if result is None:
            result = self._cache[key] = _identity_match(selector, entry)
        return result

    def select(self, selector: Selector, entries: Iterable[Entry], groups: Mapping[str, object],
               ascii_text: bool = False, codec: str | None = None) -> list[Entry]:
        """Return the live entries ``selector`` selects, in working-set order.

        ``ascii_text``: the dataset's character sets decode ASCII bytes as ASCII, so that
        ``values:`` lists may test raw values on their bytes (:mod:`deidc.runtime.listmatch`);
        ``codec``: the dataset's one single-byte or UTF-8 character set, to decode other text.
        """
        if isinstance(selector, SelectValues):
            test = values_test(groups.get(selector.name), ascii_text, codec)
            if test is None:
                return []
            return [e for e in entries if e.live and test.matches(e)]
        return [e for e in entries if e.live and self.matches(selector, e, groups)]


def _address_match(selector: SelectAddress, entry: Entry) -> bool:
    address = entry.address
    if len(address) != 2 * len(selector.tags) - 1:
        return False
    return address[0::2] == selector.tags and address[1::2] == selector.items


def values_match(values: object, entry: Entry) -> bool:
    """Return whether the element's value contains one of ``values`` (case-insensitive, literally)."""
    test = values_test(values, False)
    return test is not None and test.matches(entry)


__all__ = ["Matcher", "compile_pattern", "description", "search_patterns", "targets", "values_match"]
