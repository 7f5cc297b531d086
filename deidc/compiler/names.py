"""Closed vocabularies of the language and name resolution against pydicom's dictionary.

Part of the compiler stage: words of the AST → enums, keywords → tags.
"""

from __future__ import annotations

import difflib
import functools
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
    vocab = list(vocabulary)
    by_lower: dict[str, str] = {}
    for v in vocab:
        by_lower.setdefault(v.lower(), v)
    matches = difflib.get_close_matches(word.lower(), list(by_lower), n=n, cutoff=0.6)
    return tuple(by_lower[m] for m in matches)


@functools.cache
def _keyword_list() -> tuple[str, ...]:
    return tuple(sorted(keyword_dict))


def suggest_keyword(word: str) -> tuple[str, ...]:
    """Return dictionary keywords close to ``word``."""
    return suggest(word, _keyword_list())
