"""Sequences walked from their raw bytes: the items' elements without pydicom datasets.

pydicom converts a sequence read from a file (a raw element) into ``Dataset`` items the
first time it is accessed, which costs far more than the elements themselves: most of a
nested file's walk went there. Yet a recipe usually reads a few of those elements and
changes fewer. So the walk reads the items of a raw sequence here, with :mod:`struct`,
into the same ``RawDataElement`` tuples pydicom's reader would make, and each item
stays a :class:`LazyItem` until something needs the real dataset (an element's value
decoded, an element removed or set): then pydicom converts the sequence as before, and
every item of it is that conversion's item.

Edits wait too: removing or replacing an element of an item still read as bytes is
recorded in the item, and when the run is over the sequence's bytes are rebuilt with
the edits (:class:`Tree`), the untouched elements copied as read. A value inside is
decoded on its own, as the item's dataset would decode it, so reading it does not
convert the sequence either. A recipe that calls a caller's function (which gets the
dataset itself) has every edit made in the datasets at once, as before.

Only what this reader is sure to read exactly as pydicom does is read here: explicit VR
(either byte order), items and elements of defined length (an item of undefined length
ends at its delimiter), known VRs, no repeated tag. Anything else (implicit VR, an
element of undefined length, a truncated or malformed value) is left to pydicom, as
before. A property test compares the two on real and generated files.
"""

from __future__ import annotations

import contextlib
import struct
from collections.abc import MutableSequence
from typing import TYPE_CHECKING, Final, NamedTuple

from pydicom.charset import default_encoding
from pydicom.dataelem import DataElement, RawDataElement, empty_value_for_VR
from pydicom.dataset import Dataset
from pydicom.filebase import DicomBytesIO
from pydicom.filewriter import write_data_element
from pydicom.valuerep import EXPLICIT_VR_LENGTH_32, STANDARD_VR

from deidc.runtime.tags import TAGS, base_tag

if TYPE_CHECKING:
    from deidc.runtime.walk import Entry

_CHARSET: Final = 0x00080005
_ITEM: Final = 0xFFFEE000
_ITEM_END: Final = 0xFFFEE00D
#: the length field of an element or item of undefined length
UNDEFINED_LENGTH: Final = 0xFFFFFFFF
#: the VRs this reader (and :mod:`deidc.runtime.reader`) accepts, by their two bytes
VRS: Final = {str(vr).encode("ascii"): str(vr) for vr in STANDARD_VR}
#: VRs whose explicit length takes 4 bytes (after 2 reserved ones)
LONG_LENGTH_VRS: Final = frozenset(str(vr) for vr in EXPLICIT_VR_LENGTH_32)
_HEAD: Final = {True: struct.Struct("<HHL").unpack_from, False: struct.Struct(">HHL").unpack_from}
#: reads an explicit VR element's header with a 2-byte length (tag group, element, VR, length), by little endian
ELEMENT: Final = {True: struct.Struct("<HH2sH").unpack_from, False: struct.Struct(">HH2sH").unpack_from}
_LENGTH: Final = {True: struct.Struct("<L").unpack_from, False: struct.Struct(">L").unpack_from}
#: bytes a private creator may hold for it to be read here (printable ASCII, NUL padding)
_PLAIN: Final = bytes(range(0x20, 0x7F)) + b"\x00"

Members = list[tuple[int, RawDataElement]]
#: makes a RawDataElement from all its fields (is_raw, is_buffered last), without the named tuple's own __new__
new_raw: Final = tuple.__new__


class RawItem(NamedTuple):
    """One item as read from a sequence's bytes."""

    members: Members  #: ``(tag, raw element)`` pairs, in tag order
    undefined: bool  #: whether the item has an undefined length (it ends with a delimiter)


