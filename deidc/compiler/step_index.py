"""A plan's header steps, indexed for the rule analysis: which steps may touch which element.

Part of :mod:`deidc.compiler.interactions`. Every query answers from sorted lists of
positions, so the analysis stays linear in the number of steps even when a recipe
names one element thousands of times.
"""

from __future__ import annotations

import bisect
import heapq
from collections import defaultdict
from collections.abc import Iterator, Sequence
from dataclasses import dataclass, field

from deidc.compiler.elements import Exact, exact, may_select, shields, top
from deidc.plan import ActionKind, Plan, SelectAll, SelectNothing, SelectTag, Step

A = ActionKind


def target(step: Step) -> Exact | None:
    """Return the elements a step names exactly (for ADD of a tag: the top-level element it writes), or None."""
    if step.action is A.ADD:
        # an ADD by private creator is left inexact: what later steps see of the element it writes
        # (whether its creator is known to them) is the runtime's business, not certain here
        return top(step.selector.tag) if isinstance(step.selector, SelectTag) else None
    return exact(step.selector)


def key(element: Exact) -> object:
    """Return the index key of an element: its tag, or its private-creator triple."""
    return element.private if element.private is not None else element.tag


def is_private(element: Exact) -> bool:
    """Return whether the element is, or may be, a private element (a creator field may name it too)."""
    return element.tag is None or bool((element.tag >> 16) & 1)


def _slice(positions: Sequence[int], lo: int, hi: int) -> Iterator[int]:
    start, end = bisect.bisect_left(positions, lo), bisect.bisect_left(positions, hi)
    return (positions[k] for k in range(start, end))


def _unique(positions: Iterator[int]) -> Iterator[int]:
    last = -1
    for position in positions:
        if position != last:
            yield position
        last = position


def harmless(step: Step, action: A) -> bool:
    """Return whether ``step``, between two equal steps of ``action``, cannot change what the second one does."""
    return step.action is A.KEEP or isinstance(step.selector, SelectNothing) or (
        step.action is action and action in (A.REMOVE, A.BLANK))


