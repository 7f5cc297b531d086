"""One file's texts, joined, so that a ``values:`` list is searched in one pass (:class:`TextIndex`).

A list's test on one element (:meth:`~deidc.runtime.listmatch.ValuesTest.matches`) is, for
most elements, "one of the list's needles is in the element's text, as lower-case ASCII
bytes". The index joins those texts once per file, and each list searches the joined
bytes with ``bytes.find``: only the elements with a hit, and those the index cannot
answer for, are then tested one by one.
"""

from __future__ import annotations

import bisect
from collections.abc import Callable, Iterable, Sequence
from typing import Final

from pydicom.dataelem import RawDataElement
from pydicom.valuerep import PersonName

from deidc.runtime.listmatch import (
    BYTES_VRS,
    CHARSET_VRS,
    NUMBER_FORMATS,
    NUMBER_TEXT,
    TEXT_VRS,
    ValuesTest,
    is_latin,
    several_plain,
    unpacked,
)
from deidc.runtime.walk import Entry
from deidc.runtime.workset import Slot

#: bytes values longer than this are tested one by one (their text, ``repr``, is not copied into the index)
MAX_BYTES_INDEXED: Final = 4096
#: the longest text of one number of an integer VR (a float's text has no such bound)
_LONGEST: Final = {"US": 5, "SS": 6, "UL": 10, "SL": 11, "UV": 20, "SV": 20}


class _Joined:
    """Texts joined by :attr:`TextIndex.SEPARATOR`, each with the position (slot) of its element."""

    __slots__ = ("blob", "owners", "parts", "size", "starts")

    def __init__(self) -> None:
        self.parts: list[bytes] = []
        self.starts: list[int] = []  #: where each text starts in :attr:`blob`
        self.owners: list[int] = []  #: the position of each text's element
        self.size = 0
        self.blob = b""

    def add(self, slot: int, text: bytes) -> None:
        """Add one element's text (lower-case ASCII bytes)."""
        self.starts.append(self.size)
        self.owners.append(slot)
        self.parts.append(text)
        self.size += len(text) + 1

    def join(self) -> None:
        """Make :attr:`blob` (lower-cased: the needles' search ignores case)."""
        self.blob = TextIndex.SEPARATOR.join(self.parts).lower()
        self.parts = []

    def hits(self, needles: Iterable[bytes], chosen: set[int]) -> None:
        """Add to ``chosen`` the position of every element whose text holds a needle."""
        blob, starts, owners = self.blob, self.starts, self.owners
        for needle in needles:  # bytes.find on the lower-case bytes: a case-insensitive search
            at = blob.find(needle)
            while at >= 0:
                index = bisect.bisect_right(starts, at) - 1
                chosen.add(owners[index])
                at = blob.find(needle, starts[index + 1]) if index + 1 < len(starts) else -1


def _latin_text(value: bytes, vr: str, codec: str | None) -> bytes | None:
    """Return a raw non-ASCII text's one value as a list's test searches it, when it is Latin-1 (else None).

    That is, for a VR decoded with the dataset's one character set, no escape sequence and
    one value: the bytes decoded with the codec (as :meth:`ValuesTest.raw_matches` decodes
    them), lower-cased, as Latin-1 bytes.
    """
    if codec is None or vr not in CHARSET_VRS or b"\x1b" in value or b"\\" in value:
        return None
    try:
        text = value.decode(codec)
    except UnicodeDecodeError:
        return None
    return text.lower().encode("latin-1") if is_latin(text) else None


