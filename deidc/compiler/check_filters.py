"""The checks of ``%filter`` sections: ``ast.Recipe`` → diagnostics about LABEL blocks and their criteria."""

from __future__ import annotations

import re
from collections.abc import Iterator
from typing import Final

from deidc import ast, codes
from deidc.compiler import names
from deidc.compiler.context import Context, place
from deidc.compiler.resolve import resolve_filter_field
from deidc.diagnostics import Diagnostic, make

#: the characters with a meaning in a regular expression: a pattern without any compiles
_REGEX_SYNTAX: Final = frozenset("\\.^$*+?{}[]|()")


def _filter_blocks(recipe: ast.Recipe) -> Iterator[ast.LabelBlock]:
    for section in recipe.sections:
        if isinstance(section, ast.FilterSection):
            yield from section.labels


def check_filters(recipe: ast.Recipe, ctx: Context) -> Iterator[Diagnostic]:
    """Filter sections: lines before a LABEL, criterion words, arity and patterns."""
    for section in recipe.sections:
        if isinstance(section, ast.FilterSection):
            for line in section.body:
                if isinstance(line, (ast.Member, ast.Coordinates)):
                    yield make(codes.CRITERION_BEFORE_LABEL, "this line stands before the first LABEL",
                               line.span, path=ctx.path, help="start the block with 'LABEL name'")
    for block in _filter_blocks(recipe):
        for line in block.body:
            if isinstance(line, ast.Member):
                for criterion in line.criteria:
                    yield from _check_criterion(criterion, ctx)


def _check_criterion(criterion: ast.Criterion, ctx: Context) -> Iterator[Diagnostic]:
    word = criterion.word.lower()
    upper = criterion.word.upper()
    if word not in names.CRITERIA and (upper in names.HEADER_ACTIONS or upper in names.GROUP_ACTIONS):
        where = "'%header'" if upper in names.HEADER_ACTIONS else "a %values or %fields section"
        yield make(codes.WRONG_SECTION, f"'{criterion.word}' belongs in {where}, not in a %filter section",
                   criterion.word_span, path=ctx.path,
                   help="a LABEL block holds criteria (" + ", ".join(names.CRITERIA) + ") and coordinates")
        return
    if word not in names.CRITERIA:
        yield make(codes.UNKNOWN_CRITERION, f"unknown filter criterion '{criterion.word}'", criterion.word_span,
                   path=ctx.path, suggestions=names.suggest(criterion.word, (*names.CRITERIA, "LABEL")),
                   help=None if names.suggest(criterion.word, (*names.CRITERIA, "LABEL"))
                   else "criteria are " + ", ".join(names.CRITERIA))
        return
    if word in names.VALUE_CRITERIA and criterion.value is None:
        yield make(codes.CRITERION_ARITY, f"'{word}' needs a field and a value", criterion.span, path=ctx.path,
                   help=f"write e.g. '{word} Modality CT'")
    if word in names.PRESENCE_CRITERIA and criterion.value is not None:
        yield make(codes.CRITERION_ARITY, f"'{word}' takes a field and no value", criterion.span, path=ctx.path,
                   help=f"write e.g. '{word} ImageType'")
    _, problems = resolve_filter_field(criterion.target)
    for problem in problems:
        yield place(problem, criterion.target.span, ctx.path)
    if word in ("contains", "notcontains") and criterion.value is not None \
            and not _REGEX_SYNTAX.isdisjoint(criterion.value):  # plain text is a valid pattern: no need to compile
        try:
            re.compile(criterion.value)
        except re.error as error:
            yield make(codes.INVALID_REGEX, f"invalid regular expression: {error.msg}", criterion.span,
                       path=ctx.path, help=r"escape special characters with '\'")
