"""Strategies for recipe trees, built bottom-up from :mod:`deidc.ast` nodes, and their text.

Lines, LABEL blocks, sections and whole recipes: one ``st.builds`` per node class,
with default spans (one composite draws the sections' names first, so that actions can
name the lists). The options of :func:`recipes` are checked when it is called
(``InvalidArgument``), not when the strategy is drawn from.
"""

from __future__ import annotations

import functools
from collections.abc import Collection, Sequence
from dataclasses import dataclass, replace
from typing import Any, Final

from hypothesis import strategies as st
from hypothesis.errors import InvalidArgument

from deidc import ast
from deidc.compiler import names
from deidc.fmt import render
from deidc.plan import ActionKind
from deidc.testing import _fields as f
from deidc.testing import _words as w

#: the list names that ``values:``/``fields:`` may refer to, by kind (hashable, for caching)
Lists = tuple[tuple[str, tuple[str, ...]], ...]
#: the section kinds :func:`recipes` can draw; ``unknown`` only with ``valid=False``
SECTION_KINDS: Final[tuple[str, ...]] = (*names.SECTIONS, "unknown")
#: the header actions
ACTION_NAMES: Final[tuple[str, ...]] = tuple(k.value for k in ActionKind)
_COORDINATE_WORDS: Final = ("coordinates", "keepcoordinates", "ctpcoordinates", "ctpkeepcoordinates")
_SECTION_CLASSES: Final[dict[str, type]] = {
    "header": ast.HeaderSection, "labels": ast.LabelsSection, "values": ast.ValuesSection,
    "fields": ast.FieldsSection, "filter": ast.FilterSection, "unknown": ast.UnknownSection,
}


@dataclass(frozen=True)
class _Options:
    """The options of :func:`recipes`, checked."""

    sections: tuple[str, ...]
    actions: tuple[str, ...]
    comments: bool
    valid: bool
    max_sections: int
    max_lines: int


def _names(value: object, argument: str, allowed: Sequence[str]) -> tuple[str, ...]:
    if isinstance(value, str) or not isinstance(value, Collection):
        raise InvalidArgument(f"{argument}={value!r} must be a collection of names, e.g. {list(allowed[:2])!r}")
    items = tuple(value)
    unknown = [v for v in items if v not in allowed]
    if unknown:
        raise InvalidArgument(f"{argument}: unknown {unknown!r}; choose from {list(allowed)!r}")
    return tuple(dict.fromkeys(items))


def _count(value: object, argument: str) -> int:
    if isinstance(value, bool) or not isinstance(value, int) or value < 0:
        raise InvalidArgument(f"{argument}={value!r} must be a non-negative integer")
    return value


def check_options(*, sections: Collection[str] | None, actions: Collection[str], comments: bool, valid: bool,
                  max_sections: int, max_lines: int) -> _Options:
    """Check the options of :func:`recipes` (raising ``InvalidArgument``) and return them."""
    for flag, name in ((comments, "comments"), (valid, "valid")):
        if not isinstance(flag, bool):
            raise InvalidArgument(f"{name}={flag!r} must be True or False")
    if valid and sections is not None and not isinstance(sections, str) and "unknown" in sections:
        raise InvalidArgument("sections: 'unknown' sections never compile; pass valid=False to draw them")
    allowed = names.SECTIONS if valid else SECTION_KINDS
    chosen = allowed if sections is None else _names(sections, "sections", allowed)
    return _Options(chosen, _names(actions, "actions", ACTION_NAMES), comments, valid,
                    _count(max_sections, "max_sections"), _count(max_lines, "max_lines"))


# ---------------------------------------------------------------- lines


def _comment_lines(opts: _Options) -> list[st.SearchStrategy[ast.Comment]]:
    return [st.builds(ast.Comment, text=w.comment_texts())] if opts.comments else []


def _trailing(opts: _Options) -> st.SearchStrategy[str | None]:
    return st.one_of(st.none(), w.comment_texts()) if opts.comments else st.none()