def read_items(raw: RawDataElement) -> list[RawItem] | None:
    """Return the items of a raw explicit-VR sequence, their ``(tag, raw element)`` pairs in tag order.

    Returns None whenever pydicom's own reader must read it (see the module docstring).
    Each element is the ``RawDataElement`` pydicom's reader would make, down to its
    ``value_tell`` (the value's offset in the sequence's value).
    """
    value = raw.value
    if raw.is_implicit_VR or not value or not isinstance(value, bytes):
        return None
    little = bool(raw.is_little_endian)
    head, element, long_length = _HEAD[little], ELEMENT[little], _LENGTH[little]
    end = len(value)
    position = 0
    items: list[RawItem] = []
    try:
        while position < end:
            group, number, length = head(value, position)
            if group << 16 | number != _ITEM:
                return None
            position += 8
            undefined = length == UNDEFINED_LENGTH
            stop = end if undefined else position + length
            if stop > end:
                return None
            members: Members = []
            closed = False
            ordered, last = True, -1
            while position < stop:
                group, number, code, length = element(value, position)
                tag = group << 16 | number
                if tag == _ITEM_END and undefined:
                    position += 8
                    closed = True
                    break
                vr = VRS.get(code)
                if vr is None or group == 0xFFFE:
                    return None
                if tag <= last:
                    if tag == last:
                        return None  # a repeated tag
                    ordered = False
                last = tag
                position += 8
                if vr in LONG_LENGTH_VRS:
                    (length,) = long_length(value, position)
                    position += 4
                if length == UNDEFINED_LENGTH:
                    return None
                tell = position
                position += length
                if position > stop:
                    return None
                data = value[tell:position] if length else empty_value_for_VR(vr, raw=True)
                key = TAGS.get(tag) or base_tag(tag)
                members.append((tag, new_raw(RawDataElement, (key, vr, length, data, tell, False, little, True,
                                                               False))))
            if undefined and not closed:
                return None
            if not ordered:
                members.sort(key=_first)  # out of order in the file (pydicom's dataset sorts them too)
                if any(one[0] == two[0] for one, two in zip(members, members[1:], strict=False)):
                    return None  # a repeated tag
            items.append(RawItem(members, undefined))
    except struct.error:  # truncated
        return None
    return items


class Tree:
    """The items read from the bytes of one sequence (the root: an element of a real dataset), at every depth.

    Removing or replacing an element of an item that is still only bytes is recorded in
    the item (:meth:`LazyItem.edit`) instead of converting the sequence. When the run is
    over, :meth:`write` rebuilds the root's bytes with the edits: the elements not edited
    are copied as they were read. Whenever an item must become a dataset before that
    (a value inside is read), every pending edit of the tree is carried out on the
    converted datasets first (:meth:`apply`), and the tree then goes through pydicom as
    any converted sequence does.
    """

    __slots__ = ("root", "items", "edited", "plain", "_encoding")

    def __init__(self, root: Entry, plain: bool = True) -> None:
        """Start the tree of a sequence's entry (``plain``: edits and reads may bypass pydicom's datasets)."""
        self.root = root  #: the sequence's entry
        self.items: list[LazyItem] = []  #: its items
        self.edited: list[LazyItem] = []  #: items with edits not yet carried out
        #: edits may wait and values may be read without datasets: no item declares its own
        #: character set (values are decoded and encoded in the root's), and the run allows it
        self.plain = plain
        self._encoding: str | MutableSequence[str] | None = None

    @property
    def encoding(self) -> str | MutableSequence[str]:
        """Return the character set the items' text is read in, as pydicom's datasets would read it."""
        if self._encoding is None:
            holder = self.root.parent
            self._encoding = holder.original_character_set or holder._character_set
        return self._encoding

    def apply(self) -> None:
        """Carry out every pending edit on the items' datasets (pydicom converts the sequence)."""
        edited, self.edited = self.edited, []
        for item in edited:
            if not item.sequence.live or item.sequence.cleared:
                item.edits = None
                continue  # the item went with its sequence (removed or blanked) and its edits with it
            dataset = item.resolve()
            for tag, element in (item.edits or {}).items():
                if element is None:
                    with contextlib.suppress(KeyError):
                        del dataset[tag]
                else:
                    dataset[tag] = element
            item.edits = None

    def release(self) -> None:
        """Drop the tree's links to its items (they link back to it), once its run is over.

        Without them the items and entries of a file are freed as soon as the file is
        done, not at the next cyclic collection. Edits no longer wait after this.
        """
        stack, self.items, self.edited, self.plain = self.items, [], [], False
        while stack:
            item = stack.pop()
            if item.children:
                for nested in item.children.values():
                    stack.extend(nested)
            item.children = None

    def write(self) -> None:
        """Carry out the pending edits: in the root's bytes when it is still unread, else on its datasets."""
        if not self.edited:
            return
        root = self.root
        if not root.live or root.cleared:
            self.edited = []  # gone with the sequence (removed or blanked)
            return
        if root.is_raw and self.plain and root.raw is not None and isinstance(root.raw.value, bytes):
            data = rebuild(self.items, root.raw.value, bool(root.raw.is_little_endian), _write_encoding(root))
            if data is not None:
                raw = root.raw._replace(value=data, length=len(data))
                root.parent[root.tag] = raw
                root.raw = raw
                for item in self.edited:
                    item.edits = None
                self.edited = []
                return
        self.apply()


