"""Lark's parse errors → diagnostics that speak about the recipe, not the parser.

Part of the syntax stage (:mod:`deidc.syntax`): it reads Lark's error objects (the
token found, the terminals expected) and words them for a recipe author.
"""

from __future__ import annotations

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
    "SECTION_NAME": "a name",
    "LABEL_TEXT": "the label's text",
    "FILTER_VALUE": "a value",
    "OPERATOR": "'+' or '||'",
    "COORD_KW": "'coordinates'",
    "LABEL_KW": "'LABEL'",
    "FORMAT_KW": "'FORMAT'",
    "_PERCENT": "'%'",
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
    {"var_ref", "func_ref", "deid_func", "func_arg", "literal", "split_options", "split_option", "criterion",
     "region_all", "region_from", "region_box"}
)
_IN_LINE_PREFIXES: Final[tuple[str, ...]] = ("__deid_func", "__split_options", "__member", "__region_box")


def is_line_boundary(value: object) -> bool:
    """Return whether a parser stack value ends a whole line (so parsing may resume after it)."""
    if isinstance(value, Token):
        return value.type == "_NL"
    if isinstance(value, Tree):
        data = str(value.data)
        return data not in _IN_LINE_RULES and not data.startswith(_IN_LINE_PREFIXES)
    return False


def _words(expected: set[str]) -> list[str]:
    names = sorted({TERMINAL_WORDS.get(t, repr(t)) for t in expected if not t.startswith("__")})
    return names


def _found(token: Token) -> str:
    if token.type == "_NL":
        return "the end of the line"
    if token.type == "$END":
        return "the end of the file"
    return f"'{token}'"


def describe_error(error: UnexpectedInput, text: str, path: str) -> Diagnostic:
    """Turn one Lark error into one diagnostic."""
    if isinstance(error, UnexpectedToken):
        return _describe_token(error, path)
    if isinstance(error, UnexpectedCharacters):
        return _describe_characters(error, text, path)
    line = getattr(error, "line", 1) or 1
    return make(codes.SYNTAX_ERROR, "the recipe could not be read here", Span(line, 1, line, 1), path=path)


def _token_span(token: Token) -> Span:
    line, column = token.line or 1, token.column or 1
    start = token.start_pos or 0
    if token.type in ("_NL", "$END"):
        return Span(line, column, line, column + 1, start, start + 1)
    return Span(line, column, token.end_line or line, token.end_column or column + 1, start, token.end_pos or start)


def _describe_token(error: UnexpectedToken, path: str) -> Diagnostic:
    token, expected = error.token, set(error.expected)
    span = _token_span(token)
    if str(token).count('"') % 2 == 1:
        offset = str(token).rindex('"')
        return make(codes.UNTERMINATED_QUOTE, "this double quote is never closed", span.sub(offset, 1), path=path,
                    help='close it with another " on the same line')
    if "FIELD" in expected and token.type in ("_NL", "$END", "COMMENT"):
        return make(codes.MISSING_FIELD, "this line needs a field after its first word", span, path=path,
                    label="a field goes here",
                    help="write the element it applies to, e.g. 'REMOVE PatientID' or 'REMOVE contains:Date'")
    if expected & {"INT", "ALL_KW", "FROM_KW", "_COMMA"}:
        return make(codes.BAD_COORDINATES, f"coordinates must be 'all', 'from:Keyword' or four integers, "
                    f"found {_found(token)}", span, path=path,
                    help="write e.g. 'coordinates 0,0,512,110' (xmin,ymin,xmax,ymax)")
    if expected & {"_EQ", "OPTION_VALUE"} or (expected & {"WORD"} and "LITERAL" not in expected
                                              and "_PERCENT" not in expected and token.type != "_NL"
                                              and "LABEL_KW" not in expected):
        return make(codes.BAD_SPLIT_OPTIONS, f"expected options like by=\"^\";minlength=4, found {_found(token)}",
                    span, path=path, help="SPLIT takes 'by=SEPARATOR' and 'minlength=N', joined by ';'; "
                    "FIELD takes nothing after its field")
    if expected <= {"_NL", "COMMENT", "$END"} or expected <= {"_NL", "COMMENT", "$END", "OPERATOR", "FILTER_VALUE"}:
        return make(codes.TRAILING_TEXT, f"unexpected {_found(token)} after the end of this line", span, path=path,
                    help="remove the extra text, or start a comment with '#'")
    words = _words(expected)
    return make(codes.SYNTAX_ERROR, f"expected {' or '.join(words)}, found {_found(token)}", span, path=path)


def _describe_characters(error: UnexpectedCharacters, text: str, path: str) -> Diagnostic:
    pos = error.pos_in_stream
    span = Span(error.line, error.column, error.line, error.column + 1, pos, pos + 1)
    char = text[pos] if pos < len(text) else ""
    if char == '"':
        return make(codes.UNTERMINATED_QUOTE, "this double quote is never closed", span, path=path,
                    help='close it with another " on the same line')
    allowed = set(error.allowed or ())
    if allowed & {"INT", "ALL_KW", "FROM_KW", "_COMMA"}:
        return make(codes.BAD_COORDINATES, f"coordinates must be 'all', 'from:Keyword' or four integers, "
                    f"found {char!r}", span, path=path,
                    help="write e.g. 'coordinates 0,0,512,110' (xmin,ymin,xmax,ymax)")
    if allowed & {"_EQ", "OPTION_VALUE", "_SEMI"}:
        return make(codes.BAD_SPLIT_OPTIONS, f"expected options like by=\"^\";minlength=4, found {char!r}",
                    span, path=path, help="SPLIT takes 'by=SEPARATOR' and 'minlength=N', joined by ';'")
    words = _words(allowed)
    expected = f"expected {' or '.join(words)}, " if words else ""
    return make(codes.SYNTAX_ERROR, f"{expected}found {char!r}", span, path=path)
