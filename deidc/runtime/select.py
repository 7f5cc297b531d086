"""Selector matching: plan selectors × working-set entries → bool.

Decisions that depend only on an element's identity (keyword path, tag, VR, private
creator) are cached in a :class:`Matcher`, which lives as long as the plan's run: a
batch decides each identity once. Value-dependent selectors (``values:``,
``fields:``) and exact addresses are decided per element.
"""

from __future__ import annotations

import functools
import re
import string
from collections.abc import Iterable, Mapping, Sequence
from typing import Final

from pydicom.datadict import (
    dictionary_description,
    dictionary_has_tag,
    private_dictionary_description,
    repeater_has_tag,
)
from pydicom.tag import BaseTag

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
from deidc.runtime.selector_index import SelectorIndex
from deidc.runtime.walk import Entry, keyword_of, tag_text
from deidc.runtime.workset import Context


def _anchored(kind: PatternKind, pattern: str) -> str:
    """Return an expander's pattern anchored as its kind says (startswith: at the start, endswith: at the end)."""
    if kind is PatternKind.STARTSWITH:
        return f"^({pattern})"
    if kind is PatternKind.ENDSWITH:
        return f"({pattern})$"
    return pattern


@functools.lru_cache(maxsize=1024)
def compile_pattern(kind: PatternKind, pattern: str) -> re.Pattern[str]:
    """Compile an expander's regular expression as deid searches it."""
    return re.compile(_anchored(kind, pattern), re.IGNORECASE)


def _joinable(pattern: str) -> bool:
    r"""Return whether a pattern may search an element's texts joined by newlines (see :func:`_joined`).

    Not when it looks outside the text it matches: a lookaround, ``\A``/``\Z``, an atomic
    group or a possessive quantifier.
    """
    return not ("(?" in pattern or "\\A" in pattern or "\\Z" in pattern or any(
        q in pattern for q in ("*+", "++", "?+", "}+")))


@functools.lru_cache(maxsize=1024)
def _joined(kind: PatternKind, pattern: str) -> re.Pattern[str] | None:
    r"""Return the expander's regex for all of an element's texts at once (joined by newlines), when that is exact.

    With ``^`` and ``$`` matching at each newline, a text that holds a match makes the
    joined texts hold one, unless the pattern looks outside the text it matches: a
    lookaround, ``\A``/``\Z``, an atomic group or a possessive quantifier. Those patterns
    give None (searched text by text). A match in the joined texts may span two of them,
    so a hit is checked text by text; a miss is final.
    """
    if not _joinable(pattern):
        return None
    return re.compile(_anchored(kind, pattern), re.IGNORECASE | re.MULTILINE)


def pattern_found(kind: PatternKind, pattern: str, texts: Sequence[str], joined: str | None) -> bool:
    """Return whether an expander's regex finds a match in any of an element's texts (``joined``: them by newlines)."""
    if joined is not None:
        caseless = _lowered(kind, pattern)
        if caseless is not None and joined.isascii():
            return caseless.search(joined.lower()) is not None
        whole = _joined(kind, pattern)
        if whole is not None and whole.search(joined) is None:
            return False
    regex = compile_pattern(kind, pattern)
    return any(regex.search(text) for text in texts)


def joined_texts(texts: Sequence[str]) -> str | None:
    """Return an element's texts joined by newlines for :func:`pattern_found` (None when one holds a newline)."""
    joined = "\n".join(texts)
    return None if joined.count("\n") != len(texts) - 1 else joined


def element_name(entry: Entry) -> str:
    """Return the element's description (``Patient's Name``, ``Private Creator`` ...), without decoding it."""
    return description(entry.tag, entry.creator)


@functools.lru_cache(maxsize=8192)
def description(tag: int, creator: str | None) -> str:
    """Return what pydicom's ``DataElement.name`` gives for a tag in a dataset where its private creator is ``creator``.

    (pydicom's dataset gives an element its private creator when it is read from the
    dataset; an element decoded on its own has none, and would say ``Private tag data``.)
    """
    if tag >> 16 & 1:  # private
        if creator:
            try:
                return f"[{private_dictionary_description(BaseTag(tag), creator)}]"
            except KeyError:
                pass
        elif tag & 0xFF00 == 0:
            return "Private Creator"
        return "Private tag data"
    if dictionary_has_tag(tag) or repeater_has_tag(tag):
        return str(dictionary_description(tag))
    if tag & 0xFFFF == 0:
        return "Group Length"
    return ""


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


