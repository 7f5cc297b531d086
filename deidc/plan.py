"""The compiled plan: what :mod:`deidc.compiler` produces and :mod:`deidc.runtime` runs.

A plan is immutable data: frozen dataclasses, tuples, enums and strings. Selectors are
hashable so the runtime can cache decisions per element identity. Every step points
back to its recipe line (``origin``). ``to_text()`` prints it for a person; the JSON
form (:mod:`deidc.plan_json`) round-trips.
"""

from __future__ import annotations

import enum
from dataclasses import dataclass, field
from typing import Union


class ActionKind(enum.Enum):
    """The header actions."""

    ADD = "ADD"
    BLANK = "BLANK"
    JITTER = "JITTER"
    KEEP = "KEEP"
    REPLACE = "REPLACE"
    REMOVE = "REMOVE"


class GroupKind(enum.Enum):
    """The actions of ``%values`` and ``%fields`` lists."""

    FIELD = "FIELD"
    SPLIT = "SPLIT"


class PatternKind(enum.Enum):
    """The regular-expression expanders."""

    STARTSWITH = "startswith"
    ENDSWITH = "endswith"
    CONTAINS = "contains"
    EXCEPT = "except"




@dataclass(frozen=True, slots=True)
class Origin:
    """Where a step came from."""

    path: str  #: the recipe file
    line: int  #: the line, from 1
    text: str = field(default="", compare=False)  #: the recipe line, for display

    def __str__(self) -> str:
        """Return ``path:line``."""
        return f"{self.path}:{self.line}"


# ---------------------------------------------------------------- selectors


@dataclass(frozen=True, slots=True)
class SelectAll:
    """Every element (``ALL``)."""


@dataclass(frozen=True, slots=True)
class SelectTag:
    """Every element with this tag, at any depth (``(0010,0020)``, ``00100020``, a keyword)."""

    tag: int  #: the tag as an int
    keyword: str = ""  #: the keyword it was written as, if any


@dataclass(frozen=True, slots=True)
class SelectName:
    """Elements whose keyword or name equals this text, at any depth (a name not in the dictionary)."""

    name: str  #: lower-cased


@dataclass(frozen=True, slots=True)
class SelectPath:
    """The element at this keyword path from the top level (``Seq__Child``)."""

    names: tuple[str, ...]  #: lower-cased keywords, outermost first


@dataclass(frozen=True, slots=True)
class SelectAddress:
    """Exactly one nested element (``(0008,1140)__0__(0008,1155)``)."""

    tags: tuple[int, ...]  #: tags from the top down
    items: tuple[int, ...]  #: item indexes between them


@dataclass(frozen=True, slots=True)
class SelectPrivate:
    """A private element by its creator (``(0033,"CREATOR",1E)``)."""

    group: int  #: the private group
    creator: str  #: the creator string (compared case-insensitively)
    offset: int  #: the element's offset in the creator's block


@dataclass(frozen=True, slots=True)
class SelectPattern:
    """A regular-expression expander (``contains:``, ``startswith:``, ``endswith:``, ``except:``)."""

    kind: PatternKind  #: which expander
    pattern: str  #: the pattern as written


@dataclass(frozen=True, slots=True)
class SelectVR:
    """``select:vr:XX``: elements of one VR."""

    vr: str  #: the VR


@dataclass(frozen=True, slots=True)
class SelectGroup:
    """``select:group:GGGG``: elements of one tag group."""

    group: int  #: the group number


@dataclass(frozen=True, slots=True)
class SelectValues:
    """``values:NAME``: elements whose value contains a value of the list."""

    name: str  #: the list


@dataclass(frozen=True, slots=True)
class SelectFields:
    """``fields:NAME``: the elements the list found."""

    name: str  #: the list


@dataclass(frozen=True, slots=True)
class SelectNothing:
    """A selector that can match nothing (kept so its line still shows in the plan)."""

    reason: str  #: why


Selector = Union[SelectAll, SelectTag, SelectName, SelectPath, SelectAddress, SelectPrivate, SelectPattern,
                 SelectVR, SelectGroup, SelectValues, SelectFields, SelectNothing]

# ---------------------------------------------------------------- values


