"""The syntax stage: :class:`~deidc.source.Source` → :class:`Parsed` (AST + diagnostics).

The grammar (``grammar/deid.lark``, and ``grammar/field.lark`` for the inside of a
field) owns the syntax; this module builds the parsers once (or loads them from the
parser cache, :mod:`deidc.syntax_cache`), turns Lark's trees into
:mod:`deidc.ast` nodes, and turns Lark's errors into diagnostics. A bad line costs
one diagnostic: the parser skips to the end of that line and goes on. No Lark object
leaves this module.
"""

from __future__ import annotations

import functools
import re
from collections.abc import Mapping
from dataclasses import dataclass, replace
from importlib import resources
from types import MappingProxyType
from typing import Any, Final

from lark import Lark, Token, Tree, UnexpectedCharacters, UnexpectedInput, UnexpectedToken
from lark.tree import Meta

from deidc import ast, codes
from deidc.diagnostics import Diagnostic, make
from deidc.source import NO_SPAN, Source, Span
from deidc.syntax_cache import cached_lark, collector_paused
from deidc.syntax_errors import describe_error, is_line_boundary

_LONE_CR = re.compile(r"\r(?!\n)")

#: after this many syntax errors, the rest of a file is not read
MAX_SYNTAX_ERRORS = 100


@dataclass(frozen=True)
class Parsed:
    """What the syntax stage returns."""

    recipe: ast.Recipe  #: the tree (lines that failed to parse are left out)
    diagnostics: tuple[Diagnostic, ...]  #: the syntax errors
    source: Source  #: the text it came from


def _grammar(name: str) -> str:
    return (resources.files("deidc") / "grammar" / name).read_text(encoding="utf-8")


#: the Lark options of both parsers, besides ``propagate_positions`` and ``strict``
_OPTIONS: Final[Mapping[str, Any]] = MappingProxyType({"parser": "lalr", "maybe_placeholders": True})


def _counts_for_position(node: object) -> bool:
    """Return whether a child gives its parent's position: a line ends before its newline."""
    return not (isinstance(node, Token) and node.type == "_NL")


@functools.cache
def recipe_parser(strict: bool = False) -> Lark:
    """Build (once) the LALR parser of ``grammar/deid.lark``.

    Args:
        strict: reject grammar conflicts and terminal collisions (needs ``interegular``).

    Returns:
        The parser, with positions propagated to every tree but not through newlines. Unless
        ``strict``, it comes from the parser cache (:mod:`deidc.syntax_cache`) when it can.
    """
    positions = {"propagate_positions": _counts_for_position}
    if strict:
        return Lark(_grammar("deid.lark"), **_OPTIONS, **positions, strict=True)
    return cached_lark("deid", _grammar("deid.lark"), _OPTIONS, positions)


@functools.cache
def field_parser(strict: bool = False) -> Lark:
    """Build (once) the LALR parser of ``grammar/field.lark``.

    Args:
        strict: reject grammar conflicts and terminal collisions (needs ``interegular``).

    Returns:
        The parser of one field expression (from the parser cache, unless ``strict``).
    """
    if strict:
        return Lark(_grammar("field.lark"), **_OPTIONS, strict=True)
    return cached_lark("field", _grammar("field.lark"), _OPTIONS)


def _tok_span(tok: Token) -> Span:
    return Span(tok.line or 0, tok.column or 0, tok.end_line or 0, tok.end_column or 0,
                tok.start_pos or 0, tok.end_pos or 0)


def _meta_span(meta: Meta) -> Span:
    if meta.empty:
        return NO_SPAN
    return Span(meta.line, meta.column, meta.end_line, meta.end_column, meta.start_pos, meta.end_pos)


def _text(tok: Token | None) -> str | None:
    return None if tok is None else str(tok)


def _unquote(text: str) -> str:
    """Remove the double quotes that group a value's words."""
    return str(text).replace('"', "")


def _unquote_option(text: str) -> str:
    quoted = len(text) >= 2 and text[0] == text[-1] and text[0] in "\"'"
    return str(text[1:-1] if quoted else text)


# ---------------------------------------------------------------- fields


def _rules(builder: object) -> dict[str, Any]:
    """Return the methods of ``builder`` by the rule they build: every public method is named after one."""
    return {name: getattr(builder, name) for name in dir(builder) if not name.startswith("_")}


