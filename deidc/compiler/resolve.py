"""Field expressions and values of the AST → plan selectors and value sources.

Resolution is where a name meets the DICOM dictionary, so it also reports what does
not resolve. Results are cached per node (nodes compare without their spans), and
problems carry no span: the caller places them.
"""

from __future__ import annotations

import functools
import re
from dataclasses import dataclass

from deidc import ast, codes
from deidc.codes import Code
from deidc.compiler import names
from deidc.plan import (
    PatternKind,
    SelectAddress,
    SelectAll,
    SelectFields,
    SelectGroup,
    SelectName,
    SelectNothing,
    Selector,
    SelectPath,
    SelectPattern,
    SelectPrivate,
    SelectTag,
    SelectValues,
    SelectVR,
    ValueDeidFunc,
    ValueFunc,
    ValueLiteral,
    ValueSource,
    ValueVar,
)


@dataclass(frozen=True, slots=True)
class Problem:
    """A diagnostic without its place: the caller knows the span."""

    code: Code  #: the code
    message: str  #: what is wrong
    help: str | None = None  #: how to fix it
    suggestions: tuple[str, ...] = ()  #: did-you-mean candidates
    offset: int = 0  #: where in the field the problem starts
    length: int = 0  #: how long it is (0: the whole field)


Resolved = tuple[Selector, tuple[Problem, ...]]

_FORMS_HELP = ("a field is a keyword (PatientID), a tag ((0010,0020) or 00100020), a private tag "
               '((0033,"CREATOR",1E)), a path (Seq__Child), an expander (contains:Date) or values:/fields:NAME')


@functools.lru_cache(maxsize=8192)
def resolve_field(field: ast.Field) -> Resolved:
    """Resolve a header or group field expression."""
    match field:
        case ast.FieldTag(group=group, element=element, form=form):
            if form == "hex0x":
                text = f"{group:04X}{element:04X}"
                return SelectTag((group << 16) | element), (
                    Problem(codes.MALFORMED_FIELD, "a tag in a field is written without '0x'",
                            f"write '{text}' or '({group:04X},{element:04X})'", (text,)),)
            return SelectTag((group << 16) | element), ()
        case ast.FieldPrivate(group=group, creator=creator, offset=offset):
            if group % 2 == 0:
                example = f'({group + 1:04X},"{creator}",{offset:02X})'
                return SelectNothing("not a private group"), (
                    Problem(codes.NO_SUCH_TAG, f"group {group:04X} is not private: only odd groups have creators",
                            f"write the odd group of the private element, e.g. '{example}'"),)
            return SelectPrivate(group, creator, offset), ()
        case ast.FieldAddress(tags=tags, items=items):
            return SelectAddress(tags, items), ()
        case ast.FieldName(names=parts):
            return _resolve_name(parts)
        case ast.FieldExpander(name=name, pattern=pattern):
            return _resolve_expander(name, pattern)
        case ast.FieldGroup(kind=kind, name=name):
            if not name:
                return SelectNothing("no list name"), (
                    Problem(codes.UNKNOWN_LIST, f"'{kind}:' needs the name of a %{kind} list",
                            f"write e.g. '{kind}:my_list', where '%{kind} my_list' defines the list"),)
            return (SelectValues(name) if kind == "values" else SelectFields(name)), ()
        case ast.FieldMalformed(text=text):
            return SelectNothing("malformed"), (_malformed(text),)
    raise AssertionError(field)


def _without_spaces(text: str) -> str:
    """Return ``text`` without the whitespace outside double quotes."""
    kept, quoted = [], False
    for c in text:
        quoted ^= c == '"'
        if quoted or not c.isspace():
            kept.append(c)
    return "".join(kept)


def _malformed(text: str) -> Problem:
    joined = _without_spaces(text)
    if joined != text:
        return Problem(codes.MALFORMED_FIELD, f"'{text}' is not a field: a field has no spaces",
                       f"write it without spaces, e.g. '{joined}'")
    return Problem(codes.MALFORMED_FIELD, f"'{text}' is not a field", _FORMS_HELP)


def _unknown_keyword(word: str, consequence: str, *, offset: int = 0, length: int = 0) -> Problem:
    suggestions = names.suggest_keyword(word)
    return Problem(codes.UNKNOWN_KEYWORD, f"'{word}' is not a DICOM keyword: {consequence}",
                   None if suggestions else "write a keyword as pydicom spells it, e.g. 'PatientID'",
                   suggestions, offset, length)


