"""How header actions interact: a compiled ``Plan`` → warnings about actions that never matter.

The model is the runtime's (``runtime-semantics.md`` §4, as deidc runs it): actions run in
recipe order; KEEP, wherever it stands, hides elements from every action but ADD; ADD
always writes, and puts what it writes back in reach of the later actions; REMOVE spares
an element that a REPLACE or JITTER selects, but only if that REPLACE or JITTER wrote it;
otherwise the later action wins. Only what holds for every dataset is reported: the
elements must be named exactly (keywords, tags, paths), except for ``ALL``.
"""

from __future__ import annotations

import bisect
from collections import defaultdict
from collections.abc import Iterator
from dataclasses import dataclass, field

from deidc import codes
from deidc.compiler.elements import Exact, covers, describe, element_vrs, exact, keep_hides, may_select, shields, top
from deidc.compiler.where import Where, value_text
from deidc.diagnostics import Diagnostic, make
from deidc.plan import (
    ActionKind,
    Plan,
    SelectAll,
    SelectNothing,
    Selector,
    SelectPattern,
    SelectPrivate,
    SelectTag,
    Step,
    ValueDeidFunc,
    ValueFunc,
)
from deidc.plan import ValueLiteral as Literal

A = ActionKind
_PHRASES = {A.REMOVE: "removes it", A.BLANK: "empties it", A.REPLACE: "replaces it", A.ADD: "overwrites it"}


def _target(step: Step) -> Exact | None:
    if step.action is A.ADD:
        if isinstance(step.selector, SelectTag):
            return top(step.selector.tag)
        return exact(step.selector) if isinstance(step.selector, SelectPrivate) else None
    return exact(step.selector)


@dataclass
class _Plan:
    """A plan's header steps with the indexes the analysis needs."""

    steps: tuple[Step, ...]
    targets: list[Exact | None]
    by_tag: dict[object, list[int]]  #: positions of exact steps by their element's tag (or private key)
    alls: list[int]  #: positions of ALL steps
    loose: list[int]  #: positions of the steps that select by anything but an exact field, in order
    acting_loose: list[int]  #: the positions of ``loose`` that are not KEEP steps
    keeps: list[int]  #: positions of the KEEP steps
    adds: list[int]  #: positions of the ADD steps
    adds_by_key: dict[object, list[int]]  #: positions of the ADD steps by the tag (or private key) they write
    odd_adds: list[int]  #: positions of the ADD steps that write a private element
    wild: dict[A, bool]  #: per action, whether some step selects by something else than an exact field or ALL
    #: per (action, loose only), how many steps before each position may change what a repeat of the action does
    counts: dict[tuple[A, bool], list[int]] = field(default_factory=dict)

    @classmethod
    def of(cls, plan: Plan) -> _Plan:
        targets = [_target(s) for s in plan.steps]
        by_tag: dict[object, list[int]] = defaultdict(list)
        alls: list[int] = []
        wild = dict.fromkeys(A, False)
        for i, (step, target) in enumerate(zip(plan.steps, targets, strict=True)):
            if target is not None:
                by_tag[_key(target)].append(i)
            elif isinstance(step.selector, SelectAll):
                alls.append(i)
            elif shields(step.selector) or step.action not in (A.REPLACE, A.JITTER):
                wild[step.action] = True
        loose = [i for i, target in enumerate(targets) if target is None]
        acting = [i for i in loose if plan.steps[i].action is not A.KEEP]
        keeps = [i for i, s in enumerate(plan.steps) if s.action is A.KEEP]
        adds = [i for i, s in enumerate(plan.steps) if s.action is A.ADD]
        adds_by_key: dict[object, list[int]] = defaultdict(list)
        odd_adds = []
        for i in adds:
            target = targets[i]
            key = None if target is None else _key(target)
            adds_by_key[key].append(i)
            if not isinstance(key, int) or (key >> 16) & 1:
                odd_adds.append(i)
        return cls(plan.steps, targets, by_tag, alls, loose, acting, keeps, adds, adds_by_key, odd_adds, wild)

    def others(self, action: A, loose_only: bool, lo: int, hi: int) -> bool:
        """Return whether a step in ``[lo, hi)`` (a loose one if ``loose_only``) may change what ``action`` does."""
        key = (action, loose_only)
        counts = self.counts.get(key)
        if counts is None:
            counts = self.counts[key] = [0]
            for step, target in zip(self.steps, self.targets, strict=True):
                counted = not _harmless(step, action) and (target is None or not loose_only)
                counts.append(counts[-1] + counted)
        return counts[hi] > counts[lo]

    def between(self, positions: list[int], lo: int, hi: int) -> list[int]:
        """Return the items of a sorted list of positions that are in ``[lo, hi)``."""
        return positions[bisect.bisect_left(positions, lo):bisect.bisect_left(positions, hi)]

    def near(self, element: Exact) -> Iterator[int]:
        """Yield, in order, the positions of steps that could name the same element (ALL included)."""
        keys = [_key(element)]
        if element.kind != "private":
            keys += [t for t in element.tags[:-1]]
        found = {i for k in keys for i in self.by_tag.get(k, ())}
        yield from sorted(found.union(self.alls))

    def kept(self, element: Exact) -> bool:
        """Return whether a KEEP may hide the elements (then an ADD is what brings them within reach)."""
        return any(shields(self.steps[k].selector) and may_select(self.steps[k].selector, element)
                   for k in self.keeps)

    def may(self, actions: tuple[A, ...], element: Exact) -> bool:
        """Return whether a step of one of ``actions`` might select one of the elements."""
        if any(self.wild[a] for a in actions) or any(self.steps[i].action in actions for i in self.alls):
            return True
        tag = element.tag
        private = tag is None or bool((tag >> 16) & 1)  # a private creator field may name it too
        positions = range(len(self.steps)) if private else self.by_tag.get(tag, [])
        return any(self.steps[i].action in actions and _selects(self.steps[i], element) for i in positions)


