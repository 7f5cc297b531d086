"""Filter LABELs that can never match: the recipes' ``%filter`` blocks → warnings.

A LABEL is evaluated as deidc's runtime does: each line's criteria folded left to right
with their ``+`` (and) and ``||`` (or), then the lines folded in order with their leading
operator (none means and). The analysis tries every truth assignment of the label's
distinct tests (a label has few) under facts that hold for every dataset: ``missing``
is ``not present``; ``notequals``/``notcontains`` are the negations of
``equals``/``contains``; ``equals`` and ``contains`` need a value; an ``empty`` element
equals nothing; and an element with one value cannot equal two different texts.
"""

from __future__ import annotations

import itertools
from collections.abc import Iterator, Sequence
from dataclasses import dataclass
from typing import Final

from pydicom.datadict import dictionary_has_tag, dictionary_VM

from deidc import ast, codes
from deidc.compiler.resolve import resolve_filter_field
from deidc.compiler.where import Where
from deidc.diagnostics import Diagnostic, make
from deidc.plan import Plan, SelectTag

#: a label with more distinct tests than this is not analysed (2**n assignments)
MAX_TESTS: Final = 10
_NEGATED: Final = {"missing": "present", "notequals": "equals", "notcontains": "contains"}


@dataclass(frozen=True, slots=True)
class _Test:
    """A criterion without its polarity: ``present``, ``equals``, ``contains`` or ``empty`` of a field."""

    field: object  #: the resolved selector of the field
    kind: str  #: present, equals, contains or empty
    value: str = ""  #: the value (equals: stripped and lower-cased)


def _test(criterion: ast.Criterion) -> tuple[_Test, bool]:
    word = criterion.word.lower()
    kind = _NEGATED.get(word, word)
    value = (criterion.value or "").strip()
    selector, _ = resolve_filter_field(criterion.target)
    return _Test(selector, kind, value.lower() if kind == "equals" else value), word not in _NEGATED


def _single_valued(field: object) -> bool:
    if not isinstance(field, SelectTag) or not dictionary_has_tag(field.tag):
        return False
    return str(dictionary_VM(field.tag)) == "1"


def _conflict(a: _Test, a_true: bool, b: _Test, b_true: bool) -> bool:
    """Return whether ``a`` having truth ``a_true`` and ``b`` having ``b_true`` is impossible."""
    if a.field != b.field:
        return False
    if a == b:
        return a_true != b_true
    for (x, x_true), (y, y_true) in (((a, a_true), (b, b_true)), ((b, b_true), (a, a_true))):
        needs_value = x.kind in ("equals", "contains") and x_true
        if needs_value and y.kind == "present" and not y_true:
            return True
        if x.kind == "equals" and x_true and y.kind == "empty" and y_true:
            return True
    return (a.kind == b.kind == "equals" and a_true and b_true and a.value != b.value
            and _single_valued(a.field))


def _conflicts(tests: Sequence[_Test]) -> list[tuple[int, int, frozenset[tuple[bool, bool]]]]:
    """Return the pairs of tests some of whose truths conflict: ``(i, j, {(truth of i, truth of j), ...})``.

    Only tests of one field can conflict; a label's tests are mostly of different fields.
    """
    found = []
    for i, j in itertools.combinations(range(len(tests)), 2):
        if tests[i].field == tests[j].field:
            bad = frozenset((x, y) for x in (False, True) for y in (False, True)
                            if _conflict(tests[i], x, tests[j], y))
            if bad:
                found.append((i, j, bad))
    return found


def _evaluate(lines: Sequence[tuple[str | None, list[tuple[str, int, bool]]]], truth: Sequence[bool]) -> bool:
    result = True
    for index, (lead, criteria) in enumerate(lines):
        value = True
        for position, (operator, test, positive) in enumerate(criteria):
            holds = truth[test] == positive
            value = holds if position == 0 else (value and holds) if operator == "+" else (value or holds)
        result = value if index == 0 else (result or value) if lead == "||" else (result and value)
    return result


def label_never_matches(block: ast.LabelBlock) -> bool:
    """Return whether no dataset can match a LABEL block (False when it has no criteria or too many tests)."""
    tests: list[_Test] = []
    first: list[bool] = []  # the truth each test has where the label first reads it
    lines: list[tuple[str | None, list[tuple[str, int, bool]]]] = []
    for member in (m for m in block.body if isinstance(m, ast.Member)):
        criteria = []
        for operator, criterion in zip(("+", *member.operators), member.criteria, strict=True):
            test, positive = _test(criterion)
            if test not in tests:
                tests.append(test)
                first.append(positive)
            criteria.append((operator, tests.index(test), positive))
        lines.append((member.operator, criteria))
    if not lines or len(tests) > MAX_TESTS:
        return False
    conflicts = _conflicts(tests)
    # every assignment is tried; the ones closest to the criteria as written first: a label that can match
    # (most can) is then found to in a few tries
    truths = ([t != flip for t, flip in zip(first, flips, strict=True)]
              for flips in itertools.product((False, True), repeat=len(tests)))
    return not any(not any((truth[i], truth[j]) in bad for i, j, bad in conflicts) and _evaluate(lines, truth)
                   for truth in truths)


def _pair(block: ast.LabelBlock) -> tuple[ast.Criterion, ast.Criterion] | None:
    """Return two criteria that cannot both hold, when all the block's criteria are joined by and."""
    members = [m for m in block.body if isinstance(m, ast.Member)]
    if any(m.operator == "||" or "||" in m.operators for m in members[1:]) or \
            (members and "||" in members[0].operators):
        return None
    criteria = [c for m in members for c in m.criteria]
    for first, second in itertools.combinations(criteria, 2):
        if _conflict(*_test(first), *_test(second)):
            return first, second
    return None


def _show(criterion: ast.Criterion, where: Where, path: str) -> str:
    source = where.source(path)
    return source.excerpt(criterion.span) if source is not None else criterion.word


def check_filters(plan: Plan, where: Where) -> Iterator[Diagnostic]:
    """Report LABEL blocks whose criteria contradict each other."""
    for recipe, source in where.recipes:
        for section in recipe.sections:
            if not isinstance(section, ast.FilterSection):
                continue
            for block in section.labels:
                if not label_never_matches(block):
                    continue
                pair = _pair(block)
                name = block.label or "LABEL"
                if pair is None:
                    yield make(codes.LABEL_NEVER_MATCHES, f"LABEL '{name}' never matches: its criteria contradict "
                               "each other", block.span.sub(0, 5), path=source.path,
                               help="check the '+' (and) and '||' (or) between the criteria")
                    continue
                first, second = pair
                shown = _show(second, where, source.path), _show(first, where, source.path)
                yield make(codes.LABEL_NEVER_MATCHES, f"LABEL '{name}' never matches: '{shown[0]}' cannot hold "
                           f"together with '{shown[1]}' at line {first.span.line}",
                           second.span, path=source.path, label="contradicts an earlier criterion",
                           help="join the two with '||' (or) if either may hold, or remove one")
