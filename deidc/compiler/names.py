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
    return _closest(word, _Vocabulary(_by_lower(vocabulary)), n)


def _by_lower(vocabulary: Iterable[str]) -> dict[str, str]:
    """Return the words by their lower case (of words that differ only by case, the first)."""
    by_lower: dict[str, str] = {}
    for v in vocabulary:
        by_lower.setdefault(v.lower(), v)
    return by_lower


class _Vocabulary:
    """Words to suggest, by length (``real_quick_ratio``, the loosest bound, depends on lengths only)."""

    __slots__ = ("by_length", "by_lower")

    def __init__(self, by_lower: dict[str, str]) -> None:
        self.by_lower = by_lower  #: the words, by their lower case
        self.by_length: dict[int, list[str]] = {}  #: the lower-case words of each length
        for word in by_lower:
            self.by_length.setdefault(len(word), []).append(word)


def _ratio(matches: int, length: int) -> float:
    """Return ``2 * matches / length`` as difflib computes its ratios (1.0 for two empty words)."""
    return 2.0 * matches / length if length else 1.0


def _closest(word: str, vocabulary: _Vocabulary, n: int, cutoff: float = 0.6) -> tuple[str, ...]:
    """Return what ``difflib.get_close_matches(word.lower(), words, n, cutoff)`` returns, mapped back.

    The same result for less work. ``get_close_matches`` computes, for every word, two upper
    bounds of ``ratio``: ``real_quick_ratio`` (from the two lengths), then ``quick_ratio`` (from
    the letters in common, repeats counted); then ``ratio`` itself for each word whose bounds
    reach ``cutoff``, and keeps the ``n`` best. Here the words are taken best bound first, with
    one more bound between the two: the letters of a word that ``word`` has at all (one
    ``str.translate`` call, in C), which is at least the letters in common. A word's next bound,
    or its ratio, is computed only when its current bound is the highest left, and the search
    stops when that bound falls below the ``n``-th best ratio found: no word left can enter the
    ``n`` best, not even by a tie. Every bound is exact arithmetic on whole numbers of letters.
    """
    if n <= 0:
        raise ValueError(f"n must be > 0: {n!r}")
    lower = word.lower()
    size = len(lower)
    absent = str.maketrans("", "", lower)  # deletes the letters of ``word``
    lengths = sorted(((_ratio(min(size, length), size + length), length) for length in vocabulary.by_length),
                     reverse=True)
    lengths.reverse()  # the best bound last, to pop
    matcher = difflib.SequenceMatcher()
    matcher.set_seq2(lower)
    pending: list[tuple[float, int, str]] = []  # a heap of (-bound, next step, word), the best bound first
    best: list[tuple[float, str]] = []  # a heap of the n best (ratio, word), the worst first
    while True:
        floor = best[0][0] if len(best) == n else cutoff  # a bound below this cannot make it
        top = -pending[0][0] if pending else -1.0
        if lengths and lengths[-1][0] >= max(top, floor):
            _, length = lengths.pop()
            total = size + length
            least = next(m for m in range(min(size, length) + 1) if _ratio(m, total) >= floor)  # letters needed
            for candidate in vocabulary.by_length[length]:
                if (common := length - len(candidate.translate(absent))) >= least:
                    heapq.heappush(pending, (-_ratio(min(size, common), total), 1, candidate))
            continue
        if top < floor:
            break
        _, step, candidate = heapq.heappop(pending)
        matcher.set_seq1(candidate)
        if step == 1:  # the letters in common, repeats counted
            if (bound := matcher.quick_ratio()) >= floor:
                heapq.heappush(pending, (-bound, 2, candidate))
            continue
        found = (matcher.ratio(), candidate)
        if found[0] < cutoff:
            continue
        if len(best) < n:
            heapq.heappush(best, found)
        elif found > best[0]:
            heapq.heapreplace(best, found)
    return tuple(vocabulary.by_lower[m] for _, m in sorted(best, reverse=True))


@functools.cache
def _keyword_vocabulary() -> _Vocabulary:
    by_lower = _keywords_by_lower()
    if len(by_lower) != len(keyword_dict):  # keywords that differ only by case: suggest the first, sorted
        by_lower = _by_lower(sorted(keyword_dict))
    return _Vocabulary(by_lower)


@functools.lru_cache(maxsize=1024)
def suggest_keyword(word: str) -> tuple[str, ...]:
    """Return dictionary keywords close to ``word`` (remembered: each costs a pass over the dictionary)."""
    return _closest(word, _keyword_vocabulary(), 3)