def _resolve_name(parts: tuple[str, ...]) -> Resolved:
    if len(parts) == 1:
        word = parts[0]
        if word.lower() == "all":
            return SelectAll(), ()
        kw = names.keyword(word)
        if kw is not None:
            return SelectTag(names.keyword_tag(kw) or 0, kw), ()
        if names.repeater_keyword(word):
            return SelectName(word.lower()), ()
        return SelectName(word.lower()), (
            _unknown_keyword(word, "it matches nothing"),)
    problems = []
    offset = 0
    for part in parts:
        if names.keyword(part) is None:
            problems.append(_unknown_keyword(part, "this path matches nothing", offset=offset, length=len(part)))
        offset += len(part) + 2
    return SelectPath(tuple(p.lower() for p in parts)), tuple(problems)


def _resolve_expander(name: str, pattern: str) -> Resolved:
    lower = name.lower()
    kind = names.PATTERN_EXPANDERS.get(lower)
    if kind is not None:
        if not pattern and kind is not PatternKind.EXCEPT:
            return SelectPattern(kind, ""), (
                Problem(codes.EMPTY_PATTERN, f"'{name}:' without a pattern selects every element",
                        "write a pattern after the colon, or use ALL if you mean every element",
                        offset=len(name) + 1),)
        if not pattern:
            return SelectNothing("empty except"), (
                Problem(codes.EMPTY_PATTERN, "'except:' without a pattern selects nothing",
                        "write the pattern of the elements to spare after the colon"),)
        try:
            re.compile(pattern, re.IGNORECASE)
        except re.error as error:
            return SelectNothing("invalid regex"), (
                Problem(codes.INVALID_REGEX, f"invalid regular expression: {error.msg}",
                        r"escape special characters with '\', e.g. 'contains:\(0010'",
                        offset=len(name) + 1 + (error.pos or 0), length=1),)
        return SelectPattern(kind, pattern), ()
    if lower == "select":
        return _resolve_select(name, pattern)
    # 'Values:' is a list reference in the wrong case, which deid silently matches nothing with
    suggestions = (lower,) if lower in ("values", "fields") else names.suggest(name, names.EXPANDERS)
    return SelectNothing("unknown expander"), (
        Problem(codes.UNKNOWN_EXPANDER, f"unknown expander '{name}'",
                None if suggestions else "the expanders are " + ", ".join(names.EXPANDERS),
                suggestions, offset=0, length=len(name)),)


def _resolve_select(name: str, pattern: str) -> Resolved:
    what, _, arg = pattern.partition(":")
    if what.lower() == "vr" and len(arg) == 2 and arg.isalpha():
        return SelectVR(arg.upper()), ()
    if what.lower() == "group" and 1 <= len(arg) <= 4 and all(c in "0123456789abcdefABCDEF" for c in arg):
        return SelectGroup(int(arg, 16)), ()
    return SelectNothing("bad select"), (
        Problem(codes.BAD_SELECT, f"'select:{pattern}' is not a select expander",
                "write 'select:vr:PN' (a two-letter VR) or 'select:group:0010' (a hex group)"),)


def resolve_value(value: ast.Value) -> ValueSource:
    """Return the plan's value source for a value node."""
    match value:
        case ast.Literal(text=text):
            return ValueLiteral(text)
        case ast.VarRef(name=name):
            return ValueVar(name)
        case ast.FuncRef(name=name):
            return ValueFunc(name)
        case ast.DeidFunc(name=name, args=args):
            return ValueDeidFunc(name, tuple((a.key, a.value) for a in args))
    raise AssertionError(value)


@functools.lru_cache(maxsize=4096)
def resolve_filter_field(field: ast.Field) -> Resolved:
    """Resolve the field of a filter criterion: a keyword or a tag."""
    match field:
        case ast.FieldTag(group=group, element=element):
            return SelectTag((group << 16) | element), ()
        case ast.FieldName(names=(word,)):
            kw = names.keyword(word)
            if kw is not None:
                return SelectTag(names.keyword_tag(kw) or 0, kw), ()
            if names.repeater_keyword(word):
                return SelectName(word.lower()), ()
            return SelectName(word.lower()), (
                _unknown_keyword(word, "this test never sees a value"),)
    return SelectNothing("filter field"), (
        Problem(codes.FILTER_FIELD_FORM, "a filter tests one element: this field is not a keyword or a tag",
                "write e.g. 'contains Modality CT' or 'contains 0x00080060 CT'"),)
