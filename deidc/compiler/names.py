"""Closed vocabularies of the language and name resolution against pydicom's dictionary.

Part of the compiler stage: words of the AST → enums, keywords → tags.
"""

from __future__ import annotations

import difflib
import functools
import heapq
from collections.abc import Iterable
from typing import Final

from pydicom._dicom_dict import RepeatersDictionary
from pydicom.datadict import keyword_dict, keyword_for_tag

from deidc.plan import ActionKind, GroupKind, PatternKind

HEADER_ACTIONS: Final[dict[str, ActionKind]] = {k.value: k for k in ActionKind}
GROUP_ACTIONS: Final[dict[str, GroupKind]] = {k.value: k for k in GroupKind}
SECTIONS: Final[tuple[str, ...]] = ("header", "labels", "values", "fields", "filter")
PATTERN_EXPANDERS: Final[dict[str, PatternKind]] = {k.value: k for k in PatternKind}
EXPANDERS: Final[tuple[str, ...]] = (*PATTERN_EXPANDERS, "select")
VALUE_CRITERIA: Final[tuple[str, ...]] = ("contains", "notcontains", "equals", "notequals")
PRESENCE_CRITERIA: Final[tuple[str, ...]] = ("missing", "present", "empty")
CRITERIA: Final[tuple[str, ...]] = VALUE_CRITERIA + PRESENCE_CRITERIA
SPLIT_OPTIONS: Final[tuple[str, ...]] = ("by", "minlength")
#: deid_func built-ins and the arguments each takes
DEID_FUNCS: Final[dict[str, tuple[str, ...]]] = {
    "jitter": ("days", "years"),
    "basic_uuid": (),
    "suffix_uuid": (),
    "dicom_uuid": ("org_root",),
    "pydicom_uuid": ("prefix", "stable_remapping"),
}
FORMATS: Final[tuple[str, ...]] = ("dicom",)


@functools.cache
def _keywords_by_lower() -> dict[str, str]:
    return {k.lower(): k for k in keyword_dict}


@functools.cache
def _repeater_keywords() -> dict[str, str]:
    """Keywords of repeating groups (``OverlayData`` of 60xx): matched by keyword, no single tag."""
    return {str(entry[4]).lower(): str(entry[4]) for entry in RepeatersDictionary.values() if entry[4]}


def repeater_keyword(name: str) -> str | None:
    """Return the repeating-group keyword spelled ``name`` in any case, or None."""
    return _repeater_keywords().get(name.lower())


def keyword(name: str) -> str | None:
    """Return the dictionary keyword spelled ``name`` in any case, or None."""
    return _keywords_by_lower().get(name.lower())


def keyword_tag(name: str) -> int | None:
    """Return the tag of a dictionary keyword written in any case, or None."""
    kw = keyword(name)
    return None if kw is None else int(keyword_dict[kw])


def keyword_for(tag: int) -> str:
    """Return the dictionary keyword of a tag, or '' if it has none."""
    return str(keyword_for_tag(tag))


def suggest(word: str, vocabulary: Iterable[str], *, n: int = 3) -> tuple[str, ...]:
    """Return the closest words of ``vocabulary`` to ``word`` (case-insensitive), best first."""
    return _closest(word, _by_lower(vocabulary), n)


def _by_lower(vocabulary: Iterable[str]) -> dict[str, str]:
    """Return the words by their lower case (of words that differ only by case, the first)."""
    by_lower: dict[str, str] = {}
    for v in vocabulary:
        by_lower.setdefault(v.lower(), v)
    return by_lower


def _closest(word: str, by_lower: dict[str, str], n: int, cutoff: float = 0.6) -> tuple[str, ...]:
    """Return what ``difflib.get_close_matches(word.lower(), by_lower, n, cutoff)`` returns, mapped back.

    The same result for less work: ``get_close_matches`` computes the costly ``ratio`` of every
    word whose ``quick_ratio`` (an upper bound of ``ratio``) reaches ``cutoff``; here the words are
    taken by decreasing ``quick_ratio``, and the search stops when that bound falls below the
    ``n``-th best ratio found: no word after that point can enter the ``n`` best, not even by a tie.
    """
    if n <= 0:
        raise ValueError(f"n must be > 0: {n!r}")
    matcher = difflib.SequenceMatcher()
    matcher.set_seq2(word.lower())
    bounded: list[tuple[float, str]] = []
    for candidate in by_lower:
        matcher.set_seq1(candidate)
        if matcher.real_quick_ratio() >= cutoff and (bound := matcher.quick_ratio()) >= cutoff:
            bounded.append((bound, candidate))
    bounded.sort(reverse=True)
    best: list[tuple[float, str]] = []  # a heap of the n best (ratio, word), the worst first
    for bound, candidate in bounded:
        if len(best) == n and bound < best[0][0]:
            break
        matcher.set_seq1(candidate)
        found = (matcher.ratio(), candidate)
        if found[0] < cutoff:
            continue
        if len(best) < n:
            heapq.heappush(best, found)
        elif found > best[0]:
            heapq.heapreplace(best, found)
    return tuple(by_lower[m] for _, m in sorted(best, reverse=True))


@functools.cache
def _keywords_by_lower_sorted() -> dict[str, str]:
    return _by_lower(sorted(keyword_dict))


@functools.lru_cache(maxsize=1024)
def suggest_keyword(word: str) -> tuple[str, ...]:
    """Return dictionary keywords close to ``word`` (remembered: each costs a pass over the dictionary)."""
    return _closest(word, _keywords_by_lower_sorted(), 3)
