"""Sequences walked from their raw bytes: the items' elements without pydicom datasets.

pydicom converts a sequence read from a file (a raw element) into ``Dataset`` items the
first time it is accessed, which costs far more than the elements themselves: most of a
nested file's walk went there. Yet a recipe usually reads a few of those elements and
changes fewer. So the walk reads the items of a raw sequence here, with :mod:`struct`,
into the same ``RawDataElement`` tuples pydicom's reader would make, and each item
stays a :class:`LazyItem` until something needs the real dataset (an element's value
decoded, an element removed or set): then pydicom converts the sequence as before, and
every item of it is that conversion's item.

Only what this reader is sure to read exactly as pydicom does is read here: explicit VR
(either byte order), items and elements of defined length (an item of undefined length
ends at its delimiter), known VRs, no repeated tag. Anything else (implicit VR, an
element of undefined length, a truncated or malformed value) is left to pydicom, as
before. A property test compares the two on real and generated files.
"""

from __future__ import annotations

import struct
from typing import TYPE_CHECKING, Final

from pydicom.dataelem import RawDataElement, empty_value_for_VR
from pydicom.dataset import Dataset
from pydicom.tag import BaseTag
from pydicom.valuerep import EXPLICIT_VR_LENGTH_32, STANDARD_VR

if TYPE_CHECKING:
    from deidc.runtime.walk import Entry

_ITEM: Final = 0xFFFEE000
_ITEM_END: Final = 0xFFFEE00D
_UNDEFINED: Final = 0xFFFFFFFF
#: the VRs this reader accepts, by their two bytes
_VRS: Final = {str(vr).encode("ascii"): str(vr) for vr in STANDARD_VR}
#: VRs whose explicit length takes 4 bytes (after 2 reserved ones)
_LONG: Final = frozenset(str(vr) for vr in EXPLICIT_VR_LENGTH_32)
_HEAD: Final = {True: struct.Struct("<HHL").unpack_from, False: struct.Struct(">HHL").unpack_from}
_ELEMENT: Final = {True: struct.Struct("<HH2sH").unpack_from, False: struct.Struct(">HH2sH").unpack_from}
_LENGTH: Final = {True: struct.Struct("<L").unpack_from, False: struct.Struct(">L").unpack_from}
#: bytes a private creator may hold for it to be read here (printable ASCII, NUL padding)
_PLAIN: Final = bytes(range(0x20, 0x7F)) + b"\x00"

Members = list[tuple[int, RawDataElement]]


def read_items(raw: RawDataElement) -> list[Members] | None:
    """Return the items of a raw explicit-VR sequence as ``(tag, raw element)`` lists, in file order.

    Returns None whenever pydicom's own reader must read it (see the module docstring).
    Each element is the ``RawDataElement`` pydicom's reader would make, down to its
    ``value_tell`` (the value's offset in the sequence's value).
    """
    value = raw.value
    if raw.is_implicit_VR or not value or not isinstance(value, bytes):
        return None
    little = bool(raw.is_little_endian)
    head, element, long_length = _HEAD[little], _ELEMENT[little], _LENGTH[little]
    end = len(value)
    position = 0
    items: list[Members] = []
    try:
        while position < end:
            group, number, length = head(value, position)
            if group << 16 | number != _ITEM:
                return None
            position += 8
            undefined = length == _UNDEFINED
            stop = end if undefined else position + length
            if stop > end:
                return None
            members: Members = []
            seen: set[int] = set()
            closed = False
            while position < stop:
                group, number, code, length = element(value, position)
                tag = group << 16 | number
                if tag == _ITEM_END and undefined:
                    position += 8
                    closed = True
                    break
                vr = _VRS.get(code)
                if vr is None or group == 0xFFFE or tag in seen:
                    return None
                position += 8
                if vr in _LONG:
                    (length,) = long_length(value, position)
                    position += 4
                if length == _UNDEFINED:
                    return None
                tell = position
                position += length
                if position > stop:
                    return None
                data = value[tell:position] if length else empty_value_for_VR(vr, raw=True)
                seen.add(tag)
                members.append((tag, RawDataElement(BaseTag(tag), vr, length, data, tell, False, little)))  # type: ignore[arg-type]
            if undefined and not closed:
                return None
            items.append(members)
    except struct.error:  # truncated
        return None
    return items


class LazyItem:
    """One item of a sequence read by :func:`read_items`: its elements, and the dataset once needed."""

    __slots__ = ("sequence", "index", "members", "_dataset")

    def __init__(self, sequence: Entry, index: int, members: Members) -> None:
        """Record the sequence's entry, the item's index and its raw elements."""
        self.sequence = sequence  #: the entry of the sequence that holds the item
        self.index = index  #: the item's index in the sequence
        self.members = members  #: the item's raw elements, in file order
        self._dataset: Dataset | None = None

    def resolve(self) -> Dataset:
        """Return the item's dataset: pydicom converts the whole sequence the first time."""
        if self._dataset is None:
            items = self.sequence.element.value
            self._dataset = items[self.index]
        return self._dataset

    def creator(self, tag: int) -> str | None:
        """Return the private creator of a private element's block in this item, or None."""
        creator_tag = (tag & 0xFFFF0000) | ((tag & 0xFFFF) >> 8)
        for number, raw in self.members:
            if number == creator_tag:
                data = raw.value
                if raw.VR == "LO" and isinstance(data, bytes) and b"\\" not in data \
                        and not data.translate(None, _PLAIN):
                    return data.decode("ascii").rstrip("\x00 ")
                value = self.resolve()[creator_tag].value  # anything else: as pydicom reads it
                return value if isinstance(value, str) else None
        return None