#: characters of an expander pattern that make lower-casing it (and the texts) the same as ignoring case:
#: no escapes, classes or inline flags (``[A-z]`` or ``\\S`` would change meaning)
_CASELESS: Final = frozenset(string.ascii_letters + string.digits + "_|()*+?.^$-{}, :;'\"/<>=&%#@!~`")


@functools.lru_cache(maxsize=1024)
def _lowered(kind: PatternKind, pattern: str) -> re.Pattern[str] | None:
    """Return the expander's regex, lower-cased and case-sensitive, for lower-cased ASCII texts (None: not exact).

    For a pattern of plain ASCII characters (see :data:`_CASELESS`), searching lower-cased
    ASCII text case-sensitively finds what the case-insensitive search finds in the text,
    and Python's regex engine does it about ten times faster. ``^`` and ``$`` match at
    newlines too, for the joined texts (see :func:`_joined`); and as none of these
    characters matches a newline, a match in the joined texts is a match in one of them.
    """
    if not _CASELESS.issuperset(pattern) or not _joinable(pattern):
        return None
    return re.compile(_anchored(kind, pattern.lower()), re.MULTILINE)


#: a pattern selector ready to search: (its number, whether it is an except:, its lower-cased regex for
#: lower-cased ASCII texts (see :func:`_lowered`), its regex for joined texts (see :func:`_joined`), the selector)
_Compiled = tuple[int, bool, re.Pattern[str] | None, re.Pattern[str] | None, SelectPattern]
_COMPILED: dict[int, tuple[Sequence[tuple[int, SelectPattern]], list[_Compiled]]] = {}


def _compiled(selectors: Sequence[tuple[int, SelectPattern]]) -> list[_Compiled]:
    """Return the regexes of a selector index's pattern selectors (kept while the index lives)."""
    found = _COMPILED.get(id(selectors))
    if found is None or found[0] is not selectors:
        if len(_COMPILED) >= 64:
            _COMPILED.clear()
        made: list[_Compiled] = []
        for number, selector in selectors:
            caseless = _lowered(selector.kind, selector.pattern)
            whole = _joined(selector.kind, selector.pattern) if caseless is None else None
            made.append((number, selector.kind is PatternKind.EXCEPT, caseless, whole, selector))
        found = _COMPILED[id(selectors)] = (selectors, made)
    return found[1]


def _patterns(entry: Entry, selectors: Sequence[tuple[int, SelectPattern]]) -> list[int]:
    """Return the numbers of the pattern selectors that select an element (its texts computed once)."""
    return search_patterns(targets(entry), selectors)


def search_patterns(texts: Sequence[str], selectors: Sequence[tuple[int, SelectPattern]]) -> list[int]:
    """Return the numbers of the pattern selectors that select an element whose searched texts are ``texts``.

    The same answer as searching each text with :func:`compile_pattern`'s regex, found
    faster where that is exact (see :func:`_lowered` and :func:`_joined`).
    """
    joined = joined_texts(texts)
    lowered = joined.lower() if joined is not None and joined.isascii() else None
    found = []
    for number, negated, caseless, whole, selector in _compiled(selectors):
        if lowered is not None and caseless is not None:  # the fast way (see _lowered)
            hit = caseless.search(lowered) is not None
        elif joined is not None and whole is not None and whole.search(joined) is None:
            hit = False  # a miss in the joined texts is final (see _joined)
        else:
            regex = compile_pattern(selector.kind, selector.pattern)
            hit = any(regex.search(text) for text in texts)
        if hit is not negated:
            found.append(number)
    return found


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

    def classify(self, index: PlanIndex, sparse: bool, entry: Entry) -> tuple[tuple[object, object] | None, bool]:
        """Return a new identity's decision (as ``Entry.decided``) and whether its elements may stay records.

        ``sparse``: an element that no identity-only step, list line or KEEP selects may
        stay a record (else every element is an entry).
        """
        decision = self.decide(index, entry)
        return entry.decided, sparse and not (decision.steps or decision.lines or decision.kept)

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