def _build(tree: Tree[Token], rules: Mapping[str, Any], meta: bool) -> Any:
    """Build a tree's node bottom up as a ``v_args(inline=True)`` Transformer does, without its costly wrapper."""
    children = [_build(c, rules, meta) if isinstance(c, Tree) else c for c in tree.children]
    if (method := rules.get(tree.data)) is None:  # a rule with no method (none): a tree, as Lark keeps it
        return Tree(tree.data, children, tree.meta)
    return method(tree.meta, *children) if meta else method(*children)


class _FieldToAst:
    """Turn a tree of ``grammar/field.lark`` into a field node (without span): one method per rule."""

    def field_tag(self, group: Token, element: Token) -> ast.FieldTag:
        return ast.FieldTag(group=int(group, 16), element=int(element, 16), form="paren")

    def field_address(self, *parts: Any) -> ast.FieldAddress:
        tags = tuple((p.group << 16) | p.element for p in parts[::2])
        return ast.FieldAddress(tags=tags, items=tuple(int(p) for p in parts[1::2]))

    def field_private_paren(self, group: Token, creator: Token, offset: Token) -> ast.FieldPrivate:
        return ast.FieldPrivate(group=int(group, 16), creator=creator[1:-1], offset=int(offset, 16), parens=True)

    def field_private(self, group: Token, creator: Token, offset: Token) -> ast.FieldPrivate:
        return ast.FieldPrivate(group=int(group, 16), creator=creator[1:-1], offset=int(offset, 16), parens=False)

    def field_hex(self, tok: Token) -> ast.FieldTag:
        value = int(tok[-8:], 16)
        return ast.FieldTag(group=value >> 16, element=value & 0xFFFF, form="hex0x" if len(tok) == 10 else "hex")

    def field_name(self, *names: Token) -> ast.FieldName:
        return ast.FieldName(names=tuple(str(n) for n in names))

    def field_expander(self, name: Token, pattern: Token | None) -> ast.FieldExpander:
        return ast.FieldExpander(name=name[:-1], pattern=_text(pattern) or "")

    def field_group(self, prefix: Token, name: Token | None) -> ast.FieldGroup:
        return ast.FieldGroup(kind=prefix[:-1], name=_text(name) or "")


@functools.lru_cache(maxsize=4096)
def _field_node(text: str) -> ast.Field:
    try:
        node: ast.Field = _build(field_parser().parse(text), _FIELD_RULES, meta=False)
    except UnexpectedInput:
        node = ast.FieldMalformed(text=text)
    return node


def parse_field(text: str, span: Span = NO_SPAN) -> ast.Field:
    """Parse one field expression (``PatientID``, ``contains:UID`` ...) into its node.

    Args:
        text: the field as written (one token of an action line).
        span: where it stands in the recipe.

    Returns:
        Its node; :class:`deidc.ast.FieldMalformed` when it has none of the known forms.
    """
    return replace(_field_node(text), span=span)


def _field(tok: Token) -> ast.Field:
    return parse_field(str(tok), _tok_span(tok))


# ---------------------------------------------------------------- lines and sections


def _split_items(items: tuple[Any, ...], kinds: tuple[type, ...]) -> tuple[Any, ...]:
    return tuple(i for i in items if isinstance(i, kinds))


_HEADER_LINE = (ast.Action, ast.Comment, ast.FormatLine)
_GROUP_LINE = (ast.GroupAction, ast.Comment, ast.FormatLine)
_FILTER_LINE = (ast.Member, ast.Coordinates, ast.Comment, ast.FormatLine)


