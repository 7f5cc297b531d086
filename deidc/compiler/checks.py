"""The checker: ``ast.Recipe`` → diagnostics, as a tuple of pure functions.

Each check reads the tree and yields diagnostics; none raises on user input. The
order of :data:`CHECKS` is the order their diagnostics are produced in.
"""

from __future__ import annotations

from collections.abc import Iterator
from typing import Final

from deidc import ast, codes
from deidc.compiler import names
from deidc.compiler.check_filters import check_filters
from deidc.compiler.context import Check, Context, place
from deidc.compiler.resolve import resolve_field
from deidc.diagnostics import Diagnostic, make
from deidc.source import Span

__all__ = ["CHECKS", "Check", "Context"]


_NAMED = (ast.ValuesSection, ast.FieldsSection, ast.FilterSection)
_UNNAMED = (ast.HeaderSection, ast.LabelsSection)


def _header_lines(recipe: ast.Recipe) -> Iterator[tuple[ast.Section | None, ast.Action]]:
    for line in recipe.body:
        if isinstance(line, ast.Action):
            yield None, line
    for section in recipe.sections:
        if isinstance(section, (ast.HeaderSection, ast.LabelsSection, ast.UnknownSection)):
            for line in section.body:
                if isinstance(line, ast.Action):
                    yield section, line


def _group_lines(recipe: ast.Recipe) -> Iterator[tuple[ast.ValuesSection | ast.FieldsSection, ast.GroupAction]]:
    for section in recipe.sections:
        if isinstance(section, (ast.ValuesSection, ast.FieldsSection)):
            for line in section.body:
                if isinstance(line, ast.GroupAction):
                    yield section, line


def _section_word_span(section: ast.Section) -> Span:
    return section.span.sub(0, len(section.keyword) + 1)


def check_format(recipe: ast.Recipe, ctx: Context) -> Iterator[Diagnostic]:
    """FORMAT: present, 'dicom', once."""
    lines = [line for line in recipe.body if isinstance(line, ast.FormatLine)]
    for section in recipe.sections:
        lines += [line for line in section.body if isinstance(line, ast.FormatLine)]
        if isinstance(section, ast.FilterSection):
            for block in section.labels:
                lines += [line for line in block.body if isinstance(line, ast.FormatLine)]
    if not lines:
        yield make(codes.MISSING_FORMAT, "the recipe has no FORMAT line", Span(1, 1, 1, 2, 0, 1), path=ctx.path,
                   help="start the recipe with 'FORMAT dicom'")
    for line in lines:
        if line.format is None or line.format.lower() not in names.FORMATS:
            found = f"'{line.format}'" if line.format else "nothing"
            yield make(codes.UNKNOWN_FORMAT, f"unknown format {found}", line.span, path=ctx.path,
                       help="the only format is 'dicom': write 'FORMAT dicom'")
    for line in lines[1:]:
        yield make(codes.REPEATED_FORMAT, "FORMAT is given more than once", line.span, path=ctx.path,
                   help="keep one 'FORMAT dicom' line, at the top")


def check_sections(recipe: ast.Recipe, ctx: Context) -> Iterator[Diagnostic]:
    """Section words, names, and reopened sections."""
    seen: dict[tuple[str, str | None], ast.Section] = {}
    for section in recipe.sections:
        word_span = _section_word_span(section)
        if isinstance(section, ast.UnknownSection):
            yield _unknown_section(section, word_span, ctx)
            continue
        kind = section.keyword.lower()
        if isinstance(section, _NAMED) and not section.name:
            yield make(codes.SECTION_NEEDS_NAME, f"'%{kind}' needs a name", word_span, path=ctx.path,
                       help=f"name it, e.g. '%{kind} my_list'; actions refer to it as '{kind}:my_list'"
                       if kind != "filter" else "name it, e.g. '%filter graylist'")
        if isinstance(section, _UNNAMED) and section.name:
            yield make(codes.SECTION_TAKES_NO_NAME, f"'%{kind}' takes no name", word_span, path=ctx.path,
                       help=f"write '%{kind}' alone")
        key = (kind, section.name)
        if section.name and key in seen:
            first = seen[key].span.line
            yield make(codes.REOPENED_SECTION, f"'%{kind} {section.name}' is defined again: its lines join "
                       f"those of line {first}", word_span, path=ctx.path, help="merge the two sections into one")
        seen.setdefault(key, section)


