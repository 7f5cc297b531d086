"""Explanations: a plan + one DICOM dataset → each element the plan touches, and why.

For every element a step changes or selects, an explanation gives its value before and
after the run, the recipe line that decided it, and the lines that lost: an action a
later line overrode, a REMOVE spared by a REPLACE or JITTER, an action that could not act
because KEEP hid the element, or one that found the element already removed.

The plan runs on a copy of the dataset (:func:`deidc.runtime.execute`) and its change
record says what changed. The lines that lost are found by matching every step's
selector against the elements as they were before the run (so a ``values:`` selector is
judged on the original values). Nothing here prints or changes the dataset given.
"""

from __future__ import annotations

import copy
import enum
from collections.abc import Mapping, Sequence
from dataclasses import dataclass

from pydicom.dataset import Dataset
from pydicom.multival import MultiValue
from pydicom.sequence import Sequence as DicomSequence

from deidc.plan import ActionKind, Plan, Step
from deidc.runtime import Change, Matcher, execute
from deidc.runtime.walk import DEFAULT_SKIP, Entry, tag_text
from deidc.runtime.workset import walk

__all__ = [
    "ElementReport", "Explanation", "Rule", "Status", "explain", "explanation_text", "hidden_by_keep", "show_value",
]


class Status(enum.Enum):
    """What one recipe line did to an element."""

    DECIDED = "decided"  #: its action is the element's final state
    OVERRIDDEN = "overridden"  #: it acted (or would have), but another line had the last word
    HIDDEN = "hidden"  #: KEEP hid the element from it
    NO_EFFECT = "no effect"  #: it selected the element and changed nothing


@dataclass(frozen=True, slots=True)
class Rule:
    """One recipe line, as it bears on one element."""

    status: Status  #: what it did
    action: str  #: its action (ADD, BLANK, JITTER, KEEP, REPLACE, REMOVE)
    origin: str  #: ``path:line``
    text: str  #: the recipe line
    note: str = ""  #: why, for the lines that lost


@dataclass(frozen=True, slots=True)
class ElementReport:
    """One element the plan touched."""

    address: tuple[int, ...]  #: tags and item indexes from the top level
    name: str  #: the keyword path, e.g. ``ReferencedImageSequence[0].ReferencedSOPInstanceUID``
    location: str  #: the address as text, e.g. ``(0008,1140)/0/(0008,1155)``
    before: object  #: the value before the run (None when absent)
    after: object  #: the value after the run (None when absent)
    existed: bool  #: whether the element was there before
    exists: bool  #: whether it is there after
    rules: tuple[Rule, ...]  #: the deciding line first (if any), then the others in recipe order

    @property
    def decided_by(self) -> Rule | None:
        """Return the line that decided the element's final state, if any did."""
        return self.rules[0] if self.rules and self.rules[0].status is Status.DECIDED else None


@dataclass(frozen=True, slots=True)
class Explanation:
    """What a plan does to one dataset."""

    file: str  #: the file (or label) explained
    recipes: tuple[str, ...]  #: the plan's recipe files
    elements: tuple[ElementReport, ...]  #: the touched elements, in tag order (nested under their sequence)


def explain(plan: Plan, dataset: Dataset, lookup: Mapping[str, object], *, file: str = "<dataset>") -> Explanation:
    """Explain what ``plan`` does to ``dataset`` (which is left unchanged).

    Args:
        plan: The compiled plan.
        dataset: The dataset; the plan runs on a copy.
        lookup: The variables (and functions) of the run.
        file: How to name the dataset in the explanation.

    Returns:
        One report per element a step changed or selected.

    Raises:
        deidc.runtime.StepError: A step cannot be carried out on this dataset.
    """
    original = list(walk(dataset, DEFAULT_SKIP))
    hidden = hidden_by_keep(plan, original)
    work = copy.deepcopy(dataset)
    run_lookup = dict(lookup)
    changes = execute(plan, work, run_lookup, matcher=Matcher()).changes
    final = {e.uid: e for e in walk(work, DEFAULT_SKIP)}
    context = _Context(plan, run_lookup, changes, hidden)
    reports = [context.report(entry, final.get(entry.uid)) for entry in original]
    seen = {e.uid for e in original}
    reports += [context.report(None, entry) for uid, entry in final.items() if uid not in seen]
    kept = [r for r in reports if r is not None]
    return Explanation(file, plan.sources, tuple(sorted(kept, key=lambda r: r.address)))