class _ToAst:
    """Turn a tree of ``grammar/deid.lark`` into :mod:`deidc.ast` nodes: one method per rule, given its meta."""

    def start(self, meta: Meta, *items: Any) -> ast.Recipe:
        sections = tuple(i for i in items if not isinstance(i, _HEADER_LINE))
        span = _meta_span(meta) if not meta.empty else Span(1, 1, 1, 1, 0, 0)
        return ast.Recipe(body=_split_items(items, _HEADER_LINE), sections=sections, span=span)

    def section(self, meta: Meta, node: ast.Section) -> ast.Section:
        return node

    def _section(self, cls: Any, meta: Meta, kw: Token, name: Token | None, comment: Token | None,
                 items: tuple[Any, ...], kinds: tuple[type, ...]) -> Any:
        return cls(keyword=str(kw)[1:], name=_text(name), comment=_text(comment),
                   body=_split_items(items, kinds), span=_meta_span(meta))

    def header_section(self, meta: Meta, kw: Token, name: Token | None, comment: Token | None, *items: Any) -> Any:
        return self._section(ast.HeaderSection, meta, kw, name, comment, items, _HEADER_LINE)

    def labels_section(self, meta: Meta, kw: Token, name: Token | None, comment: Token | None, *items: Any) -> Any:
        return self._section(ast.LabelsSection, meta, kw, name, comment, items, _HEADER_LINE)

    def unknown_section(self, meta: Meta, kw: Token, name: Token | None, comment: Token | None, *items: Any) -> Any:
        return self._section(ast.UnknownSection, meta, kw, name, comment, items, _HEADER_LINE)

    def values_section(self, meta: Meta, kw: Token, name: Token | None, comment: Token | None, *items: Any) -> Any:
        return self._section(ast.ValuesSection, meta, kw, name, comment, items, _GROUP_LINE)

    def fields_section(self, meta: Meta, kw: Token, name: Token | None, comment: Token | None, *items: Any) -> Any:
        return self._section(ast.FieldsSection, meta, kw, name, comment, items, _GROUP_LINE)

    def filter_section(self, meta: Meta, kw: Token, name: Token | None, comment: Token | None, *items: Any) -> Any:
        labels = _split_items(items, (ast.LabelBlock,))
        return ast.FilterSection(keyword=str(kw)[1:], name=_text(name), comment=_text(comment),
                                 body=_split_items(items, _FILTER_LINE), labels=labels, span=_meta_span(meta))

    def comment_line(self, meta: Meta, tok: Token) -> ast.Comment:
        return ast.Comment(text=str(tok), span=_tok_span(tok))

    def format_line(self, meta: Meta, kw: Token, word: Token | None, comment: Token | None) -> ast.FormatLine:
        return ast.FormatLine(format=_text(word), comment=_text(comment), span=_meta_span(meta))

    def action(self, meta: Meta, verb: Token, field: Token, value: Any, comment: Token | None) -> ast.Action:
        return ast.Action(verb=str(verb), target=_field(field), value=value, comment=_text(comment),
                          span=_meta_span(meta), verb_span=_tok_span(verb))

    def group_action(self, meta: Meta, verb: Token, field: Token, options: Any, comment: Token | None) -> Any:
        return ast.GroupAction(verb=str(verb), target=_field(field), options=options or (), comment=_text(comment),
                               span=_meta_span(meta), verb_span=_tok_span(verb))

    def split_options(self, meta: Meta, *options: ast.SplitOption) -> tuple[ast.SplitOption, ...]:
        return options

    def split_option(self, meta: Meta, name: Token, value: Token) -> ast.SplitOption:
        return ast.SplitOption(name=str(name), value=_unquote_option(value), span=_meta_span(meta))

    def label_block(self, meta: Meta, kw: Token, text: Token | None, comment: Token | None, *items: Any) -> Any:
        return ast.LabelBlock(label=_text(text) or "", body=_split_items(items, _FILTER_LINE),
                              comment=_text(comment), span=_meta_span(meta))

    def member(self, meta: Meta, lead: Token | None, *rest: Any) -> ast.Member:
        *parts, comment = rest
        return ast.Member(operator=_text(lead), criteria=tuple(parts[::2]),
                          operators=tuple(str(o) for o in parts[1::2]), comment=_text(comment), span=_meta_span(meta))

    def criterion(self, meta: Meta, word: Token, field: Token, value: Token | None) -> ast.Criterion:
        return ast.Criterion(word=str(word), target=_field(field), value=_text(value), span=_meta_span(meta),
                             word_span=_tok_span(word))

    def coordinates(self, meta: Meta, kw: Token, region: ast.Region, comment: Token | None) -> ast.Coordinates:
        return ast.Coordinates(keyword=str(kw), region=region, comment=_text(comment), span=_meta_span(meta))

    def region_all(self, meta: Meta, tok: Token) -> ast.RegionAll:
        return ast.RegionAll(span=_meta_span(meta))

    def region_from(self, meta: Meta, kw: Token, name: Token) -> ast.RegionFrom:
        return ast.RegionFrom(keyword=str(name), span=_meta_span(meta))

    def region_box(self, meta: Meta, a: Token, b: Token, c: Token, d: Token) -> ast.RegionBox:
        return ast.RegionBox(values=(int(a), int(b), int(c), int(d)), span=_meta_span(meta))

    def var_ref(self, meta: Meta, prefix: Token, name: Token) -> ast.VarRef:
        return ast.VarRef(name=str(name), span=_meta_span(meta))

    def func_ref(self, meta: Meta, prefix: Token, name: Token) -> ast.FuncRef:
        return ast.FuncRef(name=str(name), span=_meta_span(meta))

    def deid_func(self, meta: Meta, prefix: Token, name: Token, *args: ast.FuncArg) -> ast.DeidFunc:
        return ast.DeidFunc(name=str(name), args=args, span=_meta_span(meta))

    def func_arg(self, meta: Meta, key: Token, value: Token) -> ast.FuncArg:
        return ast.FuncArg(key=str(key), value=_unquote_option(value), span=_meta_span(meta))

    def literal(self, meta: Meta, tok: Token) -> ast.Literal:
        return ast.Literal(text=_unquote(tok), quoted='"' in tok, span=_meta_span(meta))