def _key(element: Exact) -> object:
    return element.private if element.private is not None else element.tag


def _selects(step: Step, element: Exact) -> bool:
    if step.action in (A.REPLACE, A.JITTER) and not shields(step.selector):
        return False
    return may_select(step.selector, element)


def check_interactions(plan: Plan, where: Where) -> Iterator[Diagnostic]:
    """Report actions that KEEP hides, duplicates, and actions a later one overrides or spares."""
    p = _Plan.of(plan)
    silent: set[int] = set()
    for i, keep in _hidden(p):
        silent.add(i)
        yield _hidden_diagnostic(p, i, keep, where)
    seen: dict[tuple[object, ...], int] = {}
    for i, step in enumerate(p.steps):
        if i in silent:
            continue
        if isinstance(step.value, (ValueFunc, ValueDeidFunc)):
            continue  # a function may give another value each time
        key = (step.action, p.targets[i] or _normal(step.selector), step.value)
        first = seen.get(key)
        if first is not None and not _interferes(p, first, i):
            silent.add(i)
            yield _duplicate(step, p.steps[first], where)
        else:
            seen[key] = i
    for i in range(len(p.steps)):
        if i not in silent and p.targets[i] is not None:
            yield from _overridden(p, i, silent, where)


def _interferes(p: _Plan, first: int, second: int) -> bool:
    """Return whether a step between two equal ones may change what the second one does."""
    action, element = p.steps[first].action, p.targets[first]
    if action is A.KEEP:
        return False
    if p.others(action, element is not None, first + 1, second):
        return True  # a step that may touch anything (or, for an inexact selector, any step) in between
    if element is None:
        return False
    return any(not _harmless(p.steps[k], action) and may_select(p.steps[k].selector, element)
               for k in p.near(element) if first < k < second)