def hidden_by_keep(plan: Plan, entries: Sequence[Entry]) -> dict[tuple[int, ...], int]:
    """Return the elements KEEP hides from the plan's actions, each with the KEEP step that hides it.

    This mirrors the runtime's rule: KEEP selects without the ``%values``/``%fields`` lists;
    a kept top-level element hides its tag at every depth; a kept sequence hides its items.

    Args:
        plan: The plan.
        entries: The working set before the run, in walk order (parents before their items).

    Returns:
        Addresses of hidden elements → the index of the KEEP step in ``plan.steps``.
    """
    keeps = [(n, s.selector) for n, s in enumerate(plan.steps) if s.action is ActionKind.KEEP]
    if not keeps:
        return {}
    matcher = Matcher()
    direct: dict[tuple[int, ...], int] = {}
    by_tag: dict[int, int] = {}
    for entry in entries:
        found = next((n for n, selector in keeps if matcher.matches(selector, entry, {})), None)
        if found is not None:
            direct[entry.address] = found
            if len(entry.address) == 1:
                by_tag.setdefault(entry.tag, found)
    hidden: dict[tuple[int, ...], int] = {}
    for entry in entries:
        found = direct.get(entry.address, by_tag.get(entry.tag, hidden.get(entry.address[:-2])))
        if found is not None:
            hidden[entry.address] = found
    return hidden


class _Context:
    """What :func:`explain` knows about one run, to judge each element."""

    def __init__(self, plan: Plan, lookup: Mapping[str, object], changes: Sequence[Change],
                 hidden: Mapping[tuple[int, ...], int]) -> None:
        self.steps = plan.steps
        self.lookup = lookup
        self.hidden = hidden
        self.matcher = Matcher()
        self.index: dict[str, int] = {}
        for number, step in enumerate(plan.steps):
            self.index.setdefault(str(step.origin), number)
        self.changes: dict[str, list[Change]] = {}
        for change in changes:
            self.changes.setdefault(change.uid, []).append(change)

    def report(self, entry: Entry | None, after: Entry | None) -> ElementReport | None:
        """Return the report of one element (None when no step touched it)."""
        some = entry if entry is not None else after
        assert some is not None
        uid = some.uid
        keep = None if entry is None else self.hidden.get(entry.address)
        matched = [] if entry is None else [
            n for n, s in enumerate(self.steps)
            if s.action is not ActionKind.ADD and self.matcher.matches(s.selector, entry, self.lookup)]
        changed = self.changes.get(uid, [])
        if not changed and not matched:
            return None
        rules = self._rules(some, changed, matched, keep)
        return ElementReport(
            address=some.address, name=_name(some), location="/".join(_location(some.address)),
            before=None if entry is None else entry.element.value,
            after=None if after is None else after.element.value,
            existed=entry is not None, exists=after is not None, rules=tuple(rules))

    def _rule(self, number: int, status: Status, note: str = "") -> Rule:
        step = self.steps[number]
        return Rule(status, step.action.value, str(step.origin), step.origin.text.strip(), note)

    def _rules(self, entry: Entry, changed: list[Change], matched: list[int], keep: int | None) -> list[Rule]:
        numbers = [self.index[c.origin] for c in changed]
        decided: tuple[int, Rule] | None = None
        others: list[tuple[int, Rule]] = []
        if changed:
            decided = numbers[-1], self._rule(numbers[-1], Status.DECIDED)
            last = changed[-1]
            for number in numbers[:-1]:
                others.append((number, self._rule(number, Status.OVERRIDDEN,
                                                  f"{last.action} at {last.origin} changed it later")))
            if keep is not None:
                others.append((keep, self._rule(keep, Status.OVERRIDDEN, f"{last.action} writes even what KEEP hides")))
        elif keep is not None:
            decided = keep, self._rule(keep, Status.DECIDED, "" if keep in matched else self._kept_how(entry))
        else:
            removal = self._removal_above(entry)
            if removal is not None:
                decided = removal, self._rule(removal, Status.DECIDED, "removed with its sequence")
        for number in matched:
            if number in numbers or number == keep or (decided is not None and number == decided[0]):
                continue
            others.append((number, self._lost(number, changed, numbers, keep, entry)))
        others.sort(key=lambda pair: pair[0])
        return ([decided[1]] if decided is not None else []) + [rule for _, rule in others]

    def _kept_how(self, entry: Entry) -> str:
        if entry.up is not None and entry.up.address in self.hidden:
            return "kept with its sequence"
        return "KEEP of this tag at the top level hides it at every depth"

    def _lost(self, number: int, changed: list[Change], numbers: list[int], keep: int | None, entry: Entry) -> Rule:
        """Judge a step that selected the element and did not change it."""
        step = self.steps[number]
        if step.action is ActionKind.KEEP:
            if keep is not None:
                return self._rule(number, Status.NO_EFFECT, f"already kept by {self.steps[keep].origin}")
            return self._rule(number, Status.NO_EFFECT, "KEEP is decided before the %values/%fields lists exist")
        if keep is not None:
            return self._rule(number, Status.HIDDEN, f"KEEP at {self.steps[keep].origin} hides this element")
        writers = [c for c in changed if c.action in (ActionKind.REPLACE.value, ActionKind.JITTER.value)]
        if step.action is ActionKind.REMOVE and writers:
            return self._rule(number, Status.OVERRIDDEN, f"spared: {writers[0].action} at {writers[0].origin} "
                              "writes this element")
        earlier = [n for n, c in zip(numbers, changed, strict=True) if c.action == "REMOVE" and n < number]
        if earlier:
            return self._rule(number, Status.NO_EFFECT, f"already removed by {self.steps[earlier[-1]].origin}")
        removal = self._removal_above(entry)
        if removal is not None and removal < number:
            return self._rule(number, Status.NO_EFFECT, f"removed with its sequence by {self.steps[removal].origin}")
        return self._rule(number, Status.NO_EFFECT, _why_nothing(step))

    def _removal_above(self, entry: Entry) -> int | None:
        """Return the step that removed or emptied a sequence holding the element, if one did."""
        up = entry.up
        while up is not None:
            for change in self.changes.get(up.uid, []):
                if change.action in (ActionKind.REMOVE.value, ActionKind.BLANK.value):
                    return self.index[change.origin]
            up = up.up
        return None


