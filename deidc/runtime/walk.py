"""The elements a plan may act on: :class:`Entry`, and what finding them needs.

An element's address is a tuple of tags and item indexes; ``uid`` is deid's string
form of it. The walk that makes the working set, in deid's order, is in
:mod:`deidc.runtime.workset`.
"""

from __future__ import annotations

import functools
from typing import Final

from pydicom.datadict import keyword_for_tag, tag_for_keyword
from pydicom.dataelem import DataElement, RawDataElement, convert_raw_data_element
from pydicom.dataset import Dataset
from pydicom.tag import BaseTag
from pydicom.valuerep import AMBIGUOUS_VR

from deidc.runtime import rawseq
from deidc.runtime.rawseq import LazyItem

#: elements deid never lets a recipe see, with their subtrees (unless skip is disabled)
DEFAULT_SKIP: Final[frozenset[str]] = frozenset({
    "PixelData", "RedPaletteColorLookupTableData", "GreenPaletteColorLookupTableData",
    "BluePaletteColorLookupTableData", "VOILUTSequence", "FileMetaInformationGroupLength",
    "FileMetaInformationVersion", "TransferSyntaxUID", "ImplementationClassUID",
})


_CHARSET: Final = 0x00080005
#: VRs whose decoding may need the element's dataset (a dictionary or private look-up, a sequence)
_IN_CONTEXT: Final = frozenset({None, "UN", "SQ"})


@functools.lru_cache(maxsize=65536)
def tag_text(tag: int) -> str:
    """Return a tag as deid and pydicom 3 print it: ``(0010,0020)``."""
    return f"({tag >> 16:04X},{tag & 0xFFFF:04X})"


def address_uid(address: tuple[int, ...]) -> str:
    """Return deid's uid string for an address ``(tag, index, tag, ...)``."""
    return "__".join(tag_text(part) if i % 2 == 0 else str(part) for i, part in enumerate(address))


