"""``DicomField``: one element of a dataset with its deid names (the type deid's API shows).

A thin view over a live pydicom element; it is what ``parser.fields`` holds and what a
``func:`` receives as ``field``.
"""

from __future__ import annotations

import re

from pydicom.dataelem import DataElement

from deidc.runtime.walk import Entry, tag_text


class DicomField:
    """A pydicom element with its nested keyword name and its uid (deid's address string)."""

    __slots__ = ("_element", "_entry", "name", "uid", "is_filemeta")

    def __init__(self, element: DataElement | None, name: str, uid: str, is_filemeta: bool = False,
                 entry: Entry | None = None) -> None:
        """Wrap ``element``, known as ``name`` (``Seq__Child``) at ``uid`` (``(0008,1110)__0__(0008,1155)``).

        With ``element`` None, the element is the working-set ``entry``'s, read (decoded)
        only when first asked for.
        """
        if element is None and entry is None:
            raise ValueError("a DicomField needs an element or a working-set entry")
        self._element = element
        self._entry = entry
        self.name = name  #: keywords from the top level, joined by ``__``
        self.uid = uid  #: the address string, unique in the dataset
        self.is_filemeta = is_filemeta  #: whether it is a file-meta element

    @classmethod
    def from_entry(cls, entry: Entry) -> DicomField:
        """Return the field of a working-set entry (its element is decoded only when used)."""
        return cls(None, entry.nested_name, entry.uid, entry.filemeta, entry)

    @property
    def element(self) -> DataElement:
        """Return the live element (for a working-set entry: the element that holds its value now)."""
        if self._entry is not None:
            return self._entry.element
        assert self._element is not None
        return self._element

    @property
    def tag(self) -> str:
        """Return the tag as ``(gggg,eeee)``."""
        return tag_text(int(self.element.tag))

    @property
    def stripped_tag(self) -> str:
        """Return the tag as ``GGGGEEEE``."""
        return f"{int(self.element.tag):08X}"

    @property
    def keyword(self) -> str:
        """Return the element's keyword (empty for private elements)."""
        return str(self.element.keyword)

    def name_contains(self, expression: str) -> bool:
        """Return whether the name, tag or keyword matches a regular expression (case-insensitive)."""
        regex = re.compile(expression, re.IGNORECASE)
        texts = (self.name, self.tag, self.stripped_tag, str(self.element.name), self.keyword)
        return any(regex.search(t) for t in texts)

    def value_contains(self, expression: str) -> bool:
        """Return whether the value's text matches a regular expression (case-insensitive)."""
        return re.search(expression, str(self.element.value), re.IGNORECASE) is not None

    def select_matches(self, expression: str) -> bool:
        """Return whether ``vr:XX`` or ``group:GGGG`` describes this element."""
        what, _, arg = expression.partition(":")
        if what.lower() == "vr":
            return bool(arg[:2].upper() == self.element.VR)
        if what.lower() == "group":
            return bool(int(self.element.tag) >> 16 == int(arg, 16))
        return False

    def __str__(self) -> str:
        """Return the element as pydicom prints it, then ``[name]``."""
        return f"{self.element}  [{self.name}]"

    __repr__ = __str__