def _unknown_section(section: ast.UnknownSection, span: Span, ctx: Context) -> Diagnostic:
    if not section.keyword and section.name and section.name.lower() in names.SECTIONS:
        word = section.name.lower()
        return make(codes.UNKNOWN_SECTION, "a section word must follow '%' directly", span, path=ctx.path,
                    suggestions=(f"%{word}",), help=f"write '%{word}' with no space after '%'")
    sections = ", ".join(f"%{s}" for s in names.SECTIONS)
    if not section.keyword:
        return make(codes.UNKNOWN_SECTION, "'%' without a section word", span, path=ctx.path,
                    help=f"the sections are {sections}")
    suggestions = tuple(f"%{s}" for s in names.suggest(section.keyword.lstrip("%"), names.SECTIONS))
    return make(codes.UNKNOWN_SECTION, f"unknown section '%{section.keyword}'", span, path=ctx.path,
                suggestions=suggestions, help=None if suggestions else f"the sections are {sections}")


def check_actions(recipe: ast.Recipe, ctx: Context) -> Iterator[Diagnostic]:
    """Action words, where they stand, and their values."""
    for section, action in _header_lines(recipe):
        if section is None:
            yield make(codes.OUTSIDE_SECTION, f"'{action.verb}' stands before any section", action.verb_span,
                       path=ctx.path, help="put actions under '%header'")
            continue
        if isinstance(section, ast.UnknownSection):
            continue
        yield from _check_action(action, ctx, metadata=isinstance(section, ast.LabelsSection))


def _check_action(action: ast.Action, ctx: Context, *, metadata: bool = False) -> Iterator[Diagnostic]:
    """Check one action line; in ``%labels`` (free-form metadata) only its shape: verb and arity."""
    kind = names.HEADER_ACTIONS.get(action.verb)
    if kind is None:
        upper = action.verb.upper()
        if upper in names.GROUP_ACTIONS or upper == "LABEL" or action.verb.lower() in names.CRITERIA:
            where = "a %values or %fields section" if upper in names.GROUP_ACTIONS else "a %filter section"
            yield make(codes.WRONG_SECTION, f"'{action.verb}' belongs in {where}", action.verb_span, path=ctx.path,
                       help=f"move the line to {where}; this section takes " + ", ".join(names.HEADER_ACTIONS))
            return
        yield make(codes.UNKNOWN_ACTION, f"unknown action '{action.verb}'", action.verb_span, path=ctx.path,
                   label="not an action", suggestions=names.suggest(action.verb, names.HEADER_ACTIONS),
                   help=None if names.suggest(action.verb, names.HEADER_ACTIONS)
                   else "header actions are " + ", ".join(names.HEADER_ACTIONS))
        return
    needs_value = kind.value in ("ADD", "REPLACE", "JITTER")
    takes_value = needs_value or kind.value == "REMOVE"
    if needs_value and action.value is None:
        end = action.target.span
        yield make(codes.MISSING_VALUE, f"'{kind.value}' needs a value", Span(
            end.end_line, end.end_column, end.end_line, end.end_column + 1, end.end, end.end + 1), path=ctx.path,
                   label="a value goes here",
                   help=f"write e.g. '{kind.value} {ctx_target(action)} " + ("1'" if kind.value == "JITTER"
                                                                            else "var:name'"))
    if not takes_value and action.value is not None:
        yield make(codes.UNEXPECTED_VALUE, f"'{kind.value}' takes no value", action.value.span, path=ctx.path,
                   help="remove it, or start a comment with '#'")
    if metadata:
        return
    if action.value is not None:
        yield from _check_prefix(action.value, ctx)
    if kind.value == "JITTER" and isinstance(action.value, ast.Literal):
        text = action.value.text.strip()
        if not text.lstrip("+-").isdigit():
            yield make(codes.BAD_JITTER, f"JITTER moves dates by a whole number of days, not '{text}'",
                       action.value.span, path=ctx.path, help="write e.g. 'JITTER StudyDate -30'")
    if isinstance(action.value, ast.DeidFunc):
        yield from _check_deid_func(action.value, ctx)
    if kind.value == "ADD":
        yield from _check_add_target(action.target, ctx)


_PREFIXES: Final[dict[type, str]] = {ast.VarRef: "var:", ast.FuncRef: "func:", ast.DeidFunc: "deid_func:"}