class LazyItem:
    """One item of a sequence read by :func:`read_items`: its elements, and the dataset once needed."""

    __slots__ = ("sequence", "index", "members", "undefined", "tree", "children", "edits", "_dataset")

    def __init__(self, sequence: Entry, index: int, item: RawItem, tree: Tree) -> None:
        """Record the sequence's entry, the item's index, its raw elements and its tree."""
        self.sequence = sequence  #: the entry of the sequence that holds the item
        self.index = index  #: the item's index in the sequence
        self.members = item.members  #: the item's raw elements, in tag order
        self.undefined = item.undefined  #: whether the item has an undefined length
        self.tree = tree  #: the tree of the outermost sequence read from bytes
        #: the items of its sequences read from bytes, by tag (when edits may wait: see :meth:`link`)
        self.children: dict[int, list[LazyItem]] | None = None
        #: removals (None) and new elements not carried out yet, by tag
        self.edits: dict[int, DataElement | RawDataElement | None] | None = None
        self._dataset: Dataset | None = None

    def resolve(self) -> Dataset:
        """Return the item's dataset: pydicom converts the whole sequence the first time."""
        if self._dataset is None:
            items = self.sequence.element.value
            self._dataset = items[self.index]
            if self.tree.edited:
                self.tree.apply()
        return self._dataset

    def link(self, tag: int, items: list[LazyItem]) -> None:
        """Record the items of one of this item's sequences (for :func:`rebuild`)."""
        if self.children is None:
            self.children = {}
        self.children[tag] = items

    @property
    def deferrable(self) -> bool:
        """Return whether an edit of this item can wait, as bytes, for :meth:`Tree.write`."""
        return self._dataset is None and self.tree.plain and self.tree.root.is_raw

    def edit(self, tag: int, element: DataElement | RawDataElement | None) -> Tree:
        """Record the removal (None) or the new element of one of the item's elements; return the tree."""
        if self.edits is None:
            self.edits = {}
            self.tree.edited.append(self)
        self.edits[tag] = element
        return self.tree

    def creator(self, tag: int) -> str | None:
        """Return the private creator of a private element's block in this item, or None."""
        creator_tag = (tag & 0xFFFF0000) | ((tag & 0xFFFF) >> 8)
        for number, raw in self.members:
            if number == creator_tag:
                text = creator_text(raw)
                if text is not None:
                    return text
                value = self.resolve()[creator_tag].value  # anything else: as pydicom reads it
                return value if isinstance(value, str) else None
        return None


def creator_text(raw: RawDataElement) -> str | None:
    """Return a private creator's text from its raw bytes, as pydicom decodes it (None: leave it to pydicom).

    Only explicit LO holding printable ASCII (NUL padding allowed) and one value: every
    character set decodes that to the same text.
    """
    data = raw.value
    if raw.VR == "LO" and isinstance(data, bytes) and b"\\" not in data and not data.translate(None, _PLAIN):
        return data.decode("ascii").rstrip("\x00 ")
    return None


def _write_encoding(root: Entry) -> str | list[str]:
    """Return the character set pydicom's writer would encode the root's items in (as it stands now)."""
    entry: Entry | None = root
    while entry is not None:
        found = entry.parent.get(_CHARSET)
        if found is not None:
            return found.value  # type: ignore[no-any-return]
        entry = entry.up
    return default_encoding


