"""The formatter: ``ast.Recipe`` → canonical recipe text, and text → :class:`FormatResult`.

:func:`render` prints any recipe tree as text that parses back to an equal tree.
:func:`format_text` parses text, refuses text with syntax errors, renders it, and then
checks its own work the way black does: the output must parse to a tree equal to the
input's (spans aside), and formatting the output again must change nothing. When a
check fails it returns an error instead of text, so formatting never changes what a
recipe means.

The layout (what ``deidc fmt`` writes):

* Lines before the first section come first, in their order (``FORMAT dicom`` is
  usually the first of them); nothing is ever moved across another line.
* One blank line before every section line and before every ``LABEL`` line. Inside a
  block, one blank line where the text had one or more between two of its lines (the
  tree's spans say where), so that groups of lines stay apart; none at the start or the
  end of a block, and none in a tree without spans. The comment lines just above a
  section or a ``LABEL`` (the last comments of the block before it) stay with it, after
  the blank line.
* The lines of a ``LABEL`` block (criteria, coordinates, comments) are indented by
  two spaces; every other line starts in the first column.
* Words are separated by one space; a trailing comment follows its line after one space.
  The one exception: an action or criterion whose word is ``FORMAT``, ``LABEL`` or a
  coordinates word, written glued to its field (``FORMAT%x``), stays glued, since with
  a space it would be read as a line of that keyword.
* Criteria lines write their operators as ``+ `` / ``|| `` at the start and ``a + b``,
  ``a || b`` between tests.
* Values are written so that they read back as the same node: a literal that was
  quoted is written in double quotes (``"John  Smith"``), other literals as they are;
  ``SPLIT`` options as ``by="^";minlength=4``; ``deid_func:`` arguments as ``k=v``. An
  option value is bare when it is made of letters, digits and ``_.+-``, and quoted
  otherwise (``by="^"``, ``prefix=1.2.``).
* Tags are written in upper-case hex, in the form they were written in
  (``(0010,0020)``, ``00100020``, ``0x00100020``); coordinates as ``x0,y0,x1,y1``.
* The words a recipe spells (actions, sections, criteria, expanders, keywords) keep
  their case, since the tree keeps it; the keywords ``FORMAT`` and ``LABEL`` and the
  regions ``all`` and ``from:`` are written in these cases.
* The text ends with one newline (an empty recipe is the empty text). :func:`format_text`
  keeps the line endings of the input's first line (CRLF or LF) and its byte-order mark, if any.
"""

from __future__ import annotations

import re
from collections.abc import Iterator, Sequence
from dataclasses import dataclass
from typing import Final, assert_never

from deidc import ast
from deidc.diagnostics import Diagnostic
from deidc.source import Source
from deidc.syntax import parse

__all__ = ["FormatResult", "format_text", "render", "render_field", "render_value"]

_BARE_OPTION: Final = re.compile(r"[A-Za-z0-9_.+\-]+")
_INDENT: Final = "  "
_WORD_CHAR: Final = re.compile(r"[A-Za-z0-9_]")
#: words that start a line of their own kind when a space follows them
_LINE_KEYWORDS: Final = frozenset(
    {"format", "label", "coordinates", "keepcoordinates", "ctpcoordinates", "ctpkeepcoordinates"})


# ---------------------------------------------------------------- leaves


def render_field(field: ast.Field) -> str:
    """Return the text of a field expression (one token of a recipe line).

    Args:
        field: the field node.

    Returns:
        The field as a recipe writes it, e.g. ``(0010,0020)`` or ``contains:Date``.
    """
    match field:
        case ast.FieldTag(group=group, element=element, form=form):
            if form == "hex":
                return f"{group:04X}{element:04X}"
            if form == "hex0x":
                return f"0x{group:04X}{element:04X}"
            return f"({group:04X},{element:04X})"
        case ast.FieldPrivate(group=group, creator=creator, offset=offset, parens=parens):
            inner = f'{group:04X},"{creator}",{offset:02X}'
            return f"({inner})" if parens else inner
        case ast.FieldAddress(tags=tags, items=items):
            parts = [f"({tags[0] >> 16:04X},{tags[0] & 0xFFFF:04X})"]
            for item, tag in zip(items, tags[1:], strict=True):
                parts += [str(item), f"({tag >> 16:04X},{tag & 0xFFFF:04X})"]
            return "__".join(parts)
        case ast.FieldName(names=names):
            return "__".join(names)
        case ast.FieldExpander(name=name, pattern=pattern):
            return f"{name}:{pattern}"
        case ast.FieldGroup(kind=kind, name=name):
            return f"{kind}:{name}"
        case ast.FieldMalformed(text=text):
            return text
        case _:
            assert_never(field)


