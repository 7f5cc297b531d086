"""The compiler stage: ``ast.Recipe`` → :class:`Compiled` (a plan, or diagnostics).

Checks run first (:data:`deidc.compiler.checks.CHECKS`); lowering runs only when no
check found an error, and the rule analysis (:data:`deidc.compiler.rules.RULES`) then
warns about the plan. :func:`check_inputs` checks a run's ``var:``/``func:`` names
against a plan before any file is read. No pydicom dataset ever enters this package;
pydicom's data dictionary does.
"""

from __future__ import annotations

from collections.abc import Collection, Mapping, Sequence
from dataclasses import dataclass, replace

from deidc import ast, codes
from deidc.compiler.checks import CHECKS, Context
from deidc.compiler.lower import lower
from deidc.compiler.rules import analyse
from deidc.diagnostics import Diagnostic, make, sort_key
from deidc.plan import Plan
from deidc.source import NO_SPAN, Source, Span
from deidc.syntax import Parsed, parse
from deidc.syntax_cache import collector_paused

__all__ = ["Compiled", "check_inputs", "compile_recipe", "compile_sources", "missing_inputs"]


@dataclass(frozen=True)
class Compiled:
    """What the compiler returns."""

    plan: Plan | None  #: the plan, or None when there were errors
    diagnostics: tuple[Diagnostic, ...]  #: every diagnostic, syntax included, sorted
    sources: tuple[Source, ...] = ()  #: the recipes' texts
    trees: tuple[ast.Recipe, ...] = ()  #: the recipes' trees, in the order of ``sources``

    @property
    def ok(self) -> bool:
        """Return whether a plan was produced."""
        return self.plan is not None


def _lists(recipes: Sequence[ast.Recipe]) -> dict[str, frozenset[str]]:
    found: dict[str, set[str]] = {"values": set(), "fields": set()}
    for recipe in recipes:
        for section in recipe.sections:
            if isinstance(section, (ast.ValuesSection, ast.FieldsSection)) and section.name:
                found[section.keyword.lower()].add(section.name)
    return {k: frozenset(v) for k, v in found.items()}


def _used(recipes: Sequence[ast.Recipe]) -> dict[str, frozenset[str]]:
    used: dict[str, set[str]] = {"values": set(), "fields": set()}
    for recipe in recipes:
        for section in recipe.sections:
            if isinstance(section, (ast.HeaderSection, ast.LabelsSection)):
                for line in section.body:
                    if isinstance(line, ast.Action) and isinstance(line.target, ast.FieldGroup):
                        used[line.target.kind].add(line.target.name)
    return {k: frozenset(v) for k, v in used.items()}


def compile_sources(parsed: Sequence[Parsed]) -> Compiled:
    """Check and lower several parsed recipes into one plan (in order: later ones run after)."""
    with collector_paused():  # a compile makes no reference cycles: see collector_paused
        return _compile_sources(parsed)


def _compile_sources(parsed: Sequence[Parsed]) -> Compiled:
    recipes = [p.recipe for p in parsed]
    lists, used = _lists(recipes), _used(recipes)
    diagnostics: list[Diagnostic] = []
    for p in parsed:
        diagnostics += p.diagnostics
        ctx = Context(path=p.source.path, lists=lists, used=used, text=p.source.text)
        for check in CHECKS:
            diagnostics += check(p.recipe, ctx)
    diagnostics.sort(key=sort_key)
    sources = tuple(p.source for p in parsed)
    if any(d.is_error for d in diagnostics):
        return Compiled(None, tuple(diagnostics), sources, tuple(recipes))
    trees = [(p.recipe, p.source) for p in parsed]
    plan = lower(trees)
    diagnostics += analyse(plan, trees)
    diagnostics.sort(key=sort_key)
    return Compiled(plan, tuple(diagnostics), sources, tuple(recipes))


def compile_recipe(recipe: str | Source | Parsed, *, path: str = "<string>") -> Compiled:
    """Parse (if given text), check and lower one recipe."""
    with collector_paused():  # a compile makes no reference cycles: see collector_paused
        if isinstance(recipe, str):
            recipe = Source(path, recipe)
        if isinstance(recipe, Source):
            recipe = parse(recipe)
        return compile_sources([recipe])


def missing_inputs(
    plan: Plan, variables: Mapping[str, object], functions: Mapping[str, object] | None = None,
) -> list[Diagnostic]:
    """Report every ``var:``/``func:`` the plan needs and the run does not provide."""
    functions = variables if functions is None else functions
    lists = {v.name for v in plan.values} | {f.name for f in plan.fields}
    found = []
    for step in plan.steps:
        value = step.value
        name = getattr(value, "name", None)
        kind = type(value).__name__
        line = step.origin.line
        span = Span(line, 1, line, len(step.origin.text) + 1) if line else NO_SPAN
        if kind == "ValueVar" and name not in variables and name not in lists:
            found.append(make(codes.MISSING_VARIABLE, f"the recipe needs the variable '{name}' "
                              f"({step.origin}: {step.origin.text})", span, path=step.origin.path,
                              help=f"provide it: --var {name}=VALUE on the command line; parser.define('{name}', "
                              f"...) or replace_identifiers(ids={{file: {{'{name}': ...}}}}) in Python"))
        if kind == "ValueFunc" and not callable(functions.get(name or "")):
            found.append(make(codes.MISSING_FUNCTION, f"the recipe needs the function '{name}' "
                              f"({step.origin}: {step.origin.text})", span, path=step.origin.path,
                              help=f"pass it: parser.define('{name}', my_function) or "
                              f"replace_identifiers(ids={{file: {{'{name}': my_function}}}})"))
    return found


def _value_spans(trees: Sequence[ast.Recipe], sources: Sequence[Source]) -> dict[tuple[str, int], Span]:
    spans: dict[tuple[str, int], Span] = {}
    for recipe, source in zip(trees, sources, strict=False):
        for section in recipe.sections:
            if isinstance(section, ast.HeaderSection):
                for line in section.body:
                    if isinstance(line, ast.Action) and line.value is not None:
                        spans[(source.path, line.span.line)] = line.value.span
    return spans


def check_inputs(
    compiled: Compiled | Plan, *, variables: Collection[str] = (), functions: Collection[str] = (),
) -> list[Diagnostic]:
    """Report every ``var:`` and ``func:`` a plan needs that the run does not name, before any file is read.

    Only names are compared: a run that names a function checks here even though nothing
    is called. A ``var:`` that names a ``%values``/``%fields`` list of the recipe needs no input.

    Args:
        compiled: a compilation (its diagnostics point at the ``var:``/``func:`` value) or a bare plan
            (they point at the whole line).
        variables: the names of the variables the run provides.
        functions: the names of the functions the run provides.

    Returns:
        One ``DEID401``/``DEID402`` per line that needs an input the run lacks, in plan order.
    """
    plan = compiled.plan if isinstance(compiled, Compiled) else compiled
    if plan is None:
        return []
    spans = _value_spans(compiled.trees, compiled.sources) if isinstance(compiled, Compiled) else {}
    provided_functions = dict.fromkeys(functions, _provided)
    found = missing_inputs(plan, dict.fromkeys(variables, True), provided_functions)
    return [replace(d, span=spans.get((d.path, d.span.line), d.span)) for d in found]


def _provided() -> None:
    """Stand for a function the run names (only its name is checked)."""
