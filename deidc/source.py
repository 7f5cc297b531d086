"""Recipe text and positions: ``str`` → :class:`Source`, offsets → :class:`Span`.

Positions follow Lark's conventions: lines and columns count from 1, the end of a
span is exclusive, and a span also carries character offsets into the text.
"""

from __future__ import annotations

import bisect
import re
from dataclasses import dataclass
from functools import cached_property


@dataclass(frozen=True, slots=True)
class Span:
    """A region of a recipe's text."""

    line: int  #: first line, from 1
    column: int  #: first column, from 1
    end_line: int  #: last line, from 1
    end_column: int  #: column just after the last character
    start: int = 0  #: character offset of the first character
    end: int = 0  #: character offset just after the last character

    def to(self, other: Span) -> Span:
        """Return the span from the start of this one to the end of ``other``."""
        return Span(self.line, self.column, other.end_line, other.end_column, self.start, other.end)

    def sub(self, offset: int, length: int) -> Span:
        """Return the part of a one-line span that starts ``offset`` characters in."""
        col = self.column + offset
        return Span(self.line, col, self.line, col + length, self.start + offset, self.start + offset + length)


NO_SPAN = Span(0, 0, 0, 0, 0, 0)

#: line endings as the grammar knows them (not str.splitlines, which knows more)
_LINE_END = re.compile(r"\r\n|\r|\n")


@dataclass(frozen=True)
class Source:
    """One recipe: where it came from and its text."""

    path: str  #: the file name shown in diagnostics (``<string>`` when there is none)
    text: str  #: the whole text, as read

    @cached_property
    def line_starts(self) -> list[int]:
        """Offsets at which each line starts."""
        return [0, *(m.end() for m in _LINE_END.finditer(self.text))]

    def line(self, number: int) -> str:
        """Return line ``number`` (from 1) without its line ending."""
        starts = self.line_starts
        if number < 1 or number > len(starts):
            return ""
        begin = starts[number - 1]
        end = starts[number] if number < len(starts) else len(self.text)
        return self.text[begin:end].rstrip("\r\n")

    def position(self, offset: int) -> tuple[int, int]:
        """Return the (line, column) of a character offset, both from 1."""
        starts = self.line_starts
        index = bisect.bisect_right(starts, offset) - 1
        return index + 1, offset - starts[index] + 1

    def span(self, start: int, end: int) -> Span:
        """Return the span between two character offsets."""
        line, column = self.position(start)
        end_line, end_column = self.position(end)
        return Span(line, column, end_line, end_column, start, end)

    def excerpt(self, span: Span) -> str:
        """Return the text a span covers."""
        return self.text[span.start : span.end]
