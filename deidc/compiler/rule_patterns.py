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


@functools.cache
def _dictionary_text() -> str:
    """Return every keyword, name and private creator of pydicom's dictionaries, one per line (in no order)."""
    found: set[str] = set(_GENERIC_NAMES)
    for entry in DicomDictionary.values():
        found.update((entry[2], entry[4]))
    for repeater in RepeatersDictionary.values():
        found.update((repeater[2], repeater[4]))
    for creator, entries in private_dictionaries.items():
        found.add(creator)
        found.update(f"[{e[2]}]" for e in entries.values())
    return "\n".join(t for t in found if t)  # unsorted: a search finds a line or not, wherever it stands


@functools.lru_cache(maxsize=4096)
def matches_nothing(kind: PatternKind, pattern: str) -> bool:
    """Return whether an expander's pattern certainly matches no element of any file."""
    alternatives = pattern.split("|")
    if not all(_PLAIN.fullmatch(a) for a in alternatives):
        return False  # regex syntax (or an empty alternative, which matches everything)
    if any(set(a) <= _HEX or "__" in a for a in alternatives):
        return False  # could be part of a tag text, a private tag, or span a nested name
    body = "|".join(alternatives)
    regex = {PatternKind.STARTSWITH: f"^(?:{body})", PatternKind.ENDSWITH: f"(?:{body})$"}.get(kind, body)
    return re.search(regex, _dictionary_text(), re.IGNORECASE | re.MULTILINE) is None


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