def _check_prefix(value: ast.Value, ctx: Context) -> Iterator[Diagnostic]:
    """Warn about a space between ``var:``/``func:``/``deid_func:`` and the name (deid would read the space)."""
    prefix = _PREFIXES.get(type(value))
    at = value.span.start + len(prefix or "")
    if prefix is None or at >= len(ctx.text) or not ctx.text[at].isspace():
        return
    name, end = getattr(value, "name", ""), at
    while end < len(ctx.text) and ctx.text[end] in " \t":
        end += 1
    message = f"a space after '{prefix}': deidc reads '{prefix}{name}', but deid a name that starts with the space"
    yield make(codes.SPACE_AFTER_PREFIX, message, value.span.sub(len(prefix), end - at), path=ctx.path,
               label="remove this space",
               help=f"write '{prefix}{name}' without a space")


def _check_add_target(target: ast.Field, ctx: Context) -> Iterator[Diagnostic]:
    if not _is_exact(target):
        yield make(codes.ADD_NEEDS_EXACT, "ADD creates one element: its field must be a keyword or a tag",
                   target.span, path=ctx.path, help="write e.g. 'ADD PatientIdentityRemoved YES'")
    elif isinstance(target, ast.FieldName) and names.keyword(word := target.names[0]) is None:
        yield make(codes.ADD_NEEDS_EXACT, f"ADD needs a DICOM keyword or a tag: '{word}' is neither",
                   target.span, path=ctx.path, suggestions=names.suggest_keyword(word),
                   help=None if names.suggest_keyword(word) else "write a keyword such as 'PatientIdentityRemoved'")


def ctx_target(action: ast.Action) -> str:
    """Return the action's field as written, for help texts."""
    target = action.target
    if isinstance(target, ast.FieldName):
        return "__".join(target.names)
    return "PatientID"


def _is_exact(field: ast.Field) -> bool:
    if isinstance(field, ast.FieldName):
        return len(field.names) == 1 and field.names[0].lower() != "all"
    return isinstance(field, (ast.FieldTag, ast.FieldPrivate))


def _check_deid_func(func: ast.DeidFunc, ctx: Context) -> Iterator[Diagnostic]:
    args = names.DEID_FUNCS.get(func.name)
    if args is None:
        yield make(codes.UNKNOWN_DEID_FUNC, f"unknown deid_func '{func.name}'", func.span, path=ctx.path,
                   suggestions=names.suggest(func.name, names.DEID_FUNCS),
                   help=None if names.suggest(func.name, names.DEID_FUNCS)
                   else "the built-ins are " + ", ".join(names.DEID_FUNCS))
        return
    for arg in func.args:
        if arg.key not in args:
            yield make(codes.UNKNOWN_FUNC_ARG, f"'{func.name}' takes no argument '{arg.key}'", arg.span,
                       path=ctx.path, suggestions=names.suggest(arg.key, args),
                       help=None if names.suggest(arg.key, args) else
                       (f"its arguments are {', '.join(args)}" if args else f"'{func.name}' takes no arguments"))
        elif arg.key in ("days", "years") and not arg.value.lstrip("+-").isdigit():
            yield make(codes.BAD_OPTION_VALUE, f"'{arg.key}' must be a whole number, not '{arg.value}'", arg.span,
                       path=ctx.path, help=f"write e.g. {arg.key}=-2")


def _group_verbs(section: ast.ValuesSection | ast.FieldsSection) -> tuple[str, ...]:
    return ("FIELD", "SPLIT") if isinstance(section, ast.ValuesSection) else ("FIELD",)


def check_group_actions(recipe: ast.Recipe, ctx: Context) -> Iterator[Diagnostic]:
    """FIELD and SPLIT lines, and their options."""
    for section, line in _group_lines(recipe):
        allowed = _group_verbs(section)
        kind = section.keyword.lower()
        if line.verb not in allowed:
            if line.verb.upper() in names.HEADER_ACTIONS:
                yield make(codes.WRONG_SECTION, f"'{line.verb}' belongs in '%header', not '%{kind}'", line.verb_span,
                           path=ctx.path, help=f"move the line to '%header'; '%{kind}' lists take "
                           + " and ".join(allowed))
            else:
                yield make(codes.UNKNOWN_ACTION, f"unknown action '{line.verb}' in '%{kind}'", line.verb_span,
                           path=ctx.path, suggestions=names.suggest(line.verb, allowed),
                           help=None if names.suggest(line.verb, allowed)
                           else f"'%{kind}' takes " + " and ".join(allowed))
            continue
        if isinstance(line.target, ast.FieldGroup):
            yield make(codes.GROUP_IN_GROUP, "a list cannot be built from another list", line.target.span,
                       path=ctx.path, help="name the elements directly, e.g. 'FIELD PatientName'")
        if line.verb == "FIELD" and line.options:
            yield make(codes.GROUP_OPTIONS, "FIELD takes no options", line.options[0].span.to(line.options[-1].span),
                       path=ctx.path, help="remove them; only SPLIT takes by= and minlength=")
        for option in line.options if line.verb == "SPLIT" else ():
            yield from _check_split_option(option, ctx)