_FIELD_RULES: Final[Mapping[str, Any]] = MappingProxyType(_rules(_FieldToAst()))
_RECIPE_RULES: Final[Mapping[str, Any]] = MappingProxyType(_rules(_ToAst()))


# ---------------------------------------------------------------- errors and recovery


def parse(source: Source | str, path: str = "<string>") -> Parsed:
    """Parse recipe text into an AST, reporting each bad line once.

    A line that does not parse costs one diagnostic and is left out of the tree; the
    lines after it are still read. After :data:`MAX_SYNTAX_ERRORS` errors, one
    ``DEID008`` says that the rest are not reported.

    Args:
        source: the recipe, or its text.
        path: the file name to report, when ``source`` is text.

    Returns:
        The tree of the lines that parsed, the syntax errors, and the source.
    """
    if isinstance(source, str):
        source = Source(path, source)
    with collector_paused():  # a parse makes no reference cycles: see collector_paused
        return _parse(source)


def _parse(source: Source) -> Parsed:
    text = source.text
    if text.startswith("\ufeff"):
        text = " " + text[1:]  # a byte-order mark is not part of the recipe; keep offsets
    text = _LONE_CR.sub("\n", text)  # Lark counts lines by "\n"; same length, same offsets
    if not text.endswith("\n"):
        text += "\n"
    diagnostics: list[Diagnostic] = []

    def recover(error: UnexpectedInput) -> bool:
        diagnostic = describe_error(error, text, source.path)
        if len(diagnostics) < MAX_SYNTAX_ERRORS:
            diagnostics.append(diagnostic)
        elif len(diagnostics) == MAX_SYNTAX_ERRORS:
            diagnostics.append(make(codes.TOO_MANY_ERRORS, f"too many syntax errors: only the first "
                                    f"{MAX_SYNTAX_ERRORS} are reported", diagnostic.span, path=source.path,
                                    help="fix these, then check the recipe again"))
        return _skip_line(error, text)

    try:
        tree = recipe_parser().parse(text, on_error=recover)
    except UnexpectedInput:
        # recovery was impossible (it never is when every line ends with a newline); the error is reported
        return Parsed(ast.Recipe(), tuple(diagnostics), source)
    recipe: ast.Recipe = _build(tree, _RECIPE_RULES, meta=True)
    return Parsed(recipe, tuple(diagnostics), source)


def _skip_line(error: UnexpectedInput, text: str) -> bool:
    """Put the parser back at the start of the bad line and its lexer at the line's end."""
    ip = error.interactive_parser
    if ip is None:
        return False
    state = ip.parser_state
    while state.value_stack and not is_line_boundary(state.value_stack[-1]):
        state.value_stack.pop()
        state.state_stack.pop()
    lexer_state = ip.lexer_thread.state
    if lexer_state is None:
        return False
    counter = lexer_state.line_ctr
    if isinstance(error, UnexpectedToken):
        if error.token.type == "$END":
            return False
        if error.token.type == "_NL":
            return True  # the bad token ends the line: dropping it finishes the skip
        start = error.token.start_pos or 0
    elif isinstance(error, UnexpectedCharacters):
        start = error.pos_in_stream
    else:
        return False
    end = _line_end(text, start)
    if end > counter.char_pos:
        counter.feed(text[counter.char_pos : end])
    elif end < counter.char_pos:
        # the lexer already read past the line end (a token spanning lines): step back
        _rewind(counter, text, end)
    return True


def _line_end(text: str, start: int) -> int:
    ends = [i for i in (text.find("\n", start), text.find("\r", start)) if i >= 0]
    return min(ends) if ends else len(text)


def _rewind(counter: Any, text: str, position: int) -> None:
    counter.char_pos = 0
    counter.line = 1
    counter.column = 1
    counter.line_start_pos = 0
    counter.feed(text[:position])


def is_tree(value: object) -> bool:
    """Return whether ``value`` is a Lark tree (for tests that check no Lark object leaks)."""
    return isinstance(value, (Tree, Token))