def _harmless(step: Step, action: A) -> bool:
    """Return whether ``step`` between two equal steps of ``action`` cannot change what the second does."""
    return step.action is A.KEEP or isinstance(step.selector, SelectNothing) or (
        step.action is action and action in (A.REMOVE, A.BLANK))


def _normal(selector: Selector) -> object:
    if isinstance(selector, SelectPattern) and "\\" not in selector.pattern:
        return SelectPattern(selector.kind, selector.pattern.lower())  # expanders ignore case
    return selector


def _adds(p: _Plan, lo: int, hi: int, step: Step, element: Exact | None) -> bool:
    """Return whether an ADD at a position in ``[lo, hi)`` may write an element ``step`` selects."""
    if element is None:
        return bool(p.between(p.adds, lo, hi))
    odd = element.tag is None or bool((element.tag >> 16) & 1)
    candidates = p.between(p.adds_by_key.get(_key(element), []), lo, hi)
    if odd:
        candidates += p.between(p.odd_adds, lo, hi)
    for i in candidates:
        target = p.targets[i]
        if target is None or may_select(step.selector, target):
            return True
    return False


def _hidden(p: _Plan) -> Iterator[tuple[int, int]]:
    keep_all = next((i for i in p.keeps if isinstance(p.steps[i].selector, SelectAll)), None)
    for i, step in enumerate(p.steps):
        if step.action in (A.KEEP, A.ADD):
            continue
        element = p.targets[i]
        keep = keep_all
        if keep is None and element is not None:
            keep = next((k for k in p.near(element) if p.steps[k].action is A.KEEP
                         and keep_hides(p.steps[k].selector, element)), None)
        if keep is None:
            continue
        # an ADD before it brings elements back within reach; and a REPLACE or JITTER spares from REMOVE what
        # an ADD wrote, wherever that ADD stands (the REMOVE then waits for a write that never comes)
        shielding = step.action in (A.REPLACE, A.JITTER)
        if not _adds(p, 0, len(p.steps) if shielding else i, step, element):
            yield i, keep


def _hidden_diagnostic(p: _Plan, i: int, k: int, where: Where) -> Diagnostic:
    step, keep, element = p.steps[i], p.steps[k], p.targets[i]
    if element is None:
        message = (f"{step.action.value} at line {step.origin.line} never applies: "
                   f"KEEP ALL at line {keep.origin.line} keeps every element")
    else:
        message = (f"{step.action.value} at line {step.origin.line} never applies to '{describe(element)}': "
                   f"KEEP at line {keep.origin.line} keeps it")
    return make(codes.HIDDEN_BY_KEEP, message, where.line(step.origin), path=step.origin.path,
                help="KEEP hides elements from every action but ADD, wherever it stands: "
                     "remove this line, or the KEEP", label="never applies")


def _duplicate(step: Step, first: Step, where: Where) -> Diagnostic:
    written = where.written(step.origin)
    message = f"{step.action.value} '{written}' repeats line {first.origin.line}"
    fix = "remove this line"
    if step.action is A.JITTER:
        message += ": the dates move twice"
        fix = "remove one of the lines, or write one JITTER with the sum of the days"
    return make(codes.DUPLICATE_ACTION, message, where.line(step.origin), path=step.origin.path, help=fix)


def _overridden(p: _Plan, i: int, silent: set[int], where: Where) -> Iterator[Diagnostic]:
    step = p.steps[i]
    element = p.targets[i]
    assert element is not None
    if step.action is A.REMOVE:
        yield from _spared(p, i, silent, element, where)
        return
    if step.action is A.KEEP:
        return
    shielding = step.action in (A.REPLACE, A.JITTER) and p.may((A.REMOVE,), element)
    for j in _next_steps(p, i, element):
        later = p.steps[j]
        if j in silent:
            continue
        if covers(later.selector, element) and _undoes(p, step, later, element) and not (
                shielding and later.action is not A.REPLACE):
            yield _override_diagnostic(step, later, element, where)
            return
        if p.targets[j] is None or may_select(later.selector, element):
            return  # it may see the element first, and what it finds may matter


