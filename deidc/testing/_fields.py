"""Strategies for field expressions and values: one ``st.builds`` per node class of :mod:`deidc.ast`.

``valid=True`` keeps to what the checker accepts (dictionary keywords, compiling
patterns, known expanders and built-ins); ``valid=False`` draws from the whole
syntax, names the checker rejects included. Both only draw nodes that render to
text which parses back to an equal node.
"""

from __future__ import annotations

import re
import string
from collections.abc import Sequence
from typing import Final

from hypothesis import strategies as st

from deidc import ast
from deidc.compiler import names
from deidc.testing import _words as w

#: fields that have no known form, as a recipe could write them
MALFORMED: Final[tuple[str, ...]] = (
    "(0010, 0020)", "0010,0020", '"PatientID"', "PatientID#x", "Patient-ID", "(0033,'CREATOR',1E)",
    "0x0010", "(00100020)", "123",
)
_CREATOR_CHARS: Final = string.ascii_letters + string.digits + " .-_:/()#"


def _tag_numbers() -> st.SearchStrategy[int]:
    return st.integers(min_value=0, max_value=0xFFFF)


def field_tags(*, valid: bool = True, forms: Sequence[str] = ("paren", "hex", "hex0x")) -> st.SearchStrategy[ast.Field]:
    """Return a strategy for tag fields: ``(0010,0020)``, ``00100020`` and (not valid in headers) ``0x00100020``."""
    allowed = tuple(f for f in forms if not valid or f != "hex0x") or ("paren",)
    return st.builds(ast.FieldTag, group=_tag_numbers(), element=_tag_numbers(), form=st.sampled_from(allowed))


def field_privates(*, valid: bool = True) -> st.SearchStrategy[ast.Field]:
    """Return a strategy for private-creator fields: ``(0033,"CREATOR",1E)``."""
    groups = st.integers(min_value=4, max_value=0x7FFF).map(lambda g: 2 * g + 1) if valid else _tag_numbers()
    creators = st.text(st.sampled_from(_CREATOR_CHARS), min_size=1 if valid else 0, max_size=16)
    return st.builds(ast.FieldPrivate, group=groups, creator=creators,
                     offset=st.integers(min_value=0, max_value=0xFF), parens=st.booleans())


def field_addresses() -> st.SearchStrategy[ast.Field]:
    """Return a strategy for exact nested addresses: ``(0008,1140)__0__(0008,1155)``."""
    tags = st.lists(st.integers(min_value=0, max_value=0xFFFFFFFF), min_size=2, max_size=4).map(tuple)
    items = st.lists(st.integers(min_value=0, max_value=12), min_size=3, max_size=3).map(tuple)
    return st.builds(lambda t, i: ast.FieldAddress(tags=t, items=i[: len(t) - 1]), tags, items)


def field_names(*, valid: bool = True, max_depth: int = 3) -> st.SearchStrategy[ast.Field]:
    """Return a strategy for keyword fields, ``ALL``, and keyword paths such as ``Seq__Child``."""
    word = w.mixed_case(w.dictionary_keywords()) if valid else w.names_any()
    paths = st.lists(word, min_size=1, max_size=max_depth).map(tuple)
    return st.one_of(st.builds(ast.FieldName, names=paths),
                     st.builds(ast.FieldName, names=w.mixed_case("ALL").map(lambda a: (a,))))


def field_expanders(*, valid: bool = True) -> st.SearchStrategy[ast.Field]:
    """Return a strategy for expanders: ``contains:Date``, ``select:vr:PN``, ``select:group:0010``."""
    pattern = st.lists(st.sampled_from(w.PATTERN_FRAGMENTS), min_size=1, max_size=3).map("|".join)
    regex = st.builds(ast.FieldExpander, name=w.mixed_case(st.sampled_from(tuple(names.PATTERN_EXPANDERS))),
                      pattern=pattern)
    vrs = st.sampled_from(sorted(vr for vr in w.keywords_by_vr() if len(vr) == 2))
    select = st.one_of(
        st.builds(ast.FieldExpander, name=st.just("select"), pattern=vrs.map(lambda vr: f"vr:{vr}")),
        st.builds(ast.FieldExpander, name=st.just("select"),
                  pattern=st.integers(0, 0xFFFF).map(lambda g: f"group:{g:04X}")))
    if valid:
        return st.one_of(regex, select)
    name = st.from_regex(r"[A-Za-z_]{1,10}", fullmatch=True).filter(lambda n: n not in ("values", "fields"))
    pattern_text = st.text(st.sampled_from(string.ascii_letters + string.digits + "|^$.*_\\:#()"), max_size=10)
    free = st.builds(ast.FieldExpander, name=name, pattern=pattern_text)
    return st.one_of(regex, select, free)


def field_groups(lists: dict[str, Sequence[str]] | None = None) -> st.SearchStrategy[ast.Field]:
    """Return a strategy for ``values:NAME``/``fields:NAME``: to the lists given, or to any name."""
    if lists is None:
        name = st.text(st.sampled_from(string.ascii_letters + string.digits + "_.-:|#"), max_size=8)
        return st.builds(ast.FieldGroup, kind=st.sampled_from(("values", "fields")), name=name)
    choices = [ast.FieldGroup(kind=kind, name=name) for kind in sorted(lists) for name in lists[kind]]
    return st.sampled_from(choices) if choices else st.nothing()


