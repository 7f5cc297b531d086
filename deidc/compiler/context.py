"""What every check of :mod:`deidc.compiler.checks` receives besides the tree, and shared helpers."""

from __future__ import annotations

from collections.abc import Callable, Iterable
from dataclasses import dataclass, field

from deidc import ast
from deidc.compiler.resolve import Problem
from deidc.diagnostics import Diagnostic, make
from deidc.source import Span


@dataclass(frozen=True)
class Context:
    """What a check may know besides the tree."""

    path: str = "<string>"  #: the recipe's file
    #: list names defined by the recipes compiled together, by kind
    lists: dict[str, frozenset[str]] = field(default_factory=dict)
    #: list names used anywhere by those recipes, by kind
    used: dict[str, frozenset[str]] = field(default_factory=dict)
    text: str = ""  #: the recipe's text (spans index into it)


Check = Callable[[ast.Recipe, Context], Iterable[Diagnostic]]


def place(problem: Problem, span: Span, path: str) -> Diagnostic:
    """Turn a resolution problem into a diagnostic at its place inside a field's span."""
    if problem.length and span.line == span.end_line:
        span = span.sub(problem.offset, problem.length)
    return make(problem.code, problem.message, span, path=path, help=problem.help, suggestions=problem.suggestions)
