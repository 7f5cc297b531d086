"""The working set: a pydicom ``Dataset`` → the ordered elements a plan may act on.

The order is deid's: top-level elements in tag order, then file-meta elements, then
the elements of sequence items, level by level. An element's address is a tuple of
tags and item indexes; ``uid`` is deid's string form of it.
"""

from __future__ import annotations

from collections.abc import Iterator
from typing import Final

from pydicom.dataelem import DataElement
from pydicom.dataset import Dataset
from pydicom.tag import BaseTag

#: elements deid never lets a recipe see, with their subtrees (unless skip is disabled)
DEFAULT_SKIP: Final[frozenset[str]] = frozenset({
    "PixelData", "RedPaletteColorLookupTableData", "GreenPaletteColorLookupTableData",
    "BluePaletteColorLookupTableData", "VOILUTSequence", "FileMetaInformationGroupLength",
    "FileMetaInformationVersion", "TransferSyntaxUID", "ImplementationClassUID",
})


def tag_text(tag: int) -> str:
    """Return a tag as deid and pydicom 3 print it: ``(0010,0020)``."""
    return f"({tag >> 16:04X},{tag & 0xFFFF:04X})"


def address_uid(address: tuple[int, ...]) -> str:
    """Return deid's uid string for an address ``(tag, index, tag, ...)``."""
    return "__".join(tag_text(part) if i % 2 == 0 else str(part) for i, part in enumerate(address))


class Entry:
    """One element of the working set, with where it lives."""

    __slots__ = ("address", "element", "parent", "names", "filemeta", "creator", "alive", "up")

    def __init__(self, address: tuple[int, ...], element: DataElement, parent: Dataset, names: tuple[str, ...],
                 filemeta: bool, creator: str | None, up: Entry | None = None) -> None:
        """Record an element, its address, its container and its keyword path."""
        self.address = address  #: tags and item indexes from the top level
        self.element = element  #: the live element
        self.parent = parent  #: the dataset (or file meta, or item) that holds it
        self.names = names  #: keywords from the top level ('' for private elements)
        self.filemeta = filemeta  #: whether it is a file-meta element
        self.creator = creator  #: the private creator of its block, if private
        self.alive = True  #: False once removed
        self.up = up  #: the entry of the sequence that holds it, if nested

    @property
    def live(self) -> bool:
        """Return whether this element and every sequence above it are still present."""
        entry: Entry | None = self
        while entry is not None:
            if not entry.alive:
                return False
            entry = entry.up
        return True

    @property
    def tag(self) -> int:
        """Return the element's tag as an int."""
        return int(self.element.tag)

    @property
    def uid(self) -> str:
        """Return deid's uid string of this element."""
        return address_uid(self.address)

    @property
    def nested_name(self) -> str:
        """Return deid's nested name: keywords joined by ``__``."""
        return "__".join(self.names)

    @property
    def identity(self) -> tuple[object, ...]:
        """Return what selectors that ignore values and item indexes may depend on."""
        return (self.names, int(self.element.tag), self.element.VR, self.creator)


def private_creator(dataset: Dataset, tag: BaseTag) -> str | None:
    """Return the creator of a private element's block, or None."""
    if not tag.is_private or tag.element < 0x1000:
        return None
    creator = dataset.get((tag.group, tag.element >> 8))
    if creator is None:
        return None
    value = creator.value
    return value if isinstance(value, str) else None


def walk(dataset: Dataset, skip: frozenset[str] = DEFAULT_SKIP) -> Iterator[Entry]:
    """Yield the working set of a dataset in deid's order, leaving out skipped elements."""
    queue: list[tuple[Dataset, tuple[int, ...], tuple[str, ...], bool, Entry | None]] = [(dataset, (), (), False, None)]
    meta = getattr(dataset, "file_meta", None)
    if meta is not None:
        queue.append((meta, (), (), True, None))
    head = 0
    while head < len(queue):
        container, prefix, names, filemeta, up = queue[head]
        head += 1
        for element in _elements(container):
            tag = element.tag
            keyword = element.keyword
            if skip and (keyword in skip or tag_text(tag) in skip):
                continue
            address = (*prefix, int(tag))
            path = (*names, keyword)
            entry = Entry(address, element, container, path, filemeta, private_creator(container, tag), up)
            yield entry
            if element.VR == "SQ" and element.value is not None:
                for index, item in enumerate(element.value):
                    queue.append((item, (*address, index), path, False, entry))


def _elements(container: Dataset) -> Iterator[DataElement]:
    for tag in sorted(container.keys()):
        yield container[tag]
