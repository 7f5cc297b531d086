"""The recipe's syntax tree: what :mod:`deidc.syntax` produces from recipe text.

Every node is a frozen, slotted, keyword-only dataclass named after the grammar rule
it comes from (``grammar/deid.lark`` and ``grammar/field.lark``). Children are
tuples. Names (actions, sections, criteria, expanders, keywords) are kept as written;
:mod:`deidc.compiler` resolves them. ``span`` does not take part in equality, so two
nodes are equal when they mean the same thing, wherever they came from.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Union

from deidc.source import NO_SPAN, Span


def _span() -> Span:
    return field(default=NO_SPAN, compare=False, repr=False)


# ---------------------------------------------------------------- field expressions


@dataclass(frozen=True, slots=True, kw_only=True)
class FieldTag:
    """A tag: ``(0010,0020)``, ``00100020`` or ``0x00100020``."""

    group: int  #: the tag's group number
    element: int  #: the tag's element number
    form: str  #: ``paren``, ``hex`` or ``hex0x``: how it was written
    span: Span = _span()


@dataclass(frozen=True, slots=True, kw_only=True)
class FieldPrivate:
    """A private tag by its creator: ``(0033,"CREATOR",1E)`` or ``0033,"CREATOR",1E``."""

    group: int  #: the (odd) group number
    creator: str  #: the private creator string, without quotes
    offset: int  #: the element offset inside the creator's block (0x00-0xFF)
    parens: bool = True  #: whether it was written in parentheses
    span: Span = _span()


@dataclass(frozen=True, slots=True, kw_only=True)
class FieldAddress:
    """One exact nested element: ``(0008,1140)__0__(0008,1155)``."""

    tags: tuple[int, ...]  #: the tags from the top level down
    items: tuple[int, ...]  #: the item index inside each sequence (one fewer than tags)
    span: Span = _span()


@dataclass(frozen=True, slots=True, kw_only=True)
class FieldName:
    """A keyword, ``ALL``, or a nested keyword path such as ``Seq__Child``."""

    names: tuple[str, ...]  #: the keywords, outermost first
    span: Span = _span()


@dataclass(frozen=True, slots=True, kw_only=True)
class FieldExpander:
    """An expander: ``contains:Instance``, ``select:vr:PN``."""

    name: str  #: the expander's name as written (without the colon)
    pattern: str  #: the text after the colon (may be empty)
    span: Span = _span()


@dataclass(frozen=True, slots=True, kw_only=True)
class FieldGroup:
    """A reference to a ``%values`` or ``%fields`` list: ``values:NAME``."""

    kind: str  #: ``values`` or ``fields``
    name: str  #: the list's name (empty when missing)
    span: Span = _span()


@dataclass(frozen=True, slots=True, kw_only=True)
class FieldMalformed:
    """A field that has none of the forms the language knows."""

    text: str  #: the field as written
    span: Span = _span()


Field = Union[FieldTag, FieldPrivate, FieldAddress, FieldName, FieldExpander, FieldGroup, FieldMalformed]

# ---------------------------------------------------------------- values


@dataclass(frozen=True, slots=True, kw_only=True)
class VarRef:
    """``var:NAME``: a value the caller provides."""

    name: str  #: the variable's name
    span: Span = _span()


@dataclass(frozen=True, slots=True, kw_only=True)
class FuncRef:
    """``func:NAME``: a function the caller provides."""

    name: str  #: the function's name
    span: Span = _span()


@dataclass(frozen=True, slots=True, kw_only=True)
class FuncArg:
    """One ``key=value`` argument of a ``deid_func:``."""

    key: str  #: the argument's name
    value: str  #: its value, unquoted
    span: Span = _span()


@dataclass(frozen=True, slots=True, kw_only=True)
class DeidFunc:
    """``deid_func:NAME key=value ...``: one of deidc's built-in functions."""

    name: str  #: the built-in's name as written
    args: tuple[FuncArg, ...] = ()  #: its arguments, in order
    span: Span = _span()


@dataclass(frozen=True, slots=True, kw_only=True)
class Literal:
    """A literal value: the rest of the line, with double quotes removed."""

    text: str  #: the value
    quoted: bool = False  #: whether double quotes were removed from it
    span: Span = _span()


Value = Union[VarRef, FuncRef, DeidFunc, Literal]

# ---------------------------------------------------------------- lines


@dataclass(frozen=True, slots=True, kw_only=True)
class Comment:
    """A whole-line comment."""

    text: str  #: the comment, from ``#``
    span: Span = _span()


@dataclass(frozen=True, slots=True, kw_only=True)
class FormatLine:
    """``FORMAT dicom``."""

    format: str | None  #: the format word, or None when missing
    comment: str | None = None  #: trailing comment
    span: Span = _span()


@dataclass(frozen=True, slots=True, kw_only=True)
class Action:
    """One action line of a ``%header`` or ``%labels`` section: ``REPLACE PatientName var:name``."""

    verb: str  #: the action word as written
    target: Field  #: what the action applies to
    value: Value | None = None  #: its argument, if any
    comment: str | None = None  #: trailing comment
    span: Span = _span()
    verb_span: Span = _span()


@dataclass(frozen=True, slots=True, kw_only=True)
class SplitOption:
    """One ``name=value`` option of ``SPLIT``: ``by="^"``, ``minlength=4``."""

    name: str  #: the option's name as written
    value: str  #: its value, unquoted
    span: Span = _span()


@dataclass(frozen=True, slots=True, kw_only=True)
class GroupAction:
    """One line of a ``%values`` or ``%fields`` section: ``SPLIT PatientID by="^"``."""

    verb: str  #: ``FIELD`` or ``SPLIT`` as written
    target: Field  #: the elements it reads
    options: tuple[SplitOption, ...] = ()  #: ``SPLIT`` options
    comment: str | None = None  #: trailing comment
    span: Span = _span()
    verb_span: Span = _span()