def _option(value: str) -> str:
    """Return an option value as written: bare when it is word-like, quoted otherwise."""
    if _BARE_OPTION.fullmatch(value):
        return value
    return f"'{value}'" if '"' in value else f'"{value}"'


def render_value(value: ast.Value) -> str:
    """Return the text of an action's value.

    Args:
        value: the value node.

    Returns:
        The value as a recipe writes it, e.g. ``var:id`` or ``deid_func:jitter days=-2``.
    """
    match value:
        case ast.VarRef(name=name):
            return f"var:{name}"
        case ast.FuncRef(name=name):
            return f"func:{name}"
        case ast.DeidFunc(name=name, args=args):
            return " ".join([f"deid_func:{name}", *(f"{a.key}={_option(a.value)}" for a in args)])
        case ast.Literal(text=text, quoted=quoted):
            return f'"{text}"' if quoted else text
        case _:
            assert_never(value)


def _words(*words: str | None) -> str:
    return " ".join(w for w in words if w)


# ---------------------------------------------------------------- lines


def _format_line(line: ast.FormatLine) -> str:
    return _words("FORMAT", line.format, line.comment)


def _head(word: str, field: ast.Field) -> str:
    """Return a line's first word and its field: one space apart, or none after a line keyword.

    A line that starts with ``FORMAT``, ``LABEL`` or a coordinates word followed by a
    space is read as that keyword's line; written without the space (``FORMAT%x``,
    ``label(0010,0020)``), it is an action or a criterion. Such a line keeps its form.
    """
    text = render_field(field)
    glued = word.lower() in _LINE_KEYWORDS and not _WORD_CHAR.match(text)
    return f"{word}{text}" if glued else f"{word} {text}"


def _action(line: ast.Action) -> str:
    value = None if line.value is None else render_value(line.value)
    return _words(_head(line.verb, line.target), value, line.comment)


def _group_action(line: ast.GroupAction) -> str:
    options = ";".join(f"{o.name}={_option(o.value)}" for o in line.options)
    return _words(_head(line.verb, line.target), options, line.comment)


def _criterion(criterion: ast.Criterion) -> str:
    return _words(_head(criterion.word, criterion.target), criterion.value)


def _member(line: ast.Member) -> str:
    words = [line.operator, _criterion(line.criteria[0])]
    for operator, criterion in zip(line.operators, line.criteria[1:], strict=True):
        words += [operator, _criterion(criterion)]
    return _words(*words, line.comment)


def _region(region: ast.Region) -> str:
    match region:
        case ast.RegionAll():
            return "all"
        case ast.RegionFrom(keyword=keyword):
            return f"from:{keyword}"
        case ast.RegionBox(values=values):
            return ",".join(str(v) for v in values)
        case _:
            assert_never(region)


_AnyLine = ast.Action | ast.GroupAction | ast.Member | ast.Coordinates | ast.Comment | ast.FormatLine


def _line(line: _AnyLine) -> str:
    """Return the text of one line (without indentation or newline)."""
    match line:
        case ast.Comment(text=text):
            return text
        case ast.FormatLine():
            return _format_line(line)
        case ast.Action():
            return _action(line)
        case ast.GroupAction():
            return _group_action(line)
        case ast.Member():
            return _member(line)
        case ast.Coordinates(keyword=keyword, region=region, comment=comment):
            return _words(keyword, _region(region), comment)
        case _:
            assert_never(line)


def _section_line(section: ast.Section) -> str:
    return _words(f"%{section.keyword}", section.name, section.comment)


# ---------------------------------------------------------------- layout


def _split_trailing(lines: Sequence[_AnyLine], more: bool) -> tuple[Sequence[_AnyLine], Sequence[_AnyLine]]:
    """Split off the comments at the end of a block when a block follows (they introduce it)."""
    if not more:
        return lines, ()
    cut = len(lines)
    while cut and isinstance(lines[cut - 1], ast.Comment):
        cut -= 1
    return lines[:cut], lines[cut:]


