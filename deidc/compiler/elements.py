"""Plan selectors → the exact elements they name, and what is certain about how they overlap.

Part of the rule analysis (:mod:`deidc.compiler.rules`): it reasons about a plan
without data, so it only knows what holds for *every* dataset. Exact selectors
(keywords, tags, keyword paths, item addresses, private-creator fields) name
elements by identity; expanders and lists depend on the data, so about them only
"may overlap" is ever said.
"""

from __future__ import annotations

import functools
from dataclasses import dataclass
from typing import Final

from pydicom.datadict import dictionary_has_tag, dictionary_VR, keyword_dict

from deidc.compiler import names
from deidc.plan import (
    SelectAddress,
    SelectAll,
    SelectFields,
    SelectGroup,
    SelectNothing,
    Selector,
    SelectPath,
    SelectPrivate,
    SelectTag,
    SelectValues,
)

#: the tags a plan never sees unless skipping is disabled (deidc's runtime skip list, which
#: follows deid's config.json): ALL does not reach them, so no certainty is claimed about them
SKIPPED: Final[frozenset[int]] = frozenset(int(keyword_dict[k]) for k in (
    "PixelData", "RedPaletteColorLookupTableData", "GreenPaletteColorLookupTableData",
    "BluePaletteColorLookupTableData", "VOILUTSequence", "FileMetaInformationGroupLength",
    "FileMetaInformationVersion", "TransferSyntaxUID", "ImplementationClassUID",
))


@dataclass(frozen=True, slots=True)
class Exact:
    """The elements an exact selector names.

    ``kind`` is ``tag`` (every element with the tag, at any depth), ``path`` (the element
    at this tag path from the top level, in any items), ``address`` (one element, items
    included) or ``private`` (a private element by its creator).
    """

    kind: str  #: tag, path, address or private
    tags: tuple[int, ...] = ()  #: the tags from the top level down (one for ``tag``)
    items: tuple[int, ...] = ()  #: item indexes, for ``address``
    private: tuple[int, str, int] | None = None  #: (group, lower-case creator, offset), for ``private``

    @property
    def tag(self) -> int | None:
        """Return the tag of the named element(s), None for a private-creator field."""
        return self.tags[-1] if self.tags else None

    @property
    def top_level(self) -> bool:
        """Return whether only a top-level element is named."""
        return self.kind in ("path", "address") and len(self.tags) == 1


def exact(selector: Selector) -> Exact | None:
    """Return the exact elements a selector names, or None if it is not exact."""
    match selector:
        case SelectTag(tag=tag):
            return Exact("tag", (tag,))
        case SelectPath(names=parts):
            tags = tuple(names.keyword_tag(p) for p in parts)
            if any(t is None for t in tags):
                return None
            return Exact("path", tuple(t for t in tags if t is not None))
        case SelectAddress(tags=tags, items=items):
            return Exact("address", tags, items)
        case SelectPrivate(group=group, creator=creator, offset=offset):
            return Exact("private", private=(group, creator.lower(), offset))
    return None


def top(tag: int) -> Exact:
    """Return the top-level element with this tag (what ADD writes)."""
    return Exact("path", (tag,))


def covers(selector: Selector, element: Exact) -> bool:
    """Return whether ``selector`` certainly selects every element ``element`` names."""
    if isinstance(selector, SelectAll):
        return element.kind == "private" or not SKIPPED.intersection(element.tags)
    other = exact(selector)
    if other is None:
        return False
    if other.kind == "private" or element.kind == "private":
        return other == element
    if other.kind == "tag":
        return element.tag == other.tag
    if other.kind == "path":
        return element.kind in ("path", "address") and element.tags == other.tags
    return element == other


def keep_hides(keep: Selector, element: Exact) -> bool:
    """Return whether a KEEP of ``keep`` hides every element ``element`` names (itself or an ancestor)."""
    if isinstance(keep, SelectAll):
        return True
    kept = exact(keep)
    if kept is None:
        return False
    if kept.kind == "private" or element.kind == "private":
        return kept == element
    if kept.kind == "tag":
        return element.tags == kept.tags if element.kind == "tag" else kept.tags[0] in element.tags
    size = len(kept.tags)
    if element.kind == "tag" or element.tags[:size] != kept.tags:
        return False
    return kept.kind == "path" or (element.kind == "address" and element.items[: size - 1] == kept.items)


def may_select(selector: Selector, element: Exact) -> bool:
    """Return whether ``selector`` might select one of the elements ``element`` names (conservative)."""
    if isinstance(selector, SelectNothing):
        return False
    if isinstance(selector, SelectGroup):
        group = element.private[0] if element.private is not None else (element.tag or 0) >> 16
        return group == selector.group
    other = exact(selector)
    if other is None:
        return True
    if other.kind == "private" or element.kind == "private":
        if other.kind == element.kind:
            return other == element
        tag = other.tag if other.tag is not None else element.tag
        return tag is None or bool((tag >> 16) & 1)
    if other.tag != element.tag:
        return False
    if "tag" in (other.kind, element.kind):
        return True
    if other.tags != element.tags:
        return False
    return "path" in (other.kind, element.kind) or other.items == element.items


def shields(selector: Selector) -> bool:
    """Return whether a REPLACE/JITTER of ``selector`` can spare elements from REMOVE (lists never do)."""
    return not isinstance(selector, (SelectValues, SelectFields, SelectNothing))


@functools.lru_cache(maxsize=4096)
def dictionary_vrs(tag: int) -> tuple[str, ...]:
    """Return the VRs the dictionary allows for a tag (``US or SS`` gives two), or () if unknown."""
    if not dictionary_has_tag(tag):
        return ()
    return tuple(vr.strip() for vr in str(dictionary_VR(tag)).split(" or "))


def element_vrs(element: Exact) -> tuple[str, ...]:
    """Return the dictionary VRs of the named element, or () if unknown (private, or not in the dictionary)."""
    return () if element.tag is None else dictionary_vrs(element.tag)


def describe(element: Exact) -> str:
    """Return the element as a person would write it: a keyword, a path or a tag."""
    if element.private is not None:
        group, creator, offset = element.private
        return f'({group:04X},"{creator}",{offset:02X})'
    words = [names.keyword_for(t) or f"({t >> 16:04X},{t & 0xFFFF:04X})" for t in element.tags]
    if element.kind == "address":
        parts = [words[0]]
        for item, word in zip(element.items, words[1:], strict=True):
            parts += [str(item), word]
        return "__".join(parts)
    return "__".join(words)