@dataclass(frozen=True, slots=True, kw_only=True)
class Criterion:
    """One test of a filter line: ``contains Modality CT|MR``."""

    word: str  #: the criterion's name as written
    target: Field  #: the element tested
    value: str | None = None  #: the value (a regex or a string), if any
    span: Span = _span()
    word_span: Span = _span()


@dataclass(frozen=True, slots=True, kw_only=True)
class Member:
    """One criteria line of a LABEL block: ``+ contains A x || empty B``."""

    operator: str | None  #: the leading ``+`` or ``||``, if any
    criteria: tuple[Criterion, ...]  #: the tests, left to right
    operators: tuple[str, ...] = ()  #: the ``+``/``||`` between them (one fewer)
    comment: str | None = None  #: trailing comment
    span: Span = _span()


@dataclass(frozen=True, slots=True, kw_only=True)
class RegionAll:
    """``all``: the whole image."""

    span: Span = _span()


@dataclass(frozen=True, slots=True, kw_only=True)
class RegionFrom:
    """``from:Keyword``: the regions listed in a sequence of the image."""

    keyword: str  #: the sequence's keyword
    span: Span = _span()


@dataclass(frozen=True, slots=True, kw_only=True)
class RegionBox:
    """Four integers: ``xmin,ymin,xmax,ymax`` (or ``x,y,w,h`` for the ctp forms)."""

    values: tuple[int, int, int, int]  #: the four numbers as written
    span: Span = _span()


Region = Union[RegionAll, RegionFrom, RegionBox]


@dataclass(frozen=True, slots=True, kw_only=True)
class Coordinates:
    """A coordinates line of a LABEL block: ``keepcoordinates 0,0,10,10``."""

    keyword: str  #: ``coordinates``, ``keepcoordinates``, ``ctpcoordinates`` or ``ctpkeepcoordinates``
    region: Region  #: the region
    comment: str | None = None  #: trailing comment
    span: Span = _span()


FilterLine = Union[Member, Coordinates, Comment, FormatLine]


@dataclass(frozen=True, slots=True, kw_only=True)
class LabelBlock:
    """A ``LABEL`` line and the criteria and coordinates under it."""

    label: str  #: the label's text
    body: tuple[FilterLine, ...] = ()  #: its lines
    comment: str | None = None  #: trailing comment of the LABEL line
    span: Span = _span()


HeaderLine = Union[Action, Comment, FormatLine]
GroupLine = Union[GroupAction, Comment, FormatLine]


@dataclass(frozen=True, slots=True, kw_only=True)
class HeaderSection:
    """``%header``: the actions that change the header."""

    keyword: str  #: the section word as written
    name: str | None = None  #: a name, if one was (wrongly) given
    body: tuple[HeaderLine, ...] = ()  #: its lines
    comment: str | None = None  #: trailing comment of the section line
    span: Span = _span()


@dataclass(frozen=True, slots=True, kw_only=True)
class LabelsSection:
    """``%labels``: free-form metadata, written like header actions."""

    keyword: str  #: the section word as written
    name: str | None = None  #: a name, if one was (wrongly) given
    body: tuple[HeaderLine, ...] = ()  #: its lines
    comment: str | None = None  #: trailing comment of the section line
    span: Span = _span()


@dataclass(frozen=True, slots=True, kw_only=True)
class ValuesSection:
    """``%values NAME``: a list of values read from each dataset."""

    keyword: str  #: the section word as written
    name: str | None = None  #: the list's name
    body: tuple[GroupLine, ...] = ()  #: its lines
    comment: str | None = None  #: trailing comment of the section line
    span: Span = _span()


@dataclass(frozen=True, slots=True, kw_only=True)
class FieldsSection:
    """``%fields NAME``: a list of elements found in each dataset."""

    keyword: str  #: the section word as written
    name: str | None = None  #: the list's name
    body: tuple[GroupLine, ...] = ()  #: its lines
    comment: str | None = None  #: trailing comment of the section line
    span: Span = _span()


@dataclass(frozen=True, slots=True, kw_only=True)
class FilterSection:
    """``%filter NAME``: LABEL blocks that flag images for pixel cleaning."""

    keyword: str  #: the section word as written
    name: str | None = None  #: the filter's name
    body: tuple[FilterLine, ...] = ()  #: lines before the first LABEL (an error unless comments)
    labels: tuple[LabelBlock, ...] = ()  #: its LABEL blocks
    comment: str | None = None  #: trailing comment of the section line
    span: Span = _span()


@dataclass(frozen=True, slots=True, kw_only=True)
class UnknownSection:
    """A ``%word`` that is no section of the language; its lines are read as actions."""

    keyword: str  #: the section word as written
    name: str | None = None  #: a name, if any
    body: tuple[HeaderLine, ...] = ()  #: its lines
    comment: str | None = None  #: trailing comment of the section line
    span: Span = _span()


Section = Union[HeaderSection, LabelsSection, ValuesSection, FieldsSection, FilterSection, UnknownSection]
TopLine = Union[Action, Comment, FormatLine]


@dataclass(frozen=True, slots=True, kw_only=True)
class Recipe:
    """A whole recipe."""

    body: tuple[TopLine, ...] = ()  #: lines before the first section
    sections: tuple[Section, ...] = ()  #: the sections, in order
    span: Span = _span()


Node = Union[Field, Value, FuncArg, Comment, FormatLine, Action, SplitOption, GroupAction, Criterion, Member,
             Region, Coordinates, LabelBlock, Section, Recipe]