class _Writer:
    """Collect output lines; blank lines are asked for and written only between content."""

    def __init__(self) -> None:
        self.lines: list[str] = []

    def blank(self) -> None:
        if self.lines and self.lines[-1] != "":
            self.lines.append("")

    def write(self, lines: Sequence[_AnyLine], indent: str = "") -> None:
        previous: _AnyLine | None = None
        for line in lines:
            if previous is not None and _apart(previous, line):
                self.blank()
            self.lines.append(indent + _line(line))
            previous = line

    def text(self) -> str:
        return "".join(line + "\n" for line in self.lines)


def _apart(before: _AnyLine, after: _AnyLine) -> bool:
    """Return whether the text had blank lines between two consecutive lines of a block."""
    first, second = before.span, after.span
    return first.line > 0 and second.line > first.end_line + 1


def _blocks(recipe: ast.Recipe) -> Iterator[tuple[str | None, Sequence[_AnyLine], str]]:
    """Yield the recipe as (opening line or None, its lines, their indentation), in order."""
    yield None, recipe.body, ""
    for section in recipe.sections:
        yield _section_line(section), section.body, ""
        if isinstance(section, ast.FilterSection):
            for block in section.labels:
                yield _words("LABEL", block.label, block.comment), block.body, _INDENT


def render(recipe: ast.Recipe) -> str:
    """Return the canonical text of a recipe tree (the layout is in the module docstring).

    Args:
        recipe: the tree; its spans are used only to keep blank lines inside a block.

    Returns:
        Text that parses back to a tree equal to ``recipe``, ending with a newline
        (or empty, for an empty recipe).
    """
    out = _Writer()
    blocks = list(_blocks(recipe))
    carried: Sequence[_AnyLine] = ()
    for index, (opening, lines, indent) in enumerate(blocks):
        if opening is not None:
            out.blank()
            out.write(carried)
            out.lines.append(opening)
        head, carried = _split_trailing(lines, index + 1 < len(blocks))
        out.write(head, indent)
    return out.text()


# ---------------------------------------------------------------- format_text


@dataclass(frozen=True)
class FormatResult:
    """What :func:`format_text` returns: the formatted text, or why there is none."""

    source: Source  #: the input
    text: str | None  #: the formatted text; None when formatting was refused
    diagnostics: tuple[Diagnostic, ...] = ()  #: the input's syntax errors (formatting refused)
    error: str | None = None  #: why the formatter refused its own output (a bug in deidc)

    @property
    def ok(self) -> bool:
        """Return whether there is formatted text."""
        return self.text is not None

    @property
    def changed(self) -> bool:
        """Return whether the formatted text differs from the input."""
        return self.text is not None and self.text != self.source.text


def _newline(text: str) -> str:
    """Return the line ending of the text's first line (a newline when it has none), as black does."""
    match = re.search(r"\r\n|\r|\n", text)
    return "\r\n" if match is not None and match.group() == "\r\n" else "\n"


def format_text(text: str, path: str = "<string>") -> FormatResult:
    """Format recipe text, checking that the result means the same and is stable.

    Args:
        text: the recipe.
        path: its file name, for diagnostics.

    Returns:
        The formatted text; or, for text with syntax errors, the diagnostics; or, if the
        output would not parse back to the same tree or would change on a second pass,
        an error (and no text).
    """
    source = Source(path, text)
    parsed = parse(source)
    if parsed.diagnostics:
        return FormatResult(source, None, parsed.diagnostics)
    output = render(parsed.recipe)
    again = parse(output, path=path)
    if again.diagnostics or again.recipe != parsed.recipe:
        detail = _first_difference(parsed.recipe, again.recipe) if not again.diagnostics else (
            "the output has syntax errors: " + "; ".join(d.message for d in again.diagnostics[:3]))
        return FormatResult(source, None, error=f"formatting would change the recipe ({detail}); "
                                                "the file was left as it is: please report this")
    if render(again.recipe) != output:
        return FormatResult(source, None, error="formatting is not stable (a second pass changes the output); "
                                                "the file was left as it is: please report this")
    newline = _newline(text)
    output = output if newline == "\n" else output.replace("\n", newline)
    return FormatResult(source, "\ufeff" + output if text.startswith("\ufeff") else output)


def _first_difference(before: ast.Recipe, after: ast.Recipe) -> str:
    """Describe the first top-level line or section that differs between two trees."""
    for kind, old, new in (("line", before.body, after.body), ("section", before.sections, after.sections)):
        for index, (a, b) in enumerate(zip(old, new, strict=False)):
            if a != b:
                return f"{kind} {index + 1}: {a!r} became {b!r}"
        if len(old) != len(new):
            return f"{len(old)} {kind}s became {len(new)}"
    return "the trees differ"
