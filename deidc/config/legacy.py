"""deid's in-memory recipe structure: ``ast.Recipe`` → the ``OrderedDict`` deid shows as ``recipe.deid``.

deid keeps recipes as nested dicts of strings; its users print and inspect them. This
module builds that structure from the AST (fields and values exactly as written), and
turns such a dict back into recipe text so a dict can be compiled like a file.
"""

from __future__ import annotations

from collections import OrderedDict
from collections.abc import Mapping, Sequence

from deidc import ast
from deidc.source import Source

LegacyRecipe = "OrderedDict[str, object]"


def _text(source: Source, node: object) -> str:
    span = getattr(node, "span", None)
    return source.excerpt(span).strip() if span is not None else ""


def _action_dict(source: Source, action: ast.Action | ast.GroupAction) -> dict[str, str]:
    entry = {"action": action.verb, "field": _text(source, action.target)}
    if isinstance(action, ast.Action) and action.value is not None:
        entry["value"] = _text(source, action.value)
    if isinstance(action, ast.GroupAction) and action.options:
        entry["value"] = source.excerpt(action.options[0].span.to(action.options[-1].span)).strip()
    return entry


def _member_dict(member: ast.Member) -> dict[str, object]:
    ops = {"+": "and", "||": "or"}
    return {
        "action": [c.word.lower() for c in member.criteria],
        "field": [_field_text(c.target) for c in member.criteria],
        "operator": ops.get(member.operator or ""),
        "InnerOperators": [ops[o] for o in member.operators],
        "value": [c.value for c in member.criteria if c.value is not None],
    }


def _field_text(field: ast.Field) -> str:
    if isinstance(field, ast.FieldName):
        return "__".join(field.names)
    if isinstance(field, ast.FieldTag):
        return f"0x{field.group:04X}{field.element:04X}"
    return getattr(field, "text", "")


def _label_dict(block: ast.LabelBlock) -> dict[str, object]:
    coordinates: list[list[object]] = []
    for line in block.body:
        if isinstance(line, ast.Coordinates):
            keyword = line.keyword.lower()
            region = line.region
            if isinstance(region, ast.RegionAll):
                box = "all"
            elif isinstance(region, ast.RegionFrom):
                box = f"from:{region.keyword}"
            else:
                a, b, c, d = region.values
                if keyword.startswith("ctp"):
                    c, d = a + c, b + d
                box = f"{a},{b},{c},{d}"
            coordinates.append([1 if "keep" in keyword else 0, box])
    filters = [_member_dict(m) for m in block.body if isinstance(m, ast.Member)]
    return {"filters": filters, "coordinates": coordinates, "name": block.label}


def to_legacy(recipes: Sequence[tuple[ast.Recipe, Source]]) -> OrderedDict[str, object] | None:
    """Return deid's ``recipe.deid`` structure for recipes combined in order (None for none)."""
    if not recipes:
        return None
    result: OrderedDict[str, object] = OrderedDict()
    for recipe, source in recipes:
        if _has_format(recipe):
            result.setdefault("format", "dicom")
        for section in recipe.sections:
            _add_section(result, section, source)
    return result


def _has_format(recipe: ast.Recipe) -> bool:
    return any(isinstance(line, ast.FormatLine) for line in recipe.body) or any(
        isinstance(line, ast.FormatLine) for s in recipe.sections for line in s.body)


def _add_section(result: OrderedDict[str, object], section: ast.Section, source: Source) -> None:
    match section:
        case ast.HeaderSection(body=body) | ast.LabelsSection(body=body):
            key = "header" if isinstance(section, ast.HeaderSection) else "labels"
            entries = result.setdefault(key, [])
            assert isinstance(entries, list)
            entries += [_action_dict(source, a) for a in body if isinstance(a, ast.Action)]
        case ast.ValuesSection(name=name, body=body) | ast.FieldsSection(name=name, body=body):
            key = section.keyword.lower()
            named = result.setdefault(key, OrderedDict())
            assert isinstance(named, OrderedDict)
            named.setdefault(name or "", []).extend(_action_dict(source, a) for a in body
                                                    if isinstance(a, ast.GroupAction))
        case ast.FilterSection(name=name, labels=labels):
            filters = result.setdefault("filter", OrderedDict())
            assert isinstance(filters, OrderedDict)
            filters.setdefault(name or "", []).extend(_label_dict(b) for b in labels)
        case ast.UnknownSection():
            pass


def from_legacy(recipe: Mapping[str, object]) -> str:
    """Write a deid-style recipe dict back as recipe text."""
    lines = [f"FORMAT {recipe.get('format', 'dicom')}", ""]
    for kind in ("values", "fields"):
        named = recipe.get(kind) or {}
        assert isinstance(named, Mapping)
        for name, entries in named.items():
            lines.append(f"%{kind} {name}")
            lines += [_entry_line(e) for e in entries]
            lines.append("")
    for kind in ("header", "labels"):
        entries = recipe.get(kind)
        if entries:
            assert isinstance(entries, list)
            lines.append(f"%{kind}")
            lines += [_entry_line(e) for e in entries]
            lines.append("")
    filters = recipe.get("filter") or {}
    assert isinstance(filters, Mapping)
    for name, labels in filters.items():
        lines.append(f"%filter {name}")
        for label in labels:
            lines += _label_lines(label)
        lines.append("")
    return "\n".join(lines)


def _entry_line(entry: Mapping[str, object]) -> str:
    parts = [str(entry["action"]), str(entry["field"])]
    if entry.get("value") not in (None, ""):
        parts.append(str(entry["value"]))
    return " ".join(parts)


def _label_lines(label: Mapping[str, object]) -> list[str]:
    name = str(label.get("name", ""))
    lines = [f"LABEL {name.removeprefix('LABEL ').strip()}"]
    for member in label.get("filters", []):  # type: ignore[attr-defined]
        values = iter(member.get("value", []))
        words = []
        for i, (action, field) in enumerate(zip(member["action"], member["field"], strict=False)):
            if i:
                words.append("+" if member["InnerOperators"][i - 1] == "and" else "||")
            text = f"{action} {field}"
            if action.lower() in ("contains", "notcontains", "equals", "notequals"):
                text += f" {next(values, '')}"
            words.append(text)
        lead = {"and": "+ ", "or": "|| "}.get(member.get("operator") or "", "")
        lines.append("  " + lead + " ".join(words))
    for mask, box in label.get("coordinates", []):  # type: ignore[attr-defined]
        lines.append(f"  {'keepcoordinates' if mask else 'coordinates'} {box}")
    return lines