class Entry:
    """One element of the working set, with where it lives (its value is read only when needed)."""

    __slots__ = ("address", "_container", "names", "filemeta", "creator", "alive", "up", "cleared", "tag", "vr",
                 "raw", "source", "decided", "detached", "slot", "_element", "_identity", "_uid")

    def __init__(self, address: tuple[int, ...], element: DataElement | None, parent: Dataset | LazyItem,
                 names: tuple[str, ...], filemeta: bool, creator: str | None, up: Entry | None = None,
                 vr: str | None = None, raw: RawDataElement | None = None) -> None:
        """Record an element (or only its tag and VR), its address, its container and its keyword path."""
        self.address = address  #: tags and item indexes from the top level
        self._container = parent
        self.names = names  #: keywords from the top level ('' for private elements)
        self.filemeta = filemeta  #: whether it is a file-meta element
        self.creator = creator  #: the private creator of its block, if private
        self.alive = True  #: False once removed
        self.up = up  #: the entry of the sequence that holds it, if nested
        self.cleared = False  #: True once a sequence is blanked (its items are gone)
        self.tag = address[-1]  #: the element's tag as an int
        self._element = element
        #: the element as read from the file, while it has not been decoded or replaced (else None)
        self.raw = raw if element is None else None
        #: the element as read from the file (kept after decoding), if it was read raw
        self.source = raw
        #: the runtime's (index, decision) for this entry's identity, kept to skip a look-up
        self.decided: tuple[object, object] | None = None
        #: the element was decoded on its own, from an item still read as bytes: it is not in a dataset
        self.detached = False
        #: its position in its working set (:class:`~deidc.runtime.workset.WorkingSet`)
        self.slot = -1
        self.vr: str = vr if vr is not None else (element.VR if element is not None else "UN")  #: its VR
        self._identity: tuple[object, ...] | None = None
        self._uid: str | None = None

    @property
    def parent(self) -> Dataset:
        """Return the dataset (or file meta, or item) that holds the element.

        An item read from raw bytes becomes a dataset here, when first needed.
        """
        container = self._container
        if isinstance(container, LazyItem):
            container = self._container = container.resolve()
        return container

    @property
    def element(self) -> DataElement:
        """Return the live element (pydicom converts a raw element on first access)."""
        if self._element is None:
            container, raw = self._container, self.raw
            if raw is not None and raw.VR not in _IN_CONTEXT and isinstance(container, LazyItem) \
                    and container.deferrable:  # decoded as the item's dataset would, without making it
                self._element = convert_raw_data_element(raw, encoding=container.tree.encoding)
                self.raw = None
                self.detached = True
                return self._element
            parent = self.parent
            if raw is not None and _plainly_decoded(parent, self.tag, raw):  # as parent[tag] would, faster
                self._element = parent._dict[raw.tag] = convert_raw_data_element(
                    raw, encoding=parent.original_character_set or parent._character_set, ds=parent)
            elif raw is not None and self.tag not in parent:  # removed before it was ever read
                self._element = convert_raw_data_element(raw, ds=parent)
            else:
                self._element = self.parent[self.tag]
            self.raw = None
        return self._element

    @property
    def is_raw(self) -> bool:
        """Return whether the element has not been read (decoded) yet."""
        return self._element is None

    def set_element(self, element: DataElement) -> None:
        """Record the element object that now holds this entry's value."""
        self._element = element
        self.raw = None
        self.detached = False

    def put(self, element: DataElement | RawDataElement) -> rawseq.Tree | None:
        """Make ``element`` the element of this entry in its container (the runtime's only replacement).

        In an item still read as bytes, the replacement is recorded for
        :meth:`~deidc.runtime.rawseq.Tree.write`; its tree is returned (else None). A
        ``RawDataElement`` (a new value already encoded) is stored as pydicom's reader stores
        one, and the entry reads it back as it reads an element not decoded yet.
        """
        container = self._container
        if isinstance(element, RawDataElement):
            self._element, self.raw, self.detached = None, element, False
            return put_raw(container, self.tag, element)
        self.set_element(element)
        if isinstance(container, LazyItem) and container.deferrable:
            return container.edit(self.tag, element)
        self.parent[self.tag] = element
        return None

    def drop(self) -> rawseq.Tree | None:
        """Remove the element from its container (see :func:`drop_from`); see :meth:`put` for the tree returned."""
        self.alive = False
        return drop_from(self._container, self.tag)

    @property
    def live_container(self) -> bool:
        """Return whether the items of this entry (a sequence) are still present: it is live and not blanked."""
        return not self.cleared and self.live

    @property
    def live(self) -> bool:
        """Return whether this element and every sequence above it are still present."""
        if not self.alive:
            return False
        entry = self.up
        while entry is not None:
            if not entry.alive or entry.cleared:
                return False
            entry = entry.up
        return True

    @property
    def uid(self) -> str:
        """Return deid's uid string of this element."""
        if self._uid is None:
            up = self.up
            address = self.address
            if len(address) == 1:
                self._uid = tag_text(address[0])
            elif up is not None and up.address == address[:-2]:  # the sequence's uid, then the item and the tag
                self._uid = f"{up.uid}__{address[-2]}__{tag_text(address[-1])}"
            else:  # an entry made without its sequence's entry
                self._uid = address_uid(address)
        return self._uid

    @property
    def nested_name(self) -> str:
        """Return deid's nested name: keywords joined by ``__``."""
        return "__".join(self.names)

    @property
    def identity(self) -> tuple[object, ...]:
        """Return what selectors that ignore values and item indexes may depend on."""
        if self._identity is None:
            self._identity = (self.names, self.tag, self.vr, self.creator)
        return self._identity


def _plainly_decoded(dataset: Dataset, tag: int, raw: RawDataElement) -> bool:
    """Return whether ``dataset[tag]`` would only convert ``raw`` and store the element.

    That is, for an element stored raw, read already (not deferred), with its VR (not one
    that needs the dataset to tell) and not one pydicom does more for: a private element
    (its creator is recorded), the Specific Character Set (decoded as ASCII) and the
    elements pydicom watches (pixel data, a sequence, an ambiguous VR).
    """
    return (raw.VR not in _IN_CONTEXT and raw.VR not in AMBIGUOUS_VR and not tag >> 16 & 1 and tag != _CHARSET
            and tag >> 16 != 0x7FE0 and isinstance(raw.value, bytes) and dataset._dict.get(raw.tag) is raw)


