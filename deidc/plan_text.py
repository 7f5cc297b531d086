"""The plan for a person: :class:`~deidc.plan.Plan` → text.

One step per line, in execution order, with the recipe's ``path:line`` on the left:
first the ``%values``/``%fields`` lists and the inputs a run must provide, then the
``%header`` steps, the ``%labels`` metadata, and a summary of the ``%filter`` groups.
The output is a pure function of the plan: stable, deterministic, with aligned columns.
"""

from __future__ import annotations

import json
from collections.abc import Sequence
from typing import assert_never

from deidc.plan import (
    Criterion,
    Filter,
    FilterLine,
    GroupKind,
    GroupStep,
    Label,
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
    Step,
    ValueDeidFunc,
    ValueFunc,
    ValueLiteral,
    ValueSource,
    ValueVar,
)

__all__ = ["plan_to_text", "selector_text", "value_text"]

#: one output line before alignment: (location, action, selector, value), or a plain line
_Row = tuple[str, str, str, str] | str


def _tag(tag: int) -> str:
    return f"({tag >> 16:04X},{tag & 0xFFFF:04X})"


def _quote(text: str) -> str:
    return f'"{text}"' if '"' not in text else json.dumps(text, ensure_ascii=False)


def selector_text(selector: Selector) -> str:
    """Describe a selector in words, with its tag or its kind in parentheses.

    Args:
        selector: A resolved selector of a plan.

    Returns:
        For example ``PatientID (0010,0020)``, ``contains:Instance (pattern)``,
        ``values:cookie_names (list)``, ``(0033,"CREATOR",1E)`` or ``ALL``.
    """
    match selector:
        case SelectAll():
            return "ALL"
        case SelectTag(tag=tag, keyword=keyword):
            return f"{keyword} {_tag(tag)}" if keyword else _tag(tag)
        case SelectName(name=name):
            return f"{name} (name)"
        case SelectPath(names=names):
            return "__".join(names) + " (path)"
        case SelectAddress(tags=tags, items=items):
            parts = [_tag(tags[0])]
            for item, tag in zip(items, tags[1:], strict=False):
                parts += [str(item), _tag(tag)]
            return "__".join(parts) + " (address)"
        case SelectPrivate(group=group, creator=creator, offset=offset):
            return f'({group:04X},"{creator}",{offset:02X})'
        case SelectPattern(kind=kind, pattern=pattern):
            return f"{kind.value}:{pattern} (pattern)"
        case SelectVR(vr=vr):
            return f"select:vr:{vr} (VR)"
        case SelectGroup(group=group):
            return f"select:group:{group:04X} (group)"
        case SelectValues(name=name):
            return f"values:{name} (list)"
        case SelectFields(name=name):
            return f"fields:{name} (list)"
        case SelectNothing(reason=reason):
            return f"nothing ({reason})"
        case _:
            assert_never(selector)


def value_text(value: ValueSource | None) -> str:
    """Describe where a step's value comes from.

    Args:
        value: The step's value source, or None when it has none.

    Returns:
        ``"literal"`` (quoted), ``var:NAME``, ``func:NAME``,
        ``deid_func:NAME k=v ...``, or the empty string for None.
    """
    match value:
        case None:
            return ""
        case ValueLiteral(text=text):
            return _quote(text)
        case ValueVar(name=name):
            return f"var:{name}"
        case ValueFunc(name=name):
            return f"func:{name}"
        case ValueDeidFunc(name=name, args=args):
            return " ".join([f"deid_func:{name}", *(f"{k}={v}" for k, v in args)])
        case _:
            assert_never(value)


def _step_row(step: Step) -> _Row:
    return (str(step.origin), step.action.value, selector_text(step.selector), value_text(step.value))


def _group_row(step: GroupStep) -> _Row:
    options = ""
    if step.kind is GroupKind.SPLIT:
        options = f"by={_quote(step.split_by)} minlength={step.min_length}"
    return (str(step.origin), step.kind.value, selector_text(step.selector), options)


def _criterion_text(criterion: Criterion) -> str:
    text = f"{selector_text(criterion.selector)} {criterion.test}"
    return text if criterion.value is None else f"{text} {_quote(criterion.value)}"


def _line_text(line: FilterLine) -> str:
    """Combine a line's tests strictly left to right, with parentheses where that matters."""
    text = _criterion_text(line.criteria[0]) if line.criteria else "(no test)"
    previous: str | None = None
    for operator, criterion in zip(line.operators, line.criteria[1:], strict=False):
        if previous is not None and previous != operator:
            text = f"({text})"
        text = f"{text} {operator} {_criterion_text(criterion)}"
        previous = operator
    return text


def _label_rows(label: Label) -> list[_Row]:
    rows: list[_Row] = [(str(label.origin), "LABEL", _quote(label.name), "")]
    for index, line in enumerate(label.lines):
        text = _line_text(line)
        if len(line.criteria) > 1 and len(label.lines) > 1:
            text = f"({text})"
        joiner = "  if"
        if index:
            joiner = "  or" if line.operator == "or" else "  and"
        if index and line.operator == "or":
            text += "  (deid 0.4.13 reads this '||' as 'and')"
        rows.append(("", joiner, text, ""))
    if not label.lines:
        rows.append(("", "  if", "(no criteria)", ""))
    for region in label.regions:
        rows.append(("", "  keep" if region.keep else "  clean", region.box, ""))
    return rows


def _filter_rows(filters: Sequence[Filter]) -> list[_Row]:
    rows: list[_Row] = []
    for group in filters:
        count = len(group.labels)
        rows += ["", f"%filter {group.name} ({count} label{'' if count == 1 else 's'})"]
        for label in group.labels:
            rows += _label_rows(label)
    return rows


def _needs(plan: Plan) -> str:
    names = [f"var:{v}" for v in plan.variables] + [f"func:{f}" for f in plan.functions]
    return "needs: " + (", ".join(names) if names else "nothing")


def _rows(plan: Plan) -> list[_Row]:
    rows: list[_Row] = [f"FORMAT {plan.format}", "recipes: " + (", ".join(plan.sources) or "(none)")]
    for values in plan.values:
        rows += ["", f"%values {values.name}", *(_group_row(s) for s in values.steps)]
    for fields in plan.fields:
        rows += ["", f"%fields {fields.name}", *(_group_row(s) for s in fields.steps)]
    rows += ["", _needs(plan), "", f"%header ({len(plan.steps)} step{'' if len(plan.steps) == 1 else 's'})"]
    rows += [_step_row(s) for s in plan.steps]
    if plan.labels:
        rows += ["", "%labels", *(_step_row(s) for s in plan.labels)]
    return rows + _filter_rows(plan.filters)


def _align(rows: Sequence[_Row]) -> list[str]:
    cells = [r for r in rows if not isinstance(r, str)]
    widths = [max((len(c[i]) for c in cells), default=0) for i in range(2)]
    widths.append(max((len(c[2]) for c in cells if c[3]), default=0))
    lines = []
    for row in rows:
        if isinstance(row, str):
            lines.append(row)
            continue
        location, action, selector, value = row
        text = f"{location:<{widths[0]}}  {action:<{widths[1]}}  "
        text += f"{selector:<{widths[2]}}  {value}" if value else selector
        lines.append(text.rstrip())
    return lines


def plan_to_text(plan: Plan) -> str:
    """Render a plan for a person: one step per line, in execution order.

    Args:
        plan: The compiled plan.

    Returns:
        The text, ending with a newline. It depends only on the plan.
    """
    return "\n".join(_align(_rows(plan))) + "\n"
