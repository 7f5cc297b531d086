"""The compiler stage: ``ast.Recipe`` → :class:`Compiled` (a plan, or diagnostics).

Checks run first (:data:`deidc.compiler.checks.CHECKS`); lowering runs only when no
check found an error. No pydicom dataset ever enters this package; pydicom's data
dictionary does.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass

from deidc import ast, codes
from deidc.compiler.checks import CHECKS, Context
from deidc.compiler.lower import lower
from deidc.diagnostics import Diagnostic, make, sort_key
from deidc.plan import Plan
from deidc.source import NO_SPAN, Source, Span
from deidc.syntax import Parsed, parse

__all__ = ["Compiled", "compile_recipe", "compile_sources", "missing_inputs"]


@dataclass(frozen=True)
class Compiled:
    """What the compiler returns."""

    plan: Plan | None  #: the plan, or None when there were errors
    diagnostics: tuple[Diagnostic, ...]  #: every diagnostic, syntax included, sorted
    sources: tuple[Source, ...] = ()  #: the recipes' texts

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
    recipes = [p.recipe for p in parsed]
    lists, used = _lists(recipes), _used(recipes)
    diagnostics: list[Diagnostic] = []
    for p in parsed:
        diagnostics += p.diagnostics
        ctx = Context(path=p.source.path, lists=lists, used=used)
        for check in CHECKS:
            diagnostics += check(p.recipe, ctx)
    diagnostics.sort(key=sort_key)
    sources = tuple(p.source for p in parsed)
    if any(d.is_error for d in diagnostics):
        return Compiled(None, tuple(diagnostics), sources)
    plan = lower([(p.recipe, p.source) for p in parsed])
    return Compiled(plan, tuple(diagnostics), sources)


def compile_recipe(recipe: str | Source | Parsed, *, path: str = "<string>") -> Compiled:
    """Parse (if given text), check and lower one recipe."""
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