def put_raw(container: Dataset | LazyItem, tag: int, element: RawDataElement) -> rawseq.Tree | None:
    """Store a raw element (a new value already encoded) in a container, as pydicom's reader stores one.

    In an item still read as bytes (when its edits may wait), the replacement is recorded
    for :meth:`~deidc.runtime.rawseq.Tree.write` and its tree is returned (else None).
    """
    if isinstance(container, LazyItem):
        if container.deferrable:
            return container.edit(tag, element)
        container = container.resolve()
    container._dict[element.tag] = element  # (no conversion, of private elements either)
    return None


def drop_from(container: Dataset | LazyItem, tag: int, key: BaseTag | None = None) -> rawseq.Tree | None:
    """Remove an element from its container: the runtime's only removal.

    In an item still read as bytes (when its edits may wait), the removal is recorded for
    :meth:`~deidc.runtime.rawseq.Tree.write` and its tree is returned (else None). ``key``:
    the tag as the element holds it (the dataset's own key object, found without comparing).
    """
    if isinstance(container, LazyItem):
        if container.deferrable:
            return container.edit(tag, None)
        container = container.resolve()
    if key is None:
        key = BaseTag(tag)  # pydicom converts anything else to one, twice
    stored = getattr(container, "_dict", None)
    if isinstance(stored, dict) and not (tag >> 16 & 1 and tag & 0xFF00 == 0) and tag >> 16 != 0x7FE0:
        stored.pop(key, None)  # what ``del`` does there: not a private creator, no pixel cache to reset
    elif key in container:
        del container[key]
    return None


@functools.lru_cache(maxsize=8192)
def keyword_of(tag: int) -> str:
    """Return the dictionary keyword of a tag ('' for private and unknown tags), repeating groups included."""
    return str(keyword_for_tag(tag))


@functools.lru_cache(maxsize=64)
def skip_tags(skip: frozenset[str]) -> frozenset[int]:
    """Return the tags named in a skip list of keywords and ``(gggg,eeee)`` strings."""
    tags = set()
    for item in skip:
        tag = tag_for_keyword(item)
        if tag is not None:
            tags.add(int(tag))
        elif len(item) == 11 and item[0] == "(" and item[5] == "," and item[10] == ")":
            try:
                tags.add(int(item[1:5] + item[6:10], 16))
            except ValueError:
                continue
    return frozenset(tags)


def private_creator(dataset: Dataset, tag: int) -> str | None:
    """Return the creator of a private element's block, or None."""
    group, element = tag >> 16, tag & 0xFFFF
    if not group % 2 or element < 0x1000:
        return None
    creator_tag = (group << 16) | (element >> 8)
    stored = getattr(dataset, "_dict", {}).get(creator_tag)  # pydicom's store: no Tag() conversion
    if isinstance(stored, RawDataElement):
        text = rawseq.creator_text(stored)  # not decoded: read from its bytes when that is exact
        if text is not None:
            return text
    if creator_tag not in dataset:
        return None
    value = dataset[creator_tag].value
    return value if isinstance(value, str) else None


def members(container: Dataset | LazyItem) -> list[tuple[int, DataElement | RawDataElement]]:
    """Return a container's elements (raw or decoded, deferred ones read) with int tags, in tag order.

    An item read from bytes gives its own list (in tag order already): the caller must not change it.
    """
    if isinstance(container, LazyItem):
        return container.members  # type: ignore[return-value]
    stored = getattr(container, "_dict", None)  # pydicom's own store: no Tag() conversion per element
    if not isinstance(stored, dict):
        return [(int(tag), container.get_item(tag)) for tag in sorted(container.keys(), key=int)]
    tags = list(map(int, stored))  # plain ints: compared in C, where pydicom's tags compare in Python
    found = list(zip(tags, stored.values(), strict=True))
    if tags != sorted(tags):
        found.sort(key=_first)
    for position, (tag, element) in enumerate(found):
        if isinstance(element, RawDataElement) and element.value is None and element.length:
            found[position] = (tag, container.get_item(tag))  # a deferred read
    return found


def _first(pair: tuple[int, object]) -> int:
    return pair[0]