_ITEM_HEAD: Final = {True: struct.Struct("<HHL").pack, False: struct.Struct(">HHL").pack}
#: writes an explicit VR element's header with a 4-byte length (after 2 reserved bytes), by little endian
LONG_HEAD: Final = {True: struct.Struct("<HH2s2xL").pack, False: struct.Struct(">HH2s2xL").pack}
#: writes an explicit VR element's header with a 2-byte length, by little endian
SHORT_HEAD: Final = {True: struct.Struct("<HH2sH").pack, False: struct.Struct(">HH2sH").pack}


def _encode(element: DataElement | RawDataElement, little: bool, encodings: str | list[str] | None) -> bytes:
    """Return an element's bytes in explicit VR, as pydicom writes it (a raw one: its header and bytes)."""
    if isinstance(element, RawDataElement) and isinstance(element.value, bytes) and element.VR is not None \
            and element.is_little_endian == little and not element.is_implicit_VR:
        vr, data = str(element.VR), element.value
        tag = int(element.tag)
        if vr in LONG_LENGTH_VRS:
            return LONG_HEAD[little](tag >> 16, tag & 0xFFFF, vr.encode("ascii"), len(data)) + data
        if len(data) <= 0xFFFF:
            return SHORT_HEAD[little](tag >> 16, tag & 0xFFFF, vr.encode("ascii"), len(data)) + data
    buffer = DicomBytesIO()
    buffer.is_little_endian = little
    buffer.is_implicit_VR = False
    write_data_element(buffer, element, encodings)
    return buffer.getvalue()


def rebuild(items: list[LazyItem], value: bytes, little: bool,
            encodings: str | list[str] | None = None) -> bytes | None:
    """Return a sequence's value with its items' edits carried out (None: it cannot be done here).

    Elements not edited are copied as read; a removed one is left out; a new one is
    encoded by pydicom; an item's or a nested sequence's length is written anew. Any
    problem (an edit of an element the item does not hold, a value pydicom cannot
    encode) gives None, and the caller converts the sequence instead.
    """
    head = _ITEM_HEAD[little]
    parts: list[bytes] = []
    for item in items:
        body = _rebuild_item(item, value, little, encodings)
        if body is None:
            return None
        if item.undefined:
            parts += [head(0xFFFE, 0xE000, UNDEFINED_LENGTH), body, head(0xFFFE, 0xE00D, 0)]
        else:
            parts += [head(0xFFFE, 0xE000, len(body)), body]
    return b"".join(parts)


def _rebuild_item(item: LazyItem, value: bytes, little: bool, encodings: str | list[str] | None) -> bytes | None:
    edits = item.edits or {}
    members = item.members  # in tag order (read_items sorts them), the order pydicom writes them in
    if edits and not {number for number, _ in members}.issuperset(edits):
        return None
    parts: list[bytes] = []
    for tag, raw in members:
        if tag & 0xFFFF == 0 and tag >> 16 > 6:
            continue  # nor does it write retired group lengths
        start = raw.value_tell - (12 if raw.VR in LONG_LENGTH_VRS else 8)
        end = raw.value_tell + raw.length
        if tag in edits:
            element = edits[tag]
            if element is None:
                continue
            try:
                parts.append(_encode(element, little, encodings))
            except Exception:  # noqa: BLE001 - pydicom cannot write it: leave it to the converted sequence
                return None
            continue
        children = item.children.get(tag) if item.children else None
        if children and _edited(children):
            inner = rebuild(children, value[raw.value_tell:end], little, encodings)
            if inner is None:
                return None
            parts += [LONG_HEAD[little](tag >> 16, tag & 0xFFFF, b"SQ", len(inner)), inner]
            continue
        parts.append(value[start:end])
    return b"".join(parts)


def _first(pair: tuple[int, RawDataElement]) -> int:
    return pair[0]


def _edited(items: list[LazyItem]) -> bool:
    """Return whether any of the items, or of the items nested in them, has edits."""
    return any(item.edits or any(_edited(nested) for nested in (item.children or {}).values()) for item in items)