def format_lines(opts: _Options) -> st.SearchStrategy[ast.FormatLine]:
    """Return a strategy for ``FORMAT dicom`` lines (any format word when not valid)."""
    word = w.mixed_case("dicom") if opts.valid else st.one_of(st.none(), w.mixed_case("dicom"), w.line_texts())
    return st.builds(ast.FormatLine, format=word, comment=_trailing(opts))


def _line_keywords() -> st.SearchStrategy[str]:
    """Return a strategy for the words that start lines of their own (``FORMAT``, ``LABEL``...), in any case."""
    return w.mixed_case(st.sampled_from(sorted(w.RESERVED_WORDS)))


def header_actions(opts: _Options, lists: Lists | None) -> st.SearchStrategy[ast.Action]:
    """Return a strategy for header action lines, each verb with the field and value it takes."""
    if not opts.valid:
        return st.builds(ast.Action, verb=w.words_any(), target=f.fields(valid=False),
                         value=st.one_of(st.none(), f.values(valid=False)), comment=_trailing(opts)) | st.builds(
            ast.Action, verb=_line_keywords(), target=f.glued_fields(), comment=_trailing(opts))
    if not opts.actions:
        return st.nothing()
    target = f.fields(lists=None if lists is None else dict(lists))
    by_verb = {
        "ADD": (f.exact_fields(), f.values()),
        "REPLACE": (target, f.values()),
        "JITTER": (target, f.jitter_values()),
        "REMOVE": (target, st.one_of(st.none(), st.none(), f.values())),
        "BLANK": (target, st.none()),
        "KEEP": (target, st.none()),
    }
    return st.one_of([st.builds(ast.Action, verb=st.just(verb), target=by_verb[verb][0], value=by_verb[verb][1],
                                comment=_trailing(opts)) for verb in opts.actions])


def _split_options(valid: bool) -> st.SearchStrategy[tuple[ast.SplitOption, ...]]:
    if not valid:
        option = st.builds(ast.SplitOption, name=w.words_any(), value=w.option_values())
        return st.lists(option, max_size=3).map(tuple)
    by = st.builds(ast.SplitOption, name=st.just("by"), value=st.sampled_from(("^", " ", "|", ",", "\\", "-")))
    minlength = st.builds(ast.SplitOption, name=st.just("minlength"), value=st.integers(0, 9).map(str))
    return st.one_of(st.tuples(by), st.tuples(minlength), st.tuples(by, minlength), st.just(()))


def group_actions(opts: _Options, kind: str) -> st.SearchStrategy[ast.GroupAction]:
    """Return a strategy for the FIELD and SPLIT lines of a ``%values`` or ``%fields`` list."""
    if not opts.valid:
        return st.builds(ast.GroupAction, verb=w.words_any(), target=f.fields(valid=False),
                         options=_split_options(False), comment=_trailing(opts)) | st.builds(
            ast.GroupAction, verb=_line_keywords(), target=f.glued_fields(), comment=_trailing(opts))
    target = f.fields(groups=False)
    field_line = st.builds(ast.GroupAction, verb=st.just("FIELD"), target=target, comment=_trailing(opts))
    if kind == "fields":
        return field_line
    split = st.builds(ast.GroupAction, verb=st.just("SPLIT"), target=target, options=_split_options(True),
                      comment=_trailing(opts))
    return st.one_of(field_line, split)


def criteria(opts: _Options) -> st.SearchStrategy[ast.Criterion]:
    """Return a strategy for one filter test: ``contains Modality CT|MR``, ``missing PatientID``."""
    if not opts.valid:
        return st.builds(ast.Criterion, word=w.words_any(), target=f.filter_fields(valid=False),
                         value=st.one_of(st.none(), w.filter_values_any())) | st.builds(
            ast.Criterion, word=_line_keywords(), target=f.glued_fields())
    return st.one_of([st.builds(ast.Criterion, word=w.mixed_case(word), target=f.filter_fields(),
                                value=_criterion_value(word)) for word in names.CRITERIA])