def _check_split_option(option: ast.SplitOption, ctx: Context) -> Iterator[Diagnostic]:
    if option.name not in names.SPLIT_OPTIONS:
        yield make(codes.UNKNOWN_OPTION, f"unknown SPLIT option '{option.name}'", option.span, path=ctx.path,
                   suggestions=names.suggest(option.name, names.SPLIT_OPTIONS),
                   help=None if names.suggest(option.name, names.SPLIT_OPTIONS)
                   else "SPLIT takes by=SEPARATOR and minlength=N")
    elif option.name == "by" and not option.value:
        yield make(codes.BAD_OPTION_VALUE, "the separator cannot be empty", option.span, path=ctx.path,
                   help='write e.g. by="^"')
    elif option.name == "minlength" and not option.value.isdigit():
        yield make(codes.BAD_OPTION_VALUE, f"minlength must be a whole number, not '{option.value}'", option.span,
                   path=ctx.path, help="write e.g. minlength=4")


def _header_targets(recipe: ast.Recipe) -> list[ast.Field]:
    return [a.target for s, a in _header_lines(recipe) if isinstance(s, ast.HeaderSection)
            and a.verb in names.HEADER_ACTIONS and (a.verb != "ADD" or isinstance(a.target, ast.FieldTag))]


def check_fields(recipe: ast.Recipe, ctx: Context) -> Iterator[Diagnostic]:
    """Every field expression resolves; list references name defined lists."""
    targets = _header_targets(recipe)
    targets += [g.target for s, g in _group_lines(recipe)
                if g.verb in _group_verbs(s) and not isinstance(g.target, ast.FieldGroup)]
    for target in targets:
        _, problems = resolve_field(target)
        for problem in problems:
            yield place(problem, target.span, ctx.path)
        if isinstance(target, ast.FieldGroup) and target.name:
            defined = ctx.lists.get(target.kind, frozenset())
            if target.name not in defined:
                yield make(codes.UNKNOWN_LIST, f"no %{target.kind} list is called '{target.name}'", target.span,
                           path=ctx.path, suggestions=names.suggest(target.name, defined),
                           help=None if names.suggest(target.name, defined)
                           else f"define it with '%{target.kind} {target.name}'")


def _variables(recipe: ast.Recipe) -> dict[str, ast.VarRef]:
    return {a.value.name: a.value for s, a in _header_lines(recipe)
            if isinstance(s, ast.HeaderSection) and isinstance(a.value, ast.VarRef)}


def check_list_names(recipe: ast.Recipe, ctx: Context) -> Iterator[Diagnostic]:
    """List names: one word each, used by some action, and not also the name of a ``var:``."""
    variables = _variables(recipe)
    misspelt = {(t.kind, t.name) for t in _header_targets(recipe)
                if isinstance(t, ast.FieldGroup) and t.name not in ctx.lists.get(t.kind, frozenset())}
    for section in recipe.sections:
        if not isinstance(section, (ast.ValuesSection, ast.FieldsSection)) or not section.name:
            continue
        kind, name, span = section.keyword.lower(), section.name, _section_word_span(section)
        if any(c.isspace() for c in name):
            word = "_".join(name.split())
            yield make(codes.LIST_NAME_HAS_SPACE, f"the list name '{name}' has a space: '{kind}:' cannot refer to it",
                       span, path=ctx.path, help=f"write it as one word, e.g. '%{kind} {word}'")
        elif name in variables:
            yield make(codes.LIST_SHADOWS_NAME, f"'var:{name}' reads the list '{name}', not a variable",
                       variables[name].span, path=ctx.path,
                       help="lists and variables share one namespace: rename the list or the variable")
        elif name not in ctx.used.get(kind, frozenset()) and not any(
                k == kind and names.suggest(ref, (name,)) for k, ref in misspelt):  # a typo is reported once
            yield make(codes.UNUSED_LIST, f"the list '{name}' is never used", span, path=ctx.path,
                       help=f"refer to it as '{kind}:{name}' in '%header', or remove it")


CHECKS: Final[tuple[Check, ...]] = (
    check_format,
    check_sections,
    check_actions,
    check_group_actions,
    check_fields,
    check_filters,
    check_list_names,
)