@dataclass(frozen=True, slots=True)
class ValueLiteral:
    """A literal value."""

    text: str  #: the text


@dataclass(frozen=True, slots=True)
class ValueVar:
    """``var:NAME``."""

    name: str  #: the variable


@dataclass(frozen=True, slots=True)
class ValueFunc:
    """``func:NAME``."""

    name: str  #: the function


@dataclass(frozen=True, slots=True)
class ValueDeidFunc:
    """``deid_func:NAME k=v ...``."""

    name: str  #: the built-in
    args: tuple[tuple[str, str], ...] = ()  #: its arguments, as written


ValueSource = Union[ValueLiteral, ValueVar, ValueFunc, ValueDeidFunc]

# ---------------------------------------------------------------- steps


@dataclass(frozen=True, slots=True)
class Step:
    """One header action."""

    action: ActionKind  #: what to do
    selector: Selector  #: to which elements
    value: ValueSource | None  #: with which value (or condition, for REMOVE)
    origin: Origin  #: the recipe line


@dataclass(frozen=True, slots=True)
class GroupStep:
    """One line of a ``%values`` or ``%fields`` list."""

    kind: GroupKind  #: FIELD or SPLIT
    selector: Selector  #: which elements it reads
    origin: Origin  #: the recipe line
    split_by: str = " "  #: SPLIT's separator
    min_length: int = 1  #: SPLIT's minimum piece length


@dataclass(frozen=True, slots=True)
class ValueList:
    """A ``%values`` list."""

    name: str  #: its name
    steps: tuple[GroupStep, ...]  #: its lines


@dataclass(frozen=True, slots=True)
class FieldList:
    """A ``%fields`` list."""

    name: str  #: its name
    steps: tuple[GroupStep, ...]  #: its lines


@dataclass(frozen=True, slots=True)
class Criterion:
    """One filter test."""

    test: str  #: contains, notcontains, equals, notequals, missing, present, empty
    selector: Selector  #: the element tested (a keyword or a tag)
    value: str | None  #: the value, if the test takes one
    field: str = ""  #: the field as written


@dataclass(frozen=True, slots=True)
class FilterLine:
    """One criteria line of a LABEL: tests joined by ``and``/``or``, left to right."""

    operator: str | None  #: the leading operator (``and``/``or``), or None
    criteria: tuple[Criterion, ...]  #: the tests
    operators: tuple[str, ...]  #: ``and``/``or`` between them


@dataclass(frozen=True, slots=True)
class Region:
    """One coordinates entry of a LABEL."""

    keep: bool  #: keepcoordinates (True) or coordinates (False)
    box: str  #: ``x0,y0,x1,y1``, ``all`` or ``from:Keyword``


@dataclass(frozen=True, slots=True)
class Label:
    """A LABEL block."""

    name: str  #: the label's text
    lines: tuple[FilterLine, ...]  #: its criteria lines
    regions: tuple[Region, ...]  #: its coordinates
    origin: Origin  #: the LABEL line


@dataclass(frozen=True, slots=True)
class Filter:
    """A ``%filter`` section."""

    name: str  #: its name
    labels: tuple[Label, ...]  #: its LABEL blocks


@dataclass(frozen=True, slots=True)
class Plan:
    """A compiled recipe."""

    format: str = "dicom"  #: the recipe's FORMAT
    steps: tuple[Step, ...] = ()  #: the ``%header`` actions, in order
    values: tuple[ValueList, ...] = ()  #: the ``%values`` lists, in order
    fields: tuple[FieldList, ...] = ()  #: the ``%fields`` lists, in order
    filters: tuple[Filter, ...] = ()  #: the ``%filter`` sections, in order
    labels: tuple[Step, ...] = ()  #: the ``%labels`` metadata lines
    variables: tuple[str, ...] = ()  #: the ``var:`` names a run must provide
    functions: tuple[str, ...] = ()  #: the ``func:`` names a run must provide
    sources: tuple[str, ...] = ()  #: the recipe files, in order

    def to_text(self) -> str:
        """Render the plan for a person: one step per line, in execution order."""
        from deidc.plan_text import plan_to_text

        return plan_to_text(self)