def _criterion_value(word: str) -> st.SearchStrategy[str | None]:
    if word in names.PRESENCE_CRITERIA:
        return st.none()
    if word in ("contains", "notcontains"):
        return w.filter_regexes()
    return w.filter_values_any()


def members(opts: _Options) -> st.SearchStrategy[ast.Member]:
    """Return a strategy for criteria lines: ``+ contains A x || empty B``."""
    operator = st.sampled_from(("+", "||"))
    tests = st.lists(criteria(opts), min_size=1, max_size=3).map(tuple)
    between = st.lists(operator, min_size=2, max_size=2).map(tuple)
    return st.builds(lambda lead, c, ops, comment: ast.Member(operator=lead, criteria=c, operators=ops[: len(c) - 1],
                                                             comment=comment),
                     st.one_of(st.none(), operator), tests, between, _trailing(opts))


def regions(*, valid: bool = True) -> st.SearchStrategy[ast.Region]:
    """Return a strategy for the region of a coordinates line: ``all``, ``from:Seq`` or four integers."""
    sequence = st.sampled_from(("SequenceOfUltrasoundRegions", "ReferencedImageSequence")) if valid else w.idents()
    number = st.integers(0, 1024) if valid else st.integers(-99, 99999)
    return st.one_of(st.builds(ast.RegionAll), st.builds(ast.RegionFrom, keyword=sequence),
                     st.builds(ast.RegionBox, values=st.tuples(number, number, number, number)))


def coordinates(opts: _Options) -> st.SearchStrategy[ast.Coordinates]:
    """Return a strategy for coordinates lines: ``keepcoordinates 0,0,10,10``."""
    return st.builds(ast.Coordinates, keyword=w.mixed_case(st.sampled_from(_COORDINATE_WORDS)),
                     region=regions(valid=opts.valid), comment=_trailing(opts))


def _lines(options: list[st.SearchStrategy[ast.Node]], opts: _Options) -> st.SearchStrategy[tuple[Any, ...]]:
    if not options:
        return st.just(())
    return st.lists(st.one_of(options), max_size=opts.max_lines).map(tuple)


def label_blocks(opts: _Options) -> st.SearchStrategy[ast.LabelBlock]:
    """Return a strategy for ``LABEL`` lines with the criteria and coordinates under them."""
    lines: list[st.SearchStrategy[ast.Node]] = [members(opts), coordinates(opts), *_comment_lines(opts)]
    if not opts.valid:
        lines.append(format_lines(opts))
    return st.builds(ast.LabelBlock, label=st.one_of(st.just(""), w.line_texts()), body=_lines(lines, opts),
                     comment=_trailing(opts))


# ---------------------------------------------------------------- sections and recipes


def _header_body(opts: _Options, lists: Lists | None) -> st.SearchStrategy[tuple[Any, ...]]:
    lines: list[st.SearchStrategy[ast.Node]] = [*_comment_lines(opts)]
    if opts.actions or not opts.valid:
        lines.append(header_actions(opts, lists))
    if not opts.valid:
        lines.append(format_lines(opts))
    return _lines(lines, opts)


