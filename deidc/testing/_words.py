"""Strategies for the leaves of a recipe tree: words, names, comments, literal texts.

Each strategy draws only strings that the grammar reads back unchanged in their
position (``grammar/deid.lark``), so trees built from them survive
``parse(render(tree))``. The ``*_any`` strategies cover the whole syntax, including
names the checker rejects; the others keep to what compiles.
"""

from __future__ import annotations

import functools
import re
import string
from typing import Final

from hypothesis import strategies as st
from pydicom.datadict import dictionary_VR, keyword_dict

from deidc.compiler import names

#: keyword fragments that make expander patterns which select something
PATTERN_FRAGMENTS: Final[tuple[str, ...]] = (
    "Patient", "Physician", "Date", "Time", "UID", "Name", "ID", "Institution", "Operator", "Study",
    "Series", "Accession", "Address", "Birth", "Comments", "Description",
)

#: words the grammar reads as keywords at the start of a line, so never as action or criterion words
RESERVED_WORDS: Final[frozenset[str]] = frozenset(
    {"format", "label", "coordinates", "keepcoordinates", "ctpcoordinates", "ctpkeepcoordinates"})

_SAFE_PUNCTUATION: Final = "!$%&'()*+,-./:;<=>?@[\\]^_`{|}~"
#: visible characters that are neither ``#`` nor ``"`` (a few non-ASCII letters among them)
_VISIBLE: Final = string.ascii_letters + string.digits + _SAFE_PUNCTUATION + "éüßΩ"
_HEX8: Final = re.compile(r"[0-9A-Fa-f]{8}")
_VALUE_PIECE_START: Final = re.compile(r"(\+|\|\|)($|[A-Za-z])")


@functools.cache
def keyword_list() -> tuple[str, ...]:
    """Return pydicom's dictionary keywords, sorted (the empty keyword left out)."""
    return tuple(sorted(k for k in keyword_dict if k))


@functools.cache
def keywords_by_vr() -> dict[str, tuple[str, ...]]:
    """Return the dictionary keywords of each VR (the first VR of multi-VR entries)."""
    found: dict[str, list[str]] = {}
    for keyword in keyword_list():
        vr = dictionary_VR(keyword).split(" ")[0]
        found.setdefault(vr, []).append(keyword)
    return {vr: tuple(kws) for vr, kws in found.items()}


def _recase(word: str, how: int) -> str:
    return word.upper() if how == 1 else word.lower() if how == 2 else word


def mixed_case(word: str | st.SearchStrategy[str]) -> st.SearchStrategy[str]:
    """Return a strategy for ``word`` (or the words drawn from a strategy) as written, upper- or lower-cased."""
    words = st.just(word) if isinstance(word, str) else word
    return st.builds(_recase, words, st.integers(0, 2))


# ---------------------------------------------------------------- names


def words_any() -> st.SearchStrategy[str]:
    """Return a strategy for ``WORD`` tokens that do not read as line keywords (FORMAT, LABEL...)."""
    return st.from_regex(r"[A-Za-z_][A-Za-z0-9_]{0,9}", fullmatch=True).filter(
        lambda w: w.lower() not in RESERVED_WORDS)


def idents() -> st.SearchStrategy[str]:
    """Return a strategy for ``IDENT`` tokens: variable, function and argument names."""
    return st.one_of(
        st.sampled_from(("id", "source_id", "name", "entity_id", "item_timestamp", "new_uid")),
        st.from_regex(r"[A-Za-z_][A-Za-z0-9_.\-]{0,9}", fullmatch=True),
    )


#: a few list names, so that drawn recipes often share them
LIST_NAMES: Final[tuple[str, ...]] = ("names", "ids", "uids", "dates", "cookie_names", "instance_fields")


def list_names() -> st.SearchStrategy[str]:
    """Return a strategy for ``%values``/``%fields`` list names (one word each)."""
    return st.sampled_from(LIST_NAMES)


