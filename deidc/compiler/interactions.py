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
import heapq
from collections.abc import Iterator

from deidc import codes
from deidc.compiler.elements import Exact, covers, describe, element_vrs, keep_hides, may_select
from deidc.compiler.step_index import StepIndex, harmless
from deidc.compiler.where import Where, value_text
from deidc.diagnostics import Diagnostic, make
from deidc.plan import (
    ActionKind,
    Plan,
    SelectAll,
    Selector,
    SelectPattern,
    Step,
    ValueDeidFunc,
    ValueFunc,
)
from deidc.plan import ValueLiteral as Literal

A = ActionKind
_PHRASES = {A.REMOVE: "removes it", A.BLANK: "empties it", A.REPLACE: "replaces it", A.ADD: "overwrites it"}


def check_interactions(plan: Plan, where: Where) -> Iterator[Diagnostic]:
    """Report actions that KEEP hides, duplicates, and actions a later one overrides or spares."""
    p = StepIndex.of(plan)
    silent: set[int] = set()
    for i, keep in _hidden(p):
        silent.add(i)
        yield _hidden_diagnostic(p, i, keep, where)
    seen: dict[tuple[object, ...], int] = {}
    for i, step in enumerate(p.steps):
        if i in silent or isinstance(step.value, (ValueFunc, ValueDeidFunc)):
            continue  # a function may give another value each time
        key = (step.action, p.targets[i] or _normal(step.selector), step.value)
        first = seen.get(key)
        seen[key] = i
        if first is not None and not _interferes(p, first, i):
            silent.add(i)
            yield _duplicate(step, p.steps[first], where)
    for i in range(len(p.steps)):
        if i not in silent and p.targets[i] is not None:
            yield from _overridden(p, i, silent, where)


def _interferes(p: StepIndex, first: int, second: int) -> bool:
    """Return whether a step between two equal ones may change what the second one does."""
    action, element = p.steps[first].action, p.targets[first]
    if action is A.KEEP:
        return False
    if p.others(action, element is not None, first + 1, second):
        return True  # a step that may touch anything (or, for an inexact selector, any step) in between
    if element is None:
        return False
    return any(not harmless(p.steps[k], action) and may_select(p.steps[k].selector, element)
               for k in p.near(element, first + 1, second))


def _normal(selector: Selector) -> object:
    if isinstance(selector, SelectPattern) and "\\" not in selector.pattern:
        return SelectPattern(selector.kind, selector.pattern.lower())  # expanders ignore case
    return selector


def _hidden(p: StepIndex) -> Iterator[tuple[int, int]]:
    keep_all = next((i for i in p.alls if p.steps[i].action is A.KEEP), None)
    for i, step in enumerate(p.steps):
        if step.action in (A.KEEP, A.ADD):
            continue
        element = p.targets[i]
        keep = keep_all
        if keep is None and element is not None:
            keep = next((k for k in p.keeps(element) if keep_hides(p.steps[k].selector, element)), None)
        if keep is None:
            continue
        # an ADD before it brings elements back within reach; and a REPLACE or JITTER spares from REMOVE what
        # an ADD wrote, wherever that ADD stands (the REMOVE then waits for a write that never comes)
        shielding = step.action in (A.REPLACE, A.JITTER)
        if not p.adds(0, len(p.steps) if shielding else i, step, element):
            yield i, keep


def _hidden_diagnostic(p: StepIndex, i: int, k: int, where: Where) -> Diagnostic:
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


def _overridden(p: StepIndex, i: int, silent: set[int], where: Where) -> Iterator[Diagnostic]:
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


def _next_steps(p: StepIndex, i: int, element: Exact) -> Iterator[int]:
    """Yield the positions of the steps after ``i`` that may touch the element, in order.

    KEEP steps are left out; the last is the first that selects by anything but an exact
    field (after it, anything may have happened to the element).
    """
    after = bisect.bisect_right(p.acting_loose, i)
    stop = p.acting_loose[after] if after < len(p.acting_loose) else len(p.steps)
    yield from (k for k in p.near(element, i + 1, stop) if p.steps[k].action is not A.KEEP)
    if stop < len(p.steps):
        yield stop


def _undoes(p: StepIndex, step: Step, later: Step, element: Exact) -> bool:
    """Return whether ``later`` always undoes what ``step`` did to ``element``."""
    writes = isinstance(later.value, Literal) and bool(element_vrs(element)) and "SQ" not in element_vrs(element)
    match later.action:
        case A.REMOVE:
            kept = step.action is A.ADD and p.may((A.KEEP,), element)  # then the ADD is what exposes it
            return (later.value is None and step.action in (A.BLANK, A.ADD)
                    and not p.may((A.REPLACE, A.JITTER), element) and not kept)
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


def _spared(p: StepIndex, i: int, silent: set[int], element: Exact, where: Where) -> Iterator[Diagnostic]:
    vrs = element_vrs(element)
    if not vrs or "SQ" in vrs:
        return
    step = p.steps[i]
    writers = heapq.merge(p.of_action(A.REPLACE, element), (k for k in p.alls if p.steps[k].action is A.REPLACE))
    for j in writers:
        writer = p.steps[j]
        if j in silent or not isinstance(writer.value, Literal) or not covers(writer.selector, element):
            continue
        if p.adds(j + 1, len(p.steps), step, element):
            return  # an ADD after the REPLACE may make an element the REPLACE never wrote
        shown = "ALL " if isinstance(writer.selector, SelectAll) else ""
        message = (f"REMOVE at line {step.origin.line} never applies to '{describe(element)}': "
                   f"REPLACE {shown}at line {writer.origin.line} writes it, and REMOVE spares what REPLACE writes")
        yield make(codes.SPARED_BY_REPLACE, message, where.line(step.origin), path=step.origin.path,
                   help=f"remove this line; if '{describe(element)}' must go, remove the REPLACE instead")
        return


__all__ = ["check_interactions"]