def field_malformed() -> st.SearchStrategy[ast.Field]:
    """Return a strategy for fields of no known form (the checker reports them)."""
    return st.builds(ast.FieldMalformed, text=st.sampled_from(MALFORMED))


def glued_fields() -> st.SearchStrategy[ast.Field]:
    """Return a strategy for fields that start with no letter, so that they can follow a word directly.

    ``FORMAT(0010,0020)`` is an action whose verb is ``FORMAT``: with a space it would be a FORMAT line.
    """
    malformed = [text for text in MALFORMED if not re.match(r"[A-Za-z0-9_]", text)]
    return st.one_of(field_tags(forms=("paren",)), field_addresses(),
                     st.builds(ast.FieldPrivate, group=st.integers(0, 0xFFFF), creator=st.just("ACME 1.0"),
                               offset=st.integers(0, 0xFF), parens=st.just(True)),
                     st.builds(ast.FieldMalformed, text=st.sampled_from(malformed)))


def fields(*, valid: bool = True, lists: dict[str, Sequence[str]] | None = None,
           groups: bool = True) -> st.SearchStrategy[ast.Field]:
    """Return a strategy for the field of a header or group action.

    Args:
        valid: keep to fields that resolve without errors.
        lists: the ``%values``/``%fields`` names that ``values:``/``fields:`` may name
            (None: any name).
        groups: whether ``values:``/``fields:`` references may be drawn.
    """
    options = [field_names(valid=valid), field_names(valid=valid), field_tags(valid=valid), field_privates(valid=valid),
               field_addresses(), field_expanders(valid=valid)]
    if groups and (lists is None or any(lists.values())):
        options.append(field_groups(lists))
    if not valid:
        options.append(field_malformed())
    return st.one_of(options)


def exact_fields(*, valid: bool = True) -> st.SearchStrategy[ast.Field]:
    """Return a strategy for the field of ``ADD``: one dictionary keyword or one tag."""
    keyword = st.builds(ast.FieldName, names=w.dictionary_keywords().map(lambda k: (k,)))
    return st.one_of(keyword, field_tags(valid=valid, forms=("paren", "hex"))) if valid else fields(valid=False)


def filter_fields(*, valid: bool = True) -> st.SearchStrategy[ast.Field]:
    """Return a strategy for the field of a filter criterion: a keyword (exact case) or a tag."""
    keyword = st.builds(ast.FieldName, names=w.dictionary_keywords().map(lambda k: (k,)))
    return st.one_of(keyword, field_tags(valid=False)) if valid else fields(valid=False)


# ---------------------------------------------------------------- values

#: arguments of the deid_func built-ins that the checker and the runtime accept
_BUILTIN_ARGS: Final[dict[str, st.SearchStrategy[str]]] = {
    "days": st.integers(-400, 400).map(str),
    "years": st.integers(-3, 3).map(str),
    "org_root": st.sampled_from(("1.2.826.0.1.3680043.10.1", "anonymous-organization")),
    "prefix": st.sampled_from(("2.25.", "1.2.826.0.1.3680043.8.498.")),
    "stable_remapping": st.sampled_from(("true", "false")),
}


def _func_args(keys: Sequence[str]) -> st.SearchStrategy[tuple[ast.FuncArg, ...]]:
    if not keys:
        return st.just(())
    arg = st.one_of([st.builds(ast.FuncArg, key=st.just(k), value=_BUILTIN_ARGS[k]) for k in keys])
    return st.lists(arg, unique_by=lambda a: a.key, max_size=len(keys)).map(tuple)


def deid_funcs(*, valid: bool = True, only: Sequence[str] | None = None) -> st.SearchStrategy[ast.Value]:
    """Return a strategy for ``deid_func:NAME k=v ...`` values (``only``: these built-ins)."""
    if not valid:
        args = st.lists(st.builds(ast.FuncArg, key=w.idents(), value=w.option_values()), max_size=3).map(tuple)
        return st.builds(ast.DeidFunc, name=w.idents(), args=args)
    builtins = tuple(only) if only is not None else tuple(names.DEID_FUNCS)
    return st.one_of([st.builds(ast.DeidFunc, name=st.just(name), args=_func_args(names.DEID_FUNCS[name]))
                      for name in builtins])


def literals(*, quoted: bool | None = None) -> st.SearchStrategy[ast.Value]:
    """Return a strategy for literal values, written bare or in double quotes."""
    bare = st.builds(ast.Literal, text=w.literal_texts_unquoted(), quoted=st.just(False))
    in_quotes = st.builds(ast.Literal, text=w.literal_texts_quoted(), quoted=st.just(True))
    return bare if quoted is False else in_quotes if quoted else st.one_of(bare, in_quotes)


def values(*, valid: bool = True) -> st.SearchStrategy[ast.Value]:
    """Return a strategy for any value: literal, ``var:``, ``func:`` or ``deid_func:``."""
    return st.one_of(literals(), st.builds(ast.VarRef, name=w.idents()), st.builds(ast.FuncRef, name=w.idents()),
                     deid_funcs(valid=valid))


def jitter_values(*, valid: bool = True) -> st.SearchStrategy[ast.Value]:
    """Return a strategy for JITTER's amount: a whole number of days, a variable or ``deid_func:jitter``."""
    if not valid:
        return values(valid=False)
    days = st.builds(ast.Literal, text=st.integers(-400, 400).map(str), quoted=st.just(False))
    return st.one_of(days, st.builds(ast.VarRef, name=w.idents()), deid_funcs(only=("jitter",)))