def _next_steps(p: _Plan, i: int, element: Exact) -> list[int]:
    """Return the positions of the steps after ``i`` that may touch the element, in order.

    KEEP steps are left out; the list ends with the first step that selects by anything but
    an exact field (after it, anything may have happened to the element).
    """
    after = bisect.bisect_right(p.acting_loose, i)
    stop = p.acting_loose[after] if after < len(p.acting_loose) else len(p.steps)
    found = sorted(k for k in p.near(element) if i < k < stop and p.steps[k].action is not A.KEEP)
    return found + [stop] if stop < len(p.steps) else found


def _undoes(p: _Plan, step: Step, later: Step, element: Exact) -> bool:
    """Return whether ``later`` always undoes what ``step`` did to ``element``."""
    writes = isinstance(later.value, Literal) and bool(element_vrs(element)) and "SQ" not in element_vrs(element)
    match later.action:
        case A.REMOVE:
            return (later.value is None and step.action in (A.BLANK, A.ADD)
                    and not p.may((A.REPLACE, A.JITTER), element) and not (step.action is A.ADD and p.kept(element)))
        case A.BLANK:
            return step.action in (A.REPLACE, A.JITTER, A.BLANK)
        case A.REPLACE:
            return writes and step.action in (A.REPLACE, A.JITTER, A.BLANK)
        case A.ADD:
            return isinstance(later.value, Literal) and (step.action is A.ADD or element.top_level)
    return False


def _override_diagnostic(step: Step, later: Step, element: Exact, where: Where) -> Diagnostic:
    name, a, b = describe(element), step.action.value, later.action.value
    first, second = step.origin.line, later.origin.line
    if step.action is later.action and step.value != later.value:
        message = (f"{a} at line {first} sets '{name}' to '{value_text(step.value)}', but {b} at line {second} "
                   f"sets it to '{value_text(later.value)}': the later line wins")
        return make(codes.CONFLICTING_ACTIONS, message, where.line(step.origin), path=step.origin.path,
                    help="remove the line whose value should not be written")
    if step.action is A.ADD and later.action is A.REMOVE:
        message = f"ADD at line {first} writes '{name}', but {b} at line {second} removes it: the later line wins"
        return make(codes.CONFLICTING_ACTIONS, message, where.line(step.origin), path=step.origin.path,
                    help=f"to write '{name}', move the ADD after line {second}; otherwise remove it")
    message = f"{a} at line {first} has no effect on '{name}': {b} at line {second} {_PHRASES[later.action]} afterwards"
    return make(codes.OVERRIDDEN_ACTION, message, where.line(step.origin), path=step.origin.path,
                help="remove one of the two lines: only the later one shows in the output")


def _spared(p: _Plan, i: int, silent: set[int], element: Exact, where: Where) -> Iterator[Diagnostic]:
    vrs = element_vrs(element)
    if not vrs or "SQ" in vrs:
        return
    step = p.steps[i]
    for j in p.near(element):
        writer = p.steps[j]
        if (j in silent or writer.action is not A.REPLACE or not isinstance(writer.value, Literal)
                or not covers(writer.selector, element)):
            continue
        if _adds(p, j + 1, len(p.steps), step, element):
            return  # an ADD after the REPLACE may make an element the REPLACE never wrote
        shown = "ALL" if isinstance(writer.selector, SelectAll) else ""
        message = (f"REMOVE at line {step.origin.line} never applies to '{describe(element)}': "
                   f"REPLACE {shown + ' ' if shown else ''}at line {writer.origin.line} writes it, "
                   f"and REMOVE spares what REPLACE writes")
        yield make(codes.SPARED_BY_REPLACE, message, where.line(step.origin), path=step.origin.path,
                   help=f"remove this line; if '{describe(element)}' must go, remove the REPLACE instead")
        return


__all__ = ["check_interactions"]
