"""Lark's parse errors → diagnostics that speak about the recipe, not the parser.

Part of the syntax stage (:mod:`deidc.syntax`): it reads Lark's error objects (the
token found, the terminals expected, and the parser's stack, which tells which
section and which kind of line the error is in) and words them for a recipe author.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Final

from lark import Token, Tree, UnexpectedCharacters, UnexpectedInput, UnexpectedToken

from deidc import codes
from deidc.diagnostics import Diagnostic, make
from deidc.source import Span

#: what each terminal is, in a recipe author's words
TERMINAL_WORDS: Final[dict[str, str]] = {
    "_NL": "the end of the line",
    "$END": "the end of the file",
    "COMMENT": "a comment",
    "WORD": "a word",
    "FIELD": "a field (a keyword, a tag or an expander)",
    "LINE_TEXT": "a name",
    "FILTER_VALUE": "a value",
    "OPERATOR": "'+' or '||'",
    "COORD_KW": "'coordinates'",
    "LABEL_KW": "'LABEL'",
    "FORMAT_KW": "'FORMAT'",
    "HEADER_KW": "a section",
    "LABELS_KW": "a section",
    "VALUES_KW": "a section",
    "FIELDS_KW": "a section",
    "FILTER_KW": "a section",
    "SECTION_KW": "a section",
    "INT": "a whole number",
    "_COMMA": "','",
    "_SEMI": "';'",
    "_EQ": "'='",
    "ALL_KW": "'all'",
    "FROM_KW": "'from:'",
    "IDENT": "a name",
    "OPTION_VALUE": "a value",
    "LITERAL": "a value",
    "VAR_PREFIX": "'var:'",
    "FUNC_PREFIX": "'func:'",
    "DEID_FUNC_PREFIX": "'deid_func:'",
}

#: parse-tree rules whose values sit inside one line; every other tree is a whole line or more
_IN_LINE_RULES: Final[frozenset[str]] = frozenset(
    {"action", "group_action", "member", "coordinates", "comment_line", "format_line",
     "var_ref", "func_ref", "deid_func", "func_arg", "literal", "split_options", "split_option", "criterion",
     "region", "region_all", "region_from", "region_box"}
)
_IN_LINE_PREFIXES: Final[tuple[str, ...]] = ("__deid_func", "__split_options", "__member", "__region_box")

#: the token that opens each kind of block, and the kind of lines the block holds
_BLOCKS: Final[dict[str, str]] = {
    "HEADER_KW": "header", "LABELS_KW": "header", "SECTION_KW": "header", "VALUES_KW": "group",
    "FIELDS_KW": "group", "FILTER_KW": "filter", "LABEL_KW": "filter",
}

#: what a line may start with, by kind of block
_LINE_STARTS: Final[dict[str, str]] = {
    "top": "'FORMAT dicom', a section such as '%header', or a comment",
    "header": "an action such as 'REMOVE PatientID', a section or a comment",
    "group": "'FIELD' or 'SPLIT', a section or a comment",
    "filter": "'LABEL', a criterion such as 'contains Modality CT', coordinates, a section or a comment",
}

_SPLIT_HELP: Final = ("SPLIT takes 'by=SEPARATOR' and 'minlength=N' joined by ';', FIELD takes only a field, "
                      "and other actions belong in '%header'")
_FUNC_HELP: Final = "write the built-in's name, then key=value arguments, e.g. 'deid_func:jitter days=-7'"
_COORD_HELP: Final = "write e.g. 'coordinates 0,0,512,110' (xmin,ymin,xmax,ymax), 'coordinates all' or " \
                     "'keepcoordinates from:SequenceOfUltrasoundRegions'"
_QUOTE_HELP: Final = 'close it with another " on the same line'
_END_TYPES: Final[frozenset[str]] = frozenset({"_NL", "$END"})


def is_line_boundary(value: object) -> bool:
    """Return whether a parser stack value ends a whole line (so parsing may resume after it)."""
    if isinstance(value, Token):
        return value.type == "_NL"
    if isinstance(value, Tree):
        data = str(value.data)
        return data not in _IN_LINE_RULES and not data.startswith(_IN_LINE_PREFIXES)
    return False


@dataclass(frozen=True)
class _Found:
    """What the parser found where it could not go on."""

    kind: str  #: the terminal's name, ``_NL`` or ``$END`` at the end of a line, ``CHAR`` for a stray character
    text: str  #: the text found (its first word only)
    span: Span  #: where

    @property
    def words(self) -> str:
        if self.kind == "_NL":
            return "the end of the line"
        if self.kind == "$END":
            return "the end of the file"
        return f"'{self.text}'"

    @property
    def at_end(self) -> bool:
        return self.kind in _END_TYPES or self.kind == "COMMENT"


@dataclass(frozen=True)
class _Where:
    """Where in the recipe the parser was: the kind of block, and what the line holds so far."""

    block: str  #: ``top``, ``header``, ``group`` or ``filter``
    line: tuple[Token, ...]  #: the tokens of the current line read so far

    def has(self, *types: str) -> bool:
        return any(t.type in types for t in self.line)

    @property
    def first(self) -> str:
        return self.line[0].type if self.line else ""

    @property
    def last(self) -> Token | None:
        return self.line[-1] if self.line else None


def _tokens(value: object) -> list[Token]:
    if isinstance(value, Token):
        return [value]
    if isinstance(value, Tree):
        return [t for child in value.children for t in _tokens(child)]
    return []


def _where(error: UnexpectedInput) -> _Where:
    ip = error.interactive_parser
    stack: list[object] = list(ip.parser_state.value_stack) if ip is not None else []
    cut = len(stack)
    while cut and not is_line_boundary(stack[cut - 1]):
        cut -= 1
    line = tuple(t for value in stack[cut:] for t in _tokens(value))
    block = "top"
    for value in reversed(stack[:cut]):
        if isinstance(value, Token) and value.type in _BLOCKS:
            block = _BLOCKS[value.type]
            break
    return _Where(block, line)


def _first_word(text: str) -> str:
    """Return the text up to its first whitespace (at most 40 characters), for a message."""
    end = next((i for i, c in enumerate(text) if c.isspace()), len(text))
    return text[:min(end, 40)]


def _found(error: UnexpectedInput, text: str) -> _Found:
    if isinstance(error, UnexpectedToken):
        token = error.token
        line, column, start = token.line or 1, token.column or 1, token.start_pos or 0
        if token.type in _END_TYPES:
            return _Found(token.type, "", Span(line, column, line, column + 1, start, start + 1))
        word = _first_word(str(token))
        return _Found(token.type, word, Span(line, column, line, column + len(word), start, start + len(word)))
    pos = (error.pos_in_stream if isinstance(error, UnexpectedCharacters) else None) or 0
    line, column = error.line if error.line > 0 else 1, error.column if error.column > 0 else 1
    word = _first_word(text[pos:pos + 80])
    kind = "CHAR" if word else "_NL"
    return _Found(kind, word, Span(line, column, line, column + max(len(word), 1), pos, pos + max(len(word), 1)))


def _token_span(token: Token) -> Span:
    line, column, start = token.line or 1, token.column or 1, token.start_pos or 0
    return Span(line, column, token.end_line or line, token.end_column or column + 1, start, token.end_pos or start)


def describe_error(error: UnexpectedInput, text: str, path: str) -> Diagnostic:
    """Turn one Lark error into one diagnostic.

    Args:
        error: the error Lark raised (with its interactive parser, to see the stack).
        text: the text being parsed.
        path: the recipe's file, for the diagnostic.

    Returns:
        A diagnostic worded for the kind of line the error is in.
    """
    where, found = _where(error), _found(error, text)
    if found.text.count('"') % 2 == 1:
        offset = found.text.rindex('"')
        return make(codes.UNTERMINATED_QUOTE, "this double quote is never closed", found.span.sub(offset, 1),
                    path=path, help=_QUOTE_HELP)
    if not where.line:
        return make(codes.SYNTAX_ERROR, f"expected {_LINE_STARTS[where.block]}, found {found.words}", found.span,
                    path=path, help="if this line is a note, start it with '#'")
    if where.first == "COORD_KW":
        return _describe_coordinates(where, found, path)
    last = where.last
    assert last is not None
    if last.type == "WORD" and found.at_end and (len(where.line) == 1 or where.line[-2].type == "OPERATOR"):
        return make(codes.MISSING_FIELD, f"'{last}' needs a field", found.span, path=path, label="a field goes here",
                    help=_field_help(where.block, str(last)))
    if last.type == "OPERATOR":
        return make(codes.SYNTAX_ERROR, f"expected a criterion after '{last}', found {found.words}", found.span,
                    path=path, help=f"write e.g. '{last} contains Modality CT'")
    if where.has("DEID_FUNC_PREFIX"):
        return _describe_options(codes.BAD_FUNC_ARGS, where, found, text, path)
    if where.block == "group" and where.first == "WORD":
        return _describe_options(codes.BAD_SPLIT_OPTIONS, where, found, text, path)
    if last.type in ("VAR_PREFIX", "FUNC_PREFIX"):
        return make(codes.SYNTAX_ERROR, f"expected a name after '{last}', found {found.words}", found.span, path=path,
                    help=f"write e.g. '{last}patient_id'")
    if last.type == "IDENT":
        return make(codes.TRAILING_TEXT, f"unexpected {found.words} after '{where.line[-2]}{last}'", found.span,
                    path=path, help="a reference is one name: remove the extra text, or start a comment with '#'")
    expected: set[str] = set(error.expected) if isinstance(error, UnexpectedToken) else set()
    if isinstance(error, UnexpectedCharacters):
        expected = set(error.allowed or ())
    words = sorted({TERMINAL_WORDS.get(t, repr(t)) for t in expected if not t.startswith("__")})
    return make(codes.SYNTAX_ERROR, f"expected {' or '.join(words)}, found {found.words}", found.span, path=path)


def _field_help(block: str, word: str) -> str:
    if block == "filter":
        return f"write the element it tests, e.g. '{word} Modality CT'"
    if block == "group":
        return f"write the element it reads, e.g. '{word} PatientName'"
    return f"write the element it applies to, e.g. '{word} PatientID' or '{word} contains:Date'"


def _describe_coordinates(where: _Where, found: _Found, path: str) -> Diagnostic:
    ints = sum(t.type == "INT" for t in where.line)
    if ints == 4 or where.has("ALL_KW") or (where.has("FROM_KW") and where.has("IDENT")):
        return make(codes.TRAILING_TEXT, f"unexpected {found.words} after the coordinates", found.span, path=path,
                    help="remove the extra text, or start a comment with '#'")
    return make(codes.BAD_COORDINATES, f"coordinates must be 'all', 'from:Keyword' or four integers, "
                f"found {found.words}", found.span, path=path, help=_COORD_HELP)


def _describe_options(code: codes.Code, where: _Where, found: _Found, text: str, path: str) -> Diagnostic:
    last = where.last
    assert last is not None
    split = code is codes.BAD_SPLIT_OPTIONS
    what, example = ("options", 'by="^";minlength=4') if split else ("arguments", "days=-7")
    help = _SPLIT_HELP if split else _FUNC_HELP
    if last.type == "DEID_FUNC_PREFIX":
        return make(code, f"expected the name of a built-in after 'deid_func:', found {found.words}", found.span,
                    path=path, help=help)
    if last.type in ("WORD", "IDENT") and len(where.line) > 2:
        if found.at_end:
            return make(code, f"'{last}' has no value", _token_span(last), path=path, help=help)
        span = _token_span(last)
        word = _first_word(text[span.start:span.start + 80])
        span = Span(span.line, span.column, span.line, span.column + len(word), span.start, span.start + len(word))
        return make(code, f"expected {what} such as {example}, found '{word}'", span, path=path, help=help)
    if last.type == "_EQ":
        return make(code, f"expected a value after '=', found {found.words}", found.span, path=path, help=help)
    return make(code, f"expected {what} such as {example}, found {found.words}", found.span, path=path, help=help)
