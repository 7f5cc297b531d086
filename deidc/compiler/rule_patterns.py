"""Expander patterns against the DICOM dictionary: a compiled ``Plan`` → warnings.

``contains:``, ``startswith:``, ``endswith:`` and ``except:`` search each element's
keyword, name, nested name (``Seq__Child``), tag texts (``(0010,0020)``, ``00100020``)
and private-creator forms. Which tags and creators a file holds is not known before
it is read, so a pattern is reported only when it is certain to match nothing: every
alternative is plain text (no regex syntax), none could be part of a tag or a nested
name, and none is found in the keywords and names of pydicom's dictionaries (public,
repeating and private, with the private creators).
"""

from __future__ import annotations

import functools
import itertools
import operator
import re
from collections.abc import Iterable, Iterator
from typing import Final

from pydicom._dicom_dict import DicomDictionary, RepeatersDictionary
from pydicom._private_dict import private_dictionaries

from deidc import codes
from deidc.compiler import names
from deidc.compiler.where import Where
from deidc.diagnostics import Diagnostic, make
from deidc.plan import Origin, PatternKind, Plan, Selector, SelectPattern

#: an alternative that is plain text: nothing in it has a meaning in a regular expression
_PLAIN: Final = re.compile(r"[A-Za-z0-9_'\-]+")
_HEX: Final = frozenset("0123456789abcdefABCDEF")
#: names pydicom gives elements that have no dictionary entry of their own
_GENERIC_NAMES: Final = ("Private Creator", "Private tag data", "Group Length", "Unknown")


class _Lines:
    """Names, one per line, made to be searched for plain text, case-insensitively, fast.

    The ASCII names are lower-cased, each between two newlines, so that a plain alternative is
    found by ``in`` (a C search for a substring), as ``re.IGNORECASE`` finds it: for ASCII text,
    ignoring case is lower-casing both sides. The other names (Greek letters in a few private
    names) are searched with ``re.IGNORECASE``, which folds some letters as ``str.lower`` does not.
    """

    __slots__ = ("ascii", "other")

    def __init__(self, found: list[str]) -> None:
        text = "\n".join(found)  # an empty name makes an empty line, where no alternative is found
        other = ""
        if not text.isascii():
            other = "\n".join(t for t in found if not t.isascii())
            text = "\n".join(t for t in found if t.isascii())
        self.ascii = f"\n{text.lower()}\n"  #: the ASCII names, lower-cased, each between newlines
        self.other = other  #: the others, as written, one per line

    def has(self, kind: PatternKind, alternatives: Iterable[str]) -> bool:
        """Return whether some name starts with, ends with or contains (by ``kind``) an alternative."""
        for alternative in alternatives:
            plain = alternative.lower()
            if kind is PatternKind.STARTSWITH:
                found, regex = f"\n{plain}" in self.ascii, f"^(?:{alternative})"
            elif kind is PatternKind.ENDSWITH:
                found, regex = f"{plain}\n" in self.ascii, f"(?:{alternative})$"
            else:
                found, regex = plain in self.ascii, alternative
            if found or (self.other and re.search(regex, self.other, re.IGNORECASE | re.MULTILINE)):
                return True
        return False


@functools.cache
def _public_names() -> _Lines:
    """Return every keyword and name of pydicom's public dictionaries (in no order, repeats kept)."""
    found: list[str] = list(_GENERIC_NAMES)
    for dictionary in (DicomDictionary, RepeatersDictionary):  # map and itemgetter: the loops run in C
        found += itertools.chain(map(operator.itemgetter(2), dictionary.values()),
                                 map(operator.itemgetter(4), dictionary.values()))
    return _Lines(found)


@functools.cache
def _private_names() -> _Lines:
    """Return every private creator and private element name (as ``[name]``) of pydicom."""
    found: list[str] = list(private_dictionaries)
    for entries in private_dictionaries.values():
        found += map("[{0[2]}]".format, entries.values())
    return _Lines(found)


@functools.lru_cache(maxsize=4096)
def matches_nothing(kind: PatternKind, pattern: str) -> bool:
    """Return whether an expander's pattern certainly matches no element of any file."""
    alternatives = pattern.split("|")
    if not all(_PLAIN.fullmatch(a) for a in alternatives):
        return False  # regex syntax (or an empty alternative, which matches everything)
    if any(set(a) <= _HEX or "__" in a for a in alternatives):
        return False  # could be part of a tag text, a private tag, or span a nested name
    # the private dictionaries only when the public ones have no match
    return not any(lines().has(kind, alternatives) for lines in (_public_names, _private_names))


def _patterns(plan: Plan) -> Iterable[tuple[Selector, Origin]]:
    for step in plan.steps:
        yield step.selector, step.origin
    for values in plan.values:
        for line in values.steps:
            yield line.selector, line.origin
    for fields in plan.fields:
        for line in fields.steps:
            yield line.selector, line.origin


def check_patterns(plan: Plan, where: Where) -> Iterator[Diagnostic]:
    """Report expander patterns that match no keyword, name or tag of the DICOM dictionary."""
    for selector, origin in _patterns(plan):
        if not isinstance(selector, SelectPattern) or not matches_nothing(selector.kind, selector.pattern):
            continue
        field = f"{selector.kind.value}:{selector.pattern}"
        if selector.kind is PatternKind.EXCEPT:
            message = f"'{field}' spares nothing: '{selector.pattern}' is in no keyword, name or tag of the DICOM " \
                      "dictionary"
        else:
            message = f"'{field}' matches no keyword, name or tag of the DICOM dictionary"
        close = names.suggest_keyword(selector.pattern) if "|" not in selector.pattern else ()
        suggestions = tuple(f"{selector.kind.value}:{k}" for k in close)
        yield make(codes.PATTERN_MATCHES_NOTHING, message, where.target(origin), path=origin.path,
                   suggestions=suggestions, help=None if suggestions else
                   "check the spelling: the pattern is searched in keywords (PatientID), names (Patient ID) and tags")
