"""Expander patterns (``startswith:``, ``endswith:``, ``contains:``, ``except:``) searched as deid searches them.

deid searches each of an element's texts (its nested name, tag forms, description,
keyword, private forms) with the pattern's case-insensitive regex. The same answer is
found faster where that is exact: a plain pattern is searched, lower-cased and
case-sensitively, in the lower-cased texts joined by newlines (:func:`_lowered`,
:func:`_joined`). :func:`description` is pydicom's ``DataElement.name``, without decoding
the element.
"""

from __future__ import annotations

import functools
import re
import string
from collections.abc import Sequence
from typing import Final

from pydicom.datadict import (
    dictionary_description,
    dictionary_has_tag,
    private_dictionary_description,
    repeater_has_tag,
)
from pydicom.tag import BaseTag

from deidc.plan import PatternKind, SelectPattern


def _anchored(kind: PatternKind, pattern: str) -> str:
    """Return an expander's pattern anchored as its kind says (startswith: at the start, endswith: at the end)."""
    if kind is PatternKind.STARTSWITH:
        return f"^({pattern})"
    if kind is PatternKind.ENDSWITH:
        return f"({pattern})$"
    return pattern


@functools.lru_cache(maxsize=1024)
def compile_pattern(kind: PatternKind, pattern: str) -> re.Pattern[str]:
    """Compile an expander's regular expression as deid searches it."""
    return re.compile(_anchored(kind, pattern), re.IGNORECASE)


def _joinable(pattern: str) -> bool:
    r"""Return whether a pattern may search an element's texts joined by newlines (see :func:`_joined`).

    Not when it looks outside the text it matches: a lookaround, ``\A``/``\Z``, an atomic
    group or a possessive quantifier.
    """
    return not ("(?" in pattern or "\\A" in pattern or "\\Z" in pattern or any(
        q in pattern for q in ("*+", "++", "?+", "}+")))


@functools.lru_cache(maxsize=1024)
def _joined(kind: PatternKind, pattern: str) -> re.Pattern[str] | None:
    r"""Return the expander's regex for all of an element's texts at once (joined by newlines), when that is exact.

    With ``^`` and ``$`` matching at each newline, a text that holds a match makes the
    joined texts hold one, unless the pattern looks outside the text it matches: a
    lookaround, ``\A``/``\Z``, an atomic group or a possessive quantifier. Those patterns
    give None (searched text by text). A match in the joined texts may span two of them,
    so a hit is checked text by text; a miss is final.
    """
    if not _joinable(pattern):
        return None
    return re.compile(_anchored(kind, pattern), re.IGNORECASE | re.MULTILINE)


def pattern_found(kind: PatternKind, pattern: str, texts: Sequence[str], joined: str | None) -> bool:
    """Return whether an expander's regex finds a match in any of an element's texts (``joined``: them by newlines)."""
    if joined is not None:
        caseless = _lowered(kind, pattern)
        if caseless is not None and joined.isascii():
            return caseless.search(joined.lower()) is not None
        whole = _joined(kind, pattern)
        if whole is not None and whole.search(joined) is None:
            return False
    regex = compile_pattern(kind, pattern)
    return any(regex.search(text) for text in texts)


def joined_texts(texts: Sequence[str]) -> str | None:
    """Return an element's texts joined by newlines for :func:`pattern_found` (None when one holds a newline)."""
    joined = "\n".join(texts)
    return None if joined.count("\n") != len(texts) - 1 else joined


@functools.lru_cache(maxsize=8192)
def description(tag: int, creator: str | None) -> str:
    """Return what pydicom's ``DataElement.name`` gives for a tag in a dataset where its private creator is ``creator``.

    (pydicom's dataset gives an element its private creator when it is read from the
    dataset; an element decoded on its own has none, and would say ``Private tag data``.)
    """
    if tag >> 16 & 1:  # private
        if creator:
            try:
                return f"[{private_dictionary_description(BaseTag(tag), creator)}]"
            except KeyError:
                pass
        elif tag & 0xFF00 == 0:
            return "Private Creator"
        return "Private tag data"
    if dictionary_has_tag(tag) or repeater_has_tag(tag):
        return str(dictionary_description(tag))
    if tag & 0xFFFF == 0:
        return "Group Length"
    return ""


#: characters of an expander pattern that make lower-casing it (and the texts) the same as ignoring case:
#: no escapes, classes or inline flags (``[A-z]`` or ``\\S`` would change meaning)
_CASELESS: Final = frozenset(string.ascii_letters + string.digits + "_|()*+?.^$-{}, :;'\"/<>=&%#@!~`")