@functools.lru_cache(maxsize=256)
def sections(opts: _Options, kind: str, lists: Lists | None) -> st.SearchStrategy[ast.Section]:
    """Return a strategy for one section of ``kind`` (a key of ``_SECTION_CLASSES``), without its name.

    Strategies are cached by their arguments: building one costs more than drawing from it.
    """
    cls = _SECTION_CLASSES[kind]
    keyword = st.just(kind) if kind != "unknown" else w.section_keywords_unknown()
    if opts.valid:
        keyword = w.mixed_case(keyword)
    common = {"keyword": keyword, "comment": _trailing(opts)}
    if kind in ("values", "fields"):
        lines: list[st.SearchStrategy[ast.Node]] = [group_actions(opts, kind), *_comment_lines(opts)]
        if not opts.valid:
            lines.append(format_lines(opts))
        return st.builds(cls, body=_lines(lines, opts), **common)
    if kind == "filter":
        before: list[st.SearchStrategy[ast.Node]] = [*_comment_lines(opts)]
        if not opts.valid:
            before += [members(opts), coordinates(opts), format_lines(opts)]
        blocks = st.lists(label_blocks(opts), max_size=max(1, opts.max_lines // 2)).map(tuple)
        return st.builds(cls, body=_lines(before, opts), labels=blocks, **common)
    return st.builds(cls, body=_header_body(opts, lists), **common)


def _section_name(opts: _Options, kind: str) -> st.SearchStrategy[str | None]:
    if not opts.valid:
        return st.one_of(st.none(), w.line_texts())
    if kind in ("values", "fields"):
        return w.list_names()
    return w.line_texts() if kind == "filter" else st.none()


@st.composite
def _recipe(draw: st.DrawFn, opts: _Options) -> ast.Recipe:
    """Draw the sections' kinds and names first, so that header actions can name the lists."""
    kinds = draw(st.lists(st.sampled_from(opts.sections), max_size=opts.max_sections)) if opts.sections else []
    heads = [(kind, draw(_section_name(opts, kind))) for kind in kinds]
    lists: Lists | None = None
    if opts.valid:
        lists = tuple((k, tuple(sorted({n for kind, n in heads if kind == k and n}))) for k in ("values", "fields"))
    built = tuple(replace(draw(sections(opts, kind, lists)), name=name) for kind, name in heads)
    return ast.Recipe(body=draw(_top_body(opts)), sections=built)


def _top_body(opts: _Options) -> st.SearchStrategy[tuple[Any, ...]]:
    if not opts.valid:
        return _lines([*_comment_lines(opts), format_lines(opts), header_actions(opts, None)], opts)
    comments = st.lists(st.one_of(_comment_lines(opts)), max_size=2) if opts.comments else st.just([])
    return st.builds(lambda a, fmt, b: (*a, fmt, *b), comments, format_lines(opts), comments)


def recipes(*, sections: Collection[str] | None = None, actions: Collection[str] = ACTION_NAMES,
            comments: bool = True, valid: bool = True, max_sections: int = 4,
            max_lines: int = 6) -> st.SearchStrategy[ast.Recipe]:
    """Return a strategy for recipe trees (:class:`deidc.ast.Recipe`), built from AST nodes.

    Every tree drawn renders (:func:`deidc.fmt.render`) to text that parses back to an
    equal tree with no diagnostics. With ``valid=True`` (the default) every tree also
    compiles without errors (warnings, such as an unused list, may remain).

    Args:
        sections: the section kinds to draw from (``header``, ``labels``, ``values``,
            ``fields``, ``filter``, and with ``valid=False`` ``unknown``); None: all.
        actions: the header actions to draw from (``ADD``, ``BLANK``, ``JITTER``,
            ``KEEP``, ``REPLACE``, ``REMOVE``); with ``valid=False`` any word is drawn.
        comments: whether to draw whole-line and trailing comments.
        valid: keep to recipes that compile; False draws from the whole syntax (unknown
            actions, sections and criteria, malformed fields, misplaced lines).
        max_sections: the most sections in one recipe.
        max_lines: the most lines in one section or LABEL block.

    Returns:
        The strategy.

    Raises:
        InvalidArgument: an option is not one of the values above (raised at once).
    """
    opts = check_options(sections=sections, actions=actions, comments=comments, valid=valid,
                         max_sections=max_sections, max_lines=max_lines)
    return _recipe(opts)


def recipe_texts(*, sections: Collection[str] | None = None, actions: Collection[str] = ACTION_NAMES,
                 comments: bool = True, valid: bool = True, max_sections: int = 4,
                 max_lines: int = 6) -> st.SearchStrategy[str]:
    """Return a strategy for recipe text: :func:`recipes` (same options) rendered by :func:`deidc.fmt.render`.

    Raises:
        InvalidArgument: an option is invalid (see :func:`recipes`).
    """
    return recipes(sections=sections, actions=actions, comments=comments, valid=valid, max_sections=max_sections,
                   max_lines=max_lines).map(render)
