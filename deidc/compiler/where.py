"""Plan origins → the AST nodes and spans they came from, for the rule analysis.

A plan step knows its recipe line (``Step.origin``) but not its columns; the rule
analysis points at the smallest span, so it looks the line's node up here.
"""

from __future__ import annotations

from collections.abc import Iterator, Sequence
from dataclasses import dataclass, field

from deidc import ast
from deidc.plan import Origin, ValueDeidFunc, ValueFunc, ValueLiteral, ValueSource, ValueVar
from deidc.source import Source, Span

Line = ast.Action | ast.GroupAction


@dataclass(frozen=True)
class Where:
    """The compiled recipes' trees and texts, with their action lines by (path, line)."""

    recipes: tuple[tuple[ast.Recipe, Source], ...] = ()  #: the trees and their sources, in order
    #: the action and group-action nodes, by (path, line)
    lines: dict[tuple[str, int], Line] = field(default_factory=dict)

    @classmethod
    def of(cls, recipes: Sequence[tuple[ast.Recipe, Source]]) -> Where:
        """Index the action lines of the recipes."""
        lines: dict[tuple[str, int], Line] = {}
        for recipe, source in recipes:
            for node in _action_lines(recipe):
                lines[(source.path, node.span.line)] = node
        return cls(tuple(recipes), lines)

    def node(self, origin: Origin) -> Line | None:
        """Return the node of a step's line, if known."""
        return self.lines.get((origin.path, origin.line))

    def line(self, origin: Origin) -> Span:
        """Return the span of a step's action, from its verb to its value (or field)."""
        node = self.node(origin)
        if node is None:
            return Span(origin.line, 1, origin.line, len(origin.text) + 1)
        last = node.value.span if isinstance(node, ast.Action) and node.value is not None else node.target.span
        return node.verb_span.to(last)

    def target(self, origin: Origin) -> Span:
        """Return the span of a step's field."""
        node = self.node(origin)
        return self.line(origin) if node is None else node.target.span

    def value(self, origin: Origin) -> Span:
        """Return the span of a step's value (its whole action if it has none)."""
        node = self.node(origin)
        if isinstance(node, ast.Action) and node.value is not None:
            return node.value.span
        return self.line(origin)

    def written(self, origin: Origin) -> str:
        """Return a step's field as written in the recipe."""
        node = self.node(origin)
        source = self.source(origin.path)
        if node is None or source is None:
            return origin.text
        return source.excerpt(node.target.span)

    def source(self, path: str) -> Source | None:
        """Return the source of a recipe path."""
        return next((s for _, s in self.recipes if s.path == path), None)


def _action_lines(recipe: ast.Recipe) -> Iterator[Line]:
    for section in recipe.sections:
        if isinstance(section, (ast.HeaderSection, ast.ValuesSection, ast.FieldsSection)):
            for line in section.body:
                if isinstance(line, (ast.Action, ast.GroupAction)):
                    yield line


def value_text(value: ValueSource | None) -> str:
    """Return a value as the recipe writes it."""
    match value:
        case None:
            return ""
        case ValueLiteral(text=text):
            return text
        case ValueVar(name=name):
            return f"var:{name}"
        case ValueFunc(name=name):
            return f"func:{name}"
        case ValueDeidFunc(name=name, args=args):
            return " ".join([f"deid_func:{name}", *(f"{k}={v}" for k, v in args)])
    raise AssertionError(value)