@functools.lru_cache(maxsize=1024)
def _lowered(kind: PatternKind, pattern: str) -> re.Pattern[str] | None:
    """Return the expander's regex, lower-cased and case-sensitive, for lower-cased ASCII texts (None: not exact).

    For a pattern of plain ASCII characters (see :data:`_CASELESS`), searching lower-cased
    ASCII text case-sensitively finds what the case-insensitive search finds in the text,
    and Python's regex engine does it about ten times faster. ``^`` and ``$`` match at
    newlines too, for the joined texts (see :func:`_joined`); and as none of these
    characters matches a newline, a match in the joined texts is a match in one of them.
    """
    if not _CASELESS.issuperset(pattern) or not _joinable(pattern):
        return None
    return re.compile(_anchored(kind, pattern.lower()), re.MULTILINE)


#: the characters of a pattern made of words (see :func:`_words`), besides ``|``
_WORD: Final = frozenset(string.ascii_letters + string.digits + "_")


@functools.lru_cache(maxsize=1024)
def _words(kind: PatternKind, pattern: str) -> tuple[str, ...] | None:
    """Return a ``contains:``, ``except:`` or ``startswith:`` pattern of up to four words (``a|b``), lower-cased.

    Such a pattern matches exactly its words: lower-cased ASCII texts joined by newlines
    hold a match of :func:`_lowered`'s regex when they hold one of the words (for
    ``startswith:``, at their start or after a newline), which ``in`` finds faster than
    the regex engine. (``endswith:`` and longer alternations are as fast as regexes.)
    """
    words = pattern.lower().split("|")
    if kind is PatternKind.ENDSWITH or len(words) > 4 or not _WORD.issuperset(pattern.replace("|", "")):
        return None
    return tuple(words)


#: a pattern selector ready to search: (its number, whether it is an except:, its words (see :func:`_words`),
#: whether they must start a text, its lower-cased regex for lower-cased ASCII texts (see :func:`_lowered`),
#: its regex for joined texts (see :func:`_joined`), the selector)
_Compiled = tuple[int, bool, tuple[str, ...] | None, bool, re.Pattern[str] | None, re.Pattern[str] | None,
                  SelectPattern]
_COMPILED: dict[int, tuple[Sequence[tuple[int, SelectPattern]], list[_Compiled]]] = {}


def _compiled(selectors: Sequence[tuple[int, SelectPattern]]) -> list[_Compiled]:
    """Return the regexes of a selector index's pattern selectors (kept while the index lives)."""
    found = _COMPILED.get(id(selectors))
    if found is None or found[0] is not selectors:
        if len(_COMPILED) >= 64:
            _COMPILED.clear()
        made: list[_Compiled] = []
        for number, selector in selectors:
            kind = selector.kind
            caseless = _lowered(kind, selector.pattern)
            whole = _joined(kind, selector.pattern) if caseless is None else None
            words = _words(kind, selector.pattern)
            if words is not None and kind is PatternKind.STARTSWITH:
                words = (*words, *(f"\n{word}" for word in words))  # (the first ones at the very start)
            made.append((number, kind is PatternKind.EXCEPT, words, kind is PatternKind.STARTSWITH, caseless, whole,
                         selector))
        found = _COMPILED[id(selectors)] = (selectors, made)
    return found[1]


def search_patterns(texts: Sequence[str], selectors: Sequence[tuple[int, SelectPattern]]) -> list[int]:
    """Return the numbers of the pattern selectors that select an element whose searched texts are ``texts``.

    The same answer as searching each text with :func:`compile_pattern`'s regex, found
    faster where that is exact (see :func:`_lowered` and :func:`_joined`).
    """
    joined = joined_texts(texts)
    lowered = joined.lower() if joined is not None and joined.isascii() else None
    found = []
    for number, negated, words, starting, caseless, whole, selector in _compiled(selectors):
        if lowered is not None and words is not None:  # the fastest way (see _words)
            hit = False
            if starting:  # the words, then each after a newline
                half = len(words) // 2
                hit = lowered.startswith(words[:half])
                words = words[half:]
            if not hit:
                for word in words:
                    if word in lowered:
                        hit = True
                        break
        elif lowered is not None and caseless is not None:  # the fast way (see _lowered)
            hit = caseless.search(lowered) is not None
        elif joined is not None and whole is not None and whole.search(joined) is None:
            hit = False  # a miss in the joined texts is final (see _joined)
        else:
            regex = compile_pattern(selector.kind, selector.pattern)
            hit = any(regex.search(text) for text in texts)
        if hit is not negated:
            found.append(number)
    return found


__all__ = ["compile_pattern", "description", "joined_texts", "pattern_found", "search_patterns"]