@dataclass
class StepIndex:
    """The steps of a plan, with sorted position lists by element, action and kind of selector."""

    steps: tuple[Step, ...]  #: the header steps, in order
    targets: list[Exact | None]  #: what each step names exactly (None: ALL, an expander or a list)
    by_key: dict[object, list[int]] = field(default_factory=lambda: defaultdict(list))  #: exact steps by key
    #: exact steps by (key, action)
    by_action: dict[tuple[object, A], list[int]] = field(default_factory=lambda: defaultdict(list))
    odd: dict[A, list[int]] = field(default_factory=lambda: defaultdict(list))  #: exact steps that may be private
    odd_all: list[int] = field(default_factory=list)  #: exact steps that may be private, of any action
    alls: list[int] = field(default_factory=list)  #: steps on ALL
    loose: dict[A, list[int]] = field(default_factory=lambda: defaultdict(list))  #: inexact steps, by action
    acting_loose: list[int] = field(default_factory=list)  #: inexact steps but KEEP
    add_positions: list[int] = field(default_factory=list)  #: ADD steps
    #: per (action, inexact only): prefix counts of the steps that may change what a repeat of the action does
    counts: dict[tuple[A, bool], list[int]] = field(default_factory=dict)
    cache: dict[tuple[object, ...], bool] = field(default_factory=dict)  #: memoised queries

    @classmethod
    def of(cls, plan: Plan) -> StepIndex:
        """Index a plan's header steps."""
        index = cls(plan.steps, [target(s) for s in plan.steps])
        for i, (step, element) in enumerate(zip(index.steps, index.targets, strict=True)):
            if step.action is A.ADD:
                index.add_positions.append(i)
            if element is not None:
                index.by_key[key(element)].append(i)
                index.by_action[(key(element), step.action)].append(i)
                if is_private(element):
                    index.odd[step.action].append(i)
                    index.odd_all.append(i)
                continue
            index.loose[step.action].append(i)
            if step.action is not A.KEEP:
                index.acting_loose.append(i)
            if isinstance(step.selector, SelectAll):
                index.alls.append(i)
        return index

    def near(self, element: Exact, lo: int = 0, hi: int | None = None) -> Iterator[int]:
        """Yield, in order, the positions in ``[lo, hi)`` of steps that may name the element, an ancestor, or ALL."""
        hi = len(self.steps) if hi is None else hi
        keys = [key(element)] + ([] if element.private is not None else list(element.tags[:-1]))
        lists = [_slice(self.by_key.get(k, []), lo, hi) for k in dict.fromkeys(keys)]
        if is_private(element):  # a private element can be named by its tag or by its creator
            lists.append(_slice(self.odd_all, lo, hi))
        return _unique(heapq.merge(*lists, _slice(self.alls, lo, hi)))

    def keeps(self, element: Exact) -> Iterator[int]:
        """Yield, in order, the positions of exact KEEP steps that name the element or an ancestor."""
        keys = [key(element)] + ([] if element.private is not None else list(element.tags[:-1]))
        return heapq.merge(*(iter(self.by_action.get((k, A.KEEP), [])) for k in dict.fromkeys(keys)))

    def of_action(self, action: A, element: Exact, lo: int = 0, hi: int | None = None) -> Iterator[int]:
        """Yield, in order, the positions in ``[lo, hi)`` of exact ``action`` steps that may select the element."""
        hi = len(self.steps) if hi is None else hi
        lists = [_slice(self.by_action.get((key(element), action), []), lo, hi)]
        if is_private(element):
            lists.append(_slice(self.odd.get(action, []), lo, hi))
        for i in _unique(heapq.merge(*lists)):
            if may_select(self.steps[i].selector, element):
                yield i

    def may(self, actions: tuple[A, ...], element: Exact) -> bool:
        """Return whether a step of one of ``actions``, anywhere, might select one of the elements.

        REPLACE, JITTER and KEEP of a ``values:``/``fields:`` list are left out: they never spare or keep.
        """
        memo = ("may", actions, element)
        if memo not in self.cache:
            self.cache[memo] = any(self._loosely(a) or next(self.of_action(a, element), None) is not None
                                   for a in actions)
        return self.cache[memo]

    def _loosely(self, action: A) -> bool:
        """Return whether an inexact step of ``action`` may select anything at all."""
        memo = ("loosely", action)
        if memo not in self.cache:
            self.cache[memo] = any(shields(self.steps[i].selector) or action not in (A.REPLACE, A.JITTER, A.KEEP)
                                   for i in self.loose.get(action, []))
        return self.cache[memo]

    def adds(self, lo: int, hi: int, step: Step, element: Exact | None) -> bool:
        """Return whether an ADD in ``[lo, hi)`` may write an element ``step`` selects."""
        if element is None or next(_slice(self.loose.get(A.ADD, []), lo, hi), None) is not None:
            return next(_slice(self.add_positions, lo, hi), None) is not None
        candidates = [_slice(self.by_action.get((key(element), A.ADD), []), lo, hi)]
        if is_private(element):
            candidates.append(_slice(self.odd.get(A.ADD, []), lo, hi))
        return any(may_select(step.selector, t) for c in candidates for i in c if (t := self.targets[i]) is not None)

    def others(self, action: A, loose_only: bool, lo: int, hi: int) -> bool:
        """Return whether a step in ``[lo, hi)`` may change what a repeat of ``action`` does.

        With ``loose_only``, only the steps that select by anything but an exact field count.
        """
        memo = (action, loose_only)
        counts = self.counts.get(memo)
        if counts is None:
            counts = self.counts[memo] = [0]
            for step, element in zip(self.steps, self.targets, strict=True):
                counted = not harmless(step, action) and (element is None or not loose_only)
                counts.append(counts[-1] + counted)
        return counts[hi] > counts[lo]
