"""Lowering: a checked ``ast.Recipe`` (or several) → :class:`deidc.plan.Plan`.

Runs only on recipes without errors. It dispatches over the node union with
``match`` and resolves names through :mod:`deidc.compiler.resolve`.
"""

from __future__ import annotations

from collections.abc import Sequence

from deidc import ast
from deidc.compiler import names
from deidc.compiler.resolve import resolve_field, resolve_filter_field, resolve_value
from deidc.plan import (
    Criterion,
    FieldList,
    Filter,
    FilterLine,
    GroupKind,
    GroupStep,
    Label,
    Origin,
    Plan,
    Region,
    Step,
    ValueFunc,
    ValueList,
    ValueVar,
)
from deidc.source import Source

_OPERATORS = {"+": "and", "||": "or"}


def _origin(source: Source, line: int) -> Origin:
    return Origin(source.path, line, source.line(line).strip())


def lower(recipes: Sequence[tuple[ast.Recipe, Source]]) -> Plan:
    """Lower checked recipes, in order, into one plan."""
    steps: list[Step] = []
    labels: list[Step] = []
    values: dict[str, list[GroupStep]] = {}
    fields: dict[str, list[GroupStep]] = {}
    filters: dict[str, list[Label]] = {}
    for recipe, source in recipes:
        for section in recipe.sections:
            match section:
                case ast.HeaderSection(body=body):
                    steps += _actions(body, source)
                case ast.LabelsSection(body=body):
                    labels += _actions(body, source)
                case ast.ValuesSection(name=name, body=body):
                    values.setdefault(name or "", []).extend(_group_steps(body, source))
                case ast.FieldsSection(name=name, body=body):
                    fields.setdefault(name or "", []).extend(_group_steps(body, source))
                case ast.FilterSection(name=name, labels=blocks):
                    filters.setdefault(name or "", []).extend(_label(b, source) for b in blocks)
                case ast.UnknownSection():
                    raise AssertionError("unknown sections are errors and are never lowered")
    variables = _unique(s.value.name for s in steps if isinstance(s.value, ValueVar))
    functions = _unique(s.value.name for s in steps if isinstance(s.value, ValueFunc))
    return Plan(
        format="dicom",
        steps=tuple(steps),
        values=tuple(ValueList(n, tuple(v)) for n, v in values.items()),
        fields=tuple(FieldList(n, tuple(v)) for n, v in fields.items()),
        filters=tuple(Filter(n, tuple(v)) for n, v in filters.items()),
        labels=tuple(labels),
        variables=variables,
        functions=functions,
        sources=tuple(source.path for _, source in recipes),
    )


def _unique(items: object) -> tuple[str, ...]:
    return tuple(dict.fromkeys(items))  # type: ignore[call-overload]


def _actions(body: Sequence[ast.HeaderLine], source: Source) -> list[Step]:
    steps = []
    for line in body:
        if isinstance(line, ast.Action):
            selector, _ = resolve_field(line.target)
            value = None if line.value is None else resolve_value(line.value)
            steps.append(Step(names.HEADER_ACTIONS[line.verb], selector, value, _origin(source, line.span.line)))
    return steps


def _group_steps(body: Sequence[ast.GroupLine], source: Source) -> list[GroupStep]:
    steps = []
    for line in body:
        if isinstance(line, ast.GroupAction):
            selector, _ = resolve_field(line.target)
            options = {o.name: o.value for o in line.options}
            steps.append(GroupStep(
                GroupKind(line.verb), selector, _origin(source, line.span.line),
                split_by=options.get("by", " "), min_length=int(options.get("minlength", "1")),
            ))
    return steps


def _label(block: ast.LabelBlock, source: Source) -> Label:
    lines: list[FilterLine] = []
    regions: list[Region] = []
    for line in block.body:
        match line:
            case ast.Member(operator=lead, criteria=criteria, operators=operators):
                lines.append(FilterLine(
                    _OPERATORS.get(lead or ""),
                    tuple(_criterion(c) for c in criteria),
                    tuple(_OPERATORS[o] for o in operators),
                ))
            case ast.Coordinates(keyword=keyword, region=region):
                regions.append(_region(keyword.lower(), region))
            case ast.Comment() | ast.FormatLine():
                pass
    return Label(block.label, tuple(lines), tuple(regions), _origin(source, block.span.line))


def _criterion(criterion: ast.Criterion) -> Criterion:
    selector, _ = resolve_filter_field(criterion.target)
    field_text = criterion.target.names[0] if isinstance(criterion.target, ast.FieldName) else ""
    if isinstance(criterion.target, ast.FieldTag):
        field_text = f"0x{criterion.target.group:04X}{criterion.target.element:04X}"
    return Criterion(criterion.word.lower(), selector, criterion.value, field_text)


def _region(keyword: str, region: ast.Region) -> Region:
    keep = "keep" in keyword
    match region:
        case ast.RegionAll():
            return Region(keep, "all")
        case ast.RegionFrom(keyword=name):
            return Region(keep, f"from:{name}")
        case ast.RegionBox(values=(a, b, c, d)):
            if keyword.startswith("ctp"):
                c, d = a + c, b + d
            return Region(keep, f"{a},{b},{c},{d}")
    raise AssertionError(region)