def _why_nothing(step: Step) -> str:
    if step.action is ActionKind.REMOVE and step.value is not None:
        return "its condition was false"
    if step.action is ActionKind.JITTER:
        return "nothing to shift (empty, or not a date)"
    return "selected it but changed nothing"


def _location(address: tuple[int, ...]) -> list[str]:
    return [tag_text(part) if i % 2 == 0 else str(part) for i, part in enumerate(address)]


def _name(entry: Entry) -> str:
    """Return the keyword path, with item indexes (private elements by creator, or by tag)."""
    parts: list[str] = []
    chain: list[Entry] = []
    node: Entry | None = entry
    while node is not None:
        chain.append(node)
        node = node.up
    for depth, node in enumerate(reversed(chain)):
        tag = node.tag
        if node.element.keyword:
            word = node.element.keyword
        elif node.creator is not None:
            word = f'({tag >> 16:04X},"{node.creator}",{tag & 0xFF:02X})'
        else:
            word = tag_text(tag)
        if depth < len(chain) - 1:
            word += f"[{entry.address[2 * depth + 1]}]"
        parts.append(word)
    return ".".join(parts)


def show_value(value: object, width: int = 40) -> str:
    """Render a value on one line, quoted, at most about ``width`` characters."""
    if value is None or value == "":
        return "(empty)"
    if isinstance(value, (bytes, bytearray)):
        return f"<{len(value)} bytes>"
    if isinstance(value, DicomSequence):
        return f"<sequence of {len(value)} item{'' if len(value) == 1 else 's'}>"
    if isinstance(value, (MultiValue, list, tuple)):
        if not value:
            return "(empty)"
        value = "\\".join(str(v) for v in value)
    text = "".join(c if c.isprintable() else repr(c)[1:-1] for c in str(value))
    if len(text) > width:
        text = text[: width - 1] + "…"
    return f"'{text}'"


def _headline(report: ElementReport, width: int) -> str:
    title = report.location if report.name == report.location else f"{report.name} {report.location}"
    before = show_value(report.before, width) if report.existed else "(absent)"
    if not report.exists:
        return f"{title}: {before} → (removed)"
    decided = report.decided_by
    if decided is None:
        return f"{title}: {before} (unchanged)"
    if decided.action == ActionKind.KEEP.value:
        return f"{title}: {before} (kept)"
    return f"{title}: {before} → {show_value(report.after, width)}"


def explanation_text(explanation: Explanation, width: int = 40) -> str:
    """Render an explanation for a person: one block per element, its lines below it.

    Args:
        explanation: What :func:`explain` returned.
        width: The longest value shown, in characters (longer ones end with ``…``).

    Returns:
        The text, ending with a newline.
    """
    count = len(explanation.elements)
    recipes = ", ".join(explanation.recipes)
    lines = [f"{explanation.file}: {count} element{'' if count == 1 else 's'} touched by {recipes}"]
    status_width = max(len(s.value) for s in Status)
    for report in explanation.elements:
        lines += ["", _headline(report, width)]
        origin_width = max(len(rule.origin) for rule in report.rules)
        for rule in report.rules:
            line = f"  {rule.status.value:<{status_width}}  {rule.origin:<{origin_width}}  {rule.text}"
            lines.append(line + (f"  ({rule.note})" if rule.note else ""))
    return "\n".join(lines) + "\n"