class TextIndex:
    """One file's ASCII texts, joined, so that a list is searched in one pass.

    Built once per file (when its first ``values:`` step runs) from the working set of
    that moment, it holds the text a list's test searches for its needles, of:

    * each undecoded ASCII text element: its bytes (one value; or several, without control
      characters, which a list searches as one value when its ``several_raw`` allows);
    * each undecoded bytes element (OB, OW, ...) up to :data:`MAX_BYTES_INDEXED` bytes: pydicom's
      value is those bytes, whose text is their ``repr``;
    * each decoded element whose value is one text or person name, when that text is ASCII;
    * each undecoded non-ASCII text of one value in the dataset's one character set, decoded,
      when it is Latin-1 (in an index of its own, searched for a list's Latin-1 values
      lower-cased, see :attr:`ValuesTest.latin`; a list with another value tests them one by one);
    * undecoded binary numbers, each number's text, joined in an index of their own made when a
      list first needs them: only a list value made of characters of a number's text (such as
      ``12`` or ``e5``) may be found there.

    A list whose test on ASCII text is its needles (its values that can match ASCII text are
    all ASCII) then searches the joined bytes once. Only the elements with a hit, the
    elements not indexed (other VRs, non-ASCII text, several values when the list's
    ``several_raw`` is false), those a step has changed since, and those made later are
    tested one by one. Every other element is unchanged and holds no needle, so
    :meth:`ValuesTest.matches` would reject it: the answer is the same, without the
    per-element work. An element still a record of the working set is tested on its bytes
    first, and made an entry only when it matches or must be decoded.
    """

    __slots__ = ("entry", "latin", "numbers", "rest", "several", "size", "texts", "_numbers")

    #: joins the texts; no list value that can be searched on bytes contains it
    SEPARATOR: Final = b"\x00"

    def __init__(self, slots: Sequence[Slot], entry: Callable[[int], Entry] | None = None,
                 codec: str | None = None) -> None:
        """Index the texts of a working set (and list its raw numbers).

        ``slots``: the working set's entries and records (:class:`~deidc.runtime.workset.WorkingSet`),
        ``entry``: makes the entry at a position (None: every slot is an entry already), ``codec``:
        the dataset's one character set's codec, as the lists' tests have it (None: non-ASCII raw
        text is tested one by one).
        """
        texts, latin = _Joined(), _Joined()
        self.rest: list[int] = []  #: the elements tested one by one (those that may match otherwise)
        #: indexed elements of several ASCII text values: tested one by one when a list has no ``raw_several``
        self.several: list[int] = []
        #: undecoded binary numbers, by VR: indexed when a list value could be found in a number's text
        self.numbers: dict[str, list[int]] = {}
        self._numbers: dict[str, tuple[_Joined, list[int]]] = {}
        #: the entry at a position
        self.entry: Callable[[int], Entry] = entry or slots.__getitem__  # type: ignore[assignment]
        parts, starts, owners, size = texts.parts, texts.starts, texts.owners, 0  # (_Joined.add, inlined)
        rest, several, numbers = self.rest, self.several, self.numbers
        for slot, found in enumerate(slots):
            if isinstance(found, Entry):  # its VR, and its element as read if still undecoded (else None)
                vr, raw = found.vr, found.raw
            else:
                stored, vr = found[1], found[2].vr
                raw = stored if isinstance(stored, RawDataElement) else None
            if vr == "SQ":
                continue  # a sequence never matches
            if raw is not None:
                text = raw.value
                if not text:
                    continue  # an empty raw value never matches
                if vr in TEXT_VRS:
                    if not text.isascii():
                        lowered = _latin_text(text, vr, codec)
                        if lowered is None:
                            rest.append(slot)
                        else:
                            latin.add(slot, lowered)
                        continue
                    if b"\\" in text:
                        if not several_plain(text):
                            rest.append(slot)
                            continue
                        several.append(slot)  # searched as one value if the list's several_raw allows
                elif vr in NUMBER_FORMATS:
                    numbers.setdefault(vr, []).append(slot)  # indexed (or tested) only for a list that could match
                    continue
                elif vr in BYTES_VRS and len(text) <= MAX_BYTES_INDEXED:
                    text = str(text).encode("ascii")  # its repr: ASCII
                else:
                    rest.append(slot)
                    continue
            elif isinstance(found, Entry):  # decoded: its text, as ValuesTest tests a decoded value
                element = found.element
                value = element.value
                if value is None or element.VR == "SQ":
                    continue  # never matches
                decoded = str(value) if isinstance(value, (str, PersonName)) else None
                if decoded is None or not decoded.isascii():
                    rest.append(slot)
                    continue
                if not decoded:
                    continue
                text = decoded.encode("ascii")
            else:
                rest.append(slot)
                continue
            starts.append(size)
            owners.append(slot)
            parts.append(text)
            size += len(text) + 1
        texts.size = size
        texts.join()
        latin.join()
        self.texts = texts  #: the indexed texts
        #: the indexed non-ASCII texts: one value each, decoded with the codec, Latin-1 (lower-cased, as Latin-1 bytes)
        self.latin = latin
        self.size = len(slots)  #: elements at this position and later were made after the index

    def _number_texts(self, vr: str, slots: Sequence[Slot]) -> tuple[_Joined, list[int]]:
        """Return the raw numbers' texts of one VR (each element's numbers as a tuple's text) and those to test alone.

        Made once, the first time a list needs it, from the elements as they are then (one
        changed since is tested one by one all the same).
        """
        made = self._numbers.get(vr)
        if made is None:
            joined, alone = _Joined(), []
            for slot in self.numbers[vr]:
                found = slots[slot]
                raw = found.raw if isinstance(found, Entry) else found[1]
                numbers = unpacked(vr, raw) if isinstance(raw, RawDataElement) else None
                if numbers is None:
                    alone.append(slot)  # decoded since, or not numbers pydicom unpacks: tested one by one
                    continue
                # pydicom gives several numbers as a plain list, each tested alone: in the tuple's text, ", "
                # parts them, which no needle searched here holds (only NUMBER_TEXT), so none spans two
                joined.add(slot, str(numbers).encode("ascii"))
            joined.join()
            made = self._numbers[vr] = (joined, alone)
        return made

    def select(self, test: ValuesTest, slots: Sequence[Slot], changed: Iterable[Entry]) -> list[Entry] | None:
        """Return the live entries the list selects, in working-set order (None: test one by one instead).

        ``slots``: the working set now (the indexed one, then any element made since);
        ``changed``: every entry a step has changed since the index was built.
        """
        needles = test.needles
        if needles is None or any(self.SEPARATOR in needle for needle in needles):
            return None
        chosen: set[int] = set()
        self.texts.hits(needles, chosen)
        chosen.update(self.rest)
        if self.latin.owners:  # found by a list's lower-cased Latin-1 values, as its test finds them there
            values = test.latin
            if values is None or any("\x00" in value for value in values):
                chosen.update(self.latin.owners)
            else:
                self.latin.hits([value.encode("latin-1") for value in values], chosen)
        if not test.several_raw:  # several values are not searched on their bytes for this list
            chosen.update(self.several)
        numeric = [needle for needle in needles if not needle.translate(None, NUMBER_TEXT)] if self.numbers else None
        if numeric:  # e.g. "12": numbers may match, in the VRs whose numbers' texts may be that long
            shortest = min(map(len, numeric))
            for vr in self.numbers:
                if shortest <= _LONGEST.get(vr, shortest):
                    numbers, alone = self._number_texts(vr, slots)
                    numbers.hits(numeric, chosen)
                    chosen.update(alone)
        chosen.update(entry.slot for entry in changed)
        chosen.update(range(self.size, len(slots)))
        found: list[Entry] = []
        for slot in sorted(chosen):
            record = slots[slot]
            if not isinstance(record, Entry):  # never changed, nor read: try its bytes before making its entry
                (_, _, _, up), stored, node = record
                if up is not None and not up.live_container:
                    continue  # in a sequence removed or blanked
                if isinstance(stored, RawDataElement) and test.raw_matches(node.vr, stored) is False:
                    continue
            entry = self.entry(slot)
            if entry.live and test.matches(entry):
                found.append(entry)
        return found


__all__ = ["MAX_BYTES_INDEXED", "TextIndex"]