def line_texts() -> st.SearchStrategy[str]:
    """Return a strategy for ``LINE_TEXT``: label texts and section names (inner spaces kept)."""
    word = st.text(st.sampled_from(_VISIBLE), min_size=1, max_size=8)
    gap = st.sampled_from((" ", " ", "  ", "\t"))
    return st.builds(lambda first, rest: first + "".join(g + w for g, w in rest),
                     word, st.lists(st.tuples(gap, word), max_size=3))


def comment_texts() -> st.SearchStrategy[str]:
    """Return a strategy for comments: ``#`` and the rest of the line, trailing spaces included."""
    body = st.text(st.characters(exclude_characters="\r\n", codec="utf-8"), max_size=20)
    return body.map(lambda text: "#" + text)


def dictionary_keywords() -> st.SearchStrategy[str]:
    """Return a strategy for keywords of pydicom's dictionary, in the case they are spelled."""
    return st.sampled_from(keyword_list())


def names_any() -> st.SearchStrategy[str]:
    """Return a strategy for ``NAME`` tokens of a field that are not read as a hex tag."""
    return st.one_of(dictionary_keywords(), st.from_regex(r"[A-Za-z][A-Za-z0-9]{0,9}", fullmatch=True)).filter(
        lambda n: not _HEX8.fullmatch(n))


# ---------------------------------------------------------------- values


def _spaced(first: str, rest: str, gaps: tuple[str, ...]) -> st.SearchStrategy[str]:
    """Draw 1-4 whitespace-free pieces joined by ``gaps``; a piece starts with a character of ``first``."""
    piece = st.builds(lambda a, b: a + b, st.sampled_from(first), st.text(st.sampled_from(rest), max_size=6))
    more = st.lists(st.tuples(st.sampled_from(gaps), piece), max_size=3)
    return st.builds(lambda head, tail: head + "".join(g + p for g, p in tail), piece, more)


def literal_texts_unquoted() -> st.SearchStrategy[str]:
    """Return a strategy for literal values written without quotes (whitespace runs are kept)."""
    return _spaced(_VISIBLE, _VISIBLE + "#", (" ", "  ", "\t")).filter(
        lambda t: not t.startswith(("var:", "func:", "deid_func:")))


def literal_texts_quoted() -> st.SearchStrategy[str]:
    """Return a strategy for the inside of a double-quoted literal (no ``"``, no line end)."""
    return st.text(st.characters(exclude_characters='"\r\n', codec="utf-8"), max_size=16)


def filter_values_any() -> st.SearchStrategy[str]:
    """Return a strategy for criterion values: pieces kept verbatim, never a ``+``/``||`` operator."""
    return _spaced(_VISIBLE, _VISIBLE + '#"', (" ", "  ")).filter(_no_operator_piece)


def _no_operator_piece(value: str) -> bool:
    pieces = value.split()
    return not _VALUE_PIECE_START.match(pieces[0]) and not any(p in ("+", "||") for p in pieces[1:])


def filter_regexes() -> st.SearchStrategy[str]:
    """Return a strategy for ``contains`` values that compile as regular expressions."""
    word = st.sampled_from(("CT", "MR", "US", "ORIGINAL", "SECONDARY", "DERIVED", "Dose Report", "SAVE", "GE",
                            "SIEMENS", "Philips", "SCREEN SAVE", "AS+", "3D"))
    return st.lists(word, min_size=1, max_size=3).map("|".join)


def option_values() -> st.SearchStrategy[str]:
    """Return a strategy for option values (written bare or quoted as needed, never both quotes)."""
    return st.one_of(
        st.text(st.characters(exclude_characters="\"\r\n", codec="utf-8"), max_size=6),
        st.text(st.characters(exclude_characters="'\r\n", codec="utf-8"), max_size=6),
    )


def section_keywords_unknown() -> st.SearchStrategy[str]:
    """Return a strategy for the word of an unknown section: ``%`` + anything but a known section."""
    chars = st.sampled_from(_VISIBLE + '"')
    return st.text(chars, max_size=8).filter(lambda k: k.lower() not in names.SECTIONS)
